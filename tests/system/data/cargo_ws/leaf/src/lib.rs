//! Bottom of the dependency chain. The test edits LEAF_NUMBER and sets SC_TEST_FLAVOR.

/// The test rewrites this constant to check that an edited crate misses.
pub const LEAF_NUMBER: u32 = 40;

/// A number derived from the constant.
pub fn answer() -> u32 {
    LEAF_NUMBER + 2
}

/// SC_TEST_FLAVOR as seen by rustc when it compiled this crate (an env var read at compile time).
pub fn flavor() -> &'static str {
    option_env!("SC_TEST_FLAVOR").unwrap_or("none")
}

/// Set by RUSTFLAGS="--cfg sc_test_flag".
pub fn cfg_flag() -> bool {
    cfg!(sc_test_flag)
}
