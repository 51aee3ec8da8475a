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
# shellcheck source=dist_cluster.sh
source "$root/bench/dist_cluster.sh"
start_dist_cluster "$DIST" "$work" DANGEROUSLY_INSECURE
mkdir -p "$work/tc" "$work/src" "$work/out"
bash "$root/tests/system/data/pkg-toolchain.sh" "$work/tc" /usr/bin/g++ "$(g++ -print-prog-name=cc1plus)" /usr/bin/as >/dev/null
python3 "$DRIVER" --scheduler "$SCHED_ADDR" --token=bench-client pack "$work/tc" "$work/tc.tar.gz" >/dev/null
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
remote="/usr/bin/python3 $DRIVER --scheduler $SCHED_ADDR --token=bench-client compile --toolchain $work/tc.tar.gz --exe /usr/bin/g++ --cwd $work/src --out-dir $work/out tu.ii -- -O2"
$remote >/dev/null   # the toolchain goes to the server once
hyperfine -N --warmup 2 --runs "$RUNS" "$remote" "g++ -O2 -c tu.ii -o $work/local.o" "/usr/bin/python3 -c pass"
cmp "$work/out/tu.o" "$work/local.o" && echo "remote object identical to the local one"
