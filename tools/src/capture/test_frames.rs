//! Hand-built frames for the capture tests: valid headers and checksums unless a test
//! breaks them on purpose.

use super::checksum;

pub(crate) const SRC_V4: [u8; 4] = [192, 0, 2, 1];
pub(crate) const DST_V4: [u8; 4] = [198, 51, 100, 7];
pub(crate) const SRC_PORT: u16 = 40_000;
pub(crate) const DST_PORT: u16 = 5_004;

/// An IPv4 packet carrying a UDP datagram, with correct header and UDP checksums (or a
/// zero UDP checksum).
pub(crate) fn ipv4_udp(payload: &[u8], udp_checksum: bool) -> Vec<u8> {
    let udp_len = 8 + payload.len();
    let total = 20 + udp_len;
    let mut p = vec![0x45, 0x00];
    p.extend_from_slice(&(total as u16).to_be_bytes());
    p.extend_from_slice(&[0x12, 0x34, 0x40, 0x00, 64, 17, 0, 0]);
    p.extend_from_slice(&SRC_V4);
    p.extend_from_slice(&DST_V4);
    let sum = checksum::ipv4_header(&p);
    p[10..12].copy_from_slice(&sum.to_be_bytes());
    let mut udp = Vec::new();
    udp.extend_from_slice(&SRC_PORT.to_be_bytes());
    udp.extend_from_slice(&DST_PORT.to_be_bytes());
    udp.extend_from_slice(&(udp_len as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(payload);
    if udp_checksum {
        let sum = checksum::udp_ipv4(SRC_V4.into(), DST_V4.into(), &udp);
        udp[6..8].copy_from_slice(&sum.to_be_bytes());
    }
    p.extend_from_slice(&udp);
    p
}

/// An Ethernet II frame around [`ipv4_udp`].
pub(crate) fn ethernet_ipv4_udp(payload: &[u8], udp_checksum: bool) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
    f.extend_from_slice(&ipv4_udp(payload, udp_checksum));
    f
}

/// A raw IPv6 packet carrying UDP behind the given extension headers (`extensions` is a
/// list of (header type, header bytes) whose first byte is overwritten with the next
/// header value).
pub(crate) fn raw_ipv6_udp(payload: &[u8], extensions: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let src: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let dst: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
    let mut ext_bytes = Vec::new();
    for (i, (_, bytes)) in extensions.iter().enumerate() {
        let mut bytes = bytes.clone();
        bytes[0] = extensions.get(i + 1).map_or(17, |(t, _)| *t);
        ext_bytes.extend_from_slice(&bytes);
    }
    let udp_len = 8 + payload.len();
    let mut p = vec![0x60, 0, 0, 0];
    p.extend_from_slice(&((ext_bytes.len() + udp_len) as u16).to_be_bytes());
    p.push(extensions.first().map_or(17, |(t, _)| *t));
    p.push(64);
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(&ext_bytes);
    let mut udp = Vec::new();
    udp.extend_from_slice(&SRC_PORT.to_be_bytes());
    udp.extend_from_slice(&DST_PORT.to_be_bytes());
    udp.extend_from_slice(&(udp_len as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(payload);
    let sum = checksum::udp_ipv6(src.into(), dst.into(), &udp);
    udp[6..8].copy_from_slice(&sum.to_be_bytes());
    p.extend_from_slice(&udp);
    p
}
