#!/usr/bin/env bash
# Anything that changes the object changes the key: source, header, -D, -O, include
# directory content (including a new shadowing header), forced includes, the compiler.
# Reverting an edit hits the earlier entry again. Every object equals a plain compile's.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool gcc clang
setup

reset_sources() {
  write_file proj/main.c <<'EOF'
#include <stdio.h>
#include "conf.h"
#include "local.h"
int main(void) {
#ifdef FEATURE
  printf("feature %d\n", FEATURE);
#endif
  printf("%d %d\n", CONF_VALUE, LOCAL_VALUE);
  return 0;
}
EOF
  write_file proj/local.h <<'EOF'
#define LOCAL_VALUE 7
EOF
  write_file inc1/conf.h <<'EOF'
#define CONF_VALUE 100
EOF
  write_file inc2/conf.h <<'EOF'
#define CONF_VALUE 200
EOF
  write_file force.h <<'EOF'
#define FORCED 1
EOF
  mkdir -p inc0
  rm -f inc0/conf.h
}

for cc in "${C_COMPILERS[@]}"; do
  reset_sources
  base=("$cc" -c proj/main.c -o main.o -Iinc1)

  log "$cc: baseline"
  compile_check miss --out main.o -- "${base[@]}"
  compile_check hit --out main.o -- "${base[@]}"

  log "$cc: source edit misses, reverting hits"
  sed -i 's/return 0;/return 3;/' proj/main.c
  compile_check miss --out main.o -- "${base[@]}"
  sed -i 's/return 3;/return 0;/' proj/main.c
  compile_check hit --out main.o -- "${base[@]}"

  log "$cc: header edit misses"
  echo '#define LOCAL_VALUE 8' >proj/local.h
  compile_check miss --out main.o -- "${base[@]}"
  echo '#define LOCAL_VALUE 7' >proj/local.h
  compile_check hit --out main.o -- "${base[@]}"

  log "$cc: -D that the source uses misses; each value is its own entry"
  compile_check miss --out main.o -- "${base[@]}" -DFEATURE=1
  compile_check miss --out main.o -- "${base[@]}" -DFEATURE=2
  compile_check hit --out main.o -- "${base[@]}" -DFEATURE=1
  compile_check miss --out main.o -- "${base[@]}" -DFEATURE=1 -UFEATURE -DFEATURE=3

  log "$cc: -O level misses"
  compile_check miss --out main.o -- "${base[@]}" -O2
  compile_check miss --out main.o -- "${base[@]}" -Os
  compile_check hit --out main.o -- "${base[@]}" -O2

  log "$cc: another include directory with a same-named header misses"
  compile_check miss --out main.o -- "$cc" -c proj/main.c -o main.o -Iinc2

  log "$cc: include directory content edit misses"
  echo '#define CONF_VALUE 101' >inc1/conf.h
  compile_check miss --out main.o -- "${base[@]}"
  echo '#define CONF_VALUE 100' >inc1/conf.h
  compile_check hit --out main.o -- "${base[@]}"

  log "$cc: a new header appearing in an earlier include directory is picked up"
  compile_check any --out main.o -- "$cc" -c proj/main.c -o main.o -Iinc0 -Iinc1
  echo '#define CONF_VALUE 555' >inc0/conf.h
  compile_check miss --out main.o -- "$cc" -c proj/main.c -o main.o -Iinc0 -Iinc1
  rm inc0/conf.h

  log "$cc: forced include (-include) content edit misses"
  compile_check miss --out main.o -- "${base[@]}" -include force.h -DFEATURE=FORCED
  echo '#define FORCED 2' >force.h
  compile_check miss --out main.o -- "${base[@]}" -include force.h -DFEATURE=FORCED

  log "$cc: headers found through CPATH in the client's environment"
  CPATH=inc1 compile_check miss --out main.o -- "$cc" -c proj/main.c -o main.o -O3
  CPATH=inc1 compile_check hit --out main.o -- "$cc" -c proj/main.c -o main.o -O3
  CPATH=inc2 compile_check miss --out main.o -- "$cc" -c proj/main.c -o main.o -O3

  log "$cc: a response file's content is part of the command"
  echo "-c proj/main.c -o main.o -Iinc1 -DFEATURE=11" >args.rsp
  compile_check any --out main.o -- "$cc" @args.rsp
  compile_check any --out main.o -- "$cc" @args.rsp
  echo "-c proj/main.c -o main.o -Iinc1 -DFEATURE=12" >args.rsp
  compile_check any --out main.o -- "$cc" @args.rsp
  echo "-c proj/main.c -o main.o -Iinc2 -DFEATURE=12 -O2" >args.rsp
  compile_check any --out main.o -- "$cc" @args.rsp

  log "$cc: the same file as C and as C++ (-x c++) are different compiles"
  compile_check any --out main.o -- "$cc" -x c++ -c proj/main.c -o main.o -Iinc1
  compile_check hit --out main.o -- "${base[@]}"
  log "$cc: -x after the last input has no effect (and warns)"
  compile_check any --out main.o -- "${base[@]}" -x c++

  log "$cc: -std change misses"
  compile_check miss --out main.o -- "${base[@]}" -std=c99
  compile_check miss --out main.o -- "${base[@]}" -std=gnu11 -O1

  other=$(alt_cc "$cc")
  # A -std per iteration keeps the two iterations from sharing these entries.
  [[ $cc == gcc ]] && std=-std=c11 || std=-std=gnu99
  log "$cc: same command with $other misses (object equals $other's)"
  compile_check miss --out main.o -- "$other" -c proj/main.c -o main.o -Iinc1 -O1 -g0 "$std"
  compile_check miss --out main.o -- "$cc" -c proj/main.c -o main.o -Iinc1 -O1 -g0 "$std"
  compile_check hit --out main.o -- "$other" -c proj/main.c -o main.o -Iinc1 -O1 -g0 "$std"

  log "$cc: a wrapper script whose content changes is a different compiler"
  mkdir -p wrap
  printf '#!/bin/sh\nexec %s -O0 "$@"\n' "$cc" >wrap/cc
  chmod +x wrap/cc
  compile_check miss --out main.o -- "$PWD/wrap/cc" -c proj/main.c -o main.o -Iinc1
  compile_check hit --out main.o -- "$PWD/wrap/cc" -c proj/main.c -o main.o -Iinc1
  before=$(stat -c %Y.%y wrap/cc)
  printf '#!/bin/sh\nexec %s -O2 "$@"\n' "$cc" >wrap/cc.new
  chmod +x wrap/cc.new
  mv wrap/cc.new wrap/cc
  [[ $(stat -c %Y.%y wrap/cc) != "$before" ]] || touch -d '+2 seconds' wrap/cc
  compile_check miss --out main.o -- "$PWD/wrap/cc" -c proj/main.c -o main.o -Iinc1
  printf '#!/bin/sh\nexec %s -O1 "$@"\n' "$cc" >wrap/cc
  touch -d '+4 seconds' wrap/cc # same size, same path: only mtime and content differ
  compile_check miss --out main.o -- "$PWD/wrap/cc" -c proj/main.c -o main.o -Iinc1
done
