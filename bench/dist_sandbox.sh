#!/usr/bin/env bash
# Overhead of a sandboxed remote compile over loopback against the same compile run directly:
# a scheduler and one build server (root) on 127.0.0.1, g++'s toolchain already on the server,
# then hyperfine of `dist_driver.py compile` (alloc_job + run_job: HTTPS, inputs tar, overlay
# mount, bwrap, outputs back; plus python's start-up) vs `g++ -c` of the same preprocessed TU.
# Usage: bench/dist_sandbox.sh [path/to/sccache-dist] [runs]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
DIST=${1:-$root/build/release/bin/sccache-dist}
RUNS=${2:-10}
DRIVER=$root/tests/system/data/dist_driver.py
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
cat >"$work/scheduler.conf" <<CONF
public_addr = "127.0.0.1:$sport"
[client_auth]
type = "token"
token = "bench-client"
[server_auth]
type = "DANGEROUSLY_INSECURE"
CONF
cat >"$work/server.conf" <<CONF
cache_dir = "$work/cache"
public_addr = "127.0.0.1:$bport"
scheduler_url = "http://127.0.0.1:$sport"
[builder]
type = "overlay"
build_dir = "$work/build"
[scheduler_auth]
type = "DANGEROUSLY_INSECURE"
CONF
SCCACHE_NO_DAEMON=1 SCCACHE_LOG=warn "$DIST" scheduler --config "$work/scheduler.conf" >"$work/scheduler.log" 2>&1 &
pids+=($!)
SCCACHE_LOG=warn SCCACHE_DIST_HEARTBEAT_SECS=1 "$DIST" server --config "$work/server.conf" >"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  curl -s "http://127.0.0.1:$sport/api/v1/scheduler/status" | grep -q '"num_servers":1' && break
  sleep 0.1
done
mkdir -p "$work/tc" "$work/src" "$work/out"
bash "$root/tests/system/data/pkg-toolchain.sh" "$work/tc" /usr/bin/g++ "$(g++ -print-prog-name=cc1plus)" /usr/bin/as >/dev/null
python3 "$DRIVER" --scheduler "127.0.0.1:$sport" --token=bench-client pack "$work/tc" "$work/tc.tar.gz" >/dev/null
cat >"$work/src/tu.cpp" <<'CPP'
#include <iostream>
#include <map>
#include <string>
#include <vector>
#include <algorithm>
int main() {
  std::map<std::string, std::vector<int>> m;
  for (int i = 0; i < 100; ++i) m[std::to_string(i % 7)].push_back(i);
  for (auto& [k, v] : m) { std::sort(v.rbegin(), v.rend()); std::cout << k << v.front() << "\n"; }
}
CPP
cd "$work/src"
g++ -E -O2 tu.cpp -o tu.ii
remote="/usr/bin/python3 $DRIVER --scheduler 127.0.0.1:$sport --token=bench-client compile --toolchain $work/tc.tar.gz --exe /usr/bin/g++ --cwd $work/src --out-dir $work/out tu.ii -- -O2"
$remote >/dev/null   # the toolchain goes to the server once
hyperfine -N --warmup 2 --runs "$RUNS" "$remote" "g++ -O2 -c tu.ii -o $work/local.o" "/usr/bin/python3 -c pass"
cmp "$work/out/tu.o" "$work/local.o" && echo "remote object identical to the local one"
