#!/usr/bin/env bash
# Starts a scheduler and one build server on 127.0.0.1 and measures alloc_job throughput with
# bench/dist_alloc.py. Usage: bench/dist_alloc.sh [path/to/sccache-dist] [N] [THREADS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
DIST=${1:-$root/build/release/bin/sccache-dist}
# shellcheck source=dist_cluster.sh
source "$root/bench/dist_cluster.sh"
start_dist_cluster "$DIST" "$(mktemp -d)" jwt_hs256
python3 "$root/bench/dist_alloc.py" "$SCHED_ADDR" bench-client "$SERVER_TOKEN" "${2:-1000}" "${3:-2}"
