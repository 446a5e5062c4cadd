//! BSD loopback (`LINKTYPE_NULL`) and OpenBSD loopback (`LINKTYPE_LOOP`): a 4-byte address
//! family before the IP header. NULL writes it in the capturing host's byte order and LOOP
//! in network order, but files of both kinds exist in the "wrong" order, so both orders
//! are accepted: a value with a zero low half is a byte-swapped small number.

use super::bytes::array_at;
use super::link::{NetworkHint, NetworkStart};
use super::skip::SkipReason;

const LOOPBACK_HEADER_LEN: usize = 4;

/// AF_INET on every BSD and Linux.
const AF_INET: u32 = 2;
/// The AF_INET6 values of the systems that write these captures: Linux (10), NetBSD,
/// OpenBSD and BSD/OS (24), FreeBSD and DragonFly (28), Darwin (30).
const AF_INET6: [u32; 4] = [10, 24, 28, 30];

/// Finds the IP header behind a loopback address-family word.
pub(crate) fn network_start(frame: &[u8]) -> Result<NetworkStart, SkipReason> {
    let word = array_at::<4>(frame, 0).ok_or(SkipReason::Truncated)?;
    let family = address_family(word);
    let hint = if family == AF_INET {
        NetworkHint::Ipv4
    } else if AF_INET6.contains(&family) {
        NetworkHint::Ipv6
    } else {
        return Err(SkipReason::NonIp);
    };
    Ok(NetworkStart {
        offset: LOOPBACK_HEADER_LEN,
        hint,
    })
}

/// Reads the family in whichever byte order gives a small number.
fn address_family(word: [u8; 4]) -> u32 {
    let little = u32::from_le_bytes(word);
    if little & 0xFFFF_0000 == 0 {
        little
    } else {
        u32::from_be_bytes(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_byte_orders() {
        for word in [[2, 0, 0, 0], [0, 0, 0, 2]] {
            assert_eq!(network_start(&word).map(|s| s.hint), Ok(NetworkHint::Ipv4));
        }
        for word in [[28, 0, 0, 0], [0, 0, 0, 30], [24, 0, 0, 0], [0, 0, 0, 10]] {
            assert_eq!(network_start(&word).map(|s| s.hint), Ok(NetworkHint::Ipv6));
        }
    }

    #[test]
    fn other_families_and_short_frames() {
        assert_eq!(network_start(&[7, 0, 0, 0]), Err(SkipReason::NonIp));
        assert_eq!(network_start(&[2, 0, 0]), Err(SkipReason::Truncated));
    }
}
