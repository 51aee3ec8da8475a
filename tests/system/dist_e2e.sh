#!/usr/bin/env bash
# Distributed compilation end to end: a CMake/Ninja C/C++ project (data/dist_cmake: 7 C++ TUs,
# 1 C TU) built with CMAKE_<LANG>_COMPILER_LAUNCHER=sccache against a real cluster (scheduler,
# build servers a and b in the overlay + bubblewrap sandbox; dist_lib.sh). Every build happens
# at the same path as a plain reference build, and every object must be byte-identical to it
# (Release, no -g: with -g, gcc and clang record different DW_AT_decl_column values when they
# compile preprocessed output, so remote objects cannot equal local ones), the program prints
# the same line and ninja's recorded dependencies (the depfiles) are the same.
#   1. --dist-status without scheduler_url: {"Disabled":"disabled"}
#   a. empty cache, dist configured: every TU a miss compiled remotely (dist_compiles = TUs,
#      dist_errors 0); a no-op ninja run afterwards
#   b. --dist-status: SchedulerStatus with the scheduler URL, num_servers 2, the cluster's CPUs
#   c. clean rebuild: all hits, nothing distributed
#   f. wrong client token: alloc_job answers 401, which is fatal for the compile (exit 1,
#      "http error status: 401"; the build fails), again on the next compile; with the right
#      token (server restarted) the compile is distributed
#   g. path_override toolchains: g++ from `sccache --package-toolchain` with gcc as no_dist
#      (C++ distributed with that archive, the C TU a dist error compiled locally); then gcc and
#      g++ from one icecc-create-env archive (when icecc is installed)
#   h. clang/clang++ (when installed): all TUs distributed, objects equal a plain clang build
#   e. a build server SIGKILLed while it runs the slow TU (-DDIST_SLOW=ON): the build succeeds
#      with identical objects, that compile is a dist error compiled locally, the scheduler
#      drops the server
#   d. scheduler SIGKILLed: a connected sccache falls back to local compiles (dist error); a
#      fresh sccache reports NotConnected and builds everything locally (dist_compiles 0)
# Needs root (overlayfs, bubblewrap), cmake, ninja, gcc/g++; clang and icecc-create-env are
# used when present. DIST_E2E_LOG sets the sccache servers' SCCACHE_LOG (default debug).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=services.sh
source "$(dirname "$0")/services.sh"
# shellcheck source=dist_lib.sh
source "$(dirname "$0")/dist_lib.sh"
require_dist_cluster
require_tool cmake ninja gcc g++ tar sha256sum
setup

GCC=$(command -v gcc)
GXX=$(command -v g++)
PROJECT=$TEST_TMP/project # fixed paths: objects name their sources
BUILD=$TEST_TMP/build
cp -r "$SYSTEST_DIR/data/dist_cmake" "$PROJECT"
TUS=8 # src/{vec,poly,hashing,text,sorting,table}.cpp src/crc.c app/main.cpp
CXX_TUS=7

J_DIST='.stats.dist_compiles'
J_DERR='.stats.dist_errors'

# ---------------------------------------------------------------------------------------------
# Helpers

# use_dist_sccache NAME CONF: switch to sccache instance NAME with client config CONF (exported:
# a server auto-started later by a compile reads the same config).
use_dist_sccache() {
  export SCCACHE_CONF=$2
  use_sccache "$1"
}

# start_dist_sccache NAME CONF: use_dist_sccache, then start its server now, logging at debug
# level (why a compile was or was not distributed) to $TEST_TMP/server.NAME.log, whose tail
# lib.sh's cleanup prints when the test fails.
start_dist_sccache() {
  use_dist_sccache "$1" "$2"
  SCCACHE_LOG=${DIST_E2E_LOG:-debug} start_sccache_server "$1"
}

# configure TAG CC CXX LAUNCHER [CMAKE ARGS...]: fresh $BUILD, Release, LAUNCHER ("" for none).
configure() {
  local tag=$1 cc=$2 cxx=$3 launcher=$4
  shift 4
  local args=(-S "$PROJECT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release
    "-DCMAKE_C_COMPILER=$cc" "-DCMAKE_CXX_COMPILER=$cxx" "$@")
  [[ -z $launcher ]] || args+=("-DCMAKE_C_COMPILER_LAUNCHER=$launcher" "-DCMAKE_CXX_COMPILER_LAUNCHER=$launcher")
  rm -rf "$BUILD"
  run_to "$tag-configure" cmake "${args[@]}"
  [[ $(rc_of "$tag-configure") == 0 ]] ||
    fail "$tag: cmake configure failed: $(tail -20 "$RUNS/$tag-configure.out") $(tail -20 "$RUNS/$tag-configure.err")"
}

# build_ok TAG: ninja in $BUILD must succeed; then the program runs.
build_ok() {
  local tag=$1
  run_to "$tag-build" ninja -C "$BUILD"
  [[ $(rc_of "$tag-build") == 0 ]] ||
    fail "$tag: build failed: $(tail -30 "$RUNS/$tag-build.out") $(tail -20 "$RUNS/$tag-build.err")"
  run_to "$tag-run" "$BUILD/geo_main"
  expect_eq "$(rc_of "$tag-run")" 0 "$tag: geo_main exit code"
}

objects_of() { (cd "$1" && find . -name '*.o' | sort); }

# deps_of: ninja's recorded dependencies of every object (from the depfiles): one
# "OBJECT DEPENDENCY" line each, in depfile order, objects sorted (ninja lists them in the
# order they were built).
deps_of() {
  ninja -C "$BUILD" -t deps | awk '/^[^ ].*: #deps/ { obj = $1; sub(/:$/, "", obj); next } NF { print obj, $1 }' |
    sort -s -k1,1
}

# plain_build NAME CC CXX [CMAKE ARGS...]: the reference, without sccache (run logs ref-NAME-*).
# Keeps its objects in $TEST_TMP/ref-NAME/, its output in ref-NAME.out and its dependencies in
# ref-NAME.deps.
plain_build() {
  local tag=ref-$1 cc=$2 cxx=$3 ref=$TEST_TMP/ref-$1
  shift 3
  log "$tag: reference build without sccache"
  configure "$tag" "$cc" "$cxx" "" "$@"
  build_ok "$tag"
  cp "$RUNS/$tag-run.out" "$ref.out"
  [[ $(cat "$ref.out") == "geo v"*" area=10.392 perimeter=12.000 len=5 median=4 "* ]] ||
    fail "$tag: unexpected program output: $(cat "$ref.out")"
  rm -rf "$ref"
  mkdir -p "$ref"
  (cd "$BUILD" && find . -name '*.o' -exec cp --parents {} "$ref/" \;)
  deps_of >"$ref.deps"
  grep -q ' /.*/include/geo/geo.h$' "$ref.deps" || fail "$tag: ninja recorded no header dependencies"
}

# sc_build TAG CC CXX NAME [CMAKE ARGS...]: configure with the sccache launcher, snap
# TAG-configured, build, snap TAG-built; the build must succeed with every object, the output
# and the dependencies of reference NAME (plain_build NAME); the next ninja run has nothing to do.
sc_build() {
  local tag=$1 cc=$2 cxx=$3 ref=$TEST_TMP/ref-$4
  shift 4
  configure "$tag" "$cc" "$cxx" "$SCCACHE_BIN" "$@"
  snap "$tag-configured"
  build_ok "$tag"
  snap "$tag-built"
  check_build "$tag" "$ref"
}

# check_build TAG REFDIR: objects, program output and recorded dependencies equal the reference.
check_build() {
  local tag=$1 ref=$2 o
  expect_eq "$(objects_of "$BUILD" | tr '\n' ' ')" "$(objects_of "$ref" | tr '\n' ' ')" "$tag: object files"
  for o in $(objects_of "$ref"); do
    expect_same_file "$ref/$o" "$BUILD/$o" "$tag: $o"
  done
  expect_same_file "$ref.out" "$RUNS/$tag-run.out" "$tag: program output"
  deps_of >"$TEST_TMP/$tag.deps"
  expect_same_file "$ref.deps" "$TEST_TMP/$tag.deps" "$tag: dependencies ninja recorded from the depfiles"
  ninja -C "$BUILD" -n | grep -q 'no work to do' ||
    fail "$tag: ninja wants to rebuild right after the build: $(ninja -C "$BUILD" -n -d explain 2>&1 | head -5)"
}

# dist_delta FROM TO: "<dist_compiles change> <dist_errors change>" between two snaps; both
# counters must be present.
dist_delta() {
  local v
  for v in "$J_DIST" "$J_DERR"; do
    [[ $(sval "$1" "$v | type") == number && $(sval "$2" "$v | type") == number ]] ||
      fail "stats JSON has no numeric $v: $(head -c 600 "$TEST_TMP/snap.$2.json")"
  done
  echo "$(($(sval "$2" "$J_DIST") - $(sval "$1" "$J_DIST"))) $(($(sval "$2" "$J_DERR") - $(sval "$1" "$J_DERR")))"
}

# expect_dist TAG COMPILES ERRORS: dist counters moved by exactly that during TAG's build.
expect_dist() {
  local d
  d=$(dist_delta "$1-configured" "$1-built")
  expect_eq "$d" "$2 $3" "$1: dist_compiles and dist_errors changes"
}

# expect_misses TAG N: N misses and no hit during TAG's build.
expect_misses() {
  expect_delta "$1-configured" "$1-built" "$J_MISSES" "$2" "$1: misses"
  expect_delta "$1-configured" "$1-built" "$J_HITS" 0 "$1: hits"
}

# on_servers SHA: the build servers whose toolchain cache holds the archive with this id.
on_servers() {
  local name found=()
  for name in "${DIST_SERVERS[@]}"; do
    [[ -z $(find "$(dist_toolchain_dir "$name")" -name "*$1*" -print -quit 2>/dev/null) ]] || found+=("$name")
  done
  echo "${found[*]}"
}

# tu_cmd N: TU_CMD = one direct compile (table.cpp with -DDIST_VARIANT=N, object
# $TEST_TMP/work/tableN.o) for the token and scheduler-down checks; its plain compile is kept as
# $TEST_TMP/tableN.ref.o.
tu_cmd() {
  TU_CMD=("$GXX" -O2 -std=c++17 "-DDIST_VARIANT=$1" -DGEO_TABLE_ROWS=5 "-I$PROJECT/include"
    -c "$PROJECT/src/table.cpp" -o "$TEST_TMP/work/table$1.o")
  "${TU_CMD[@]}"
  mv "$TEST_TMP/work/table$1.o" "$TEST_TMP/table$1.ref.o"
}

# toolchains_on NAME: number of toolchain archives build server NAME holds (for the log).
toolchains_on() { find "$(dist_toolchain_dir "$1")/archives" -type f 2>/dev/null | wc -l; }

# ---------------------------------------------------------------------------------------------
log "--dist-status without scheduler_url"
run_to status-disabled "$SCCACHE_BIN" --dist-status
expect_eq "$(rc_of status-disabled)" 0 "--dist-status exit code (no dist config)"
expect_eq "$(jq -c . "$RUNS/status-disabled.out")" '{"Disabled":"disabled"}' "--dist-status without [dist]"
stop_sccache_server default

start_dist_cluster a b
CLUSTER_CPUS=$(dist_status num_cpus)

plain_build gcc "$GCC" "$GXX"
log "reference output: $(cat "$TEST_TMP/ref-gcc.out")"

# ---------------------------------------------------------------------------------------------
log "a. empty cache, dist configured: every TU compiled on the cluster"
dist_client_conf "$TEST_TMP/dist.toml" "$DIST_CLIENT_TOKEN"
start_dist_sccache dist "$TEST_TMP/dist.toml"
sc_build a-dist "$GCC" "$GXX" gcc
expect_misses a-dist "$TUS"
expect_dist a-dist "$TUS" 0
wait_writes "$(($(sval a-dist-configured "$J_WRITES") + TUS))" 30
log "a: $TUS TUs distributed; toolchain archives on the build servers: a $(toolchains_on a), b $(toolchains_on b)"

# ---------------------------------------------------------------------------------------------
log "b. --dist-status while connected"
run_to status-connected "$SCCACHE_BIN" --dist-status
expect_eq "$(rc_of status-connected)" 0 "--dist-status exit code"
log "b: $(cat "$RUNS/status-connected.out")"
expect_eq "$(jq -r '.SchedulerStatus[0]' "$RUNS/status-connected.out")" "$DIST_SCHED_URL/" "--dist-status scheduler URL"
expect_eq "$(jq -r '.SchedulerStatus[1].num_servers' "$RUNS/status-connected.out")" 2 "--dist-status num_servers"
expect_eq "$(jq -r '.SchedulerStatus[1].num_cpus' "$RUNS/status-connected.out")" "$CLUSTER_CPUS" "--dist-status num_cpus"

# ---------------------------------------------------------------------------------------------
log "c. clean rebuild: all hits, nothing distributed"
sc_build c-hits "$GCC" "$GXX" gcc
expect_delta c-hits-configured c-hits-built "$J_HITS" "$TUS" "c-hits: hits"
expect_delta c-hits-configured c-hits-built "$J_MISSES" 0 "c-hits: misses"
expect_dist c-hits 0 0
stop_sccache_server dist

# ---------------------------------------------------------------------------------------------
log "f. wrong client token: 401 from alloc_job fails the compile"
tu_cmd 2
TU2=("${TU_CMD[@]}")
# (client toolchain cache shared with a.: the dist instance is stopped)
dist_client_conf "$TEST_TMP/badtoken.toml" "not-$DIST_CLIENT_TOKEN" "" dist
start_dist_sccache badtoken "$TEST_TMP/badtoken.toml"
for try in 1 2; do # the second compile retries (the dist client was reset) and fails the same way
  run_to "f-compile$try" "$SCCACHE_BIN" "${TU2[@]}"
  expect_eq "$(rc_of "f-compile$try")" 1 "f: exit code of compile $try with a wrong client token (stderr: $(head -c 400 "$RUNS/f-compile$try.err"))"
  grep -qF 'http error status: 401' "$RUNS/f-compile$try.err" ||
    fail "f: compile $try with a wrong token: stderr lacks 'http error status: 401': $(head -c 600 "$RUNS/f-compile$try.err")"
  [[ ! -e $TEST_TMP/work/table2.o ]] || fail "f: compile $try with a wrong token left an object"
  log "f: compile $try: exit 1: $(head -c 200 "$RUNS/f-compile$try.err")"
done
configure f-build "$GCC" "$GXX" "$SCCACHE_BIN"
run_to f-build ninja -C "$BUILD"
expect_ne "$(rc_of f-build)" 0 "f: exit code of a build with a wrong client token"
grep -qF 'http error status: 401' "$RUNS/f-build.out" "$RUNS/f-build.err" ||
  fail "f: the failed build does not show 'http error status: 401': $(tail -20 "$RUNS/f-build.out")"
stop_sccache_server badtoken
log "f: the right token, same instance (restarted): the compile is distributed"
dist_client_conf "$TEST_TMP/badtoken.toml" "$DIST_CLIENT_TOKEN" "" dist
start_dist_sccache badtoken "$TEST_TMP/badtoken.toml"
snap f-fixed-before
run_to f-fixed "$SCCACHE_BIN" "${TU2[@]}"
expect_eq "$(rc_of f-fixed)" 0 "f: exit code with the right token (stderr: $(head -c 400 "$RUNS/f-fixed.err"))"
snap f-fixed-after
expect_same_file "$TEST_TMP/table2.ref.o" "$TEST_TMP/work/table2.o" "f: object with the right token"
expect_eq "$(dist_delta f-fixed-before f-fixed-after)" "1 0" "f: dist_compiles and dist_errors changes with the right token"
stop_sccache_server badtoken

# ---------------------------------------------------------------------------------------------
log "g. path_override: g++ packaged by sccache --package-toolchain, gcc no_dist"
run_to pkg-gxx "$SCCACHE_BIN" --package-toolchain "$GXX" "$TEST_TMP/gxx.tar.gz"
expect_eq "$(rc_of pkg-gxx)" 0 "exit code of --package-toolchain $GXX (stderr: $(head -c 400 "$RUNS/pkg-gxx.err"))"
tar tzf "$TEST_TMP/gxx.tar.gz" >"$TEST_TMP/gxx.list" || fail "--package-toolchain wrote no readable .tar.gz"
grep -qx "${GXX#/}" "$TEST_TMP/gxx.list" || fail "the packaged toolchain has no ${GXX#/}: $(head -20 "$TEST_TMP/gxx.list")"
! grep -qE '^/|(^|/)\.\.(/|$)' "$TEST_TMP/gxx.list" || fail "the packaged toolchain has absolute or .. paths"
GXX_SHA=$(sha256sum "$TEST_TMP/gxx.tar.gz" | cut -d' ' -f1)
log "g: $(wc -l <"$TEST_TMP/gxx.list") entries, $(stat -c %s "$TEST_TMP/gxx.tar.gz") bytes, sha256 $GXX_SHA"
# compiler_executable is the path the build runs (CMake keeps /usr/bin/g++ as given, unresolved).
dist_client_conf "$TEST_TMP/pkg.toml" "$DIST_CLIENT_TOKEN" "[[dist.toolchains]]
type = \"path_override\"
compiler_executable = \"$GXX\"
archive = \"$TEST_TMP/gxx.tar.gz\"
archive_compiler_executable = \"$GXX\"

[[dist.toolchains]]
type = \"no_dist\"
compiler_executable = \"$GCC\""
start_dist_sccache pkg "$TEST_TMP/pkg.toml"
sc_build g-pkg "$GCC" "$GXX" gcc
expect_misses g-pkg "$TUS"
# The C TU: gcc is no_dist, so its toolchain lookup fails and it is compiled locally; sccache
# 0.2.10 counts that as a dist error (put_toolchain fails inside the dist attempt).
expect_dist g-pkg "$CXX_TUS" 1
[[ -n $(on_servers "$GXX_SHA") ]] || fail "g: no build server received the --package-toolchain archive $GXX_SHA"
log "g: archive $GXX_SHA on server(s) $(on_servers "$GXX_SHA")"
stop_sccache_server pkg

# icecc-create-env --gcc GCC GXX writes <md5>.tar.gz (in the current directory) holding plain
# files only (no symlinks, nothing absolute): usr/bin/gcc and usr/bin/g++ (the real drivers
# under the names given), usr/bin/cc1, usr/bin/cc1plus, usr/bin/as, usr/bin/objcopy,
# usr/lib/gcc/<triplet>/<ver>/liblto_plugin.so, the shared libraries under lib/<triplet>/,
# lib64/ld-linux-x86-64.so.2, bin/true, etc/ld.so.conf and etc/ld.so.cache. So
# archive_compiler_executable is /usr/bin/gcc resp. /usr/bin/g++. The driver does not find
# cc1/cc1plus in its libexec dir there: it falls back to a PATH search, so this archive works
# only because the job's environment (the client's) has /usr/bin in PATH.
ICECC_CREATE_ENV=$(command -v icecc-create-env || true)
if [[ -z $ICECC_CREATE_ENV && -x /usr/lib/icecc/icecc-create-env ]]; then
  ICECC_CREATE_ENV=/usr/lib/icecc/icecc-create-env
fi
if [[ -n $ICECC_CREATE_ENV ]]; then
  log "g: path_override with an icecc-create-env archive for gcc and g++"
  mkdir -p "$TEST_TMP/icecc"
  (cd "$TEST_TMP/icecc" && run_to icecc "$ICECC_CREATE_ENV" --gcc "$GCC" "$GXX")
  expect_eq "$(rc_of icecc)" 0 "icecc-create-env exit code ($(tail -3 "$RUNS/icecc.err"))"
  ICE_TGZ=$(find "$TEST_TMP/icecc" -maxdepth 1 -name '*.tar.gz' | head -1)
  [[ -n $ICE_TGZ ]] || fail "icecc-create-env made no .tar.gz: $(tail -5 "$RUNS/icecc.out")"
  tar tzvf "$ICE_TGZ" >"$TEST_TMP/icecc.list"
  grep -q ' usr/bin/g++$' "$TEST_TMP/icecc.list" || fail "the icecc archive has no usr/bin/g++: $(cat "$TEST_TMP/icecc.list")"
  ICE_SHA=$(sha256sum "$ICE_TGZ" | cut -d' ' -f1)
  log "g: icecc archive $(basename "$ICE_TGZ"): $(wc -l <"$TEST_TMP/icecc.list") entries, sha256 $ICE_SHA"
  dist_client_conf "$TEST_TMP/icecc.toml" "$DIST_CLIENT_TOKEN" "[[dist.toolchains]]
type = \"path_override\"
compiler_executable = \"$GCC\"
archive = \"$ICE_TGZ\"
archive_compiler_executable = \"/usr/bin/gcc\"

[[dist.toolchains]]
type = \"path_override\"
compiler_executable = \"$GXX\"
archive = \"$ICE_TGZ\"
archive_compiler_executable = \"/usr/bin/g++\""
  start_dist_sccache icecc "$TEST_TMP/icecc.toml"
  sc_build g-icecc "$GCC" "$GXX" gcc
  expect_misses g-icecc "$TUS"
  expect_dist g-icecc "$TUS" 0
  [[ -n $(on_servers "$ICE_SHA") ]] || fail "g: no build server received the icecc archive $ICE_SHA"
  log "g: icecc archive on server(s) $(on_servers "$ICE_SHA")"
  stop_sccache_server icecc
else
  log "g: icecc-create-env not installed (Debian package icecc): the icecc archive case is not run"
fi

# ---------------------------------------------------------------------------------------------
if command -v clang >/dev/null 2>&1 && command -v clang++ >/dev/null 2>&1; then
  CLANG=$(command -v clang)
  CLANGXX=$(command -v clang++)
  plain_build clang "$CLANG" "$CLANGXX"
  log "h. clang: every TU distributed with an automatically packaged clang"
  dist_client_conf "$TEST_TMP/clang.toml" "$DIST_CLIENT_TOKEN"
  start_dist_sccache clang "$TEST_TMP/clang.toml"
  sc_build h-clang "$CLANG" "$CLANGXX" clang
  expect_misses h-clang "$TUS"
  expect_dist h-clang "$TUS" 0
  stop_sccache_server clang
else
  log "h. clang/clang++ not installed: the clang build is not run"
fi

# ---------------------------------------------------------------------------------------------
log "e. a build server killed while it compiles the slow TU"
SLOW=(-DDIST_SLOW=ON -DDIST_SLOW_STEPS=400000) # about 3-5 s of constexpr evaluation for gcc
plain_build slow "$GCC" "$GXX" "${SLOW[@]}"
# The same client config as in a.: its client toolchain cache (cache_dir) is reused.
start_dist_sccache kill "$TEST_TMP/dist.toml"
configure e-kill "$GCC" "$GXX" "$SCCACHE_BIN" "${SLOW[@]}"
snap e-kill-configured
(run_to e-kill-build ninja -C "$BUILD") &
E_BUILD=$!
track_pid "$E_BUILD"

# slow_job_server: the build server whose sandbox holds the slow TU's input right now. The
# input is written into the job's overlay just before the compiler starts, so the compile runs
# (for seconds) while it is there.
slow_job_server() {
  local name
  for name in "${DIST_SERVERS[@]}"; do
    [[ -n ${DIST_SRV_PID[$name]:-} ]] || continue
    if [[ -n $(find "$(dist_build_jobs "$name")" -path '*/upper/*' -name 'slow.cpp*' -print -quit 2>/dev/null) ]]; then
      echo "$name"
      return 0
    fi
  done
  return 1
}
victim=
deadline=$((SECONDS + 120))
while :; do
  victim=$(slow_job_server) && break
  pid_alive "$E_BUILD" || fail "e: the build ended before slow.cpp ran on a build server (rc $(cat "$RUNS/e-kill-build.rc" 2>/dev/null)): $(tail -20 "$RUNS/e-kill-build.out")"
  ((SECONDS < deadline)) || fail "e: slow.cpp did not show up in a build server's sandbox within 120 s"
  sleep 0.1
done
log "e: slow.cpp runs on build server $victim: SIGKILL it"
stop_dist_server "$victim" KILL
wait "$E_BUILD" || true
untrack_pid "$E_BUILD"
[[ -e $RUNS/e-kill-build.rc ]] || fail "e: the background build left no exit code"
expect_eq "$(rc_of e-kill-build)" 0 "e: build exit code after the kill ($(tail -20 "$RUNS/e-kill-build.out"))"
run_to e-kill-run "$BUILD/geo_main"
snap e-kill-built
check_build e-kill "$TEST_TMP/ref-slow"
expect_misses e-kill $((TUS + 1))
read -r e_dist e_derr <<<"$(dist_delta e-kill-configured e-kill-built)"
log "e: dist_compiles +$e_dist, dist_errors +$e_derr"
expect_ge "$e_derr" 1 "e: dist_errors (the killed job fell back to a local compile)"
expect_eq "$((e_dist + e_derr))" $((TUS + 1)) "e: dist_compiles + dist_errors (every miss tried the cluster)"
dist_wait_servers 1 20

# ---------------------------------------------------------------------------------------------
log "d. scheduler killed: a connected sccache falls back to local compiles"
tu_cmd 3
TU3=("${TU_CMD[@]}")
stop_dist_scheduler KILL
snap d-before
started=$SECONDS
run_to d-compile "$SCCACHE_BIN" "${TU3[@]}"
expect_eq "$(rc_of d-compile)" 0 "d: exit code with the scheduler down (stderr: $(head -c 400 "$RUNS/d-compile.err"))"
[[ ! -s $RUNS/d-compile.err ]] || fail "d: the compile with the scheduler down wrote to stderr: $(head -c 400 "$RUNS/d-compile.err")"
snap d-after
expect_same_file "$TEST_TMP/table3.ref.o" "$TEST_TMP/work/table3.o" "d: object with the scheduler down"
expect_eq "$(dist_delta d-before d-after)" "0 1" "d: dist_compiles and dist_errors changes with the scheduler down"
log "d: local fallback took $((SECONDS - started)) s"
stop_sccache_server kill

log "d. scheduler down when sccache starts: NotConnected, the build is local"
start_dist_sccache nosched "$TEST_TMP/dist.toml"
run_to status-nosched "$SCCACHE_BIN" --dist-status
expect_eq "$(rc_of status-nosched)" 0 "--dist-status exit code with the scheduler down"
log "d: --dist-status: $(cat "$RUNS/status-nosched.out")"
expect_eq "$(jq -r '.NotConnected[0]' "$RUNS/status-nosched.out")" "$DIST_SCHED_URL/" "--dist-status NotConnected URL"
sc_build d-nosched "$GCC" "$GXX" gcc
expect_misses d-nosched "$TUS"
read -r d_dist d_derr <<<"$(dist_delta d-nosched-configured d-nosched-built)"
expect_eq "$d_dist" 0 "d: dist_compiles with the scheduler down"
log "d: all $TUS compiles local (dist_errors +$d_derr)"
stop_sccache_server nosched
