#!/usr/bin/env bash
# sccache-dist end to end: a scheduler (client_auth token, server_auth jwt_hs256) and two build
# servers running compiles in the bubblewrap + overlayfs sandbox, driven over HTTP by
# data/dist_driver.py (a stdlib client of the JSON wire format in docs/distributed.md).
#   - auth helpers (shared token length, HS256 key, server tokens); /status sees 2 servers
#   - gcc: 6 preprocessed TUs in waves of 1, 2 and 3 jobs held at once: every object identical to
#     a host compile (same args, same cwd path); the toolchain is sent once per server; jobs land
#     on both servers; every job's state reaches complete (in_progress back to 0)
#   - clang: one TU with a clang toolchain, identical to the host's object
#   - a compile error comes back with the host's exit code and stderr, and no object
#   - auth refusals (401 + WWW-Authenticate code): client tokens, server JWTs (other key, other
#     address), job tokens (other job, alg none, other server); the right tokens then work
#   - hostile inputs archives (`..`, absolute path) refused with 400 before anything is written
#     (a refused run_job ends its job);
#     a toolchain whose bytes do not match its id is refused (digest mismatch)
#   - liveness: a killed build server drops out of /status within 5 s; jobs go to the other one
#   - config errors: an unknown scheduler key, a server token made for another address
# Needs root (the overlay sandbox), bwrap, python3 and gcc; clang is used when present.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=services.sh
source "$(dirname "$0")/services.sh"
[[ $(id -u) == 0 ]] || skip "needs root: the build server mounts overlayfs and runs bubblewrap"
require_tool bwrap python3 gcc
setup

DIST=$(dirname "$SCCACHE_BIN")/sccache-dist
[[ -x $DIST ]] || fail "sccache-dist not found at $DIST (next to SCCACHE_BIN)"
DRIVER=$SYSTEST_DIR/data/dist_driver.py
PKG=$SYSTEST_DIR/data/pkg-toolchain.sh
PY=$(python3 -c 'import sys; print(sys.executable)') # the real interpreter, not a pyenv shim
WORK=$TEST_TMP/work
CONF=$TEST_TMP/conf
REF=$TEST_TMP/ref
OUT=$TEST_TMP/out
mkdir -p "$CONF" "$REF" "$OUT" "$WORK/src"
HAVE_CLANG=0
command -v clang >/dev/null 2>&1 && HAVE_CLANG=1

reserve_port SCHED_PORT
reserve_port A_PORT
reserve_port B_PORT
A_ID=127.0.0.1:$A_PORT
B_ID=127.0.0.1:$B_PORT

# ---------------------------------------------------------------------------------------------
# Helpers

# dist ARGS...: sccache-dist, bounded.
dist() { "$TIMEOUT_BIN" -k 5 30 "$DIST" "$@"; }

# drv TAG SUBCOMMAND ARGS...: run the driver; its JSON lands in $RUNS/TAG.out. The client token
# is $CLIENT_TOKEN unless DRV_TOKEN is set.
drv() {
  local tag=$1
  shift
  run_to "$tag" "$PY" "$DRIVER" --scheduler "127.0.0.1:$SCHED_PORT" --token="${DRV_TOKEN:-$CLIENT_TOKEN}" "$@"
  [[ $(rc_of "$tag") == 0 ]] || fail "dist_driver $1 (run $tag) exited $(rc_of "$tag"): $(head -c 1500 "$RUNS/$tag.err")"
}
jr() { jq -r "$2" "$RUNS/$1.out"; } # jr TAG JQ-EXPR

STATUS_SEQ=0
# sched_status FIELD: one field of GET /api/v1/scheduler/status.
sched_status() {
  STATUS_SEQ=$((STATUS_SEQ + 1))
  drv "status.$STATUS_SEQ.$BASHPID" status
  jr "status.$STATUS_SEQ.$BASHPID" ".$1"
}
status_is() { [[ $(sched_status "$1") == "$2" ]]; }

# expect_refused TAG STATUS CODE WHAT: the driver result TAG is HTTP STATUS with
# `WWW-Authenticate: Bearer error="CODE"` (CODE "-" for no header).
expect_refused() {
  local tag=$1 status=$2 code=$3 what=$4 st wa
  st=$(jq -r '.status // .http_status' "$RUNS/$tag.out")
  wa=$(jq -r '.www_authenticate // "-"' "$RUNS/$tag.out")
  expect_eq "$st" "$status" "$what: HTTP status (reply: $(head -c 400 "$RUNS/$tag.out"))"
  if [[ $code == - ]]; then
    expect_eq "$wa" - "$what: WWW-Authenticate"
  else
    expect_eq "$wa" "Bearer error=\"$code\"" "$what: WWW-Authenticate"
  fi
  log "$what: HTTP $st $wa: $(jq -c '.body // .error' "$RUNS/$tag.out" | head -c 200)"
}

start_scheduler() { # start_scheduler CONFIG
  SCCACHE_NO_DAEMON=1 SCCACHE_DIST_SERVER_TIMEOUT_SECS=3 SCCACHE_ERROR_LOG=$TEST_TMP/server-scheduler.log \
    "$DIST" scheduler --config "$1" >"$TEST_TMP/server-scheduler.out.log" 2>&1 </dev/null &
  SCHED_PID=$!
  track_pid "$SCHED_PID"
  wait_service 20 "$SCHED_PID" scheduler "$TEST_TMP/server-scheduler.log" listens_as "$SCHED_PORT" "$SCHED_PID"
}

# write_server_conf NAME PORT TOKEN: $CONF/NAME.conf with its own cache_dir and build_dir.
write_server_conf() {
  mkdir -p "$TEST_TMP/dist-$1"
  cat >"$CONF/$1.conf" <<EOF
cache_dir = "$TEST_TMP/dist-$1/cache"
public_addr = "127.0.0.1:$2"
scheduler_url = "http://127.0.0.1:$SCHED_PORT"

[builder]
type = "overlay"
build_dir = "$TEST_TMP/dist-$1/build"
bwrap_path = "$(command -v bwrap)"

[scheduler_auth]
type = "jwt_token"
token = "$3"
EOF
}

start_build_server() { # start_build_server NAME PORT; sets SRV_PID
  SCCACHE_DIST_HEARTBEAT_SECS=1 SCCACHE_ERROR_LOG=$TEST_TMP/server-$1.log \
    "$DIST" server --config "$CONF/$1.conf" >"$TEST_TMP/server-$1.out.log" 2>&1 </dev/null &
  SRV_PID=$!
  track_pid "$SRV_PID"
  wait_service 30 "$SRV_PID" "build server $1" "$TEST_TMP/server-$1.log" listens_as "$2" "$SRV_PID"
}

# gen_tu NAME N: src/NAME.c, then NAME.i (preprocessed by CC, default gcc) in $WORK.
gen_tu() {
  local name=$1 n=$2 cc=${3:-gcc}
  write_file "$WORK/src/$name.c" <<EOF
#include <stdio.h>
#include <string.h>
struct rec_$n { int id; double w; char tag[16]; };
static struct rec_$n table_${n}[] = {{$n, $n.5, "$name"}, {$((n * 7)), 0.25, "x$n"}};
int ${name}_sum(int k) {
  int s = 0;
  for (int i = 0; i < k; i++) s += table_${n}[i % 2].id * (i + $n) + (int)strlen(table_${n}[i % 2].tag);
  return s;
}
double ${name}_weight(void) { return table_${n}[0].w * $((n + 3)); }
void ${name}_print(void) { printf("%s %d %f\n", table_${n}[1].tag, ${name}_sum($((n + 4))), ${name}_weight()); }
EOF
  (cd "$WORK" && "$cc" -E "src/$name.c" -o "$name.i")
}

# host_ref CC TAG TU: the reference compile `CC CARGS... -c TU -o STEM.o` in $WORK; object,
# stderr and exit code kept in $REF/TAG/.
host_ref() {
  local cc=$1 tag=$2 tu=$3 stem=${3%.i} rc=0
  mkdir -p "$REF/$tag"
  rm -f "$WORK/$stem.o"
  (cd "$WORK" && "$cc" "${CARGS[@]}" -c "$tu" -o "$stem.o") 2>"$REF/$tag/$stem.stderr" || rc=$?
  echo "$rc" >"$REF/$tag/$stem.rc"
  if [[ -e $WORK/$stem.o ]]; then mv "$WORK/$stem.o" "$REF/$tag/$stem.o"; fi
}

# check_result TAG INDEX REFTAG: job INDEX of driver result TAG matches the host reference.
check_result() {
  local tag=$1 i=$2 reftag=$3 tu stem code what
  tu=$(jr "$tag" ".[$i].tu")
  stem=${tu%.i}
  what="$tag: $tu (job $(jr "$tag" ".[$i].job_id") on $(jr "$tag" ".[$i].server_id"))"
  code=$(jr "$tag" ".[$i].code")
  [[ $code != null ]] || fail "$what: no Complete reply: $(jq -c ".[$i]" "$RUNS/$tag.out" | head -c 600)"
  expect_eq "$code" "$(cat "$REF/$reftag/$stem.rc")" "$what: exit code"
  expect_eq "$(jr "$tag" ".[$i].signal")" 0 "$what: signal"
  expect_same_file "$REF/$reftag/$stem.stderr" "$OUT/$tag/$stem.stderr" "$what: stderr"
  if [[ -e $REF/$reftag/$stem.o ]]; then
    expect_eq "$(jr "$tag" ".[$i].outputs | join(\",\")")" "$stem.o" "$what: outputs returned"
    expect_same_file "$REF/$reftag/$stem.o" "$OUT/$tag/$stem.o" "$what: object"
  else
    expect_eq "$(jr "$tag" ".[$i].outputs | length")" 0 "$what: outputs returned (the host compile made none)"
  fi
}

# wave TAG CC TOOLCHAIN EXE TU...: host references, then one `compile` call holding one job per
# TU at once; every job checked against its reference. Results appended to $TEST_TMP/TAG.jobs.
wave() {
  local tag=$1 cc=$2 tc=$3 exe=$4 tu i
  shift 4
  for tu in "$@"; do host_ref "$cc" "$tag" "$tu"; done
  drv "$tag" compile --toolchain "$tc" --exe "$exe" --cwd "$WORK" --out-dir "$OUT/$tag" "$@" -- "${CARGS[@]}"
  expect_eq "$(jr "$tag" length)" "$#" "$tag: number of job results"
  for ((i = 0; i < $#; i++)); do check_result "$tag" "$i" "$tag"; done
  log "$tag: $* -> $(jq -c '[.[] | {job_id, server_id, need_toolchain, code}]' "$RUNS/$tag.out")"
}

servers_of() { jr "$1" '[.[].server_id] | unique | sort | join(" ")'; }

# ---------------------------------------------------------------------------------------------
log "auth helpers: shared token, HS256 key, server tokens"
CLIENT_TOKEN=$(dist auth generate-shared-token --bits 128)
[[ $CLIENT_TOKEN =~ ^[A-Za-z0-9_-]{22}$ ]] ||
  fail "generate-shared-token --bits 128: expected 22 base64url characters, got '$CLIENT_TOKEN'"
KEY=$(dist auth generate-jwt-hs256-key)
[[ $KEY =~ ^[A-Za-z0-9_-]{43}=?$ ]] || fail "generate-jwt-hs256-key: expected 32 bytes of base64url, got '$KEY'"
cat >"$CONF/scheduler.conf" <<EOF
public_addr = "127.0.0.1:$SCHED_PORT"

[client_auth]
type = "token"
token = "$CLIENT_TOKEN"

[server_auth]
type = "jwt_hs256"
secret_key = "$KEY"
EOF
TOKEN_A=$(dist auth generate-jwt-hs256-server-token --config "$CONF/scheduler.conf" --server "$A_ID")
TOKEN_B=$(dist auth generate-jwt-hs256-server-token --config "$CONF/scheduler.conf" --server "$B_ID")
expect_ne "$TOKEN_A" "$TOKEN_B" "server tokens of A and B"

log "config errors: unknown scheduler key; a server token made for another address"
reserve_port BAD_PORT
{
  echo 'frobnicate_level = 3'
  sed "s/127.0.0.1:$SCHED_PORT/127.0.0.1:$BAD_PORT/" "$CONF/scheduler.conf"
} >"$CONF/bad-scheduler.conf"
SCCACHE_NO_DAEMON=1 CMD_TIMEOUT=20 run_to bad-scheduler "$DIST" scheduler --config "$CONF/bad-scheduler.conf"
expect_ne "$(rc_of bad-scheduler)" 0 "exit code of a scheduler with an unknown key"
grep -qF frobnicate_level "$RUNS/bad-scheduler.err" ||
  fail "scheduler with an unknown key: stderr does not name it: $(head -c 500 "$RUNS/bad-scheduler.err")"
port_closed "$BAD_PORT" || fail "a scheduler listens on $BAD_PORT after a refused config"
log "unknown key refused (exit $(rc_of bad-scheduler)): $(head -c 200 "$RUNS/bad-scheduler.err")"
write_server_conf wrongaddr "$BAD_PORT" "$TOKEN_A"
SCCACHE_DIST_HEARTBEAT_SECS=1 CMD_TIMEOUT=20 run_to bad-server "$DIST" server --config "$CONF/wrongaddr.conf"
expect_ne "$(rc_of bad-server)" 0 "exit code of a server whose token names $A_ID"
grep -qF public_addr "$RUNS/bad-server.err" ||
  fail "server with another address's token: stderr does not name public_addr: $(head -c 500 "$RUNS/bad-server.err")"
grep -qF "127.0.0.1:$BAD_PORT" "$RUNS/bad-server.err" ||
  fail "server with another address's token: stderr does not name its public_addr 127.0.0.1:$BAD_PORT: $(head -c 500 "$RUNS/bad-server.err")"
port_closed "$BAD_PORT" || fail "a build server listens on $BAD_PORT after refusing its token"
log "mismatched server token refused (exit $(rc_of bad-server)): $(head -c 200 "$RUNS/bad-server.err")"

log "scheduler and two build servers"
start_scheduler "$CONF/scheduler.conf"
expect_eq "$(sched_status num_servers)" 0 "num_servers before any build server"
write_server_conf a "$A_PORT" "$TOKEN_A"
write_server_conf b "$B_PORT" "$TOKEN_B"
start_build_server a "$A_PORT"
A_PID=$SRV_PID
start_build_server b "$B_PORT"
B_PID=$SRV_PID
wait_until 20 status_is num_servers 2 ||
  fail "/status: num_servers is $(sched_status num_servers) 20 s after starting two build servers"
expect_eq "$(sched_status in_progress)" 0 "in_progress with no jobs"
drv status-2 status
log "status: $(jq -c . "$RUNS/status-2.out")"

log "toolchains (gzip -1)"
bash "$PKG" "$TEST_TMP/tc-gcc" /usr/bin/gcc "$(gcc -print-prog-name=cc1)" /usr/bin/as
drv pack-gcc pack "$TEST_TMP/tc-gcc" "$TEST_TMP/gcc.tgz"
GCC_TC=$TEST_TMP/gcc.tgz
GCC_ID=$(jr pack-gcc .archive_id)
log "gcc toolchain: $(jr pack-gcc .bytes) bytes, id $GCC_ID"
if ((HAVE_CLANG)); then
  CLANG_EXE=$(command -v clang)
  bash "$PKG" "$TEST_TMP/tc-clang" "$CLANG_EXE" "$(readlink -f "$CLANG_EXE")"
  drv pack-clang pack "$TEST_TMP/tc-clang" "$TEST_TMP/clang.tgz"
  CLANG_TC=$TEST_TMP/clang.tgz
  log "clang toolchain: $(jr pack-clang .bytes) bytes"
  rm -rf "$TEST_TMP/tc-clang"
fi

# ---------------------------------------------------------------------------------------------
log "gcc: 6 TUs in waves of 1, 2 and 3 jobs held at once"
for i in 1 2 3 4 5 6 7 8 9; do gen_tu "g$i" "$i"; done
CARGS=(-O2)
wave w1 gcc "$GCC_TC" /usr/bin/gcc g1.i
expect_eq "$(jr w1 '.[0].need_toolchain')" true "the first job's need_toolchain"
expect_eq "$(jr w1 '.[0].submit')" Success "submit_toolchain reply of the first job"
CARGS=(-O2 -g)
wave w2 gcc "$GCC_TC" /usr/bin/gcc g2.i g3.i
expect_eq "$(servers_of w2)" "$(printf '%s\n' "$A_ID" "$B_ID" | sort | tr '\n' ' ' | sed 's/ $//')" \
  "servers of two jobs held at once (the least loaded server takes each)"
CARGS=(-O1 -fPIC -g -Wall)
wave w3 gcc "$GCC_TC" /usr/bin/gcc g4.i g5.i g6.i
expect_eq "$(jr w3 '[.[].server_id] | unique | length')" 2 "number of servers taking three jobs held at once"
jq -s add "$RUNS/w1.out" "$RUNS/w2.out" "$RUNS/w3.out" >"$TEST_TMP/gcc-jobs.json"
expect_eq "$(jq '[.[].server_id] | unique | length' "$TEST_TMP/gcc-jobs.json")" 2 "servers used by the gcc jobs"
# Per server, in job order: the first job needs the toolchain, the later ones do not.
bad=$(jq -c 'group_by(.server_id)[] | sort_by(.job_id) | to_entries[]
  | select(.value.need_toolchain != (.key == 0)) | .value | {job_id, server_id, need_toolchain}' \
  "$TEST_TMP/gcc-jobs.json")
[[ -z $bad ]] || fail "need_toolchain is not 'first job per server only': $bad"
expect_eq "$(jq '[.[] | select(.submit != null) | .submit] | unique | join(",")' -r "$TEST_TMP/gcc-jobs.json")" \
  Success "submit_toolchain replies"
expect_eq "$(jq '[.[] | select(.submit != null)] | length' "$TEST_TMP/gcc-jobs.json")" 2 \
  "toolchain uploads (one per server)"
wait_until 5 status_is in_progress 0 ||
  fail "/status in_progress is $(sched_status in_progress) after every job completed (job states not relayed?)"

# ---------------------------------------------------------------------------------------------
if ((HAVE_CLANG)); then
  log "clang: one TU with the clang toolchain"
  gen_tu c1 11 clang
  CARGS=(-O2 -g)
  wave wc clang "$CLANG_TC" "$CLANG_EXE" c1.i
  expect_eq "$(jr wc '.[0].need_toolchain')" true "need_toolchain of the first clang job"
  expect_eq "$(jr wc '.[0].submit')" Success "submit_toolchain reply of the clang toolchain"
else
  log "clang not found: the clang scenario is not run"
fi

# ---------------------------------------------------------------------------------------------
log "a compile error: exit code and stderr come back, no object"
write_file "$WORK/src/bad.c" <<'EOF'
#include <stddef.h>
int bad_fn(int x) {
  return x + undeclared_thing;
}
EOF
(cd "$WORK" && gcc -E src/bad.c -o bad.i)
# The build server only gets bad.i: without src/bad.c gcc prints no source line under the
# message. Remove it so the host compile sees the same files.
rm "$WORK/src/bad.c"
CARGS=(-O2)
wave werr gcc "$GCC_TC" /usr/bin/gcc bad.i
expect_ne "$(jr werr '.[0].code')" 0 "exit code of a failing compile"
grep -q "error: .undeclared_thing. undeclared" "$OUT/werr/bad.stderr" ||
  fail "stderr of the failing compile does not name the error: $(head -c 500 "$OUT/werr/bad.stderr")"
wait_until 5 status_is in_progress 0 || fail "/status in_progress is $(sched_status in_progress) after the failed compile"

# ---------------------------------------------------------------------------------------------
log "auth: client tokens"
DRV_TOKEN=not-the-token drv alloc-wrong alloc --archive-id "$GCC_ID"
expect_refused alloc-wrong 401 bearer_auth_failed "alloc_job with a wrong client token"
drv alloc-none alloc --archive-id "$GCC_ID" --no-token
expect_refused alloc-none 401 no_bearer_auth "alloc_job without a token"

log "auth: server tokens"
OTHER_KEY=$(dist auth generate-jwt-hs256-key)
expect_ne "$OTHER_KEY" "$KEY" "a second HS256 key"
drv hb-otherkey heartbeat --bearer "$(dist auth generate-jwt-hs256-server-token --secret-key "$OTHER_KEY" --server "$A_ID")"
expect_refused hb-otherkey 401 invalid_jwt "heartbeat with a server token made from another key"
drv hb-addr heartbeat --bearer "$(dist auth generate-jwt-hs256-server-token --config "$CONF/scheduler.conf" --server 10.1.2.3:4000)"
expect_refused hb-addr 401 invalid_bearer_token_mismatched_address "heartbeat from 127.0.0.1 with a valid token for 10.1.2.3:4000"
drv forge-srv forge-none "{\"server_id\":\"$A_ID\"}"
drv hb-none heartbeat --bearer "$(cat "$RUNS/forge-srv.out")"
expect_refused hb-none 401 invalid_jwt "heartbeat with an unsigned (alg none) server token"
expect_eq "$(sched_status num_servers)" 2 "num_servers after the refused heartbeats"

log "auth: job tokens"
for j in 1 2 3; do
  drv "alloc$j" alloc --archive-id "$GCC_ID"
  expect_eq "$(jr "alloc$j" .status)" 200 "alloc_job $j: HTTP status ($(head -c 300 "$RUNS/alloc$j.out"))"
  declare "J${j}_ID=$(jr "alloc$j" .body.Success.job_alloc.job_id)"
  declare "J${j}_SRV=$(jr "alloc$j" .body.Success.job_alloc.server_id)"
  declare "J${j}_AUTH=$(jr "alloc$j" .body.Success.job_alloc.auth)"
  expect_eq "$(jr "alloc$j" .body.Success.need_toolchain)" false "need_toolchain of job $j (both servers have it)"
done
log "held jobs: $J1_ID on $J1_SRV, $J2_ID on $J2_SRV, $J3_ID on $J3_SRV"
expect_eq "$J3_SRV" "$J1_SRV" "server of the third held job (both servers hold one)"
expect_ne "$J2_SRV" "$J1_SRV" "server of the second held job"
CARGS=(-O2)
run_args=(--exe /usr/bin/gcc --cwd "$WORK" --input "$WORK/g1.i" --output g1.o -- "${CARGS[@]}" -c g1.i -o g1.o)
drv tok-other run --server "$J1_SRV" --job "$J3_ID" --auth="$J1_AUTH" "${run_args[@]}"
expect_refused tok-other 401 invalid_jwt "run_job $J3_ID with the token of job $J1_ID (same server)"
jr tok-other .error.description | grep -q "another job" ||
  fail "run_job with another job's token: description does not say 'another job': $(jq -c .error "$RUNS/tok-other.out")"
drv forge forge-none "{\"job_id\":$J1_ID}"
drv tok-none run --server "$J1_SRV" --job "$J1_ID" --auth="$(cat "$RUNS/forge.out")" "${run_args[@]}"
expect_refused tok-none 401 invalid_jwt "run_job with a forged alg-none job token"
drv tok-server run --server "$J2_SRV" --job "$J1_ID" --auth="$J1_AUTH" "${run_args[@]}"
expect_refused tok-server 401 invalid_jwt "run_job on $J2_SRV with a job token of $J1_SRV"
drv tok-submit submit --server "$J2_SRV" --job "$J1_ID" --auth="$J1_AUTH" "$GCC_TC"
expect_refused tok-submit 401 invalid_jwt "submit_toolchain on $J2_SRV with a job token of $J1_SRV"
log "auth: the right job tokens still work"
for j in 1 2 3; do
  id_var=J${j}_ID srv_var=J${j}_SRV auth_var=J${j}_AUTH
  drv "tok-ok$j" run --server "${!srv_var}" --job "${!id_var}" --auth="${!auth_var}" --out-dir "$OUT/tok-ok$j" "${run_args[@]}"
  expect_eq "$(jr "tok-ok$j" .http_status)" 200 "run_job ${!id_var} with its own token ($(head -c 300 "$RUNS/tok-ok$j.out"))"
  expect_eq "$(jr "tok-ok$j" .code)" 0 "exit code of job ${!id_var}"
  expect_same_file "$REF/w1/g1.o" "$OUT/tok-ok$j/g1.o" "object of job ${!id_var}"
done
wait_until 5 status_is in_progress 0 || fail "/status in_progress is $(sched_status in_progress) after the held jobs ran"

# ---------------------------------------------------------------------------------------------
log "hostile archives: '..' and absolute entries refused before anything is written"
printf 'escaped!\n' >"$TEST_TMP/payload.txt"
[[ ! -e /escape ]] && root_escape_check=1 || root_escape_check=0
# A refused run_job ends its job (issue 14 item 9): every run below gets a job of its own.
alloc_h() {
  drv "alloc-h.$1" alloc --archive-id "$GCC_ID"
  H_ID=$(jr "alloc-h.$1" .body.Success.job_alloc.job_id)
  H_SRV=$(jr "alloc-h.$1" .body.Success.job_alloc.server_id)
  H_AUTH=$(jr "alloc-h.$1" .body.Success.job_alloc.auth)
}
alloc_h dotdot
# From builds/<n>/{target,upper} this names $TEST_TMP/escape; from the sandbox root, /escape.
dotdot=../../../../../escape
drv hostile-dotdot run --server "$H_SRV" --job "$H_ID" --auth="$H_AUTH" --entry "$dotdot=$TEST_TMP/payload.txt" "${run_args[@]}"
expect_refused hostile-dotdot 400 - "run_job with an inputs entry '$dotdot'"
jr hostile-dotdot .error.description | grep -qF "'$dotdot'" ||
  fail "refusal of '$dotdot' does not name the entry: $(jq -c .error "$RUNS/hostile-dotdot.out")"
drv hostile-again run --server "$H_SRV" --job "$H_ID" --auth="$H_AUTH" "${run_args[@]}"
expect_eq "$(jr hostile-again .error)" JobNotFound "run_job again on the refused job $H_ID"
alloc_h abs
abs=$TEST_TMP/escape-abs
drv hostile-abs run --server "$H_SRV" --job "$H_ID" --auth="$H_AUTH" --entry "$abs=$TEST_TMP/payload.txt" "${run_args[@]}"
expect_refused hostile-abs 400 - "run_job with an absolute inputs entry '$abs'"
jr hostile-abs .error.description | grep -qF "'$abs'" ||
  fail "refusal of '$abs' does not name the entry: $(jq -c .error "$RUNS/hostile-abs.out")"
[[ ! -e $TEST_TMP/escape ]] || fail "$TEST_TMP/escape was created"
[[ ! -e $abs ]] || fail "$abs was created"
((root_escape_check == 0)) || [[ ! -e /escape ]] || fail "/escape was created"
found=$(find "$TEST_TMP" -name 'escape*' 2>/dev/null | head -5)
[[ -z $found ]] || fail "files named escape* appeared: $found"
alloc_h after
drv hostile-after run --server "$H_SRV" --job "$H_ID" --auth="$H_AUTH" --out-dir "$OUT/hostile-after" "${run_args[@]}"
expect_eq "$(jr hostile-after .http_status)" 200 "run_job $H_ID with clean inputs after two refused jobs ($(head -c 300 "$RUNS/hostile-after.out"))"
expect_same_file "$REF/w1/g1.o" "$OUT/hostile-after/g1.o" "object of job $H_ID after the refused archives"

log "hostile toolchain: bytes that do not match the archive id"
BOGUS_ID=$(printf 'not the gcc toolchain' | sha256sum | cut -d' ' -f1)
drv alloc-bogus alloc --archive-id "$BOGUS_ID"
expect_eq "$(jr alloc-bogus .body.Success.need_toolchain)" true "need_toolchain for an unknown archive id"
BG_ID=$(jr alloc-bogus .body.Success.job_alloc.job_id)
BG_SRV=$(jr alloc-bogus .body.Success.job_alloc.server_id)
BG_AUTH=$(jr alloc-bogus .body.Success.job_alloc.auth)
drv submit-bogus submit --server "$BG_SRV" --job "$BG_ID" --auth="$BG_AUTH" "$GCC_TC"
expect_eq "$(jr submit-bogus .status)" 200 "HTTP status of submit_toolchain with mismatching bytes"
jr submit-bogus '.body.CannotCache // empty' | grep -q "digest mismatch" ||
  fail "submit_toolchain with mismatching bytes: expected CannotCache 'digest mismatch', got $(jq -c .body "$RUNS/submit-bogus.out")"
log "refused: $(jq -c .body "$RUNS/submit-bogus.out" | head -c 200)"
found=$(find "$TEST_TMP/dist-a/cache" "$TEST_TMP/dist-b/cache" -name "*$BOGUS_ID*" 2>/dev/null | head -3)
[[ -z $found ]] || fail "the refused toolchain was stored: $found"
drv run-bogus run --server "$BG_SRV" --job "$BG_ID" --auth="$BG_AUTH" "${run_args[@]}"
[[ $(jr run-bogus .code) == null ]] ||
  fail "a job whose toolchain was refused ran: $(head -c 400 "$RUNS/run-bogus.out")"
log "run_job without its toolchain: HTTP $(jr run-bogus .http_status) $(jq -c .error "$RUNS/run-bogus.out" | head -c 200)"
# The refused job frees its slot: the server completes it at the scheduler and forgets it.
wait_until 5 status_is in_progress 0 ||
  fail "/status in_progress is $(sched_status in_progress) after job $BG_ID's toolchain was refused (slot leaked)"

# ---------------------------------------------------------------------------------------------
log "liveness: kill build server B; it drops out, jobs go to A"
expect_eq "$(sched_status num_servers)" 2 "num_servers before the kill"
kill "$B_PID"
killed_at=$SECONDS
wait_until 15 pid_gone "$B_PID" || fail "build server B (pid $B_PID) still runs 15 s after SIGTERM"
wait "$B_PID" 2>/dev/null || true
untrack_pid "$B_PID"
wait_until 5 status_is num_servers 1 ||
  fail "/status num_servers is $(sched_status num_servers) $((SECONDS - killed_at)) s after killing build server B"
log "num_servers 1 after $((SECONDS - killed_at)) s"
CARGS=(-O2 -g)
wave wlive gcc "$GCC_TC" /usr/bin/gcc g7.i g8.i g9.i
expect_eq "$(servers_of wlive)" "$A_ID" "servers of the jobs after B died"
expect_eq "$(jr wlive '[.[].need_toolchain] | unique | join(",")')" false "need_toolchain on A after B died"
expect_eq "$(sched_status num_servers)" 1 "num_servers after the jobs"
pid_alive "$A_PID" || fail "build server A died"
log "final status: in_progress $(sched_status in_progress), num_cpus $(sched_status num_cpus)"
