//! What a run shows while it runs: counters the sender, receiver and setup threads bump
//! (relaxed atomics, read for the progress line), and the run's clock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The run's time origin: send and arrival times are microseconds since it, on the
/// monotonic clock, and pcap timestamps are wall-clock times derived from it.
#[derive(Debug, Clone, Copy)]
pub struct RunClock {
    origin: Instant,
    wall_origin_ns: u64,
}

impl RunClock {
    /// A clock starting now.
    pub fn start() -> RunClock {
        let wall_origin_ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        RunClock {
            origin: Instant::now(),
            wall_origin_ns,
        }
    }

    /// Microseconds from the origin to `at`.
    pub fn micros(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.origin).as_micros() as u64
    }

    /// Nanoseconds from the origin to `at`.
    pub fn nanos(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.origin).as_nanos() as u64
    }

    /// Unix time in nanoseconds of `at`.
    pub fn wall_ns(&self, at: Instant) -> u64 {
        self.wall_origin_ns + self.nanos(at)
    }

    /// Time since the origin.
    pub fn elapsed(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// Counters of the whole run.
#[derive(Debug, Default)]
pub struct LiveCounters {
    /// Conferences set up.
    pub conferences: AtomicU64,
    /// Legs set up.
    pub legs: AtomicU64,
    /// Datagrams sent.
    pub sent: AtomicU64,
    /// RTP packets received (first copies).
    pub received: AtomicU64,
    /// Packets that failed SRTP authentication.
    pub srtp_failures: AtomicU64,
    /// Packets from the wrong conference or the receiver's own.
    pub misrouted: AtomicU64,
}

/// A snapshot for display.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveStatus {
    /// Since the run started.
    pub elapsed: Duration,
    /// Conferences set up so far, of how many.
    pub conferences: (u64, u64),
    /// Legs set up so far.
    pub legs: u64,
    /// Datagrams sent.
    pub sent: u64,
    /// RTP packets received.
    pub received: u64,
    /// SRTP failures.
    pub srtp_failures: u64,
    /// Misrouted packets.
    pub misrouted: u64,
}

impl LiveCounters {
    /// Adds `n` to `counter`.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn status(&self, elapsed: Duration, conferences_planned: u64) -> LiveStatus {
        let read = |c: &AtomicU64| c.load(Ordering::Relaxed);
        LiveStatus {
            elapsed,
            conferences: (read(&self.conferences), conferences_planned),
            legs: read(&self.legs),
            sent: read(&self.sent),
            received: read(&self.received),
            srtp_failures: read(&self.srtp_failures),
            misrouted: read(&self.misrouted),
        }
    }
}
