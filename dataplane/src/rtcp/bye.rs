//! Goodbye (RFC 3550 sec. 6.6): sources leaving the session, with an optional reason.

use super::{RtcpError, RtcpPacket, PT_BYE};
use crate::rtp::Ssrcs;

/// A checked view over a BYE packet (packet type 203).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bye<T: AsRef<[u8]>> {
    packet: RtcpPacket<T>,
}

impl<T: AsRef<[u8]>> Bye<T> {
    /// Checks `buffer` as one BYE: common header, type 203, every announced SSRC inside the
    /// body, and a reason (if present) whose length fits.
    pub fn new_checked(buffer: T) -> Result<Self, RtcpError> {
        Self::from_packet(RtcpPacket::new_checked(buffer)?)
    }

    /// Checks an already framed packet as BYE.
    pub fn from_packet(packet: RtcpPacket<T>) -> Result<Self, RtcpError> {
        if packet.packet_type() != PT_BYE {
            return Err(RtcpError::WrongPacketType(packet.packet_type()));
        }
        let ssrcs_len = 4 * usize::from(packet.count());
        let after = packet.body().get(ssrcs_len..).ok_or(RtcpError::BadCount)?;
        if let Some((&len, text)) = after.split_first() {
            if usize::from(len) > text.len() {
                return Err(RtcpError::BadByeReason);
            }
        }
        Ok(Self { packet })
    }

    /// The framed packet underneath.
    pub fn packet(&self) -> &RtcpPacket<T> {
        &self.packet
    }

    /// The sources leaving.
    pub fn ssrcs(&self) -> Ssrcs<'_> {
        let (ssrcs, _) = self.split();
        Ssrcs::from_bytes(ssrcs)
    }

    /// The reason for leaving, if the packet carries one (possibly empty).
    pub fn reason(&self) -> Option<&[u8]> {
        let (_, after) = self.split();
        let (&len, text) = after.split_first()?;
        text.get(..usize::from(len))
    }

    fn split(&self) -> (&[u8], &[u8]) {
        let body = self.packet.body();
        body.split_at_checked(4 * usize::from(self.packet.count()))
            .unwrap_or((&[], &[]))
    }
}
