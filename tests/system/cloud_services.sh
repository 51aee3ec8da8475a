# shellcheck shell=bash
# shellcheck disable=SC2034  # the S3_*, AZ_* and GCS_* variables are for the tests that source this
# The cloud-storage test servers (S3, Azure Blob, GCS), for services.sh, which sources this file;
# tests source services.sh only. Uses its reserve_port, wait_service, stop_pid, listens_as and
# $SERVICES_NPM_DIR (tests/services, where install.sh puts the npm packages).
#
# S3 (@20minutes/s3rver 5.0.0 through tests/services/s3-server.js; one at a time)
#   require_s3rver                       skip (77) unless node and tests/services/node_modules
#                                        exist (bash tests/services/install.sh makes the latter)
#   start_s3rver ACCESS_KEY SECRET BUCKET...   sets S3_PORT, S3_PID, S3_DATA, S3_ENDPOINT
#       (http://127.0.0.1:<port>). Path-style, checks SigV4 for ACCESS_KEY/SECRET (and its
#       built-in S3RVER/S3RVER), lets unsigned requests through, creates the buckets. Objects
#       are files: $S3_DATA/<bucket>/<key>._S3rver_object. Its log has one line per request:
#       `METHOD /bucket/key STATUS`.
#   restart_s3rver                       same port, args and data (objects survive)
#   stop_s3rver [SIGNAL]                 default TERM; waits until gone and port closed
#   s3_objects BUCKET [PREFIX]           number of objects stored under BUCKET/PREFIX
# GCS (firebase storage emulator through tests/services/gcs-emulator.js, behind
#   tests/services/gcs-auth.js, which is Google's token endpoint and checks tokens; one at a time)
#   require_gcs                          skip (77) unless node, openssl and firebase-tools exist
#   start_gcs [TOKEN_LIFETIME]           a service-account key ($TEST_TMP/gcs/key.pem, key file
#       $GCS_KEY_FILE whose token_uri is the endpoint), the emulator (GCS_EMU_PORT, GCS_EMU_PID)
#       and the front (GCS_PORT, GCS_PID, GCS_URL = http://127.0.0.1:<port>, GCS_CRED_URL and
#       GCS_OAUTH_URL for SCCACHE_GCS_CREDENTIALS_URL/_OAUTH_URL). Tokens last TOKEN_LIFETIME s
#       (default 3600). Logs: server-gcs-emu.log, server-gcs-auth.log (`refused: why`).
#   stop_gcs / stop_gcs_emulator / start_gcs_emulator   the front (and the emulator), or the
#       emulator alone (same port; objects are lost)
#   gcs_stat NAME                        a counter of the front: token_requests, token_failures,
#       credential_requests, oauth_requests, forwarded, unauthorized, forbidden, uploads
#   gcs_key_file PEM OUT.json            a service-account key file for the private key PEM

# ---------------------------------------------------------------------------------------------
# S3 (@20minutes/s3rver)

S3_PORT=
S3_PID=
S3_DATA=
S3_ENDPOINT=
S3_ARGS=()

require_s3rver() {
  command -v node >/dev/null 2>&1 ||
    skip "needs 'node' (Node.js) for the S3 server; install nodejs, then run: bash tests/services/install.sh"
  [[ -f $SERVICES_NPM_DIR/node_modules/@20minutes/s3rver/package.json ]] ||
    skip "needs the S3 server package in $SERVICES_NPM_DIR/node_modules; run: bash tests/services/install.sh"
}

start_s3rver() {
  require_s3rver
  (($# >= 3)) || fail "usage: start_s3rver ACCESS_KEY SECRET BUCKET..."
  [[ -z $S3_PID ]] || fail "start_s3rver: s3rver (pid $S3_PID) is still running; stop_s3rver first"
  S3_ARGS=("$@")
  S3_DATA=$TEST_TMP/s3
  [[ -n $S3_PORT ]] || reserve_port S3_PORT
  S3_ENDPOINT=http://127.0.0.1:$S3_PORT
  mkdir -p "$S3_DATA"
  local logf=$TEST_TMP/server-s3rver.log
  printf '=== %s start_s3rver %s %s\n' "$(date +%T)" "$1" "${*:3}" >>"$logf"
  node "$SERVICES_NPM_DIR/s3-server.js" "$S3_DATA" "$S3_PORT" "$@" </dev/null >>"$logf" 2>&1 &
  S3_PID=$!
  track_pid "$S3_PID"
  wait_service 30 "$S3_PID" "s3rver" "$logf" listens_as "$S3_PORT" "$S3_PID"
  log "s3rver pid $S3_PID ready on $S3_ENDPOINT (buckets: ${*:3})"
}

stop_s3rver() {
  local sig=${1:-TERM}
  [[ -n $S3_PID ]] || fail "stop_s3rver: s3rver is not running"
  stop_pid "$S3_PID" "$sig" s3rver "$TEST_TMP/server-s3rver.log"
  wait_until 10 port_closed "$S3_PORT" || fail "port $S3_PORT still open after s3rver exited"
  log "s3rver pid $S3_PID stopped (SIG$sig)"
  S3_PID=
}

restart_s3rver() {
  stop_s3rver TERM
  start_s3rver "${S3_ARGS[@]}"
}

# s3_objects BUCKET [PREFIX]: objects stored under BUCKET/PREFIX (PREFIX like "a/" or "").
s3_objects() {
  local d=$S3_DATA/$1/${2:-}
  if [[ -d $d ]]; then
    find "$d" -type f -name '*._S3rver_object' | wc -l
  else
    echo 0
  fi
}

# ---------------------------------------------------------------------------------------------
# Azure Blob (Azurite, blob service only; it checks SharedKey)
#   require_azurite                skip (77) unless node and Azurite in tests/services/node_modules
#   start_azurite CONTAINER...     sets AZ_PORT, AZ_PID, AZ_ENDPOINT (http://127.0.0.1:P/devstoreaccount1),
#                                  AZ_CONN (a connection string for it); creates the containers
#   stop_azurite [SIGNAL]          default TERM
#   az_requests METHOD             how many METHOD requests Azurite has logged (its --debug log)

AZ_PORT=
AZ_PID=
AZ_ENDPOINT=
AZ_CONN=
AZ_DEV_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

require_azurite() {
  command -v node >/dev/null 2>&1 || skip "needs 'node' (Node.js) for Azurite; run: bash tests/services/install.sh"
  [[ -f $SERVICES_NPM_DIR/node_modules/azurite/dist/src/blob/main.js ]] ||
    skip "needs Azurite in $SERVICES_NPM_DIR/node_modules; run: bash tests/services/install.sh"
}

start_azurite() {
  require_azurite
  [[ -z $AZ_PID ]] || fail "start_azurite: Azurite (pid $AZ_PID) is still running"
  [[ -n $AZ_PORT ]] || reserve_port AZ_PORT
  mkdir -p "$TEST_TMP/azurite"
  local logf=$TEST_TMP/server-azurite.log
  node "$SERVICES_NPM_DIR/node_modules/azurite/dist/src/blob/main.js" --blobHost 127.0.0.1 --blobPort "$AZ_PORT" \
    --location "$TEST_TMP/azurite" --disableTelemetry --skipApiVersionCheck --silent \
    --debug "$TEST_TMP/azurite-debug.log" </dev/null >>"$logf" 2>&1 &
  AZ_PID=$!
  track_pid "$AZ_PID"
  wait_service 60 "$AZ_PID" azurite "$logf" listens_as "$AZ_PORT" "$AZ_PID"
  AZ_ENDPOINT=http://127.0.0.1:$AZ_PORT/devstoreaccount1
  AZ_CONN="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$AZ_DEV_KEY;BlobEndpoint=$AZ_ENDPOINT;"
  local c
  for c in "$@"; do
    node "$SERVICES_NPM_DIR/azure-container.js" "$AZ_ENDPOINT" "$c" >>"$logf" 2>&1 || fail "cannot create container $c: $(tail -3 "$logf")"
  done
  log "azurite pid $AZ_PID ready on 127.0.0.1:$AZ_PORT (containers: $*)"
}

az_requests() { grep -c "RequestMethod=$1 " "$TEST_TMP/azurite-debug.log" 2>/dev/null || true; }

stop_azurite() {
  local sig=${1:-TERM}
  [[ -n $AZ_PID ]] || fail "stop_azurite: Azurite is not running"
  stop_pid "$AZ_PID" "$sig" azurite "$TEST_TMP/server-azurite.log"
  wait_until 10 port_closed "$AZ_PORT" || fail "port $AZ_PORT still open after Azurite exited"
  AZ_PID=
}

# ---------------------------------------------------------------------------------------------
# GCS (firebase storage emulator behind gcs-auth.js)

GCS_PORT=
GCS_PID=
GCS_EMU_PORT=
GCS_EMU_PID=
GCS_URL=
GCS_CRED_URL=
GCS_OAUTH_URL=
GCS_KEY_FILE=
GCS_CLIENT_EMAIL=sccache-ci@demo-sccache.iam.gserviceaccount.com

require_gcs() {
  require_tool openssl curl jq
  command -v node >/dev/null 2>&1 || skip "needs 'node' (Node.js) for the GCS emulator; run: bash tests/services/install.sh"
  [[ -f $SERVICES_NPM_DIR/node_modules/firebase-tools/lib/emulator/storage/server.js ]] ||
    skip "needs firebase-tools in $SERVICES_NPM_DIR/node_modules; run: bash tests/services/install.sh"
}

gcs_key_file() {
  jq -n --rawfile key "$1" --arg email "$GCS_CLIENT_EMAIL" --arg uri "http://127.0.0.1:$GCS_PORT/token" \
    '{type: "service_account", project_id: "demo-sccache", private_key_id: "0123abcd",
      private_key: $key, client_email: $email, token_uri: $uri}' >"$2" || fail "gcs_key_file: cannot write $2"
}

start_gcs_emulator() {
  [[ -z $GCS_EMU_PID ]] || fail "start_gcs_emulator: the emulator (pid $GCS_EMU_PID) is still running"
  [[ -n $GCS_EMU_PORT ]] || reserve_port GCS_EMU_PORT
  local logf=$TEST_TMP/server-gcs-emu.log
  NODE_PATH=$SERVICES_NPM_DIR/node_modules node "$SERVICES_NPM_DIR/gcs-emulator.js" "$GCS_EMU_PORT" </dev/null >>"$logf" 2>&1 &
  GCS_EMU_PID=$!
  track_pid "$GCS_EMU_PID"
  wait_service 60 "$GCS_EMU_PID" "gcs emulator" "$logf" listens_as "$GCS_EMU_PORT" "$GCS_EMU_PID"
}

stop_gcs_emulator() {
  [[ -n $GCS_EMU_PID ]] || fail "stop_gcs_emulator: the emulator is not running"
  stop_pid "$GCS_EMU_PID" TERM "gcs emulator" "$TEST_TMP/server-gcs-emu.log"
  wait_until 10 port_closed "$GCS_EMU_PORT" || fail "port $GCS_EMU_PORT still open after the emulator exited"
  GCS_EMU_PID=
}

start_gcs() {
  require_gcs
  [[ -z $GCS_PID ]] || fail "start_gcs: the GCS front (pid $GCS_PID) is still running"
  local lifetime=${1:-3600} dir=$TEST_TMP/gcs logf=$TEST_TMP/server-gcs-auth.log
  mkdir -p "$dir"
  [[ -n $GCS_PORT ]] || reserve_port GCS_PORT
  if [[ ! -f $dir/key.pem ]]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/key.pem" 2>/dev/null ||
      fail "start_gcs: openssl genpkey failed"
    openssl pkey -in "$dir/key.pem" -pubout -out "$dir/public.pem" || fail "start_gcs: openssl pkey -pubout failed"
  fi
  GCS_KEY_FILE=$dir/key.json
  gcs_key_file "$dir/key.pem" "$GCS_KEY_FILE"
  [[ -n $GCS_EMU_PID ]] || start_gcs_emulator
  printf '=== %s start_gcs (token lifetime %s s)\n' "$(date +%T)" "$lifetime" >>"$logf"
  node "$SERVICES_NPM_DIR/gcs-auth.js" "$GCS_PORT" "$GCS_EMU_PORT" "$dir/public.pem" "$GCS_CLIENT_EMAIL" "$lifetime" \
    </dev/null >>"$logf" 2>&1 &
  GCS_PID=$!
  track_pid "$GCS_PID"
  wait_service 30 "$GCS_PID" "gcs-auth" "$logf" listens_as "$GCS_PORT" "$GCS_PID"
  GCS_URL=http://127.0.0.1:$GCS_PORT
  GCS_CRED_URL=$GCS_URL/credentials
  GCS_OAUTH_URL=$GCS_URL/oauth
  log "gcs: emulator pid $GCS_EMU_PID on 127.0.0.1:$GCS_EMU_PORT behind gcs-auth pid $GCS_PID on $GCS_URL"
}

stop_gcs() {
  [[ -n $GCS_PID ]] || fail "stop_gcs: the GCS front is not running"
  stop_pid "$GCS_PID" TERM gcs-auth "$TEST_TMP/server-gcs-auth.log"
  wait_until 10 port_closed "$GCS_PORT" || fail "port $GCS_PORT still open after gcs-auth exited"
  GCS_PID=
  if [[ -n $GCS_EMU_PID ]]; then stop_gcs_emulator; fi
}

gcs_stat() {
  local v
  v=$(curl -fsS --max-time 10 "$GCS_URL/__stats" | jq -e ".$1") || fail "gcs_stat: no counter '$1' at $GCS_URL/__stats"
  echo "$v"
}

