//! Per-stream RTP statistics from a capture, the library behind `rtp-stats`. Streams are
//! found by shape ([`detect`]) or by port, and each carries two sets of numbers: tshark's
//! (loss as first-to-last sequence span minus packets, jitter in ms with its filtering;
//! what the table shows, so it can be checked against `tshark -z rtp,streams`) and
//! RFC 3550's (probation, restarts, duplicates, jitter per appendix A.8; what a receiver
//! would put in RTCP reports).

mod analysis;
pub mod detect;
pub mod payload_type;
mod report;
pub mod tshark_metrics;

pub use analysis::{analyze_capture, AnalysisOptions, StreamAnalysis, StreamGrouping};
pub use report::{CaptureReport, Rfc3550Report, StreamReport};
