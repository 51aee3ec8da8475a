# shellcheck shell=bash
# An sccache-dist cluster for the system tests, for `source`-ing after lib.sh and services.sh:
#
#   source "$(dirname "$0")/lib.sh"
#   source "$(dirname "$0")/services.sh"
#   source "$(dirname "$0")/dist_lib.sh"
#   require_dist_cluster       # before setup: skips (77) unless root with bwrap and curl
#   setup
#   start_dist_cluster         # scheduler + build servers a and b, waits for num_servers=2
#   dist_client_conf "$TEST_TMP/dist.toml" "$DIST_CLIENT_TOKEN"
#   export SCCACHE_CONF=$TEST_TMP/dist.toml
#
# The cluster is the quickstart of docs/distributed.md on 127.0.0.1: the scheduler checks
# client bearer tokens (`client_auth` type token, a fresh generate-shared-token) and the build
# servers' HS256 JWTs (`server_auth` jwt_hs256, a fresh key; one generate-jwt-hs256-server-token
# per server). Build servers use the overlay builder (root, bubblewrap), each with its own
# cache_dir and build_dir under $TEST_TMP/dist-<name>/, and heartbeat every second; the
# scheduler drops a server after DIST_SERVER_TIMEOUT_SECS (default 5) without a heartbeat.
# Every process is tracked by PID (lib.sh's cleanup stops whatever is left) and logs to
# $TEST_TMP/server-dist-<what>.log (printed by lib.sh's cleanup when a test fails).
#
#   require_dist_cluster           skip unless root (overlayfs + bubblewrap), bwrap and curl
#   start_dist_cluster [NAME...]   scheduler, then one build server per NAME (default: a b);
#       sets DIST_BIN, DIST_SCHED_PORT, DIST_SCHED_URL (http://127.0.0.1:<port>, no slash),
#       DIST_SCHED_PID, DIST_CLIENT_TOKEN, DIST_SERVERS (the names), DIST_SRV_PORT[NAME],
#       DIST_SRV_PID[NAME]; waits (30 s) until the scheduler counts every server.
#   start_dist_scheduler / stop_dist_scheduler [SIGNAL]   (re)start on the same port and
#       config / stop by PID (default TERM) and wait until the port is closed. Running build
#       servers register again with a restarted scheduler within a heartbeat or two.
#   start_dist_server NAME / stop_dist_server NAME [SIGNAL]   same for one build server
#   DIST_SCHED_EXTRA_CONF, DIST_SRV_EXTRA_CONF   top-level lines added to scheduler.conf /
#       every server.conf (e.g. `http_header_timeout_secs = 3`), before start_dist_cluster
#   DIST_SRV_PREFIX                a command prefix for the build servers that execs them (same
#       PID), e.g. `prlimit --as=2000000000 --`
#   dist_status [FIELD]            GET /api/v1/scheduler/status (or one field of it)
#   dist_wait_servers N [SECONDS]  until num_servers is N (default 20 s), else fail
#   dist_build_jobs NAME           the build server's job directory ($build_dir/builds): each
#       running job has builds/<n>/upper/<input path> (the inputs are written through the
#       job's overlay into its upper dir, visible from the host)
#   dist_toolchain_dir NAME        the build server's toolchain cache dir (<cache_dir>/tc)
#   dist_client_conf FILE TOKEN [TOOLCHAINS_TOML [CACHE]]   write an sccache client config:
#       [dist] with scheduler_url, a client toolchain cache_dir ($TEST_TMP/dist-client/CACHE,
#       default CACHE: FILE's name without extension; share one only between sccache servers
#       that do not run at the same time) and toolchain_cache_size, [dist.auth] type token, then
#       TOOLCHAINS_TOML (e.g. [[dist.toolchains]] tables); `toolchains = []` when there is none.
#
# Run directly (`bash tests/system/dist_lib.sh`), this file is its own self-test: it starts a
# cluster, checks the status and the auth of the scheduler, restarts the scheduler (the servers
# register again), kills a build server (it drops out) and stops everything by PID.

DIST_BIN=
DIST_SCHED_PORT=
DIST_SCHED_PID=
DIST_SCHED_URL=
DIST_CLIENT_TOKEN=
DIST_SERVERS=()
declare -gA DIST_SRV_PORT=() DIST_SRV_PID=()

require_dist_cluster() {
  [[ $(id -u) == 0 ]] || skip "needs root: the build servers mount overlayfs and run bubblewrap"
  require_tool bwrap curl
}

# dist_cmd ARGS...: sccache-dist, bounded (for the auth subcommands).
dist_cmd() { "$TIMEOUT_BIN" -k 5 30 "$DIST_BIN" "$@"; }

_dist_find_bin() {
  [[ -n $DIST_BIN ]] && return 0
  DIST_BIN=$(dirname "$SCCACHE_BIN")/sccache-dist
  [[ -x $DIST_BIN ]] || fail "sccache-dist not found at $DIST_BIN (next to SCCACHE_BIN)"
}

start_dist_cluster() {
  local names=("$@") name key
  ((${#names[@]})) || names=(a b)
  _dist_find_bin
  mkdir -p "$TEST_TMP/dist"
  [[ -n $DIST_SCHED_PORT ]] || reserve_port DIST_SCHED_PORT
  DIST_SCHED_URL=http://127.0.0.1:$DIST_SCHED_PORT
  DIST_CLIENT_TOKEN=$(dist_cmd auth generate-shared-token --bits 128)
  key=$(dist_cmd auth generate-jwt-hs256-key)
  cat >"$TEST_TMP/dist/scheduler.conf" <<EOF
public_addr = "127.0.0.1:$DIST_SCHED_PORT"
${DIST_SCHED_EXTRA_CONF:-}

[client_auth]
type = "token"
token = "$DIST_CLIENT_TOKEN"

[server_auth]
type = "jwt_hs256"
secret_key = "$key"
EOF
  start_dist_scheduler
  DIST_SERVERS=()
  for name in "${names[@]}"; do
    [[ $name =~ ^[A-Za-z0-9_]+$ ]] || fail "start_dist_cluster: bad server name '$name'"
    local port token
    reserve_port port
    DIST_SRV_PORT[$name]=$port
    token=$(dist_cmd auth generate-jwt-hs256-server-token --config "$TEST_TMP/dist/scheduler.conf" \
      --server "127.0.0.1:$port")
    mkdir -p "$TEST_TMP/dist-$name"
    cat >"$TEST_TMP/dist/$name.conf" <<EOF
cache_dir = "$TEST_TMP/dist-$name/cache"
public_addr = "127.0.0.1:$port"
scheduler_url = "$DIST_SCHED_URL"
${DIST_SRV_EXTRA_CONF:-}

[builder]
type = "overlay"
build_dir = "$TEST_TMP/dist-$name/build"
bwrap_path = "$(command -v bwrap)"

[scheduler_auth]
type = "jwt_token"
token = "$token"
EOF
    DIST_SERVERS+=("$name")
    start_dist_server "$name"
  done
  dist_wait_servers "${#DIST_SERVERS[@]}" 30
  log "sccache-dist cluster: scheduler $DIST_SCHED_URL (pid $DIST_SCHED_PID), build servers:$(
    for name in "${DIST_SERVERS[@]}"; do printf ' %s=127.0.0.1:%s (pid %s)' "$name" "${DIST_SRV_PORT[$name]}" "${DIST_SRV_PID[$name]}"; done
  ); status $(dist_status)"
}

start_dist_scheduler() {
  [[ -z $DIST_SCHED_PID ]] || fail "start_dist_scheduler: the scheduler (pid $DIST_SCHED_PID) still runs"
  local logf=$TEST_TMP/server-dist-scheduler.log
  printf '=== %s start\n' "$(date +%T)" >>"$logf"
  SCCACHE_NO_DAEMON=1 SCCACHE_DIST_SERVER_TIMEOUT_SECS=${DIST_SERVER_TIMEOUT_SECS:-5} SCCACHE_ERROR_LOG=$logf \
    "$DIST_BIN" scheduler --config "$TEST_TMP/dist/scheduler.conf" >>"$TEST_TMP/server-dist-scheduler.out.log" 2>&1 </dev/null &
  DIST_SCHED_PID=$!
  track_pid "$DIST_SCHED_PID"
  wait_service 20 "$DIST_SCHED_PID" "sccache-dist scheduler" "$logf" listens_as "$DIST_SCHED_PORT" "$DIST_SCHED_PID"
}

stop_dist_scheduler() {
  local sig=${1:-TERM}
  [[ -n $DIST_SCHED_PID ]] || fail "stop_dist_scheduler: the scheduler is not running"
  stop_pid "$DIST_SCHED_PID" "$sig" "sccache-dist scheduler" "$TEST_TMP/server-dist-scheduler.log"
  wait_until 10 port_closed "$DIST_SCHED_PORT" || fail "port $DIST_SCHED_PORT still open after the scheduler exited"
  log "sccache-dist scheduler pid $DIST_SCHED_PID stopped (SIG$sig)"
  DIST_SCHED_PID=
}

start_dist_server() {
  local name=$1 logf=$TEST_TMP/server-dist-$1.log
  [[ -n ${DIST_SRV_PORT[$name]:-} ]] || fail "start_dist_server: unknown build server '$name'"
  [[ -z ${DIST_SRV_PID[$name]:-} ]] || fail "start_dist_server: build server $name (pid ${DIST_SRV_PID[$name]}) still runs"
  printf '=== %s start\n' "$(date +%T)" >>"$logf"
  # shellcheck disable=SC2086 # DIST_SRV_PREFIX is a command prefix, split on purpose
  SCCACHE_DIST_HEARTBEAT_SECS=1 SCCACHE_ERROR_LOG=$logf \
    ${DIST_SRV_PREFIX:-} "$DIST_BIN" server --config "$TEST_TMP/dist/$name.conf" >>"$TEST_TMP/server-dist-$name.out.log" 2>&1 </dev/null &
  DIST_SRV_PID[$name]=$!
  track_pid "${DIST_SRV_PID[$name]}"
  wait_service 30 "${DIST_SRV_PID[$name]}" "build server $name" "$logf" \
    listens_as "${DIST_SRV_PORT[$name]}" "${DIST_SRV_PID[$name]}"
}

stop_dist_server() {
  local name=$1 sig=${2:-TERM}
  [[ -n ${DIST_SRV_PID[$name]:-} ]] || fail "stop_dist_server: build server '$name' is not running"
  stop_pid "${DIST_SRV_PID[$name]}" "$sig" "build server $name" "$TEST_TMP/server-dist-$name.log"
  wait_until 10 port_closed "${DIST_SRV_PORT[$name]}" ||
    fail "port ${DIST_SRV_PORT[$name]} still open after build server $name exited"
  log "build server $name pid ${DIST_SRV_PID[$name]} stopped (SIG$sig)"
  DIST_SRV_PID[$name]=
}

# dist_status [FIELD]: the scheduler's status JSON, or one field of it (empty if unreachable).
dist_status() {
  local body
  body=$(curl -s --noproxy '*' --max-time 5 "$DIST_SCHED_URL/api/v1/scheduler/status" 2>/dev/null) || body=
  if (($#)); then
    [[ -n $body ]] && jq -r ".$1" <<<"$body"
  else
    printf '%s\n' "$body"
  fi
  return 0
}

_dist_servers_are() { [[ $(dist_status num_servers) == "$1" ]]; }

dist_wait_servers() {
  local n=$1 limit=${2:-20}
  wait_until "$limit" _dist_servers_are "$n" ||
    fail "scheduler status: num_servers is not $n after ${limit}s: '$(dist_status)'; $(service_log_tail "$TEST_TMP/server-dist-scheduler.log")"
}

dist_build_jobs() { echo "$TEST_TMP/dist-$1/build/builds"; }
dist_toolchain_dir() { echo "$TEST_TMP/dist-$1/cache/tc"; }

dist_client_conf() {
  local file=$1 token=$2 toolchains=${3:-} name=${4:-}
  [[ -n $name ]] || name=$(basename "${file%.*}")
  mkdir -p "$TEST_TMP/dist-client/$name"
  {
    printf '[dist]\nscheduler_url = "%s"\n' "$DIST_SCHED_URL"
    printf 'cache_dir = "%s"\n' "$TEST_TMP/dist-client/$name"
    printf 'toolchain_cache_size = 5368709120\n'
    [[ -n $toolchains ]] || printf 'toolchains = []\n'
    printf '\n[dist.auth]\ntype = "token"\ntoken = "%s"\n' "$token"
    [[ -z $toolchains ]] || printf '\n%s\n' "$toolchains"
  } >"$file"
}

# ---------------------------------------------------------------------------------------------
# Self-test: `bash tests/system/dist_lib.sh`

dist_lib_self_test() {
  require_dist_cluster
  setup
  start_dist_cluster a b
  expect_eq "${#DIST_SERVERS[@]}" 2 "number of build servers"
  expect_ne "${DIST_SRV_PORT[a]}" "${DIST_SRV_PORT[b]}" "build server ports"
  local cpus
  cpus=$(dist_status num_cpus)
  expect_ge "$cpus" 2 "num_cpus of two build servers"
  [[ -d $(dist_build_jobs a) && -d $(dist_build_jobs b) ]] || fail "build dirs of the servers missing"

  log "client token: alloc_job refuses a wrong token (401), accepts the right one"
  local code
  code=$(curl -s --noproxy '*' --max-time 10 -o "$TEST_TMP/alloc.out" -w '%{http_code}' \
    -H 'Authorization: Bearer wrong' -H 'Content-Type: application/json' \
    --data '{"archive_id":"0000"}' "$DIST_SCHED_URL/api/v1/scheduler/alloc_job")
  expect_eq "$code" 401 "alloc_job with a wrong client token"
  code=$(curl -s --noproxy '*' --max-time 10 -o "$TEST_TMP/alloc.out" -w '%{http_code}' \
    -H "Authorization: Bearer $DIST_CLIENT_TOKEN" -H 'Content-Type: application/json' \
    --data '{"archive_id":"0000"}' "$DIST_SCHED_URL/api/v1/scheduler/alloc_job")
  expect_eq "$code" 200 "alloc_job with the client token ($(head -c 300 "$TEST_TMP/alloc.out"))"
  jq -e '.Success.job_alloc.job_id' "$TEST_TMP/alloc.out" >/dev/null ||
    fail "alloc_job reply: $(head -c 300 "$TEST_TMP/alloc.out")"

  log "client config"
  dist_client_conf "$TEST_TMP/c1.toml" "$DIST_CLIENT_TOKEN"
  grep -qx "scheduler_url = \"$DIST_SCHED_URL\"" "$TEST_TMP/c1.toml" || fail "client config: $(cat "$TEST_TMP/c1.toml")"
  grep -qx 'toolchains = \[\]' "$TEST_TMP/c1.toml" || fail "client config without toolchains: $(cat "$TEST_TMP/c1.toml")"
  dist_client_conf "$TEST_TMP/c2.toml" tok $'[[dist.toolchains]]\ntype = "no_dist"\ncompiler_executable = "/usr/bin/gcc"'
  ! grep -q '^toolchains' "$TEST_TMP/c2.toml" || fail "client config with [[dist.toolchains]] also has toolchains = []"

  log "scheduler restart: the build servers register again"
  stop_dist_scheduler TERM
  expect_eq "$(dist_status)" "" "status while the scheduler is down"
  start_dist_scheduler
  dist_wait_servers 2 20

  log "SIGKILL of build server b: it drops out"
  stop_dist_server b KILL
  dist_wait_servers 1 15
  start_dist_server b
  dist_wait_servers 2 20
  stop_dist_server a
  stop_dist_server b
  stop_dist_scheduler
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  # shellcheck source=lib.sh
  source "$(dirname "$0")/lib.sh"
  # shellcheck source=services.sh
  source "$(dirname "$0")/services.sh"
  dist_lib_self_test
fi
