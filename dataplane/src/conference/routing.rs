//! The send half of the packet path: each conference's accepted media goes to every other
//! leg of that conference, and nowhere else.
//!
//! Per conference of the batch (the batch is grouped by conference), talkers outside the
//! selection are dropped first; then, destination leg by destination leg, the packets it
//! should hear are copied into the outbox back to back, and for a hop-by-hop destination
//! that run of copies is protected under the destination's key as one batch. Plain and
//! end-to-end destinations get the bytes as they arrived (end-to-end: ciphertext).
//!
//! A destination only gets RTP it can decode: a plain or hop-by-hop one gets the codec
//! under its own payload type for it (the copy's payload type is rewritten); an end-to-end
//! one only packets whose payload type it maps to the same codec (the header is under the
//! sender's authentication). A talker whose packets cannot reach a listener this way
//! reaches it through a relay of the mixer instead (see `relaying`).
//!
//! Selected talkers' audio also feeds the conference's mixer, if it has one (see
//! `mixing`); legs that receive the mix get only telephone-events from here.

use super::datagram::{InDatagram, Meta, Stage};
use super::egress::seal_for_leg;
use super::leg::Leg;
use super::media_core::MediaCore;
use super::outbox::OutboxRefusal;
use super::{DropReason, Outbox, Receive};
use crate::demux::PacketKind;
use crate::srtp::PacketBuffer;
use std::time::Instant;

impl MediaCore {
    pub(super) fn route<B: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        datagrams: &mut [InDatagram<B>],
        outbox: &mut Outbox,
    ) {
        let mut start = 0;
        while let Some(conference_slot) = datagrams.get(start).map(|d| d.meta.conference_slot) {
            let end = start
                + datagrams[start..]
                    .iter()
                    .take_while(|d| d.meta.conference_slot == conference_slot)
                    .count();
            if self.conferences.get(conference_slot).is_some() {
                self.route_conference(now, conference_slot, &mut datagrams[start..end], outbox);
            }
            start = end;
        }
    }

    /// Routes the datagrams of one conference (all of `run` belongs to it).
    fn route_conference<B: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        conference_slot: u32,
        run: &mut [InDatagram<B>],
        outbox: &mut Outbox,
    ) {
        let mut forwarding = 0;
        for datagram in run.iter_mut() {
            if let Stage::Forward { bypass_selection } = datagram.meta.stage {
                let selected = self
                    .legs
                    .get(datagram.meta.leg_slot)
                    .is_some_and(|leg| leg.selected);
                if selected && !bypass_selection && datagram.meta.kind == PacketKind::Rtp {
                    self.feed_mixer(datagram.meta.leg_slot, datagram.bytes(), now);
                }
                if bypass_selection || selected {
                    forwarding += 1;
                } else {
                    self.drop_datagram(&mut datagram.meta, DropReason::NotSelected);
                }
            }
        }
        if forwarding == 0 {
            return;
        }
        let Self {
            conferences,
            legs,
            counters,
            scratch,
            ..
        } = self;
        let Some(conference) = conferences.get(conference_slot) else {
            return;
        };
        for &destination in &conference.legs {
            let Some(leg) = legs.get_handle_mut(destination) else {
                continue;
            };
            // The conference's own list is the only source of destinations; the second
            // check guards the invariant against a stale entry.
            if leg.suppressed || leg.conference_slot != conference_slot {
                continue;
            }
            let Some(remote) = leg.remote else {
                continue;
            };
            let to_end_to_end = leg.crypto.is_end_to_end();
            // A mix leg hears its talkers in the mix; only telephone-events reach it as
            // they arrived.
            let mix_leg = leg.receive == Receive::Mix;
            let first = outbox.len();
            for datagram in run.iter() {
                let meta = &datagram.meta;
                let eligible = matches!(meta.stage, Stage::Forward { .. })
                    && meta.conference_slot == conference_slot
                    && meta.leg_slot != destination.slot
                    && meta.end_to_end == to_end_to_end
                    && (to_end_to_end || meta.kind == PacketKind::Rtp)
                    && (!mix_leg
                        || meta.stage
                            == Stage::Forward {
                                bypass_selection: true,
                            });
                if !eligible {
                    continue;
                }
                let Some(copy) = copy_for(meta, datagram.bytes(), leg) else {
                    continue;
                };
                match outbox.push(leg.local_port, remote, datagram.bytes()) {
                    Ok(()) => {
                        if let ListenerCopy::WithPayloadType(pt) = copy {
                            set_payload_type(outbox, pt);
                        }
                    }
                    Err(OutboxRefusal::Full) => counters.drops.count(DropReason::OutboxFull),
                    Err(OutboxRefusal::TooLarge) => counters.drops.count(DropReason::TooLarge),
                }
            }
            seal_for_leg(leg, outbox, first, &mut scratch.srtp_results, counters);
        }
    }
}

/// How a listener's copy of a packet is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListenerCopy {
    /// The bytes as they arrived.
    AsIs,
    /// With the listener's payload type for the packet's codec.
    WithPayloadType(u8),
}

/// How `listener` takes the RTP packet `bytes`; `None` when it cannot decode it. RTCP and
/// anything without a known codec goes as it is.
fn copy_for(meta: &Meta, bytes: &[u8], listener: &Leg) -> Option<ListenerCopy> {
    let (PacketKind::Rtp, Some(codec)) = (meta.kind, meta.codec) else {
        return Some(ListenerCopy::AsIs);
    };
    let sent = bytes.get(1).map(|b| b & 0x7f)?;
    if listener.payload_types.get(sent) == Some(codec) {
        return Some(ListenerCopy::AsIs);
    }
    if listener.crypto.is_end_to_end() {
        // The header is authenticated by the sender's key: it cannot change here.
        return None;
    }
    // The leg's audio codec is the usual case, and its payload type is at hand; any
    // other codec is looked up in its table.
    let own = listener
        .mix
        .filter(|mix| mix.codec == codec)
        .map(|mix| mix.payload_type);
    own.or_else(|| listener.payload_types.payload_type_of(codec))
        .map(ListenerCopy::WithPayloadType)
}

/// Rewrites the payload type of the datagram last pushed (before it is protected).
fn set_payload_type(outbox: &mut Outbox, payload_type: u8) {
    let last = outbox.len().saturating_sub(1);
    if let Some(copy) = outbox.tail_mut(last).first_mut() {
        if let Some(byte) = copy.storage_mut().get_mut(1) {
            *byte = (*byte & 0x80) | (payload_type & 0x7f);
        }
    }
}
