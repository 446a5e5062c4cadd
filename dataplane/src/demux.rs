//! Telling RTP, RTCP and everything else apart on a shared port (RFC 7983, RFC 5761 sec. 4).
//!
//! The first byte separates STUN, ZRTP, DTLS, TURN channels and RTP/RTCP (versions 2 start
//! at 128..=191); among those, a second byte of 192..=223 (marker bit plus payload type
//! 64..=95) is an RTCP packet type, because RTP payload types 64..=95 are avoided when RTP
//! and RTCP share a port.

/// What a datagram carries, as far as its first two bytes tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketKind {
    /// An RTP packet; check it with [`crate::rtp::RtpPacket::new_checked`].
    Rtp,
    /// An RTCP (compound) packet; walk it with [`crate::rtcp::CompoundPackets`].
    Rtcp,
    /// Anything else: STUN, DTLS, ZRTP, TURN channel data, or noise ([`other_kind`] says
    /// which).
    Other,
}

/// The protocols RFC 7983 multiplexes next to RTP and RTCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OtherKind {
    /// First byte 0..=3.
    Stun,
    /// First byte 16..=19.
    Zrtp,
    /// First byte 20..=63.
    Dtls,
    /// First byte 64..=79.
    TurnChannel,
    /// Empty, RTP/RTCP, or a first byte no protocol claims.
    Unknown,
}

/// Classifies a datagram by its first two bytes. This does not validate the packet: an
/// [`PacketKind::Rtp`] or [`PacketKind::Rtcp`] answer still goes through the checked views.
pub fn classify(datagram: &[u8]) -> PacketKind {
    match datagram {
        [128..=191, second, ..] => {
            if (192..=223).contains(second) {
                PacketKind::Rtcp
            } else {
                PacketKind::Rtp
            }
        }
        _ => PacketKind::Other,
    }
}

/// Names the non-RTP protocol a datagram belongs to, by its first byte (RFC 7983 sec. 7).
pub fn other_kind(datagram: &[u8]) -> OtherKind {
    match datagram.first() {
        Some(0..=3) => OtherKind::Stun,
        Some(16..=19) => OtherKind::Zrtp,
        Some(20..=63) => OtherKind::Dtls,
        Some(64..=79) => OtherKind::TurnChannel,
        _ => OtherKind::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_byte_splits_rtp_from_rtcp() {
        // RTCP SR (200), RR (201), SDES (202), BYE (203), APP (204), RTPFB (205), PSFB (206),
        // XR (207) all fall inside 192..=223.
        for pt in 200..=207u8 {
            assert_eq!(classify(&[0x80, pt, 0, 1]), PacketKind::Rtcp);
        }
        assert_eq!(classify(&[0x81, 192]), PacketKind::Rtcp);
        assert_eq!(classify(&[0x81, 223]), PacketKind::Rtcp);
        // PCMU with and without marker; dynamic 96 with marker (0xe0) and 111 (0x6f).
        for second in [0x00, 0x80, 0xe0, 0x6f, 191, 224] {
            assert_eq!(classify(&[0x80, second, 0, 1]), PacketKind::Rtp);
        }
    }

    #[test]
    fn first_byte_ranges_of_rfc7983() {
        assert_eq!(classify(&[]), PacketKind::Other);
        assert_eq!(classify(&[0x80]), PacketKind::Other);
        // STUN binding request, DTLS handshake, TURN channel, version 0 and 3 RTP-like.
        for first in [0x00, 0x16, 0x40, 0x00, 0x7f, 0xc0, 0xff] {
            assert_eq!(classify(&[first, 0x01, 0, 0]), PacketKind::Other);
        }
        assert_eq!(other_kind(&[0x00, 0x01]), OtherKind::Stun);
        assert_eq!(other_kind(&[0x03]), OtherKind::Stun);
        assert_eq!(other_kind(&[0x10]), OtherKind::Zrtp);
        assert_eq!(other_kind(&[0x16, 0xfe, 0xfd]), OtherKind::Dtls);
        assert_eq!(other_kind(&[63]), OtherKind::Dtls);
        assert_eq!(other_kind(&[0x40]), OtherKind::TurnChannel);
        assert_eq!(other_kind(&[0x4f]), OtherKind::TurnChannel);
        assert_eq!(other_kind(&[0x80]), OtherKind::Unknown);
        assert_eq!(other_kind(&[]), OtherKind::Unknown);
    }
}
