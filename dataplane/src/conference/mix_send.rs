//! Sending what one mixing tick encoded: each output's packets written as RTP into the
//! outbox for a leg, on a stream of the right SSRC, sequence and timestamps, and sealed as
//! the leg's protection asks:
//! - plain and hop-by-hop legs get their own copy (protected under the leg's key);
//! - an end-to-end leg's own mix-minus is protected once, under the conference key;
//! - streams every end-to-end listener shares (the shared mix, a relayed talker) are
//!   protected once per tick under the conference key, by the first listener's send, and
//!   copied for the others.

use std::net::SocketAddr;

use super::counters::CoreCounters;
use super::egress::{count_sent, protect_tail, seal_for_leg};
use super::leg::{Leg, MixRtp};
use super::mixer_keying::{ConferenceKeying, SealedRun};
use super::outbox::OutboxRefusal;
use super::rng::Xorshift;
use super::{DropReason, LegId, Outbox};
use crate::mixer::MixOutput;
use crate::srtp::{PacketBuffer, SrtpError, MAX_OVERHEAD};

/// The RTP fixed header the mix is sent with: no CSRC, no extension.
const RTP_HEADER: usize = 12;

/// A relayed talker, and the SSRC the focus claimed for it under the conference key.
#[derive(Debug, Clone, Copy)]
pub(super) struct Relayed {
    pub(super) source: LegId,
    pub(super) ssrc: Option<u32>,
}

/// What every send of one mixing tick shares.
pub(super) struct TickSender<'a> {
    pub(super) outbox: &'a mut Outbox,
    pub(super) counters: &'a mut CoreCounters,
    pub(super) results: &'a mut Vec<Result<usize, SrtpError>>,
    pub(super) rng: &'a mut Xorshift,
    /// Ticks since the mixer started: the clock of every mix stream's timestamps.
    pub(super) ticks: u32,
    /// The core's count of mix ticks, telling a stream sealed at this tick from one
    /// sealed before.
    pub(super) serial: u64,
}

/// A new stream's first sequence number and timestamp, drawn at random (RFC 3550 5.1).
pub(super) fn fresh_stream(rng: &mut Xorshift) -> MixRtp {
    MixRtp {
        next_seq: rng.next_ssrc() as u16,
        timestamp_base: rng.next_ssrc(),
    }
}

impl TickSender<'_> {
    /// Sends a plain or hop-by-hop `leg` the output as the next packets of `stream`
    /// under `ssrc`; returns how many leave.
    pub(super) fn send_to(
        &mut self,
        leg: &mut Leg,
        output: &MixOutput,
        payload_type: u8,
        ssrc: u32,
        stream: &mut MixRtp,
    ) -> u64 {
        let Some(remote) = leg.remote else {
            return 0;
        };
        let first = self.outbox.len();
        self.write((leg.local_port, remote), output, payload_type, ssrc, stream);
        seal_for_leg(leg, self.outbox, first, self.results, self.counters)
    }

    /// Sends an end-to-end `leg` its own mix-minus under its SSRC and the conference
    /// key; returns how many leave.
    pub(super) fn send_own_under_key(
        &mut self,
        leg: &mut Leg,
        keying: &mut ConferenceKeying,
        output: &MixOutput,
        payload_type: u8,
    ) -> u64 {
        let (Some(remote), Some(ssrc)) = (leg.remote, leg.mix_ssrc) else {
            return 0;
        };
        let first = self.outbox.len();
        let stream = leg.mix_rtp.get_or_insert_with(|| fresh_stream(self.rng));
        self.write((leg.local_port, remote), output, payload_type, ssrc, stream);
        protect_tail(
            &mut keying.sender,
            self.outbox,
            first,
            self.results,
            self.counters,
        );
        count_sent(leg, self.outbox, first, self.counters)
    }

    /// Sends an end-to-end `leg` this tick's packets of a stream protected once under the
    /// conference key for all its listeners: the shared mix (`relayed` is `None`) or a
    /// relayed talker. The first listener of the tick seals them; the others get copies.
    pub(super) fn send_sealed_once(
        &mut self,
        leg: &mut Leg,
        keying: &mut ConferenceKeying,
        output: &MixOutput,
        payload_type: u8,
        relayed: Option<Relayed>,
    ) -> u64 {
        let Some(remote) = leg.remote else {
            return 0;
        };
        let first = self.outbox.len();
        let format = (output.codec(), output.samples_per_packet(), payload_type);
        let source = relayed.map(|r| r.source);
        let relay_ssrc = relayed.and_then(|r| r.ssrc);
        let rng = &mut *self.rng;
        let Some(shared) = keying.stream(source, relay_ssrc, format, || fresh_stream(rng)) else {
            // No SSRC under the key is left for it.
            self.counters.drops.count(DropReason::SrtpProtect);
            return 0;
        };
        match shared.sealed {
            Some(run) if run.tick == self.serial => {
                for index in run.first..run.first + run.count {
                    if let Err(refusal) = self.outbox.push_copy(index, leg.local_port, remote) {
                        self.counters.drops.count(refused(refusal));
                    }
                }
            }
            _ => {
                let ssrc = shared.ssrc;
                let mut stream = shared.stream;
                self.write(
                    (leg.local_port, remote),
                    output,
                    payload_type,
                    ssrc,
                    &mut stream,
                );
                shared.stream = stream;
                protect_tail(
                    &mut keying.sender,
                    self.outbox,
                    first,
                    self.results,
                    self.counters,
                );
                let count = self.outbox.len() - first;
                // The stream exists: it was found or started above.
                if let Some(shared) =
                    keying.stream(source, relay_ssrc, format, || fresh_stream(self.rng))
                {
                    shared.sealed = Some(SealedRun {
                        tick: self.serial,
                        first,
                        count,
                    });
                }
            }
        }
        count_sent(leg, self.outbox, first, self.counters)
    }

    /// Writes the output's packets of this tick as the next packets of `stream`, in clear.
    fn write(
        &mut self,
        (local_port, remote): (u16, SocketAddr),
        output: &MixOutput,
        payload_type: u8,
        ssrc: u32,
        stream: &mut MixRtp,
    ) {
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
            if let Err(reason) = write_packet(self.outbox, local_port, remote, &header, payload) {
                self.counters.drops.count(reason);
            }
        }
    }
}

fn refused(refusal: OutboxRefusal) -> DropReason {
    match refusal {
        OutboxRefusal::Full => DropReason::OutboxFull,
        OutboxRefusal::TooLarge => DropReason::TooLarge,
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
    remote: SocketAddr,
    header: &RtpHeader,
    payload: &[u8],
) -> Result<(), DropReason> {
    let len = RTP_HEADER + payload.len();
    let first = outbox.len();
    let slot = outbox.next_slot(local_port, remote).map_err(refused)?;
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
