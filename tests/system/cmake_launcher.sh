#!/usr/bin/env bash
# A real multi-file C++ CMake/Ninja project built with CMAKE_CXX_COMPILER_LAUNCHER=sccache:
# the first build from a clean build dir misses, a second clean build is all hits (misses
# unchanged), objects equal a build without sccache, the program prints the same, the depfiles
# written on hits make a no-op rebuild do nothing and a header edit rebuild exactly what a plain
# build would.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool cmake ninja g++ clang++
setup

PROJECT=$TEST_TMP/project
cp -r "$SYSTEST_DIR/data/cmake_project" "$PROJECT"
BUILD=$TEST_TMP/build
TUS=4 # matrix.cpp primes.cpp stats.cpp main.cpp

# configure_and_build TAG CXX [LAUNCHER]: clean build dir, configure, build; logs in $RUNS.
configure_and_build() {
  local tag=$1 cxx=$2 launcher=${3:-} args=()
  rm -rf "$BUILD"
  args=(-S "$PROJECT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_COMPILER=$cxx")
  [[ -n $launcher ]] && args+=("-DCMAKE_CXX_COMPILER_LAUNCHER=$launcher")
  run_to "$tag-configure" cmake "${args[@]}"
  [[ $(rc_of "$tag-configure") == 0 ]] || fail "$tag: cmake configure failed: $(tail -20 "$RUNS/$tag-configure.err")"
  [[ -z $launcher ]] || snap "$tag-configured"
  run_to "$tag-build" cmake --build "$BUILD"
  [[ $(rc_of "$tag-build") == 0 ]] ||
    fail "$tag: build failed: $(tail -20 "$RUNS/$tag-build.out") $(tail -20 "$RUNS/$tag-build.err")"
  [[ -z $launcher ]] || snap "$tag-built"
  run_to "$tag-run" "$BUILD/calc_main"
  expect_eq "$(rc_of "$tag-run")" 0 "$tag: calc_main exit code"
}

# objects_of DIR: list of object files (relative) in a build dir.
objects_of() { (cd "$1" && find . -name '*.o' | sort); }

# rebuild_plan: what ninja would rebuild now (sorted output paths).
rebuild_plan() {
  ninja -C "$BUILD" -n 2>&1 | sed -n 's/.*Building CXX object \(.*\)/\1/p' | sort
}

for cxx in "${CXX_COMPILERS[@]}"; do
  log "$cxx: reference build without sccache"
  configure_and_build "plain-$cxx" "$cxx"
  expected=$(out_of "plain-$cxx-run")
  [[ $expected == "calc: 25 primes below 100,"* ]] || fail "unexpected program output: $expected"
  rm -rf "$TEST_TMP/ref-$cxx"
  mkdir -p "$TEST_TMP/ref-$cxx"
  (cd "$BUILD" && find . -name '*.o' -exec cp --parents {} "$TEST_TMP/ref-$cxx/" \;)
  expect_eq "$(objects_of "$TEST_TMP/ref-$cxx" | wc -l)" "$TUS" "object files in the plain build"
  ninja -C "$BUILD" -n | grep -q 'no work to do' || fail "$cxx: plain build is not up to date"
  touch "$PROJECT/include/calc/primes.h"
  plain_plan=$(rebuild_plan)
  touch -d '-1 hour' "$PROJECT/include/calc/primes.h"

  for round in 1 2; do
    tag="sccache-$cxx-$round"
    log "$cxx: clean build $round with the launcher"
    configure_and_build "$tag" "$cxx" "$SCCACHE_BIN"
    expect_eq "$(out_of "$tag-run")" "$expected" "$tag: program output"
    for o in $(objects_of "$TEST_TMP/ref-$cxx"); do
      expect_same_file "$TEST_TMP/ref-$cxx/$o" "$BUILD/$o" "$tag: $o"
    done
    expect_delta "$tag-configured" "$tag-built" "$J_REQS" "$TUS" "$tag: compile requests during the build"
    if ((round == 1)); then
      expect_delta "$tag-configured" "$tag-built" "$J_MISSES" "$TUS" "$tag: misses"
      expect_delta "$tag-configured" "$tag-built" "$J_HITS" 0 "$tag: hits"
      wait_writes "$(($(sval "$tag-configured" "$J_WRITES") + TUS))" 30
    else
      expect_delta "$tag-configured" "$tag-built" "$J_MISSES" 0 "$tag: misses"
      expect_delta "$tag-configured" "$tag-built" "$J_HITS" "$TUS" "$tag: hits"
      misses_configure=$(($(sval "$tag-configured" "$J_MISSES") - $(sval "sccache-$cxx-1-built" "$J_MISSES")))
      expect_eq "$misses_configure" 0 "$tag: misses during the second configure"
    fi

    log "$cxx: round $round: no-op rebuild does nothing; header edit rebuilds what plain does"
    ninja -C "$BUILD" -n | grep -q 'no work to do' ||
      fail "$tag: ninja wants to rebuild right after the build (depfiles?): $(ninja -C "$BUILD" -n -d explain 2>&1 | head -5)"
    touch "$PROJECT/include/calc/primes.h"
    expect_eq "$(rebuild_plan | tr '\n' ' ')" "$(tr '\n' ' ' <<<"$plain_plan")" "$tag: rebuild plan after touching primes.h"
    touch -d '-1 hour' "$PROJECT/include/calc/primes.h"
  done

  log "$cxx: a header edit through the launcher: misses for its users only, output changes"
  sed -i 's/kPrimeLimit = 100/kPrimeLimit = 200/' "$PROJECT/include/calc/config.h"
  snap "edit-$cxx-before"
  run_to "edit-$cxx" cmake --build "$BUILD"
  expect_eq "$(rc_of "edit-$cxx")" 0 "incremental build after the header edit"
  snap "edit-$cxx-after"
  expect_delta "edit-$cxx-before" "edit-$cxx-after" "$J_HITS" 0 "$cxx: hits after the header edit"
  expect_ge "$(($(sval "edit-$cxx-after" "$J_MISSES") - $(sval "edit-$cxx-before" "$J_MISSES")))" 2 \
    "$cxx: misses after editing config.h (primes.cpp and main.cpp include it)"
  run_to "edit-$cxx-run" "$BUILD/calc_main"
  [[ $(out_of "edit-$cxx-run") == "calc: 46 primes below 200,"* ]] ||
    fail "$cxx: program after the header edit printed: $(out_of "edit-$cxx-run")"
  sed -i 's/kPrimeLimit = 200/kPrimeLimit = 100/' "$PROJECT/include/calc/config.h"
done
