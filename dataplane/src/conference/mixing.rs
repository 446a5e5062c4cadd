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
use std::time::{Duration, Instant};

use super::counters::CoreCounters;
use super::egress::{count_sent, protect_tail, seal_for_leg};
use super::leg::{Leg, MixRtp};
use super::media_core::{MediaCore, NO_LEG};
use super::mixer_keying::{ConferenceKeying, SealedRun};
use super::outbox::OutboxRefusal;
use super::rng::Xorshift;
use super::slab::SlotHandle;
use super::timers::TimerKind;
use super::{ConferenceError, DropReason, LegId, Outbox, Receive, SelectionPolicy};
use crate::mixer::{ConferenceMixer, MixOutput, OutputKind, TICK};
use crate::srtp::{PacketBuffer, SrtpError, MAX_OVERHEAD};

/// The RTP fixed header the mix is sent with: no CSRC, no extension.
const RTP_HEADER: usize = 12;

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
    /// Encodes: shared mixes and mix-minus outputs.
    pub frames_encoded: u64,
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
            frames_encoded: mixer.shared_encodes + mixer.mix_minus_encodes,
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
        if state.listeners == 0 {
            self.drop_mixer(conference_slot);
        }
    }

    /// Stops a conference's mixer, keeping what it counted in the totals.
    pub(super) fn drop_mixer(&mut self, conference_slot: u32) {
        let state = self
            .conferences
            .get_mut(conference_slot)
            .and_then(|c| c.mixer.take());
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
        let recording = conference.recording;
        let Some(state) = conference.mixer.as_deref_mut() else {
            return;
        };
        let mut keying = conference.keying.as_deref_mut();
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
            let serial = mix_totals.ticks;
            if let Some(tap) = recording {
                if let Some(output) = tick.output(tap.output) {
                    for payload in output.packets() {
                        if !recorded.push(tap.id, payload, output.samples_per_packet()) {
                            mix_totals.recording_dropped += 1;
                        }
                    }
                }
            }
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
                let Some(remote) = leg.remote else {
                    continue;
                };
                let Some(payload_type) = leg.mix.map(|m| m.payload_type) else {
                    continue;
                };
                let mut out = MixSend {
                    outbox,
                    counters,
                    results: &mut scratch.srtp_results,
                    local_port: leg.local_port,
                    remote,
                    ticks,
                };
                let sent = if !leg.crypto.is_end_to_end() {
                    let stream = leg_stream(&mut leg.mix_rtp, rng);
                    let first = out.outbox.len();
                    out.write(output, payload_type, leg.rtcp_ssrc, stream);
                    seal_for_leg(leg, out.outbox, first, out.results, out.counters)
                } else if let Some(keying) = keying.as_deref_mut() {
                    out.send_end_to_end(leg, keying, output, payload_type, serial, rng)
                } else {
                    0
                };
                mix_totals.packets_sent += sent;
            }
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

/// A leg's own mix stream, started on its first packet.
fn leg_stream<'a>(rtp: &'a mut Option<MixRtp>, rng: &mut Xorshift) -> &'a mut MixRtp {
    rtp.get_or_insert_with(|| fresh_stream(rng))
}

/// A new stream's first sequence number and timestamp, drawn at random (RFC 3550 5.1).
fn fresh_stream(rng: &mut Xorshift) -> MixRtp {
    MixRtp {
        next_seq: rng.next_ssrc() as u16,
        timestamp_base: rng.next_ssrc(),
    }
}

/// Sending one tick's output to one mix leg.
struct MixSend<'a> {
    outbox: &'a mut Outbox,
    counters: &'a mut CoreCounters,
    results: &'a mut Vec<Result<usize, SrtpError>>,
    local_port: u16,
    remote: std::net::SocketAddr,
    /// Ticks since the mixer started, the clock of every mix stream's timestamps.
    ticks: u32,
}

impl MixSend<'_> {
    /// Writes the output's packets of this tick as the next packets of `stream`, in clear.
    fn write(&mut self, output: &MixOutput, payload_type: u8, ssrc: u32, stream: &mut MixRtp) {
        let total = output.packets().count() as u32;
        let spp = output.samples_per_packet();
        let per_tick = output.codec().clock_rate() / 50;
        let tick_end = stream
            .timestamp_base
            .wrapping_add(self.ticks.wrapping_mul(per_tick));
        let first_seq = stream.next_seq;
        stream.next_seq = first_seq.wrapping_add(total as u16);
        for (i, payload) in output.packets().enumerate() {
            let header = RtpHeader {
                payload_type,
                seq: first_seq.wrapping_add(i as u16),
                timestamp: tick_end.wrapping_sub((total - i as u32).wrapping_mul(spp)),
                ssrc,
            };
            if let Err(reason) =
                write_packet(self.outbox, self.local_port, self.remote, &header, payload)
            {
                self.counters.drops.count(reason);
            }
        }
    }

    /// An end-to-end leg's share of the tick, under the conference key: its own mix-minus
    /// stream, or the shared stream of its output and payload type, protected the first
    /// time a listener of this tick needs it and copied for the others.
    fn send_end_to_end(
        &mut self,
        leg: &mut Leg,
        keying: &mut ConferenceKeying,
        output: &MixOutput,
        payload_type: u8,
        serial: u64,
        rng: &mut Xorshift,
    ) -> u64 {
        let first = self.outbox.len();
        if output.kind() == OutputKind::MixMinus(leg.id) {
            let Some(ssrc) = leg.mix_ssrc else {
                return 0;
            };
            let stream = leg_stream(&mut leg.mix_rtp, rng);
            self.write(output, payload_type, ssrc, stream);
            protect_tail(
                &mut keying.sender,
                self.outbox,
                first,
                self.results,
                self.counters,
            );
            return count_sent(leg, self.outbox, first, self.counters);
        }
        let codec = output.codec();
        let spp = output.samples_per_packet();
        let fresh = || {
            let stream = fresh_stream(rng);
            (stream.next_seq, stream.timestamp_base)
        };
        let Some(shared) = keying.shared_stream(codec, spp, payload_type, fresh) else {
            // Every SSRC the focus handed over for shared streams is in use.
            self.counters.drops.count(DropReason::SrtpProtect);
            return 0;
        };
        match shared.sealed {
            Some(run) if run.tick == serial => {
                for index in run.first..run.first + run.count {
                    let copied = self.outbox.push_copy(index, self.local_port, self.remote);
                    if let Err(refusal) = copied {
                        self.counters.drops.count(match refusal {
                            OutboxRefusal::Full => DropReason::OutboxFull,
                            OutboxRefusal::TooLarge => DropReason::TooLarge,
                        });
                    }
                }
            }
            _ => {
                let ssrc = shared.ssrc;
                let mut stream = MixRtp {
                    next_seq: shared.next_seq,
                    timestamp_base: shared.timestamp_base,
                };
                self.write(output, payload_type, ssrc, &mut stream);
                shared.next_seq = stream.next_seq;
                protect_tail(
                    &mut keying.sender,
                    self.outbox,
                    first,
                    self.results,
                    self.counters,
                );
                let count = self.outbox.len() - first;
                if let Some(shared) = keying.shared_stream(codec, spp, payload_type, || (0, 0)) {
                    shared.sealed = Some(SealedRun {
                        tick: serial,
                        first,
                        count,
                    });
                }
            }
        }
        count_sent(leg, self.outbox, first, self.counters)
    }
}

/// The header fields of one mix packet.
struct RtpHeader {
    payload_type: u8,
    seq: u16,
    timestamp: u32,
    ssrc: u32,
}

/// Writes one RTP packet into the outbox, leaving room for an SRTP tag.
fn write_packet(
    outbox: &mut Outbox,
    local_port: u16,
    remote: std::net::SocketAddr,
    header: &RtpHeader,
    payload: &[u8],
) -> Result<(), DropReason> {
    let len = RTP_HEADER + payload.len();
    let first = outbox.len();
    let slot = outbox
        .next_slot(local_port, remote)
        .map_err(|refusal| match refusal {
            OutboxRefusal::Full => DropReason::OutboxFull,
            OutboxRefusal::TooLarge => DropReason::TooLarge,
        })?;
    let room = slot.storage().len().saturating_sub(MAX_OVERHEAD);
    let Some(buf) = slot.storage_mut().get_mut(..len).filter(|_| len <= room) else {
        outbox.retain_tail(first, |_| false);
        return Err(DropReason::TooLarge);
    };
    let (fixed, body) = buf.split_at_mut(RTP_HEADER);
    fixed[0] = 0x80;
    fixed[1] = header.payload_type & 0x7f;
    fixed[2..4].copy_from_slice(&header.seq.to_be_bytes());
    fixed[4..8].copy_from_slice(&header.timestamp.to_be_bytes());
    fixed[8..12].copy_from_slice(&header.ssrc.to_be_bytes());
    body.copy_from_slice(payload);
    slot.set_len(len);
    Ok(())
}
