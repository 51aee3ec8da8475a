#!/usr/bin/env bash
# S3 backend against a fake S3 server that fails on purpose (tests/services/fake_s3.py, Python
# stdlib, path style, in memory, logs every request with the client's address):
#   1. 503 SlowDown on the first 2 attempts of each request: retried (100 ms, then 400 ms
#      later), so a compile is a plain miss, the entry gets written (PUT retried too), and the
#      next compile is a hit; no cache error.
#   2. The same with 429 throttling (clang), then with 500, 502 and 504.
#   3. 500 on everything: 3 attempts, then the compile runs uncached with the right output and
#      counts cache errors; the backend is marked down: after the window a probe makes 3
#      attempts again, and a compile inside the (doubled) window sends no request at all.
#   4. Keep-alive: in a fresh sccache server, 10 sequential hits use at most 2 TCP connections.
# Every request must look SigV4-signed (the fake records violations; none are allowed).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=services.sh
source "$(dirname "$0")/services.sh"
require_tool gcc clang curl
setup
for v in $(compgen -e | grep '^AWS_' || true); do unset "$v"; done

FAKE_S3=$SYSTEST_DIR/../services/fake_s3.py
[[ -f $FAKE_S3 ]] || fail "fake S3 server not found at $FAKE_S3"
FS3_DIR=$TEST_TMP/fake_s3
REQLOG=$FS3_DIR/requests.jsonl
FS3_PORT=
reserve_port FS3_PORT
FS3_ENDPOINT=http://127.0.0.1:$FS3_PORT
FS3_LOG=$TEST_TMP/server-fake-s3.log
python3 "$FAKE_S3" "$FS3_PORT" "$FS3_DIR" </dev/null >>"$FS3_LOG" 2>&1 &
FS3_PID=$!
track_pid "$FS3_PID"
fs3_ready() { listens_as "$FS3_PORT" "$FS3_PID" && grep -q '^fake_s3 ready' "$FS3_LOG"; }
wait_service 30 "$FS3_PID" "fake S3 server" "$FS3_LOG" fs3_ready
log "fake S3 pid $FS3_PID ready on $FS3_ENDPOINT"

BUCKET=b
export SCCACHE_BUCKET=$BUCKET SCCACHE_ENDPOINT=$FS3_ENDPOINT
export AWS_ACCESS_KEY_ID=AKIDFAULTTEST AWS_SECRET_ACCESS_KEY=fault-test-secret

# s3_mode QUERY: switch the fake's fault mode (e.g. 'fail_first_n=2&status=503', 'always=500',
# 'mode=normal'); this also resets its per-path attempt counters.
s3_mode() {
  local out
  out=$("$TIMEOUT_BIN" 10 curl -sS -f -X POST "$FS3_ENDPOINT/__control?$1" 2>&1) ||
    fail "fake S3 control '$1' failed: $out"
  log "fake S3 mode: $out"
}
# req_count: requests logged so far. slice N: the ones after the first N, as one JSON array.
req_count() { wc -l <"$REQLOG"; }
slice() { tail -n "+$(($1 + 1))" "$REQLOG" | jq -s -c .; }
# show_slice N: the requests after the first N, one short line each (for failure messages).
show_slice() {
  slice "$1" | jq -r '.[] | "  \(.seq) \(.method) \(.path) \(.status) port \(.port)"' | head -40
}
now() { echo "$EPOCHREALTIME"; }
# fcalc EXPR: floating point arithmetic (jq), e.g. fcalc '1.5 + 2'
fcalc() { jq -n "$1"; }

# lead_run N: the first lookup after the first N requests, i.e. the leading run of requests on
# one path. Prints: path, "METHOD STATUS,..." of the run, and the gaps (ms) between its attempts.
lead_run() {
  slice "$1" | jq -r '
    if length == 0 then "-\t-\t-" else
      .[0].path as $p
      | ((first(range(length) as $i | select(.[$i].path != $p) | $i)) // length) as $n
      | .[:$n] as $run
      | [$p,
         ($run | map("\(.method) \(.status)") | join(",")),
         ([range(1; $n) as $i | ($run[$i].t - $run[$i - 1].t) * 1000 | floor | tostring] | join(","))]
      | @tsv
    end'
}
# path_seq N METHOD PATH: "STATUS,..." of METHOD requests on PATH after the first N requests.
path_seq() {
  slice "$1" | jq -r --arg m "$2" --arg p "$3" 'map(select(.method == $m and .path == $p) | .status) | join(",")'
}

# expect_backoff_gaps GAPS_MS WHAT: two gaps between three attempts, about 100 and 400 ms.
expect_backoff_gaps() {
  local g1 g2
  IFS=, read -r g1 g2 <<<"$1"
  [[ -n $g1 && -n $g2 ]] || fail "$2: expected 2 gaps between 3 attempts, got '$1'"
  ((g1 >= 95 && g1 < 1000)) || fail "$2: first retry came ${g1} ms after the first attempt (expected ~100 ms)"
  ((g2 >= 395 && g2 < 2000)) || fail "$2: second retry came ${g2} ms after the second attempt (expected ~400 ms)"
}

# Sources are made now and compiled only once they are over 2 s old: then direct mode records
# a manifest right after the first compile's entry (no manifest write trails a later hit into
# the next fault mode), and every hit is exactly one manifest GET and one entry GET.
RETRY_CASES=("503 gcc" "429 clang" "500 gcc" "502 gcc" "504 gcc")
for c in "${RETRY_CASES[@]}"; do gen_c "retry_${c// /_}"; done
gen_c keepalive
SOURCES_MADE=$(now)

# ---------------------------------------------------------------------------------------------
# 1, 2: transient failures, retried until they succeed

# retry_case STATUS CC: the first 2 attempts of every request fail with STATUS.
retry_case() {
  local status=$1 cc=$2 name=retry_$1_$2
  s3_mode "fail_first_n=2&status=$status"
  local n0 p1 run gaps p2
  n0=$(req_count)
  snap "$name.0"
  compile_check miss --out "$name.o" -- "$cc" -O1 -c "src/$name.c" -o "$name.o"
  snap "$name.1"
  expect_delta "$name.0" "$name.1" "$J_ERRORS" 0 "$status x2: cache_errors (retries succeeded)"
  expect_delta "$name.0" "$name.1" "$J_WRITES" 1 "$status x2: cache_writes"
  expect_delta "$name.0" "$name.1" "$J_WERR" 0 "$status x2: cache_write_errors (PUT retried)"
  IFS=$'\t' read -r p1 run gaps < <(lead_run "$n0")
  [[ $p1 == "/$BUCKET/"* ]] || fail "$status x2: first request path '$p1' not in bucket $BUCKET:
$(show_slice "$n0")"
  expect_eq "$run" "GET $status,GET $status,GET 404" \
    "$status x2: attempts of the first lookup ($p1) before the next request
$(show_slice "$n0")
  (run)"
  expect_backoff_gaps "$gaps" "$status x2: first lookup"
  log "$status x2: first lookup $p1: $run; gaps ${gaps} ms"
  # The entry lookup and the entry write: the next path, both retried the same way.
  p2=$(slice "$n0" | jq -r --arg p "$p1" 'map(select(.path != $p))[0].path')
  expect_eq "$(path_seq "$n0" GET "$p2")" "$status,$status,404" "$status x2: GETs of the entry $p2"
  expect_eq "$(path_seq "$n0" PUT "$p2")" "$status,$status,200" "$status x2: PUTs of the entry $p2"
  local objects
  objects=$("$TIMEOUT_BIN" 10 curl -sS -f "$FS3_ENDPOINT/__objects")
  expect_ne "$(jq -r --arg p "$p2" '.[$p] // 0' <<<"$objects")" 0 "$status x2: size of the stored entry $p2"
  # Then the manifest (after the entry, in the background): its PUT is retried as well.
  manifest_put_done() { [[ $(path_seq "$n0" PUT "$p1") == *,200 ]]; }
  wait_until 15 manifest_put_done || fail "$status x2: the manifest $p1 was not written:
$(show_slice "$n0")"
  expect_eq "$(path_seq "$n0" PUT "$p1")" "$status,$status,200" "$status x2: PUTs of the manifest $p1"
  expect_eq "$(stat_json "$J_ERRORS")" "$(sval "$name.0" "$J_ERRORS")" "$status x2: cache_errors after the manifest write"
  local n1
  n1=$(req_count)
  compile_check hit --out "$name.o" -- "$cc" -O1 -c "src/$name.c" -o "$name.o"
  expect_eq "$(stat_json "$J_ERRORS")" "$(sval "$name.0" "$J_ERRORS")" "$status x2: cache_errors after the hit"
  expect_eq "$(slice "$n1" | jq -r 'map("\(.method) \(.path) \(.status)") | join(",")')" \
    "GET $p1 200,GET $p2 200" "$status x2: requests of the (direct-mode) hit"
}

start_sccache_server retry
expect_eq "$(stat_json .cache_location)" "S3, bucket: $BUCKET, endpoint: $FS3_ENDPOINT" "cache_location"
pause=$(fcalc "$SOURCES_MADE + 2.3 - $(now)")
if [[ $pause != -* ]]; then sleep "$pause"; fi
for c in "${RETRY_CASES[@]}"; do
  case $c in
  503*) log "1. 503 SlowDown on the first 2 attempts of each request: retried, miss then hit, no errors" ;;
  429*) log "2. 429 throttling on the first 2 attempts: retried likewise" ;;
  *) log "   ${c% *} on the first 2 attempts: retried likewise" ;;
  esac
  read -r st cc <<<"$c"
  retry_case "$st" "$cc"
done

# ---------------------------------------------------------------------------------------------
# 3: retries exhausted, then the backend is marked down

log "3. 500 on every request: 3 attempts, compile right, errors counted, then marked down"
start_sccache_server down
s3_mode always=500
gen_c down
mkdir -p ref
gcc -O1 -c src/down.c -o ref/down.o
n3=$(req_count)
snap d0
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out down.o -- gcc -O1 -c src/down.c -o down.o
wait_stat_ge "$J_WERR" 1 # the entry write: refused (marked down) or failed after 3 attempts
snap d1
# The manifest lookup fails after 3 attempts; the entry lookup fails too (refused while down,
# or its own 3 attempts if the machine took over a second to preprocess): 2 errors either way.
expect_delta d0 d1 "$J_ERRORS" 2 "cache_errors of a compile with every request failing"
IFS=$'\t' read -r dp1 run gaps < <(lead_run "$n3")
expect_eq "$run" "GET 500,GET 500,GET 500" "attempts of the first lookup ($dp1) with 500 on everything
$(show_slice "$n3")
  (run)"
expect_backoff_gaps "$gaps" "500 on everything: first lookup"
expect_eq "$(slice "$n3" | jq --arg p "$dp1" 'map(select(.path == $p)) | length')" 3 \
  "requests on $dp1 during the failing compile"
log "first lookup $dp1: $run; gaps ${gaps} ms; cache_errors +2"

# failed_ops N: "K T" with K the failed operations after the first N requests (each is 3
# attempts that all failed) and T the arrival time of the last failed attempt.
failed_ops() {
  local f k t
  read -r f t < <(slice "$1" | jq -r 'map(select(.fault)) | "\(length) \(.[-1].t // 0)"')
  ((f % 3 == 0)) || fail "failed attempts after request $1: $f, not a multiple of 3:
$(show_slice "$1")"
  k=$((f / 3))
  echo "$k $t"
}
# window_s K: the back-off after K failed operations in a row: 1 s, doubling, at most 10 s.
window_s() {
  local w=1 i
  for ((i = 1; i < $1; i++)); do w=$((w * 2)); done
  ((w > 10)) && w=10
  echo "$w"
}

# Wait the window out: the next compile probes the backend (3 attempts again) and fails, which
# doubles the window. Until enough of a window is left for a whole compile inside it, again.
werr=1
probes=0
while :; do
  read -r k t_last < <(failed_ops "$n3")
  w=$(window_s "$k")
  deadline=$(fcalc "$t_last + $w")
  left_ms=$(fcalc "($deadline - $(now)) * 1000 | floor")
  if ((probes >= 1 && left_ms >= 1500)); then break; fi
  ((probes < 4)) || fail "still under 1.5 s of the back-off window left after $probes probes ($k failed operations)"
  log "$k failed operation(s): marked down for $w s after the last failed attempt (${left_ms} ms left); waiting"
  pause=$(fcalc "$deadline + 0.2 - $(now)")
  if [[ $pause != -* ]]; then sleep "$pause"; fi
  np=$(req_count)
  CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out down.o -- gcc -O1 -c src/down.c -o down.o
  probes=$((probes + 1))
  werr=$((werr + 1))
  wait_stat_ge "$J_WERR" "$werr" # its entry write: refused, the probe having failed
  IFS=$'\t' read -r p run gaps < <(lead_run "$np")
  expect_eq "$p $run" "$dp1 GET 500,GET 500,GET 500" "probe $probes after the back-off window
$(show_slice "$np")
  (path, run)"
  expect_backoff_gaps "$gaps" "probe $probes"
  log "probe $probes after the window: $run; gaps ${gaps} ms"
done

n3c=$(req_count)
snap d2
t_start=$(now)
run_to down_fast "$SCCACHE_BIN" gcc -O1 -c src/down.c -o down.o
t_end=$(now)
expect_eq "$(rc_of down_fast)" 0 "exit code of a compile while marked down"
[[ ! -s $RUNS/down_fast.err ]] || fail "compile while marked down wrote to stderr: $(head -c 300 "$RUNS/down_fast.err")"
expect_same_file ref/down.o down.o "object of a compile while marked down"
werr=$((werr + 1))
wait_stat_ge "$J_WERR" "$werr" # its entry write, refused
snap d3
expect_delta d2 d3 "$J_ERRORS" 2 "cache_errors of a compile while marked down (both lookups refused)"
expect_delta d2 d3 "$J_MISSES" 1 "cache_misses of a compile while marked down"
log "compile while marked down ($k failed operations, window $w s): started" \
  "$(fcalc "($t_start - $t_last) * 1000 | floor") ms after the last failed attempt, took" \
  "$(fcalc "($t_end - $t_start) * 1000 | floor") ms; the window ended $(fcalc "($deadline - $t_end) * 1000 | floor") ms after it"
[[ $(fcalc "$t_end < $deadline - 0.05") == true ]] ||
  fail "too slow to check: the compile while marked down ended after the ${w} s back-off window"
# Nothing may reach the server before the window ends (a later probe, e.g. by the background
# write of that compile, would be fine).
early=$(slice "$n3c" | jq --argjson d "$deadline" 'map(select(.t < $d - 0.05)) | length')
expect_eq "$early" 0 "requests sent while marked down
$(show_slice "$n3c")
  (count)"
log "no request while marked down ($(($(req_count) - n3c)) after the window)"

# ---------------------------------------------------------------------------------------------
# 4: keep-alive

log "4. keep-alive: a fresh sccache server; 10 sequential hits over at most 2 connections"
s3_mode mode=normal
start_sccache_server keep
n4=$(req_count)
compile_check miss --out keepalive.o -- gcc -O2 -c src/keepalive.c -o keepalive.o
# A missing object is a plain miss: one attempt each for the manifest and the entry.
IFS=$'\t' read -r kp1 run _ < <(lead_run "$n4")
expect_eq "$run" "GET 404" "lookups of the manifest $kp1 when nothing is stored (404 NoSuchKey, no retry)"
kp2=$(slice "$n4" | jq -r --arg p "$kp1" 'map(select(.path != $p))[0].path')
expect_eq "$(path_seq "$n4" GET "$kp2")" 404 "lookups of the entry $kp2 when nothing is stored"
# After the entry, direct mode records the manifest (source older than 2 s): wait for that PUT.
manifest_put() { [[ $(path_seq "$n4" PUT "$kp1") == 200 ]]; }
wait_until 15 manifest_put || fail "the manifest $kp1 was not written:
$(show_slice "$n4")"
expect_eq "$(stat_json "$J_ERRORS")" 0 "cache_errors of the keep-alive server"

n5=$(req_count)
for i in 1 2 3 4 5 6 7 8 9 10; do
  compile_check hit --out keepalive.o -- gcc -O2 -c src/keepalive.c -o keepalive.o
done
read -r reqs bad ports < <(slice "$n5" |
  jq -r '"\(length) \(map(select(.method != "GET" or .status != 200)) | length) \(map(.port) | unique | length)"')
expect_eq "$bad" 0 "requests of the 10 hits other than GET 200
$(show_slice "$n5")
  (count)"
expect_eq "$reqs" 20 "requests of 10 direct-mode hits (manifest + entry each)"
log "10 hits: $reqs requests from $ports client port(s): $(slice "$n5" | jq -r 'map(.port) | group_by(.) | map("\(.[0])x\(length)") | join(" ")')"
expect_le "$ports" 2 "distinct client ports (TCP connections) over 10 sequential hits"

# ---------------------------------------------------------------------------------------------

violations=$(jq -s 'map(select(.violation)) | length' "$REQLOG")
expect_eq "$violations" 0 "requests without SigV4 headers: $(jq -r 'select(.violation) | "\(.method) \(.path): \(.violation)"' "$REQLOG" | head -3)"
log "$(req_count) requests in all, every one signed"
stop_pid "$FS3_PID" TERM "fake S3 server" "$FS3_LOG"
