//! Linux "cooked" captures (`tcpdump -i any`): SLL v1 and v2 replace the link header with a
//! fixed pseudo-header that carries the EtherType.

use super::bytes::be16_at;
use super::ethernet;
use super::link::NetworkStart;
use super::skip::SkipReason;

/// SLL v1: packet type, ARPHRD type, address length, 8 address bytes, protocol.
const SLL_HEADER_LEN: usize = 16;
const SLL_PROTOCOL_OFFSET: usize = 14;
/// SLL v2: protocol, reserved, interface index, ARPHRD type, packet type, address length,
/// 8 address bytes.
const SLL2_HEADER_LEN: usize = 20;
const SLL2_PROTOCOL_OFFSET: usize = 0;

/// Finds the IP header behind an SLL v1 pseudo-header.
pub(crate) fn sll_network_start(frame: &[u8]) -> Result<NetworkStart, SkipReason> {
    from_protocol_field(frame, SLL_PROTOCOL_OFFSET, SLL_HEADER_LEN)
}

/// Finds the IP header behind an SLL v2 pseudo-header.
pub(crate) fn sll2_network_start(frame: &[u8]) -> Result<NetworkStart, SkipReason> {
    from_protocol_field(frame, SLL2_PROTOCOL_OFFSET, SLL2_HEADER_LEN)
}

fn from_protocol_field(
    frame: &[u8],
    protocol_offset: usize,
    header_len: usize,
) -> Result<NetworkStart, SkipReason> {
    if frame.len() < header_len {
        return Err(SkipReason::Truncated);
    }
    let protocol = be16_at(frame, protocol_offset).ok_or(SkipReason::Truncated)?;
    // For non-Ethernet ARPHRD types the field holds small Linux protocol numbers (e.g.
    // 0x0004 for 802.2 LLC); none of them is IP, so the EtherType walk rejects them.
    ethernet::after_ethertype(frame, header_len, protocol)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::link::NetworkHint;

    #[test]
    fn sll_v1_ipv4() {
        let mut f = vec![0u8; 16];
        f[14..16].copy_from_slice(&0x0800u16.to_be_bytes());
        assert_eq!(
            sll_network_start(&f),
            Ok(NetworkStart {
                offset: 16,
                hint: NetworkHint::Ipv4
            })
        );
    }

    #[test]
    fn sll_v2_ipv6_and_vlan() {
        let mut f = vec![0u8; 20];
        f[0..2].copy_from_slice(&0x86DDu16.to_be_bytes());
        assert_eq!(
            sll2_network_start(&f),
            Ok(NetworkStart {
                offset: 20,
                hint: NetworkHint::Ipv6
            })
        );
        f[0..2].copy_from_slice(&0x8100u16.to_be_bytes());
        f.extend_from_slice(&[0, 5, 0x08, 0x00]);
        assert_eq!(sll2_network_start(&f).map(|s| s.offset), Ok(24));
    }

    #[test]
    fn short_or_non_ip() {
        assert_eq!(sll_network_start(&[0u8; 15]), Err(SkipReason::Truncated));
        assert_eq!(sll2_network_start(&[0u8; 19]), Err(SkipReason::Truncated));
        let mut f = vec![0u8; 16];
        f[14..16].copy_from_slice(&0x0004u16.to_be_bytes());
        assert_eq!(sll_network_start(&f), Err(SkipReason::NonIp));
    }
}
