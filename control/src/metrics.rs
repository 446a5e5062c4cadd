//! Operator metrics, rendered in the Prometheus text exposition format.
//!
//! Each core owns a [`CoreMetrics`] and is its only writer: plain relaxed atomics, no lock
//! and no label lookup on the core's path, which is why this is not a general metrics
//! registry crate. The HTTP thread reads every core's counters when scraped and renders
//! them with `core` labels.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Counters one core publishes. Written only by that core.
#[derive(Debug)]
pub struct CoreMetrics {
    index: usize,
    /// Milliseconds since the node's start when the core last ran housekeeping.
    heartbeat_ms: AtomicU64,
    housekeeping_runs: AtomicU64,
    commands_handled: AtomicU64,
    /// 1 for io_uring (glommio), 2 for threads, 0 before the core started.
    backend: AtomicU64,
}

/// The event-loop flavour a core ended up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoreBackend {
    /// glommio on io_uring.
    IoUring,
    /// A plain pinned thread.
    Threads,
}

impl CoreBackend {
    /// The label value used in metrics and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            CoreBackend::IoUring => "io_uring",
            CoreBackend::Threads => "threads",
        }
    }
}

impl CoreMetrics {
    /// Counters for core `index`, all zero.
    pub fn new(index: usize) -> CoreMetrics {
        CoreMetrics {
            index,
            heartbeat_ms: AtomicU64::new(0),
            housekeeping_runs: AtomicU64::new(0),
            commands_handled: AtomicU64::new(0),
            backend: AtomicU64::new(0),
        }
    }

    /// Records which backend the core runs on.
    pub fn set_backend(&self, backend: CoreBackend) {
        let code = match backend {
            CoreBackend::IoUring => 1,
            CoreBackend::Threads => 2,
        };
        self.backend.store(code, Ordering::Relaxed);
    }

    /// The backend the core reported, if it has started.
    pub fn backend(&self) -> Option<CoreBackend> {
        match self.backend.load(Ordering::Relaxed) {
            1 => Some(CoreBackend::IoUring),
            2 => Some(CoreBackend::Threads),
            _ => None,
        }
    }

    /// Marks one housekeeping run at `since_start` of the node.
    pub fn record_housekeeping(&self, since_start: Duration) {
        let ms = u64::try_from(since_start.as_millis()).unwrap_or(u64::MAX);
        self.heartbeat_ms.store(ms, Ordering::Relaxed);
        self.housekeeping_runs.fetch_add(1, Ordering::Relaxed);
    }

    /// How many housekeeping runs the core has made.
    pub fn housekeeping_runs(&self) -> u64 {
        self.housekeeping_runs.load(Ordering::Relaxed)
    }

    /// Counts one control command handled.
    pub fn record_command(&self) {
        self.commands_handled.fetch_add(1, Ordering::Relaxed);
    }

    /// How long ago, relative to `since_start`, the core last ran housekeeping; `None` if it
    /// never has.
    pub fn heartbeat_age(&self, since_start: Duration) -> Option<Duration> {
        if self.housekeeping_runs.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let beat = Duration::from_millis(self.heartbeat_ms.load(Ordering::Relaxed));
        Some(since_start.saturating_sub(beat))
    }
}

/// Everything `/metrics` shows.
#[derive(Debug)]
pub struct NodeMetrics {
    started: Instant,
    simd_backend: &'static str,
    cores: Vec<Arc<CoreMetrics>>,
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
        }
    }

    /// The per-core counters.
    pub fn cores(&self) -> &[Arc<CoreMetrics>] {
        &self.cores
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
        let mut out = String::with_capacity(2048);
        let uptime = now.saturating_duration_since(self.started).as_secs_f64();
        let since_start = now.saturating_duration_since(self.started);
        // Writing to a String cannot fail; the results are ignored for that reason.
        let _ = writeln!(
            out,
            "# HELP medianode_build_info Version and the SIMD backend chosen at start-up.\n\
             # TYPE medianode_build_info gauge\n\
             medianode_build_info{{version=\"{}\",simd=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION"),
            self.simd_backend
        );
        let _ = writeln!(
            out,
            "# HELP medianode_uptime_seconds Seconds since the node started.\n\
             # TYPE medianode_uptime_seconds gauge\n\
             medianode_uptime_seconds {uptime:.3}"
        );
        let _ = writeln!(
            out,
            "# HELP medianode_cores Media cores configured.\n\
             # TYPE medianode_cores gauge\n\
             medianode_cores {}",
            self.cores.len()
        );
        out.push_str(
            "# HELP medianode_core_up 1 when the core's heartbeat is fresh, labelled with its I/O backend.\n\
             # TYPE medianode_core_up gauge\n",
        );
        for core in &self.cores {
            let up = core
                .heartbeat_age(since_start)
                .is_some_and(|age| age <= HEARTBEAT_STALE_AFTER);
            let backend = core.backend().map_or("none", CoreBackend::as_str);
            let _ = writeln!(
                out,
                "medianode_core_up{{core=\"{}\",backend=\"{backend}\"}} {}",
                core.index,
                u8::from(up)
            );
        }
        out.push_str(
            "# HELP medianode_core_housekeeping_total Housekeeping runs per core (the core's event loop is turning).\n\
             # TYPE medianode_core_housekeeping_total counter\n",
        );
        for core in &self.cores {
            let _ = writeln!(
                out,
                "medianode_core_housekeeping_total{{core=\"{}\"}} {}",
                core.index,
                core.housekeeping_runs.load(Ordering::Relaxed)
            );
        }
        out.push_str(
            "# HELP medianode_core_commands_total Control commands handled per core.\n\
             # TYPE medianode_core_commands_total counter\n",
        );
        for core in &self.cores {
            let _ = writeln!(
                out,
                "medianode_core_commands_total{{core=\"{}\"}} {}",
                core.index,
                core.commands_handled.load(Ordering::Relaxed)
            );
        }
        out
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
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split(['{', ' ']).next().unwrap();
            assert!(declared.contains(&name), "undeclared sample {line}");
            let value = line.rsplit(' ').next().unwrap();
            assert!(value.parse::<f64>().is_ok(), "bad value in {line}");
        }
    }
}
