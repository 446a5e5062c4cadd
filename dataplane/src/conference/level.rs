//! How loud a talker's packet is, from the best source the leg offers: the RFC 6464
//! extension (readable even on end-to-end ciphertext, whose header is clear), else the
//! energy of the decoded G.711 payload, else a configured default.

use medianode_simd::{alaw_decode, audio_level_dbov, ulaw_decode};

use super::Codec;
use crate::audio_level::AudioLevel;
use crate::rtp::extension::{ExtensionElements, ExtensionForm};
use crate::rtp::{header_len, FIXED_HEADER_LEN};

/// Samples of PCM scratch a level measurement decodes at most (a 1500-byte G.711 payload).
pub(crate) const PCM_SCRATCH_SAMPLES: usize = 1500;

/// The audio level (-dBov) in the RFC 6464 element `id` of the RTP (or SRTP) packet
/// `packet`, if it carries one. Only the header is read.
pub(crate) fn extension_level(packet: &[u8], id: u8) -> Option<u8> {
    let end = header_len(packet).ok()?;
    let &first = packet.first()?;
    if first & 0x10 == 0 {
        return None;
    }
    let start = FIXED_HEADER_LEN + 4 * usize::from(first & 0x0f);
    let profile = packet.get(start..start + 2)?;
    let form = ExtensionForm::from_profile(u16::from_be_bytes([profile[0], profile[1]]))?;
    let data = packet.get(start + 4..end)?;
    AudioLevel::find(ExtensionElements::new(form, data), id).map(|level| level.level_dbov)
}

/// The level of a G.711 payload, decoded into `pcm`; `None` for other codecs.
pub(crate) fn payload_level(codec: Codec, payload: &[u8], pcm: &mut [i16]) -> Option<u8> {
    let n = payload.len().min(pcm.len());
    let (codes, samples) = (payload.get(..n)?, pcm.get_mut(..n)?);
    match codec {
        Codec::Pcmu => ulaw_decode(samples, codes),
        Codec::Pcma => alaw_decode(samples, codes),
        _ => return None,
    }
    Some(audio_level_dbov(samples))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::extension::{ExtensionElement, ExtensionWriter};
    use crate::rtp::{CsrcList, RtpHeader};
    use medianode_simd::ulaw_encode;

    fn packet_with_level(id: u8, byte: u8, csrcs: &[u32]) -> Vec<u8> {
        let mut ext = [0u8; 16];
        let block = ExtensionWriter::write_all(&mut ext, &[ExtensionElement { id, data: &[byte] }])
            .expect("fits");
        let header = RtpHeader {
            marker: false,
            payload_type: 111,
            sequence_number: 1,
            timestamp: 2,
            ssrc: 3,
            csrcs: CsrcList::from_slice(csrcs).expect("few csrcs"),
            extension: Some(block),
        };
        let mut buf = vec![0u8; 64];
        let len = header.emit(&mut buf).expect("room");
        buf.truncate(len + 10);
        buf
    }

    #[test]
    fn reads_the_level_behind_csrcs_and_ignores_other_ids() {
        let packet = packet_with_level(3, 0x80 | 27, &[7, 8]);
        assert_eq!(extension_level(&packet, 3), Some(27));
        assert_eq!(extension_level(&packet, 4), None);
    }

    #[test]
    fn no_extension_or_truncated_header_gives_none() {
        let packet = packet_with_level(1, 10, &[]);
        let mut plain = packet.clone();
        plain[0] &= !0x10;
        assert_eq!(extension_level(&plain, 1), None);
        for cut in 0..packet.len().min(20) {
            assert_eq!(extension_level(&packet[..cut], 1), None, "cut at {cut}");
        }
    }

    #[test]
    fn g711_payload_level_follows_the_energy() {
        let mut pcm = [0i16; PCM_SCRATCH_SAMPLES];
        let loud: Vec<i16> = (0..160)
            .map(|i| if i % 2 == 0 { 16_000 } else { -16_000 })
            .collect();
        let mut codes = [0u8; 160];
        ulaw_encode(&mut codes, &loud);
        let loud_level = payload_level(Codec::Pcmu, &codes, &mut pcm).expect("g711");
        ulaw_encode(&mut codes, &[0i16; 160]);
        let silent_level = payload_level(Codec::Pcmu, &codes, &mut pcm).expect("g711");
        // A square wave at half scale is about 6 dB below full scale.
        assert!((5..=7).contains(&loud_level), "{loud_level}");
        assert!(silent_level > 70, "{silent_level}");
        assert_eq!(payload_level(Codec::Opus, &codes, &mut pcm), None);
    }
}
