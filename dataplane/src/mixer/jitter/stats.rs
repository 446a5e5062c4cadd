//! What a leg's jitter buffer did, for RTCP, metrics and tests.

use std::time::Duration;

/// Counters and gauges of one jitter buffer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct JitterStats {
    /// Packets accepted into the buffer.
    pub buffered: u64,
    /// Packets played out (decoded or, for a leg not in the mix, consumed).
    pub played: u64,
    /// Packets that arrived after their audio was played or concealed; dropped.
    pub late: u64,
    /// Packets that arrived twice; the copy was dropped.
    pub duplicates: u64,
    /// Packets never received by the time their audio was due; concealed.
    pub lost: u64,
    /// Ticks on which the buffer ran dry and the leg concealed while waiting.
    pub underruns: u64,
    /// Packets dropped because the buffer held more than its maximum delay.
    pub overflow_drops: u64,
    /// Packets dropped to bring a persistently long delay down to the target.
    pub shrink_drops: u64,
    /// Packets whose sequence number jumped too far to belong to the stream; dropped.
    pub out_of_window: u64,
    /// Times the stream restarted (a new SSRC, or a confirmed sequence jump).
    pub resyncs: u64,
    /// The RFC 3550 interarrival jitter.
    pub jitter: Duration,
    /// The delay the buffer aims for now.
    pub target_delay: Duration,
    /// The audio held at the last tick.
    pub delay: Duration,
}
