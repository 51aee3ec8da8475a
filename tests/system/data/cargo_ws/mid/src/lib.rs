//! Middle of the chain; has one deliberate warning and an optional feature.

pub fn describe() -> String {
    let unused_on_purpose = 7; // deliberate warning: the test greps for "unused variable"
    format!(
        "answer={} flavor={} cfg_flag={}",
        leaf::answer(),
        leaf::flavor(),
        leaf::cfg_flag()
    )
}

#[cfg(feature = "extra")]
pub fn extra() -> String {
    format!("extra feature on: {}", leaf::answer() * 2)
}
