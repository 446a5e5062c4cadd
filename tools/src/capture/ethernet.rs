//! Ethernet II framing with any number of stacked 802.1Q / 802.1ad VLAN tags, and the
//! EtherType dispatch that the Linux cooked headers reuse.

use super::bytes::be16_at;
use super::link::{NetworkHint, NetworkStart};
use super::skip::SkipReason;

const ETHERNET_HEADER_LEN: usize = 14;
const VLAN_TAG_LEN: usize = 4;
/// Tags deeper than this are treated as a damaged frame rather than walked forever.
const MAX_VLAN_TAGS: usize = 8;

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86DD;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88A8;
/// Pre-standard QinQ outer tag, still seen on some switches.
const ETHERTYPE_QINQ_LEGACY: u16 = 0x9100;

/// Finds the IP header in an Ethernet frame.
pub(crate) fn network_start(frame: &[u8]) -> Result<NetworkStart, SkipReason> {
    let ethertype = be16_at(frame, 12).ok_or(SkipReason::Truncated)?;
    after_ethertype(frame, ETHERNET_HEADER_LEN, ethertype)
}

/// Continues from an EtherType found at `offset - 2`: skips VLAN tags, then maps the inner
/// type to IPv4/IPv6.
pub(crate) fn after_ethertype(
    frame: &[u8],
    mut offset: usize,
    mut ethertype: u16,
) -> Result<NetworkStart, SkipReason> {
    let mut tags = 0;
    while matches!(
        ethertype,
        ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_LEGACY
    ) {
        tags += 1;
        if tags > MAX_VLAN_TAGS {
            return Err(SkipReason::BadHeader);
        }
        // Tag control information (2 bytes), then the next EtherType.
        ethertype = be16_at(frame, offset + 2).ok_or(SkipReason::Truncated)?;
        offset += VLAN_TAG_LEN;
    }
    let hint = match ethertype {
        ETHERTYPE_IPV4 => NetworkHint::Ipv4,
        ETHERTYPE_IPV6 => NetworkHint::Ipv6,
        // ARP, LLDP, ... and 802.3 length fields (LLC follows) alike.
        _ => return Err(SkipReason::NonIp),
    };
    Ok(NetworkStart { offset, hint })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(types_after_macs: &[u16]) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        for (i, t) in types_after_macs.iter().enumerate() {
            f.extend_from_slice(&t.to_be_bytes());
            if i + 1 < types_after_macs.len() {
                f.extend_from_slice(&[0x00, 0x64]); // VLAN TCI
            }
        }
        f
    }

    #[test]
    fn plain_ipv4_and_ipv6() {
        let f = frame(&[0x0800]);
        assert_eq!(
            network_start(&f),
            Ok(NetworkStart {
                offset: 14,
                hint: NetworkHint::Ipv4
            })
        );
        let f = frame(&[0x86DD]);
        assert_eq!(network_start(&f).map(|s| s.hint), Ok(NetworkHint::Ipv6));
    }

    #[test]
    fn stacked_vlan_tags_are_skipped() {
        // 802.1ad outer, 802.1Q inner, then IPv4: 14 + 4 + 4.
        let mut f = frame(&[0x88A8, 0x8100]);
        f.extend_from_slice(&[0x00, 0x0A, 0x08, 0x00]);
        assert_eq!(network_start(&f).map(|s| s.offset), Ok(22));
    }

    #[test]
    fn non_ip_and_short_frames_are_skipped() {
        assert_eq!(network_start(&frame(&[0x0806])), Err(SkipReason::NonIp));
        assert_eq!(network_start(&frame(&[0x0040])), Err(SkipReason::NonIp));
        assert_eq!(network_start(&[0u8; 13]), Err(SkipReason::Truncated));
        // A VLAN tag with nothing after it.
        assert_eq!(network_start(&frame(&[0x8100])), Err(SkipReason::Truncated));
    }

    #[test]
    fn endless_tags_are_a_bad_header() {
        let mut f = vec![0u8; 12];
        for _ in 0..20 {
            f.extend_from_slice(&[0x81, 0x00, 0x00, 0x01]);
        }
        assert_eq!(network_start(&f), Err(SkipReason::BadHeader));
    }
}
