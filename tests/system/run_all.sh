#!/usr/bin/env bash
# Runs every system test (or the ones named as arguments, e.g. `run_all.sh cli depfiles`)
# one after another and prints `N passed, N failed, N skipped` last. Exit 0 only if none
# failed. Each test's full output goes to $SYSTEST_LOGS (default: a temp dir), and the tail
# of a failing test's output is shown.
set -uo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
logs=${SYSTEST_LOGS:-$(mktemp -d "${TMPDIR:-/tmp}/sccache-systest-logs.XXXXXX")}
mkdir -p "$logs"

tests=()
if (($# > 0)); then
  for name in "$@"; do tests+=("$dir/${name%.sh}.sh"); done
else
  for t in "$dir"/*.sh; do
    case ${t##*/} in lib.sh | run_all.sh | cloud_services.sh) continue ;; esac
    tests+=("$t")
  done
fi

passed=0 failed=0 skipped=0 failed_names=()
for t in "${tests[@]}"; do
  name=$(basename "$t" .sh)
  start=$SECONDS
  bash "$t" >"$logs/$name.log" 2>&1 </dev/null
  rc=$?
  took=$((SECONDS - start))
  case $rc in
  0)
    passed=$((passed + 1))
    printf 'PASS  %-20s %4ss\n' "$name" "$took"
    ;;
  77)
    skipped=$((skipped + 1))
    printf 'SKIP  %-20s %4ss  %s\n' "$name" "$took" "$(grep -m1 'SKIP:' "$logs/$name.log" | sed 's/.*SKIP: //')"
    ;;
  *)
    failed=$((failed + 1))
    failed_names+=("$name")
    printf 'FAIL  %-20s %4ss  (exit %s, log %s)\n' "$name" "$took" "$rc" "$logs/$name.log"
    grep -m3 'FAIL:' "$logs/$name.log" | sed 's/^/      /'
    ;;
  esac
done
((failed == 0)) || echo "failed: ${failed_names[*]} (logs in $logs)"
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
