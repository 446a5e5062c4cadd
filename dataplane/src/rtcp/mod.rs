//! RTCP (RFC 3550 sec. 6, RFC 4585 feedback): checked views over every packet type a media
//! server meets, a walker over compound datagrams, the RFC 3550 A.2 validity check, and a
//! builder for the reports, CNAMEs and goodbyes the node sends itself.

mod app;
mod builder;
mod bye;
mod compound;
mod error;
mod feedback;
mod packet;
mod report;
mod sdes;

pub use app::App;
pub use builder::CompoundBuilder;
pub use bye::Bye;
pub use compound::{validate_compound, CompoundPackets, TypedPacket};
pub use error::RtcpError;
pub use feedback::{Feedback, FeedbackKind};
pub use packet::{RtcpPacket, COMMON_HEADER_LEN, RTCP_VERSION};
pub use report::{
    ReceiverReport, ReportBlock, ReportBlocks, SenderInfo, SenderReport, REPORT_BLOCK_LEN,
    SENDER_INFO_LEN,
};
pub use sdes::{Sdes, SdesChunk, SdesChunks, SdesItem, SdesItems};

/// Packet type of a sender report.
pub const PT_SR: u8 = 200;
/// Packet type of a receiver report.
pub const PT_RR: u8 = 201;
/// Packet type of a source description.
pub const PT_SDES: u8 = 202;
/// Packet type of a goodbye.
pub const PT_BYE: u8 = 203;
/// Packet type of an application-defined packet.
pub const PT_APP: u8 = 204;
/// Packet type of transport-layer feedback (RFC 4585).
pub const PT_RTPFB: u8 = 205;
/// Packet type of payload-specific feedback (RFC 4585).
pub const PT_PSFB: u8 = 206;

#[cfg(test)]
mod tests;
