#!/usr/bin/env bash
# Debug info must describe the file actually compiled: two files with the same content do not
# share file names, blank lines inserted at the top move the line table, and the compilation
# directory is the one the compile ran in. Every -g object equals a plain compile's.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool gcc clang readelf
setup

body='int add(int a, int b) {
  return a + b;
}
'
printf '%s' "$body" | write_file src/one.c
printf '%s' "$body" | write_file src/two.c
printf '%s' "$body" | write_file src/inner/one.c
mkdir -p obj

for cc in "${C_COMPILERS[@]}"; do
  log "$cc: same content, different names, -g"
  compile_check miss --out obj/one.o -- "$cc" -g -c src/one.c -o obj/one.o
  compile_check any --out obj/two.o -- "$cc" -g -c src/two.c -o obj/two.o
  compile_check any --out obj/inner-one.o -- "$cc" -g -c src/inner/one.c -o obj/inner-one.o
  compile_check hit --out obj/two.o -- "$cc" -g -c src/two.c -o obj/two.o
  readelf --debug-dump=info obj/two.o 2>/dev/null | grep -q 'two\.c' ||
    fail "$cc: obj/two.o debug info does not name two.c"

  log "$cc: same content, different names, -g -O2 -ffunction-sections"
  compile_check any --out obj/one.o -- "$cc" -g -O2 -ffunction-sections -c src/one.c -o obj/one.o
  compile_check any --out obj/two.o -- "$cc" -g -O2 -ffunction-sections -c src/two.c -o obj/two.o

  log "$cc: blank lines inserted at the top change the line table"
  printf '%s' "$body" >src/lines.c
  compile_check any --out obj/lines.o -- "$cc" -g -c src/lines.c -o obj/lines.o
  compile_check hit --out obj/lines.o -- "$cc" -g -c src/lines.c -o obj/lines.o
  for n in 1 5 40; do
    { for ((i = 0; i < n; i++)); do echo; done; printf '%s' "$body"; } >src/lines.c
    compile_check any --out obj/lines.o -- "$cc" -g -c src/lines.c -o obj/lines.o
    compile_check hit --out obj/lines.o -- "$cc" -g -c src/lines.c -o obj/lines.o
  done
  log "$cc: blank lines after a directive / inside the function change the line table"
  printf '#define X 1\n\n\n%s' "$body" >src/lines.c
  compile_check any --out obj/lines.o -- "$cc" -g -c src/lines.c -o obj/lines.o
  printf 'int add(int a, int b) {\n\n\n\n  return a + b;\n}\n' >src/lines.c
  compile_check any --out obj/lines.o -- "$cc" -g -c src/lines.c -o obj/lines.o
  log "$cc: __LINE__/__FILE__ users see the right values"
  printf '#include <stdio.h>\nvoid where(void) { printf("%%s:%%d\\n", __FILE__, __LINE__); }\n' >src/where1.c
  cp src/where1.c src/where2.c
  compile_check any --out obj/where1.o -- "$cc" -c src/where1.c -o obj/where1.o
  compile_check any --out obj/where2.o -- "$cc" -c src/where2.c -o obj/where2.o

  log "$cc: the same -g compile from another directory records that directory"
  mkdir -p dirA dirB
  printf '%s' "$body" >dirA/same.c
  printf '%s' "$body" >dirB/same.c
  cd dirA
  compile_check any --out same.o -- "$cc" -g -c same.c -o same.o
  cd ../dirB
  compile_check any --out same.o -- "$cc" -g -c same.c -o same.o
  readelf --debug-dump=info same.o 2>/dev/null | grep -q 'dirB' ||
    fail "$cc: dirB/same.o comp_dir does not name dirB"
  cd ..
done
