//! The mix half of a conference: legs that take one stream ([`Receive::Mix`]) hear the
//! conference's [`ConferenceMixer`] instead of forwarded packets.
//!
//! A conference owns a mixer while at least one of its legs receives the mix. Every leg
//! the mixer can decode joins it (legs receiving streams join talk-only, so nothing is
//! encoded for them); the selected talkers' audio reaches it from `routing` after SRTP
//! unprotect. The mixer ticks every 20 ms on the core's timer queue; what a tick encodes
//! is sent to the mix legs as RTP. An output (the shared mix of one codec and packet time,
//! or one talker's mix-minus) is encoded once; each leg receives it as its own continuous
//! stream (its own SSRC, sequence numbers and timestamps, its own payload type), so a leg
//! that moves between the shared mix and its mix-minus as it enters and leaves the talker
//! set sees no new stream. A hop-by-hop leg's copies are protected as one batch under its
//! key.
//!
//! End-to-end legs mix only in a conference whose key the focus handed over
//! (`mixer_keying`): their talkers' packets are unprotected as copies for the mixer, and
//! the mix reaches them as a sender of its own under the conference key. The shared mix is
//! then one stream per codec, packet time and payload type, protected once and copied to
//! each of its listeners; a talker's mix-minus is its own stream under its own SSRC.
//!
//! The mixer also runs, with no leg taking the mix, while the conference relays a talker
//! to listeners of another codec or protection (`relaying`). Writing and sealing what a
//! tick encoded is `mix_send`'s.
use std::time::{Duration, Instant};

use super::conference_state::Conference;
use super::leg::Leg;
use super::media_core::{MediaCore, NO_LEG};
use super::mix_send::{fresh_stream, TickSender};
use super::relaying::send_relays;
use super::slab::SlotHandle;
use super::timers::TimerKind;
use super::{ConferenceError, LegId, Outbox, Receive, SelectionPolicy};
use crate::mixer::{ConferenceMixer, OutputKind, TICK};

/// What the core's mixers did, over all its conferences since the core started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MixingCounters {
    /// Conferences mixing now.
    pub conferences: u64,
    /// Mixer ticks run.
    pub ticks: u64,
    /// Ticks that started a whole tick or more late (the core was busy).
    pub late_ticks: u64,
    /// Ticks skipped to catch up.
    pub skipped_ticks: u64,
    /// Packets decoded into a mix (or for a level).
    pub frames_decoded: u64,
    /// Lost packets concealed (Opus PLC or G.711 fade-out) or rebuilt from FEC.
    pub frames_concealed: u64,
    /// Encodes: shared mixes, mix-minus outputs and relays.
    pub frames_encoded: u64,
    /// Mix-minus frames sent as pre-encoded silence (a talker alone in the mix), not
    /// encoded.
    pub silent_mix_minus: u64,
    /// Ticks a selected talker in a pause was not decoded (its packets' level said so).
    pub skipped_decodes: u64,
    /// Mix packets sent to legs.
    pub packets_sent: u64,
    /// Recorded frames dropped because the I/O shell did not take them in time.
    pub recording_dropped: u64,
    /// Copies of end-to-end talkers' packets the conference key refused (forged, tampered
    /// or replayed): kept out of the mix. The forwarded packets are not affected.
    pub end_to_end_rejected: u64,
}

impl MixingCounters {
    fn add(&mut self, other: &MixingCounters) {
        self.ticks += other.ticks;
        self.late_ticks += other.late_ticks;
        self.skipped_ticks += other.skipped_ticks;
        self.frames_decoded += other.frames_decoded;
        self.frames_concealed += other.frames_concealed;
        self.frames_encoded += other.frames_encoded;
        self.silent_mix_minus += other.silent_mix_minus;
        self.skipped_decodes += other.skipped_decodes;
        self.packets_sent += other.packets_sent;
        self.recording_dropped += other.recording_dropped;
        self.end_to_end_rejected += other.end_to_end_rejected;
    }
}

/// A conference's mixer.
#[derive(Debug)]
pub(crate) struct MixState {
    pub(crate) mixer: ConferenceMixer,
    /// Legs receiving the mix, and a recording; the mixer goes when the last one does.
    pub(crate) listeners: usize,
    /// When the mixer started: the origin of its outputs' timestamps.
    origin: Instant,
}

impl MixState {
    /// What the mixer did, counted as the totals count it.
    fn counters(&self) -> MixingCounters {
        let mixer = self.mixer.counters();
        let mut counters = MixingCounters {
            late_ticks: mixer.late_ticks,
            skipped_ticks: mixer.skipped_ticks,
            frames_encoded: mixer.shared_encodes + mixer.mix_minus_encodes + mixer.relay_encodes,
            silent_mix_minus: mixer.silent_mix_minus,
            skipped_decodes: mixer.skipped_decodes,
            ..MixingCounters::default()
        };
        for leg in self.mixer.legs() {
            counters.add(&self.leg_counters(leg));
        }
        counters
    }

    fn leg_counters(&self, leg: LegId) -> MixingCounters {
        let stats = self.mixer.leg_stats(leg).unwrap_or_default();
        MixingCounters {
            frames_decoded: stats.decoded,
            frames_concealed: stats.concealed + stats.fec_recovered,
            ..MixingCounters::default()
        }
    }
}

impl MediaCore {
    /// What the core's mixers did.
    pub fn mixing_counters(&self) -> MixingCounters {
        let mut counters = self.mix_totals;
        for (_, conference) in self.conferences.iter() {
            if let Some(state) = &conference.mixer {
                counters.conferences += 1;
                counters.add(&state.counters());
            }
        }
        counters
    }

    /// Mixer ticks run so far; cheap enough for the shell to read around every timeout.
    pub fn mix_ticks(&self) -> u64 {
        self.mix_totals.ticks
    }

    /// Puts the leg about to be added into its conference's mixer, starting the mixer if
    /// the leg is the conference's first to receive the mix. On error nothing changed.
    pub(super) fn join_mixer(
        &mut self,
        conference_slot: u32,
        leg: &Leg,
        now: Instant,
    ) -> Result<(), ConferenceError> {
        let Some(conference) = self.conferences.get(conference_slot) else {
            return Ok(());
        };
        let starts = conference.mixer.is_none() && leg.receive == Receive::Mix;
        if starts {
            self.start_mixer(conference_slot, now)?;
        }
        let Some(state) = self
            .conferences
            .get_mut(conference_slot)
            .and_then(|c| c.mixer.as_deref_mut())
        else {
            return Ok(());
        };
        if let Some(config) = leg.mix {
            if let Err(error) = state.mixer.add_leg(leg.id, config) {
                if starts {
                    self.drop_mixer(conference_slot);
                }
                return Err(ConferenceError::Mixer(error));
            }
        }
        if leg.receive == Receive::Mix {
            state.listeners += 1;
        }
        Ok(())
    }

    /// Starts a conference's mixer with every member it can decode (no-op if it has one).
    pub(super) fn start_mixer(
        &mut self,
        conference_slot: u32,
        now: Instant,
    ) -> Result<(), ConferenceError> {
        let Some(conference) = self.conferences.get(conference_slot) else {
            return Ok(());
        };
        if conference.mixer.is_none() {
            let mut config = self.config.mix;
            config.selection = *conference.selector.policy();
            let mut mixer = ConferenceMixer::new(config, now).map_err(ConferenceError::Mixer)?;
            for &handle in &conference.legs {
                let Some(member) = self.legs.get_handle(handle) else {
                    continue;
                };
                if let Some(config) = member.mix {
                    mixer
                        .add_leg(member.id, config)
                        .map_err(ConferenceError::Mixer)?;
                }
            }
            let next_tick = mixer.next_tick();
            let state = MixState {
                mixer,
                listeners: 0,
                origin: now,
            };
            if let Some(handle) = self.conferences.handle(conference_slot) {
                self.timers.schedule(next_tick, TimerKind::Mix(handle));
            }
            if let Some(conference) = self.conferences.get_mut(conference_slot) {
                conference.mixer = Some(Box::new(state));
            }
        }
        Ok(())
    }

    /// Takes a leg being removed out of its conference's mixer; the mixer stops with the
    /// last leg that receives the mix.
    pub(super) fn leave_mixer(&mut self, conference_slot: u32, leg: LegId, receive: Receive) {
        let Some(state) = self
            .conferences
            .get_mut(conference_slot)
            .and_then(|c| c.mixer.as_deref_mut())
        else {
            return;
        };
        let retired = state.leg_counters(leg);
        if state.mixer.remove_leg(leg).is_ok() {
            self.mix_totals.add(&retired);
        }
        if receive == Receive::Mix {
            self.release_listener(conference_slot);
        }
    }

    /// One listener (a mix leg or a recording) less; the mixer stops with the last.
    pub(super) fn release_listener(&mut self, conference_slot: u32) {
        let Some(state) = self
            .conferences
            .get_mut(conference_slot)
            .and_then(|c| c.mixer.as_deref_mut())
        else {
            return;
        };
        state.listeners = state.listeners.saturating_sub(1);
        let idle = state.listeners == 0;
        let relaying = self
            .conferences
            .get(conference_slot)
            .is_some_and(|c| !c.relays.is_empty());
        if idle && !relaying {
            self.drop_mixer(conference_slot);
        }
    }

    /// Stops a conference's mixer (and its relays), keeping what it counted in the totals.
    pub(super) fn drop_mixer(&mut self, conference_slot: u32) {
        let state = self.conferences.get_mut(conference_slot).and_then(|c| {
            c.relays.clear();
            c.mixer.take()
        });
        if let Some(state) = state {
            self.mix_totals.add(&state.counters());
        }
    }

    /// A conference's policy changed: its mixer selects by the same.
    pub(super) fn mixer_policy(
        &mut self,
        conference_slot: u32,
        policy: SelectionPolicy,
        now: Instant,
    ) {
        if let Some(state) = self
            .conferences
            .get_mut(conference_slot)
            .and_then(|c| c.mixer.as_deref_mut())
        {
            let mut changes = Vec::new();
            state.mixer.set_selection(policy, now, &mut changes);
        }
    }

    /// Hands a selected talker's (decrypted) audio packet to its conference's mixer; an
    /// end-to-end talker's packet is unprotected as a copy first.
    pub(super) fn feed_mixer(&mut self, leg_slot: u32, packet: &[u8], now: Instant) {
        let Some(leg) = self.legs.get(leg_slot) else {
            return;
        };
        if leg.mix.is_none() {
            return;
        }
        let (id, end_to_end) = (leg.id, leg.crypto.is_end_to_end());
        let Some(conference) = self.conferences.get_mut(leg.conference_slot) else {
            return;
        };
        let Some(state) = conference.mixer.as_deref_mut() else {
            return;
        };
        let packet = match (end_to_end, conference.keying.as_deref_mut()) {
            (false, _) => packet,
            (true, Some(keying)) => match keying.unprotect_copy(packet) {
                Ok(plain) => plain,
                Err(_) => {
                    self.mix_totals.end_to_end_rejected += 1;
                    return;
                }
            },
            (true, None) => return,
        };
        // What the mixer refuses it counts in the leg's mix statistics.
        let _ = state.mixer.push_packet(id, packet, now);
    }

    /// A conference's mixing tick: mixes, sends each mix leg its output, and schedules
    /// the next tick. An entry found early is a stale duplicate and is forgotten.
    pub(super) fn mix_deadline(&mut self, handle: SlotHandle, now: Instant, outbox: &mut Outbox) {
        let Self {
            conferences,
            legs,
            leg_slots,
            counters,
            scratch,
            rng,
            timers,
            mix_totals,
            recorded,
            ..
        } = self;
        let Some(conference) = conferences.get_handle_mut(handle) else {
            return;
        };
        let Conference {
            recording,
            mixer: state,
            keying,
            relays,
            ..
        } = conference;
        let recording = *recording;
        let Some(state) = state.as_deref_mut() else {
            return;
        };
        let mut keying = keying.as_deref_mut();
        let due = state.mixer.next_tick();
        if now < due {
            return;
        }
        let period_end = due + skipped_ticks(now, due);
        let elapsed_ticks = period_end
            .saturating_duration_since(state.origin)
            .as_nanos()
            / TICK.as_nanos();
        let MixState { mixer, .. } = state;
        let ticks = u32::try_from(elapsed_ticks % (1 << 32)).unwrap_or(0);
        if let Some(tick) = mixer.tick(now) {
            mix_totals.ticks += 1;
            if let Some(tap) = recording {
                if let Some(output) = tick.output(tap.output) {
                    for payload in output.packets() {
                        if !recorded.push(tap.id, payload, output.samples_per_packet()) {
                            mix_totals.recording_dropped += 1;
                        }
                    }
                }
            }
            let mut sender = TickSender {
                outbox,
                counters,
                results: &mut scratch.srtp_results,
                rng,
                ticks,
                serial: mix_totals.ticks,
            };
            for delivery in tick.deliveries() {
                let slot = leg_slots.get(&delivery.leg).copied().unwrap_or(NO_LEG);
                let Some(leg) = legs.get_mut(slot) else {
                    continue;
                };
                let Some(output) = tick.output(delivery.output) else {
                    continue;
                };
                if leg.receive != Receive::Mix || leg.suppressed {
                    continue;
                }
                let Some(payload_type) = leg.mix.map(|m| m.payload_type) else {
                    continue;
                };
                mix_totals.packets_sent += if !leg.crypto.is_end_to_end() {
                    let mut stream = *leg.mix_rtp.get_or_insert_with(|| fresh_stream(sender.rng));
                    let ssrc = leg.rtcp_ssrc;
                    let sent = sender.send_to(leg, output, payload_type, ssrc, &mut stream);
                    leg.mix_rtp = Some(stream);
                    sent
                } else if let Some(keying) = keying.as_deref_mut() {
                    if output.kind() == OutputKind::MixMinus(leg.id) {
                        sender.send_own_under_key(leg, keying, output, payload_type)
                    } else {
                        sender.send_sealed_once(leg, keying, output, payload_type, None)
                    }
                } else {
                    0
                };
            }
            mix_totals.packets_sent +=
                send_relays(relays, &tick, legs, leg_slots, keying, &mut sender);
        }
        timers.schedule(mixer.next_tick(), TimerKind::Mix(handle));
    }
}

/// The whole ticks between `due` and `now` that the mixer will skip.
fn skipped_ticks(now: Instant, due: Instant) -> Duration {
    let behind = now.saturating_duration_since(due);
    if behind < TICK {
        return Duration::ZERO;
    }
    let missed = behind.as_nanos() / TICK.as_nanos();
    TICK.saturating_mul(u32::try_from(missed).unwrap_or(u32::MAX))
}
