//! Application-defined packets (RFC 3550 sec. 6.7): a subtype, a four-character name and
//! opaque data, for experiments between cooperating endpoints.

use super::{RtcpError, RtcpPacket, PT_APP};
use crate::be::u32_at;

/// A checked view over an APP packet (packet type 204).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct App<T: AsRef<[u8]>> {
    packet: RtcpPacket<T>,
}

impl<T: AsRef<[u8]>> App<T> {
    /// Checks `buffer` as one APP packet: common header, type 204, room for SSRC and name.
    pub fn new_checked(buffer: T) -> Result<Self, RtcpError> {
        Self::from_packet(RtcpPacket::new_checked(buffer)?)
    }

    /// Checks an already framed packet as APP.
    pub fn from_packet(packet: RtcpPacket<T>) -> Result<Self, RtcpError> {
        if packet.packet_type() != PT_APP {
            return Err(RtcpError::WrongPacketType(packet.packet_type()));
        }
        if packet.body().len() < 8 {
            return Err(RtcpError::TooShort);
        }
        Ok(Self { packet })
    }

    /// The framed packet underneath.
    pub fn packet(&self) -> &RtcpPacket<T> {
        &self.packet
    }

    /// The 5-bit subtype.
    pub fn subtype(&self) -> u8 {
        self.packet.count()
    }

    /// The sender's SSRC.
    pub fn ssrc(&self) -> u32 {
        u32_at(self.packet.body(), 0)
    }

    /// The four-character name.
    pub fn name(&self) -> [u8; 4] {
        let b = self.packet.body();
        [b[4], b[5], b[6], b[7]]
    }

    /// The application data.
    pub fn data(&self) -> &[u8] {
        &self.packet.body()[8..]
    }
}
