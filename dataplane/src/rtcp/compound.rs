//! Walking a compound RTCP datagram (RFC 3550 sec. 6.1): packets are stacked back to back,
//! each framed by its own length field, and only the last may carry padding.

use super::{
    App, Bye, Feedback, ReceiverReport, RtcpError, RtcpPacket, Sdes, SenderReport, PT_APP, PT_BYE,
    PT_PSFB, PT_RR, PT_RTPFB, PT_SDES, PT_SR,
};

/// One packet of a compound datagram, viewed by its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TypedPacket<'a> {
    /// Sender report (200).
    SenderReport(SenderReport<&'a [u8]>),
    /// Receiver report (201).
    ReceiverReport(ReceiverReport<&'a [u8]>),
    /// Source description (202).
    Sdes(Sdes<&'a [u8]>),
    /// Goodbye (203).
    Bye(Bye<&'a [u8]>),
    /// Application-defined (204).
    App(App<&'a [u8]>),
    /// Transport-layer feedback (205).
    Rtpfb(Feedback<&'a [u8]>),
    /// Payload-specific feedback (206).
    Psfb(Feedback<&'a [u8]>),
    /// Any other packet type (XR, or one not yet defined), framed but not interpreted.
    Unknown {
        /// The packet type.
        packet_type: u8,
        /// The framed packet.
        packet: RtcpPacket<&'a [u8]>,
    },
}

impl<'a> TypedPacket<'a> {
    /// Interprets a framed packet by its type.
    pub fn from_packet(packet: RtcpPacket<&'a [u8]>) -> Result<Self, RtcpError> {
        Ok(match packet.packet_type() {
            PT_SR => Self::SenderReport(SenderReport::from_packet(packet)?),
            PT_RR => Self::ReceiverReport(ReceiverReport::from_packet(packet)?),
            PT_SDES => Self::Sdes(Sdes::from_packet(packet)?),
            PT_BYE => Self::Bye(Bye::from_packet(packet)?),
            PT_APP => Self::App(App::from_packet(packet)?),
            PT_RTPFB => Self::Rtpfb(Feedback::from_packet(packet)?),
            PT_PSFB => Self::Psfb(Feedback::from_packet(packet)?),
            packet_type => Self::Unknown {
                packet_type,
                packet,
            },
        })
    }
}

/// Iterator over the packets of a compound RTCP datagram.
///
/// A framing error (bad version, a length past the datagram, padding before the last
/// packet, trailing bytes too short for a header) is yielded once and ends the walk, since
/// nothing after it can be located. A packet whose body does not match its type (say an SR
/// announcing more report blocks than it holds) yields its error and the walk goes on to the
/// next packet, which its length field still locates.
#[derive(Debug, Clone)]
pub struct CompoundPackets<'a> {
    rest: &'a [u8],
}

impl<'a> CompoundPackets<'a> {
    /// Walks `datagram`.
    pub fn new(datagram: &'a [u8]) -> Self {
        Self { rest: datagram }
    }

    fn next_framed(&mut self) -> Option<Result<RtcpPacket<&'a [u8]>, RtcpError>> {
        if self.rest.is_empty() {
            return None;
        }
        let framed = RtcpPacket::new_checked(self.rest).and_then(|packet| {
            let (this, rest) = self.rest.split_at(packet.packet_len());
            if packet.padding() && !rest.is_empty() {
                return Err(RtcpError::PaddingNotLast);
            }
            self.rest = rest;
            RtcpPacket::new_checked(this)
        });
        if framed.is_err() {
            self.rest = &[];
        }
        Some(framed)
    }
}

impl<'a> Iterator for CompoundPackets<'a> {
    type Item = Result<TypedPacket<'a>, RtcpError>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.next_framed()?.and_then(TypedPacket::from_packet))
    }
}

/// The RFC 3550 A.2 validity check for a received compound datagram: every packet version 2
/// and well formed for its type, the first an SR or RR without padding, padding only on the
/// last, and the packet lengths adding up to the datagram's length.
///
/// Reduced-size RTCP (RFC 5506) fails this check by design; use [`CompoundPackets`] alone
/// where it is negotiated.
pub fn validate_compound(datagram: &[u8]) -> Result<(), RtcpError> {
    let first = RtcpPacket::new_checked(datagram)?;
    if !matches!(first.packet_type(), PT_SR | PT_RR) {
        return Err(RtcpError::FirstNotReport(first.packet_type()));
    }
    if first.padding() {
        return Err(RtcpError::FirstPadded);
    }
    CompoundPackets::new(datagram).try_for_each(|packet| packet.map(|_| ()))
}
