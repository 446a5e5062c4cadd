//! Replacing a datagram's UDP payload inside its frame, of the same or a different length:
//! everything before and after the payload is kept, and the IPv4 total length and header
//! checksum, IPv6 payload length, UDP length and UDP checksum are made to match.

use std::net::{IpAddr, Ipv6Addr};

use super::bytes::{array_at, be16_at, put_be16};
use super::checksum;
use super::datagram::{CapturedDatagram, IpVersion};
use super::error::CaptureError;
use super::{ipv4, ipv6, udp};

/// What to put in the UDP checksum field of a rewritten datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UdpChecksum {
    /// Compute a correct checksum (IPv4 and IPv6).
    #[default]
    Recompute,
    /// IPv4: write zero ("no checksum", RFC 768). IPv6 requires a checksum (RFC 8200
    /// section 8.1), so IPv6 datagrams still get a computed one.
    OmitOnIpv4,
}

/// Writes into `out` the frame of `datagram` with its UDP payload replaced by `payload`.
/// `out` is cleared first; reusing one buffer keeps rewriting allocation-free.
pub fn replace_udp_payload(
    datagram: &CapturedDatagram<'_>,
    payload: &[u8],
    mode: UdpChecksum,
    out: &mut Vec<u8>,
) -> Result<(), CaptureError> {
    let frame = datagram.frame.data;
    let layout = &datagram.layout;
    if layout.ipv6_routed {
        return Err(CaptureError::Rewrite(
            "an IPv6 routing header makes the checksum cover the final destination",
        ));
    }
    let (Some(before), Some(after)) = (
        frame.get(..layout.payload.start),
        frame.get(layout.payload.end..),
    ) else {
        return Err(CaptureError::Rewrite("payload range outside the frame"));
    };
    let udp_len = u16::try_from(udp::HEADER_LEN + payload.len())
        .map_err(|_| CaptureError::Rewrite("payload longer than a UDP datagram can carry"))?;
    let ip_length_offset = layout.ip_offset
        + match layout.ip_version {
            IpVersion::V4 => ipv4::TOTAL_LENGTH_OFFSET,
            IpVersion::V6 => ipv6::PAYLOAD_LENGTH_OFFSET,
        };
    let old_ip_len = be16_at(frame, ip_length_offset)
        .ok_or(CaptureError::Rewrite("IP header outside the frame"))?;
    let new_ip_len = (usize::from(old_ip_len) + payload.len())
        .checked_sub(layout.payload.len())
        .and_then(|len| u16::try_from(len).ok())
        .ok_or(CaptureError::Rewrite(
            "payload longer than an IP packet can carry",
        ))?;

    out.clear();
    out.extend_from_slice(before);
    out.extend_from_slice(payload);
    out.extend_from_slice(after);

    let udp_offset = layout.udp_offset;
    let fields_fit = put_be16(out, ip_length_offset, new_ip_len)
        && put_be16(out, udp_offset + udp::LENGTH_OFFSET, udp_len)
        && put_be16(out, udp_offset + udp::CHECKSUM_OFFSET, 0);
    if !fields_fit {
        return Err(CaptureError::Rewrite("headers outside the frame"));
    }
    let datagram_bytes = out
        .get(udp_offset..udp_offset + usize::from(udp_len))
        .ok_or(CaptureError::Rewrite("UDP datagram outside the frame"))?;
    let udp_checksum = match (layout.ip_version, mode) {
        (IpVersion::V4, UdpChecksum::OmitOnIpv4) => 0,
        (IpVersion::V4, UdpChecksum::Recompute) => {
            let (IpAddr::V4(src), IpAddr::V4(dst)) = (layout.source.ip(), layout.destination.ip())
            else {
                return Err(CaptureError::Rewrite("IPv4 layout with IPv6 addresses"));
            };
            checksum::udp_ipv4(src, dst, datagram_bytes)
        }
        (IpVersion::V6, _) => {
            let src = array_at::<16>(out, layout.ip_offset + ipv6::SOURCE_OFFSET);
            let dst = array_at::<16>(out, layout.ip_offset + ipv6::DESTINATION_OFFSET);
            let (Some(src), Some(dst)) = (src, dst) else {
                return Err(CaptureError::Rewrite("IPv6 header outside the frame"));
            };
            checksum::udp_ipv6(Ipv6Addr::from(src), Ipv6Addr::from(dst), datagram_bytes)
        }
    };
    put_be16(out, udp_offset + udp::CHECKSUM_OFFSET, udp_checksum);

    if layout.ip_version == IpVersion::V4 {
        let header_len = usize::from(out.get(layout.ip_offset).map_or(0, |b| b & 0x0F)) * 4;
        let checksum_offset = layout.ip_offset + ipv4::CHECKSUM_OFFSET;
        put_be16(out, checksum_offset, 0);
        let header = out
            .get(layout.ip_offset..layout.ip_offset + header_len)
            .ok_or(CaptureError::Rewrite("IPv4 header outside the frame"))?;
        let header_checksum = checksum::ipv4_header(header);
        put_be16(out, checksum_offset, header_checksum);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::test_frames;
    use crate::capture::{Frame, LinkType};
    use std::net::Ipv4Addr;

    fn ipv4_addresses(frame: &[u8], ip_offset: usize) -> (Ipv4Addr, Ipv4Addr) {
        let src = array_at::<4>(frame, ip_offset + ipv4::SOURCE_OFFSET).unwrap();
        let dst = array_at::<4>(frame, ip_offset + ipv4::DESTINATION_OFFSET).unwrap();
        (Ipv4Addr::from(src), Ipv4Addr::from(dst))
    }

    fn frame(data: &[u8], link_type: LinkType) -> Frame<'_> {
        Frame {
            index: 0,
            timestamp_ns: 0,
            link_type,
            data,
            original_len: data.len() as u32,
        }
    }

    /// The UDP checksum verifies: summing pseudo-header and datagram gives all ones.
    fn udp_checksum_verifies_v4(out: &[u8], ip_offset: usize, udp_offset: usize) {
        let (src, dst) = ipv4_addresses(out, ip_offset);
        let udp_len = usize::from(be16_at(out, udp_offset + 4).unwrap());
        let datagram = &out[udp_offset..udp_offset + udp_len];
        let mut zeroed = datagram.to_vec();
        zeroed[6] = 0;
        zeroed[7] = 0;
        assert_eq!(
            checksum::udp_ipv4(src, dst, &zeroed),
            be16_at(datagram, 6).unwrap()
        );
    }

    #[test]
    fn same_length_keeps_everything_else() {
        let data = test_frames::ethernet_ipv4_udp(b"hello world", true);
        let f = frame(&data, LinkType::Ethernet);
        let d = f.udp().unwrap();
        let mut out = Vec::new();
        replace_udp_payload(&d, b"HELLO WORLD", UdpChecksum::Recompute, &mut out).unwrap();
        assert_eq!(out.len(), data.len());
        assert_eq!(
            &out[..d.layout.payload.start - 2],
            &data[..d.layout.payload.start - 2]
        );
        assert_eq!(&out[d.layout.payload.clone()], b"HELLO WORLD");
        udp_checksum_verifies_v4(&out, 14, 34);
        // Replacing with the original payload reproduces the original frame exactly.
        replace_udp_payload(&d, b"hello world", UdpChecksum::Recompute, &mut out).unwrap();
        assert_eq!(out, data);
    }

    #[test]
    fn longer_and_shorter_fix_lengths_and_checksums() {
        let data = test_frames::ethernet_ipv4_udp(b"0123456789", true);
        let f = frame(&data, LinkType::Ethernet);
        let d = f.udp().unwrap();
        let mut out = Vec::new();
        for new_payload in [&b"0123456789abcdef"[..], &b"01"[..], &b""[..]] {
            replace_udp_payload(&d, new_payload, UdpChecksum::Recompute, &mut out).unwrap();
            let again = frame(&out, LinkType::Ethernet);
            let d2 = again.udp().unwrap();
            assert_eq!(d2.payload, new_payload);
            assert_eq!(d2.src, d.src);
            assert_eq!(d2.dst, d.dst);
            assert_eq!(
                usize::from(be16_at(&out, 16).unwrap()),
                20 + 8 + new_payload.len()
            );
            assert_eq!(checksum::finish(checksum::add_words(0, &out[14..34])), 0);
            udp_checksum_verifies_v4(&out, 14, 34);
        }
    }

    #[test]
    fn zero_checksum_on_request_for_ipv4() {
        let data = test_frames::ethernet_ipv4_udp(b"abc", true);
        let f = frame(&data, LinkType::Ethernet);
        let d = f.udp().unwrap();
        let mut out = Vec::new();
        replace_udp_payload(&d, b"abcd", UdpChecksum::OmitOnIpv4, &mut out).unwrap();
        assert_eq!(be16_at(&out, 34 + 6), Some(0));
    }

    #[test]
    fn ipv6_length_and_checksum() {
        let data = test_frames::raw_ipv6_udp(b"payload", &[]);
        let f = frame(&data, LinkType::RawIp);
        let d = f.udp().unwrap();
        let mut out = Vec::new();
        replace_udp_payload(&d, b"a longer payload", UdpChecksum::OmitOnIpv4, &mut out).unwrap();
        assert_eq!(be16_at(&out, 4), Some(8 + 16));
        let udp = &out[40..];
        assert_eq!(be16_at(udp, 4), Some(8 + 16));
        let mut zeroed = udp.to_vec();
        zeroed[6] = 0;
        zeroed[7] = 0;
        let src = Ipv6Addr::from(array_at::<16>(&out, 8).unwrap());
        let dst = Ipv6Addr::from(array_at::<16>(&out, 24).unwrap());
        assert_eq!(
            checksum::udp_ipv6(src, dst, &zeroed),
            be16_at(udp, 6).unwrap()
        );
        assert_ne!(be16_at(udp, 6), Some(0));
    }

    #[test]
    fn trailer_after_the_ip_packet_is_kept() {
        let mut data = test_frames::ethernet_ipv4_udp(b"x", true);
        data.extend_from_slice(&[0xEE; 6]); // Ethernet padding
        let f = frame(&data, LinkType::Ethernet);
        let d = f.udp().unwrap();
        let mut out = Vec::new();
        replace_udp_payload(&d, b"xyz", UdpChecksum::Recompute, &mut out).unwrap();
        assert_eq!(&out[out.len() - 6..], &[0xEE; 6]);
        assert_eq!(
            frame(&out, LinkType::Ethernet).udp().unwrap().payload,
            b"xyz"
        );
    }

    #[test]
    fn oversized_payload_is_refused() {
        let data = test_frames::ethernet_ipv4_udp(b"x", true);
        let f = frame(&data, LinkType::Ethernet);
        let d = f.udp().unwrap();
        let mut out = Vec::new();
        let big = vec![0u8; 70_000];
        assert!(matches!(
            replace_udp_payload(&d, &big, UdpChecksum::Recompute, &mut out),
            Err(CaptureError::Rewrite(_))
        ));
    }
}
