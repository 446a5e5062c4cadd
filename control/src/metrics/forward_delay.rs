//! How long packets stay in a core: from the moment a receive batch is back from the
//! kernel to the moment everything it caused has been handed to the kernel to send (the
//! forwarded copies, protected, in one send batch). It is the node's own share of the
//! one-way delay a caller hears, and the number to watch when a core nears saturation:
//! batches grow, and so does the time their first packet waits.
//!
//! The media core reads no clock, so the event loop times each batch and records it in a
//! plain [`ForwardDelays`], published at housekeeping like the other counters.

use std::time::Duration;

use super::latency::{header, Latencies, LatencyBounds};
use super::{CoreMetrics, NodeMetrics};

/// Upper bounds (inclusive, microseconds) of the histogram's buckets; longer waits land
/// in `+Inf`.
pub const FORWARD_DELAY_BOUNDS_US: LatencyBounds =
    [10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000];

/// A core's own record of its batches' time in the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardDelays(Latencies);

impl Default for ForwardDelays {
    fn default() -> Self {
        ForwardDelays(Latencies::new(&FORWARD_DELAY_BOUNDS_US))
    }
}

impl ForwardDelays {
    /// Records one batch that took `elapsed` from its arrival to its send.
    pub fn record(&mut self, elapsed: Duration) {
        self.0.record(elapsed);
    }

    /// Batches recorded.
    pub fn count(&self) -> u64 {
        self.0.count()
    }
}

impl CoreMetrics {
    /// Publishes the core's batch times.
    pub fn publish_forward_delays(&self, delays: &ForwardDelays) {
        self.forward_delays.store(&delays.0);
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
        core.forward_delays
            .render(out, name, core.index(), &FORWARD_DELAY_BOUNDS_US);
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
