//! Deciding which UDP datagrams are RTP. Without signalling, RTP is recognised by shape:
//! version 2, a header whose CSRC list and extension fit, a second byte that is not an
//! RTCP packet type (RFC 5761 section 4), and then consistency: the same SSRC on the same
//! 5-tuple with sequence numbers advancing over [`CONFIRMING_PACKETS`] packets. Random
//! payloads (DNS, T.38, encrypted traffic) pass the first checks now and then but not the
//! second. A port the operator names is taken as RTP without the consistency check.

use std::net::SocketAddr;

use medianode_dataplane::demux::{classify, PacketKind};
use medianode_dataplane::rtp::{header_len, RtpPacket, FIXED_HEADER_LEN};

/// Packets with the same SSRC and advancing sequence numbers needed before a candidate
/// stream counts as RTP.
pub const CONFIRMING_PACKETS: usize = 3;
/// The most packets a candidate keeps while waiting for confirmation; older ones are
/// dropped (a real stream confirms within a few packets).
pub(crate) const MAX_PENDING: usize = 16;
/// The largest sequence advance that counts toward confirmation.
const MAX_CONFIRMING_ADVANCE: u16 = 100;

/// The RTP header fields stream analysis uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpFields {
    /// Sequence number.
    pub seq: u16,
    /// RTP timestamp.
    pub timestamp: u32,
    /// Synchronisation source.
    pub ssrc: u32,
    /// Payload type.
    pub payload_type: u8,
    /// Marker bit.
    pub marker: bool,
}

/// Reads the header of a datagram that looks like RTP. SRTP packets qualify too: their
/// header is in clear, and the padding bit, whose count byte sits under the encryption, is
/// not trusted.
pub fn rtp_fields(payload: &[u8]) -> Option<RtpFields> {
    if classify(payload) != PacketKind::Rtp {
        return None;
    }
    header_len(payload).ok()?;
    // View only the fixed header, with padding, extension and CSRC count cleared, so the
    // checked view does not look at a possibly encrypted padding count.
    let mut fixed: [u8; FIXED_HEADER_LEN] = payload.get(..FIXED_HEADER_LEN)?.try_into().ok()?;
    fixed[0] &= 0xC0;
    let packet = RtpPacket::new_checked(&fixed[..]).ok()?;
    Some(RtpFields {
        seq: packet.sequence_number(),
        timestamp: packet.timestamp(),
        ssrc: packet.ssrc(),
        payload_type: packet.payload_type(),
        marker: packet.marker(),
    })
}

/// Identifies a stream: the sender, the receiver and the SSRC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamKey {
    /// Source address and port.
    pub src: SocketAddr,
    /// Destination address and port.
    pub dst: SocketAddr,
    /// Synchronisation source.
    pub ssrc: u32,
}

/// Tracks whether a candidate's sequence numbers advance like a stream's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Confirmation {
    highest_seq: u16,
    advancing: usize,
}

impl Confirmation {
    pub(crate) fn new(first_seq: u16) -> Self {
        Confirmation {
            highest_seq: first_seq,
            advancing: 1,
        }
    }

    /// Records one more packet; true once the candidate is confirmed.
    pub(crate) fn observe(&mut self, seq: u16) -> bool {
        let advance = seq.wrapping_sub(self.highest_seq);
        if (1..=MAX_CONFIRMING_ADVANCE).contains(&advance) {
            self.highest_seq = seq;
            self.advancing += 1;
        }
        self.advancing >= CONFIRMING_PACKETS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rtp_and_srtp_headers() {
        let mut p = vec![
            0x80, 0x88, 0x12, 0x34, 0, 0, 0x01, 0x00, 0xDE, 0xAD, 0xBE, 0xEF,
        ];
        p.extend_from_slice(&[1, 2, 3]);
        let f = rtp_fields(&p).unwrap();
        assert_eq!(
            f,
            RtpFields {
                seq: 0x1234,
                timestamp: 256,
                ssrc: 0xDEAD_BEEF,
                payload_type: 8,
                marker: true
            }
        );
        // Padding bit with a count larger than the payload (SRTP: the count is encrypted).
        p[0] = 0xA0;
        p.push(200);
        assert_eq!(rtp_fields(&p).map(|f| f.seq), Some(0x1234));
    }

    #[test]
    fn rejects_non_rtp() {
        // RTCP receiver report.
        assert_eq!(rtp_fields(&[0x81, 201, 0, 7, 0, 0, 0, 1, 0, 0, 0, 0]), None);
        // Version 1, STUN, too short, CSRC list past the end.
        assert_eq!(rtp_fields(&[0x40; 12]), None);
        assert_eq!(
            rtp_fields(&[0x00, 0x01, 0, 0, 0x21, 0x12, 0xA4, 0x42, 0, 0, 0, 0]),
            None
        );
        assert_eq!(rtp_fields(&[0x80, 0x00, 0, 1]), None);
        assert_eq!(
            rtp_fields(&[0x8F, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]),
            None
        );
    }

    #[test]
    fn confirmation_needs_advancing_sequence_numbers() {
        let mut c = Confirmation::new(10);
        assert!(!c.observe(10)); // duplicate
        assert!(!c.observe(5_000)); // jump
        assert!(!c.observe(11));
        assert!(c.observe(13)); // a gap is fine
        let mut c = Confirmation::new(65_535);
        assert!(!c.observe(0));
        assert!(c.observe(1));
    }
}
