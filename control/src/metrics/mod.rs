//! Operator metrics, rendered in the Prometheus text exposition format.
//!
//! Each core owns a [`CoreMetrics`] and is its only writer: plain relaxed atomics, no lock
//! and no label lookup on the core's path, which is why this is not a general metrics
//! registry crate. The HTTP thread reads every core's counters when scraped and renders
//! them with `core` labels.

mod batch_sizes;
mod conference_metrics;
mod core_metrics;
mod forward_delay;
mod latency;
mod mixer;
mod render;
pub mod sip;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use batch_sizes::{BatchSizes, BATCH_SIZE_BOUNDS};
pub use conference_metrics::{LegSample, MAX_CONFERENCE_SERIES};
pub use core_metrics::{CoreBackend, CoreMetrics};
pub use forward_delay::{ForwardDelays, FORWARD_DELAY_BOUNDS_US};
pub use mixer::{MixTickTimes, MIX_TICK_BOUNDS_US};

/// Everything `/metrics` shows.
#[derive(Debug)]
pub struct NodeMetrics {
    started: Instant,
    simd_backend: &'static str,
    cores: Vec<Arc<CoreMetrics>>,
    admin: AdminMetrics,
}

/// Admin API requests answered, by status class.
#[derive(Debug, Default)]
pub struct AdminMetrics {
    /// Indexed by the status code's first digit minus 1 (1xx..5xx).
    by_class: [AtomicU64; 5],
}

impl AdminMetrics {
    /// Counts one response with `status`.
    pub fn record(&self, status: u16) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        if let Some(cell) = self.by_class.get(class) {
            cell.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Responses counted with a status of class `class` (2 for 2xx...).
    pub fn count(&self, class: u16) -> u64 {
        usize::from(class)
            .checked_sub(1)
            .and_then(|i| self.by_class.get(i))
            .map_or(0, |cell| cell.load(Ordering::Relaxed))
    }
}

/// A core whose heartbeat is older than this is reported unhealthy.
pub const HEARTBEAT_STALE_AFTER: Duration = Duration::from_secs(1);

impl NodeMetrics {
    /// Metrics for a node started at `started` with the given per-core counters.
    pub fn new(
        started: Instant,
        simd_backend: &'static str,
        cores: Vec<Arc<CoreMetrics>>,
    ) -> NodeMetrics {
        NodeMetrics {
            started,
            simd_backend,
            cores,
            admin: AdminMetrics::default(),
        }
    }

    /// The per-core counters.
    pub fn cores(&self) -> &[Arc<CoreMetrics>] {
        &self.cores
    }

    /// The admin API's counters.
    pub fn admin(&self) -> &AdminMetrics {
        &self.admin
    }

    /// Cores whose heartbeat is missing or stale at `now`.
    pub fn unhealthy_cores(&self, now: Instant) -> Vec<usize> {
        let since_start = now.saturating_duration_since(self.started);
        self.cores
            .iter()
            .filter(|c| {
                c.heartbeat_age(since_start)
                    .is_none_or(|age| age > HEARTBEAT_STALE_AFTER)
            })
            .map(|c| c.index)
            .collect()
    }

    /// Renders the Prometheus text format at `now`.
    pub fn render(&self, now: Instant) -> String {
        render::render(self, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_core_without_heartbeat_is_unhealthy_and_a_fresh_one_is_up() {
        let start = Instant::now();
        let cores = vec![Arc::new(CoreMetrics::new(0)), Arc::new(CoreMetrics::new(1))];
        let metrics = NodeMetrics::new(start, "scalar", cores.clone());
        let now = start + Duration::from_secs(5);
        assert_eq!(metrics.unhealthy_cores(now), vec![0, 1]);

        cores[0].set_backend(CoreBackend::IoUring);
        cores[0].record_housekeeping(Duration::from_millis(4_900));
        cores[1].set_backend(CoreBackend::Threads);
        cores[1].record_housekeeping(Duration::from_millis(3_000));
        assert_eq!(metrics.unhealthy_cores(now), vec![1]);

        let text = metrics.render(now);
        assert!(
            text.contains("medianode_core_up{core=\"0\",backend=\"io_uring\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("medianode_core_up{core=\"1\",backend=\"threads\"} 0"),
            "{text}"
        );
        assert!(
            text.contains("medianode_core_housekeeping_total{core=\"0\"} 1"),
            "{text}"
        );
        assert!(text.contains("medianode_cores 2"), "{text}");
        assert!(text.contains("simd=\"scalar\""), "{text}");
    }

    #[test]
    fn every_sample_line_belongs_to_a_declared_metric() {
        let metrics = NodeMetrics::new(
            Instant::now(),
            "scalar",
            vec![Arc::new(CoreMetrics::new(0))],
        );
        let text = metrics.render(Instant::now());
        let declared: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        let histograms: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter(|l| l.ends_with(" histogram"))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split(['{', ' ']).next().unwrap();
            let base = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix))
                .filter(|base| histograms.contains(base));
            assert!(
                declared.contains(&name) || base.is_some(),
                "undeclared sample {line}"
            );
            let value = line.rsplit(' ').next().unwrap();
            assert!(value.parse::<f64>().is_ok(), "bad value in {line}");
        }
    }

    #[test]
    fn published_core_counters_render_per_core_and_reason() {
        use medianode_dataplane::conference::{CoreCounters, DropReason};

        let core = Arc::new(CoreMetrics::new(0));
        let metrics = NodeMetrics::new(Instant::now(), "scalar", vec![core.clone()]);
        let mut counters = CoreCounters::default();
        counters.packets_in = 7;
        counters.bytes_out = 1234;
        counters.legs = 5;
        counters.drops.not_selected = 3;
        core.publish_media(&counters);
        let mut sizes = BatchSizes::default();
        sizes.record(3);
        core.publish_batch_sizes(&sizes);
        metrics.admin().record(201);
        metrics.admin().record(404);
        metrics.admin().record(404);

        let text = metrics.render(Instant::now());
        for line in [
            "medianode_core_packets_in_total{core=\"0\"} 7",
            "medianode_core_bytes_out_total{core=\"0\"} 1234",
            "medianode_legs{core=\"0\"} 5",
            "medianode_core_drops_total{core=\"0\",reason=\"not_selected\"} 3",
            "medianode_core_drops_total{core=\"0\",reason=\"srtp_auth\"} 0",
            "medianode_core_recv_batch_size_bucket{core=\"0\",le=\"2\"} 0",
            "medianode_core_recv_batch_size_bucket{core=\"0\",le=\"4\"} 1",
            "medianode_core_recv_batch_size_count{core=\"0\"} 1",
            "medianode_admin_requests_total{status=\"2xx\"} 1",
            "medianode_admin_requests_total{status=\"4xx\"} 2",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}: {text}");
        }
        let reasons = text
            .lines()
            .filter(|l| l.starts_with("medianode_core_drops_total{"))
            .count();
        assert_eq!(reasons, DropReason::ALL.len());
    }
}
