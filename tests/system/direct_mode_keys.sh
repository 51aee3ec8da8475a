#!/usr/bin/env bash
# Direct mode (a hit found from a manifest, without running the preprocessor) must key on
# everything that is not file content too: -D/-U, -I order, -iquote, -x, CPATH in the client's
# environment, the cwd (relative -I paths resolve elsewhere; -g records it), the input's name
# with -g, the object and depfile names on hits, forced includes, response files and the
# compiler itself. Sources are left to settle (> 2 s old, so manifests are used) and every
# result is compared with a plain compile. Complements direct_mode.sh (header edits).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool gcc clang
setup
export SCCACHE_LOG=debug # the server log says "direct hit"; the client's output stays clean

direct_hits() { grep -c 'direct hit' "$SCCACHE_ERROR_LOG" 2>/dev/null || true; }
settle() { sleep 2.2; } # direct mode ignores files changed in the last 2 s (mtime and ctime)

# direct EXPECT ARGS...: compile_check that also requires the hit to come from a manifest, so a
# following step really tests what the manifest is keyed on.
direct() {
  local n
  n=$(direct_hits)
  compile_check "$@"
  expect_ge "$(direct_hits)" "$((n + 1))" "direct mode not exercised (no 'direct hit' logged) for: ${*:2}"
}

write_file src/main.c <<'EOF'
#include <stdio.h>
#include "conf.h"
int main(void) {
#ifdef FEATURE
  printf("feature %d\n", FEATURE);
#endif
  printf("%d\n", CONF);
  return 0;
}
EOF
echo '#define CONF 1' | write_file inc1/conf.h
echo '#define CONF 2' | write_file inc2/conf.h
echo '#define CONF 3' | write_file q1/conf.h
printf 'int add(int a, int b) {\n  return a + b;\n}\n' | write_file src/copy_a.c
cp src/copy_a.c src/copy_b.c
# Two checkouts with the same layout and source, different header content.
for p in p1 p2; do
  mkdir -p "$p/build"
  cp src/main.c "$p/main.c"
done
echo '#define CONF 11' | write_file p1/inc/conf.h
echo '#define CONF 22' | write_file p2/inc/conf.h
echo '#define FORCED 1' | write_file force.h
echo '-c src/main.c -Iinc1 -DFEATURE=5' >args.rsp
mkdir -p obj deps wrap
printf '#!/bin/sh\nexec gcc -O0 "$@"\n' >wrap/cc
chmod +x wrap/cc
settle

for cc in "${C_COMPILERS[@]}"; do
  base=("$cc" -c src/main.c -o obj/main.o -Iinc1)
  log "$cc: baseline miss, then a direct hit"
  compile_check miss --out obj/main.o -- "${base[@]}"
  direct hit --out obj/main.o -- "${base[@]}"

  log "$cc: -D / -U values are part of the direct key"
  compile_check miss --out obj/main.o -- "${base[@]}" -DFEATURE=1
  direct hit --out obj/main.o -- "${base[@]}" -DFEATURE=1
  compile_check miss --out obj/main.o -- "${base[@]}" -DFEATURE=2
  compile_check any --out obj/main.o -- "${base[@]}" -DFEATURE=2 -UFEATURE
  direct hit --out obj/main.o -- "${base[@]}" -DFEATURE=1

  log "$cc: include directory order and -iquote"
  compile_check miss --out obj/main.o -- "$cc" -c src/main.c -o obj/main.o -Iinc1 -Iinc2
  direct hit --out obj/main.o -- "$cc" -c src/main.c -o obj/main.o -Iinc1 -Iinc2
  compile_check miss --out obj/main.o -- "$cc" -c src/main.c -o obj/main.o -Iinc2 -Iinc1
  compile_check miss --out obj/main.o -- "$cc" -c src/main.c -o obj/main.o -iquote q1 -Iinc1
  direct hit --out obj/main.o -- "$cc" -c src/main.c -o obj/main.o -iquote q1 -Iinc1

  log "$cc: -x c++ is another compile"
  compile_check miss --out obj/main.o -- "$cc" -x c++ -c src/main.c -o obj/main.o -Iinc1
  direct hit --out obj/main.o -- "${base[@]}"

  log "$cc: CPATH from the client's environment"
  CPATH=inc1 compile_check miss --out obj/main.o -- "$cc" -c src/main.c -o obj/main.o -O1
  CPATH=inc1 direct hit --out obj/main.o -- "$cc" -c src/main.c -o obj/main.o -O1
  CPATH=inc2 compile_check miss --out obj/main.o -- "$cc" -c src/main.c -o obj/main.o -O1
  C_INCLUDE_PATH=q1 compile_check miss --out obj/main.o -- "$cc" -c src/main.c -o obj/main.o -O1

  log "$cc: same relative command in two checkouts (different header content)"
  cd p1/build
  compile_check miss --out main.o -- "$cc" -c ../main.c -o main.o -I../inc
  direct hit --out main.o -- "$cc" -c ../main.c -o main.o -I../inc
  cd ../../p2/build
  compile_check any --out main.o -- "$cc" -c ../main.c -o main.o -I../inc
  compile_check any --out main.o -- "$cc" -c ../main.c -o main.o -I../inc
  log "$cc: ... and with -g (comp_dir differs even where the headers do not)"
  compile_check any --out main.o -- "$cc" -g -c ../main.c -o main.o -I../inc
  cd ../../p1/build
  compile_check any --out main.o -- "$cc" -g -c ../main.c -o main.o -I../inc
  compile_check any --out main.o -- "$cc" -g -c ../main.c -o main.o -I../inc
  cd ../..

  log "$cc: same content, other name, -g"
  compile_check miss --out obj/copy.o -- "$cc" -g -c src/copy_a.c -o obj/copy.o
  compile_check hit --out obj/copy.o -- "$cc" -g -c src/copy_a.c -o obj/copy.o
  compile_check any --out obj/copy.o -- "$cc" -g -c src/copy_b.c -o obj/copy.o
  compile_check any --out obj/copy.o -- "$cc" -g -c src/copy_b.c -o obj/copy.o

  log "$cc: depfile and object names on direct hits"
  compile_check miss --out obj/d1.o --out deps/d1.d -- "$cc" -c src/main.c -Iinc1 -O2 -o obj/d1.o -MD -MF deps/d1.d
  direct hit --out obj/d1.o --out deps/d1.d -- "$cc" -c src/main.c -Iinc1 -O2 -o obj/d1.o -MD -MF deps/d1.d
  # Whether other output names share the manifest is the product's choice; the outputs must
  # be right either way.
  compile_check any --out obj/d2.o --out deps/d2.d -- "$cc" -c src/main.c -Iinc1 -O2 -o obj/d2.o -MD -MF deps/d2.d
  compile_check any --out obj/d2.o --out deps/d2.d -- "$cc" -c src/main.c -Iinc1 -O2 -o obj/d2.o -MD -MF deps/d2.d -MT custom -MP
  compile_check any --out obj/d3.o --out obj/d3.d -- "$cc" -c src/main.c -Iinc1 -O2 -o obj/d3.o -MMD
  log "$cc: split DWARF object names on direct hits"
  compile_check miss --out obj/s1.o --out obj/s1.dwo -- "$cc" -g -gsplit-dwarf -c src/main.c -Iinc1 -o obj/s1.o
  compile_check any --out obj/s2.o --out obj/s2.dwo -- "$cc" -g -gsplit-dwarf -c src/main.c -Iinc1 -o obj/s2.o
done

log "forced include, response file and compiler edits (after settling)"
for cc in "${C_COMPILERS[@]}"; do
  compile_check miss --out obj/f.o -- "$cc" -c src/main.c -o obj/f.o -Iinc1 -include force.h -DFEATURE=FORCED
  direct hit --out obj/f.o -- "$cc" -c src/main.c -o obj/f.o -Iinc1 -include force.h -DFEATURE=FORCED
  compile_check any --out obj/r.o -- "$cc" @args.rsp -o obj/r.o
  compile_check any --out obj/r.o -- "$cc" @args.rsp -o obj/r.o
done
compile_check miss --out obj/w.o -- "$PWD/wrap/cc" -c src/main.c -o obj/w.o -Iinc1
direct hit --out obj/w.o -- "$PWD/wrap/cc" -c src/main.c -o obj/w.o -Iinc1
echo '#define FORCED 2' >force.h
echo '-c src/main.c -Iinc1 -DFEATURE=6' >args.rsp
printf '#!/bin/sh\nexec gcc -O2 "$@"\n' >wrap/cc
settle
for cc in "${C_COMPILERS[@]}"; do
  compile_check miss --out obj/f.o -- "$cc" -c src/main.c -o obj/f.o -Iinc1 -include force.h -DFEATURE=FORCED
  compile_check any --out obj/r.o -- "$cc" @args.rsp -o obj/r.o
done
compile_check miss --out obj/w.o -- "$PWD/wrap/cc" -c src/main.c -o obj/w.o -Iinc1

# Last, so that every correctness check above has run: debug builds are the common case.
for cc in "${C_COMPILERS[@]}"; do
  log "$cc: -g compiles are served by direct mode too"
  compile_check miss --out obj/g.o -- "$cc" -g -O1 -c src/main.c -o obj/g.o -Iinc1
  direct hit --out obj/g.o -- "$cc" -g -O1 -c src/main.c -o obj/g.o -Iinc1
done
