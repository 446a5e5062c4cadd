//! RTP packets (RFC 3550): a checked zero-copy view for the receive path, a plain header
//! representation for building packets, and the RFC 8285 header extension elements that
//! carry per-packet metadata such as the audio level.

mod error;
pub mod extension;
mod header;
mod packet;

pub use error::RtpError;
pub use header::{CsrcList, ExtensionBlock, RtpHeader, MAX_CSRCS};
pub use packet::{header_len, is_plausible_rtp, RtpPacket, Ssrcs, FIXED_HEADER_LEN, RTP_VERSION};

#[cfg(test)]
mod tests;
