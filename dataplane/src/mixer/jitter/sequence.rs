//! RTP sequence numbers widened to 64 bits, so that order and distance survive the 16-bit
//! wrap (RFC 3550 A.1 keeps a cycle count for the same reason).

/// Where the first sequence number of a stream is placed: far from zero, so that packets
/// reordered before it still have a place below.
pub(super) const ORIGIN: u64 = 1 << 32;

/// `seq` widened to the 64-bit value nearest to `reference`.
pub(super) fn extend(reference: u64, seq: u16) -> u64 {
    let candidate = (reference & !0xffff) | u64::from(seq);
    if candidate > reference && candidate - reference > 0x8000 {
        candidate.saturating_sub(0x1_0000)
    } else if candidate < reference && reference - candidate > 0x8000 {
        candidate.saturating_add(0x1_0000)
    } else {
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_nearest_cycle_across_the_wrap() {
        let near_top = ORIGIN | 0xfffe;
        assert_eq!(extend(near_top, 0xffff), ORIGIN | 0xffff);
        assert_eq!(extend(near_top, 2), ORIGIN + 0x1_0002);
        let just_wrapped = ORIGIN + 0x1_0001;
        assert_eq!(extend(just_wrapped, 0xfffd), ORIGIN | 0xfffd);
        assert_eq!(extend(ORIGIN | 100, 90), ORIGIN | 90);
    }
}
