//! What a core's mixers cost and did: how long each mixing pass took (a histogram, with
//! the passes that overran the 20 ms tick counted apart), how many conferences mix, and
//! frames decoded, concealed and encoded.
//!
//! The media core stays sans-IO, so it does not time itself: the core's event loop reads
//! the clock around a timeout that ran mixer ticks and records the time here in a plain
//! [`MixTickTimes`], published with the media core's [`MixingCounters`] at housekeeping.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use medianode_dataplane::conference::MixingCounters;
use medianode_dataplane::mixer::TICK;

use super::latency::{header, Latencies, LatencyBounds, PublishedLatencies};
use super::{CoreMetrics, NodeMetrics};

/// Upper bounds (inclusive, microseconds) of the tick-time histogram's buckets; longer
/// passes land in `+Inf`.
pub const MIX_TICK_BOUNDS_US: LatencyBounds = [
    100, 250, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000,
];

/// A core's own record of its mixing passes: their times, and how many overran a tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MixTickTimes {
    passes: Latencies,
    overruns: u64,
}

impl Default for MixTickTimes {
    fn default() -> Self {
        MixTickTimes {
            passes: Latencies::new(&MIX_TICK_BOUNDS_US),
            overruns: 0,
        }
    }
}

impl MixTickTimes {
    /// Records one mixing pass that took `elapsed`; one longer than a tick is an overrun.
    pub fn record(&mut self, elapsed: Duration) {
        self.passes.record(elapsed);
        if elapsed > TICK {
            self.overruns += 1;
        }
    }

    /// Passes recorded.
    pub fn count(&self) -> u64 {
        self.passes.count()
    }

    /// Passes that took longer than a tick.
    pub fn overruns(&self) -> u64 {
        self.overruns
    }
}

/// The published copy the HTTP thread reads.
#[derive(Debug, Default)]
pub struct PublishedMixing {
    passes: PublishedLatencies,
    overruns: AtomicU64,
    conferences: AtomicU64,
    ticks: AtomicU64,
    late_ticks: AtomicU64,
    decoded: AtomicU64,
    concealed: AtomicU64,
    encoded: AtomicU64,
    silent_mix_minus: AtomicU64,
    skipped_decodes: AtomicU64,
    end_to_end_rejected: AtomicU64,
    recording_dropped: AtomicU64,
}

impl PublishedMixing {
    fn store(&self, times: &MixTickTimes, counters: &MixingCounters) {
        self.passes.store(&times.passes);
        self.overruns.store(times.overruns, Ordering::Relaxed);
        self.conferences
            .store(counters.conferences, Ordering::Relaxed);
        self.ticks.store(counters.ticks, Ordering::Relaxed);
        self.late_ticks
            .store(counters.late_ticks, Ordering::Relaxed);
        self.decoded
            .store(counters.frames_decoded, Ordering::Relaxed);
        self.concealed
            .store(counters.frames_concealed, Ordering::Relaxed);
        self.encoded
            .store(counters.frames_encoded, Ordering::Relaxed);
        self.silent_mix_minus
            .store(counters.silent_mix_minus, Ordering::Relaxed);
        self.skipped_decodes
            .store(counters.skipped_decodes, Ordering::Relaxed);
        self.end_to_end_rejected
            .store(counters.end_to_end_rejected, Ordering::Relaxed);
        self.recording_dropped
            .store(counters.recording_dropped, Ordering::Relaxed);
    }
}

impl CoreMetrics {
    /// Publishes the core's mixing pass times and its media core's mixing counters.
    pub fn publish_mixing(&self, times: &MixTickTimes, counters: &MixingCounters) {
        self.mixing.store(times, counters);
    }
}

/// Per-core mixing counters: name, help, type, reader.
type MixFamily = (
    &'static str,
    &'static str,
    &'static str,
    fn(&PublishedMixing) -> &AtomicU64,
);

const MIX_FAMILIES: [MixFamily; 11] = [
    (
        "medianode_mixer_tick_overruns_total",
        "Mixing passes that took longer than the 20 ms tick.",
        "counter",
        |m| &m.overruns,
    ),
    (
        "medianode_mixer_late_ticks_total",
        "Mixer ticks that started a whole tick or more late.",
        "counter",
        |m| &m.late_ticks,
    ),
    (
        "medianode_mixer_ticks_total",
        "Mixer ticks run.",
        "counter",
        |m| &m.ticks,
    ),
    (
        "medianode_mixed_conferences",
        "Conferences mixing now (some leg receives the mix).",
        "gauge",
        |m| &m.conferences,
    ),
    (
        "medianode_mixer_frames_decoded_total",
        "Audio frames decoded into a mix.",
        "counter",
        |m| &m.decoded,
    ),
    (
        "medianode_mixer_frames_encoded_total",
        "Mix frames encoded (shared mixes and mix-minus outputs).",
        "counter",
        |m| &m.encoded,
    ),
    (
        "medianode_mixer_silent_mix_minus_total",
        "Mix-minus frames sent as pre-encoded silence (a talker alone in the mix), not encoded.",
        "counter",
        |m| &m.silent_mix_minus,
    ),
    (
        "medianode_mixer_decodes_skipped_total",
        "Ticks a selected talker in a pause was not decoded (its packets' level said silent).",
        "counter",
        |m| &m.skipped_decodes,
    ),
    (
        "medianode_mixer_end_to_end_rejected_total",
        "End-to-end talkers' packets the conference key refused for the mix (forged, \
         tampered or replayed); the forwarded packets are not affected.",
        "counter",
        |m| &m.end_to_end_rejected,
    ),
    (
        "medianode_mixer_frames_concealed_total",
        "Lost frames concealed (Opus PLC or FEC, G.711 fade-out).",
        "counter",
        |m| &m.concealed,
    ),
    (
        "medianode_recording_frames_dropped_total",
        "Recorded mix frames dropped because a recording's writer fell behind.",
        "counter",
        |m| &m.recording_dropped,
    ),
];

/// Renders the mixing families of every core.
pub(super) fn render_mixing(out: &mut String, metrics: &NodeMetrics) {
    let name = "medianode_mixer_tick_seconds";
    header(
        out,
        name,
        "Time a core spent in one mixing pass (all its conferences' due ticks).",
        "histogram",
    );
    for core in metrics.cores() {
        core.mixing
            .passes
            .render(out, name, core.index(), &MIX_TICK_BOUNDS_US);
    }
    for (name, help, kind, read) in MIX_FAMILIES {
        header(out, name, help, kind);
        for core in metrics.cores() {
            let value = read(&core.mixing).load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}{{core=\"{}\"}} {value}", core.index());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Instant;

    use super::*;

    #[test]
    fn pass_times_render_as_a_cumulative_histogram_with_overruns_counted() {
        let core = Arc::new(CoreMetrics::new(0));
        let metrics = NodeMetrics::new(Instant::now(), "scalar", vec![core.clone()]);
        let mut times = MixTickTimes::default();
        times.record(Duration::from_micros(80));
        times.record(Duration::from_micros(700));
        times.record(Duration::from_millis(25));
        assert_eq!((times.count(), times.overruns()), (3, 1));
        let mut counters = MixingCounters::default();
        counters.conferences = 2;
        counters.frames_decoded = 150;
        counters.silent_mix_minus = 40;
        counters.skipped_decodes = 7;
        counters.end_to_end_rejected = 3;
        core.publish_mixing(&times, &counters);

        let text = metrics.render(Instant::now());
        for line in [
            "medianode_mixer_tick_seconds_bucket{core=\"0\",le=\"0.000100\"} 1",
            "medianode_mixer_tick_seconds_bucket{core=\"0\",le=\"0.001000\"} 2",
            "medianode_mixer_tick_seconds_bucket{core=\"0\",le=\"0.020000\"} 2",
            "medianode_mixer_tick_seconds_bucket{core=\"0\",le=\"0.050000\"} 3",
            "medianode_mixer_tick_seconds_bucket{core=\"0\",le=\"+Inf\"} 3",
            "medianode_mixer_tick_seconds_sum{core=\"0\"} 0.025780",
            "medianode_mixer_tick_seconds_count{core=\"0\"} 3",
            "medianode_mixer_tick_overruns_total{core=\"0\"} 1",
            "medianode_mixed_conferences{core=\"0\"} 2",
            "medianode_mixer_frames_decoded_total{core=\"0\"} 150",
            "medianode_mixer_silent_mix_minus_total{core=\"0\"} 40",
            "medianode_mixer_decodes_skipped_total{core=\"0\"} 7",
            "medianode_mixer_end_to_end_rejected_total{core=\"0\"} 3",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}: {text}");
        }
    }
}
