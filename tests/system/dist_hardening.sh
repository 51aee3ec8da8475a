#!/usr/bin/env bash
# sccache-dist against hostile clients (issue 14, items 8-14), on a scheduler and one build server
# of dist_lib.sh. The build server runs under `prlimit --as` (1.5 GB), so a daemon that held what
# it is sent would die here instead of taking the machine down. Raw requests come from
# data/dist_attack.py; ordinary ones from data/dist_driver.py.
#   12 SCCACHE_DIST_SERVER_TIMEOUT_SECS / SCCACHE_DIST_HEARTBEAT_SECS: abc, -5, 0 -> exit 2 naming it
#   13 a second scheduler / build server on a port in use: exit 2; the build dir of the running
#      one is untouched
#   14 a heartbeat JWT with an expired exp: 401; an empty client_auth.token: exit 2; a build_dir
#      that is not empty and has no marker: exit 2, its files kept
#    8 unauthenticated 1 GiB POSTs: 401 from the headers, at once (three at a time, the server
#      lives); authenticated bodies over max_toolchain_size / max_job_input_size: 413 naming the
#      setting; no Content-Length: 411; an endless header line is cut off (64 KiB of headers);
#      refused jobs end (in_progress back to 0)
#    9 run_job with wrongly typed JSON: 400 naming the field, the slot is given back (repeatedly)
#   10 a job flooding stdout, and one writing a 100 MB output, over max_job_output_size (16 MiB):
#      an error naming the setting; a small job still runs
#   11 ten connections dripping request headers to the scheduler, ten dripping TLS handshake
#      bytes to the build server: other requests are answered at once, the drippers are cut off
#      after http_header_timeout_secs (3 here)
# Needs root (the overlay sandbox), bwrap, curl, jq, prlimit and python3.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=services.sh
source "$(dirname "$0")/services.sh"
# shellcheck source=dist_lib.sh
source "$(dirname "$0")/dist_lib.sh"
require_dist_cluster
require_tool python3 jq prlimit
setup

PY=$(python3 -c 'import sys; print(sys.executable)')
ATTACK=$SYSTEST_DIR/data/dist_attack.py
DRIVER=$SYSTEST_DIR/data/dist_driver.py
DIST_SCHED_EXTRA_CONF='http_header_timeout_secs = 3'
DIST_SRV_EXTRA_CONF=$'http_header_timeout_secs = 3\nmax_job_output_size = 16777216\nmax_job_input_size = 8388608\nmax_toolchain_size = 67108864'
DIST_SRV_PREFIX="env MALLOC_ARENA_MAX=2 prlimit --as=1500000000 --"
start_dist_cluster a
SRV=127.0.0.1:${DIST_SRV_PORT[a]}
SCHED=127.0.0.1:$DIST_SCHED_PORT

attack() { # attack TAG ARGS...: dist_attack.py; its JSON in $RUNS/TAG.out
  local tag=$1
  shift
  run_to "$tag" "$PY" "$ATTACK" --scheduler "$SCHED" "$@"
  [[ $(rc_of "$tag") == 0 ]] || fail "dist_attack $1 ($tag) exited $(rc_of "$tag"): $(head -c 1000 "$RUNS/$tag.err")"
}
drv() { # drv TAG ARGS...: dist_driver.py with the client token
  local tag=$1
  shift
  run_to "$tag" "$PY" "$DRIVER" --scheduler "$SCHED" --token="$DIST_CLIENT_TOKEN" "$@"
  [[ $(rc_of "$tag") == 0 ]] || fail "dist_driver $1 ($tag) exited $(rc_of "$tag"): $(head -c 1000 "$RUNS/$tag.err")"
}
jr() { jq -r "$2" "$RUNS/$1.out"; }
server_alive() { kill -0 "${DIST_SRV_PID[a]}" 2>/dev/null || fail "build server a died: $(service_log_tail "$TEST_TMP/server-dist-a.log")"; }
# alloc TAG: a job on server a (its id and token in JOB_ID, JOB_AUTH)
alloc() {
  drv "$1" alloc --archive-id "${ARCHIVE_ID:-00}"
  JOB_ID=$(jr "$1" .body.Success.job_alloc.job_id)
  JOB_AUTH=$(jr "$1" .body.Success.job_alloc.auth)
  [[ $JOB_ID =~ ^[0-9]+$ ]] || fail "alloc_job: $(head -c 300 "$RUNS/$1.out")"
}
no_jobs_in_progress() { [[ $(dist_status in_progress) == 0 ]]; }
expect_no_jobs() {
  wait_until 5 no_jobs_in_progress || fail "$1: in_progress stays $(dist_status in_progress)"
}
# expect_exit2 TAG WHAT TEXT CMD...: CMD exits 2 and says TEXT on stderr
expect_exit2() {
  local tag=$1 what=$2 text=$3
  shift 3
  run_to "$tag" "$@"
  expect_eq "$(rc_of "$tag")" 2 "$what: exit status ($(head -c 300 "$RUNS/$tag.err"))"
  grep -qF -- "$text" "$RUNS/$tag.err" || fail "$what: stderr does not say '$text': $(head -c 500 "$RUNS/$tag.err")"
  log "$what: exit 2: $(head -c 200 "$RUNS/$tag.err")"
}

log "item 12: strict durations from the environment"
for v in abc -5 0 99999999999999999999; do
  expect_exit2 "timeout.$v" "SCCACHE_DIST_SERVER_TIMEOUT_SECS=$v" SCCACHE_DIST_SERVER_TIMEOUT_SECS \
    env SCCACHE_NO_DAEMON=1 SCCACHE_DIST_SERVER_TIMEOUT_SECS="$v" "$DIST_BIN" scheduler --config "$TEST_TMP/dist/scheduler.conf"
  expect_exit2 "heartbeat.$v" "SCCACHE_DIST_HEARTBEAT_SECS=$v" SCCACHE_DIST_HEARTBEAT_SECS \
    env SCCACHE_DIST_HEARTBEAT_SECS="$v" "$DIST_BIN" server --config "$TEST_TMP/dist/a.conf"
done

log "item 13: a second daemon on a port in use does not start"
BUILDS=$(dist_build_jobs a)
mkdir -p "$BUILDS/sentinel"
expect_exit2 sched2 "second scheduler" "cannot listen on $SCHED" \
  env SCCACHE_NO_DAEMON=1 "$DIST_BIN" scheduler --config "$TEST_TMP/dist/scheduler.conf"
expect_exit2 server2 "second build server" "cannot listen on $SRV" \
  env SCCACHE_DIST_HEARTBEAT_SECS=1 "$DIST_BIN" server --config "$TEST_TMP/dist/a.conf"
[[ -d $BUILDS/sentinel ]] || fail "the second build server deleted the running one's build dir"
rmdir "$BUILDS/sentinel"
expect_eq "$(dist_status num_servers)" 1 "servers after the refused starts"

log "item 14: expired JWTs, empty tokens, a foreign build_dir"
KEY=$(sed -n 's/^secret_key = "\(.*\)"$/\1/p' "$TEST_TMP/dist/scheduler.conf")
attack jwt.expired hs256 --key="$KEY" --claims "{\"server_id\": \"127.0.0.1:1\", \"exp\": $(($(date +%s) - 60))}"
drv hb.expired heartbeat --bearer "$(out_of jwt.expired)"
expect_eq "$(jr hb.expired .status)" 401 "heartbeat with an expired JWT ($(head -c 300 "$RUNS/hb.expired.out"))"
attack jwt.early hs256 --key="$KEY" --claims "{\"server_id\": \"127.0.0.1:1\", \"nbf\": $(($(date +%s) + 3600))}"
drv hb.early heartbeat --bearer "$(out_of jwt.early)"
expect_eq "$(jr hb.early .status)" 401 "heartbeat with a JWT valid only in an hour"
expect_eq "$(dist_status num_servers)" 1 "servers after the forged heartbeats"
sed 's/^token = ".*"$/token = ""/' "$TEST_TMP/dist/scheduler.conf" >"$TEST_TMP/empty-token.conf"
# shellcheck disable=SC2016 # backquotes are part of the message
expect_exit2 empty.token "client_auth.token = \"\"" '`client_auth.token` must not be empty' \
  env SCCACHE_NO_DAEMON=1 "$DIST_BIN" scheduler --config "$TEST_TMP/empty-token.conf"
mkdir -p "$TEST_TMP/precious/src"
echo 'int main;' >"$TEST_TMP/precious/src/main.c"
reserve_port FOREIGN_PORT
sed -e "s|^build_dir = .*|build_dir = \"$TEST_TMP/precious\"|" -e "s|127.0.0.1:${DIST_SRV_PORT[a]}|127.0.0.1:$FOREIGN_PORT|" \
  -e '/^\[scheduler_auth\]/,$d' "$TEST_TMP/dist/a.conf" >"$TEST_TMP/foreign.conf"
printf '[scheduler_auth]\ntype = "DANGEROUSLY_INSECURE"\n' >>"$TEST_TMP/foreign.conf"
expect_exit2 foreign.dir "build_dir with data and no marker" '.sccache-dist-build-dir' \
  "$DIST_BIN" server --config "$TEST_TMP/foreign.conf"
expect_eq "$(cat "$TEST_TMP/precious/src/main.c")" 'int main;' "the foreign build_dir's file"

log "item 8: authentication and sizes from the headers, before the body"
for i in 1 2 3; do
  "$PY" "$ATTACK" --scheduler "$SCHED" raw --server "$SRV" --path /api/v1/distserver/submit_toolchain/1 \
    --token=bogus --length 1073741824 --send 209715200 >"$RUNS/unauth.$i.out" 2>"$RUNS/unauth.$i.err" &
  UNAUTH_PIDS+=($!)
done
for p in "${UNAUTH_PIDS[@]}"; do wait "$p" || fail "dist_attack raw (pid $p) failed"; done
for i in 1 2 3; do
  expect_eq "$(jr "unauth.$i" .status)" 401 "unauthenticated 1 GiB POST $i ($(head -c 300 "$RUNS/unauth.$i.out"))"
  expect_le "$(jr "unauth.$i" '.seconds | floor')" 3 "seconds to the 401 of POST $i"
done
server_alive
alloc job.big
attack big.tc raw --server "$SRV" --path "/api/v1/distserver/submit_toolchain/$JOB_ID" --token="$JOB_AUTH" --length 104857600
expect_eq "$(jr big.tc .status)" 413 "a 100 MiB toolchain ($(head -c 300 "$RUNS/big.tc.out"))"
grep -q max_toolchain_size "$RUNS/big.tc.out" || fail "the 413 does not name max_toolchain_size: $(cat "$RUNS/big.tc.out")"
alloc job.big2
attack big.in raw --server "$SRV" --path "/api/v1/distserver/run_job/$JOB_ID" --token="$JOB_AUTH" --length 9437184 --send 9437184
expect_eq "$(jr big.in .status)" 413 "9 MiB of job inputs ($(head -c 300 "$RUNS/big.in.out"))"
grep -q max_job_input_size "$RUNS/big.in.out" || fail "the 413 does not name max_job_input_size: $(cat "$RUNS/big.in.out")"
alloc job.nolen
attack nolen raw --server "$SRV" --path "/api/v1/distserver/run_job/$JOB_ID" --token="$JOB_AUTH" --no-length
expect_eq "$(jr nolen .status)" 411 "run_job without Content-Length"
attack sched.nolen raw --sched --path /api/v1/scheduler/alloc_job --token="$DIST_CLIENT_TOKEN" --no-length
expect_eq "$(jr sched.nolen .status)" 411 "alloc_job without Content-Length"
attack sched.big raw --sched --path /api/v1/scheduler/alloc_job --token="$DIST_CLIENT_TOKEN" --length 1073741824
expect_eq "$(jr sched.big .status)" 413 "a 1 GiB alloc_job"
for target in "--sched" "--server $SRV"; do
  # shellcheck disable=SC2086 # the target is two words
  attack "long.${target%% *}" long-header $target
  expect_le "$(jr "long.${target%% *}" .sent)" 16777216 "bytes of an endless header line taken ($target)"
done
expect_no_jobs "after the refused bodies"
server_alive

# A real toolchain from here on, so that a job gets as far as it can (the old failure of item 9
# came after the job had started).
bash "$SYSTEST_DIR/data/pkg-toolchain.sh" "$TEST_TMP/tc" /bin/sh /usr/bin/head >/dev/null
drv pack pack "$TEST_TMP/tc" "$TEST_TMP/tc.tgz"
ARCHIVE_ID=$(jr pack .archive_id)
run_sh() { # run_sh TAG OUTPUT SCRIPT: one job on server a
  alloc "$1.alloc"
  if [[ $(jr "$1.alloc" .body.Success.need_toolchain) == true ]]; then
    drv "$1.submit" submit --server "$SRV" --job "$JOB_ID" --auth="$JOB_AUTH" "$TEST_TMP/tc.tgz"
  fi
  drv "$1" run --server "$SRV" --job "$JOB_ID" --auth="$JOB_AUTH" --exe /bin/sh --cwd /work \
    --output "$2" --out-dir "$TEST_TMP/out.$1" -- -c "$3"
}
run_sh tc.first small.out 'echo warm'
log "item 9: wrongly typed run_job requests are refused and give the slot back"
for i in 1 2 3 4 5 6; do
  alloc "job.bad.$i"
  expect_eq "$(jr "job.bad.$i" .body.Success.need_toolchain)" false "need_toolchain of job $i"
  attack "bad.$i" bad-run --server "$SRV" --job "$JOB_ID" --auth="$JOB_AUTH" \
    --meta '{"command": {"executable": "/bin/sh", "arguments": 5, "cwd": "/"}, "outputs": []}'
  expect_eq "$(jr "bad.$i" .status)" 400 "ill-typed run_job $i ($(head -c 300 "$RUNS/bad.$i.out"))"
  grep -qF 'command.arguments' "$RUNS/bad.$i.out" || fail "the 400 does not name command.arguments: $(cat "$RUNS/bad.$i.out")"
done
alloc job.bad.env
attack bad.env bad-run --server "$SRV" --job "$JOB_ID" --auth="$JOB_AUTH" \
  --meta '{"command": {"executable": "/bin/sh", "env_vars": [["A", 1]]}, "outputs": "x"}'
expect_eq "$(jr bad.env .status)" 400 "run_job with a number as an env value"
expect_no_jobs "after the ill-typed run_jobs"

log "item 10: job output caps (max_job_output_size = 16 MiB)"
run_sh flood.stdout none.out 'head -c 200000000 /dev/zero'
expect_eq "$(jr flood.stdout .http_status)" 500 "a job printing 200 MB ($(head -c 300 "$RUNS/flood.stdout.out"))"
grep -q max_job_output_size "$RUNS/flood.stdout.out" || fail "no max_job_output_size in: $(head -c 300 "$RUNS/flood.stdout.out")"
run_sh flood.file big.out 'head -c 100000000 /dev/zero > big.out'
expect_eq "$(jr flood.file .http_status)" 500 "a job writing a 100 MB output"
grep -q max_job_output_size "$RUNS/flood.file.out" || fail "no max_job_output_size in: $(head -c 300 "$RUNS/flood.file.out")"
server_alive
run_sh small small.out 'head -c 1000 /dev/zero > small.out; echo done'
expect_eq "$(jr small .code)" 0 "a small job after the floods ($(head -c 300 "$RUNS/small.out"))"
expect_eq "$(stat -c %s "$TEST_TMP/out.small/small.out")" 1000 "its output"
expect_no_jobs "after the output floods"

log "item 11: slow clients do not block the daemons"
"$PY" "$ATTACK" --scheduler "$SCHED" drip --sched --count 10 --hold 8 >"$RUNS/drip.sched.out" 2>"$RUNS/drip.sched.err" &
DRIP1=$!
"$PY" "$ATTACK" --scheduler "$SCHED" drip --server "$SRV" --count 10 --hold 8 >"$RUNS/drip.srv.out" 2>"$RUNS/drip.srv.err" &
DRIP2=$!
wait "$DRIP1" || fail "drip --sched failed: $(head -c 500 "$RUNS/drip.sched.err")"
wait "$DRIP2" || fail "drip --server failed: $(head -c 500 "$RUNS/drip.srv.err")"
log "scheduler: $(cat "$RUNS/drip.sched.out"); build server: $(cat "$RUNS/drip.srv.out")"
expect_eq "$(jr drip.sched .probe_status)" 200 "status while 10 clients drip headers"
expect_le "$(jr drip.sched '.probe_seconds | floor')" 1 "seconds for that status"
expect_eq "$(jr drip.srv .probe_status)" 401 "a build server request while 10 clients drip TLS handshakes"
expect_le "$(jr drip.srv '.probe_seconds | floor')" 1 "seconds for that request"
for f in drip.sched drip.srv; do
  expect_eq "$(jr "$f" '[.closed_after[] | select(. == null or . > 6)] | length')" 0 "$f: drippers not cut off within 6 s"
done
server_alive
expect_eq "$(dist_status num_servers)" 1 "servers at the end"
stop_dist_server a
stop_dist_scheduler
log "all hardening checks passed"
