//! Transport-layer and payload-specific feedback (RFC 4585 sec. 6.1): NACK, PLI, FIR, REMB
//! and friends share one layout, a format number, two SSRCs and the feedback control
//! information (FCI) the format defines.

use super::{RtcpError, RtcpPacket, PT_PSFB, PT_RTPFB};
use crate::be::u32_at;

/// Which of the two feedback packet types a [`Feedback`] view holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeedbackKind {
    /// Transport-layer feedback (packet type 205), e.g. generic NACK (FMT 1).
    Transport,
    /// Payload-specific feedback (packet type 206), e.g. PLI (FMT 1), FIR (FMT 4).
    PayloadSpecific,
}

/// A checked view over an RTPFB or PSFB packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feedback<T: AsRef<[u8]>> {
    packet: RtcpPacket<T>,
}

impl<T: AsRef<[u8]>> Feedback<T> {
    /// Checks `buffer` as one feedback packet: common header, type 205 or 206, room for both
    /// SSRCs.
    pub fn new_checked(buffer: T) -> Result<Self, RtcpError> {
        Self::from_packet(RtcpPacket::new_checked(buffer)?)
    }

    /// Checks an already framed packet as feedback.
    pub fn from_packet(packet: RtcpPacket<T>) -> Result<Self, RtcpError> {
        if !matches!(packet.packet_type(), PT_RTPFB | PT_PSFB) {
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

    /// Transport-layer or payload-specific.
    pub fn kind(&self) -> FeedbackKind {
        if self.packet.packet_type() == PT_RTPFB {
            FeedbackKind::Transport
        } else {
            FeedbackKind::PayloadSpecific
        }
    }

    /// The 5-bit feedback message type (FMT).
    pub fn fmt(&self) -> u8 {
        self.packet.count()
    }

    /// SSRC of the packet's sender.
    pub fn sender_ssrc(&self) -> u32 {
        u32_at(self.packet.body(), 0)
    }

    /// SSRC of the media source the feedback is about.
    pub fn media_ssrc(&self) -> u32 {
        u32_at(self.packet.body(), 4)
    }

    /// The feedback control information.
    pub fn fci(&self) -> &[u8] {
        &self.packet.body()[8..]
    }
}
