#!/usr/bin/env bash
# `RUSTC_WRAPPER=sccache cargo build` with distributed compilation (SPEC 7.8), against a real
# scheduler and one sandboxed build server on 127.0.0.1 (dist_lib.sh), on the workspace of
# rust_cargo.sh (rlib leaf, rlib mid, proc-macro hello_derive, bin app):
#   - the Rust toolchain (rustc and its sysroot's lib/) is packaged automatically and sent once;
#   - leaf and mid compile on the build server (dist_compiles 2, dist_errors 0): their inputs are
#     the dep-info sources, the externs and the crates of -L dirs (mid needs leaf's rlib);
#   - hello_derive (proc-macro, linked by the system linker) and app (bin) compile locally;
#   - the rlib/rmeta/.d files are byte-identical to a plain cargo build in the same target dir,
#     and the program prints the same;
#   - `cargo clean` + rebuild: all hits, nothing distributed.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=services.sh
source "$(dirname "$0")/services.sh"
# shellcheck source=dist_lib.sh
source "$(dirname "$0")/dist_lib.sh"
if ! command -v cargo >/dev/null 2>&1 && [[ -x $HOME/.cargo/bin/cargo ]]; then
  PATH=$HOME/.cargo/bin:$PATH
fi
export RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}
require_tool cargo rustc jq
rustc -vV >/dev/null 2>&1 || skip "rustc is on PATH but does not run (no rustup toolchain?)"
require_dist_cluster
setup

WS=$TEST_TMP/ws
cp -r "$SYSTEST_DIR/data/cargo_ws" "$WS"
rm -rf "$WS/target"
export CARGO_HOME=$TEST_TMP/cargo-home
TARGET_DIR=$TEST_TMP/target
unset CARGO_TARGET_DIR RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS RUSTC_WORKSPACE_WRAPPER \
  CARGO_BUILD_RUSTC_WRAPPER CARGO_BUILD_TARGET CARGO_BUILD_JOBS RUSTC_WRAPPER
export CARGO_INCREMENTAL=0 CARGO_TERM_COLOR=never
cd "$WS" || exit 1

build() { # build TAG: cargo clean + build + run the program
  local tag=$1
  run_to "$tag-clean" cargo clean --offline --target-dir "$TARGET_DIR"
  run_to "$tag" "$TIMEOUT_BIN" 400 cargo build --offline --locked --target-dir "$TARGET_DIR"
  [[ $(rc_of "$tag") == 0 ]] || fail "$tag: cargo build failed: $(tail -30 "$RUNS/$tag.err")"
  run_to "$tag-run" "$TARGET_DIR/debug/app"
  expect_eq "$(rc_of "$tag-run")" 0 "$tag: exit code of the program"
}
save_libs() { # save_libs DIR: the rlib/rmeta/.d files of leaf and mid
  mkdir -p "$1"
  (cd "$TARGET_DIR/debug/deps" && cp -p libleaf-*.rlib libleaf-*.rmeta libmid-*.rlib libmid-*.rmeta leaf-*.d mid-*.d "$1/")
}

log "plain cargo build (reference)"
build plain
save_libs "$TEST_TMP/ref"
PLAIN_OUT=$(out_of plain-run)

start_dist_cluster a
dist_client_conf "$TEST_TMP/dist.toml" "$DIST_CLIENT_TOKEN"
export SCCACHE_CONF=$TEST_TMP/dist.toml SCCACHE_LOG=debug
start_sccache_server rust
export RUSTC_WRAPPER=$SCCACHE_BIN

log "dist build with an empty cache"
snap cold-before
build cold
snap cold-after
expect_eq "$(out_of cold-run)" "$PLAIN_OUT" "cold: program output"
expect_delta cold-before cold-after '.stats.dist_compiles' 2 "cold: dist_compiles (leaf, mid)"
expect_delta cold-before cold-after '.stats.dist_errors' 0 "cold: dist_errors"
expect_delta cold-before cold-after '(.stats.cache_misses.counts["Rust"] // 0)' 3 "cold: Rust misses"
for f in "$TEST_TMP"/ref/*; do
  expect_same_file "$f" "$TARGET_DIR/debug/deps/$(basename "$f")" "cold: $(basename "$f") vs plain cargo"
done
n=$(find "$(dist_toolchain_dir a)" -type f | wc -l)
((n >= 1)) || fail "no toolchain archive reached build server a"
grep -q "dist: crate leaf compiled on" "$SCCACHE_ERROR_LOG" || fail "the log does not show leaf compiled remotely"
grep -q "not distributing crate hello_derive: it links" "$SCCACHE_ERROR_LOG" ||
  fail "the log does not say why hello_derive stayed local"

log "clean rebuild: hits, nothing distributed"
wait_writes 3 30
snap warm-before
build warm
snap warm-after
expect_delta warm-before warm-after '(.stats.cache_hits.counts["Rust"] // 0)' 3 "warm: Rust hits"
expect_delta warm-before warm-after '.stats.dist_compiles' 0 "warm: dist_compiles"
expect_eq "$(out_of warm-run)" "$PLAIN_OUT" "warm: program output"
