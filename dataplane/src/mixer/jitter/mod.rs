//! A leg's jitter buffer: packets in, one tick of audio's worth of playout decisions out.
//!
//! The mixer plays every leg on one conference clock, so each leg's packets wait here until
//! their audio is due. The buffer
//!
//! - reorders by RTP sequence number and drops duplicates and packets that come after their
//!   audio was played or concealed (late, counted);
//! - aims for a delay of [`JitterConfig::multiplier`] times the RFC 3550 interarrival
//!   jitter, bounded by [`JitterConfig::min_delay`] and [`JitterConfig::max_delay`]: it
//!   waits for that much audio before a talkspurt starts, grows when it runs dry (the
//!   leg conceals and the awaited packet still plays when it comes), shrinks by dropping a
//!   packet when its delay has stayed a tick above the target for half a second (a quiet
//!   packet if the level is known), and never holds more than the maximum;
//! - declares a packet lost once the target's worth of later audio has arrived, and hands
//!   the next packet along so an Opus decoder can use its in-band FEC;
//! - goes idle after three ticks without audio (the sender stopped or paused), and waits for
//!   the target delay again when the next talkspurt begins.
//!
//! It is sans-IO like the rest of the core: the caller passes arrival times and asks, once
//! per tick, for playout decisions with [`JitterBuffer::begin_tick`] and
//! [`JitterBuffer::next`]. Storage is allocated once; nothing allocates per packet.

mod estimator;
mod sequence;
mod slots;
mod stats;

use std::time::{Duration, Instant};

use super::config::{JitterConfig, TICK};
use estimator::InterarrivalJitter;
use slots::{PacketSlots, SlotMeta, SLOTS};

pub use slots::MAX_PAYLOAD;
pub use stats::JitterStats;

/// A sequence number further ahead than this starts probation (RFC 3550 A.1).
const MAX_DROPOUT: u64 = 3000;
/// A sequence number further behind than this starts probation (RFC 3550 A.1).
const MAX_MISORDER: u64 = 100;
/// Ticks over which the lowest delay is watched before shrinking.
const SHRINK_WINDOW_TICKS: u32 = 25;
/// A packet at least this loud (-dBov below it) is not dropped to shrink the delay unless
/// the delay is well above the target.
const LOUD_DBOV: u8 = 50;
/// Ticks of concealment without a packet after which the leg counts as idle.
const IDLE_AFTER_TICKS: u32 = 3;

/// What the buffer needs to know about an arriving packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketInfo {
    /// The RTP sequence number.
    pub sequence_number: u16,
    /// The RTP timestamp.
    pub timestamp: u32,
    /// The RTP SSRC; a new one restarts the stream.
    pub ssrc: u32,
    /// The packet's duration in RTP timestamp units.
    pub samples: u32,
    /// The packet's RFC 6464 level, if known on arrival.
    pub level_dbov: Option<u8>,
}

/// What became of an arriving packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InsertOutcome {
    /// Held until its audio is due.
    Buffered,
    /// Its audio was already played or concealed; dropped.
    Late,
    /// Already held; dropped.
    Duplicate,
    /// Its sequence number jumped too far from the stream's; dropped (a second packet
    /// continuing the jump restarts the stream).
    OutOfWindow,
    /// Larger than [`MAX_PAYLOAD`]; dropped.
    TooLarge,
}

/// The next step of a leg's playout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Playout<'a> {
    /// Decode this packet.
    Packet {
        /// The payload.
        payload: &'a [u8],
        /// Its duration in RTP timestamp units.
        samples: u32,
        /// Its level (-dBov, as RFC 6464 counts it), if it was known on arrival.
        level_dbov: Option<u8>,
    },
    /// A packet was lost: conceal `samples`, from the in-band FEC of `fec` (the packet that
    /// follows the lost one) when it is given.
    Lost {
        /// Audio to conceal, in RTP timestamp units.
        samples: u32,
        /// The next packet, which may carry the lost one's FEC.
        fec: Option<&'a [u8]>,
    },
    /// The buffer ran dry: conceal `samples` (what was asked for) and keep waiting.
    Underrun {
        /// Audio to conceal, in RTP timestamp units.
        samples: u32,
    },
    /// No talkspurt is playing: the leg is silent this tick.
    Idle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing to play; waiting for a packet.
    Idle,
    /// Packets arriving; waiting for the target delay's worth before playing.
    Buffering,
    /// Playing a talkspurt.
    Playing,
}

/// The jitter buffer of one leg.
#[derive(Debug, Clone)]
pub struct JitterBuffer {
    config: JitterConfig,
    clock_rate: u32,
    tick_samples: u32,
    slots: PacketSlots,
    ssrc: Option<u32>,
    /// Highest extended sequence number held or played in this stream.
    highest: Option<u64>,
    /// The next sequence number to play; everything below is done.
    next: Option<u64>,
    /// The sequence number that would confirm a jump.
    probation: Option<u16>,
    state: State,
    /// Samples concealed while waiting for `next`.
    concealed_ahead: u32,
    /// Samples concealed since the last packet played.
    dry_samples: u32,
    /// Duration of the last packet played, the guess for a missing one.
    last_samples: u32,
    estimator: InterarrivalJitter,
    window_min: u32,
    window_ticks: u32,
    stats: JitterStats,
}

impl JitterBuffer {
    /// An empty buffer for a stream with RTP clock `clock_rate` (Hz). The configuration is
    /// taken as validated (see [`super::MixerConfig`]).
    pub fn new(config: JitterConfig, clock_rate: u32) -> JitterBuffer {
        let clock_rate = clock_rate.max(1);
        let tick_samples = samples_of(TICK, clock_rate);
        JitterBuffer {
            config,
            clock_rate,
            tick_samples,
            slots: PacketSlots::new(),
            ssrc: None,
            highest: None,
            next: None,
            probation: None,
            state: State::Idle,
            concealed_ahead: 0,
            dry_samples: 0,
            last_samples: tick_samples,
            estimator: InterarrivalJitter::new(clock_rate),
            window_min: u32::MAX,
            window_ticks: 0,
            stats: JitterStats::default(),
        }
    }

    /// Takes in a packet that arrived at `now`.
    pub fn insert(&mut self, info: PacketInfo, payload: &[u8], now: Instant) -> InsertOutcome {
        if payload.len() > MAX_PAYLOAD {
            return InsertOutcome::TooLarge;
        }
        if self.ssrc.is_some_and(|ssrc| ssrc != info.ssrc) {
            self.restart();
        }
        self.ssrc = Some(info.ssrc);
        let seq = match self.highest {
            None => sequence::ORIGIN | u64::from(info.sequence_number),
            Some(highest) => {
                let seq = sequence::extend(highest, info.sequence_number);
                let jumped = seq > highest + MAX_DROPOUT || seq + MAX_MISORDER < highest;
                if jumped {
                    if self.probation != Some(info.sequence_number) {
                        self.probation = Some(info.sequence_number.wrapping_add(1));
                        self.stats.out_of_window += 1;
                        return InsertOutcome::OutOfWindow;
                    }
                    self.restart();
                    sequence::ORIGIN | u64::from(info.sequence_number)
                } else {
                    seq
                }
            }
        };
        self.probation = None;
        if self.next.is_some_and(|next| seq < next)
            || self.highest.is_some_and(|h| seq + SLOTS as u64 <= h)
        {
            self.stats.late += 1;
            return InsertOutcome::Late;
        }
        if self.slots.contains(seq) {
            self.stats.duplicates += 1;
            return InsertOutcome::Duplicate;
        }
        self.make_room_for(seq);
        let meta = SlotMeta {
            seq,
            present: true,
            len: 0,
            samples: info.samples,
            level_dbov: info.level_dbov,
        };
        if !self.slots.store(meta, payload) {
            return InsertOutcome::TooLarge;
        }
        self.highest = Some(self.highest.map_or(seq, |h| h.max(seq)));
        self.estimator.observe(now, info.timestamp);
        self.stats.buffered += 1;
        if self.state == State::Idle {
            self.state = State::Buffering;
        }
        InsertOutcome::Buffered
    }

    /// Starts a tick: begins a talkspurt once the target delay is buffered, enforces the
    /// maximum delay, and shrinks a delay that stayed above the target.
    pub fn begin_tick(&mut self) {
        let target = self.target_samples();
        match self.state {
            State::Idle => self.stats.delay = Duration::ZERO,
            State::Buffering => {
                let start = match self.next {
                    Some(next) => self.slots.lowest_from(next),
                    None => self.slots.lowest(),
                };
                let Some(start) = start else {
                    self.state = State::Idle;
                    return;
                };
                let buffered = self.buffered_from(start);
                self.stats.delay = self.duration_of(buffered);
                if buffered >= target {
                    self.state = State::Playing;
                    self.next = Some(start);
                    self.concealed_ahead = 0;
                    self.dry_samples = 0;
                    self.window_min = u32::MAX;
                    self.window_ticks = 0;
                    self.adapt(target);
                }
            }
            State::Playing => self.adapt(target),
        }
    }

    /// The next playout step, `wanted` being the audio (RTP timestamp units) the leg still
    /// needs this tick.
    pub fn next(&mut self, wanted: u32) -> Playout<'_> {
        loop {
            let (State::Playing, Some(next)) = (self.state, self.next) else {
                return Playout::Idle;
            };
            if self.slots.contains(next) {
                self.next = Some(next + 1);
                self.concealed_ahead = 0;
                self.dry_samples = 0;
                self.stats.played += 1;
                let Some((meta, payload)) = self.slots.take(next) else {
                    return Playout::Idle;
                };
                self.last_samples = meta.samples;
                return Playout::Packet {
                    payload,
                    samples: meta.samples,
                    level_dbov: meta.level_dbov,
                };
            }
            let later = self.highest.is_some_and(|h| h > next);
            if later && self.buffered_from(next) >= self.target_samples() {
                self.next = Some(next + 1);
                self.stats.lost += 1;
                let follower = self.slots.meta(next + 1);
                let duration = self
                    .slots
                    .lowest_from(next + 1)
                    .and_then(|seq| self.slots.meta(seq))
                    .map_or(self.last_samples, |m| m.samples);
                if self.concealed_ahead >= duration {
                    // The wait before giving up already covered this packet's time.
                    self.concealed_ahead -= duration;
                    continue;
                }
                let whole = self.concealed_ahead == 0;
                let samples = duration - self.concealed_ahead;
                self.concealed_ahead = 0;
                self.dry_samples = self.dry_samples.saturating_add(samples);
                let fec = match (whole, follower) {
                    (true, Some(_)) => self.slots.payload(next + 1),
                    _ => None,
                };
                return Playout::Lost { samples, fec };
            }
            if !later && self.dry_samples >= IDLE_AFTER_TICKS * self.tick_samples {
                self.state = State::Idle;
                self.concealed_ahead = 0;
                return Playout::Idle;
            }
            self.concealed_ahead = self.concealed_ahead.saturating_add(wanted);
            self.dry_samples = self.dry_samples.saturating_add(wanted);
            self.stats.underruns += 1;
            return Playout::Underrun { samples: wanted };
        }
    }

    /// Whether a talkspurt is playing.
    pub fn is_playing(&self) -> bool {
        self.state == State::Playing
    }

    /// The level (-dBov) known on arrival of the packet that plays next, if a talkspurt is
    /// playing and that packet is here: what the leg is about to say, before anything
    /// decodes it.
    pub fn upcoming_level(&self) -> Option<u8> {
        let (State::Playing, Some(next)) = (self.state, self.next) else {
            return None;
        };
        self.slots.meta(next).and_then(|m| m.level_dbov)
    }

    /// The delay the buffer aims for now.
    pub fn target_delay(&self) -> Duration {
        self.duration_of(self.target_samples())
    }

    /// Counters, and the jitter, target and delay as of the last tick.
    pub fn stats(&self) -> JitterStats {
        JitterStats {
            jitter: Duration::from_secs_f64(self.estimator.seconds().clamp(0.0, 10.0)),
            target_delay: self.target_delay(),
            ..self.stats
        }
    }

    /// Forgets the stream: the next packet starts a new one.
    pub fn restart(&mut self) {
        self.slots.clear();
        self.highest = None;
        self.next = None;
        self.probation = None;
        self.state = State::Idle;
        self.concealed_ahead = 0;
        self.dry_samples = 0;
        self.estimator.restart();
        self.stats.resyncs += 1;
    }

    fn adapt(&mut self, target: u32) {
        let Some(mut next) = self.next else { return };
        let max = samples_of(self.config.max_delay, self.clock_rate);
        let mut buffered = self.buffered_from(next);
        while buffered > max {
            if self.slots.release(next).is_some() {
                self.stats.overflow_drops += 1;
            }
            next += 1;
            buffered = self.buffered_from(next);
        }
        self.next = Some(next);
        self.stats.delay = self.duration_of(buffered);
        self.window_min = self.window_min.min(buffered);
        self.window_ticks += 1;
        if self.window_ticks < SHRINK_WINDOW_TICKS {
            return;
        }
        let excess = self.window_min.saturating_sub(target);
        self.window_min = u32::MAX;
        self.window_ticks = 0;
        if excess <= self.tick_samples {
            return;
        }
        let loud = self
            .slots
            .meta(next)
            .and_then(|m| m.level_dbov)
            .is_some_and(|level| level < LOUD_DBOV);
        if (!loud || excess > 3 * self.tick_samples) && self.slots.release(next).is_some() {
            self.stats.shrink_drops += 1;
            self.next = Some(next + 1);
        }
    }

    /// Evicts what must go for `seq` to fit in the ring with everything newer.
    fn make_room_for(&mut self, seq: u64) {
        let base = match self.next {
            Some(next) => next,
            None => self.slots.lowest().unwrap_or(seq),
        };
        if seq < base + SLOTS as u64 {
            return;
        }
        let new_base = seq + 1 - SLOTS as u64;
        let dropped = if new_base - base >= SLOTS as u64 {
            self.slots.clear()
        } else {
            (base..new_base)
                .map(|s| u64::from(self.slots.release(s).is_some()))
                .sum()
        };
        self.stats.overflow_drops += dropped;
        if self.next.is_some() {
            self.next = Some(new_base);
        }
    }

    /// Audio from `start` to the newest packet, guessing missing packets' durations.
    fn buffered_from(&self, start: u64) -> u32 {
        let Some(highest) = self.highest else {
            return 0;
        };
        let end = highest.min(start + SLOTS as u64 - 1);
        (start..=end)
            .map(|seq| {
                self.slots
                    .meta(seq)
                    .map_or(self.last_samples, |m| m.samples)
            })
            .fold(0u32, u32::saturating_add)
    }

    fn target_samples(&self) -> u32 {
        let jitter = self.estimator.seconds() * f64::from(self.config.multiplier);
        let target = Duration::from_secs_f64(jitter.clamp(0.0, 10.0))
            .clamp(self.config.min_delay, self.config.max_delay);
        samples_of(target, self.clock_rate)
    }

    fn duration_of(&self, samples: u32) -> Duration {
        Duration::from_secs_f64(f64::from(samples) / f64::from(self.clock_rate))
    }
}

/// `duration` in units of a `clock_rate` clock, rounded down.
fn samples_of(duration: Duration, clock_rate: u32) -> u32 {
    let samples = duration.as_micros() * u128::from(clock_rate) / 1_000_000;
    u32::try_from(samples).unwrap_or(u32::MAX)
}
