//! What a payload type number says on its own: the RTP clock rate and name of the static
//! assignments (RFC 3551 section 6), and which numbers are comfort noise. Dynamic types
//! (96..=127) are bound by signalling this tool does not see, so they have no clock rate;
//! tshark likewise computes no jitter for them unless SDP in the same capture names them.

/// RTP clock rate of a static payload type, in Hz. Matches the table tshark uses for its
/// jitter, including the historic assignments 1, 2 and 19.
pub fn static_clock_rate(payload_type: u8) -> Option<u32> {
    Some(match payload_type {
        // PCMU, 1016, G721, GSM, G723, DVI4/8000, LPC, PCMA, G722 (8 kHz RTP clock per
        // RFC 3551 4.5.2), QCELP, CN, G728, G729, old CN.
        0..=5 | 7..=9 | 12 | 13 | 15 | 18 | 19 => 8_000,
        6 => 16_000,
        10 | 11 => 44_100,
        16 => 11_025,
        17 => 22_050,
        // MPA, CelB, JPEG, nv, H261, MPV, MP2T, H263.
        14 | 25 | 26 | 28 | 31..=34 => 90_000,
        _ => return None,
    })
}

/// Comfort noise (RFC 3389, and the pre-RFC 3551 number 19): excluded from jitter
/// extremes and means, as tshark does, because it is sent irregularly by design.
pub fn is_comfort_noise(payload_type: u8) -> bool {
    matches!(payload_type, 13 | 19)
}

/// A short name for a payload type, as tshark prints it where it has one.
pub fn name(payload_type: u8) -> String {
    let known = match payload_type {
        0 => "g711U",
        3 => "GSM",
        4 => "g723",
        5 | 6 | 16 | 17 => "DVI4",
        7 => "LPC",
        8 => "g711A",
        9 => "g722",
        10 | 11 => "L16",
        12 => "QCELP",
        13 | 19 => "CN",
        14 => "MPA",
        15 => "g728",
        18 => "g729",
        25 => "CelB",
        26 => "JPEG",
        28 => "nv",
        31 => "h261",
        32 => "MPV",
        33 => "MP2T",
        34 => "h263",
        _ => return format!("PT{payload_type}"),
    };
    known.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3551_rates() {
        assert_eq!(static_clock_rate(0), Some(8_000));
        assert_eq!(static_clock_rate(9), Some(8_000));
        assert_eq!(static_clock_rate(18), Some(8_000));
        assert_eq!(static_clock_rate(6), Some(16_000));
        assert_eq!(static_clock_rate(34), Some(90_000));
        assert_eq!(static_clock_rate(20), None);
        assert_eq!(static_clock_rate(96), None);
        assert_eq!(static_clock_rate(127), None);
    }

    #[test]
    fn names() {
        assert_eq!(name(8), "g711A");
        assert_eq!(name(101), "PT101");
        assert!(is_comfort_noise(13));
        assert!(!is_comfort_noise(8));
    }
}
