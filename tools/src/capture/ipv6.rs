//! A checked view of an IPv6 header and its extension-header chain, walked to the upper
//! layer so UDP behind hop-by-hop, routing, destination options or an atomic fragment
//! header is still found.

use std::net::Ipv6Addr;

use super::bytes::{array_at, be16_at, u8_at};
use super::skip::SkipReason;

pub(crate) const FIXED_HEADER_LEN: usize = 40;
pub(crate) const PAYLOAD_LENGTH_OFFSET: usize = 4;
pub(crate) const SOURCE_OFFSET: usize = 8;
pub(crate) const DESTINATION_OFFSET: usize = 24;

const HOP_BY_HOP: u8 = 0;
const ROUTING: u8 = 43;
const FRAGMENT: u8 = 44;
const AUTHENTICATION: u8 = 51;
const NO_NEXT_HEADER: u8 = 59;
const DESTINATION_OPTIONS: u8 = 60;
const MOBILITY: u8 = 135;
const HOST_IDENTITY: u8 = 139;
const SHIM6: u8 = 140;
const EXPERIMENT_1: u8 = 253;
const EXPERIMENT_2: u8 = 254;

/// More extension headers than this is a malformed (or hostile) chain.
const MAX_EXTENSION_HEADERS: usize = 16;

/// Where the upper-layer header starts and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UpperLayer {
    /// Offset from the start of the IPv6 header.
    pub(crate) offset: usize,
    pub(crate) protocol: u8,
    /// A routing header with segments left: the UDP checksum then covers the final
    /// destination, not the address in the fixed header.
    pub(crate) routed: bool,
}

/// An IPv6 header whose version and payload length have been checked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ipv6Header<'a> {
    buf: &'a [u8],
    payload_len: usize,
}

impl<'a> Ipv6Header<'a> {
    /// Checks the fixed header at the start of `buf` (which runs to the end of the frame).
    pub(crate) fn new_checked(buf: &'a [u8]) -> Result<Self, SkipReason> {
        let first = u8_at(buf, 0).ok_or(SkipReason::Truncated)?;
        if first >> 4 != 6 {
            return Err(SkipReason::BadHeader);
        }
        if buf.len() < FIXED_HEADER_LEN {
            return Err(SkipReason::Truncated);
        }
        let payload_len =
            usize::from(be16_at(buf, PAYLOAD_LENGTH_OFFSET).ok_or(SkipReason::Truncated)?);
        // Zero means a jumbogram (or a capture before segmentation offload); neither
        // carries an ordinary UDP datagram.
        if payload_len == 0 {
            return Err(SkipReason::BadHeader);
        }
        Ok(Ipv6Header { buf, payload_len })
    }

    /// Fixed header plus payload length: where the packet ends, possibly beyond the
    /// captured bytes.
    pub(crate) fn total_len(&self) -> usize {
        FIXED_HEADER_LEN + self.payload_len
    }

    pub(crate) fn source(&self) -> Ipv6Addr {
        Ipv6Addr::from(array_at::<16>(self.buf, SOURCE_OFFSET).unwrap_or_default())
    }

    pub(crate) fn destination(&self) -> Ipv6Addr {
        Ipv6Addr::from(array_at::<16>(self.buf, DESTINATION_OFFSET).unwrap_or_default())
    }

    /// Walks the extension headers to the upper layer.
    pub(crate) fn upper_layer(&self) -> Result<UpperLayer, SkipReason> {
        let mut next = u8_at(self.buf, 6).ok_or(SkipReason::Truncated)?;
        let mut offset = FIXED_HEADER_LEN;
        let mut routed = false;
        for _ in 0..=MAX_EXTENSION_HEADERS {
            let header_len = match next {
                HOP_BY_HOP | ROUTING | DESTINATION_OPTIONS | MOBILITY | HOST_IDENTITY | SHIM6
                | EXPERIMENT_1 | EXPERIMENT_2 => {
                    let units = u8_at(self.buf, offset + 1).ok_or(SkipReason::Truncated)?;
                    if next == ROUTING {
                        let segments_left =
                            u8_at(self.buf, offset + 3).ok_or(SkipReason::Truncated)?;
                        routed |= segments_left > 0;
                    }
                    (usize::from(units) + 1) * 8
                }
                FRAGMENT => {
                    let field = be16_at(self.buf, offset + 2).ok_or(SkipReason::Truncated)?;
                    // Offset in the top 13 bits, more-fragments in the lowest bit. An
                    // "atomic" fragment (both zero) is a whole datagram.
                    if field & 0xFFF9 != 0 {
                        return Err(SkipReason::IpFragment);
                    }
                    8
                }
                AUTHENTICATION => {
                    let units = u8_at(self.buf, offset + 1).ok_or(SkipReason::Truncated)?;
                    (usize::from(units) + 2) * 4
                }
                NO_NEXT_HEADER => return Err(SkipReason::NonUdp),
                protocol => {
                    return Ok(UpperLayer {
                        offset,
                        protocol,
                        routed,
                    })
                }
            };
            next = u8_at(self.buf, offset).ok_or(SkipReason::Truncated)?;
            offset += header_len;
            if offset > self.total_len() {
                return Err(SkipReason::BadHeader);
            }
        }
        Err(SkipReason::BadHeader)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(next_header: u8, extensions: &[u8]) -> Vec<u8> {
        let mut p = vec![0u8; 40];
        p[0] = 0x60;
        let payload_len = (extensions.len() + 8) as u16;
        p[4..6].copy_from_slice(&payload_len.to_be_bytes());
        p[6] = next_header;
        p[8] = 0x20; // 2000::
        p[24] = 0x20;
        p[39] = 2;
        p.extend_from_slice(extensions);
        p.extend_from_slice(&[0u8; 8]); // the upper-layer header
        p
    }

    #[test]
    fn plain_udp() {
        let p = packet(17, &[]);
        let ip = Ipv6Header::new_checked(&p).unwrap();
        assert_eq!(ip.total_len(), 48);
        assert_eq!(ip.destination().segments()[7], 2);
        assert_eq!(
            ip.upper_layer(),
            Ok(UpperLayer {
                offset: 40,
                protocol: 17,
                routed: false
            })
        );
    }

    #[test]
    fn extension_chain_is_walked() {
        // Hop-by-hop (8 bytes) -> destination options (16 bytes) -> atomic fragment -> UDP.
        let mut ext = vec![DESTINATION_OPTIONS, 0, 0, 0, 0, 0, 0, 0];
        ext.extend_from_slice(&[FRAGMENT, 1]);
        ext.extend_from_slice(&[0u8; 14]);
        ext.extend_from_slice(&[17, 0, 0, 0, 0, 0, 0, 1]);
        let p = packet(HOP_BY_HOP, &ext);
        let upper = Ipv6Header::new_checked(&p).unwrap().upper_layer().unwrap();
        assert_eq!(upper.offset, 40 + 8 + 16 + 8);
        assert_eq!(upper.protocol, 17);
    }

    #[test]
    fn routing_header_with_segments_left_is_flagged() {
        let ext = [17, 0, 0, 1, 0, 0, 0, 0];
        let p = packet(ROUTING, &ext);
        let upper = Ipv6Header::new_checked(&p).unwrap().upper_layer().unwrap();
        assert!(upper.routed);
    }

    #[test]
    fn fragments_esp_and_damage() {
        let p = packet(FRAGMENT, &[17, 0, 0x00, 0x01, 0, 0, 0, 9]);
        assert_eq!(
            Ipv6Header::new_checked(&p).unwrap().upper_layer(),
            Err(SkipReason::IpFragment)
        );
        let p = packet(FRAGMENT, &[17, 0, 0x01, 0x00, 0, 0, 0, 9]);
        assert_eq!(
            Ipv6Header::new_checked(&p).unwrap().upper_layer(),
            Err(SkipReason::IpFragment)
        );
        let p = packet(50, &[]);
        let upper = Ipv6Header::new_checked(&p).unwrap().upper_layer().unwrap();
        assert_eq!(upper.protocol, 50);
        let p = packet(NO_NEXT_HEADER, &[]);
        assert_eq!(
            Ipv6Header::new_checked(&p).unwrap().upper_layer(),
            Err(SkipReason::NonUdp)
        );
        // An extension header claiming to run past the packet.
        let p = packet(HOP_BY_HOP, &[17, 200, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            Ipv6Header::new_checked(&p).unwrap().upper_layer(),
            Err(SkipReason::BadHeader)
        );
        let mut p = packet(17, &[]);
        p[4] = 0;
        p[5] = 0;
        assert_eq!(
            Ipv6Header::new_checked(&p).err(),
            Some(SkipReason::BadHeader)
        );
        assert_eq!(
            Ipv6Header::new_checked(&p[..30]).err(),
            Some(SkipReason::Truncated)
        );
    }
}
