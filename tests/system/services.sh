# shellcheck shell=bash
# Real servers for the remote-cache system tests (Redis, Memcached, an S3 server) and extra
# sccache server instances, for `source`-ing after lib.sh:
#
#   source "$(dirname "$0")/lib.sh"
#   source "$(dirname "$0")/services.sh"
#   require_redis            # before setup: skips (77) if redis-server/redis-cli are missing
#   setup
#   start_redis --maxmemory 100mb
#
# Every server listens on 127.0.0.1 on a port of its own (never one this test already uses),
# keeps its data under $TEST_TMP, logs to $TEST_TMP/server-<what>.log (lib.sh's cleanup prints
# the tail of every server*.log when a test fails) and is stopped by PID: by the stop_* helper
# or, at the latest, by lib.sh's cleanup (track_pid). Restarting on the same port works: a
# second start_* after stop_* reuses the port (and the data directory).
#
# Redis (one at a time)
#   start_redis [redis-server args...]   sets REDIS_PORT, REDIS_PID, REDIS_DIR, REDIS_SOCKET
#       Fixed args: --bind 127.0.0.1 --port <port> --save '' --appendonly no (no persistence:
#       a restart starts empty). Extra args come after them and win, e.g. --requirepass PW,
#       --maxmemory 100mb, or `--unixsocket PATH --port 0` (socket only: REDIS_PORT=0 and
#       REDIS_SOCKET=PATH). A --requirepass PW is remembered in REDIS_PASSWORD for redis_cli.
#       Ready when it answers PING (PONG or NOAUTH).
#   restart_redis                        stop_redis, then start_redis with the same args
#   stop_redis [SIGNAL]                  default TERM; KILL for a crash. Waits until the
#       process is gone and the port is closed (SIGCONT is sent too, so a SIGSTOP'ed server
#       goes away as well).
#   redis_cli [redis-cli options...] CMD...   talks to it (socket or port, with the password)
#   redis_url [DB]                       redis://127.0.0.1:<port>/<db> (default db 0)
# Memcached (any number, by NAME: letters, digits, _)
#   start_memcached NAME [memcached args...]  sets MC_PORT_<NAME>, MC_PID_<NAME>
#       Fixed args: -l 127.0.0.1 -p <port>; defaults -U 0 -m 64 -I 32m (-u root as root);
#       extra args come after them and win (memcached takes the last -I, so `-I 1m` restores
#       the 1 MiB item size limit). Ready when it answers `version`.
#   mc_port NAME / mc_pid NAME           echo them
#   restart_memcached NAME               same port, same args (memcached starts empty)
#   stop_memcached NAME [SIGNAL]         default TERM; waits until gone and port closed
#   mc_cmd NAME COMMAND                  one text-protocol command, prints the raw reply
#   mc_stat NAME STAT [GROUP]            one value of `stats [GROUP]`, e.g. `mc_stat a curr_items`,
#                                        `mc_stat a item_size_max settings`
# S3, Azure Blob and GCS emulators: cloud_services.sh (sourced below)
# sccache server instances (for two servers sharing one backend)
#   use_sccache NAME       switch this shell's SCCACHE_SERVER_PORT, SCCACHE_DIR and
#       SCCACHE_ERROR_LOG to instance NAME (created on first use: own free port registered
#       with use_port, $TEST_TMP/cache.NAME, $TEST_TMP/server.NAME.log). `default` is the
#       instance setup made. SCCACHE_INSTANCE holds the current name. All later sccache
#       commands (compile_check, stat_json, snap...) go to that instance.
#   start_sccache_server NAME   use_sccache NAME, then start its server now (`--start-server`;
#       fails with its stderr and log if that fails). The server reads the backend settings
#       (SCCACHE_REDIS, SCCACHE_BUCKET, AWS_*...) from the environment at that moment, so
#       export them first; a new NAME is the clean way to get a server with other settings.
#   stop_sccache_server [NAME]  `--stop-server` on that instance (default: the current one)
#   shared_compile SRC OUT CC ARGS...   a miss on server a, then a byte-identical hit on server b
#   shared_compiles             shared_compile of src/shared_<cc>.c for every C compiler, then src/shared.c
#   expect_no_cache_errors [WHY]   servers a and b counted no cache (write) errors
# Ports
#   reserve_port VAR         VAR=a free port no server of this test has had (call it directly)
#   fresh_port               echo a port free now, e.g. for a URL where nothing listens
# Sources and checks
#   gen_c NAME               src/NAME.c: small C file, object unique to NAME
#   gen_big_c NAME BYTES     src/NAME.c: exported array of BYTES seeded random bytes
#   expect_start_failure NAME VAR=VALUE...   `sccache --start-server` in a fresh instance NAME
#       with these variables exits non-zero, names VAR on stderr, leaves nothing listening
# Polling and builds
#   wait_stat_ge EXPR N [SECONDS]   poll stat_json EXPR until >= N (default 15 s), else fail
#   poll_until_hit LIMIT REF OUT -- CMD...   compile CMD through sccache every second until
#       one is a cache hit (fails after LIMIT seconds); every run must exit 0 and produce OUT
#       identical to REF
#   mid_build_outage TAG N STOP_CMD...   a build of N generated files (src/TAG_<i>.c, gcc -O1)
#       runs through sccache in the background; once 3 are done STOP_CMD runs (e.g.
#       `stop_redis KILL`); the second half only starts after it. Requires every compile to
#       exit 0 with an object identical to a plain compile and cache_errors to have grown.
#
# Run directly (`bash tests/system/services.sh`), this file is its own self-test: it starts,
# checks and stops each kind of server, and two sccache instances. run_all.sh runs it like the
# tests next to it (ctest leaves it out).

SERVICES_NPM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../services" && pwd)
# shellcheck source=cloud_services.sh
source "$(dirname "${BASH_SOURCE[0]}")/cloud_services.sh"

# ---------------------------------------------------------------------------------------------
# Ports and processes

SERVICES_PORTS=() # every port handed out by reserve_port in this test

# reserve_port VAR: set VAR to a free port that this test has not handed out yet, and remember
# it (a stopped server's port stays reserved for its restart). Call it directly, not in $(...),
# or the reservation is lost. Picked at random below the kernel's ephemeral range (so no
# outgoing connection holds it) and checked with ss; lib.sh's free_port is the fallback (it
# costs about a second per call here: python3 is a pyenv shim).
reserve_port() {
  local p q taken lo=20000 hi=32000 eph attempt
  read -r eph _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || eph=32768
  if ((eph < hi)); then hi=$eph; fi
  for ((attempt = 1; attempt <= 40; attempt++)); do
    if ((attempt <= 30 && hi > lo + 1000)); then
      p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo)))
    else
      p=$(free_port)
    fi
    taken=0
    for q in "${SERVICES_PORTS[@]}" "${SYSTEST_PORTS[@]}" 4226; do
      if [[ $q == "$p" ]]; then taken=1; fi
    done
    if ((taken == 0)) && ! ss -Htan "sport = :$p" 2>/dev/null | grep -q .; then
      SERVICES_PORTS+=("$p")
      printf -v "$1" '%s' "$p"
      return 0
    fi
  done
  fail "reserve_port: no unused free port found"
}

# fresh_port: echo a port that is free now (for a "nothing listens there" URL; not reserved).
fresh_port() {
  local port
  reserve_port port
  echo "$port"
}

# untrack_pid PID: forget a process that was stopped and reaped (its PID may be reused).
untrack_pid() {
  local keep=() p
  for p in "${SYSTEST_PIDS[@]}"; do
    [[ $p == "$1" ]] || keep+=("$p")
  done
  SYSTEST_PIDS=("${keep[@]}")
}

# stop_pid PID SIGNAL WHAT LOG: signal a server we started, wait until it is gone, reap it.
stop_pid() {
  local pid=$1 sig=$2 what=$3 logf=$4
  kill -s "$sig" "$pid" 2>/dev/null || true
  kill -s CONT "$pid" 2>/dev/null || true
  # (2>/dev/null: no "Killed" job notice from bash when it reaps a SIGKILLed server)
  if ! wait_until 15 pid_gone "$pid" 2>/dev/null; then
    kill -s KILL "$pid" 2>/dev/null || true
    wait_until 5 pid_gone "$pid" || true
    fail "$what (pid $pid) still running 15s after SIG$sig; $(service_log_tail "$logf")"
  fi
  wait "$pid" 2>/dev/null || true
  untrack_pid "$pid"
}

service_log_tail() {
  if [[ -s $1 ]]; then
    printf 'last lines of %s:\n%s' "$1" "$(tail -n 20 "$1")"
  else
    printf '%s is empty' "$1"
  fi
}

# wait_service SECONDS PID WHAT LOG CHECK...: wait until CHECK succeeds; fail early if the
# process exits, or after SECONDS, showing the log either way.
wait_service() {
  local limit=$1 pid=$2 what=$3 logf=$4
  shift 4
  local deadline=$((SECONDS + limit))
  until "$@"; do
    if ! pid_alive "$pid"; then
      wait "$pid" 2>/dev/null || true
      untrack_pid "$pid"
      fail "$what (pid $pid) exited during start-up; $(service_log_tail "$logf")"
    fi
    ((SECONDS < deadline)) || fail "$what (pid $pid) not ready after ${limit}s; $(service_log_tail "$logf")"
    sleep 0.05
  done
}

# listens_as PORT PID: PID is the process listening on 127.0.0.1:PORT.
listens_as() { [[ $(listener_pid "$1") == "$2" ]]; }

# ---------------------------------------------------------------------------------------------
# Redis

REDIS_PORT=
REDIS_PID=
REDIS_DIR=
REDIS_SOCKET=
REDIS_PASSWORD=
REDIS_ARGS=()
REDIS_TCP_PORT= # the port picked for this test; kept for restarts

require_redis() { require_tool redis-server redis-cli; }

start_redis() {
  require_redis
  [[ -z $REDIS_PID ]] || fail "start_redis: redis (pid $REDIS_PID) is still running; stop_redis first"
  REDIS_ARGS=("$@")
  REDIS_DIR=$TEST_TMP/redis
  mkdir -p "$REDIS_DIR"
  [[ -n $REDIS_TCP_PORT ]] || reserve_port REDIS_TCP_PORT
  REDIS_PORT=$REDIS_TCP_PORT
  REDIS_SOCKET=
  REDIS_PASSWORD=
  local i
  for ((i = 0; i + 1 < $#; i++)); do
    case ${REDIS_ARGS[i]} in
    --port) REDIS_PORT=${REDIS_ARGS[i + 1]} ;;
    --unixsocket) REDIS_SOCKET=${REDIS_ARGS[i + 1]} ;;
    --requirepass) REDIS_PASSWORD=${REDIS_ARGS[i + 1]} ;;
    esac
  done
  if [[ $REDIS_PORT == 0 && -z $REDIS_SOCKET ]]; then
    fail "start_redis: --port 0 needs --unixsocket PATH"
  fi
  local logf=$TEST_TMP/server-redis.log
  printf '=== %s start_redis %s\n' "$(date +%T)" "$*" >>"$logf"
  redis-server --bind 127.0.0.1 --port "$REDIS_TCP_PORT" --save '' --appendonly no \
    --daemonize no --dir "$REDIS_DIR" "$@" </dev/null >>"$logf" 2>&1 &
  REDIS_PID=$!
  track_pid "$REDIS_PID"
  wait_service 20 "$REDIS_PID" "redis-server" "$logf" redis_ready
  log "redis-server pid $REDIS_PID ready on ${REDIS_SOCKET:-127.0.0.1:$REDIS_PORT}"
}

redis_ready() {
  if [[ $REDIS_PORT != 0 ]]; then
    listens_as "$REDIS_PORT" "$REDIS_PID" || return 1
  else
    [[ -S $REDIS_SOCKET ]] || return 1
  fi
  local out
  out=$(redis_cli PING 2>&1) || true
  [[ $out == PONG || $out == *NOAUTH* ]]
}

# redis_cli [redis-cli options...] CMD...: bounded; options go before the command.
redis_cli() {
  local conn=()
  if [[ $REDIS_PORT == 0 ]]; then
    conn=(-s "$REDIS_SOCKET")
  else
    conn=(-h 127.0.0.1 -p "$REDIS_PORT")
  fi
  if [[ -n $REDIS_PASSWORD ]]; then conn+=(-a "$REDIS_PASSWORD"); fi
  "$TIMEOUT_BIN" -k 2 10 redis-cli "${conn[@]}" --no-auth-warning "$@"
}

redis_url() { echo "redis://127.0.0.1:$REDIS_PORT/${1:-0}"; }

stop_redis() {
  local sig=${1:-TERM}
  [[ -n $REDIS_PID ]] || fail "stop_redis: redis is not running"
  stop_pid "$REDIS_PID" "$sig" redis-server "$TEST_TMP/server-redis.log"
  if [[ $REDIS_PORT != 0 ]]; then
    wait_until 10 port_closed "$REDIS_PORT" || fail "port $REDIS_PORT still open after redis exited"
  fi
  log "redis-server pid $REDIS_PID stopped (SIG$sig)"
  REDIS_PID=
}

restart_redis() {
  stop_redis TERM
  start_redis "${REDIS_ARGS[@]}"
}

# ---------------------------------------------------------------------------------------------
# Memcached

declare -gA MC_ARGS=() # NAME -> its extra args, shell-quoted (for restart_memcached)

require_memcached() { require_tool memcached; }

mc_check_name() { [[ $1 =~ ^[A-Za-z0-9_]+$ ]] || fail "memcached name '$1': use letters, digits, _"; }
mc_port() { local v="MC_PORT_$1"; echo "${!v:-}"; }
mc_pid() { local v="MC_PID_$1"; echo "${!v:-}"; }

start_memcached() {
  require_memcached
  local name=$1
  shift
  mc_check_name "$name"
  [[ -z $(mc_pid "$name") ]] || fail "start_memcached $name: still running; stop_memcached $name first"
  local port
  port=$(mc_port "$name")
  [[ -n $port ]] || reserve_port port
  local user=()
  if ((EUID == 0)); then user=(-u root); fi # as root memcached refuses to start without -u
  local logf=$TEST_TMP/server-memcached-$name.log
  printf '=== %s start_memcached %s %s\n' "$(date +%T)" "$name" "$*" >>"$logf"
  memcached -l 127.0.0.1 -p "$port" -U 0 -m 64 -I 32m "${user[@]}" "$@" </dev/null >>"$logf" 2>&1 &
  local pid=$!
  track_pid "$pid"
  declare -g "MC_PORT_$name=$port" "MC_PID_$name=$pid"
  MC_ARGS[$name]=
  if (($# > 0)); then MC_ARGS[$name]=$(printf '%q ' "$@"); fi
  wait_service 20 "$pid" "memcached $name" "$logf" mc_ready "$name"
  log "memcached $name pid $pid ready on 127.0.0.1:$port"
}

mc_ready() {
  listens_as "$(mc_port "$1")" "$(mc_pid "$1")" || return 1
  [[ $(mc_cmd "$1" version 2>/dev/null) == VERSION* ]]
}

# mc_cmd NAME COMMAND: send one command (then quit) over bash's /dev/tcp; prints the reply
# without the \r. Bounded.
mc_cmd() {
  local port
  port=$(mc_port "$1")
  [[ -n $port ]] || fail "mc_cmd: no memcached named '$1'"
  # shellcheck disable=SC2016 # expanded by the inner bash
  "$TIMEOUT_BIN" -k 2 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
    printf "%s\r\nquit\r\n" "$1" >&3
    cat <&3' "$port" "$2" | tr -d '\r'
}

mc_stat() {
  local v
  v=$(mc_cmd "$1" "stats${3:+ $3}" | awk -v k="$2" '$1 == "STAT" && $2 == k { print $3 }')
  [[ -n $v ]] || fail "memcached $1: no stat '$2' in 'stats${3:+ $3}'"
  echo "$v"
}

stop_memcached() {
  local name=$1 sig=${2:-TERM} pid port
  pid=$(mc_pid "$name")
  port=$(mc_port "$name")
  [[ -n $pid ]] || fail "stop_memcached: memcached '$name' is not running"
  stop_pid "$pid" "$sig" "memcached $name" "$TEST_TMP/server-memcached-$name.log"
  wait_until 10 port_closed "$port" || fail "port $port still open after memcached $name exited"
  declare -g "MC_PID_$name="
  log "memcached $name pid $pid stopped (SIG$sig)"
}

restart_memcached() {
  local name=$1 args=()
  stop_memcached "$name"
  eval "args=(${MC_ARGS[$name]})"
  start_memcached "$name" "${args[@]}"
}

# ---------------------------------------------------------------------------------------------
# Secrets

# expect_secret_hidden SECRET WHAT: SECRET (a password, key or token) appears in none of the
# current stats (text and JSON) and the sccache servers' logs of this test (server.log, server.NAME.log).
expect_secret_hidden() {
  local secret=$1 what=$2 f
  run_to secret-stats "$SCCACHE_BIN" --show-stats
  stats_refresh
  for f in "$TEST_TMP/stats.json" "$RUNS/secret-stats.out" "$TEST_TMP"/server.log "$TEST_TMP"/server.*.log; do
    [[ -e $f ]] || continue
    if grep -qF -- "$secret" "$f"; then fail "the $what appears in $f"; fi
  done
}

# ---------------------------------------------------------------------------------------------
# sccache server instances

declare -gA SC_INST_PORT=() SC_INST_DIR=() SC_INST_LOG=()
SCCACHE_INSTANCE=default

# shared_compile SRC OUT CC FLAGS...: `CC FLAGS -c SRC -o OUT` misses on sccache instance a and
# then hits on instance b through the shared backend; both byte-identical to a plain compile.
shared_compile() {
  local src=$1 out=$2
  shift 2
  use_sccache a
  compile_check miss --out "$out" -- "$@" -c "$src" -o "$out"
  use_sccache b
  compile_check hit --out "$out" -- "$@" -c "$src" -o "$out"
}

# shared_compiles: each C compiler's src/shared_<cc>.c (-O1), then src/shared.c (gcc -g), through
# shared_compile (a miss on server a, a hit on server b). gen_c the sources first.
shared_compiles() {
  local cc
  for cc in "${C_COMPILERS[@]}"; do
    log "$cc: miss on server a, hit on server b"
    shared_compile "src/shared_$cc.c" "shared_$cc.o" "$cc" -O1
  done
  shared_compile src/shared.c shared.o gcc -g
}

# expect_no_cache_errors [WHY]: cache_errors and cache_write_errors are 0 on servers a and b.
expect_no_cache_errors() {
  local inst
  for inst in a b; do
    use_sccache "$inst"
    expect_eq "$(stat_json "$J_ERRORS")" 0 "cache_errors of server $inst${1:+ ($1)}"
    expect_eq "$(stat_json "$J_WERR")" 0 "cache_write_errors of server $inst"
  done
}

use_sccache() {
  local name=$1
  [[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || fail "use_sccache: bad instance name '$name'"
  if [[ -z ${SC_INST_PORT[default]:-} ]]; then # remember what setup made
    SC_INST_PORT[default]=$SCCACHE_SERVER_PORT
    SC_INST_DIR[default]=$SCCACHE_DIR
    SC_INST_LOG[default]=$SCCACHE_ERROR_LOG
  fi
  if [[ -z ${SC_INST_PORT[$name]:-} ]]; then
    local port
    reserve_port port
    SC_INST_PORT[$name]=$port
    SC_INST_DIR[$name]=$TEST_TMP/cache.$name
    SC_INST_LOG[$name]=$TEST_TMP/server.$name.log
    use_port "${SC_INST_PORT[$name]}" # registered for cleanup
  fi
  export SCCACHE_SERVER_PORT=${SC_INST_PORT[$name]}
  export SCCACHE_DIR=${SC_INST_DIR[$name]}
  export SCCACHE_ERROR_LOG=${SC_INST_LOG[$name]}
  SCCACHE_INSTANCE=$name
}

start_sccache_server() {
  use_sccache "$1"
  if port_listening "$SCCACHE_SERVER_PORT"; then
    [[ -n $(server_pid) ]] || fail "start_sccache_server $1: port $SCCACHE_SERVER_PORT is taken by another process"
    return 0
  fi
  run_to "start-$1" "$SCCACHE_BIN" --start-server
  [[ $(rc_of "start-$1") == 0 ]] ||
    fail "sccache --start-server (instance $1) exited $(rc_of "start-$1"): $(head -c 800 "$RUNS/start-$1.err"); $(service_log_tail "$SCCACHE_ERROR_LOG")"
  wait_until 20 port_listening "$SCCACHE_SERVER_PORT" ||
    fail "sccache instance $1 not listening on $SCCACHE_SERVER_PORT after --start-server"
}

stop_sccache_server() {
  local name=${1:-$SCCACHE_INSTANCE} back=$SCCACHE_INSTANCE
  use_sccache "$name"
  if port_listening "$SCCACHE_SERVER_PORT"; then
    run_to "stop-$name" "$SCCACHE_BIN" --stop-server
    wait_until 15 port_closed "$SCCACHE_SERVER_PORT" ||
      fail "sccache instance $name still listening on $SCCACHE_SERVER_PORT after --stop-server"
  fi
  use_sccache "$back"
}

# ---------------------------------------------------------------------------------------------
# Polling and builds

wait_stat_ge() {
  local expr=$1 n=$2 limit=${3:-15} v deadline
  deadline=$((SECONDS + limit))
  while :; do
    v=$(stat_json "$expr")
    ((v >= n)) && return 0
    ((SECONDS < deadline)) || fail "stats: expected $expr >= $n within ${limit}s, it is $v"
    sleep 0.2
  done
}

POLL_SEQ=0
poll_until_hit() {
  local limit=$1 ref=$2 out=$3
  shift 3
  if [[ ${1:-} == -- ]]; then shift; fi
  local deadline=$((SECONDS + limit)) tag before after
  POLL_SEQ=$((POLL_SEQ + 1))
  local n=0
  while :; do
    n=$((n + 1))
    tag=poll$POLL_SEQ.$n
    before=$(stat_json "$J_HITS")
    rm -f -- "$out"
    run_to "$tag" "$SCCACHE_BIN" "$@"
    [[ $(rc_of "$tag") == 0 ]] ||
      fail "[sccache $*] exited $(rc_of "$tag") while polling for a hit: $(head -c 500 "$RUNS/$tag.err")"
    expect_same_file "$ref" "$out" "[sccache $*] output while polling for a hit"
    after=$(stat_json "$J_HITS")
    if ((after > before)); then
      log "cache hit on attempt $n"
      return 0
    fi
    ((SECONDS < deadline)) || fail "no cache hit for [sccache $*] within ${limit}s ($n attempts)"
    sleep 1
  done
}

mid_build_outage() {
  local tag=$1 n=$2
  shift 2
  local half=$((n / 2)) i
  ((n >= 6)) || fail "mid_build_outage: use at least 6 files"
  mkdir -p "obj/$tag" "ref/$tag"
  for ((i = 0; i < n; i++)); do
    write_file "src/${tag}_$i.c" <<EOF
static const int ${tag}_data_${i}[] = {$i, $((i * 5)), $((i * 11 + 3))};
int ${tag}_fn_$i(int x) { return ${tag}_data_${i}[x % 3] * x + $i; }
EOF
    gcc -O1 -c "src/${tag}_$i.c" -o "ref/$tag/$i.o"
  done
  local errors_before
  errors_before=$(stat_json "$J_ERRORS")
  local go=$TEST_TMP/$tag.go
  rm -f "$go"
  (
    for ((i = 0; i < n; i++)); do
      if ((i == half)); then
        for ((w = 0; w < 600; w++)); do
          if [[ -e $go ]]; then break; fi
          sleep 0.1
        done
      fi
      rc=0
      "$TIMEOUT_BIN" -k 5 "$CMD_TIMEOUT" "$SCCACHE_BIN" gcc -O1 -c "src/${tag}_$i.c" -o "obj/$tag/$i.o" \
        >"$RUNS/$tag.$i.out" 2>"$RUNS/$tag.$i.err" </dev/null || rc=$?
      echo "$rc" >"$RUNS/$tag.$i.rc"
    done
  ) &
  local build=$!
  track_pid "$build"
  local three_done=$RUNS/$tag.2.rc
  wait_until 120 test -e "$three_done" || fail "mid_build_outage $tag: the build made no progress"
  log "$tag: 3 of $n compiles done; now: $*"
  "$@"
  touch "$go"
  wait "$build" || true
  untrack_pid "$build"
  for ((i = 0; i < n; i++)); do
    [[ -e $RUNS/$tag.$i.rc ]] || fail "$tag: compile $i did not run"
    expect_eq "$(cat "$RUNS/$tag.$i.rc")" 0 "$tag: exit code of compile $i (stderr: $(head -c 300 "$RUNS/$tag.$i.err"))"
    [[ ! -s $RUNS/$tag.$i.err ]] || fail "$tag: compile $i wrote to stderr: $(head -c 300 "$RUNS/$tag.$i.err")"
    expect_same_file "ref/$tag/$i.o" "obj/$tag/$i.o" "$tag: object of compile $i"
  done
  local errors_after
  errors_after=$(stat_json "$J_ERRORS")
  ((errors_after > errors_before)) ||
    fail "$tag: cache_errors did not grow across the outage ($errors_before -> $errors_after)"
  log "$tag: all $n compiles right; cache_errors $errors_before -> $errors_after"
}

# gen_c NAME: write src/NAME.c, a small C file whose code (and so object) is unique to NAME.
gen_c() {
  local id=${1//[^A-Za-z0-9_]/_}
  write_file "src/$1.c" <<EOF
#include <stdio.h>
static const char ${id}_name[] = "$1";
int ${id}_len(void) { return (int)sizeof ${id}_name - 1; }
void ${id}_print(void) { printf("%s %d\n", ${id}_name, ${id}_len()); }
EOF
}

# gen_big_c NAME BYTES: write src/NAME.c with an exported array of BYTES random bytes (seeded
# by NAME), so that its object (and a compressed cache entry) is larger than BYTES.
gen_big_c() {
  mkdir -p src
  python3 - "$1" "$2" <<'PYEOF'
import random, sys
name, size = sys.argv[1], int(sys.argv[2])
data = random.Random(name).randbytes(size)
ident = "".join(c if c.isalnum() else "_" for c in name)
with open(f"src/{name}.c", "w") as f:
    f.write(f"const unsigned char {ident}_blob[{size}] = {{\n")
    for i in range(0, size, 32):
        f.write(",".join(str(b) for b in data[i:i + 32]) + ",\n")
    f.write("};\n")
PYEOF
}

# expect_start_failure NAME VAR=VALUE...: in a fresh sccache instance NAME, `sccache
# --start-server` with these variables must exit non-zero, name the first VAR on stderr and
# leave nothing listening.
expect_start_failure() {
  local name=$1 back=$SCCACHE_INSTANCE
  shift
  local var=${1%%=*}
  use_sccache "$name"
  port_closed "$SCCACHE_SERVER_PORT" || fail "expect_start_failure: instance $name already runs"
  run_to "start-$name" env "$@" "$SCCACHE_BIN" --start-server
  local rc
  rc=$(rc_of "start-$name")
  ((rc != 0)) || fail "sccache --start-server with $* exited 0"
  grep -qF -- "$var" "$RUNS/start-$name.err" ||
    fail "sccache --start-server with $*: stderr does not name $var: $(head -c 500 "$RUNS/start-$name.err")"
  port_closed "$SCCACHE_SERVER_PORT" || fail "a server listens on $SCCACHE_SERVER_PORT after a failed start with $*"
  log "start with $* refused (exit $rc): $(head -c 200 "$RUNS/start-$name.err")"
  use_sccache "$back"
}

# ---------------------------------------------------------------------------------------------
# Self-test: `bash tests/system/services.sh`

services_self_test() {
  require_redis
  require_memcached
  require_s3rver
  require_tool curl
  setup

  log "redis: start, answer, maxmemory, restart on the same port, stop"
  start_redis --maxmemory 100mb
  expect_eq "$(redis_cli PING)" PONG "redis PING"
  redis_cli SET k v >/dev/null
  expect_eq "$(redis_cli GET k)" v "redis GET"
  expect_eq "$(redis_cli CONFIG GET maxmemory | tail -1)" 104857600 "redis maxmemory"
  local port=$REDIS_PORT
  restart_redis
  expect_eq "$REDIS_PORT" "$port" "redis port after restart"
  expect_eq "$(redis_cli DBSIZE)" 0 "redis keys after a restart (no persistence)"
  kill -STOP "$REDIS_PID"
  stop_redis KILL
  port_closed "$port" || fail "redis port still open"

  log "redis: password"
  start_redis --requirepass 'pw s3cret'
  expect_eq "$(redis_cli PING)" PONG "redis PING with password"
  local noauth
  noauth=$("$TIMEOUT_BIN" 10 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" PING 2>&1 || true)
  [[ $noauth == *NOAUTH* ]] || fail "redis without password answered '$noauth'"
  stop_redis

  log "redis: unix socket only"
  start_redis --unixsocket "$TEST_TMP/redis.sock" --port 0
  expect_eq "$REDIS_PORT" 0 "REDIS_PORT with --port 0"
  port_closed "$REDIS_TCP_PORT" || fail "redis listens on TCP despite --port 0"
  expect_eq "$(redis_cli PING)" PONG "redis PING over the socket"
  stop_redis

  log "memcached: two servers, item size limit, stats, restart"
  start_memcached a
  start_memcached b -I 1m
  expect_ne "$(mc_port a)" "$(mc_port b)" "memcached ports"
  expect_eq "$(mc_stat a item_size_max settings)" 33554432 "memcached a item_size_max"
  expect_eq "$(mc_stat b item_size_max settings)" 1048576 "memcached b item_size_max (-I 1m wins)"
  expect_eq "$(mc_cmd a $'set k 0 0 3\r\nabc')" STORED "memcached set"
  expect_eq "$(mc_stat a curr_items)" 1 "memcached a curr_items"
  expect_eq "$(mc_stat b curr_items)" 0 "memcached b curr_items"
  port=$(mc_port b)
  restart_memcached b
  expect_eq "$(mc_port b)" "$port" "memcached port after restart"
  expect_eq "$(mc_stat b item_size_max settings)" 1048576 "memcached b item_size_max after restart"
  stop_memcached a KILL
  stop_memcached b

  log "s3rver: start, SigV4 checked, anonymous GET, restart keeps data"
  start_s3rver AKID SECRET bucket1 bucket2
  local sha body=$TEST_TMP/body
  printf 'hello' >"$body"
  sha=$(sha256sum "$body" | cut -d' ' -f1)
  expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$body" \
    -H "x-amz-content-sha256: $sha" --aws-sigv4 aws:amz:us-east-1:s3 --user AKID:SECRET \
    "$S3_ENDPOINT/bucket1/p/key")" 200 "signed PUT"
  expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$body" \
    -H "x-amz-content-sha256: $sha" --aws-sigv4 aws:amz:us-east-1:s3 --user AKID:WRONG \
    "$S3_ENDPOINT/bucket1/p/key2")" 403 "PUT with a wrong secret"
  expect_eq "$(curl -s "$S3_ENDPOINT/bucket1/p/key")" hello "anonymous GET"
  expect_eq "$(s3_objects bucket1 p/)" 1 "objects under bucket1/p/"
  expect_eq "$(s3_objects bucket2)" 0 "objects in bucket2"
  grep -q '^PUT /bucket1/p/key2 403$' "$TEST_TMP/server-s3rver.log" || fail "s3rver request log"
  port=$S3_PORT
  restart_s3rver
  expect_eq "$S3_PORT" "$port" "s3rver port after restart"
  expect_eq "$(curl -s "$S3_ENDPOINT/bucket1/p/key")" hello "GET after restart"
  stop_s3rver TERM

  log "sccache instances: two servers with their own port, dir and log"
  start_sccache_server one
  local p1=$SCCACHE_SERVER_PORT
  start_sccache_server two
  expect_ne "$SCCACHE_SERVER_PORT" "$p1" "instance ports"
  expect_eq "$SCCACHE_DIR" "$TEST_TMP/cache.two" "SCCACHE_DIR of instance two"
  expect_eq "$(stat_json .cache_location)" "Local disk: \"$TEST_TMP/cache.two\"" "instance two location"
  use_sccache one
  expect_eq "$(stat_json .cache_location)" "Local disk: \"$TEST_TMP/cache.one\"" "instance one location"
  stop_sccache_server two
  port_closed "${SC_INST_PORT[two]}" || fail "instance two still listening"
  port_listening "$p1" || fail "instance one stopped too"
  use_sccache default
  expect_eq "$SCCACHE_DIR" "$TEST_TMP/cache" "SCCACHE_DIR of the default instance"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  # shellcheck source=lib.sh
  source "$(dirname "$0")/lib.sh"
  services_self_test
fi
