//! How long packets stay in a core: from the moment a receive batch is back from the
//! kernel to the moment everything it caused has been handed to the kernel to send (the
//! forwarded copies, protected, in one send batch). It is the node's own share of the
//! one-way delay a caller hears, and the number to watch when a core nears saturation:
//! batches grow, and so does the time their first packet waits.
//!
//! The media core reads no clock, so the event loop times each batch and records it in a
//! plain [`ForwardDelays`], published at housekeeping like the other counters.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::mixer::{format_seconds, header};
use super::{CoreMetrics, NodeMetrics};

/// Upper bounds (inclusive, microseconds) of the histogram's buckets; longer waits land
/// in `+Inf`.
pub const FORWARD_DELAY_BOUNDS_US: [u64; 10] =
    [10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000];

/// A core's own record of its batches' time in the core.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForwardDelays {
    /// Batches per bucket (not cumulative); the last entry is `+Inf`.
    buckets: [u64; FORWARD_DELAY_BOUNDS_US.len() + 1],
    sum_us: u64,
    count: u64,
}

impl ForwardDelays {
    /// Records one batch that took `elapsed` from its arrival to its send.
    pub fn record(&mut self, elapsed: Duration) {
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let bucket = FORWARD_DELAY_BOUNDS_US
            .iter()
            .position(|&bound| us <= bound)
            .unwrap_or(FORWARD_DELAY_BOUNDS_US.len());
        if let Some(slot) = self.buckets.get_mut(bucket) {
            *slot += 1;
        }
        self.sum_us = self.sum_us.saturating_add(us);
        self.count += 1;
    }

    /// Batches recorded.
    pub fn count(&self) -> u64 {
        self.count
    }
}

/// The published copy the HTTP thread reads.
#[derive(Debug, Default)]
pub struct PublishedForwardDelays {
    buckets: [AtomicU64; FORWARD_DELAY_BOUNDS_US.len() + 1],
    sum_us: AtomicU64,
    count: AtomicU64,
}

impl CoreMetrics {
    /// Publishes the core's batch times.
    pub fn publish_forward_delays(&self, delays: &ForwardDelays) {
        let published = &self.forward_delays;
        for (cell, &count) in published.buckets.iter().zip(&delays.buckets) {
            cell.store(count, Ordering::Relaxed);
        }
        published.sum_us.store(delays.sum_us, Ordering::Relaxed);
        published.count.store(delays.count, Ordering::Relaxed);
    }
}

/// Renders the histogram of every core.
pub(super) fn render_forward_delays(out: &mut String, metrics: &NodeMetrics) {
    let name = "medianode_core_forward_delay_seconds";
    header(
        out,
        name,
        "Time from a receive batch's arrival to the send of everything it caused, per batch.",
        "histogram",
    );
    for core in metrics.cores() {
        let delays = &core.forward_delays;
        let index = core.index();
        let mut cumulative = 0;
        for (i, cell) in delays.buckets.iter().enumerate() {
            cumulative += cell.load(Ordering::Relaxed);
            let le = FORWARD_DELAY_BOUNDS_US
                .get(i)
                .map_or_else(|| "+Inf".to_owned(), |&us| format_seconds(us));
            // Writing to a String cannot fail.
            let _ = writeln!(
                out,
                "{name}_bucket{{core=\"{index}\",le=\"{le}\"}} {cumulative}"
            );
        }
        let sum = format_seconds(delays.sum_us.load(Ordering::Relaxed));
        let _ = writeln!(out, "{name}_sum{{core=\"{index}\"}} {sum}");
        let count = delays.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_count{{core=\"{index}\"}} {count}");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Instant;

    use super::*;

    #[test]
    fn batch_times_render_as_a_cumulative_histogram_per_core() {
        let core = Arc::new(CoreMetrics::new(1));
        let metrics = NodeMetrics::new(Instant::now(), "scalar", vec![core.clone()]);
        let mut delays = ForwardDelays::default();
        delays.record(Duration::from_micros(8));
        delays.record(Duration::from_micros(40));
        delays.record(Duration::from_micros(40));
        delays.record(Duration::from_millis(30));
        assert_eq!(delays.count(), 4);
        core.publish_forward_delays(&delays);
        let text = metrics.render(Instant::now());
        for line in [
            "# TYPE medianode_core_forward_delay_seconds histogram",
            "medianode_core_forward_delay_seconds_bucket{core=\"1\",le=\"0.000010\"} 1",
            "medianode_core_forward_delay_seconds_bucket{core=\"1\",le=\"0.000025\"} 1",
            "medianode_core_forward_delay_seconds_bucket{core=\"1\",le=\"0.000050\"} 3",
            "medianode_core_forward_delay_seconds_bucket{core=\"1\",le=\"0.010000\"} 3",
            "medianode_core_forward_delay_seconds_bucket{core=\"1\",le=\"+Inf\"} 4",
            "medianode_core_forward_delay_seconds_sum{core=\"1\"} 0.030088",
            "medianode_core_forward_delay_seconds_count{core=\"1\"} 4",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }
}
