#!/usr/bin/env bash
# Symlinks named gcc/g++/cc/c++/clang/clang++ to the sccache binary, first on PATH, cache
# the compile and find the real compiler further down PATH; with no real compiler left on
# PATH they fail quickly instead of calling themselves forever.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool gcc g++ cc c++ clang clang++
setup

write_file src/a.c <<'EOF'
#include <stdio.h>
int main(void) { printf("c says %d\n", 6 * 7); return 0; }
EOF
write_file src/a.cpp <<'EOF'
#include <iostream>
#include <vector>
int main() { std::vector<int> v{6, 7}; std::cout << "c++ says " << v[0] * v[1] << "\n"; }
EOF
mkdir -p mbin obj empty chain
for name in gcc g++ cc c++ clang clang++; do ln -s "$SCCACHE_BIN" "mbin/$name"; done
ln -s "$PWD/mbin/gcc" chain/gcc # a symlink to the symlink
REAL_PATH=$PATH
MASQ_PATH=$PWD/mbin:$REAL_PATH

# masq EXPECT OUTS... -- CMD: CMD through the masquerading PATH vs the real PATH.
masq() {
  PATH=$MASQ_PATH CHECK_DIRECT=1 CHECK_REF_PATH=$REAL_PATH compile_check "$@"
}

for name in gcc cc clang; do
  log "$name -> sccache (C)"
  # cc/c++ are gcc/g++ under another name: they may share gcc's entries.
  first=miss
  [[ $name == cc || $name == c++ ]] && first=any
  masq "$first" --out "obj/$name.o" -- "$name" -O1 -c src/a.c -o "obj/$name.o"
  masq hit --out "obj/$name.o" -- "$name" -O1 -c src/a.c -o "obj/$name.o"
  "$name" "obj/$name.o" -o "prog-$name"
  expect_eq "$("./prog-$name")" "c says 42" "$name: program from the cached object"
done
for name in g++ c++ clang++; do
  log "$name -> sccache (C++)"
  # cc/c++ are gcc/g++ under another name: they may share gcc's entries.
  first=miss
  [[ $name == cc || $name == c++ ]] && first=any
  masq "$first" --out "obj/$name.o" -- "$name" -O1 -c src/a.cpp -o "obj/$name.o"
  masq hit --out "obj/$name.o" -- "$name" -O1 -c src/a.cpp -o "obj/$name.o"
  "$name" "obj/$name.o" -o "prog-$name"
  expect_eq "$("./prog-$name")" "c++ says 42" "$name: program from the cached object"
done

log "called by absolute path and through a chain of symlinks"
CHECK_DIRECT=1 compile_check hit --out obj/gcc.o -- "$PWD/mbin/gcc" -O1 -c src/a.c -o obj/gcc.o
PATH=$PWD/chain:$MASQ_PATH CHECK_DIRECT=1 CHECK_REF_PATH=$REAL_PATH \
  compile_check hit --out obj/gcc.o -- gcc -O1 -c src/a.c -o obj/gcc.o

log "masqueraded link step runs uncached and works"
masq uncached --out prog-link -- gcc obj/gcc.o -o prog-link
expect_eq "$(./prog-link)" "c says 42" "masqueraded link"

log "the same compile via 'sccache gcc' shares the entry"
compile_check hit --out obj/gcc.o -- gcc -O1 -c src/a.c -o obj/gcc.o

log "'sccache gcc' while gcc on PATH is the masquerading link (launcher + masquerade setups)"
PATH=$MASQ_PATH CHECK_REF_PATH=$REAL_PATH compile_check hit --out obj/gcc.o -- gcc -O1 -c src/a.c -o obj/gcc.o
PATH=$MASQ_PATH CHECK_REF_PATH=$REAL_PATH compile_check any --out obj/gcc2.o -- gcc -O2 -c src/a.c -o obj/gcc2.o

log "no real gcc left on PATH: fails fast, no recursion"
started=$SECONDS
PATH=$PWD/mbin:$PWD/empty run_to lonely gcc -O1 -c src/a.c -o obj/lonely.o
expect_ne "$(rc_of lonely)" 0 "exit code with no real gcc on PATH"
elapsed=$((SECONDS - started))
expect_le "$elapsed" 30 "seconds taken to give up"
[[ ! -e obj/lonely.o ]] || fail "an object appeared without a real compiler"
log "error shown: $(head -c 300 "$RUNS/lonely.err")"
