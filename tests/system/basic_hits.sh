#!/usr/bin/env bash
# A repeated compile is a hit whose object, stdout and stderr equal a plain compile's;
# the cache survives a server restart; SCCACHE_RECACHE forces a miss; a hit does not run
# the real compile.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool gcc g++ clang clang++
setup

write_file src/hello.h <<'EOF'
#define HELLO_VALUE 21
int twice(int);
EOF
write_file src/hello.c <<'EOF'
#include <stdio.h>
#include "hello.h"
int twice(int x) { return 2 * x; }
int main(void) { printf("%d\n", twice(HELLO_VALUE)); return 0; }
EOF
write_file src/tmpl.cpp <<'EOF'
#include <map>
#include <string>
#include <iostream>
template <typename T> T sum(const std::map<std::string, T>& m) {
  T s{};
  for (const auto& kv : m) s += kv.second;
  return s;
}
int main() {
  std::map<std::string, long> m{{"a", 40}, {"b", 2}};
  std::cout << sum(m) << "\n";
}
EOF

for cc in "${C_COMPILERS[@]}"; do
  log "$cc: miss, then hit, byte-identical"
  compile_check miss --out hello.o -- "$cc" -c src/hello.c -o hello.o
  compile_check hit --out hello.o -- "$cc" -c src/hello.c -o hello.o
  "$cc" hello.o -o hello
  expect_eq "$(./hello)" 42 "$cc: program linked from the cached object"

  log "$cc: -g -O2 -Wall"
  compile_check miss --out hello_g.o -- "$cc" -c -g -O2 -Wall src/hello.c -o hello_g.o
  compile_check hit --out hello_g.o -- "$cc" -c -g -O2 -Wall src/hello.c -o hello_g.o

  log "$cc: default output name goes to the cwd, as with the plain compiler"
  compile_check any --out hello.o --out src/hello.o -- "$cc" -c src/hello.c
  log "$cc: concatenated -o and -c after the input"
  compile_check any --out cat.o -- "$cc" src/hello.c -ocat.o -c

  log "$cc: run from a subdirectory with relative paths"
  mkdir -p sub out
  cd sub
  compile_check any --out ../out/h.o -- "$cc" -c ../src/hello.c -o ../out/h.o
  cd ..
done

for cxx in "${CXX_COMPILERS[@]}"; do
  log "$cxx: C++ miss then hit"
  compile_check miss --out tmpl.o -- "$cxx" -std=c++17 -O1 -c src/tmpl.cpp -o tmpl.o
  compile_check hit --out tmpl.o -- "$cxx" -std=c++17 -O1 -c src/tmpl.cpp -o tmpl.o
  "$cxx" tmpl.o -o tmpl
  expect_eq "$(./tmpl)" 42 "$cxx: program linked from the cached object"
done

log "an empty source file, non-ASCII and spaced file names"
: >src/empty.c
mkdir -p 'src/ünï cödé'
cp src/hello.c 'src/ünï cödé/hëllo wörld.c'
cp src/hello.h 'src/ünï cödé/hello.h'
for cc in "${C_COMPILERS[@]}"; do
  compile_check miss --out empty.o -- "$cc" -c src/empty.c -o empty.o
  compile_check hit --out empty.o -- "$cc" -c src/empty.c -o empty.o
  compile_check miss --out 'wörld.o' -- "$cc" -g -c 'src/ünï cödé/hëllo wörld.c' -o 'wörld.o'
  compile_check hit --out 'wörld.o' -- "$cc" -g -c 'src/ünï cödé/hëllo wörld.c' -o 'wörld.o'
done

log "a long command line (1500 -D flags; gcc itself fails near 128 KiB of options)"
defs=()
for ((i = 0; i < 1500; i++)); do defs+=("-DUNUSED_MACRO_NUMBER_$i=some_value_$i"); done
compile_check miss --out long.o -- gcc "${defs[@]}" -DHELLO_EXTRA=1 -O1 -c src/hello.c -o long.o
expect_eq "$(rc_of "sc$LAST_CHECK")" 0 "exit code of the long command line"
compile_check hit --out long.o -- gcc "${defs[@]}" -DHELLO_EXTRA=1 -O1 -c src/hello.c -o long.o

log "stats: cache location and size"
expect_eq "$(stat_json .cache_location)" "Local disk: \"$SCCACHE_DIR\"" "cache_location"
size=$(stat_json '.cache_size // 0')
(( size > 0 )) || fail "cache_size is $size after several cache writes"

log "the cache survives a server restart"
run_to stop "$SCCACHE_BIN" --stop-server
expect_eq "$(rc_of stop)" 0 "--stop-server exit code"
wait_until 15 port_closed "$SCCACHE_SERVER_PORT" || fail "server still listening after --stop-server"
compile_check hit --out hello.o -- gcc -c src/hello.c -o hello.o
compile_check hit --out tmpl.o -- clang++ -std=c++17 -O1 -c src/tmpl.cpp -o tmpl.o

log "SCCACHE_RECACHE=1 forces a miss and rewrites the entry"
export SCCACHE_RECACHE=1
compile_check miss --out hello.o -- gcc -c src/hello.c -o hello.o
expect_delta "b$LAST_CHECK" "a$LAST_CHECK" "$J_RECACHE" 1 "forced_recaches"
unset SCCACHE_RECACHE
compile_check hit --out hello.o -- gcc -c src/hello.c -o hello.o

log "a hit does not run the real compile step"
write_file bin/gcc-logged <<EOF
#!/bin/sh
echo "\$*" >>"$TEST_TMP/compiler-calls.log"
exec gcc "\$@"
EOF
chmod +x bin/gcc-logged
compile_check miss --out logged.o -- "$PWD/bin/gcc-logged" -c src/hello.c -o logged.o -O1
: >"$TEST_TMP/compiler-calls.log"
compile_check hit --out logged.o -- "$PWD/bin/gcc-logged" -c src/hello.c -o logged.o -O1
# The reference (plain) run is the one line allowed to have -o logged.o; the sccache run
# may preprocess but must not compile again.
compiles=$(grep -c -- '-o logged.o' "$TEST_TMP/compiler-calls.log" || true)
expect_eq "$compiles" 1 "compile invocations of the real compiler during the hit (plain run included)"

log "outputs follow the client's umask on misses and hits"
umask 077
compile_check miss --out umask.o -- gcc -O3 -c src/hello.c -o umask.o
compile_check hit --out umask.o -- gcc -O3 -c src/hello.c -o umask.o
umask 022
compile_check hit --out umask.o -- gcc -O3 -c src/hello.c -o umask.o

log "a compiler given by a relative path is found relative to the cwd"
compile_check hit --out logged.o -- bin/gcc-logged -c src/hello.c -o logged.o -O1
cd sub
compile_check any --out ../logged.o -- ../bin/gcc-logged -c ../src/hello.c -o ../logged.o -O1
cd ..

log "SCCACHE_DIR with spaces and non-ASCII characters"
run_to stop2 "$SCCACHE_BIN" --stop-server
wait_until 15 port_closed "$SCCACHE_SERVER_PORT" || fail "server still listening after --stop-server"
export SCCACHE_DIR="$TEST_TMP/cäche dir/with space"
compile_check miss --out hello.o -- gcc -c src/hello.c -o hello.o
compile_check hit --out hello.o -- gcc -c src/hello.c -o hello.o
expect_eq "$(stat_json .cache_location)" "Local disk: \"$SCCACHE_DIR\"" "cache_location with spaces"
[[ -n $(find "$SCCACHE_DIR" -type f | head -1) ]] || fail "nothing written below '$SCCACHE_DIR'"
