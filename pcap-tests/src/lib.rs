//! Shared helpers for the capture tests in `tests/`: where the fixtures are, running tshark
//! (a required peer: when it is missing the tests fail, they do not skip), reading tshark's
//! `rtp,streams` table and rtpproxy's expected-statistics files, and re-framing captured
//! packets onto other link types to exercise every decoder against tshark.

pub mod agreement;
pub mod fixtures;
pub mod relink;
pub mod rtpproxy;
pub mod tshark;

/// True when `ours` is within `relative` (a fraction) of `theirs`, or within `absolute`
/// of it; the absolute slack covers values printed with few decimals.
pub fn close_enough(ours: f64, theirs: f64, relative: f64, absolute: f64) -> bool {
    let diff = (ours - theirs).abs();
    diff <= absolute || diff <= relative * theirs.abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closeness() {
        assert!(close_enough(1.04, 1.0, 0.05, 0.0));
        assert!(!close_enough(1.06, 1.0, 0.05, 0.0));
        assert!(close_enough(0.0014, 0.001, 0.05, 0.0005));
        assert!(!close_enough(0.0016, 0.001, 0.05, 0.0005));
    }
}
