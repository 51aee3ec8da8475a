#!/usr/bin/env bash
# Direct mode (no preprocessor run on a hit) never gives a stale result: a changed header, a new
# header that shadows the one found before (top-level or in a subdirectory, quote or angle
# include), a removed header, a header tested by __has_include (present, absent, through a
# macro), __DATE__ users, and SCCACHE_DIRECT=false are all checked against plain compiles.
# Files are aged past the 2-second settle window with `sleep`, as a user's sources would be.
# Each change is made while a plan (the fast path for repeat hits) exists for the entry.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool gcc clang
setup

direct_hits() { grep -c 'direct hit' "$SCCACHE_ERROR_LOG" 2>/dev/null || true; }

# check TAG CC ARGS...: compile through sccache and plainly; objects must be identical.
check() {
  local tag=$1
  shift
  rm -f obj.o ref.o
  run_to "$tag" "$SCCACHE_BIN" "$@" -o obj.o
  expect_eq "$(rc_of "$tag")" 0 "$tag: exit code ($(err_of "$tag"))"
  "$@" -o ref.o
  expect_same_file ref.o obj.o "$tag: object"
}

# check_direct TAG CC ARGS...: like check, and the hit must have come from a manifest (so the
# next step really tests that a manifest entry is rejected).
check_direct() {
  local n
  n=$(direct_hits)
  check "$@"
  expect_ge "$(direct_hits)" "$((n + 1))" "$1: served by direct mode"
}

# check_planned TAG CC ARGS...: direct hits until one comes from a plan (the stats a checked
# entry rested on, server/direct_plans.cpp), so the next step tests that the plan is dropped.
planned_hits() { grep -c 'direct hit .* (planned)' "$SCCACHE_ERROR_LOG" 2>/dev/null || true; }
check_planned() {
  local n i
  n=$(planned_hits)
  for i in 1 2 3; do
    check_direct "$@"
    (($(planned_hits) > n)) && return 0
  done
  fail "$1: no planned direct hit after three direct hits"
}

export SCCACHE_LOG=debug
for cc in gcc clang; do
  log "$cc: direct hits after the files settle"
  rm -rf d && mkdir -p d/src d/inc1 d/inc2/sub d/inc1/sub && cd d
  printf '#include <stdio.h>\n#include "x.h"\n#include <sub/y.h>\nint main(void){printf("%%d\\n", X + Y);return 0;}\n' >src/main.c
  echo '#define X 1' >inc2/x.h
  echo '#define Y 10' >inc2/sub/y.h
  sleep 2.2
  args=("$cc" -Iinc1 -Iinc2 -c src/main.c)
  check "$cc-1" "${args[@]}"
  before=$(direct_hits)
  check "$cc-2" "${args[@]}"
  check "$cc-3" "${args[@]}"
  expect_ge "$(direct_hits)" "$((before + 1))" "$cc: direct hits once the manifest exists"

  log "$cc: a header changed within the same second as the previous compile"
  echo '#define X 2' >inc2/x.h
  check "$cc-changed" "${args[@]}"
  sleep 2.2

  log "$cc: a new header in an earlier include dir shadows the old one"
  check "$cc-settle" "${args[@]}"
  check_planned "$cc-settled" "${args[@]}"
  echo '#define X 3' >inc1/x.h
  check "$cc-shadow" "${args[@]}"
  sleep 2.2
  check "$cc-shadow-settled" "${args[@]}"
  check_direct "$cc-shadow-direct" "${args[@]}"

  log "$cc: a new header in an existing subdirectory of an earlier include dir"
  check_planned "$cc-sub-settle" "${args[@]}"
  echo '#define Y 20' >inc1/sub/y.h
  check "$cc-sub-shadow" "${args[@]}"

  log "$cc: a quote include shadowed by a new file next to the source"
  sleep 2.2
  check "$cc-quote-settle" "${args[@]}"
  check_planned "$cc-quote-settled" "${args[@]}"
  echo '#define X 4' >src/x.h
  check "$cc-quote-shadow" "${args[@]}"

  log "$cc: a removed header makes the compile fail like the plain one"
  sleep 2.2
  check "$cc-rm-settle" "${args[@]}"
  check_planned "$cc-rm-settled" "${args[@]}"
  rm -f src/x.h inc1/x.h inc2/x.h
  run_to "$cc-rm" "$SCCACHE_BIN" "${args[@]}" -o obj.o
  expect_ne "$(rc_of "$cc-rm")" 0 "$cc: compile with the header removed must fail"
  echo '#define X 5' >inc2/x.h

  log "$cc: __DATE__ users are never served from a manifest"
  printf 'const char* d = __DATE__ " " __TIME__;\n' >src/date.c
  sleep 2.2
  before=$(direct_hits)
  for i in 1 2 3; do run_to "$cc-date-$i" "$SCCACHE_BIN" "$cc" -c src/date.c -o date.o; done
  expect_eq "$(direct_hits)" "$before" "$cc: direct hits for a __DATE__ user"

  log "$cc: an -I directory that does not exist yet, created later with a shadowing header"
  sleep 2.2
  nargs=("$cc" -Inew -Iinc1 -Iinc2 -c src/main.c)
  check "$cc-new-settle" "${nargs[@]}"
  check_direct "$cc-new-settled" "${nargs[@]}"
  mkdir -p new && echo '#define X 6' >new/x.h
  check "$cc-new-dir" "${nargs[@]}"
  rm -rf new

  log "$cc: an -include header shadowed by a new file in the cwd (searched first)"
  mkdir -p cfg && echo '#define C 1' >cfg/conf.h
  printf 'int c = C;\n' >src/c.c
  sleep 2.2
  iargs=("$cc" -Icfg -include conf.h -c src/c.c)
  check "$cc-inc-settle" "${iargs[@]}"
  check_direct "$cc-inc-settled" "${iargs[@]}"
  echo '#define C 2' >conf.h
  check "$cc-inc-cwd" "${iargs[@]}"
  rm -f conf.h

  log "$cc: __has_include of an absent header: direct hits, and a miss once the header appears"
  printf '#if __has_include("opt.h")\n#include "opt.h"\n#endif\n#if __has_include(<lib/ext.h>)\n#define EXT 1\n#else\n#define EXT 0\n#endif\n#ifndef OPT\n#define OPT 0\n#endif\nint o = OPT + EXT;\n' >src/o.c
  sleep 2.2
  hargs=("$cc" -Iinc1 -Iinc2 -c src/o.c)
  check "$cc-hasinc-1" "${hargs[@]}"
  check_planned "$cc-hasinc-2" "${hargs[@]}"
  echo '#define OPT 7' >src/opt.h
  check "$cc-hasinc-created" "${hargs[@]}"
  rm -f src/opt.h
  sleep 2.2
  check "$cc-hasinc-removed" "${hargs[@]}"
  check_planned "$cc-hasinc-removed-settled" "${hargs[@]}"
  log "$cc: __has_include(<...>) answered by a header new in a later search dir (never included)"
  mkdir -p inc2/lib && : >inc2/lib/ext.h
  check "$cc-hasinc-angle" "${hargs[@]}"
  rm -rf inc2/lib

  log "$cc: __has_include through a macro is never served from a manifest"
  printf '#define HAS(x) __has_include(x)\n#if HAS("opt2.h")\nint p = 1;\n#else\nint p = 0;\n#endif\n' >src/p.c
  sleep 2.2
  before=$(direct_hits)
  for i in 1 2 3; do check "$cc-hasmacro-$i" "$cc" -Isrc -c src/p.c; done
  expect_eq "$(direct_hits)" "$before" "$cc: direct hits for a __has_include macro user"
  : >src/opt2.h
  check "$cc-hasmacro-created" "$cc" -Isrc -c src/p.c
  rm -f src/opt2.h

  log "$cc: SCCACHE_DIRECT=false never uses manifests"
  cd ..
done

sc --stop-server >/dev/null 2>&1 || true
export SCCACHE_DIRECT=false
: >"$SCCACHE_ERROR_LOG"
cd d
for i in 1 2 3; do check "nodirect-$i" gcc -Iinc1 -Iinc2 -c src/main.c; done
expect_eq "$(direct_hits)" 0 "direct hits with SCCACHE_DIRECT=false"
log "PASS"
