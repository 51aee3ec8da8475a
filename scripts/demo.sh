#!/usr/bin/env bash
# Sets up, builds the release binary, then builds examples/hello twice through sccache from
# clean build dirs and prints the statistics: the second build is all cache hits.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/setup.sh
scripts/build.sh release
SCCACHE=$root/build/release/bin/sccache
work=$(mktemp -d)
export SCCACHE_DIR=$work/cache SCCACHE_SERVER_PORT=${SCCACHE_SERVER_PORT:-4227}
trap '"$SCCACHE" --stop-server >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
"$SCCACHE" --stop-server >/dev/null 2>&1 || true
"$SCCACHE" --zero-stats >/dev/null
for round in 1 2; do
  echo "== build $round (from a clean build dir) =="
  make -s -C examples/hello clean all BUILD="$work/build" CC="$SCCACHE gcc" CXX="$SCCACHE g++"
  "$work/build/hello"
done
echo "== sccache --show-stats =="
"$SCCACHE" --show-stats
