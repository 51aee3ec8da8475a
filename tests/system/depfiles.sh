#!/usr/bin/env bash
# Dependency files (-MD/-MMD/-MF/-MT/-MQ/-MP) on hits are byte-identical to a plain
# compile's, including several targets, quoting, paths with spaces, and an object path that
# differs from the compile that filled the cache.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool gcc clang
setup

write_file src/a.c <<'EOF'
#include <stdio.h>
#include "a.h"
#include "sub/b.h"
int main(void) { printf("%d\n", A + B); return 0; }
EOF
write_file src/a.h <<'EOF'
#define A 1
EOF
write_file src/sub/b.h <<'EOF'
#include "../a.h"
#define B 2
EOF
write_file 'src dir/my file.c' <<'EOF'
#include "my header.h"
int value(void) { return MY_VALUE; }
EOF
write_file 'hdr dir/my header.h' <<'EOF'
#define MY_VALUE 42
EOF
mkdir -p obj obj2 deps 'obj dir' 'deps dir'

# twice EXPECT-FIRST OUTS... -- CMD: first compile (EXPECT-FIRST), then the same again (hit).
twice() {
  local first=$1
  shift
  compile_check "$first" "$@"
  compile_check hit "$@"
}

for cc in "${C_COMPILERS[@]}"; do
  log "$cc: -MD -MF"
  twice miss --out obj/a.o --out deps/a.d -- "$cc" -c src/a.c -o obj/a.o -MD -MF deps/a.d

  log "$cc: -MMD with the default depfile name next to the object"
  twice any --out obj/a.o --out obj/a.d -- "$cc" -c src/a.c -o obj/a.o -MMD

  log "$cc: -MD without -o (object and depfile named after the source, in the cwd)"
  twice any --out a.o --out a.d -- "$cc" -c src/a.c -MD

  log "$cc: same compile, another object path: depfile names the new object"
  twice any --out obj2/a.o --out obj2/a.d -- "$cc" -c src/a.c -o obj2/a.o -MD

  log "$cc: several -MT and -MQ targets with characters that need quoting, and -MP"
  # shellcheck disable=SC2016 # a literal $ in a make target, quoted by -MQ
  twice any --out obj/a.o --out deps/multi.d -- "$cc" -c src/a.c -o obj/a.o -MD -MF deps/multi.d \
    -MT first -MT 'second target' -MQ 'q$uoted' -MQ 'obj dir/spaced name.o' -MP

  log "$cc: -MT only differs from the previous compile"
  twice any --out obj/a.o --out deps/multi.d -- "$cc" -c src/a.c -o obj/a.o -MD -MF deps/multi.d \
    -MT other

  log "$cc: -MF given as one argument (-MFfile) and -MMD -MP"
  twice any --out obj/a.o --out deps/joined.d -- "$cc" -c src/a.c -o obj/a.o -MMD -MP -MFdeps/joined.d

  log "$cc: source, header, object and depfile paths with spaces"
  twice miss --out 'obj dir/my obj.o' --out 'deps dir/my dep.d' -- \
    "$cc" -c 'src dir/my file.c' -o 'obj dir/my obj.o' -I'hdr dir' -MD -MF 'deps dir/my dep.d' -MP
  twice any --out 'obj dir/my obj.o' --out 'obj dir/my obj.d' -- \
    "$cc" -c 'src dir/my file.c' -o 'obj dir/my obj.o' -I 'hdr dir' -MMD

  log "$cc: absolute include path appears as such in the depfile"
  twice miss --out obj/a.o --out deps/abs.d -- "$cc" -c "$PWD/src/a.c" -o obj/a.o -I"$PWD/src" -MD -MF deps/abs.d

  log "$cc: a header edit changes the depfile-relevant list"
  echo '#define B 3' >src/sub/b.h
  compile_check miss --out obj/a.o --out deps/a.d -- "$cc" -c src/a.c -o obj/a.o -MD -MF deps/a.d
  printf '#include "../a.h"\n#include "../c.h"\n#define B 2\n' >src/sub/b.h
  echo '#define C 5' >src/c.h
  twice miss --out obj/a.o --out deps/a.d -- "$cc" -c src/a.c -o obj/a.o -MD -MF deps/a.d
  grep -q 'c\.h' deps/a.d || fail "depfile does not list the new header c.h"
  printf '#include "../a.h"\n#define B 2\n' >src/sub/b.h
  rm src/c.h
done
