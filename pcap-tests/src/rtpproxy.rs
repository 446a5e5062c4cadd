//! rtpproxy's expected stream statistics (`*.output` beside its test captures): three
//! lines per stream, e.g.
//!
//! ```text
//! pcount=383, min_seq=0, max_seq=382, seq_offset=0, ssrc=0xAE9DD7AF, duplicates=1
//! ssrc_changes=1, psent=383, precvd=383, plost=0
//! last_jitter=0.004223,average_jitter=0.005070,max_jitter=0.121094
//! ```
//!
//! `pcount`, `min_seq` and `max_seq` describe the last run of sequence numbers (rtpproxy
//! starts over when the sender restarts); `psent`, `precvd` and `plost` add up all runs:
//! `precvd` counts distinct packets, `psent` the span of each run, `plost` their difference.
//! Jitter is in RTP timestamp units (RFC 3550 A.8), computed on arrival times truncated to
//! whole timestamp units.

use std::collections::HashMap;
use std::path::Path;

/// One stream's expected statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct RtpproxyStream {
    /// SSRC.
    pub ssrc: u32,
    /// Packets in the last run of sequence numbers.
    pub pcount: u64,
    /// Duplicates.
    pub duplicates: u64,
    /// Span of sequence numbers over all runs.
    pub psent: u64,
    /// Distinct packets received.
    pub precvd: u64,
    /// `psent - precvd`.
    pub plost: i64,
    /// Mean jitter, RTP timestamp units.
    pub average_jitter: f64,
    /// Max jitter, RTP timestamp units.
    pub max_jitter: f64,
}

/// Reads every stream record of an `.output` file.
pub fn read_output(path: &Path) -> Vec<RtpproxyStream> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut streams = Vec::new();
    let mut fields: HashMap<String, String> = HashMap::new();
    for line in text.lines() {
        for pair in line.split(',') {
            if let Some((key, value)) = pair.trim().split_once('=') {
                fields.insert(key.to_owned(), value.to_owned());
            }
        }
        if line.starts_with("last_jitter") {
            let get = |k: &str| {
                fields
                    .get(k)
                    .unwrap_or_else(|| panic!("{} lacks {k}", path.display()))
                    .clone()
            };
            streams.push(RtpproxyStream {
                ssrc: u32::from_str_radix(get("ssrc").trim_start_matches("0x"), 16).expect("ssrc"),
                pcount: get("pcount").parse().expect("pcount"),
                duplicates: get("duplicates").parse().expect("duplicates"),
                psent: get("psent").parse().expect("psent"),
                precvd: get("precvd").parse().expect("precvd"),
                plost: get("plost").parse().expect("plost"),
                average_jitter: get("average_jitter").parse().expect("average_jitter"),
                max_jitter: get("max_jitter").parse().expect("max_jitter"),
            });
            fields.clear();
        }
    }
    streams
}
