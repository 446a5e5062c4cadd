//! The Internet checksum (RFC 1071) for the IPv4 header and the UDP pseudo-header sums
//! (RFC 768 for IPv4, RFC 8200 section 8.1 for IPv6) used when a payload is replaced.

use std::net::{Ipv4Addr, Ipv6Addr};

const PROTOCOL_UDP: u32 = 17;

/// Adds `data` as big-endian 16-bit words (an odd last byte padded with zero) to `sum`.
pub(crate) fn add_words(mut sum: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for pair in &mut chunks {
        sum = sum.wrapping_add(u32::from(u16::from_be_bytes([pair[0], pair[1]])));
        sum = fold_once(sum);
    }
    if let [last] = chunks.remainder() {
        sum = sum.wrapping_add(u32::from(*last) << 8);
    }
    sum
}

fn fold_once(sum: u32) -> u32 {
    (sum & 0xFFFF) + (sum >> 16)
}

/// Folds a running sum to 16 bits and complements it.
pub(crate) fn finish(mut sum: u32) -> u16 {
    while sum > 0xFFFF {
        sum = fold_once(sum);
    }
    !(sum as u16)
}

/// The IPv4 header checksum of `header` (whose checksum field must read zero).
pub(crate) fn ipv4_header(header: &[u8]) -> u16 {
    finish(add_words(0, header))
}

/// The UDP checksum over an IPv4 pseudo-header and `datagram` (header with a zero checksum
/// field, then payload). A computed zero is sent as 0xFFFF, since zero means "none".
pub(crate) fn udp_ipv4(source: Ipv4Addr, destination: Ipv4Addr, datagram: &[u8]) -> u16 {
    let mut sum = add_words(0, &source.octets());
    sum = add_words(sum, &destination.octets());
    sum = sum.wrapping_add(PROTOCOL_UDP);
    sum = sum.wrapping_add(datagram.len() as u32);
    non_zero(finish(add_words(sum, datagram)))
}

/// The UDP checksum over an IPv6 pseudo-header and `datagram`.
pub(crate) fn udp_ipv6(source: Ipv6Addr, destination: Ipv6Addr, datagram: &[u8]) -> u16 {
    let mut sum = add_words(0, &source.octets());
    sum = add_words(sum, &destination.octets());
    sum = sum.wrapping_add(PROTOCOL_UDP);
    sum = add_words(sum, &(datagram.len() as u32).to_be_bytes());
    non_zero(finish(add_words(sum, datagram)))
}

fn non_zero(checksum: u16) -> u16 {
    if checksum == 0 {
        0xFFFF
    } else {
        checksum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (checksum 220d).
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(finish(add_words(0, &data)), !0xddf2);
    }

    #[test]
    fn a_header_with_its_checksum_sums_to_zero() {
        // A real IPv4 header (from Wikipedia's worked example), checksum b861.
        let mut header = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert_eq!(ipv4_header(&header), 0xb861);
        header[10..12].copy_from_slice(&0xb861u16.to_be_bytes());
        assert_eq!(finish(add_words(0, &header)), 0);
    }

    #[test]
    fn odd_length_is_zero_padded() {
        assert_eq!(add_words(0, &[0x12]), 0x1200);
        assert_eq!(add_words(0, &[0x12, 0x34, 0x56]), 0x1234 + 0x5600);
    }
}
