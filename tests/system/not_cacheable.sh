#!/usr/bin/env bash
# Calls that cannot be cached run the real compiler with the same result as a plain run and
# are counted: -E, -M, -MM, -save-temps, stdin input, -fsyntax-only, several sources
# (not_cached[reason]); linking (requests_not_compile); unknown compilers run uncached.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool gcc clang
setup

write_file src/a.c <<'EOF'
#include "a.h"
int a(void) { return A; }
EOF
write_file src/a.h <<'EOF'
#define A 1
EOF
write_file src/b.c <<'EOF'
int b(void) { int unused; return 2; }
EOF
write_file src/main.c <<'EOF'
#include <stdio.h>
int a(void);
int main(void) { printf("%d\n", a() + 41); return 0; }
EOF
echo 'not a source' >notes.txt
mkdir -p obj

for cc in "${C_COMPILERS[@]}"; do
  log "$cc: -E (to stdout and to a file)"
  uncacheable -E -- "$cc" -E src/a.c
  uncacheable -E --out a.i -- "$cc" -E src/a.c -o a.i
  uncacheable -E --out a.i -- "$cc" -c -E src/a.c -o a.i

  log "$cc: -M and -MM without -MD"
  uncacheable -M -- "$cc" -M src/a.c
  uncacheable -MM -- "$cc" -MM -c src/a.c
  uncacheable -M --out deps.d -- "$cc" -M -MF deps.d src/a.c

  log "$cc: -save-temps"
  uncacheable -save-temps --out obj/a.o --out a.i --out a.s --out a.bc -- \
    "$cc" -save-temps -c src/a.c -o obj/a.o

  log "$cc: source on stdin"
  RUN_STDIN=src/b.c uncacheable - --out obj/stdin.o -- "$cc" -x c -c - -o obj/stdin.o

  log "$cc: -fsyntax-only (warnings still shown)"
  uncacheable -fsyntax-only -- "$cc" -fsyntax-only -Wall -c src/b.c

  log "$cc: several source files in one call"
  uncacheable "multiple input files" --out a.o --out b.o -- "$cc" -c src/a.c src/b.c
  [[ -f a.o && -f b.o ]] || fail "$cc: multi-source compile did not produce a.o and b.o"

  log "$cc: linking and compile+link are non-compilation calls"
  "$cc" -c src/a.c -o obj/a.o
  "$cc" -c src/main.c -o obj/main.o
  not_compile --out prog -- "$cc" obj/main.o obj/a.o -o prog
  expect_eq "$(./prog)" 42 "$cc: linked program output"
  not_compile --out prog2 -- "$cc" src/main.c src/a.c -o prog2
  expect_eq "$(./prog2)" 42 "$cc: compile+link program output"

  log "$cc: other odd calls behave like the plain compiler"
  compile_check uncached -- "$cc" -c
  compile_check uncached --out notes.o -- "$cc" -c notes.txt

  log "$cc: assembler sources (cached or not) follow their content and includes"
  printf '\t.text\n\t.globl\tasm_fn\nasm_fn:\n\tret\n' >src/asm.s
  compile_check any --out obj/asm.o -- "$cc" -x assembler -c src/asm.s -o obj/asm.o
  compile_check any --out obj/asm.o -- "$cc" -x assembler -c src/asm.s -o obj/asm.o
  printf '\t.text\n\t.globl\tother_fn\nother_fn:\n\tnop\n\tret\n' >src/asm.s
  compile_check any --out obj/asm.o -- "$cc" -x assembler -c src/asm.s -o obj/asm.o
  compile_check any --out obj/asm.o -- "$cc" -c src/asm.s -o obj/asm.o
  # shellcheck disable=SC2016 # $VALUE is an assembler immediate, not a shell variable
  printf '#include "asm.h"\n\t.text\n\t.globl\tasm_fn\nasm_fn:\n\tmov $VALUE, %%eax\n\tret\n' >src/pp.S
  echo '#define VALUE 1' >src/asm.h
  compile_check any --out obj/pp.o -- "$cc" -c src/pp.S -o obj/pp.o
  compile_check any --out obj/pp.o -- "$cc" -c src/pp.S -o obj/pp.o
  echo '#define VALUE 2' >src/asm.h
  compile_check any --out obj/pp.o -- "$cc" -c src/pp.S -o obj/pp.o
  compile_check any -- "$cc" --version
done

log "unknown compilers run uncached and never fail the build"
compile_check uncached -- /bin/echo -c hello.c -o hello.o
expect_eq "$(cat "$RUNS/sc$LAST_CHECK.out")" "-c hello.c -o hello.o" "/bin/echo output"
write_file bin/fail3 <<'EOF'
#!/bin/sh
echo "fail3: $*" >&2
exit 3
EOF
write_file bin/fake-cc <<'EOF'
#!/bin/sh
# Looks like a compiler from the outside, but is none.
for a; do case $a in *.o) echo fake >"$a" ;; esac; done
echo "fake-cc ran"
EOF
chmod +x bin/fail3 bin/fake-cc
compile_check uncached -- "$PWD/bin/fail3" -c src/a.c -o obj/x.o
expect_eq "$(rc_of "sc$LAST_CHECK")" 3 "exit code of a failing unknown compiler"
compile_check uncached --out obj/fake.o -- "$PWD/bin/fake-cc" -c src/a.c -o obj/fake.o
compile_check uncached --out obj/fake.o -- "$PWD/bin/fake-cc" -c src/a.c -o obj/fake.o
unsupported=$(stat_json "$J_UNSUPPORTED")
expect_ge "$unsupported" 1 "requests_unsupported_compiler after unknown compilers"
