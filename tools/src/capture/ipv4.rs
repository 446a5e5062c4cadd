//! A checked view of an IPv4 header, as far as finding a UDP datagram and rewriting its
//! length needs.

use std::net::Ipv4Addr;

use super::bytes::{array_at, be16_at, u8_at};
use super::skip::SkipReason;

const MIN_HEADER_LEN: usize = 20;
const FLAG_MORE_FRAGMENTS: u16 = 0x2000;
const FRAGMENT_OFFSET_MASK: u16 = 0x1FFF;

/// Offsets of the IPv4 header fields this crate reads or rewrites.
pub(crate) const TOTAL_LENGTH_OFFSET: usize = 2;
pub(crate) const CHECKSUM_OFFSET: usize = 10;
pub(crate) const SOURCE_OFFSET: usize = 12;
pub(crate) const DESTINATION_OFFSET: usize = 16;

/// An IPv4 header whose version, header length and total length have been checked
/// against each other and against the buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ipv4Header<'a> {
    buf: &'a [u8],
    header_len: usize,
    total_len: usize,
}

impl<'a> Ipv4Header<'a> {
    /// Checks the header at the start of `buf` (which runs to the end of the frame).
    pub(crate) fn new_checked(buf: &'a [u8]) -> Result<Self, SkipReason> {
        let first = u8_at(buf, 0).ok_or(SkipReason::Truncated)?;
        if first >> 4 != 4 {
            return Err(SkipReason::BadHeader);
        }
        let header_len = usize::from(first & 0x0F) * 4;
        if header_len < MIN_HEADER_LEN {
            return Err(SkipReason::BadHeader);
        }
        if buf.len() < header_len {
            return Err(SkipReason::Truncated);
        }
        let total_len =
            usize::from(be16_at(buf, TOTAL_LENGTH_OFFSET).ok_or(SkipReason::Truncated)?);
        if total_len < header_len {
            return Err(SkipReason::BadHeader);
        }
        Ok(Ipv4Header {
            buf,
            header_len,
            total_len,
        })
    }

    pub(crate) fn header_len(&self) -> usize {
        self.header_len
    }

    /// The total length field: header plus payload, possibly beyond the captured bytes.
    pub(crate) fn total_len(&self) -> usize {
        self.total_len
    }

    /// True for any fragment: the first (more-fragments set) or a later one (offset set).
    pub(crate) fn is_fragment(&self) -> bool {
        let flags_and_offset = be16_at(self.buf, 6).unwrap_or(0);
        flags_and_offset & FLAG_MORE_FRAGMENTS != 0 || flags_and_offset & FRAGMENT_OFFSET_MASK != 0
    }

    pub(crate) fn protocol(&self) -> u8 {
        u8_at(self.buf, 9).unwrap_or(0)
    }

    pub(crate) fn source(&self) -> Ipv4Addr {
        Ipv4Addr::from(array_at::<4>(self.buf, SOURCE_OFFSET).unwrap_or_default())
    }

    pub(crate) fn destination(&self) -> Ipv4Addr {
        Ipv4Addr::from(array_at::<4>(self.buf, DESTINATION_OFFSET).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Vec<u8> {
        let mut h = vec![0u8; 28];
        h[0] = 0x45;
        h[2..4].copy_from_slice(&28u16.to_be_bytes());
        h[9] = 17;
        h[12..16].copy_from_slice(&[10, 0, 0, 1]);
        h[16..20].copy_from_slice(&[10, 0, 0, 2]);
        h
    }

    #[test]
    fn reads_fields() {
        let h = header();
        let ip = Ipv4Header::new_checked(&h).unwrap();
        assert_eq!(ip.header_len(), 20);
        assert_eq!(ip.total_len(), 28);
        assert_eq!(ip.protocol(), 17);
        assert_eq!(ip.source(), Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(ip.destination(), Ipv4Addr::new(10, 0, 0, 2));
        assert!(!ip.is_fragment());
    }

    #[test]
    fn fragments_are_recognised() {
        let mut h = header();
        h[6] = 0x20; // more fragments
        assert!(Ipv4Header::new_checked(&h).unwrap().is_fragment());
        h[6] = 0x00;
        h[7] = 0x10; // offset 16 * 8
        assert!(Ipv4Header::new_checked(&h).unwrap().is_fragment());
        h[6] = 0x40; // don't fragment only
        h[7] = 0;
        assert!(!Ipv4Header::new_checked(&h).unwrap().is_fragment());
    }

    #[test]
    fn rejects_inconsistent_headers() {
        let mut h = header();
        h[0] = 0x65;
        assert_eq!(
            Ipv4Header::new_checked(&h).err(),
            Some(SkipReason::BadHeader)
        );
        h[0] = 0x44;
        assert_eq!(
            Ipv4Header::new_checked(&h).err(),
            Some(SkipReason::BadHeader)
        );
        h[0] = 0x4F; // 60-byte header in a 28-byte buffer
        assert_eq!(
            Ipv4Header::new_checked(&h).err(),
            Some(SkipReason::Truncated)
        );
        let mut h = header();
        h[2..4].copy_from_slice(&10u16.to_be_bytes());
        assert_eq!(
            Ipv4Header::new_checked(&h).err(),
            Some(SkipReason::BadHeader)
        );
        assert_eq!(
            Ipv4Header::new_checked(&[]).err(),
            Some(SkipReason::Truncated)
        );
    }
}
