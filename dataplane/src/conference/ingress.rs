//! The receive half of the packet path, batch by batch:
//!
//! 1. admit: leg by local port (a dense table), RFC 5761 demux, source check, rate limit;
//! 2. regroup the batch in place per conference, leg and kind, keeping arrival order
//!    within a leg, so each hop-by-hop leg's SRTP or SRTCP is one `unprotect` batch;
//! 3. accept: parse, latch, reception statistics, media timeout, RTCP termination, and
//!    the talker's level into its conference's selector;
//! 4. tick the selector of each conference that heard a level, once per batch.
//!
//! Routing (the send half) follows in `routing`.

use std::net::SocketAddr;
use std::time::Instant;

use super::datagram::{InDatagram, Meta, Stage};
use super::events::CoreEvent;
use super::leg::{Leg, LegCrypto, SourceStats};
use super::level::{extension_level, payload_level};
use super::media_core::{MediaCore, NO_LEG};
use super::timers::TimerKind;
use super::{Codec, DropReason, Outbox};
use crate::demux::{classify, PacketKind};
use crate::receive_stats::ReceiveStats;
use crate::rtp::{header_len, RtpPacket};
use crate::srtp::SrtpError;

/// The RTP header fields the core uses, and the payload when it is readable (not
/// end-to-end ciphertext).
struct RtpFields<'a> {
    payload_type: u8,
    sequence: u16,
    timestamp: u32,
    ssrc: u32,
    payload: Option<&'a [u8]>,
}

impl<'a> RtpFields<'a> {
    /// Plain RTP (or decrypted SRTP), checked in full.
    fn plain(bytes: &'a [u8]) -> Option<Self> {
        let packet = RtpPacket::new_checked(bytes).ok()?;
        let payload_end = bytes.len().checked_sub(packet.padding_len())?;
        let payload = bytes.get(packet.header_len()..payload_end)?;
        Some(Self::from_header(bytes.get(..12)?, Some(payload)))
    }

    /// SRTP the core cannot decrypt: only the clear header is checked.
    fn encrypted(bytes: &'a [u8]) -> Option<Self> {
        header_len(bytes).ok()?;
        Some(Self::from_header(bytes.get(..12)?, None))
    }

    fn from_header(header: &[u8], payload: Option<&'a [u8]>) -> Self {
        let word = |at: usize| {
            header
                .get(at..at + 4)
                .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        };
        Self {
            payload_type: header.get(1).map_or(0, |b| b & 0x7f),
            sequence: (word(0) & 0xffff) as u16,
            timestamp: word(4),
            ssrc: word(8),
            payload,
        }
    }
}

fn srtp_drop_reason(error: SrtpError) -> DropReason {
    match error {
        SrtpError::Replayed | SrtpError::TooOld => DropReason::Replay,
        SrtpError::PacketTooShort
        | SrtpError::MalformedHeader
        | SrtpError::LengthExceedsBuffer
        | SrtpError::PacketTooLong => DropReason::Malformed,
        _ => DropReason::SrtpAuth,
    }
}

impl MediaCore {
    /// Processes one batch of received datagrams at `now`: media of selected talkers (and
    /// telephone-events) is copied to the other legs of its conference through `outbox`,
    /// RTCP is terminated or forwarded, and everything else is dropped and counted.
    ///
    /// The batch is regrouped in place (see [`InDatagram`]); after the call each datagram
    /// tells whether it was dropped ([`InDatagram::drop_reason`]). Nothing is allocated
    /// per packet once the core's scratch buffers have grown to the largest batch.
    pub fn handle_datagrams<B: AsRef<[u8]> + AsMut<[u8]>>(
        &mut self,
        now: Instant,
        datagrams: &mut [InDatagram<B>],
        outbox: &mut Outbox,
    ) {
        self.batch += 1;
        for (index, datagram) in datagrams.iter_mut().enumerate() {
            self.admit(now, index, datagram);
        }
        datagrams.sort_unstable_by_key(|d| d.meta.sort_key);
        self.unprotect_runs(datagrams);
        for datagram in datagrams.iter_mut() {
            if datagram.meta.stage == Stage::Admitted {
                self.accept(now, datagram);
            }
        }
        self.tick_observed(now);
        self.route(now, datagrams, outbox);
    }

    /// Counts a dropped datagram against the core and (if known) its leg.
    pub(super) fn drop_datagram(&mut self, meta: &mut Meta, reason: DropReason) {
        self.counters.drops.count(reason);
        if let Some(leg) = self.legs.get_mut(meta.leg_slot) {
            leg.traffic.dropped += 1;
        }
        meta.drop_with(reason);
    }

    fn admit<B: AsRef<[u8]>>(&mut self, now: Instant, index: usize, datagram: &mut InDatagram<B>) {
        let len = datagram.len;
        datagram.meta = Meta::fresh();
        let bytes = datagram.buf.as_ref().get(..len);
        // A length beyond the buffer is counted as what the buffer holds.
        let received = bytes.map_or(datagram.buf.as_ref().len(), <[u8]>::len) as u64;
        self.counters.packets_in += 1;
        self.counters.bytes_in += received;
        let slot = self
            .ports
            .get(usize::from(datagram.local_port))
            .copied()
            .unwrap_or(NO_LEG);
        datagram.meta.leg_slot = slot;
        let source = datagram.source;
        let verdict = match self.legs.get_mut(slot) {
            None => Err(DropReason::UnknownPort),
            Some(leg) => {
                leg.traffic.packets_in += 1;
                leg.traffic.bytes_in += received;
                admit_to_leg(leg, bytes, source, now)
            }
        };
        match verdict {
            Ok((kind, conference_slot, end_to_end)) => {
                datagram.meta.end_to_end = end_to_end;
                datagram.meta.admit(conference_slot, slot, kind, index);
            }
            Err(reason) => self.drop_datagram(&mut datagram.meta, reason),
        }
    }

    /// Unprotects each run of hop-by-hop SRTP (or SRTCP) of one leg as one batch.
    fn unprotect_runs<B: AsRef<[u8]> + AsMut<[u8]>>(&mut self, datagrams: &mut [InDatagram<B>]) {
        let mut start = 0;
        while let Some(first) = datagrams.get(start).map(|d| d.meta) {
            if first.stage != Stage::Admitted {
                // Dropped datagrams sort last.
                break;
            }
            let end = start
                + datagrams[start..]
                    .iter()
                    .take_while(|d| {
                        d.meta.stage == Stage::Admitted
                            && d.meta.leg_slot == first.leg_slot
                            && d.meta.kind == first.kind
                    })
                    .count();
            let run = &mut datagrams[start..end];
            start = end;
            let Some(Leg {
                crypto: LegCrypto::HopByHop(session),
                ..
            }) = self.legs.get_mut(first.leg_slot)
            else {
                continue;
            };
            let results = &mut self.scratch.srtp_results;
            results.clear();
            results.resize(run.len(), Ok(0));
            match first.kind {
                PacketKind::Rtcp => session.unprotect_rtcp_batch(run, results),
                _ => session.unprotect_batch(run, results),
            };
            for index in 0..run.len() {
                if let Some(&Err(error)) = self.scratch.srtp_results.get(index) {
                    if let Some(datagram) = run.get_mut(index) {
                        self.drop_datagram(&mut datagram.meta, srtp_drop_reason(error));
                    }
                }
            }
        }
    }

    fn accept<B: AsRef<[u8]>>(&mut self, now: Instant, datagram: &mut InDatagram<B>) {
        let verdict = match datagram.meta.kind {
            PacketKind::Rtp => self.accept_rtp(now, datagram),
            PacketKind::Rtcp => self.accept_rtcp(now, datagram).map(|stage| (stage, None)),
            PacketKind::Other => Err(DropReason::NotRtp),
        };
        match verdict {
            Ok((stage, codec)) => {
                datagram.meta.stage = stage;
                datagram.meta.codec = codec;
            }
            Err(reason) => self.drop_datagram(&mut datagram.meta, reason),
        }
    }

    /// Accepts an RTP packet: its stage and codec.
    fn accept_rtp<B: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        datagram: &InDatagram<B>,
    ) -> Result<(Stage, Option<Codec>), DropReason> {
        let slot = datagram.meta.leg_slot;
        let handle = self.legs.handle(slot).ok_or(DropReason::UnknownPort)?;
        let arrival_ns = now.saturating_duration_since(self.epoch).as_nanos() as u64;
        let leg = self.legs.get_mut(slot).ok_or(DropReason::UnknownPort)?;
        let bytes = datagram.bytes();
        let fields = if leg.crypto.is_end_to_end() {
            RtpFields::encrypted(bytes)
        } else {
            RtpFields::plain(bytes)
        }
        .ok_or(DropReason::Malformed)?;
        let codec = leg
            .payload_types
            .get(fields.payload_type)
            .ok_or(DropReason::UnknownPayloadType)?;
        if leg.remote != Some(datagram.source) {
            // Only packets allowed to latch got this far; hop-by-hop ones have authenticated.
            if !leg.may_latch_elsewhere() {
                return Err(DropReason::WrongSource);
            }
            latch(leg, datagram.source, &mut self.events);
        }
        if leg.timed_out {
            leg.timed_out = false;
            self.events.push(CoreEvent::MediaResumed {
                conference: leg.conference,
                leg: leg.id,
            });
            self.timers
                .schedule(now + leg.media_timeout, TimerKind::Media(handle));
        }
        leg.last_media = now;
        let source = match &mut leg.source {
            Some(source) if source.ssrc == fields.ssrc => source,
            other => other.insert(SourceStats {
                ssrc: fields.ssrc,
                stats: ReceiveStats::new(fields.sequence, codec.clock_rate()),
            }),
        };
        source
            .stats
            .on_packet(fields.sequence, fields.timestamp, arrival_ns);
        if codec.is_telephone_event() {
            return Ok((
                Stage::Forward {
                    bypass_selection: true,
                },
                Some(codec),
            ));
        }
        let level = leg
            .audio_level_ext_id
            .and_then(|id| extension_level(bytes, id))
            .or_else(|| {
                fields
                    .payload
                    .and_then(|p| payload_level(codec, p, &mut self.scratch.pcm))
            })
            .unwrap_or(self.config.default_level_dbov);
        let (leg_id, conference_slot) = (leg.id, leg.conference_slot);
        if let Some(conference) = self.conferences.get_mut(conference_slot) {
            conference.selector.observe(leg_id, level, now);
            if conference.observed_in_batch != self.batch {
                conference.observed_in_batch = self.batch;
                self.scratch.observed.push(conference_slot);
            }
        }
        Ok((
            Stage::Forward {
                bypass_selection: false,
            },
            Some(codec),
        ))
    }

    fn accept_rtcp<B: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        datagram: &InDatagram<B>,
    ) -> Result<Stage, DropReason> {
        let leg = self
            .legs
            .get_mut(datagram.meta.leg_slot)
            .ok_or(DropReason::UnknownPort)?;
        if !leg.terminates_rtcp() {
            // End-to-end: the compound is encrypted; forward it like media.
            return Ok(Stage::Forward {
                bypass_selection: true,
            });
        }
        let consumed = leg
            .rtcp
            .consume(datagram.bytes(), now)
            .map_err(|_| DropReason::Malformed)?;
        self.counters.rtcp_consumed += 1;
        if let Some(ssrc) = consumed.bye {
            self.events.push(CoreEvent::RtcpBye {
                conference: leg.conference,
                leg: leg.id,
                ssrc,
            });
        }
        Ok(Stage::Consumed)
    }

    /// Ticks, once per batch, each conference that heard a level in it.
    fn tick_observed(&mut self, now: Instant) {
        let mut observed = std::mem::take(&mut self.scratch.observed);
        for &slot in &observed {
            if let Some(conference) = self.conferences.get_mut(slot) {
                conference.selector.tick(now, &mut self.scratch.changes);
            }
            self.apply_selection(slot, now, false);
        }
        observed.clear();
        self.scratch.observed = observed;
    }
}

/// Port, demux, source and rate checks of one datagram on `leg`; returns its kind, the
/// leg's conference slot and whether the leg is end-to-end.
fn admit_to_leg(
    leg: &mut Leg,
    bytes: Option<&[u8]>,
    source: SocketAddr,
    now: Instant,
) -> Result<(PacketKind, u32, bool), DropReason> {
    let bytes = bytes.ok_or(DropReason::Malformed)?;
    let kind = classify(bytes);
    if kind == PacketKind::Other {
        return Err(DropReason::NotRtp);
    }
    let bucket = if leg.remote == Some(source) {
        &mut leg.from_remote
    } else if kind == PacketKind::Rtp && leg.may_latch_elsewhere() {
        &mut leg.from_elsewhere
    } else {
        return Err(DropReason::WrongSource);
    };
    if !bucket.take(now) {
        return Err(DropReason::RateLimited);
    }
    Ok((kind, leg.conference_slot, leg.crypto.is_end_to_end()))
}

fn latch(leg: &mut Leg, remote: SocketAddr, events: &mut super::events::EventQueue) {
    leg.remote = Some(remote);
    leg.latched = true;
    events.push(CoreEvent::LegLatched {
        conference: leg.conference,
        leg: leg.id,
        remote,
    });
}
