//! What an Opus packet's first bytes tell without decoding (RFC 6716): its duration, from
//! the table-of-contents byte (sec. 3.1), which the jitter buffer needs to measure the
//! audio it holds; and whether its first SILK frame carries LBRR (in-band FEC) data for
//! the packet before it (sec. 4.2.3), which decides between FEC and PLC for a loss.

/// Samples per 2.5 ms at 48 kHz, the unit of Opus frame sizes.
const QUANTUM: u32 = 120;
/// The longest packet RFC 6716 allows: 120 ms.
const MAX_SAMPLES: u32 = 5760;

/// The packet's duration in samples at 48 kHz, or `None` if the packet is empty, its
/// frame count byte is missing or zero, or it lasts more than 120 ms.
pub(crate) fn samples_48k(packet: &[u8]) -> Option<u32> {
    let &toc = packet.first()?;
    let config = toc >> 3;
    // Frame sizes in 2.5 ms units: SILK-only configs 0..=11 cycle 10/20/40/60 ms,
    // hybrid 12..=15 cycle 10/20 ms, CELT-only 16..=31 cycle 2.5/5/10/20 ms.
    let quanta = match config {
        0..=11 => [4, 8, 16, 24][usize::from(config % 4)],
        12..=15 => [4, 8][usize::from(config % 2)],
        _ => [1, 2, 4, 8][usize::from(config % 4)],
    };
    let frames = match toc & 0x03 {
        0 => 1,
        1 | 2 => 2,
        _ => u32::from(*packet.get(1)? & 0x3f),
    };
    let samples = frames * quanta * QUANTUM;
    (frames > 0 && samples <= MAX_SAMPLES).then_some(samples)
}

/// Whether the packet's first frame carries LBRR data; `None` when that cannot be read
/// without decoding (code-3 packets, empty frames). CELT-only packets carry none.
pub(crate) fn has_lbrr(packet: &[u8]) -> Option<bool> {
    let &toc = packet.first()?;
    let config = toc >> 3;
    if config >= 16 {
        return Some(false);
    }
    let first_frame = match toc & 0x03 {
        0 | 1 => packet.get(1)?,
        2 => {
            // The first frame's length: one byte below 252, else two.
            let &len = packet.get(1)?;
            packet.get(if len < 252 { 2 } else { 3 })?
        }
        _ => return None,
    };
    // The first frame opens with one VAD flag per 20 ms SILK frame (one for 10 and 20 ms,
    // two for 40 ms, three for 60 ms), then the LBRR flag; the range coder codes these
    // equiprobable flags as the leading bits.
    let silk_frames = match config {
        0..=11 => [1, 1, 2, 3][usize::from(config % 4)],
        _ => 1,
    };
    Some((first_frame >> (7 - silk_frames)) & 1 == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_frame_size_and_count_of_each_mode() {
        // Config 1: SILK NB 20 ms, one frame.
        assert_eq!(samples_48k(&[1 << 3]), Some(960));
        // Config 15: hybrid FB 20 ms, two equal frames (code 1).
        assert_eq!(samples_48k(&[15 << 3 | 1]), Some(1920));
        // Config 16: CELT NB 2.5 ms, code 3 with 6 frames.
        assert_eq!(samples_48k(&[16 << 3 | 3, 6]), Some(720));
        // Config 31: CELT FB 20 ms, one frame.
        assert_eq!(samples_48k(&[31 << 3]), Some(960));
        // Config 3: SILK NB 60 ms, two frames = 120 ms, the maximum.
        assert_eq!(samples_48k(&[3 << 3 | 2]), Some(5760));
    }

    #[test]
    fn reads_the_lbrr_flag_after_the_vad_flags() {
        // Config 9 (SILK WB 20 ms): one VAD bit, then LBRR.
        assert_eq!(has_lbrr(&[9 << 3, 0b0100_0000]), Some(true));
        assert_eq!(has_lbrr(&[9 << 3, 0b1011_1111]), Some(false));
        // Config 11 (SILK WB 60 ms): three VAD bits, then LBRR.
        assert_eq!(has_lbrr(&[11 << 3, 0b0001_0000]), Some(true));
        // Code 2: the frame starts after its length byte.
        assert_eq!(has_lbrr(&[13 << 3 | 2, 5, 0b0100_0000]), Some(true));
        // CELT-only never; code 3 and truncated packets cannot tell.
        assert_eq!(has_lbrr(&[31 << 3, 0xff]), Some(false));
        assert_eq!(has_lbrr(&[9 << 3 | 3, 2, 0xff]), None);
        assert_eq!(has_lbrr(&[9 << 3]), None);
    }

    #[test]
    fn refuses_empty_truncated_zero_and_overlong_packets() {
        assert_eq!(samples_48k(&[]), None);
        assert_eq!(samples_48k(&[31 << 3 | 3]), None);
        assert_eq!(samples_48k(&[31 << 3 | 3, 0]), None);
        // 7 frames of 20 ms = 140 ms.
        assert_eq!(samples_48k(&[31 << 3 | 3, 7]), None);
    }
}
