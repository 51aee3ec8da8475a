#!/usr/bin/env bash
# Extra outputs come back on hits: .dwo (-gsplit-dwarf), .gcno (--coverage), assembly (-S);
# a coverage build from a cached object still matches its notes file at gcov time;
# an output directory that does not exist fails like the plain compiler.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool gcc clang gcov
setup

write_file src/a.c <<'EOF'
#include <stdio.h>
static int square(int x) { return x * x; }
int main(int argc, char **argv) {
  (void)argv;
  if (argc > 5)
    puts("many");
  printf("%d\n", square(argc + 1));
  return 0;
}
EOF
mkdir -p obj

for cc in "${C_COMPILERS[@]}"; do
  log "$cc: -gsplit-dwarf: object and .dwo"
  compile_check miss --out obj/a.o --out obj/a.dwo -- "$cc" -g -gsplit-dwarf -c src/a.c -o obj/a.o
  compile_check hit --out obj/a.o --out obj/a.dwo -- "$cc" -g -gsplit-dwarf -c src/a.c -o obj/a.o
  log "$cc: -gsplit-dwarf without -o"
  compile_check any --out a.o --out a.dwo -- "$cc" -g -gsplit-dwarf -c src/a.c
  compile_check hit --out a.o --out a.dwo -- "$cc" -g -gsplit-dwarf -c src/a.c

  log "$cc: --coverage: object and .gcno (deterministic with -frandom-seed)"
  compile_check miss --out obj/cov.o --out obj/cov.gcno -- \
    "$cc" --coverage -frandom-seed=fixed -c src/a.c -o obj/cov.o
  compile_check hit --out obj/cov.o --out obj/cov.gcno -- \
    "$cc" --coverage -frandom-seed=fixed -c src/a.c -o obj/cov.o
  log "$cc: -fprofile-arcs -ftest-coverage spelling"
  compile_check miss --out obj/cov2.o --out obj/cov2.gcno -- \
    "$cc" -fprofile-arcs -ftest-coverage -frandom-seed=fixed -c src/a.c -o obj/cov2.o
  compile_check hit --out obj/cov2.o --out obj/cov2.gcno -- \
    "$cc" -fprofile-arcs -ftest-coverage -frandom-seed=fixed -c src/a.c -o obj/cov2.o

  log "$cc: -gsplit-dwarf into another object name: the skeleton names the new .dwo"
  compile_check any --out obj/other.o --out obj/other.dwo -- "$cc" -g -gsplit-dwarf -c src/a.c -o obj/other.o
  compile_check hit --out obj/other.o --out obj/other.dwo -- "$cc" -g -gsplit-dwarf -c src/a.c -o obj/other.o
  log "$cc: --coverage into another object name: the object names the new .gcda"
  compile_check any --out obj/cov-other.o --out obj/cov-other.gcno -- \
    "$cc" --coverage -frandom-seed=fixed -c src/a.c -o obj/cov-other.o

  log "$cc: -S writes assembly (with and without -o, with a stray -c)"
  compile_check any --out a.s -- "$cc" -S -O1 src/a.c
  compile_check any --out a.s -- "$cc" -S -O1 src/a.c
  compile_check any --out obj/x.s -- "$cc" -S -O2 src/a.c -o obj/x.s
  compile_check any --out obj/x.s -- "$cc" -c -S -O2 src/a.c -o obj/x.s
  compile_check any --out obj/x.s -- "$cc" -c -S -O2 src/a.c -o obj/x.s

  log "$cc: output into a missing directory fails like the plain compiler (miss and hit key)"
  run_to plain_missing "$cc" -c src/a.c -o nodir/a.o
  run_to sc_missing "$SCCACHE_BIN" "$cc" -c src/a.c -o nodir/a.o
  expect_ne "$(rc_of plain_missing)" 0 "plain compile into a missing directory"
  expect_ne "$(rc_of sc_missing)" 0 "sccache compile into a missing directory (exit code)"
  [[ ! -e nodir ]] || fail "sccache created the missing output directory nodir/"
done

for cc in "${C_COMPILERS[@]}"; do
  log "$cc: -fprofile-generate objects name their own .gcda (two object names)"
  for o in pg1 pg2 pg1; do
    compile_check any --out "obj/$o.o" -- "$cc" -fprofile-generate -frandom-seed=x -c src/a.c -o "obj/$o.o"
  done
done

# gcc's notes stamp changes per compile unless -frandom-seed is given, so the cached object
# must come back together with the very .gcno written by the same compile. Check it end to
# end with gcov: a mismatched pair makes gcov complain about the stamp.
log "gcc: --coverage without -frandom-seed: hit returns the matching object/.gcno pair"
CHECK_OUTPUTS_VARY=1 compile_check miss --out obj/cov3.o --out obj/cov3.gcno -- \
  gcc --coverage -c src/a.c -o obj/cov3.o
CHECK_NO_REF=1 compile_check hit --out obj/cov3.o --out obj/cov3.gcno -- \
  gcc --coverage -c src/a.c -o obj/cov3.o
gcc --coverage obj/cov3.o -o cov3
./cov3 >/dev/null
[[ -f obj/cov3.gcda ]] || fail "running the coverage program wrote no obj/cov3.gcda"
run_to gcov gcov -o obj obj/cov3.gcno
expect_eq "$(rc_of gcov)" 0 "gcov exit code"
if grep -qi 'stamp\|mismatch\|version' "$RUNS/gcov.err" "$RUNS/gcov.out"; then
  fail "gcov: object and notes file do not match: $(cat "$RUNS/gcov.err" "$RUNS/gcov.out")"
fi
grep -q 'Lines executed:' "$RUNS/gcov.out" || fail "gcov printed no coverage: $(cat "$RUNS/gcov.out")"

# `-o /dev/null` is common in configure checks. A device node of our own stands in for
# /dev/null (replacing the real one as root would break the machine): the output must stay a
# device, and the compile must not leave an empty object in the cache for later compiles.
if mknod devnull c 1 3 2>/dev/null; then
  for cc in "${C_COMPILERS[@]}"; do
    log "$cc: object and depfile written to a device node (like -o /dev/null)"
    printf 'int devnull_%s(void) { return 7; }\n' "$cc" >"src/devnull_$cc.c"
    for _ in 1 2; do
      compile_check any -- "$cc" -c "src/devnull_$cc.c" -o devnull
      [[ -c devnull ]] || fail "$cc: the device node given as -o was replaced by a regular file"
      compile_check any --out "obj/dn.o" -- "$cc" -c "src/devnull_$cc.c" -o obj/dn.o -MD -MF devnull
      [[ -c devnull ]] || fail "$cc: the device node given as -MF was replaced by a regular file"
    done
    log "$cc: the same compile into a real file afterwards gives the real object"
    compile_check any --out obj/dn.o -- "$cc" -c "src/devnull_$cc.c" -o obj/dn.o
    compile_check any --out obj/dn.o -- "$cc" -c "src/devnull_$cc.c" -o obj/dn.o
  done
else
  log "NOTE: mknod not permitted here; the device-node output check did not run"
fi
