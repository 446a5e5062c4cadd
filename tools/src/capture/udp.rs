//! A checked view of a UDP header, bounded by the IP packet that carries it.

use super::bytes::be16_at;
use super::skip::SkipReason;

pub(crate) const HEADER_LEN: usize = 8;
pub(crate) const LENGTH_OFFSET: usize = 4;
pub(crate) const CHECKSUM_OFFSET: usize = 6;

/// A UDP header whose length field fits inside its IP packet and whose datagram was
/// captured in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UdpHeader {
    pub(crate) source_port: u16,
    pub(crate) destination_port: u16,
    /// Header plus payload, from the length field.
    pub(crate) length: usize,
}

impl UdpHeader {
    /// Checks the UDP header at `offset` in `frame`. `ip_end` is where the IP packet ends
    /// according to its own length field (possibly beyond the captured bytes).
    pub(crate) fn new_checked(
        frame: &[u8],
        offset: usize,
        ip_end: usize,
    ) -> Result<Self, SkipReason> {
        let source_port = be16_at(frame, offset).ok_or(SkipReason::Truncated)?;
        let destination_port = be16_at(frame, offset + 2).ok_or(SkipReason::Truncated)?;
        let length =
            usize::from(be16_at(frame, offset + LENGTH_OFFSET).ok_or(SkipReason::Truncated)?);
        if length < HEADER_LEN || offset + length > ip_end {
            return Err(SkipReason::BadHeader);
        }
        if offset + length > frame.len() {
            return Err(SkipReason::Truncated);
        }
        Ok(UdpHeader {
            source_port,
            destination_port,
            length,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_by_ip_and_capture() {
        let mut f = vec![0u8; 20];
        f[0..2].copy_from_slice(&5004u16.to_be_bytes());
        f[2..4].copy_from_slice(&6000u16.to_be_bytes());
        f[4..6].copy_from_slice(&12u16.to_be_bytes());
        let udp = UdpHeader::new_checked(&f, 0, 20).unwrap();
        assert_eq!(
            (udp.source_port, udp.destination_port, udp.length),
            (5004, 6000, 12)
        );
        // Longer than the IP packet says.
        assert_eq!(
            UdpHeader::new_checked(&f, 0, 10),
            Err(SkipReason::BadHeader)
        );
        // Shorter than its own header.
        f[4..6].copy_from_slice(&7u16.to_be_bytes());
        assert_eq!(
            UdpHeader::new_checked(&f, 0, 20),
            Err(SkipReason::BadHeader)
        );
        // IP says 40 bytes but only 20 were captured.
        f[4..6].copy_from_slice(&30u16.to_be_bytes());
        assert_eq!(
            UdpHeader::new_checked(&f, 0, 40),
            Err(SkipReason::Truncated)
        );
        assert_eq!(
            UdpHeader::new_checked(&f[..5], 0, 40),
            Err(SkipReason::Truncated)
        );
    }
}
