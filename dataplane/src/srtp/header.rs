//! The few header fields SRTP needs: where the encrypted part of an RTP packet starts,
//! the SSRC and sequence number, and the SRTCP sender SSRC.
//!
//! SRTP cannot use the full RTP view: that view checks the padding count, which in an SRTP
//! packet is inside the encrypted payload. Only the clear header is checked here.

use super::error::SrtpError;

/// RTP fixed header length.
const RTP_FIXED: usize = 12;
/// RTCP bytes left in clear by SRTCP: the first header word and the sender SSRC.
pub(crate) const RTCP_CLEAR_LEN: usize = 8;

/// What SRTP reads from a clear RTP header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RtpHeaderFields {
    /// Fixed header, CSRCs and header extension: the bytes left in clear.
    pub(crate) header_len: usize,
    pub(crate) sequence: u16,
    pub(crate) ssrc: u32,
    /// The header extension, if the X bit is set.
    pub(crate) extension: Option<ExtensionBlock>,
}

/// Where a header extension's data lies in the packet, and its profile word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ExtensionBlock {
    pub(crate) profile: u16,
    /// Offset of the first data byte (after the 4-byte extension header).
    pub(crate) data_start: usize,
    pub(crate) data_len: usize,
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Reads the clear RTP header of `packet` (whose length excludes any SRTP trailer).
pub(crate) fn parse_rtp(packet: &[u8]) -> Result<RtpHeaderFields, SrtpError> {
    let first = *packet.first().ok_or(SrtpError::PacketTooShort)?;
    if packet.len() < RTP_FIXED {
        return Err(SrtpError::PacketTooShort);
    }
    if first >> 6 != 2 {
        return Err(SrtpError::MalformedHeader);
    }
    let csrc_count = usize::from(first & 0x0F);
    let mut header_len = RTP_FIXED + 4 * csrc_count;
    let mut extension = None;
    if first & 0x10 != 0 {
        let profile = be16(packet, header_len).ok_or(SrtpError::MalformedHeader)?;
        let words = be16(packet, header_len + 2).ok_or(SrtpError::MalformedHeader)?;
        extension = Some(ExtensionBlock {
            profile,
            data_start: header_len + 4,
            data_len: 4 * usize::from(words),
        });
        header_len += 4 + 4 * usize::from(words);
    }
    if header_len > packet.len() {
        return Err(SrtpError::MalformedHeader);
    }
    Ok(RtpHeaderFields {
        header_len,
        sequence: be16(packet, 2).ok_or(SrtpError::PacketTooShort)?,
        ssrc: be32(packet, 8).ok_or(SrtpError::PacketTooShort)?,
        extension,
    })
}

/// Reads the sender SSRC of an RTCP packet (version 2, at least 8 bytes).
pub(crate) fn parse_rtcp(packet: &[u8]) -> Result<u32, SrtpError> {
    if packet.len() < RTCP_CLEAR_LEN {
        return Err(SrtpError::PacketTooShort);
    }
    if packet[0] >> 6 != 2 {
        return Err(SrtpError::MalformedHeader);
    }
    be32(packet, 4).ok_or(SrtpError::PacketTooShort)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_length_covers_csrcs_and_extension() {
        let mut p = vec![0x80, 0, 0x12, 0x34, 0, 0, 0, 0, 0xCA, 0xFE, 0xBA, 0xBE];
        assert_eq!(parse_rtp(&p).unwrap().header_len, 12);
        p[0] = 0x91; // X=1, CC=1
        p.extend_from_slice(&[1, 2, 3, 4, 0xBE, 0xDE, 0, 1, 0x10, 0xFF, 0, 0]);
        let h = parse_rtp(&p).unwrap();
        assert_eq!((h.header_len, h.sequence, h.ssrc), (24, 0x1234, 0xCAFEBABE));
        assert_eq!(parse_rtp(&p[..23]), Err(SrtpError::MalformedHeader));
        assert_eq!(parse_rtp(&p[..18]), Err(SrtpError::MalformedHeader));
        p[0] = 0x40;
        assert_eq!(parse_rtp(&p), Err(SrtpError::MalformedHeader));
        assert_eq!(parse_rtp(&p[..5]), Err(SrtpError::PacketTooShort));
        assert_eq!(parse_rtp(&[]), Err(SrtpError::PacketTooShort));
    }
}
