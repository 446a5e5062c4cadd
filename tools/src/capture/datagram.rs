//! Frames as read from a capture, and the UDP datagrams found inside them: addresses,
//! payload, and the byte layout a rewriter needs to replace the payload in place.

use std::net::{IpAddr, SocketAddr};
use std::ops::Range;

use super::ipv4::Ipv4Header;
use super::ipv6::Ipv6Header;
use super::link::{self, LinkType, NetworkHint};
use super::skip::SkipReason;
use super::udp::{self, UdpHeader};

const PROTOCOL_UDP: u8 = 17;

/// One captured frame, borrowed from the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Position among the capture's packet records, from 0 (Wireshark's frame number is
    /// this plus one).
    pub index: u64,
    /// Capture time in nanoseconds since the Unix epoch.
    pub timestamp_ns: u64,
    /// The link-layer type of the interface that captured it.
    pub link_type: LinkType,
    /// The captured bytes, starting with the link-layer header.
    pub data: &'a [u8],
    /// The frame's length on the wire (at least `data.len()` unless the file lies).
    pub original_len: u32,
}

impl<'a> Frame<'a> {
    /// Decodes the frame down to UDP, or says why it holds no complete UDP datagram.
    pub fn udp(&self) -> Result<CapturedDatagram<'a>, SkipReason> {
        let layout = UdpLayout::decode(self.link_type, self.data)?;
        CapturedDatagram::assemble(*self, layout).ok_or(SkipReason::Truncated)
    }
}

/// A UDP datagram found in a captured frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedDatagram<'a> {
    /// The frame's position in the capture, from 0.
    pub frame_index: u64,
    /// Capture time in nanoseconds since the Unix epoch.
    pub timestamp_ns: u64,
    /// Source address and port.
    pub src: SocketAddr,
    /// Destination address and port.
    pub dst: SocketAddr,
    /// The UDP payload (as long as the UDP length field says).
    pub payload: &'a [u8],
    /// The whole frame, for writing it back out.
    pub frame: Frame<'a>,
    /// Where the headers and payload sit in the frame.
    pub layout: UdpLayout,
}

impl<'a> CapturedDatagram<'a> {
    /// Joins a frame with the layout decoded from it; `None` if the layout's payload range
    /// is not inside the frame (it always is for a layout decoded from the same bytes).
    pub(crate) fn assemble(frame: Frame<'a>, layout: UdpLayout) -> Option<Self> {
        let payload = frame.data.get(layout.payload.clone())?;
        Some(CapturedDatagram {
            frame_index: frame.index,
            timestamp_ns: frame.timestamp_ns,
            src: layout.source,
            dst: layout.destination,
            payload,
            frame,
            layout,
        })
    }
}

/// Which IP version carries a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpVersion {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

/// Byte positions of the IP header, UDP header and UDP payload inside a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpLayout {
    /// Where the IP header starts.
    pub ip_offset: usize,
    /// IPv4 or IPv6.
    pub ip_version: IpVersion,
    /// Where the UDP header starts.
    pub udp_offset: usize,
    /// The UDP payload's byte range in the frame.
    pub payload: Range<usize>,
    /// Source address and port.
    pub source: SocketAddr,
    /// Destination address and port (for IPv6, the one in the fixed header).
    pub destination: SocketAddr,
    /// IPv6 only: a routing header with segments left sits before UDP, so the checksum
    /// covers an address that is not in the fixed header.
    pub ipv6_routed: bool,
}

impl UdpLayout {
    /// Walks link, IP and UDP headers of `frame`.
    pub fn decode(link_type: LinkType, frame: &[u8]) -> Result<Self, SkipReason> {
        let start = link::network_start(link_type, frame)?;
        let ip_bytes = frame.get(start.offset..).ok_or(SkipReason::Truncated)?;
        let version = match start.hint {
            NetworkHint::Ipv4 => IpVersion::V4,
            NetworkHint::Ipv6 => IpVersion::V6,
            NetworkHint::FromVersionNibble => match ip_bytes.first().map(|b| b >> 4) {
                Some(4) => IpVersion::V4,
                Some(6) => IpVersion::V6,
                Some(_) => return Err(SkipReason::BadHeader),
                None => return Err(SkipReason::Truncated),
            },
        };
        match version {
            IpVersion::V4 => Self::decode_ipv4(frame, start.offset, ip_bytes),
            IpVersion::V6 => Self::decode_ipv6(frame, start.offset, ip_bytes),
        }
    }

    fn decode_ipv4(frame: &[u8], ip_offset: usize, ip_bytes: &[u8]) -> Result<Self, SkipReason> {
        let ip = Ipv4Header::new_checked(ip_bytes)?;
        if ip.is_fragment() {
            return Err(SkipReason::IpFragment);
        }
        if ip.protocol() != PROTOCOL_UDP {
            return Err(SkipReason::NonUdp);
        }
        let udp_offset = ip_offset + ip.header_len();
        let ip_end = ip_offset + ip.total_len();
        let udp = UdpHeader::new_checked(frame, udp_offset, ip_end)?;
        Ok(UdpLayout {
            ip_offset,
            ip_version: IpVersion::V4,
            udp_offset,
            payload: udp_offset + udp::HEADER_LEN..udp_offset + udp.length,
            source: SocketAddr::new(IpAddr::V4(ip.source()), udp.source_port),
            destination: SocketAddr::new(IpAddr::V4(ip.destination()), udp.destination_port),
            ipv6_routed: false,
        })
    }

    fn decode_ipv6(frame: &[u8], ip_offset: usize, ip_bytes: &[u8]) -> Result<Self, SkipReason> {
        let ip = Ipv6Header::new_checked(ip_bytes)?;
        let upper = ip.upper_layer()?;
        if upper.protocol != PROTOCOL_UDP {
            return Err(SkipReason::NonUdp);
        }
        let udp_offset = ip_offset + upper.offset;
        let ip_end = ip_offset + ip.total_len();
        let udp = UdpHeader::new_checked(frame, udp_offset, ip_end)?;
        Ok(UdpLayout {
            ip_offset,
            ip_version: IpVersion::V6,
            udp_offset,
            payload: udp_offset + udp::HEADER_LEN..udp_offset + udp.length,
            source: SocketAddr::new(IpAddr::V6(ip.source()), udp.source_port),
            destination: SocketAddr::new(IpAddr::V6(ip.destination()), udp.destination_port),
            ipv6_routed: upper.routed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::test_frames::{self, DST_PORT, DST_V4, SRC_PORT, SRC_V4};

    fn frame(data: &[u8], link_type: LinkType) -> Frame<'_> {
        Frame {
            index: 3,
            timestamp_ns: 42,
            link_type,
            data,
            original_len: data.len() as u32,
        }
    }

    #[test]
    fn ethernet_ipv4_udp() {
        let data = test_frames::ethernet_ipv4_udp(b"rtp!", true);
        let d = frame(&data, LinkType::Ethernet).udp().unwrap();
        assert_eq!(d.payload, b"rtp!");
        assert_eq!(d.src, SocketAddr::from((SRC_V4, SRC_PORT)));
        assert_eq!(d.dst, SocketAddr::from((DST_V4, DST_PORT)));
        assert_eq!((d.frame_index, d.timestamp_ns), (3, 42));
        assert_eq!(d.layout.udp_offset, 34);
    }

    #[test]
    fn every_link_type_reaches_the_same_datagram() {
        let ip = test_frames::ipv4_udp(b"same", false);
        let with_prefix = |prefix: &[u8]| [prefix, &ip[..]].concat();
        let mut sll = vec![0u8; 16];
        sll[14..16].copy_from_slice(&[0x08, 0x00]);
        let mut sll2 = vec![0u8; 20];
        sll2[0..2].copy_from_slice(&[0x08, 0x00]);
        let cases = [
            (LinkType::RawIp, with_prefix(&[])),
            (LinkType::Ipv4, with_prefix(&[])),
            (LinkType::Null, with_prefix(&[2, 0, 0, 0])),
            (LinkType::Null, with_prefix(&[0, 0, 0, 2])),
            (LinkType::Loop, with_prefix(&[0, 0, 0, 2])),
            (LinkType::LinuxSll, with_prefix(&sll)),
            (LinkType::LinuxSll2, with_prefix(&sll2)),
            (
                LinkType::Ethernet,
                with_prefix(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x81, 0, 0, 7, 0x08, 0]),
            ),
        ];
        for (link, data) in cases {
            let d = frame(&data, link)
                .udp()
                .unwrap_or_else(|e| panic!("{link}: {e}"));
            assert_eq!(d.payload, b"same", "{link}");
            assert_eq!(d.dst.port(), DST_PORT, "{link}");
        }
    }

    #[test]
    fn ipv6_behind_extension_headers() {
        let data = test_frames::raw_ipv6_udp(
            b"six",
            &[
                (0, vec![0, 0, 1, 4, 0, 0, 0, 0]),
                (60, [vec![0, 1], vec![0; 14]].concat()),
            ],
        );
        let d = frame(&data, LinkType::RawIp).udp().unwrap();
        assert_eq!(d.payload, b"six");
        assert_eq!(d.layout.udp_offset, 40 + 8 + 16);
        assert_eq!(d.layout.ip_version, IpVersion::V6);
        assert!(d.src.is_ipv6());
    }

    #[test]
    fn skip_reasons() {
        let mut data = test_frames::ethernet_ipv4_udp(b"abcdef", true);
        // Truncated by the snap length.
        let short = &data[..data.len() - 2];
        assert_eq!(
            frame(short, LinkType::Ethernet).udp(),
            Err(SkipReason::Truncated)
        );
        // TCP.
        data[14 + 9] = 6;
        assert_eq!(
            frame(&data, LinkType::Ethernet).udp(),
            Err(SkipReason::NonUdp)
        );
        data[14 + 9] = 17;
        // A later fragment.
        data[14 + 7] = 0x20;
        assert_eq!(
            frame(&data, LinkType::Ethernet).udp(),
            Err(SkipReason::IpFragment)
        );
        data[14 + 7] = 0;
        // ARP.
        data[12] = 0x08;
        data[13] = 0x06;
        assert_eq!(
            frame(&data, LinkType::Ethernet).udp(),
            Err(SkipReason::NonIp)
        );
        assert_eq!(
            frame(&data, LinkType::Other(147)).udp(),
            Err(SkipReason::UnsupportedLinkType)
        );
        // Raw link with a version nibble that is neither 4 nor 6.
        assert_eq!(
            frame(&[0x50; 40], LinkType::RawIp).udp(),
            Err(SkipReason::BadHeader)
        );
        assert_eq!(
            frame(&[], LinkType::RawIp).udp(),
            Err(SkipReason::Truncated)
        );
    }
}
