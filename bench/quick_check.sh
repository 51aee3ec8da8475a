#!/usr/bin/env bash
# ctest-friendly check that the benchmark harness still works: `bench/run --quick` against
# $SCCACHE_BIN (default build/release/bin/sccache), results in a temp dir, BENCHMARKS.md untouched.
#   exit 0   the quick run completed and every check passed (100% hits on warm builds and
#            hyperfine runs, objects identical to a plain compile)
#   exit 77  skipped: the sources are not cached and the npm registry cannot be reached
#   exit 1   anything else (harness error, invalid round)
# Takes about 2-3 minutes on 2 cores. The first run downloads ~6 MB into bench/.cache/.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${SCCACHE_BIN:-$root/build/release/bin/sccache}
if [[ ! -x $bin ]]; then
  echo "quick_check: binary under test $bin is missing (set SCCACHE_BIN)" >&2
  exit 1
fi
out=$(mktemp -d "${TMPDIR:-/tmp}/sccache-bench-quick.XXXXXX")
trap 'rm -rf "$out"' EXIT
SCCACHE_BIN=$bin "$root/bench/run" --quick --results-dir "$out" --workdir "$out/work"
rc=$?
case $rc in
  0) echo "quick_check: ok" ;;
  77) echo "quick_check: SKIP: the npm registry cannot be reached and the benchmark sources are not cached in bench/.cache/" >&2 ;;
  3) echo "quick_check: FAIL: a check failed (not 100% hits, or objects differ from a plain compile); see PROBLEM lines above" >&2
     cat "$out"/quick-*.md 2>/dev/null | sed -n '/^## Validity/,/^## Reading/p' >&2
     rc=1 ;;
  *) echo "quick_check: FAIL: bench/run exited $rc" >&2; rc=1 ;;
esac
exit $rc
