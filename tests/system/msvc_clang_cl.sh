#!/usr/bin/env bash
# The MSVC family with the real clang-cl 14: every result through sccache is compared with the
# same command run plainly (object, stdout with the /showIncludes notes, stderr, exit code, and
# every other output), and every second run is a hit:
#   - /W4 warnings and /showIncludes notes replayed on hits; a /D change and a header change miss;
#   - /Fo as a directory (trailing slash), as a name without extension, as a file, and absent;
#   - a response file with Windows quoting (\" and "" in /D values, spaces in file names);
#   - /Z7 and /Zi /Fd (debug info in the object, which holds its path and the cwd): a copy of
#     the project elsewhere is not served the first copy's object;
#   - compile errors are never cached and replay like the plain compiler;
#   - /Yc and /Yu: the .pch restored by a hit is accepted by the next /Yu; `touch pch.h` (the
#     .pch records the header's mtime) makes /Yc miss and a /Yu against the old .pch fail;
#   - direct mode: a direct hit once the files settle, and a new header in an earlier /I
#     directory is noticed;
#   - /clang:-MD /clang:-MF /clang:-MT depfiles, and sccache's own -deps<file> (written by
#     sccache from the /showIncludes notes; on the command line it never reaches clang-cl);
#   - /E, /P, /Zs and two inputs run the compiler uncached and are counted as such.
# clang-cl on Linux reads a leading `/` as an option: every path in a command is relative, and
# every compile has /Brepro (otherwise the COFF header holds a timestamp).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
CLANG_CL=/usr/lib/llvm-14/bin/clang-cl
[[ -x $CLANG_CL ]] || skip "clang-cl not found at $CLANG_CL"
setup
export SCCACHE_LOG=debug # the server logs 'direct hit' (section 8)

direct_hits() { grep -c 'direct hit' "$SCCACHE_ERROR_LOG" 2>/dev/null || true; }

# twice FIRST --out ... -- CMD: the first compile as FIRST says, then the same again: a hit.
twice() {
  local first=$1
  shift
  compile_check "$first" "$@"
  compile_check hit "$@"
}

# via_sc TAG miss|hit CMD...: CMD through sccache (outputs in $RUNS/TAG.*), counted as one miss
# (whose cache write is waited for) or one hit.
via_sc() {
  local tag=$1 expect=$2
  shift 2
  snap "$tag-b"
  run_to "$tag" "$SCCACHE_BIN" "$@"
  snap "$tag-a"
  expect_eq "$(rc_of "$tag")" 0 "$tag: exit code ($(head -c 600 "$RUNS/$tag.err"))"
  case $expect in
  miss)
    expect_delta "$tag-b" "$tag-a" "$J_MISSES" 1 "$tag: cache misses"
    expect_delta "$tag-b" "$tag-a" "$J_HITS" 0 "$tag: cache hits"
    wait_writes "$(($(sval "$tag-b" "$J_WRITES") + 1))"
    ;;
  hit)
    expect_delta "$tag-b" "$tag-a" "$J_HITS" 1 "$tag: cache hits"
    expect_delta "$tag-b" "$tag-a" "$J_MISSES" 0 "$tag: cache misses"
    ;;
  esac
}

# plain_to TAG CMD...: CMD run plainly; it must succeed.
plain_to() {
  local tag=$1
  shift
  run_to "$tag" "$@"
  expect_eq "$(rc_of "$tag")" 0 "$tag: plain exit code ($(head -c 600 "$RUNS/$tag.err"))"
}

# The sources. main.c includes z.h then a.h (note order differs from sorted order: -deps).
write_file inc/a.h <<'EOF'
#pragma once
#define A 1
EOF
write_file inc/z.h <<'EOF'
#pragma once
#include "a.h"
#define Z (A + 1)
EOF
write_file main.c <<'EOF'
#include "z.h"
#include "a.h"
#ifndef EXTRA
#define EXTRA 0
#endif
int compute(int v) {
  int unused;
  return v * Z + A + EXTRA;
}
EOF
write_file other.c <<'EOF'
int other(void) { return 3; }
EOF
write_file bad.c <<'EOF'
#include "a.h"
int broken(void) { return A + undeclared_name; }
EOF
mkdir -p out

BASE=("$CLANG_CL" /nologo /c /Brepro /Iinc)

# ---------------------------------------------------------------------------------------------
log "1. a hit replays object, /showIncludes notes (stdout), the /W4 warning (stderr), exit code"
twice miss --out main.obj -- "${BASE[@]}" /W4 /showIncludes main.c
grep -q '^Note: including file: .*z\.h' "$RUNS/sc$LAST_CHECK.out" ||
  fail "the hit's stdout has no /showIncludes note for z.h: $(head -c 400 "$RUNS/sc$LAST_CHECK.out")"
grep -q "unused variable 'unused'" "$RUNS/sc$LAST_CHECK.err" ||
  fail "the hit's stderr has no /W4 warning: $(head -c 400 "$RUNS/sc$LAST_CHECK.err")"
log "   the same compile without /showIncludes: its stdout has no notes"
twice miss --out main.obj -- "${BASE[@]}" /W4 main.c
[[ ! -s $RUNS/sc$LAST_CHECK.out ]] || fail "notes on stdout without /showIncludes: $(head -c 300 "$RUNS/sc$LAST_CHECK.out")"

# ---------------------------------------------------------------------------------------------
log "2. a /D change and a header change miss"
twice miss --out main.obj -- "${BASE[@]}" /W4 /showIncludes /DEXTRA=5 main.c
twice miss --out main.obj -- "${BASE[@]}" /W4 /showIncludes /DEXTRA=6 main.c
printf '#pragma once\n#define A 2\n' >inc/a.h
twice miss --out main.obj -- "${BASE[@]}" /W4 /showIncludes main.c
twice miss --out main.obj -- "${BASE[@]}" /W4 /showIncludes /DEXTRA=5 main.c
log "   /D from the CL and _CL_ environment variables (clang-cl reads both) miss too"
export CL=/DEXTRA=7
twice miss --out main.obj -- "${BASE[@]}" /W4 /showIncludes main.c
export CL=/DEXTRA=8
twice miss --out main.obj -- "${BASE[@]}" /W4 /showIncludes main.c
unset CL
export _CL_=/DEXTRA=9
twice miss --out main.obj -- "${BASE[@]}" /W4 /showIncludes main.c
unset _CL_
compile_check hit --out main.obj -- "${BASE[@]}" /W4 /showIncludes main.c

# ---------------------------------------------------------------------------------------------
log "3. /Fo as a directory, a name without extension, a file name; no /Fo (object in the cwd)"
# The object's location is not in the key (no debug info): the first run may hit already.
twice any --out out/main.obj -- "${BASE[@]}" /W4 /Foout/ main.c
twice any --out out/named.obj -- "${BASE[@]}" /W4 /Foout/named main.c
twice any --out out/file.o -- "${BASE[@]}" /W4 /Foout/file.o main.c
twice any --out main.obj -- "${BASE[@]}" /W4 main.c
twice miss --out main.obj -- "${BASE[@]}" /W4 /Tp main.c
twice any --out main.obj -- "${BASE[@]}" /W4 -- main.c
twice any --out out/o-sep.obj -- "${BASE[@]}" /W4 /o out/o-sep.obj main.c
twice any --out out/o-joined.obj -- "${BASE[@]}" /W4 -oout/o-joined main.c
log "   /Fo into a directory that does not exist: the plain error, not cached"
compile_check fail --out nodir/main.obj -- "${BASE[@]}" /W4 /Fonodir/ main.c
compile_check fail --out nodir/main.obj -- "${BASE[@]}" /W4 /Fonodir/ main.c
twice miss --out out/other.obj -- "${BASE[@]}" /Foout/ other.c
twice any --out other.obj -- "${BASE[@]}" other.c

# ---------------------------------------------------------------------------------------------
log "4. a response file: quotes and spaces in /D values, a source and an include dir with spaces"
write_file 'sp ace/my file.c' <<'EOF'
#include "h.h"
const char *greeting = GREETING;
const char *quoted = QUOTED;
int value(void) { return H; }
EOF
write_file 'sp ace/inc dir/h.h' <<'EOF'
#define H 7
EOF
# rsp FILE GREETING-WORDS QUOTED-WORDS: \" is a literal quote; "" inside quotes is one too.
rsp() {
  printf '/nologo /c /Brepro "/DGREETING=\\"%s\\"" "/DQUOTED=""%s""" /I"sp ace/inc dir"\n"sp ace/my file.c" "/Foout/my file.obj"\n' \
    "$2" "$3" >"$1"
}
rsp r1.rsp 'hello world' 'say hi'
rsp r2.rsp 'hello world' 'say bye'
rsp r3.rsp 'hello there' 'say hi'
twice miss --out 'out/my file.obj' -- "$CLANG_CL" @r1.rsp
grep -aq 'hello world' 'out/my file.obj' || fail "the object of r1.rsp lacks the string 'hello world'"
grep -aq 'say hi' 'out/my file.obj' || fail "the object of r1.rsp lacks the string 'say hi'"
twice miss --out 'out/my file.obj' -- "$CLANG_CL" @r2.rsp
twice miss --out 'out/my file.obj' -- "$CLANG_CL" @r3.rsp
log "   r1.rsp rewritten with other content: a miss"
cp r1.rsp r1.rsp.orig
rsp r1.rsp 'good bye' 'say hi'
twice miss --out 'out/my file.obj' -- "$CLANG_CL" @r1.rsp
cp r1.rsp.orig r1.rsp
log "   a response file that names another one, and -deps inside a response file"
printf '/nologo /c @inner.rsp\n' >outer.rsp
printf '/Brepro "/DGREETING=\\"nested\\"" "/DQUOTED=""in"" ""side""" /I"sp ace/inc dir" "sp ace/my file.c"\n' >inner.rsp
twice miss --out 'my file.obj' -- "$CLANG_CL" @outer.rsp
grep -aq 'inside' 'my file.obj' || fail "the nested response file's QUOTED value (\"in\" \"side\") is not in the object"
# A -deps inside a response file stays there (sccache passes the command on as given), so
# clang-cl warns about it as it does when the command runs plainly.
printf '/nologo /c @inner.rsp -depsrsp.deps\n' >deps.rsp
plain_to rsp-deps-ref "$CLANG_CL" @deps.rsp
mv 'my file.obj' ref.rsp.obj
for step in miss hit; do
  rm -f 'my file.obj' rsp.deps
  via_sc "rsp-deps-$step" "$step" "$CLANG_CL" @deps.rsp
  expect_same_file "$RUNS/rsp-deps-ref.out" "$RUNS/rsp-deps-$step.out" "-deps in a response file, $step: stdout"
  expect_same_file "$RUNS/rsp-deps-ref.err" "$RUNS/rsp-deps-$step.err" "-deps in a response file, $step: stderr"
  expect_same_file ref.rsp.obj 'my file.obj' "-deps in a response file, $step: object"
  [[ -s rsp.deps ]] || fail "-deps in a response file, $step: rsp.deps not written"
  cp rsp.deps "rsp.deps.$step"
done
expect_same_file rsp.deps.miss rsp.deps.hit "-deps file from a response file: hit vs miss"
echo '#define H 8' >'sp ace/inc dir/h.h'
twice miss --out 'out/my file.obj' -- "$CLANG_CL" @r1.rsp
log "   the same options on the command line hit the response file's entry"
compile_check hit --out 'out/my file.obj' -- "$CLANG_CL" /nologo /c /Brepro '/DGREETING="hello world"' \
  '/DQUOTED="say hi"' '/Isp ace/inc dir' 'sp ace/my file.c' '/Foout/my file.obj'

# ---------------------------------------------------------------------------------------------
log "5. /Z7 and /Zi /Fd: debug objects; another copy of the project gets its own object"
write_file proj1/src/dbg.c <<'EOF'
#include "dbg.h"
int dbg(int v) { return v + DBG; }
EOF
write_file proj1/inc/dbg.h <<'EOF'
#define DBG 4
EOF
cp -a proj1 proj2
DBG_Z7=("$CLANG_CL" /nologo /c /Brepro /Z7 /Iinc src/dbg.c /Foz7.obj)
DBG_ZI=("$CLANG_CL" /nologo /c /Brepro /Zi /Fddbg.pdb /Iinc src/dbg.c /Fozi.obj)
cd proj1
twice miss --out z7.obj -- "${DBG_Z7[@]}"
grep -aq "$TEST_TMP/work/proj1" z7.obj || fail "the /Z7 object does not name its directory (test premise)"
twice miss --out zi.obj --out dbg.pdb -- "${DBG_ZI[@]}"
# Only the object: no .pdb (clang-cl writes none), nothing else either.
expect_eq "$(find . -type f | LC_ALL=C sort | tr '\n' ' ')" "./inc/dbg.h ./src/dbg.c ./z7.obj ./zi.obj " \
  "files in proj1 after the /Zi hit"
log "   /Z7 with another object name in the same directory: the object names itself, a miss"
compile_check miss --out z7b.obj -- "$CLANG_CL" /nologo /c /Brepro /Z7 /Iinc src/dbg.c /Foz7b.obj
cd ../proj2
compile_check miss --out z7.obj -- "${DBG_Z7[@]}"
compile_check miss --out zi.obj --out dbg.pdb -- "${DBG_ZI[@]}"
grep -aq "$TEST_TMP/work/proj2" zi.obj || fail "proj2's /Zi object does not name proj2"
twice any --out zi.obj -- "${DBG_ZI[@]}"
cd ..

# ---------------------------------------------------------------------------------------------
log "6. a compile error: same exit code, stdout and stderr, never cached"
compile_check fail --out bad.obj -- "${BASE[@]}" /W4 /showIncludes bad.c
expect_ne "$(rc_of "sc$LAST_CHECK")" 0 "exit code of the failing compile"
grep -q undeclared_name "$RUNS/sc$LAST_CHECK.err" || fail "no error text: $(head -c 300 "$RUNS/sc$LAST_CHECK.err")"
compile_check fail --out bad.obj -- "${BASE[@]}" /W4 /showIncludes bad.c
log "   a missing header (the preprocessor fails) too"
printf '#include "missing.h"\nint m;\n' >missing.c
for i in 1 2; do
  compile_check any --out missing.obj -- "${BASE[@]}" /showIncludes missing.c
  expect_ne "$(rc_of "sc$LAST_CHECK")" 0 "missing header $i: exit code"
  expect_delta "b$LAST_CHECK" "a$LAST_CHECK" "$J_HITS" 0 "missing header $i: cache hits"
done

# ---------------------------------------------------------------------------------------------
log "7. /Yc then /Yu"
mkdir -p pch && cd pch
write_file pch.h <<'EOF'
#pragma once
#define P 5
static int pf(void) { return P; }
EOF
printf '#include "pch.h"\nint g(void) { return pf(); }\n' >pch.c
printf '#include "pch.h"\nint u(void) { return pf() + 1; }\n' >use.c
printf '#include "pch.h"\nint u2(void) { return pf() + 2; }\n' >use2.c
YC=("$CLANG_CL" /nologo /c /Brepro /Ycpch.h pch.c)
YU=("$CLANG_CL" /nologo /c /Brepro /Yupch.h /Fppch.pch)
# Two plain /Yc runs give the same .pch with /Brepro (checked when this test was written), so
# the .pch is compared byte for byte like the object.
twice miss --out pch.obj --out pch.pch -- "${YC[@]}"
twice miss --out use.obj -- "${YU[@]}" use.c
cp pch.obj ref.pch.obj
cp pch.pch ref.pch.pch
cp use.obj ref.use.obj
plain_to use2-ref "${YU[@]}" use2.c
mv use2.obj ref.use2.obj

log "   rm the outputs: the /Yc hit restores a .pch that /Yu accepts"
rm -f pch.obj pch.pch use.obj use2.obj
via_sc pch-rebuild hit "${YC[@]}"
expect_same_file ref.pch.obj pch.obj "rebuilt pch.obj"
expect_same_file ref.pch.pch pch.pch "rebuilt pch.pch"
via_sc use-rebuild hit "${YU[@]}" use.c
expect_same_file ref.use.obj use.obj "rebuilt use.obj"
# A /Yu that really compiles (a miss, and a plain one) against the restored .pch.
via_sc use2-rebuild miss "${YU[@]}" use2.c
expect_same_file ref.use2.obj use2.obj "use2.obj against the restored .pch"
rm -f use2.obj
plain_to use2-plain "${YU[@]}" use2.c
expect_same_file ref.use2.obj use2.obj "plain use2.obj against the restored .pch"

log "   touch pch.h (mtime only): /Yu against the old .pch fails like plain; /Yc misses"
sleep 0.05
touch pch.h
compile_check fail --out use.obj -- "${YU[@]}" use.c
grep -q 'has been modified since the precompiled header' "$RUNS/sc$LAST_CHECK.err" ||
  fail "/Yu against a stale .pch: expected clang-cl's 'modified' error, got: $(head -c 400 "$RUNS/sc$LAST_CHECK.err")"
twice miss --out pch.obj --out pch.pch -- "${YC[@]}"
compile_check miss --out use.obj -- "${YU[@]}" use.c
expect_eq "$(rc_of "ref$LAST_CHECK")" 0 "plain /Yu after the rebuilt .pch"
expect_eq "$(rc_of "sc$LAST_CHECK")" 0 "/Yu through sccache after the rebuilt .pch ($(head -c 400 "$RUNS/sc$LAST_CHECK.err"))"
compile_check hit --out use.obj -- "${YU[@]}" use.c

log "   /Yc of a header in a subdirectory, no /Fp: clang-cl writes sub/pch.pch"
# Regression: clang-cl names the .pch after the /Yc value with its directory (sub/pch.pch);
# sccache once expected ./pch.pch, and with the ./pch.pch of the /Yc above lying there it
# cached that file and its hit wrote ./pch.pch instead of sub/pch.pch.
mkdir -p sub
printf '#pragma once\n#ifndef Q\n#define Q 9\n#endif\nstatic int sf(void) { return Q; }\n' >sub/pch.h
printf '#include "sub/pch.h"\nint s(void) { return sf(); }\n' >sub.c
printf '#include "sub/pch.h"\nint t(void) { return sf() + 1; }\n' >subuse.c
[[ -f pch.pch ]] || fail "test premise: ./pch.pch from the /Yc of ./pch.h exists"
cp pch.pch before.pch
twice miss --out sub.obj --out sub/pch.pch -- "$CLANG_CL" /nologo /c /Brepro /Ycsub/pch.h sub.c
expect_same_file before.pch pch.pch "./pch.pch after the /Yc of sub/pch.h"
twice miss --out subuse.obj -- "$CLANG_CL" /nologo /c /Brepro /Yusub/pch.h subuse.c
log "   the .pch rebuilt with another /D (same header): the /Yu compile misses"
twice miss --out sub.obj --out sub/pch.pch -- "$CLANG_CL" /nologo /c /Brepro /Ycsub/pch.h /DQ=4 sub.c
twice miss --out subuse.obj -- "$CLANG_CL" /nologo /c /Brepro /Yusub/pch.h subuse.c
cd ..

# ---------------------------------------------------------------------------------------------
log "8. direct mode: a direct hit once the files settle; a shadowing header is noticed"
mkdir -p dm/src dm/inc1 dm/inc2 && cd dm
printf '#include "x.h"\nint dm(void) { int unused; return X; }\n' >src/dm.c
echo '#define X 1' >inc2/x.h
sleep 2.2
DM=("$CLANG_CL" /nologo /c /Brepro /W4 /showIncludes /Iinc1 /Iinc2 src/dm.c /Fodm.obj)
compile_check miss --out dm.obj -- "${DM[@]}"
n=$(direct_hits)
compile_check hit --out dm.obj -- "${DM[@]}"
log "   second compile: $(($(direct_hits) - n)) direct hit(s)"
n=$(direct_hits)
compile_check hit --out dm.obj -- "${DM[@]}"
expect_eq "$(($(direct_hits) - n))" 1 "direct hits on the third identical compile"
grep -q 'inc2/x.h' "$RUNS/sc$LAST_CHECK.out" || fail "the direct hit's notes do not name inc2/x.h: $(cat "$RUNS/sc$LAST_CHECK.out")"
grep -q "unused variable" "$RUNS/sc$LAST_CHECK.err" || fail "the direct hit's stderr has no /W4 warning"
echo '#define X 2' >inc1/x.h
n=$(direct_hits)
compile_check miss --out dm.obj -- "${DM[@]}"
expect_eq "$(($(direct_hits) - n))" 0 "direct hits once inc1/x.h shadows inc2/x.h"
grep -q 'inc1/x.h' "$RUNS/sc$LAST_CHECK.out" || fail "the notes do not name inc1/x.h: $(cat "$RUNS/sc$LAST_CHECK.out")"
sleep 2.2
compile_check hit --out dm.obj -- "${DM[@]}"
n=$(direct_hits)
compile_check hit --out dm.obj -- "${DM[@]}"
expect_eq "$(($(direct_hits) - n))" 1 "direct hits with inc1/x.h settled"
log "   the shadowing header removed again: the first entry's result (its manifest still fits)"
rm inc1/x.h
compile_check hit --out dm.obj -- "${DM[@]}"
grep -q 'inc2/x.h' "$RUNS/sc$LAST_CHECK.out" || fail "the notes do not name inc2/x.h again: $(cat "$RUNS/sc$LAST_CHECK.out")"
log "   a new x.h next to the source (a quote include looks there first)"
n=$(direct_hits)
compile_check hit --out dm.obj -- "${DM[@]}"
expect_eq "$(($(direct_hits) - n))" 1 "direct hits before src/x.h appears"
echo '#define X 3' >src/x.h
n=$(direct_hits)
compile_check miss --out dm.obj -- "${DM[@]}"
expect_eq "$(($(direct_hits) - n))" 0 "direct hits once src/x.h shadows inc2/x.h"
grep -q 'src/x.h' "$RUNS/sc$LAST_CHECK.out" || fail "the notes do not name src/x.h: $(cat "$RUNS/sc$LAST_CHECK.out")"
compile_check hit --out dm.obj -- "${DM[@]}"
cd ..

# ---------------------------------------------------------------------------------------------
log "9. /clang:-MD /clang:-MF depfiles; sccache's own -deps<file>"
twice miss --out main.obj --out dep.d -- "${BASE[@]}" main.c /clang:-MD /clang:-MF /clang:dep.d
grep -q 'z\.h' dep.d || fail "dep.d does not list z.h: $(cat dep.d)"
# -MMD without -MF: clang-cl writes <stem>.d in the cwd, whatever /Fo says.
twice any --out out/main.obj --out main.d -- "${BASE[@]}" /Foout/ main.c /clang:-MMD
log "   /clang:-MT targets: each compile's depfile names its own target"
twice miss --out main.obj --out mt.d -- "${BASE[@]}" main.c /clang:-MD /clang:-MT /clang:first /clang:-MF /clang:mt.d
twice miss --out main.obj --out mt.d -- "${BASE[@]}" main.c /clang:-MD /clang:-MT /clang:second /clang:-MF /clang:mt.d
grep -q '^second:' mt.d || fail "mt.d does not name the target 'second': $(cat mt.d)"
# Regression: once a /clang:-MF had been seen, sccache left the value of every later separate
# /clang: option out of the key, so a compile differing only in a later -MT/-MQ target hit the
# other's entry and got a depfile naming the wrong target.
twice miss --out main.obj --out mt2.d -- "${BASE[@]}" main.c /clang:-MD /clang:-MF /clang:mt2.d /clang:-MT /clang:first
twice miss --out main.obj --out mt2.d -- "${BASE[@]}" main.c /clang:-MD /clang:-MF /clang:mt2.d /clang:-MT /clang:second
twice miss --out main.obj --out mt2.d -- "${BASE[@]}" main.c /clang:-MD /clang:-MF /clang:mt2.d /clang:-MQ '/clang:quoted name'
grep -qF 'quoted\ name:' mt2.d || fail "mt2.d does not name the -MQ target: $(cat mt2.d)"
log "   another /clang:-MF name: the plain depfile, under that name"
twice any --out main.obj --out other.d -- "${BASE[@]}" main.c /clang:-MD /clang:-MF /clang:other.d /clang:-MT /clang:second

# The -deps file expected from the plain compile's /showIncludes notes: `obj: input deps \n`
# (in note order, once each), `input:`, then one `dep:` line per sorted dep.
plain_to deps-ref "${BASE[@]}" /W4 /showIncludes main.c
cp main.obj ref.main.obj
mapfile -t notes < <(sed -n 's/^Note: including file: *//p' "$RUNS/deps-ref.out" | tr -d '\r')
expect_ge "${#notes[@]}" 2 "notes in the plain compile (test premise)"
{
  printf 'main.obj: main.c '
  printf '%s\n' "${notes[@]}" | awk '!seen[$0]++' | tr '\n' ' '
  printf '\nmain.c:\n'
  printf '%s\n' "${notes[@]}" | LC_ALL=C sort -u | sed 's/$/:/'
} >expected.deps
for step in miss hit; do
  rm -f main.obj deps/main.deps
  mkdir -p deps
  via_sc "deps-$step" "$step" "${BASE[@]}" /W4 /showIncludes -depsdeps/main.deps main.c
  expect_same_file "$RUNS/deps-ref.out" "$RUNS/deps-$step.out" "-deps $step: stdout"
  expect_same_file "$RUNS/deps-ref.err" "$RUNS/deps-$step.err" "-deps $step: stderr (clang-cl never saw -deps)"
  expect_same_file ref.main.obj main.obj "-deps $step: object"
  expect_same_file expected.deps deps/main.deps "-deps $step: the -deps file"
  cp deps/main.deps "deps/main.deps.$step"
done
expect_same_file deps/main.deps.miss deps/main.deps.hit "-deps file of the hit vs the miss"
log "   -deps without /showIncludes: no notes on stdout, same file"
rm -f main.obj deps/main.deps
via_sc deps-quiet miss "${BASE[@]}" /W4 -depsdeps/main.deps main.c
[[ ! -s $RUNS/deps-quiet.out ]] || fail "-deps without /showIncludes printed notes: $(head -c 300 "$RUNS/deps-quiet.out")"
expect_same_file expected.deps deps/main.deps "-deps without /showIncludes: the -deps file"
expect_same_file ref.main.obj main.obj "-deps without /showIncludes: object"

# ---------------------------------------------------------------------------------------------
log "10. /E, /P, /Zs and two inputs run uncached, with the plain result, and are counted"
not_compile -- "$CLANG_CL" /nologo /E /Iinc main.c
grep -q 'compute' "$RUNS/sc$LAST_CHECK.out" || fail "/E printed no preprocessed text"
not_compile --out main.i -- "$CLANG_CL" /nologo /P /Iinc main.c
[[ -s main.i ]] || fail "/P wrote no main.i"
uncacheable /Zs --out main.obj -- "$CLANG_CL" /nologo /c /Zs /W4 /Iinc main.c
grep -q "unused variable" "$RUNS/sc$LAST_CHECK.err" || fail "/Zs: no warning on stderr"
uncacheable "multiple input files" --out main.obj --out other.obj -- "${BASE[@]}" main.c other.c
[[ -s main.obj && -s other.obj ]] || fail "the two-input compile did not write main.obj and other.obj"
run_to stats-text "$SCCACHE_BIN" --show-stats
for word in 'Non-cacheable reasons' '/Zs' 'multiple input files'; do
  grep -qF -- "$word" "$RUNS/stats-text.out" || fail "--show-stats does not show '$word': $(cat "$RUNS/stats-text.out")"
done
# ---------------------------------------------------------------------------------------------
log "11. found in review: each would have been a false hit"
mkdir -p rv/src rv/inc && cd rv
log "   MSVC's include-stack search: a new header next to an includer up the stack"
printf '#include "b.h"\nint rv(void) { return XV; }\n' >src/a.c
printf '#include "x.h"\n' >inc/b.h
echo '#define XV 1' >src/x.h
sleep 2.2
RV=("$CLANG_CL" /nologo /c /Brepro /Iinc src/a.c /Forv.obj)
compile_check miss --out rv.obj -- "${RV[@]}"
compile_check hit --out rv.obj -- "${RV[@]}"
n=$(direct_hits)
compile_check hit --out rv.obj -- "${RV[@]}"
expect_eq "$(($(direct_hits) - n))" 1 "include stack: a direct hit before inc/x.h appears"
echo '#define XV 2' >inc/x.h
compile_check miss --out rv.obj -- "${RV[@]}"
log "   /Yu: a header the .pch recorded but the /Yu text does not include, touched"
printf '#define PRE 1\n' >pre.h
printf '#pragma once\nstatic int pp(void) { return 3; }\n' >pch.h
printf '#include "pre.h"\n#include "pch.h"\n' >pch.cpp
printf '#include "pch.h"\nint use(void) { return pp(); }\n' >use.cpp
compile_check miss --out pch.obj --out pch.pch -- "$CLANG_CL" /nologo /c /Brepro /Ycpch.h pch.cpp
compile_check miss --out use.obj -- "$CLANG_CL" /nologo /c /Brepro /Yupch.h use.cpp
compile_check hit --out use.obj -- "$CLANG_CL" /nologo /c /Brepro /Yupch.h use.cpp
sleep 1.1
touch pre.h
# The plain compile fails ("has been modified since the precompiled header"); so must ours.
compile_check any --out use.obj -- "$CLANG_CL" /nologo /c /Brepro /Yupch.h use.cpp
expect_ne "$(rc_of "sc$LAST_CHECK")" 0 "/Yu after pre.h was touched: exit code"
grep -q "has been modified" "$RUNS/sc$LAST_CHECK.err" || fail "/Yu after the touch: $(head -c 300 "$RUNS/sc$LAST_CHECK.err")"
log "   /Y- cancels /Yc: an old .pch on disk is not stored, and not restored on the next run"
YOFF=("$CLANG_CL" /nologo /c /Brepro /Ycpch.h /Y- /Fpold.pch pch.cpp /Foy.obj)
echo stale >old.pch
via_sc yoff-miss miss "${YOFF[@]}"
echo fresh >old.pch
via_sc yoff-hit hit "${YOFF[@]}"
expect_eq "$(cat old.pch)" fresh "old.pch after a /Y- hit"
log "   /link inside a response file (it ends at the line's end): not cached"
printf '#ifdef FOO\nint foo = 1;\n#endif\n' >l.c
printf '/nologo /c /Brepro l.c /link x.lib\n/DFOO\n' >l.rsp
uncacheable @ --out l.obj -- "$CLANG_CL" @l.rsp
log "   clang's own -f spellings: a profile read through -fprofile-instr-use is not cached"
uncacheable -fprofile-instr-use= --out l.obj -- "$CLANG_CL" /nologo /c /Brepro -fprofile-instr-use=none.profdata l.c
cd ..

if [[ -s $TEST_TMP/FAILED ]]; then
  log "all sections ran; failed checks:"
  sed 's/^/    /' "$TEST_TMP/FAILED"
else
  log "PASS"
fi
