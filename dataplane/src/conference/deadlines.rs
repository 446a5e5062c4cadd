//! What the core does when time passes without packets: media timeouts, the receiver
//! reports it owes each plain and hop-by-hop leg, and selection ticks that let a talker
//! who went quiet lose its slot.

use std::time::Instant;

use super::events::CoreEvent;
use super::leg::{Leg, LegCrypto};
use super::media_core::MediaCore;
use super::outbox::OutboxRefusal;
use super::rtcp_termination::write_receiver_report;
use super::slab::SlotHandle;
use super::timers::TimerKind;
use super::{DropReason, Outbox};
use crate::srtp::{PacketBuffer, MAX_OVERHEAD};

impl MediaCore {
    /// Runs every deadline due at `now`; receiver reports and the mix go into `outbox`.
    pub fn handle_timeout(&mut self, now: Instant, outbox: &mut Outbox) {
        while let Some(timer) = self.timers.pop_due(now) {
            match timer {
                TimerKind::Media(handle) => self.media_deadline(handle, now),
                TimerKind::Rtcp(handle) => self.report_deadline(handle, now, outbox),
                TimerKind::Selection(handle) => self.selection_deadline(handle, now),
                TimerKind::Mix(handle) => self.mix_deadline(handle, now, outbox),
            }
        }
    }

    fn media_deadline(&mut self, handle: SlotHandle, now: Instant) {
        let Some(leg) = self.legs.get_handle_mut(handle) else {
            return;
        };
        if leg.timed_out {
            return;
        }
        let deadline = leg.last_media + leg.media_timeout;
        if now >= deadline {
            leg.timed_out = true;
            self.events.push(CoreEvent::MediaTimeout {
                conference: leg.conference,
                leg: leg.id,
            });
        } else {
            self.timers.schedule(deadline, TimerKind::Media(handle));
        }
    }

    fn report_deadline(&mut self, handle: SlotHandle, now: Instant, outbox: &mut Outbox) {
        let next = now + self.report_interval();
        let Self {
            legs,
            counters,
            scratch,
            config,
            timers,
            ..
        } = self;
        let Some(leg) = legs.get_handle_mut(handle) else {
            return;
        };
        timers.schedule(next, TimerKind::Rtcp(handle));
        match send_report(
            leg,
            now,
            config.cname.as_bytes(),
            outbox,
            &mut scratch.srtp_results,
        ) {
            Ok(Some(bytes)) => {
                counters.packets_out += 1;
                counters.bytes_out += bytes;
                counters.rtcp_reports_sent += 1;
            }
            Ok(None) => {}
            Err(reason) => counters.drops.count(reason),
        }
    }

    fn selection_deadline(&mut self, handle: SlotHandle, now: Instant) {
        let Some(conference) = self.conferences.get_handle_mut(handle) else {
            return;
        };
        conference.tick_scheduled = false;
        conference.selector.tick(now, &mut self.scratch.changes);
        self.apply_selection(handle.slot, now, false);
    }
}

/// Writes (and for hop-by-hop, protects) one receiver report to `leg`; returns its size,
/// or `None` when the leg has no address to send to yet.
fn send_report(
    leg: &mut Leg,
    now: Instant,
    cname: &[u8],
    outbox: &mut Outbox,
    results: &mut Vec<Result<usize, crate::srtp::SrtpError>>,
) -> Result<Option<u64>, DropReason> {
    let Some(remote) = leg.remote else {
        return Ok(None);
    };
    let block = leg.source.as_mut().map(|source| {
        let reception = source.stats.next_reception_report();
        leg.rtcp.report_block(source.ssrc, reception, now)
    });
    let first = outbox.len();
    let slot = outbox
        .next_slot(leg.local_port, remote)
        .map_err(|refusal| match refusal {
            OutboxRefusal::Full => DropReason::OutboxFull,
            OutboxRefusal::TooLarge => DropReason::TooLarge,
        })?;
    let room = slot.storage().len().saturating_sub(MAX_OVERHEAD);
    let written = slot
        .storage_mut()
        .get_mut(..room)
        .map(|buf| write_receiver_report(buf, leg.rtcp_ssrc, block, cname));
    match written {
        Some(Ok(len)) => slot.set_len(len),
        _ => {
            outbox.retain_tail(first, |_| false);
            return Err(DropReason::TooLarge);
        }
    }
    if let LegCrypto::HopByHop(session) = &mut leg.crypto {
        results.clear();
        results.push(Ok(0));
        session.protect_rtcp_batch(outbox.tail_mut(first), results);
        if !results.first().is_some_and(|r| r.is_ok()) {
            outbox.retain_tail(first, |_| false);
            return Err(DropReason::SrtpProtect);
        }
    }
    let bytes = outbox
        .datagrams()
        .get(first)
        .map_or(0, |d| d.bytes().len() as u64);
    leg.rtcp.reports_sent += 1;
    leg.traffic.packets_out += 1;
    leg.traffic.bytes_out += bytes;
    Ok(Some(bytes))
}
