#!/usr/bin/env bash
# Starts a scheduler and one build server (root: the overlay builder checks for it) on
# 127.0.0.1 and measures alloc_job throughput with bench/dist_alloc.py.
# Usage: bench/dist_alloc.sh [path/to/sccache-dist] [N] [THREADS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
DIST=${1:-$root/build/release/bin/sccache-dist}
N=${2:-1000}
THREADS=${3:-2}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sport=$(free_port)
bport=$(free_port)
key=$("$DIST" auth generate-jwt-hs256-key)
cat >"$work/scheduler.conf" <<CONF
public_addr = "127.0.0.1:$sport"
[client_auth]
type = "token"
token = "bench-client"
[server_auth]
type = "jwt_hs256"
secret_key = "$key"
CONF
stoken=$("$DIST" auth generate-jwt-hs256-server-token --config "$work/scheduler.conf" --server "127.0.0.1:$bport")
cat >"$work/server.conf" <<CONF
cache_dir = "$work/cache"
public_addr = "127.0.0.1:$bport"
scheduler_url = "http://127.0.0.1:$sport"
[builder]
type = "overlay"
build_dir = "$work/build"
[scheduler_auth]
type = "jwt_token"
token = "$stoken"
CONF
SCCACHE_NO_DAEMON=1 SCCACHE_LOG=warn "$DIST" scheduler --config "$work/scheduler.conf" >"$work/scheduler.log" 2>&1 &
pids+=($!)
SCCACHE_LOG=warn SCCACHE_DIST_HEARTBEAT_SECS=1 "$DIST" server --config "$work/server.conf" >"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  curl -s "http://127.0.0.1:$sport/api/v1/scheduler/status" | grep -q '"num_servers":1' && break
  sleep 0.1
done
python3 "$root/bench/dist_alloc.py" "127.0.0.1:$sport" bench-client "$stoken" "$N" "$THREADS"
