#!/usr/bin/env bash
# Wall time of a distributed build over loopback against a local one: the CMake project of
# tests/system/data/dist_cmake (8 TUs, Release, Ninja -j2) built
#   plain:        the compilers alone
#   local:        through sccache, every compile a miss (SCCACHE_RECACHE=1), no dist
#   dist:         through sccache with [dist] pointing at a scheduler and one sandboxed build
#                 server on 127.0.0.1 (bench/dist_cluster.sh), every compile a miss; the
#                 toolchain is already on the server (a warm-up build sent it)
# and where a distributed compile's time goes, from the sccache server's debug log
# (alloc_job, run_job round trip incl. the remote compile) and ninja's own per-TU times.
# Needs root (the build server's overlay sandbox), bubblewrap, hyperfine, cmake, ninja.
# Usage: bench/dist_build.sh [path/to/sccache]   (default build/release/bin/sccache; sccache-dist
#   next to it). RUNS=5 timed runs per cell, KEEP=1 keeps the work dir.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SCCACHE=$(realpath "${1:-$root/build/release/bin/sccache}")
DIST=$(dirname "$SCCACHE")/sccache-dist
RUNS=${RUNS:-5}
for t in hyperfine cmake ninja bwrap jq; do command -v $t >/dev/null || { echo "$t missing: run scripts/setup.sh"; exit 1; }; done
[[ -x $SCCACHE && -x $DIST ]] || { echo "no sccache / sccache-dist at $SCCACHE"; exit 1; }
for v in $(compgen -e | grep -E '^SCCACHE_' || true); do unset "$v"; done

work=$(mktemp -d /tmp/dist-build-bench.XXXXXX)
# shellcheck source=dist_cluster.sh
source "$root/bench/dist_cluster.sh"
mkdir -p "$work/cluster"
start_dist_cluster "$DIST" "$work/cluster" jwt_hs256
sc_port=$(free_port)
export SCCACHE_SERVER_PORT=$sc_port SCCACHE_DIR=$work/cache SCCACHE_ERROR_LOG=$work/sccache.log SCCACHE_LOG=debug
stop_sccache() { "$SCCACHE" --stop-server >/dev/null 2>&1 || true; }
bench_cleanup() {
  stop_sccache
  dist_cleanup
  if [[ ${KEEP:-} == 1 ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap bench_cleanup EXIT

cat >"$work/dist.toml" <<EOC
[dist]
scheduler_url = "http://$SCHED_ADDR"
toolchains = []
cache_dir = "$work/dist-client"
[dist.auth]
type = "token"
token = "bench-client"
EOC
echo "" >"$work/local.toml"

src=$root/tests/system/data/dist_cmake
cmake -S "$src" -B "$work/plain" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake -S "$src" -B "$work/cached" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER_LAUNCHER="$SCCACHE" -DCMAKE_CXX_COMPILER_LAUNCHER="$SCCACHE" >/dev/null

start_with() { # start_with CONF: an sccache server with that config
  stop_sccache
  SCCACHE_CONF=$1 "$SCCACHE" --start-server >/dev/null
}

# Warm-up: the toolchain reaches the build server; the build servers' unpacked trees are hot.
start_with "$work/dist.toml"
SCCACHE_RECACHE=1 ninja -C "$work/cached" -j2 >/dev/null
"$SCCACHE" --show-stats --stats-format=json | jq -e '.stats.dist_compiles > 0' >/dev/null ||
  { echo "warm-up: nothing was distributed; log:"; tail -20 "$work/sccache.log"; exit 1; }

hyperfine -N -w 1 -r "$RUNS" --export-json "$work/plain.json" \
  --prepare "ninja -C $work/plain clean" "ninja -C $work/plain -j2" >/dev/null
start_with "$work/local.toml"
SCCACHE_RECACHE=1 hyperfine -N -w 1 -r "$RUNS" --export-json "$work/local.json" \
  --prepare "ninja -C $work/cached clean" "ninja -C $work/cached -j2" >/dev/null
start_with "$work/dist.toml"
: >"$work/sccache.log"
SCCACHE_RECACHE=1 hyperfine -N -w 1 -r "$RUNS" --export-json "$work/dist.json" \
  --prepare "ninja -C $work/cached clean" "ninja -C $work/cached -j2" >/dev/null
stats=$("$SCCACHE" --show-stats --stats-format=json)
# The plain build's per-TU compile times (ninja log: start end mtime target hash).
ninja -C "$work/plain" clean >/dev/null && rm -f "$work/plain/.ninja_log" && ninja -C "$work/plain" -j1 >/dev/null
local_tu_ms=$(awk '!/^#/ && $4 ~ /\.o$/ {s += $2 - $1; n++} END {printf "%.0f", s / n}' "$work/plain/.ninja_log")

mean() { jq '.results[0].mean' "$1"; }
sd() { jq '.results[0].stddev' "$1"; }
p=$(mean "$work/plain.json")
printf '\n| build (8 TUs, -j2) | wall [s] | vs plain |\n|---|---:|---:|\n'
for k in plain local dist; do
  m=$(mean "$work/$k.json")
  printf '| %s | %.3f ± %.3f | %.2f |\n' "$k" "$m" "$(sd "$work/$k.json")" "$(echo "$m / $p" | bc -l)"
done
echo
echo "dist runs: dist_compiles $(jq .stats.dist_compiles <<<"$stats"), dist_errors $(jq .stats.dist_errors <<<"$stats")"
grep -o 'alloc+toolchain [0-9]* us, run_job [0-9]* us, inputs [0-9]* bytes' "$work/sccache.log" |
  awk -v tu="$local_tu_ms" '{a += $2; r += $5; b += $8; n++}
    END {printf "per distributed TU (%d): alloc_job %.1f ms, run_job round trip %.0f ms (remote compile + sandbox + transfer), preprocessed input %.0f KB; the same TU compiled locally by ninja -j1: %d ms\n", n, a/n/1000, r/n/1000, b/n/1024, tu}'
