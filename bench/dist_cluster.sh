# shellcheck shell=bash
# Sourced by the dist benches: start_dist_cluster DIST WORK SERVER_AUTH starts a scheduler
# (client token "bench-client") and one build server (root: the overlay builder checks for it)
# on free 127.0.0.1 ports, waits until the server is registered, and sets SCHED_ADDR and
# SERVER_TOKEN. SERVER_AUTH is jwt_hs256 or DANGEROUSLY_INSECURE. Processes are killed and
# WORK removed at exit.
DIST_PIDS=()
dist_cleanup() {
  for p in "${DIST_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DIST_WORK"
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_dist_cluster() {
  local dist=$1 auth=$3 sport bport server_auth scheduler_auth
  DIST_WORK=$2
  trap dist_cleanup EXIT
  sport=$(free_port)
  bport=$(free_port)
  SCHED_ADDR=127.0.0.1:$sport
  if [[ $auth == jwt_hs256 ]]; then
    server_auth="type = \"jwt_hs256\"
secret_key = \"$("$dist" auth generate-jwt-hs256-key)\""
  else
    server_auth='type = "DANGEROUSLY_INSECURE"'
  fi
  printf 'public_addr = "%s"\n[client_auth]\ntype = "token"\ntoken = "bench-client"\n[server_auth]\n%s\n' \
    "$SCHED_ADDR" "$server_auth" >"$DIST_WORK/scheduler.conf"
  if [[ $auth == jwt_hs256 ]]; then
    SERVER_TOKEN=$("$dist" auth generate-jwt-hs256-server-token --config "$DIST_WORK/scheduler.conf" --server "127.0.0.1:$bport")
    scheduler_auth="type = \"jwt_token\"
token = \"$SERVER_TOKEN\""
  else
    SERVER_TOKEN="127.0.0.1:$bport dangerously_insecure_server"
    scheduler_auth='type = "DANGEROUSLY_INSECURE"'
  fi
  printf 'cache_dir = "%s"\npublic_addr = "127.0.0.1:%s"\nscheduler_url = "http://%s"\n[builder]\ntype = "overlay"\nbuild_dir = "%s"\n[scheduler_auth]\n%s\n' \
    "$DIST_WORK/cache" "$bport" "$SCHED_ADDR" "$DIST_WORK/build" "$scheduler_auth" >"$DIST_WORK/server.conf"
  SCCACHE_NO_DAEMON=1 SCCACHE_LOG=warn "$dist" scheduler --config "$DIST_WORK/scheduler.conf" >"$DIST_WORK/scheduler.log" 2>&1 &
  DIST_PIDS+=($!)
  SCCACHE_LOG=warn SCCACHE_DIST_HEARTBEAT_SECS=1 "$dist" server --config "$DIST_WORK/server.conf" >"$DIST_WORK/server.log" 2>&1 &
  DIST_PIDS+=($!)
  for _ in $(seq 100); do
    curl -s "http://$SCHED_ADDR/api/v1/scheduler/status" | grep -q '"num_servers":1' && return 0
    sleep 0.1
  done
  echo "the build server did not register; logs:" >&2
  cat "$DIST_WORK"/*.log >&2
  return 1
}
