//! Per-conference traffic and per-core receive quality for `/metrics`, read from the legs'
//! statistics once a second during the core's housekeeping.
//!
//! - Per conference (labels `core`, `conference`): legs, packets and bytes in and out,
//!   summed over the conference's current legs (a leg leaving lowers the sums, which
//!   `rate()` reads as a counter reset). Series exist only while the conference does, and
//!   at most [`MAX_CONFERENCE_SERIES`] per core (the lowest ids); the rest are counted in
//!   `medianode_conferences_unexported`, so a busy node cannot blow up a Prometheus.
//! - Per core: histograms of the legs' interarrival jitter (RFC 3550, ms) and cumulative
//!   loss (% of expected packets), one observation per receiving leg per second.
//!
//! The core publishes into a mutex it only `try_lock`s (a scrape in progress makes it skip
//! one second, never wait); the HTTP thread renders from it.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use medianode_dataplane::conference::{LegStats, MediaCore};

use super::latency::header;
use super::CoreMetrics;

/// Conferences exported per core at most.
pub const MAX_CONFERENCE_SERIES: usize = 100;
/// How often a core publishes its conferences.
pub const PUBLISH_EVERY: Duration = Duration::from_secs(1);
/// Upper bounds of the jitter histogram, in ms.
pub const JITTER_BOUNDS_MS: [f64; 8] = [1.0, 2.0, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0];
/// Upper bounds of the loss histogram, in percent.
pub const LOSS_BOUNDS_PERCENT: [f64; 8] = [0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0];

/// One leg's counters as the metrics need them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LegSample {
    /// Datagrams received.
    pub packets_in: u64,
    /// Bytes received.
    pub bytes_in: u64,
    /// Datagrams sent.
    pub packets_out: u64,
    /// Bytes sent.
    pub bytes_out: u64,
    /// RTP packets received (the receive statistics).
    pub packets_received: u64,
    /// RTP packets lost (RFC 3550 cumulative, may be negative with duplicates).
    pub packets_lost: i64,
    /// Interarrival jitter, ms.
    pub jitter_ms: f64,
}

impl From<&LegStats> for LegSample {
    fn from(stats: &LegStats) -> Self {
        LegSample {
            packets_in: stats.packets_in,
            bytes_in: stats.bytes_in,
            packets_out: stats.packets_out,
            bytes_out: stats.bytes_out,
            packets_received: stats.packets_received,
            packets_lost: stats.packets_lost,
            jitter_ms: stats.jitter_ms,
        }
    }
}

/// One exported conference.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct ConferenceTotals {
    id: u32,
    legs: u64,
    packets_in: u64,
    bytes_in: u64,
    packets_out: u64,
    bytes_out: u64,
}

/// A cumulative histogram over fixed bounds.
#[derive(Debug, Clone, Default)]
struct Histogram {
    /// Per bound, then +Inf; not cumulative.
    counts: [u64; 9],
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, bounds: &[f64; 8], value: f64) {
        let bucket = bounds
            .iter()
            .position(|&b| value <= b)
            .unwrap_or(bounds.len());
        if let Some(count) = self.counts.get_mut(bucket) {
            *count += 1;
        }
        self.sum += value;
    }

    fn render(&self, out: &mut String, name: &str, core: usize, bounds: &[f64; 8]) {
        let mut cumulative = 0;
        for (count, bound) in self
            .counts
            .iter()
            .zip(bounds.iter().map(Some).chain([None]))
        {
            cumulative += count;
            let le = bound.map_or_else(|| "+Inf".to_owned(), |b| b.to_string());
            let _ = writeln!(
                out,
                "{name}_bucket{{core=\"{core}\",le=\"{le}\"}} {cumulative}"
            );
        }
        let _ = writeln!(out, "{name}_sum{{core=\"{core}\"}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{core=\"{core}\"}} {cumulative}");
    }
}

#[derive(Debug, Default)]
struct Published {
    conferences: Vec<ConferenceTotals>,
    unexported: u64,
    jitter: Histogram,
    loss: Histogram,
}

/// What a core last published about its conferences and legs.
#[derive(Debug)]
pub(super) struct PublishedConferences {
    /// Milliseconds since the node's start of the last publication, `u64::MAX` for never.
    last_ms: AtomicU64,
    state: Mutex<Published>,
}

impl Default for PublishedConferences {
    fn default() -> Self {
        PublishedConferences {
            last_ms: AtomicU64::new(u64::MAX),
            state: Mutex::new(Published::default()),
        }
    }
}

impl CoreMetrics {
    /// Publishes `media`'s conferences and legs, at most once a second (`since_start` is
    /// the node's age now). Called from the core's housekeeping.
    pub fn publish_conferences(&self, media: &MediaCore, since_start: Duration) {
        if !self.conferences.due(since_start) {
            return;
        }
        let conferences = media.conference_ids().into_iter().map(|id| {
            let legs = media
                .conference(id)
                .map(|snapshot| {
                    snapshot
                        .legs
                        .iter()
                        .filter_map(|&leg| media.leg_stats(leg))
                        .map(|stats| LegSample::from(&stats))
                        .collect()
                })
                .unwrap_or_default();
            (id.0, legs)
        });
        self.publish_legs(since_start, conferences);
    }

    /// Publishes conferences given as (id, legs), in ascending id order.
    pub fn publish_legs(
        &self,
        since_start: Duration,
        conferences: impl Iterator<Item = (u32, Vec<LegSample>)>,
    ) {
        let Ok(mut state) = self.conferences.state.try_lock() else {
            return;
        };
        let published = &mut *state;
        published.conferences.clear();
        published.unexported = 0;
        for (id, legs) in conferences {
            for leg in &legs {
                let expected = leg.packets_received as i64 + leg.packets_lost.max(0);
                if leg.packets_received == 0 || expected <= 0 {
                    continue;
                }
                published
                    .jitter
                    .observe(&JITTER_BOUNDS_MS, leg.jitter_ms.max(0.0));
                let loss = 100.0 * leg.packets_lost.max(0) as f64 / expected as f64;
                published.loss.observe(&LOSS_BOUNDS_PERCENT, loss);
            }
            if published.conferences.len() == MAX_CONFERENCE_SERIES {
                published.unexported += 1;
                continue;
            }
            let mut totals = ConferenceTotals {
                id,
                legs: legs.len() as u64,
                ..ConferenceTotals::default()
            };
            for leg in &legs {
                totals.packets_in += leg.packets_in;
                totals.bytes_in += leg.bytes_in;
                totals.packets_out += leg.packets_out;
                totals.bytes_out += leg.bytes_out;
            }
            published.conferences.push(totals);
        }
        let ms = u64::try_from(since_start.as_millis()).unwrap_or(u64::MAX - 1);
        self.conferences.last_ms.store(ms, Ordering::Relaxed);
    }
}

impl PublishedConferences {
    fn due(&self, since_start: Duration) -> bool {
        let last = self.last_ms.load(Ordering::Relaxed);
        last == u64::MAX || since_start.saturating_sub(Duration::from_millis(last)) >= PUBLISH_EVERY
    }
}

/// Per-conference families: name, help, type, reader.
type ConferenceFamily = (
    &'static str,
    &'static str,
    &'static str,
    fn(&ConferenceTotals) -> u64,
);

const CONFERENCE_FAMILIES: [ConferenceFamily; 5] = [
    (
        "medianode_conference_legs",
        "Legs of the conference.",
        "gauge",
        |c| c.legs,
    ),
    (
        "medianode_conference_packets_in_total",
        "Datagrams received on the conference's current legs.",
        "counter",
        |c| c.packets_in,
    ),
    (
        "medianode_conference_bytes_in_total",
        "Bytes received on the conference's current legs.",
        "counter",
        |c| c.bytes_in,
    ),
    (
        "medianode_conference_packets_out_total",
        "Datagrams sent on the conference's current legs.",
        "counter",
        |c| c.packets_out,
    ),
    (
        "medianode_conference_bytes_out_total",
        "Bytes sent on the conference's current legs.",
        "counter",
        |c| c.bytes_out,
    ),
];

/// Renders every core's conferences and leg histograms.
pub(super) fn render_conferences(out: &mut String, cores: &[std::sync::Arc<CoreMetrics>]) {
    let states: Vec<(usize, Published)> = cores
        .iter()
        .map(|core| {
            let state = core
                .conferences
                .state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            (
                core.index,
                Published {
                    conferences: state.conferences.clone(),
                    unexported: state.unexported,
                    jitter: state.jitter.clone(),
                    loss: state.loss.clone(),
                },
            )
        })
        .collect();
    for (name, help, kind, read) in CONFERENCE_FAMILIES {
        header(out, name, help, kind);
        for (core, state) in &states {
            for conference in &state.conferences {
                let _ = writeln!(
                    out,
                    "{name}{{core=\"{core}\",conference=\"{}\"}} {}",
                    conference.id,
                    read(conference)
                );
            }
        }
    }
    let name = "medianode_conferences_unexported";
    header(
        out,
        name,
        &format!(
            "Conferences on the core beyond the {MAX_CONFERENCE_SERIES} exported with \
             per-conference series."
        ),
        "gauge",
    );
    for (core, state) in &states {
        let _ = writeln!(out, "{name}{{core=\"{core}\"}} {}", state.unexported);
    }
    let name = "medianode_leg_jitter_ms";
    header(
        out,
        name,
        "Interarrival jitter of receiving legs (RFC 3550), ms; one observation per leg per second.",
        "histogram",
    );
    for (core, state) in &states {
        state.jitter.render(out, name, *core, &JITTER_BOUNDS_MS);
    }
    let name = "medianode_leg_loss_percent";
    header(
        out,
        name,
        "Cumulative loss of receiving legs, % of expected packets; one observation per leg per \
         second.",
        "histogram",
    );
    for (core, state) in &states {
        state.loss.render(out, name, *core, &LOSS_BOUNDS_PERCENT);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn leg(packets: u64, lost: i64, jitter_ms: f64) -> LegSample {
        LegSample {
            packets_in: packets,
            bytes_in: packets * 172,
            packets_out: 2 * packets,
            bytes_out: 2 * packets * 172,
            packets_received: packets,
            packets_lost: lost,
            jitter_ms,
        }
    }

    #[test]
    fn conferences_are_summed_capped_and_their_legs_observed_once_a_second() {
        let core = Arc::new(CoreMetrics::new(1));
        let conferences = (0..MAX_CONFERENCE_SERIES as u32 + 3).map(|id| {
            (
                id,
                vec![leg(100, 0, 0.5), leg(90, 10, 30.0), leg(0, 0, 0.0)],
            )
        });
        core.publish_legs(Duration::from_secs(5), conferences);
        // Within the second: not due, nothing changes.
        assert!(!core.conferences.due(Duration::from_millis(5_999)));
        assert!(core.conferences.due(Duration::from_millis(6_000)));

        let mut out = String::new();
        render_conferences(&mut out, &[core]);
        for line in [
            "medianode_conference_legs{core=\"1\",conference=\"0\"} 3",
            "medianode_conference_packets_in_total{core=\"1\",conference=\"7\"} 190",
            "medianode_conference_bytes_out_total{core=\"1\",conference=\"99\"} 65360",
            "medianode_conferences_unexported{core=\"1\"} 3",
            // 103 conferences x 2 receiving legs: 103 at 0.5 ms, 103 at 30 ms.
            "medianode_leg_jitter_ms_bucket{core=\"1\",le=\"1\"} 103",
            "medianode_leg_jitter_ms_bucket{core=\"1\",le=\"20\"} 103",
            "medianode_leg_jitter_ms_bucket{core=\"1\",le=\"40\"} 206",
            "medianode_leg_jitter_ms_bucket{core=\"1\",le=\"+Inf\"} 206",
            "medianode_leg_jitter_ms_count{core=\"1\"} 206",
            // 10 of 100 expected lost: 10 %.
            "medianode_leg_loss_percent_bucket{core=\"1\",le=\"0.1\"} 103",
            "medianode_leg_loss_percent_bucket{core=\"1\",le=\"5\"} 103",
            "medianode_leg_loss_percent_bucket{core=\"1\",le=\"10\"} 206",
        ] {
            assert!(out.lines().any(|l| l == line), "missing {line}:\n{out}");
        }
        let series = out
            .lines()
            .filter(|l| l.starts_with("medianode_conference_legs{"))
            .count();
        assert_eq!(series, MAX_CONFERENCE_SERIES);
        assert!(!out.contains("conference=\"100\""), "beyond the cap");
    }

    #[test]
    fn a_conference_that_ended_has_no_series_and_histograms_keep_counting() {
        let core = Arc::new(CoreMetrics::new(0));
        core.publish_legs(Duration::ZERO, [(4, vec![leg(50, 0, 3.0)])].into_iter());
        core.publish_legs(Duration::from_secs(1), std::iter::empty());
        let mut out = String::new();
        render_conferences(&mut out, &[core]);
        assert!(!out.contains("conference=\"4\""), "{out}");
        assert!(out
            .lines()
            .any(|l| l == "medianode_leg_jitter_ms_count{core=\"0\"} 1"));
        assert!(out
            .lines()
            .any(|l| l == "medianode_leg_jitter_ms_bucket{core=\"0\",le=\"5\"} 1"));
    }
}
