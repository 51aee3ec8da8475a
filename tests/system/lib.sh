# shellcheck shell=bash
# Shared helpers for the sccache system tests: per-test sandbox, bounded process runs,
# stats access and "same as a plain compile" checks. Source it at the top of every test;
# each test stays runnable alone as `bash tests/system/<name>.sh` (0 pass, 1 fail, 77 skip).
#
# Environment knobs:
#   SCCACHE_BIN        binary under test (default /work/main/build/dev/bin/sccache)
#   SYSTEST_KEEP=1     keep the test's temp dir (its path is printed)
#   SYSTEST_TIMEOUT    upper bound in seconds for one command (default 120)

# shellcheck disable=SC2034 # variables here are used by the test scripts that source this
set -Eeuo pipefail

SCCACHE_BIN=${SCCACHE_BIN:-/work/main/build/dev/bin/sccache}
SYSTEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEST_NAME=$(basename "${0%.sh}")
CMD_TIMEOUT=${SYSTEST_TIMEOUT:-120}
TIMEOUT_BIN=$(command -v timeout || echo timeout) # absolute: tests may narrow PATH
TEST_TMP=
SYSTEST_PIDS=()
SYSTEST_PORTS=()
CHECK_SEQ=0

# ---------------------------------------------------------------------------------------------
# Reporting

log() { printf '[%s +%ss] %s\n' "$TEST_NAME" "$SECONDS" "$*"; }

# fail MESSAGE: record the failure and stop. Works from subshells too: the marker file makes
# the EXIT trap of the main shell report failure even if only a $(...) called fail.
fail() {
  printf '[%s] FAIL: %s\n' "$TEST_NAME" "$*" >&2
  if [[ -n $TEST_TMP && -d $TEST_TMP ]]; then
    printf '%s\n' "$*" >>"$TEST_TMP/FAILED"
  fi
  exit 1
}

# skip WHY: only for a missing tool the test needs; exit code 77.
skip() {
  printf '[%s] SKIP: %s\n' "$TEST_NAME" "$*"
  exit 77
}

require_tool() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || skip "needs '$t', not found on PATH"
  done
}

expect_eq() { # expect_eq ACTUAL EXPECTED [WHAT]
  [[ "$1" == "$2" ]] || fail "${3:-value}: expected '$2', got '$1'"
}

expect_ne() { # expect_ne ACTUAL UNEXPECTED [WHAT]
  [[ "$1" != "$2" ]] || fail "${3:-value}: expected something other than '$2'"
}

expect_le() { # expect_le ACTUAL LIMIT [WHAT]
  (("$1" <= "$2")) || fail "${3:-value}: expected <= $2, got $1"
}

expect_ge() { # expect_ge ACTUAL LIMIT [WHAT]
  (("$1" >= "$2")) || fail "${3:-value}: expected >= $2, got $1"
}

expect_same_file() { # expect_same_file EXPECTED ACTUAL [WHAT]
  [[ -f $1 ]] || fail "${3:-file}: reference '$1' missing"
  [[ -f $2 ]] || fail "${3:-file}: '$2' was not produced"
  if ! cmp -s "$1" "$2"; then
    local why
    why=$(cmp "$1" "$2" 2>&1 | head -1 || true)
    if [[ $(file -b --mime-encoding "$1" 2>/dev/null) != binary ]]; then
      printf '%s\n' "--- diff expected vs actual:" >&2
      diff -u "$1" "$2" | head -40 >&2 || true
    fi
    fail "${3:-file}: '$2' differs from '$1' ($why)"
  fi
}

# ---------------------------------------------------------------------------------------------
# Sandbox

free_port() {
  local p
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    p=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    [[ $p != 4226 ]] && { echo "$p"; return 0; }
  done
  fail "could not find a free port"
}

# use_port PORT: make PORT the sccache port of this test (remembered for cleanup).
use_port() {
  export SCCACHE_SERVER_PORT=$1
  SYSTEST_PORTS+=("$1")
}

# track_pid PID: a process this test started; killed (by PID) in cleanup.
track_pid() { SYSTEST_PIDS+=("$1"); }

port_listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# listener_pid PORT: PID of the process listening on 127.0.0.1:PORT (empty if none).
listener_pid() {
  ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 || true
}

# is_our_binary PID: the process runs $SCCACHE_BIN (possibly rebuilt since: "(deleted)").
is_our_binary() {
  local exe real
  exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
  real=$(readlink -f "$SCCACHE_BIN")
  [[ $exe == "$real" || $exe == "$real (deleted)" ]]
}

# server_pid: PID of the sccache server listening on this test's port, verified to be ours.
server_pid() {
  local pid
  pid=$(listener_pid "$SCCACHE_SERVER_PORT")
  [[ -n $pid ]] && is_our_binary "$pid" && echo "$pid"
  return 0
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s until it succeeds; non-zero on timeout.
wait_until() {
  local limit=$1
  shift
  local deadline=$((SECONDS + limit))
  while ! "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

pid_alive() { kill -0 "$1" 2>/dev/null && [[ $(ps -o stat= -p "$1" 2>/dev/null) != Z* ]]; }
pid_gone() { ! pid_alive "$1"; }
port_closed() { ! port_listening "$1"; }

stop_servers_quietly() {
  local port pid
  for port in "${SYSTEST_PORTS[@]}"; do
    if port_listening "$port"; then
      SCCACHE_SERVER_UDS= SCCACHE_SERVER_PORT=$port "$TIMEOUT_BIN" 20 "$SCCACHE_BIN" --stop-server >/dev/null 2>&1 || true
      if ! wait_until 15 port_closed "$port"; then
        pid=$(listener_pid "$port")
        if [[ -n $pid ]] && is_our_binary "$pid"; then
          printf '[%s] cleanup: server pid %s ignored --stop-server; killing it\n' \
            "$TEST_NAME" "$pid" >&2
          kill -9 "$pid" 2>/dev/null || true
        fi
      fi
    fi
  done
}

kill_tracked_pids() {
  local pid
  for pid in "${SYSTEST_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait_until 5 pid_gone "$pid" || kill -9 "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
}

cleanup() {
  local rc=$?
  set +eE
  trap - ERR
  if [[ -n $TEST_TMP && -d $TEST_TMP ]]; then
    [[ -s $TEST_TMP/FAILED ]] && rc=1
    stop_servers_quietly
    kill_tracked_pids
    if ((rc != 0 && rc != 77)); then
      local f
      for f in "$TEST_TMP"/server*.log; do
        [[ -s $f ]] || continue
        printf '[%s] --- last lines of %s:\n' "$TEST_NAME" "${f##*/}" >&2
        tail -n 30 "$f" >&2
      done
    fi
    if [[ ${SYSTEST_KEEP:-} == 1 ]]; then
      printf '[%s] kept %s\n' "$TEST_NAME" "$TEST_TMP" >&2
    else
      chmod -R u+rwX "$TEST_TMP" 2>/dev/null
      rm -rf "$TEST_TMP"
    fi
  fi
  case $rc in
  0) printf '[%s] PASS\n' "$TEST_NAME" ;;
  77) ;;
  *) printf '[%s] FAILED (exit %s)\n' "$TEST_NAME" "$rc" >&2 ;;
  esac
  exit "$rc"
}

on_err() {
  printf '[%s] FAIL: command failed (exit %s) at %s:%s: %s\n' "$TEST_NAME" "$1" \
    "${BASH_SOURCE[1]##*/}" "$2" "$3" >&2
  [[ -n $TEST_TMP && -d $TEST_TMP ]] && echo "unexpected command failure" >>"$TEST_TMP/FAILED"
}

# setup: call once at the top of a test, after its require_tool lines.
setup() {
  [[ -x $SCCACHE_BIN ]] || fail "sccache binary not found at $SCCACHE_BIN (set SCCACHE_BIN)"
  require_tool python3 jq ss timeout cmp
  TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sccache-sys.$TEST_NAME.XXXXXX")
  trap cleanup EXIT
  trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR
  mkdir -p "$TEST_TMP/home" "$TEST_TMP/tmp" "$TEST_TMP/runs" "$TEST_TMP/ref" "$TEST_TMP/work"

  # Nothing from the caller's sccache setup leaks in.
  local v
  for v in $(compgen -e | grep -E '^(SCCACHE_|RUST_LOG$|RUSTC_WRAPPER$|CCACHE_)' | grep -vx SCCACHE_BIN || true); do
    unset "$v"
  done
  unset MAKEFLAGS MFLAGS CARGO_MAKEFLAGS GCC_COLORS CPATH C_INCLUDE_PATH CPLUS_INCLUDE_PATH \
    SOURCE_DATE_EPOCH DEPENDENCIES_OUTPUT SUNPRO_DEPENDENCIES
  export HOME=$TEST_TMP/home
  export XDG_CONFIG_HOME=$HOME/.config XDG_CACHE_HOME=$HOME/.cache
  export TMPDIR=$TEST_TMP/tmp
  export LC_ALL=C LANG=C
  export SCCACHE_DIR=$TEST_TMP/cache
  export SCCACHE_IDLE_TIMEOUT=0
  export SCCACHE_ERROR_LOG=$TEST_TMP/server.log
  use_port "$(free_port)"
  RUNS=$TEST_TMP/runs
  cd "$TEST_TMP/work"
}

# ---------------------------------------------------------------------------------------------
# Running things

# sc ARGS...: run sccache, bounded.
sc() { "$TIMEOUT_BIN" -k 5 "$CMD_TIMEOUT" "$SCCACHE_BIN" "$@"; }

# run_to TAG CMD...: run CMD bounded, stdin from $RUN_STDIN (default /dev/null); stdout,
# stderr and exit code land in $RUNS/TAG.{out,err,rc}. Never fails by itself except on timeout.
run_to() {
  local tag=$1 rc=0
  shift
  "$TIMEOUT_BIN" -k 5 "$CMD_TIMEOUT" "$@" >"$RUNS/$tag.out" 2>"$RUNS/$tag.err" \
    <"${RUN_STDIN:-/dev/null}" || rc=$?
  echo "$rc" >"$RUNS/$tag.rc"
  ((rc != 124 && rc != 137)) || fail "timed out after ${CMD_TIMEOUT}s: $*"
  return 0
}

rc_of() { cat "$RUNS/$1.rc"; }
out_of() { cat "$RUNS/$1.out"; }
err_of() { cat "$RUNS/$1.err"; }

# ---------------------------------------------------------------------------------------------
# Stats

# stats_refresh: fetch JSON stats into $TEST_TMP/stats.json (auto-starts the server).
stats_refresh() {
  local rc=0
  "$TIMEOUT_BIN" -k 5 60 "$SCCACHE_BIN" --show-stats --stats-format json \
    >"$TEST_TMP/stats.json" 2>"$TEST_TMP/stats.err" </dev/null || rc=$?
  ((rc == 0)) || fail "--show-stats --stats-format json exited $rc: $(head -c 500 "$TEST_TMP/stats.err")"
  # Cheap shape check here; jq reading it later fails loudly on anything unparseable.
  [[ $(head -c 1 "$TEST_TMP/stats.json") == '{' ]] ||
    fail "--show-stats JSON unexpected: $(head -c 500 "$TEST_TMP/stats.json")"
}

# stat_json JQ-EXPR: fresh stats, evaluated with jq -r.
stat_json() {
  stats_refresh
  jq -r "$1" "$TEST_TMP/stats.json"
}

# Counter expressions (absent per-language counters count as 0). Parenthesized: jq's `//`
# binds looser than `+`, and tests add these up.
J_HITS='(.stats.cache_hits.counts["C/C++"] // 0)'
J_MISSES='(.stats.cache_misses.counts["C/C++"] // 0)'
J_ERRORS='(.stats.cache_errors.counts["C/C++"] // 0)'
J_REQS='.stats.compile_requests'
J_WRITES='.stats.cache_writes'
J_WERR='.stats.cache_write_errors'
J_FAILS='.stats.compile_fails'
J_NOTCACHEABLE='.stats.requests_not_cacheable'
J_NOTCOMPILE='.stats.requests_not_compile'
J_UNSUPPORTED='.stats.requests_unsupported_compiler'
J_RECACHE='(.stats.forced_recaches // 0)'
j_reason() { printf '(.stats.not_cached[%s] // 0)' "$(jq -Rn --arg r "$1" '$r')"; }

# snap NAME: keep a copy of the current stats; sval NAME EXPR reads from it.
snap() {
  stats_refresh
  cp "$TEST_TMP/stats.json" "$TEST_TMP/snap.$1.json"
}
sval() { jq -r "$2" "$TEST_TMP/snap.$1.json"; }

# expect_delta FROM TO EXPR N [WHAT]: counter EXPR moved by exactly N between two snaps.
expect_delta() {
  local a b
  a=$(sval "$1" "$3")
  b=$(sval "$2" "$3")
  expect_eq "$((b - a))" "$4" "${5:-$3} change"
}

# wait_writes N [SECONDS]: wait until cache_writes + cache_write_errors >= N.
wait_writes() {
  local n=$1 limit=${2:-15} deadline w
  deadline=$((SECONDS + limit))
  while :; do
    w=$(stat_json "$J_WRITES + $J_WERR")
    ((w >= n)) && return 0
    ((SECONDS < deadline)) || fail "background cache writes: expected $n finished, saw $w after ${limit}s"
    sleep 0.1
  done
}

# ---------------------------------------------------------------------------------------------
# Compile checks

# compile_check EXPECT [--out FILE]... -- CMD...
#   Runs CMD plainly (the reference), keeps its outputs, deletes them, then runs
#   `sccache CMD...` in the same directory and requires: same exit code, byte-identical stdout,
#   stderr and every --out file (or both absent). Then checks the stats moved as EXPECT says:
#     miss      one more miss, no hit; the entry gets written (waits for the background write)
#     hit       one more hit, no miss
#     uncached  no hit, no miss (the compiler ran outside the cache)
#     fail      compile failure counted, no hit, nothing written
#     any       no stats expectation beyond the request count
#   Every case also requires compile_requests +1 and no new cache write error (unless
#   CHECK_ALLOW_WRITE_ERRORS=1).
#   Set CHECK_NO_REF=1 to compare against the outputs kept from the previous compile_check
#   instead of re-running the plain compile (for non-deterministic compilers), and
#   CHECK_OUTPUTS_VARY=1 to only require the --out files to exist (they are still kept).
#   CHECK_DIRECT=1 runs CMD as is for the cached run (masquerading), and CHECK_REF_PATH
#   gives the PATH for the plain run.
compile_check() {
  local expect=$1
  shift
  local outs=()
  while [[ $1 != -- ]]; do
    [[ $1 == --out ]] || fail "compile_check: bad argument '$1'"
    outs+=("$2")
    shift 2
  done
  shift
  local n=$((++CHECK_SEQ)) f i
  local ref=$TEST_TMP/ref/$n
  mkdir -p "$ref"

  if [[ ${CHECK_NO_REF:-} == 1 ]]; then
    local prev=$TEST_TMP/ref/$((n - 1))
    cp "$prev/STDOUT" "$prev/STDERR" "$prev/RC" "$ref/"
    i=0
    for f in "${outs[@]}"; do
      [[ -e $prev/got.$i ]] && cp "$prev/got.$i" "$ref/out.$i"
      i=$((i + 1))
    done
  else
    for f in "${outs[@]}"; do rm -f -- "$f"; done
    if [[ -n ${CHECK_REF_PATH:-} ]]; then
      PATH=$CHECK_REF_PATH run_to "ref$n" "$@"
    else
      run_to "ref$n" "$@"
    fi
    cp "$RUNS/ref$n.out" "$ref/STDOUT"
    cp "$RUNS/ref$n.err" "$ref/STDERR"
    cp "$RUNS/ref$n.rc" "$ref/RC"
    i=0
    for f in "${outs[@]}"; do
      if [[ -e $f ]]; then
        cp -- "$f" "$ref/out.$i"
        stat -c %a -- "$f" >"$ref/mode.$i"
      fi
      i=$((i + 1))
    done
  fi
  for f in "${outs[@]}"; do rm -f -- "$f"; done

  snap "b$n"
  local via=("$SCCACHE_BIN")
  [[ ${CHECK_DIRECT:-} == 1 ]] && via=()
  run_to "sc$n" "${via[@]}" "$@"
  snap "a$n"
  local what="[${via[*]} $*]"
  ((${#what} <= 300)) || what="${what:0:200} ... ${what: -80}"

  expect_eq "$(cat "$RUNS/sc$n.rc")" "$(cat "$ref/RC")" "$what: exit code"
  expect_same_file "$ref/STDOUT" "$RUNS/sc$n.out" "$what: stdout"
  expect_same_file "$ref/STDERR" "$RUNS/sc$n.err" "$what: stderr"
  i=0
  for f in "${outs[@]}"; do
    if [[ -e $ref/out.$i ]]; then
      if [[ ${CHECK_OUTPUTS_VARY:-} == 1 ]]; then
        [[ -f $f ]] || fail "$what: output '$f' was not produced"
      else
        expect_same_file "$ref/out.$i" "$f" "$what: output $f"
      fi
      [[ ${CHECK_NO_REF:-} == 1 ]] ||
        expect_eq "$(stat -c %a -- "$f")" "$(cat "$ref/mode.$i")" "$what: file mode of $f"
      cp -- "$f" "$TEST_TMP/ref/$n/got.$i"
    else
      [[ ! -e $f ]] || fail "$what: produced '$f' but the plain compile did not"
    fi
    i=$((i + 1))
  done

  # One jq call per snapshot: jq start-up dominates the cost of a check otherwise.
  local q="[$J_REQS, $J_WERR, $J_HITS, $J_MISSES, $J_FAILS, $J_WRITES] | @tsv"
  local b a
  read -r -a b < <(jq -r "$q" "$TEST_TMP/snap.b$n.json")
  read -r -a a < <(jq -r "$q" "$TEST_TMP/snap.a$n.json")
  local d_reqs=$((a[0] - b[0])) d_werr=$((a[1] - b[1])) d_hits=$((a[2] - b[2]))
  local d_misses=$((a[3] - b[3])) d_fails=$((a[4] - b[4]))
  expect_eq "$d_reqs" 1 "$what: compile_requests change"
  [[ ${CHECK_ALLOW_WRITE_ERRORS:-} == 1 ]] || expect_eq "$d_werr" 0 "$what: cache_write_errors change"
  case $expect in
  miss)
    expect_eq "$d_hits" 0 "$what: cache hits change"
    expect_eq "$d_misses" 1 "$what: cache misses change"
    [[ ${CHECK_ALLOW_WRITE_ERRORS:-} == 1 ]] || wait_writes "$((b[5] + 1))"
    ;;
  hit)
    expect_eq "$d_hits" 1 "$what: cache hits change"
    expect_eq "$d_misses" 0 "$what: cache misses change"
    ;;
  uncached)
    expect_eq "$d_hits" 0 "$what: cache hits change"
    expect_eq "$d_misses" 0 "$what: cache misses change"
    ;;
  fail)
    expect_eq "$d_hits" 0 "$what: cache hits change"
    expect_eq "$d_fails" 1 "$what: compile_fails change"
    expect_eq "$d_misses" 0 "$what: cache misses change (a failure is not also a miss)"
    ;;
  any) ;;
  *) fail "compile_check: unknown expectation '$expect'" ;;
  esac
  LAST_CHECK=$n
}

# The C and C++ compilers every relevant test runs with.
C_COMPILERS=(gcc clang)
CXX_COMPILERS=(g++ clang++)

# uncacheable REASON --out ... -- CMD: runs uncached, counted under not_cached[REASON].
uncacheable() {
  local reason=$1
  shift
  compile_check uncached "$@"
  expect_delta "b$LAST_CHECK" "a$LAST_CHECK" "$J_NOTCACHEABLE" 1 "requests_not_cacheable"
  expect_delta "b$LAST_CHECK" "a$LAST_CHECK" "$(j_reason "$reason")" 1 "not_cached[\"$reason\"]"
}

# not_compile --out ... -- CMD: runs uncached, counted as a non-compilation call.
not_compile() {
  compile_check uncached "$@"
  expect_delta "b$LAST_CHECK" "a$LAST_CHECK" "$J_NOTCOMPILE" 1 "requests_not_compile"
}

# alt_cc CC: the other C compiler family (gcc <-> clang).
alt_cc() { [[ $1 == gcc ]] && echo clang || echo gcc; }

# write_file PATH [CONTENT-FROM-STDIN]: write stdin to PATH, creating directories.
write_file() {
  mkdir -p "$(dirname "$1")"
  cat >"$1"
}

# start_foreground_server: start the server in its foreground mode (SCCACHE_NO_DAEMON) in the
# background of this shell; sets SERVER_PID; waits until it listens. Logs: server-fg.N.log.
FG_SERVERS=0
start_foreground_server() {
  FG_SERVERS=$((FG_SERVERS + 1))
  local logf=$TEST_TMP/server-fg.$FG_SERVERS.log
  SCCACHE_START_SERVER=1 SCCACHE_NO_DAEMON=1 "$SCCACHE_BIN" >"$logf" 2>&1 </dev/null &
  SERVER_PID=$!
  track_pid "$SERVER_PID"
  wait_until 20 fg_server_listening ||
    fail "foreground server (pid $SERVER_PID) did not listen on $SCCACHE_SERVER_PORT within 20s" \
      "(listener: '$(listener_pid "$SCCACHE_SERVER_PORT")'): $(tail -3 "$logf" "$SCCACHE_ERROR_LOG" 2>/dev/null)"
}
fg_server_listening() {
  pid_alive "$SERVER_PID" || return 1
  [[ $(listener_pid "$SCCACHE_SERVER_PORT") == "$SERVER_PID" ]]
}
