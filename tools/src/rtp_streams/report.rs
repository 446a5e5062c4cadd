//! What rtp-stats reports per stream, as a table like tshark's or as JSON.

use std::fmt::Write as _;
use std::net::SocketAddr;

use serde::Serialize;

use crate::capture::SkipCounts;

use super::payload_type;

/// RFC 3550 receive statistics for a stream (see `medianode_dataplane::receive_stats`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rfc3550Report {
    /// Packets expected since reception began, across sequence restarts.
    pub expected: u64,
    /// Packets received (duplicates included, probation packets not).
    pub received: u64,
    /// Expected minus received; negative when duplicates outnumber losses.
    pub cumulative_lost: i64,
    /// Expected minus distinct packets received (duplicates do not offset losses).
    pub distinct_lost: i64,
    /// Duplicates recognised.
    pub duplicates: u64,
    /// Times the sender restarted its sequence numbers.
    pub restarts: u64,
    /// Highest sequence number with wraps, of the current sequence.
    pub extended_highest_sequence: u64,
    /// Jitter at the end of the stream, ms (0 without a known clock rate).
    pub jitter_ms: f64,
    /// Mean of the jitter estimate, ms.
    pub mean_jitter_ms: f64,
    /// Largest jitter estimate, ms.
    pub max_jitter_ms: f64,
}

/// One RTP stream: a sender, a receiver and an SSRC.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamReport {
    /// Source address and port (of the first packet, when grouping by SSRC only).
    pub src: SocketAddr,
    /// Destination address and port.
    pub dst: SocketAddr,
    /// Synchronisation source.
    pub ssrc: u32,
    /// Payload types seen, in order of first appearance.
    pub payload_types: Vec<u8>,
    /// Packets in the stream, duplicates included.
    pub packets: u64,
    /// Sequence number of the first packet.
    pub first_seq: u16,
    /// Sequence number of the last packet to arrive.
    pub last_seq: u16,
    /// Lost packets as tshark counts them: first to last sequence number, minus packets.
    pub lost: i64,
    /// Duplicate packets (same sequence number within the recent window).
    pub duplicates: u64,
    /// Mean jitter in ms as tshark computes it; `None` without a known clock rate.
    pub mean_jitter_ms: Option<f64>,
    /// Max jitter in ms as tshark computes it; `None` without a known clock rate.
    pub max_jitter_ms: Option<f64>,
    /// RTP clock rate used, from the first packet's static payload type.
    pub clock_rate: Option<u32>,
    /// Capture frame of the first packet, from 0.
    pub first_frame: u64,
    /// Capture time of the first packet, ns since the Unix epoch.
    pub start_ns: u64,
    /// Capture time of the last packet, ns since the Unix epoch.
    pub end_ns: u64,
    /// The same stream by RFC 3550's rules.
    pub rfc3550: Rfc3550Report,
}

/// Everything rtp-stats learned from one capture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaptureReport {
    /// Packet records read.
    pub frames: u64,
    /// Frames that held a complete UDP datagram.
    pub udp_datagrams: u64,
    /// Frames without a UDP datagram, by reason.
    pub skipped: SkipCounts,
    /// True when the file ended in the middle of a record; the report covers what came
    /// before.
    pub truncated_file: bool,
    /// The RTP streams found, in order of their first packet.
    pub streams: Vec<StreamReport>,
}

impl CaptureReport {
    /// The report as a table in the manner of `tshark -q -z rtp,streams`.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:>22} {:>22} {:>10} {:>16} {:>7} {:>6} {:>6} {:>14} {:>5} {:>9} {:>9}",
            "Source",
            "Destination",
            "SSRC",
            "Payload",
            "Pkts",
            "First",
            "Last",
            "Lost",
            "Dups",
            "MeanJ(ms)",
            "MaxJ(ms)"
        );
        for s in &self.streams {
            let payload = s
                .payload_types
                .iter()
                .map(|pt| payload_type::name(*pt))
                .collect::<Vec<_>>()
                .join(",");
            let expected = s.packets as i64 + s.lost;
            let percent = if expected > 0 {
                s.lost as f64 * 100.0 / expected as f64
            } else {
                0.0
            };
            let jitter = |j: Option<f64>| j.map_or_else(|| "-".to_owned(), |j| format!("{j:.3}"));
            let _ = writeln!(
                out,
                "{:>22} {:>22} 0x{:08X} {:>16} {:>7} {:>6} {:>6} {:>14} {:>5} {:>9} {:>9}",
                s.src.to_string(),
                s.dst.to_string(),
                s.ssrc,
                payload,
                s.packets,
                s.first_seq,
                s.last_seq,
                format!("{} ({percent:.1}%)", s.lost),
                s.duplicates,
                jitter(s.mean_jitter_ms),
                jitter(s.max_jitter_ms),
            );
        }
        let _ = writeln!(
            out,
            "{} frames, {} UDP datagrams, {} streams; skipped: {} non-IP, {} non-UDP, {} fragments, {} truncated, {} bad headers, {} unsupported link type{}",
            self.frames,
            self.udp_datagrams,
            self.streams.len(),
            self.skipped.non_ip,
            self.skipped.non_udp,
            self.skipped.ip_fragment,
            self.skipped.truncated,
            self.skipped.bad_header,
            self.skipped.unsupported_link_type,
            if self.truncated_file { "; the file is cut short" } else { "" },
        );
        out
    }
}
