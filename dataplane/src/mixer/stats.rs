//! What the mixer counts, per leg and per conference, for metrics and tests.

use super::jitter::JitterStats;

/// What happened to one leg's media in the mixer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LegMixStats {
    /// The leg's jitter buffer.
    pub jitter: JitterStats,
    /// Packets decoded into the mix (or, for a level-only Opus leg, for its level).
    pub decoded: u64,
    /// Lost packets rebuilt from the next packet's in-band FEC.
    pub fec_recovered: u64,
    /// Lost packets extrapolated (Opus PLC) or faded out (G.711).
    pub concealed: u64,
    /// Packets the decoder refused; concealed instead.
    pub decode_errors: u64,
    /// Telephone-events handed back for forwarding.
    pub passed_through: u64,
    /// Packets dropped on arrival (malformed, wrong payload type, late, duplicate, ...).
    pub dropped: u64,
}

/// What one conference's mixer did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MixerCounters {
    /// Ticks mixed.
    pub ticks: u64,
    /// Ticks that started a whole tick or more behind the mixing clock (the core was
    /// overloaded or a tick overran its 20 ms); the clock then skips ahead.
    pub late_ticks: u64,
    /// Ticks skipped to catch up with the clock.
    pub skipped_ticks: u64,
    /// Encodes that shared one output among several legs.
    pub shared_encodes: u64,
    /// Encodes of a talker's own mix-minus.
    pub mix_minus_encodes: u64,
    /// Ticks a talker alone in the mix received pre-encoded silence as its mix-minus,
    /// without an encode.
    pub silent_mix_minus: u64,
    /// Ticks a selected talker was not decoded: silent past its hangover by the level its
    /// packets carry, so out of the mix.
    pub skipped_decodes: u64,
    /// Encodes of a talker's voice alone for listeners of another codec or protection.
    pub relay_encodes: u64,
    /// Encoder calls that failed; the packet was not sent.
    pub encode_errors: u64,
}
