//! Operator tools for medianode: reading and writing captures ([`capture`]) and per-stream
//! RTP statistics ([`rtp_streams`], behind the `rtp-stats` binary), the pieces the other
//! tools (SRTP pcap conversion, load generation) build on; and the load generator itself
//! ([`replay`], behind `rtp-replay`).

#![forbid(unsafe_code)]

pub mod capture;
pub mod replay;
pub mod rtp_streams;
