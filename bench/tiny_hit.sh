#!/usr/bin/env bash
# Warm-hit latency of a tiny C file: sccache-cpp vs Debian's ccache (preprocessor mode and
# default direct mode), Debian's sccache, and a plain compile, all in one hyperfine run.
# Usage: bench/tiny_hit.sh [path/to/sccache]   (default: build/release/bin/sccache)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SCCACHE=${1:-$root/build/release/bin/sccache}
command -v hyperfine >/dev/null || { echo "hyperfine missing: run scripts/setup.sh"; exit 1; }
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
port2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() {
  SCCACHE_SERVER_PORT=$port "$SCCACHE" --stop-server >/dev/null 2>&1 || true
  if command -v /usr/bin/sccache >/dev/null; then
    SCCACHE_SERVER_PORT=$port2 SCCACHE_DIR=$work/debian-sccache /usr/bin/sccache --stop-server >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
echo 'int tiny(int x) { return x * 2 + 1; }' > t.c
sleep 2.5   # direct mode (ours and ccache's) only records files older than ~2 s
export CCACHE_DIR=$work/ccache
cmds=(
  "env SCCACHE_SERVER_PORT=$port SCCACHE_DIR=$work/sccache-cpp $SCCACHE gcc -c t.c -o t.o"
  "env CCACHE_NODIRECT=1 ccache gcc -c t.c -o t.o"
  "ccache gcc -c t.c -o t.o"
  "gcc -c t.c -o t.o"
)
if [[ -x /usr/bin/sccache ]]; then
  cmds+=("env SCCACHE_SERVER_PORT=$port2 SCCACHE_DIR=$work/debian-sccache /usr/bin/sccache gcc -c t.c -o t.o")
fi
for c in "${cmds[@]}"; do $c >/dev/null 2>&1; $c >/dev/null 2>&1; done   # warm every cache
hyperfine -N --warmup 20 --runs "${RUNS:-300}" --export-markdown "$work/result.md" "${cmds[@]}"
cat "$work/result.md"
