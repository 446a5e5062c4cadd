//! A per-core latency histogram in microseconds: the core records into a plain
//! [`Latencies`] on its own thread, publishes it at housekeeping into
//! [`PublishedLatencies`] (atomics the HTTP thread reads), and `/metrics` renders it as a
//! Prometheus histogram in seconds. Mixer pass times and time in the core use it.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (inclusive, microseconds) of a histogram's buckets; longer times land in
/// `+Inf`.
pub type LatencyBounds = [u64; 10];

/// Buckets: one per bound, then `+Inf`.
const BUCKETS: usize = 11;

/// A core's own record of one kind of latency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latencies {
    bounds: &'static LatencyBounds,
    /// Counts per bucket (not cumulative).
    buckets: [u64; BUCKETS],
    sum_us: u64,
    count: u64,
}

impl Latencies {
    /// An empty record over `bounds`.
    pub fn new(bounds: &'static LatencyBounds) -> Latencies {
        Latencies {
            bounds,
            buckets: [0; BUCKETS],
            sum_us: 0,
            count: 0,
        }
    }

    /// Records one time.
    pub fn record(&mut self, elapsed: Duration) {
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let bucket = self
            .bounds
            .iter()
            .position(|&bound| us <= bound)
            .unwrap_or(self.bounds.len());
        if let Some(slot) = self.buckets.get_mut(bucket) {
            *slot += 1;
        }
        self.sum_us = self.sum_us.saturating_add(us);
        self.count += 1;
    }

    /// Times recorded.
    pub fn count(&self) -> u64 {
        self.count
    }
}

/// The published copy the HTTP thread reads.
#[derive(Debug, Default)]
pub struct PublishedLatencies {
    buckets: [AtomicU64; BUCKETS],
    sum_us: AtomicU64,
    count: AtomicU64,
}

impl PublishedLatencies {
    /// Copies `latencies` in.
    pub(super) fn store(&self, latencies: &Latencies) {
        for (cell, &count) in self.buckets.iter().zip(&latencies.buckets) {
            cell.store(count, Ordering::Relaxed);
        }
        self.sum_us.store(latencies.sum_us, Ordering::Relaxed);
        self.count.store(latencies.count, Ordering::Relaxed);
    }

    /// Writes the `_bucket`, `_sum` and `_count` lines of core `core`'s series of `name`
    /// (the family's header is the caller's).
    pub(super) fn render(&self, out: &mut String, name: &str, core: usize, bounds: &LatencyBounds) {
        let mut cumulative = 0;
        for (i, cell) in self.buckets.iter().enumerate() {
            cumulative += cell.load(Ordering::Relaxed);
            let le = bounds
                .get(i)
                .map_or_else(|| "+Inf".to_owned(), |&us| format_seconds(us));
            // Writing to a String cannot fail.
            let _ = writeln!(
                out,
                "{name}_bucket{{core=\"{core}\",le=\"{le}\"}} {cumulative}"
            );
        }
        let sum = format_seconds(self.sum_us.load(Ordering::Relaxed));
        let _ = writeln!(out, "{name}_sum{{core=\"{core}\"}} {sum}");
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_count{{core=\"{core}\"}} {count}");
    }
}

/// The `# HELP` and `# TYPE` lines of a family.
pub(super) fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    // Writing to a String cannot fail.
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Microseconds as seconds, exactly (no float rounding in bucket labels).
fn format_seconds(us: u64) -> String {
    format!("{}.{:06}", us / 1_000_000, us % 1_000_000)
}
