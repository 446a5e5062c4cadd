//! The counters one core publishes: liveness, its I/O backends, and copies of its media
//! core's traffic counters. The core is the only writer; the HTTP thread reads.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use medianode_dataplane::conference::{CoreCounters, DropReason};
use medianode_netio::{ActiveBackend, IoCounters};

use super::batch_sizes::{BatchSizes, PublishedBatchSizes};

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

/// Counters one core publishes. Written only by that core.
#[derive(Debug)]
pub struct CoreMetrics {
    pub(super) index: usize,
    /// Milliseconds since the node's start when the core last ran housekeeping.
    heartbeat_ms: AtomicU64,
    pub(super) housekeeping_runs: AtomicU64,
    pub(super) commands_handled: AtomicU64,
    /// 1 for io_uring (glommio), 2 for threads, 0 before the core started.
    backend: AtomicU64,
    /// 1 for io_uring, 2 for recvmmsg/sendmmsg, 0 before the socket layer started.
    packet_io: AtomicU64,
    pub(super) media: PublishedMedia,
    pub(super) io: PublishedIo,
    pub(super) batch_sizes: PublishedBatchSizes,
    pub(super) mixing: super::mixer::PublishedMixing,
    pub(super) forward_delays: super::latency::PublishedLatencies,
    pub(super) conferences: super::conference_metrics::PublishedConferences,
}

/// The media core's counters as last published.
#[derive(Debug, Default)]
pub(super) struct PublishedMedia {
    pub(super) packets_in: AtomicU64,
    pub(super) bytes_in: AtomicU64,
    pub(super) packets_out: AtomicU64,
    pub(super) bytes_out: AtomicU64,
    pub(super) rtcp_terminated: AtomicU64,
    pub(super) rtcp_reports_sent: AtomicU64,
    pub(super) events_dropped: AtomicU64,
    pub(super) conferences: AtomicU64,
    pub(super) legs: AtomicU64,
    pub(super) active_talkers: AtomicU64,
    /// Indexed like [`DropReason::ALL`].
    pub(super) drops: [AtomicU64; DropReason::ALL.len()],
}

/// The socket layer's counters as last published.
#[derive(Debug, Default)]
pub(super) struct PublishedIo {
    pub(super) send_failed: AtomicU64,
    pub(super) icmp_errors: AtomicU64,
    pub(super) truncated: AtomicU64,
    pub(super) buffers_exhausted: AtomicU64,
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
            packet_io: AtomicU64::new(0),
            media: PublishedMedia::default(),
            io: PublishedIo::default(),
            batch_sizes: PublishedBatchSizes::default(),
            mixing: super::mixer::PublishedMixing::default(),
            forward_delays: super::latency::PublishedLatencies::default(),
            conferences: super::conference_metrics::PublishedConferences::default(),
        }
    }

    /// The core's index.
    pub fn index(&self) -> usize {
        self.index
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

    /// Records which backend the core's sockets run on.
    pub fn set_packet_io(&self, backend: ActiveBackend) {
        let code = match backend {
            ActiveBackend::IoUring => 1,
            ActiveBackend::Mmsg => 2,
        };
        self.packet_io.store(code, Ordering::Relaxed);
    }

    /// The socket layer's backend label (`io_uring` or `mmsg`), if it has started.
    pub fn packet_io(&self) -> Option<&'static str> {
        match self.packet_io.load(Ordering::Relaxed) {
            1 => Some("io_uring"),
            2 => Some("mmsg"),
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

    /// Publishes a snapshot of the media core's counters.
    pub fn publish_media(&self, counters: &CoreCounters) {
        let m = &self.media;
        let store = |cell: &AtomicU64, value: u64| cell.store(value, Ordering::Relaxed);
        store(&m.packets_in, counters.packets_in);
        store(&m.bytes_in, counters.bytes_in);
        store(&m.packets_out, counters.packets_out);
        store(&m.bytes_out, counters.bytes_out);
        store(&m.rtcp_terminated, counters.rtcp_consumed);
        store(&m.rtcp_reports_sent, counters.rtcp_reports_sent);
        store(&m.events_dropped, counters.events_dropped);
        store(&m.conferences, counters.conferences as u64);
        store(&m.legs, counters.legs as u64);
        store(&m.active_talkers, counters.active_talkers as u64);
        for (cell, &reason) in m.drops.iter().zip(DropReason::ALL.iter()) {
            store(cell, counters.drops.get(reason));
        }
    }

    /// Publishes the socket layer's running totals.
    pub fn publish_io(&self, counters: &IoCounters) {
        let io = &self.io;
        io.send_failed
            .store(counters.send_failed, Ordering::Relaxed);
        io.icmp_errors
            .store(counters.icmp_errors, Ordering::Relaxed);
        io.truncated.store(counters.truncated, Ordering::Relaxed);
        io.buffers_exhausted
            .store(counters.buffers_exhausted, Ordering::Relaxed);
    }

    /// Publishes the receive batch histogram.
    pub fn publish_batch_sizes(&self, sizes: &BatchSizes) {
        self.batch_sizes.store(sizes);
    }
}
