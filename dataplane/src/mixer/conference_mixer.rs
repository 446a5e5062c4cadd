//! The mixer of one conference: legs in, one mixing clock, encoded outputs per tick.

use std::time::{Duration, Instant};

use medianode_simd::accumulate;

use super::config::{
    MixLegConfig, MixerConfig, QUIET_HANGOVER_TICKS, SILENCE_LEVEL, TICK, TICK_SAMPLES,
};
use super::encoder::OutputEncoder;
use super::leg::{DueLevel, MixLeg, PUSH_SCRATCH};
use super::limiter::Limiter;
use super::output::{Delivery, MixOutput, MixedTick, OutputIndex, OutputKind};
use super::relay::Relay;
use super::stats::{LegMixStats, MixerCounters};
use super::{MixerError, PushOutcome};
use crate::conference::{Codec, LegId, LoudestN, SelectionChange, SelectionPolicy};

/// One shared output per codec and packet time in use.
#[derive(Debug, Clone, Copy)]
struct SharedGroup {
    codec: Codec,
    ptime: Duration,
    output: usize,
    /// Taps (recordings) that keep it encoded with no leg listening.
    taps: usize,
}

/// The sans-IO mixer of one conference.
///
/// The media core adds legs ([`Self::add_leg`]), hands it every audio packet of a mixed
/// leg with the arrival time ([`Self::push_packet`]; telephone-events come back as
/// [`PushOutcome::PassThrough`] for forwarding), and calls [`Self::tick`] whenever
/// [`Self::next_tick`] has passed. Each tick mixes 20 ms at 48 kHz:
///
/// 1. the loudest-N selector (levels from RFC 6464 or decoded G.711 on arrival, from the
///    decoded frame for Opus legs without the extension) picks the talkers;
/// 2. every leg's jitter buffer plays out; only selected talkers (not those silent past
///    their hangover whose packets say so) and Opus legs whose level needs decoding are
///    decoded, concealed and resampled to 48 kHz;
/// 3. their frames are summed in 32 bits; every talker in the sum gets its own
///    mix-minus (pre-encoded silence when it is alone in the sum), every other leg the
///    shared mix of its codec and packet time, each through a look-ahead limiter and
///    encoded once.
///
/// The returned [`MixedTick`] says which output each leg receives (legs added with
/// [`MixLegConfig::talk_only`] receive none); payloads stay in the mixer's buffers.
/// After [`Self::add_leg`], ticks do not allocate.
#[derive(Debug)]
pub struct ConferenceMixer {
    pub(super) config: MixerConfig,
    selector: LoudestN,
    /// Sorted by id.
    pub(super) legs: Vec<MixLeg>,
    pub(super) outputs: Vec<Option<MixOutput>>,
    shared: Vec<SharedGroup>,
    pub(super) relays: Vec<Relay>,
    /// The limiter of the shared mix, which every shared output encodes.
    shared_limiter: Limiter,
    /// The shared limiter as it was before this tick, where a new talker's stream starts.
    shared_limiter_before: Limiter,
    /// Legs whose audio is in this tick's sum.
    contributors: usize,
    total: Vec<i32>,
    pub(super) minus: Vec<i32>,
    shared_pcm: Vec<i16>,
    pub(super) talker_pcm: Vec<i16>,
    push_scratch: Vec<i16>,
    next_tick: Instant,
    deliveries: Vec<Delivery>,
    changes: Vec<SelectionChange>,
    pub(super) counters: MixerCounters,
}

impl ConferenceMixer {
    /// A mixer with no legs whose first tick falls due one tick after `now`.
    pub fn new(config: MixerConfig, now: Instant) -> Result<ConferenceMixer, MixerError> {
        config.validate()?;
        Ok(ConferenceMixer {
            config,
            selector: LoudestN::new(config.selection),
            legs: Vec::new(),
            outputs: Vec::new(),
            shared: Vec::new(),
            relays: Vec::new(),
            shared_limiter: Limiter::new(),
            shared_limiter_before: Limiter::new(),
            contributors: 0,
            total: vec![0; TICK_SAMPLES],
            minus: vec![0; TICK_SAMPLES],
            shared_pcm: vec![0; TICK_SAMPLES],
            talker_pcm: vec![0; TICK_SAMPLES],
            push_scratch: vec![0; PUSH_SCRATCH],
            next_tick: now + TICK,
            deliveries: Vec::new(),
            changes: Vec::new(),
            counters: MixerCounters::default(),
        })
    }

    /// Adds a leg. Its decoder, jitter buffer and mix-minus encoder are built here, so that
    /// ticks never allocate.
    pub fn add_leg(&mut self, leg: LegId, config: MixLegConfig) -> Result<(), MixerError> {
        config.validate()?;
        let Err(position) = self.position(leg) else {
            return Err(MixerError::DuplicateLeg(leg));
        };
        let talker = MixOutput {
            kind: OutputKind::MixMinus(leg),
            ptime: config.ptime,
            encoder: OutputEncoder::new(config.codec, config.ptime_ms(), &self.config.opus)?,
            limiter: Limiter::new(),
        };
        let shared = self.shared_output(config)?;
        let talker = self.place_output(talker);
        let mix_leg = match MixLeg::new(leg, config, &self.config, talker, shared) {
            Ok(mix_leg) => mix_leg,
            Err(e) => {
                self.outputs[talker] = None;
                return Err(e);
            }
        };
        self.legs.insert(position, mix_leg);
        self.selector.add(leg);
        let legs = self.legs.len();
        self.deliveries
            .reserve(legs.saturating_sub(self.deliveries.len()));
        self.changes
            .reserve((2 * legs).saturating_sub(self.changes.len()));
        Ok(())
    }

    /// Keeps the shared mix of `config`'s codec and packet time encoded at every tick,
    /// whether or not a leg listens, and returns its output: a recording taps it there.
    pub fn add_tap(&mut self, config: MixLegConfig) -> Result<OutputIndex, MixerError> {
        config.validate()?;
        let output = self.shared_output(config)?;
        if let Some(group) = self.shared.iter_mut().find(|g| g.output == output) {
            group.taps += 1;
        }
        Ok(OutputIndex(output))
    }

    /// Ends one tap of `output` (from [`Self::add_tap`]).
    pub fn remove_tap(&mut self, output: OutputIndex) {
        if let Some(group) = self.shared.iter_mut().find(|g| g.output == output.0) {
            group.taps = group.taps.saturating_sub(1);
        }
    }

    /// Removes a leg; its mix-minus output goes with it.
    pub fn remove_leg(&mut self, leg: LegId) -> Result<(), MixerError> {
        let position = self
            .position(leg)
            .map_err(|_| MixerError::UnknownLeg(leg))?;
        let removed = self.legs.remove(position);
        if let Some(slot) = self.outputs.get_mut(removed.talker_output) {
            *slot = None;
        }
        let outputs = &mut self.outputs;
        self.relays.retain(|relay| {
            let keep = relay.leg != leg;
            if !keep {
                if let Some(slot) = outputs.get_mut(relay.output) {
                    *slot = None;
                }
            }
            keep
        });
        self.selector.remove(leg);
        Ok(())
    }

    /// Takes in one RTP packet of `leg` that arrived at `now`.
    pub fn push_packet(
        &mut self,
        leg: LegId,
        packet: &[u8],
        now: Instant,
    ) -> Result<PushOutcome, MixerError> {
        let position = self
            .position(leg)
            .map_err(|_| MixerError::UnknownLeg(leg))?;
        let mix_leg = &mut self.legs[position];
        let (outcome, level) = mix_leg.push(packet, now, &mut self.push_scratch);
        if let Some(level) = level {
            self.selector.observe(leg, level, now);
        }
        Ok(outcome)
    }

    /// When the next tick falls due.
    pub fn next_tick(&self) -> Instant {
        self.next_tick
    }

    /// Mixes one tick if it is due at `now`; `None` if it is not. A tick a whole period or
    /// more late is counted, and the clock skips the ticks it missed.
    pub fn tick(&mut self, now: Instant) -> Option<MixedTick<'_>> {
        if now < self.next_tick {
            return None;
        }
        self.advance_clock(now);
        self.changes.clear();
        self.selector.tick(now, &mut self.changes);
        self.mark_selected();
        self.render_legs(now);
        self.encode_shared();
        self.encode_mix_minus();
        self.encode_relays();
        self.deliver();
        Some(MixedTick {
            deliveries: &self.deliveries,
            outputs: &self.outputs,
            changes: &self.changes,
        })
    }

    /// Replaces the talker selection policy; the changes are appended to `changes`.
    pub fn set_selection(
        &mut self,
        policy: SelectionPolicy,
        now: Instant,
        changes: &mut Vec<SelectionChange>,
    ) {
        self.config.selection = policy;
        self.selector.set_policy(policy, now, changes);
    }

    /// Whether `leg` is one of the selected talkers.
    pub fn is_selected(&self, leg: LegId) -> bool {
        self.selector.is_selected(leg)
    }

    /// The legs in the mix, ascending.
    pub fn legs(&self) -> impl Iterator<Item = LegId> + '_ {
        self.legs.iter().map(|l| l.id)
    }

    /// What happened to `leg`'s media.
    pub fn leg_stats(&self, leg: LegId) -> Option<LegMixStats> {
        let position = self.position(leg).ok()?;
        self.legs.get(position).map(MixLeg::stats)
    }

    /// What the mixer did.
    pub fn counters(&self) -> MixerCounters {
        self.counters
    }

    pub(super) fn position(&self, leg: LegId) -> Result<usize, usize> {
        self.legs.binary_search_by_key(&leg, |l| l.id)
    }

    /// The shared output of `config`'s codec and packet time, created on first use.
    fn shared_output(&mut self, config: MixLegConfig) -> Result<usize, MixerError> {
        let existing = self
            .shared
            .iter()
            .find(|g| g.codec == config.codec && g.ptime == config.ptime);
        if let Some(group) = existing {
            return Ok(group.output);
        }
        let output = MixOutput {
            kind: OutputKind::Shared,
            ptime: config.ptime,
            encoder: OutputEncoder::new(config.codec, config.ptime_ms(), &self.config.opus)?,
            limiter: Limiter::new(),
        };
        let index = self.place_output(output);
        self.shared.push(SharedGroup {
            codec: config.codec,
            ptime: config.ptime,
            output: index,
            taps: 0,
        });
        Ok(index)
    }

    pub(super) fn place_output(&mut self, output: MixOutput) -> usize {
        match self.outputs.iter().position(Option::is_none) {
            Some(free) => {
                self.outputs[free] = Some(output);
                free
            }
            None => {
                self.outputs.push(Some(output));
                self.outputs.len() - 1
            }
        }
    }

    fn advance_clock(&mut self, now: Instant) {
        let behind = now.saturating_duration_since(self.next_tick);
        if behind >= TICK {
            let missed = behind.as_nanos() / TICK.as_nanos();
            let missed = u32::try_from(missed).unwrap_or(u32::MAX);
            self.counters.late_ticks += 1;
            self.counters.skipped_ticks += u64::from(missed);
            self.next_tick += TICK.saturating_mul(missed);
        }
        self.next_tick += TICK;
        self.counters.ticks += 1;
    }

    fn mark_selected(&mut self) {
        for leg in &mut self.legs {
            leg.selected = false;
        }
        for id in self.selector.selected() {
            if let Ok(i) = self.legs.binary_search_by_key(&id, |l| l.id) {
                self.legs[i].selected = true;
            }
        }
    }

    /// Plays every leg out and sums the talkers.
    ///
    /// A selected talker that has been silent for [`QUIET_HANGOVER_TICKS`] (a pause, or
    /// a listener the loudest-N set still holds) leaves the sum: it then hears the shared
    /// mix, which no longer holds its (silent) voice, and its own mix-minus is not
    /// encoded. In conversation most selected talkers are silent most of the time, so
    /// this saves most mix-minus encodes; the hangover keeps short gaps between words
    /// from moving a talker back and forth.
    ///
    /// Where a leg's packets carry their level (RFC 6464, or a G.711 payload's own), its
    /// silence is judged by that level, read before the tick plays, so a talker out of the
    /// sum is not decoded either: its packets are consumed unheard, and the tick its level
    /// says it talks again it is decoded (from a fresh decoder) and back in the sum. A
    /// packet that lacks the level it should carry is decoded to find out.
    fn render_legs(&mut self, now: Instant) {
        self.total.fill(0);
        self.contributors = 0;
        for leg in &mut self.legs {
            leg.begin_tick();
            let due = leg.due_level();
            match due {
                DueLevel::Packet(level) => {
                    leg.quiet_ticks = quiet_ticks_after(leg.quiet_ticks, Some(level), true);
                }
                DueLevel::Silent => {
                    leg.quiet_ticks = quiet_ticks_after(leg.quiet_ticks, None, true);
                }
                DueLevel::Unknown => {}
            }
            let in_hangover = leg.quiet_ticks < QUIET_HANGOVER_TICKS;
            let decode = leg.level_from_decode
                || (leg.selected && (in_hangover || due == DueLevel::Unknown));
            if leg.selected && !decode {
                self.counters.skipped_decodes += 1;
            }
            leg.render(decode);
            if due == DueLevel::Unknown {
                let level = leg.decoded_level();
                if let (true, Some(level)) = (leg.level_from_decode, level) {
                    self.selector.observe(leg.id, level, now);
                }
                leg.quiet_ticks = quiet_ticks_after(leg.quiet_ticks, level, false);
            }
            leg.contributed = leg.contributing;
            leg.contributing =
                leg.selected && leg.has_audio && leg.quiet_ticks < QUIET_HANGOVER_TICKS;
            if leg.contributing {
                self.contributors += 1;
                accumulate(&mut self.total, &leg.frame);
            }
        }
    }

    /// Limits the full mix once and encodes it once per shared output that has listeners.
    fn encode_shared(&mut self) {
        for output in self.outputs.iter_mut().flatten() {
            output.encoder.begin_tick();
        }
        self.shared_limiter_before
            .copy_state_from(&self.shared_limiter);
        self.shared_limiter
            .process(&self.total, &mut self.shared_pcm);
        for group in &self.shared {
            let listened = group.taps > 0
                || self.legs.iter().any(|l| {
                    l.config.receives_mix && !l.contributing && l.shared_output == group.output
                });
            let Some(Some(output)) = self.outputs.get_mut(group.output) else {
                continue;
            };
            if !listened {
                output.encoder.skip_tick();
                continue;
            }
            self.counters.shared_encodes += 1;
            if !output.encoder.encode_tick(&self.shared_pcm) {
                self.counters.encode_errors += 1;
            }
        }
    }

    /// Gives each talker in the mix the mix without itself.
    ///
    /// A talker alone in the mix would hear digital silence: its encoder does not run, and
    /// it receives the output's pre-encoded silent packets on its own stream, so it hears
    /// no change of stream when another talker joins. Its limiter restarts from silence,
    /// as it would have been after the silent tick, and the encoder restarts before it
    /// encodes again.
    fn encode_mix_minus(&mut self) {
        let lone = self.contributors == 1;
        for leg in &self.legs {
            let Some(Some(output)) = self.outputs.get_mut(leg.talker_output) else {
                continue;
            };
            if !leg.contributing || !leg.config.receives_mix {
                output.encoder.skip_tick();
                continue;
            }
            if lone {
                output.limiter.reset();
                self.counters.silent_mix_minus += 1;
                if !output.encoder.silent_tick() {
                    self.counters.encode_errors += 1;
                }
                continue;
            }
            if !leg.contributed {
                // A new talker's stream continues from the shared mix it heard until now.
                output.limiter.copy_state_from(&self.shared_limiter_before);
            }
            // In 32 bits, not through `simd::mix_minus`, which would narrow (and clip)
            // before the limiter could act.
            for ((m, &t), &own) in self.minus.iter_mut().zip(&self.total).zip(&leg.frame) {
                *m = t.wrapping_sub(i32::from(own));
            }
            output.limiter.process(&self.minus, &mut self.talker_pcm);
            self.counters.mix_minus_encodes += 1;
            if !output.encoder.encode_tick(&self.talker_pcm) {
                self.counters.encode_errors += 1;
            }
        }
    }

    fn deliver(&mut self) {
        self.deliveries.clear();
        for leg in self.legs.iter().filter(|l| l.config.receives_mix) {
            let output = if leg.contributing {
                leg.talker_output
            } else {
                leg.shared_output
            };
            self.deliveries.push(Delivery {
                leg: leg.id,
                output: OutputIndex(output),
            });
        }
    }
}

/// A leg's count of silent ticks after a tick at `level` (-dBov): one more when the tick
/// was quiet, none when it was heard. A tick without audio (`None`) counts as quiet where
/// `silent_without_audio`: then a talker that resumes with room noise after a pause in
/// its stream stays out of the mix.
fn quiet_ticks_after(quiet_ticks: u32, level: Option<u8>, silent_without_audio: bool) -> u32 {
    match level {
        Some(level) if level < SILENCE_LEVEL => 0,
        Some(_) => quiet_ticks.saturating_add(1),
        None if silent_without_audio => quiet_ticks.saturating_add(1),
        None => 0,
    }
}
