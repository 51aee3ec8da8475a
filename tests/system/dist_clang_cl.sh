#!/usr/bin/env bash
# clang-cl compiles distributed to a bubblewrap build server, as the 0.2.10 quickstart has
# Windows clients do it: a path_override archive of clang (packaged from bin/clang) with
# bin/clang-cl inserted as a symlink to it, used both through that symlink and through bin/clang
# itself (the quickstart's archive_compiler_executable); then clang-cl packaged automatically.
#   - every distributed object is byte-identical to a plain local compile (/Brepro, and without
#     it bytes 5-8, the COFF timestamp, aside); the second build is all hits;
#   - a compile error comes back with the local diagnostics and exit code;
#   - /Z7 (paths in the object), /showIncludes and /Yc stay local, and still give the plain result.
# Needs root (the overlay sandbox), bwrap and clang-cl.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=services.sh
source "$(dirname "$0")/services.sh"
# shellcheck source=dist_lib.sh
source "$(dirname "$0")/dist_lib.sh"
require_dist_cluster
CLANG_CL=/usr/lib/llvm-14/bin/clang-cl
[[ -x $CLANG_CL ]] || skip "clang-cl not found at $CLANG_CL"
LLVM_BIN=$(dirname "$CLANG_CL")
CLANG_REAL=$(readlink -f "$LLVM_BIN/clang")
setup
start_dist_cluster a

SRC=$TEST_TMP/proj # fixed paths: the build server puts the text at the source's own path
mkdir -p "$SRC/inc" "$SRC/out" "$SRC/ref"
cd "$SRC"
printf '#pragma once\n#define SCALE 3\nint twice(int);\n' >inc/util.h
printf '#include "util.h"\nint twice(int v) { return v * 2 * SCALE; }\n' >util.c
printf '#include <util.h>\nstruct P { int x; P(int v) : x(twice(v)) {} };\nint main() { P p(NUM); return p.x; }\n' >main.cpp
printf '#include "util.h"\nint broken(void) { return undeclared_name; }\n' >bad.c
UNITS=(util.c main.cpp)
# args UNIT OUTDIR: one compile command (relative paths: clang-cl reads a leading / as an option).
args() { echo "/nologo /c /O2 /W3 /Brepro /Iinc /DNUM=7 $1 /Fo$2/"; }

for u in "${UNITS[@]}"; do
  # shellcheck disable=SC2046
  "$CLANG_CL" $(args "$u" ref) || fail "plain clang-cl $u failed"
done
"$CLANG_CL" /nologo /c /O2 /Iinc util.c /Foref/util.nobrepro.obj

J_DIST='.stats.dist_compiles'
J_DERR='.stats.dist_errors'

# build TAG: every unit through sccache into out/, each object equal to the plain one.
build() {
  local tag=$1 u
  rm -f out/*
  for u in "${UNITS[@]}"; do
    # shellcheck disable=SC2046
    run_to "$tag-$u" "$SCCACHE_BIN" "$CLANG_CL" $(args "$u" out)
    expect_eq "$(rc_of "$tag-$u")" 0 "$tag: $u exit code ($(head -c 400 "$RUNS/$tag-$u.err"))"
    [[ ! -s $RUNS/$tag-$u.out && ! -s $RUNS/$tag-$u.err ]] || fail "$tag: $u printed: $(head -c 400 "$RUNS/$tag-$u.out" "$RUNS/$tag-$u.err")"
    expect_same_file "ref/${u%.*}.obj" "out/${u%.*}.obj" "$tag: $u object"
  done
}

# dist_round NAME CONF: a cold build (every unit on the build server) and a warm one (all hits).
dist_round() {
  local name=$1 conf=$2
  export SCCACHE_CONF=$conf
  SCCACHE_LOG=debug start_sccache_server "$name"
  snap "$name-0"
  build "$name-cold"
  snap "$name-1"
  expect_delta "$name-0" "$name-1" "$J_DIST" "${#UNITS[@]}" "$name: distributed compiles ($(grep -h 'dist:\|not distributing' "$SCCACHE_ERROR_LOG" | tail -5))"
  expect_delta "$name-0" "$name-1" "$J_DERR" 0 "$name: dist errors"
  expect_delta "$name-0" "$name-1" "$J_MISSES" "${#UNITS[@]}" "$name: misses"
  build "$name-warm"
  snap "$name-2"
  expect_delta "$name-1" "$name-2" "$J_HITS" "${#UNITS[@]}" "$name: hits"
  expect_delta "$name-1" "$name-2" "$J_DIST" 0 "$name: distributed compiles on hits"
}

log "the quickstart's archive: clang packaged, bin/clang-cl inserted as a symlink to bin/clang"
run_to pkg "$SCCACHE_BIN" --package-toolchain "$CLANG_REAL" "$TEST_TMP/clang.tar.gz"
expect_eq "$(rc_of pkg)" 0 "--package-toolchain $CLANG_REAL ($(head -c 400 "$RUNS/pkg.err"))"
mkdir -p "$TEST_TMP/tc"
tar xzf "$TEST_TMP/clang.tar.gz" -C "$TEST_TMP/tc"
[[ -x $TEST_TMP/tc$CLANG_REAL ]] || fail "the packaged toolchain has no ${CLANG_REAL#/}: $(tar tzf "$TEST_TMP/clang.tar.gz" | head)"
ln -sf "$(basename "$CLANG_REAL")" "$TEST_TMP/tc$(dirname "$CLANG_REAL")/clang-cl"
tar czf "$TEST_TMP/clang-cl.tar.gz" -C "$TEST_TMP/tc" .
TC_CL=$(dirname "$CLANG_REAL")/clang-cl
for exe in "$TC_CL" "$CLANG_REAL"; do
  name=po-$(basename "$exe")
  dist_client_conf "$TEST_TMP/$name.toml" "$DIST_CLIENT_TOKEN" "[[dist.toolchains]]
type = \"path_override\"
compiler_executable = \"$CLANG_CL\"
archive = \"$TEST_TMP/clang-cl.tar.gz\"
archive_compiler_executable = \"$exe\""
  log "$name: archive_compiler_executable = $exe"
  dist_round "$name" "$TEST_TMP/$name.toml"
  stop_sccache_server "$name"
done

log "clang-cl packaged automatically"
dist_client_conf "$TEST_TMP/auto.toml" "$DIST_CLIENT_TOKEN"
dist_round auto "$TEST_TMP/auto.toml"

log "auto: without /Brepro the object differs from the plain one in its COFF timestamp only"
snap nb-0
run_to nb "$SCCACHE_BIN" "$CLANG_CL" /nologo /c /O2 /Iinc util.c /Foout/util.nobrepro.obj
snap nb-1
expect_eq "$(rc_of nb)" 0 "no /Brepro: exit code"
expect_delta nb-0 nb-1 "$J_DIST" 1 "no /Brepro: distributed"
expect_eq "$({ cmp -l ref/util.nobrepro.obj out/util.nobrepro.obj || true; } | awk '$1 < 5 || $1 > 8' | wc -l)" 0 \
  "no /Brepro: bytes differing outside the timestamp"

log "auto: a compile error comes back with the local diagnostics"
run_to bad-plain "$CLANG_CL" /nologo /c /Iinc bad.c /Foref/bad.obj
run_to bad "$SCCACHE_BIN" "$CLANG_CL" /nologo /c /Iinc bad.c /Foout/bad.obj
expect_eq "$(rc_of bad)" "$(rc_of bad-plain)" "error: exit code"
expect_same_file "$RUNS/bad-plain.err" "$RUNS/bad.err" "error: stderr"
expect_same_file "$RUNS/bad-plain.out" "$RUNS/bad.out" "error: stdout"
[[ ! -e out/bad.obj ]] || fail "error: an object was written"

log "auto: /Z7, /showIncludes and /Yc stay local and give the plain result"
printf '#include "inc/util.h"\n' >pch.c
local_only=("/Z7 util.c" "/showIncludes util.c" "/Ycinc/util.h pch.c")
i=0
for extra in "${local_only[@]}"; do
  i=$((i + 1))
  rm -f out/* ./*.pch
  # shellcheck disable=SC2086
  run_to "lp$i" "$CLANG_CL" /nologo /c /Brepro /Iinc $extra /Foref/local$i.obj
  rm -f ./*.pch
  snap "lo$i-0"
  # shellcheck disable=SC2086
  run_to "lo$i" "$SCCACHE_BIN" "$CLANG_CL" /nologo /c /Brepro /Iinc $extra /Foout/local$i.obj
  snap "lo$i-1"
  expect_eq "$(rc_of "lo$i")" 0 "$extra: exit code ($(head -c 300 "$RUNS/lo$i.err"))"
  expect_delta "lo$i-0" "lo$i-1" "$J_DIST" 0 "$extra: not distributed"
  expect_delta "lo$i-0" "lo$i-1" "$J_MISSES" 1 "$extra: a miss"
  expect_same_file "$RUNS/lp$i.out" "$RUNS/lo$i.out" "$extra: stdout"
  [[ $extra == /Z7* ]] || expect_same_file "ref/local$i.obj" "out/local$i.obj" "$extra: object"
done
stop_sccache_server auto
log "ok"
