//! medianode's sans-IO media core: RTP/RTCP wire types, receive statistics, SRTP and
//! conference routing. Nothing here owns a socket or reads a clock; callers pass bytes and
//! time in and get bytes and deadlines back.

// ---- Wire types: RTP, RTCP, header extensions, audio level, demultiplexing. ----
mod be;

pub mod audio_level;
pub mod demux;
pub mod rtcp;
pub mod rtp;

#[cfg(test)]
mod tshark_check;

// ---- Modules owned by other work streams (SRTP, receive statistics, conference). ----
pub mod conference;
pub mod mixer;
pub mod receive_stats;
pub mod srtp;
