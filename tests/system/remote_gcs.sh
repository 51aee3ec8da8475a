#!/usr/bin/env bash
# Google Cloud Storage as the cache backend (SCCACHE_GCS_*), against the firebase storage
# emulator's JSON API behind tests/services/gcs-auth.js, a token endpoint that checks each
# service-account assertion (RS256 signature with the account's public key, iss, aud, scope,
# iat/exp) and refuses storage requests without a token it issued. Two sccache servers share
# entries (byte-identical hits, gcc and clang) under a key prefix, one token per server (cached);
# the key and the tokens are never shown; [cache.gcs] works; read-only is the default and sends
# no upload; the credentials URL and the OAuth URL give tokens too; a token is renewed before it
# expires; a wrong key, no credentials, a stopped emulator and a stopped token endpoint cost
# misses and counted errors, never a failed build; bad settings fail the start, naming them.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=services.sh
source "$(dirname "$0")/services.sh"
require_tool gcc clang openssl
require_gcs
setup

start_gcs
gen_c shared
for cc in "${C_COMPILERS[@]}"; do gen_c "shared_$cc"; done

log "two sccache servers share one bucket (service-account key, key prefix ci/gcs)"
export SCCACHE_GCS_BUCKET=sccache-cache SCCACHE_GCS_ENDPOINT=$GCS_URL SCCACHE_GCS_KEY_PATH=$GCS_KEY_FILE \
  SCCACHE_GCS_KEY_PREFIX=ci/gcs SCCACHE_GCS_RW_MODE=READ_WRITE
start_sccache_server a
expect_eq "$(stat_json .cache_location)" "GCS, bucket: Bucket(name=sccache-cache), prefix: ci/gcs/" "cache_location"
start_sccache_server b
shared_compiles
expect_ge "$(gcs_stat uploads)" 3 "uploads the token endpoint let through"
expect_eq "$(gcs_stat token_requests)" 2 "token requests (one per server: the token is cached)"
expect_eq "$(gcs_stat token_failures)" 0 "refused assertions"
expect_no_cache_errors
expect_secret_hidden "$(sed -n 2p "$TEST_TMP/gcs/key.pem")" "service-account private key"
expect_secret_hidden "ya29.test-1" "access token"
stop_sccache_server b

log "the same settings from [cache.gcs] in the config file (0.2.10's keys)"
cat >"$TEST_TMP/gcs.conf" <<CONF
[cache.gcs]
bucket = "sccache-cache"
cred_path = "$GCS_KEY_FILE"
rw_mode = "READ_WRITE"
key_prefix = "ci/gcs"
endpoint = "$GCS_URL"
CONF
(
  unset SCCACHE_GCS_BUCKET SCCACHE_GCS_ENDPOINT SCCACHE_GCS_KEY_PATH SCCACHE_GCS_KEY_PREFIX SCCACHE_GCS_RW_MODE
  SCCACHE_CONF=$TEST_TMP/gcs.conf start_sccache_server conf
  compile_check hit --out shared.o -- gcc -g -c src/shared.c -o shared.o
  stop_sccache_server conf
)

log "read-only by default (no SCCACHE_GCS_RW_MODE): hits; a miss sends no upload"
uploads=$(gcs_stat uploads)
SCCACHE_GCS_RW_MODE='' start_sccache_server ro
compile_check hit --out shared.o -- gcc -g -c src/shared.c -o shared.o
gen_c readonly
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out readonly.o -- gcc -O2 -c src/readonly.c -o readonly.o
wait_stat_ge '.stats.cache_writes_skipped' 1
expect_eq "$(stat_json "$J_WERR")" 0 "read-only: cache_write_errors"
expect_eq "$(gcs_stat uploads)" "$uploads" "read-only: uploads"
expect_eq "$(gcs_stat forbidden)" 0 "read-only: uploads refused for the read_only scope (none sent)"
stop_sccache_server ro

log "tokens from the credentials URL and from the OAuth URL"
for how in CREDENTIALS OAUTH; do
  var=SCCACHE_GCS_${how}_URL
  url=$GCS_CRED_URL
  [[ $how == OAUTH ]] && url=$GCS_OAUTH_URL
  before=$(gcs_stat forwarded)
  export SCCACHE_GCS_KEY_PATH='' "$var=$url"
  start_sccache_server "tok$how"
  gen_c "tok$how"
  compile_check miss --out "tok$how.o" -- gcc -O2 -c "src/tok$how.c" -o "tok$how.o"
  wait_writes "$(stat_json "$J_MISSES")"
  compile_check hit --out "tok$how.o" -- gcc -O2 -c "src/tok$how.c" -o "tok$how.o"
  expect_eq "$(stat_json "$J_ERRORS")" 0 "cache_errors with tokens from $var"
  expect_ge "$(gcs_stat forwarded)" "$((before + 2))" "storage requests with tokens from $var"
  stop_sccache_server "tok$how"
  unset "$var"
done
expect_ge "$(gcs_stat credential_requests)" 1 "credentials URL requests"
expect_ge "$(gcs_stat oauth_requests)" 1 "OAuth URL requests"
export SCCACHE_GCS_KEY_PATH=$GCS_KEY_FILE

log "a wrong service-account key: the assertion is refused, compiles succeed, errors counted"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$TEST_TMP/gcs/other.pem" 2>/dev/null
gcs_key_file "$TEST_TMP/gcs/other.pem" "$TEST_TMP/gcs/wrong-key.json"
SCCACHE_GCS_KEY_PATH=$TEST_TMP/gcs/wrong-key.json start_sccache_server wrongkey
gen_c wrongkey
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out wrongkey.o -- gcc -O2 -c src/wrongkey.c -o wrongkey.o
expect_ge "$(stat_json "$J_ERRORS")" 1 "cache_errors with a wrong key"
expect_ge "$(gcs_stat token_failures)" 1 "assertions refused"
grep -q 'signature' "$TEST_TMP/server-gcs-auth.log" || fail "the token endpoint did not refuse for the signature"
grep -q 'invalid_grant: bad signature' "$SCCACHE_ERROR_LOG" ||
  fail "the server's log does not quote the token endpoint's refusal: $(tail -3 "$SCCACHE_ERROR_LOG")"
stop_sccache_server wrongkey

log "no credentials at all: anonymous requests are refused (401), compiles succeed"
SCCACHE_GCS_KEY_PATH='' start_sccache_server anon
gen_c anon
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out anon.o -- gcc -O2 -c src/anon.c -o anon.o
expect_ge "$(stat_json "$J_ERRORS")" 1 "cache_errors without credentials"
expect_ge "$(gcs_stat unauthorized)" 1 "requests refused for no token"
stop_sccache_server anon

log "bad settings: the server does not start and says why"
expect_start_failure nokeyfile SCCACHE_GCS_KEY_PATH=/nonexistent/key.json
echo '{"type": "service_account"}' >"$TEST_TMP/gcs/empty-key.json"
expect_start_failure badkeyfile SCCACHE_GCS_KEY_PATH="$TEST_TMP/gcs/empty-key.json"
expect_start_failure badendpoint SCCACHE_GCS_ENDPOINT=ftp://127.0.0.1/
expect_start_failure badmode SCCACHE_GCS_RW_MODE=RW

log "the storage down (token endpoint up), then both down: misses and errors, builds succeed"
use_sccache a
stop_gcs_emulator
gen_c down1
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out down1.o -- gcc -O2 -c src/down1.c -o down1.o
expect_ge "$(stat_json "$J_ERRORS")" 1 "cache_errors of server a with the storage down"
stop_gcs
stop_sccache_server a
start_sccache_server a2
gen_c down2
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out down2.o -- gcc -O2 -c src/down2.c -o down2.o
expect_ge "$(stat_json "$J_ERRORS")" 1 "cache_errors with the token endpoint down"
stop_sccache_server a2

log "a token is renewed before it expires (lifetime 12 s: renewed after 6 s)"
start_gcs 12
start_sccache_server renew
gen_c renew1
compile_check miss --out renew1.o -- gcc -O2 -c src/renew1.c -o renew1.o
first=$(gcs_stat token_requests)
sleep 7
gen_c renew2
compile_check miss --out renew2.o -- gcc -O2 -c src/renew2.c -o renew2.o
wait_writes "$(stat_json "$J_MISSES")"
expect_eq "$(gcs_stat token_requests)" "$((first + 1))" "token requests after the first token's renewal time"
expect_eq "$(stat_json "$J_ERRORS")" 0 "cache_errors across the renewal"
expect_eq "$(gcs_stat unauthorized)" 0 "requests sent with an expired token"
log "PASS"
