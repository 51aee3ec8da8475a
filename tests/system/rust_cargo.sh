#!/usr/bin/env bash
# `RUSTC_WRAPPER=sccache cargo build` of a small offline workspace (data/cargo_ws: rlib leaf,
# rlib mid with a warning and a feature, proc-macro hello_derive, bin app):
#   - a first build misses on the 3 cacheable crates (lib + proc-macro; the bin is not cached)
#     and produces the same rlib/rmeta/.so/.d files, warnings and program as plain cargo;
#   - after `cargo clean` everything hits, byte-identical, with the warning replayed, and a
#     no-op rebuild afterwards is all "Fresh";
#   - a source edit, RUSTFLAGS, a feature and an env var read with option_env! miss exactly
#     the crates they change (and never serve a stale entry);
#   - a second target dir hits, with dep-info paths rewritten for it;
#   - CARGO_INCREMENTAL=1 builds work but are counted not cacheable ("incremental").
# Every step runs `cargo clean` first, so cargo's own freshness checks never hide a lookup.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# rustup's proxies need RUSTUP_HOME and setup() moves HOME: pin both before it.
if ! command -v cargo >/dev/null 2>&1 && [[ -x $HOME/.cargo/bin/cargo ]]; then
  PATH=$HOME/.cargo/bin:$PATH
fi
export RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}
require_tool cargo rustc
rustc -vV >/dev/null 2>&1 || skip "rustc is on PATH but does not run (no rustup toolchain?)"
setup

WS=$TEST_TMP/ws
cp -r "$SYSTEST_DIR/data/cargo_ws" "$WS"
rm -rf "$WS/target"
export CARGO_HOME=$TEST_TMP/cargo-home
# The target dir goes on cargo's command line: CARGO_TARGET_DIR in the environment would be
# passed on to rustc, and every CARGO_* variable is part of the key (a proc macro may read any).
TARGET_DIR=$TEST_TMP/target
unset CARGO_TARGET_DIR
export CARGO_INCREMENTAL=0 CARGO_TERM_COLOR=never
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS RUSTC_WORKSPACE_WRAPPER \
  CARGO_BUILD_RUSTC_WRAPPER CARGO_BUILD_TARGET CARGO_BUILD_JOBS SC_TEST_FLAVOR
cd "$WS" || exit 1

J_RUST_HITS='(.stats.cache_hits.counts["Rust"] // 0)'
J_RUST_MISSES='(.stats.cache_misses.counts["Rust"] // 0)'
J_RUST_ERRORS='(.stats.cache_errors.counts["Rust"] // 0)'
CACHEABLE=3 # leaf, mid (rlib) and hello_derive (proc-macro); app is a bin

# cargo_build TAG [ARGS...]: `cargo clean`, then `cargo build ARGS` (through $RUSTC_WRAPPER
# when set, with stats snapped around it as TAG-before / TAG-after), then run the program:
# its stdout is $RUNS/TAG-run.out, cargo's stderr $RUNS/TAG.err.
cargo_build() {
  local tag=$1
  shift
  run_to "$tag-clean" cargo clean --offline --target-dir "$TARGET_DIR"
  [[ $(rc_of "$tag-clean") == 0 ]] || fail "$tag: cargo clean failed: $(tail -5 "$RUNS/$tag-clean.err")"
  [[ -z ${RUSTC_WRAPPER:-} ]] || snap "$tag-before"
  run_to "$tag" cargo build --offline --locked --target-dir "$TARGET_DIR" "$@"
  [[ $(rc_of "$tag") == 0 ]] || fail "$tag: cargo build $* failed: $(tail -30 "$RUNS/$tag.err")"
  [[ -z ${RUSTC_WRAPPER:-} ]] || snap "$tag-after"
  run_to "$tag-run" "$TARGET_DIR/debug/app"
  expect_eq "$(rc_of "$tag-run")" 0 "$tag: exit code of the program"
}

# expect_rust TAG HITS MISSES: the Rust counters moved by exactly that during build TAG, with
# no cache errors, write errors or failed compiles; waits until the misses are stored.
expect_rust() {
  local tag=$1
  expect_delta "$tag-before" "$tag-after" "$J_RUST_HITS" "$2" "$tag: Rust cache hits"
  expect_delta "$tag-before" "$tag-after" "$J_RUST_MISSES" "$3" "$tag: Rust cache misses"
  expect_delta "$tag-before" "$tag-after" "$J_RUST_ERRORS" 0 "$tag: Rust cache errors"
  expect_delta "$tag-before" "$tag-after" "$J_FAILS" 0 "$tag: compile_fails"
  expect_delta "$tag-before" "$tag-after" "$J_WERR" 0 "$tag: cache_write_errors"
  (($3 == 0)) || wait_writes "$(($(sval "$tag-before" "$J_WRITES") + $3))" 30
}

# expect_output TAG EXPECTED: the program printed exactly EXPECTED.
expect_output() {
  expect_eq "$(out_of "$1-run")" "$2" "$1: program output"
}

# diagnostics_of TAG: cargo's warning/error lines (sorted: crates build in parallel).
diagnostics_of() { grep -E '^(warning|error)' "$RUNS/$1.err" | sort || true; }

# expect_warning TAG: the warning of mid is there exactly once and the diagnostics equal the
# plain build's (a hit replays rustc's JSON diagnostics; cargo renders them).
expect_warning() {
  expect_eq "$(grep -cF "unused variable: \`unused_on_purpose\`" "$RUNS/$1.err" || true)" 1 \
    "$1: times cargo printed mid's 'unused variable' warning"
  if grep -qi jobserver "$RUNS/$1.err"; then
    fail "$1: jobserver complaint in cargo's output: $(grep -i jobserver "$RUNS/$1.err" | head -3)"
  fi
  expect_eq "$(diagnostics_of "$1")" "$PLAIN_DIAGNOSTICS" "$1: cargo's warning/error lines"
}

# deps_listing TARGET_DIR: name and mode of the rlib/rmeta/.so/.d files in debug/deps.
deps_listing() {
  (cd "$1/debug/deps" && find . -maxdepth 1 -type f \
    \( -name '*.rlib' -o -name '*.rmeta' -o -name '*.so' -o -name '*.d' \) \
    -printf '%f %m\n' | sort)
}

# save_deps TAG: keep a copy of those files (and their listing) as $TEST_TMP/deps.TAG.
save_deps() {
  local dir=$TEST_TMP/deps.$1 f
  mkdir -p "$dir"
  deps_listing "$TARGET_DIR" >"$dir.list"
  while read -r f _; do cp -p "$TARGET_DIR/debug/deps/$f" "$dir/"; done <"$dir.list"
}

# expect_same_deps REF TAG [TARGET_DIR]: same file names and modes as saved in REF, identical
# bytes; .d files are compared after replacing REF's target dir path with TARGET_DIR's.
expect_same_deps() {
  local ref=$TEST_TMP/deps.$1 tag=$2 tdir=${3:-$TARGET_DIR} f
  expect_eq "$(deps_listing "$tdir")" "$(cat "$ref.list")" "$tag: rlib/rmeta/so/d files in $tdir/debug/deps (name mode)"
  while read -r f _; do
    if [[ $f == *.d && $tdir != "$TEST_TMP/target" ]]; then
      sed "s|$TEST_TMP/target/|$tdir/|g" "$ref/$f" >"$TEST_TMP/expected.d"
      expect_same_file "$TEST_TMP/expected.d" "$tdir/debug/deps/$f" "$tag: dep-info $f"
    else
      expect_same_file "$ref/$f" "$tdir/debug/deps/$f" "$tag: $f"
    fi
  done <"$ref.list"
}

# expect_noop TAG: `cargo build` right after a build compiles nothing (all Fresh), counts
# no Rust hit or miss and cargo still shows mid's warning (it saved the replayed JSON).
expect_noop() {
  local tag=$1-noop
  snap "$tag-before"
  run_to "$tag" cargo build --offline --locked --target-dir "$TARGET_DIR" -v
  [[ $(rc_of "$tag") == 0 ]] || fail "$tag: cargo build failed: $(tail -20 "$RUNS/$tag.err")"
  snap "$tag-after"
  if grep -E '^ *(Compiling|Running) ' "$RUNS/$tag.err"; then
    fail "$tag: cargo rebuilt something right after the build (see the lines above)"
  fi
  local c
  for c in leaf mid hello_derive app; do
    grep -q "Fresh $c " "$RUNS/$tag.err" || fail "$tag: no 'Fresh $c' in: $(head -20 "$RUNS/$tag.err")"
  done
  expect_delta "$tag-before" "$tag-after" "$J_RUST_HITS + $J_RUST_MISSES" 0 "$tag: Rust lookups"
  expect_warning "$tag"
}

log "reference build with plain cargo"
unset RUSTC_WRAPPER
cargo_build plain
BASE_OUTPUT=$(out_of plain-run)
expect_eq "$BASE_OUTPUT" $'hello from Greeter and Mood\nanswer=42 flavor=none cfg_flag=false' \
  "program output of the plain build"
PLAIN_DIAGNOSTICS=$(diagnostics_of plain)
grep -q 'unused variable' "$RUNS/plain.err" || fail "plain build: no 'unused variable' warning"
save_deps plain
expect_eq "$(grep -c '\.rlib ' "$TEST_TMP/deps.plain.list")" 2 "rlibs of the plain build"
expect_eq "$(grep -c '\.so ' "$TEST_TMP/deps.plain.list")" 1 "proc-macro .so of the plain build"
[[ -z $(ls -A "$TARGET_DIR/debug/incremental") ]] || fail "CARGO_INCREMENTAL=0 but cargo wrote incremental data"

export RUSTC_WRAPPER=$SCCACHE_BIN

log "1: empty cache: the 3 cacheable crates miss; outputs as plain cargo's"
cargo_build b1
expect_rust b1 0 "$CACHEABLE"
expect_output b1 "$BASE_OUTPUT"
expect_warning b1
expect_same_deps plain b1
save_deps b1
expect_ge "$(($(sval b1-after "$(j_reason 'crate-type bin')") - $(sval b1-before "$(j_reason 'crate-type bin')")))" 1 \
  "b1: not_cached[\"crate-type bin\"] change (app)"
expect_ge "$(($(sval b1-after "$J_NOTCACHEABLE") - $(sval b1-before "$J_NOTCACHEABLE")))" 1 \
  "b1: requests_not_cacheable change"

log "2: cargo clean + build: all hits, byte-identical files, warning replayed, no-op rebuild"
cargo_build b2
expect_rust b2 "$CACHEABLE" 0
expect_output b2 "$BASE_OUTPUT"
expect_warning b2
expect_same_deps b1 b2
expect_noop b2

log "3: edit leaf: leaf and mid miss, hello_derive hits; then revert: all hit again"
sed -i 's/LEAF_NUMBER: u32 = 40;/LEAF_NUMBER: u32 = 50;/' leaf/src/lib.rs
grep -q 'LEAF_NUMBER: u32 = 50;' leaf/src/lib.rs || fail "could not edit leaf/src/lib.rs"
cargo_build edit
expect_rust edit 1 2
expect_output edit "${BASE_OUTPUT/answer=42/answer=52}"
expect_warning edit
sed -i 's/LEAF_NUMBER: u32 = 50;/LEAF_NUMBER: u32 = 40;/' leaf/src/lib.rs
cargo_build revert
expect_rust revert "$CACHEABLE" 0
expect_output revert "$BASE_OUTPUT"
expect_same_deps b1 revert

log "4: RUSTFLAGS=--cfg sc_test_flag: all 3 miss"
export RUSTFLAGS="--cfg sc_test_flag"
cargo_build rustflags
expect_rust rustflags 0 "$CACHEABLE"
expect_output rustflags "${BASE_OUTPUT/cfg_flag=false/cfg_flag=true}"
expect_warning rustflags
unset RUSTFLAGS

log "5: --features app/extra (mid/extra): mid misses, leaf and hello_derive hit"
cargo_build features --features app/extra
expect_rust features 2 1
expect_output features "$BASE_OUTPUT"$'\nextra feature on: 84'
expect_warning features

log "6: option_env!(SC_TEST_FLAVOR) is part of leaf's key"
export SC_TEST_FLAVOR=a
cargo_build flavor-a
expect_rust flavor-a 1 2 # leaf misses, and so does mid (its dependency changed)
expect_output flavor-a "${BASE_OUTPUT/flavor=none/flavor=a}"
export SC_TEST_FLAVOR=b
cargo_build flavor-b
expect_rust flavor-b 1 2
expect_output flavor-b "${BASE_OUTPUT/flavor=none/flavor=b}"
export SC_TEST_FLAVOR=a
cargo_build flavor-a2
expect_rust flavor-a2 "$CACHEABLE" 0
expect_output flavor-a2 "${BASE_OUTPUT/flavor=none/flavor=a}"
unset SC_TEST_FLAVOR

log "7: a second target dir: all hit; dep-info paths name the new dir"
TARGET_DIR=$TEST_TMP/target2 cargo_build target2
expect_rust target2 "$CACHEABLE" 0
expect_output target2 "$BASE_OUTPUT"
expect_warning target2
if grep -lF "$TEST_TMP/target/" "$TEST_TMP"/target2/debug/deps/*.d; then
  fail "target2: dep-info files above still name $TEST_TMP/target/"
fi
grep -qF "$TEST_TMP/target2/debug/deps/libleaf-" "$TEST_TMP"/target2/debug/deps/leaf-*.d ||
  fail "target2: leaf's dep-info does not name target2: $(cat "$TEST_TMP"/target2/debug/deps/leaf-*.d)"
expect_same_deps plain target2 "$TEST_TMP/target2"
TARGET_DIR=$TEST_TMP/target2 expect_noop target2

log "8: CARGO_INCREMENTAL=1: the build works, nothing is cached"
CARGO_INCREMENTAL=1 cargo_build incr
expect_rust incr 0 0
expect_output incr "$BASE_OUTPUT"
expect_warning incr
expect_ge "$(($(sval incr-after "$(j_reason incremental)") - $(sval incr-before "$(j_reason incremental)")))" \
  "$CACHEABLE" "incr: not_cached[\"incremental\"] change"
[[ -n $(ls -A "$TARGET_DIR/debug/incremental") ]] || fail "incr: rustc wrote no incremental data"
