//! The last step of everything a core sends a leg, forwarded or mixed: the copies queued
//! for the leg are protected in one batch under its key when it is hop-by-hop (a copy that
//! fails is dropped and counted), and what is left is counted as sent. The mix streams of
//! an end-to-end conference are protected under the conference key by the same batch step
//! ([`protect_tail`]) before they are counted ([`count_sent`]).

use super::counters::CoreCounters;
use super::leg::{Leg, LegCrypto};
use super::{DropReason, Outbox};
use crate::srtp::{SrtpError, SrtpSession};

/// Seals the leg's copies at `outbox[first..]`; returns how many leave.
pub(super) fn seal_for_leg(
    leg: &mut Leg,
    outbox: &mut Outbox,
    first: usize,
    results: &mut Vec<Result<usize, SrtpError>>,
    counters: &mut CoreCounters,
) -> u64 {
    if let LegCrypto::HopByHop(session) = &mut leg.crypto {
        protect_tail(session, outbox, first, results, counters);
    }
    count_sent(leg, outbox, first, counters)
}

/// Protects `outbox[first..]` as one batch under `session`; a packet that fails is
/// dropped and counted.
pub(super) fn protect_tail(
    session: &mut SrtpSession,
    outbox: &mut Outbox,
    first: usize,
    results: &mut Vec<Result<usize, SrtpError>>,
    counters: &mut CoreCounters,
) {
    let copies = outbox.tail_mut(first);
    results.clear();
    results.resize(copies.len(), Ok(0));
    session.protect_batch(copies, results);
    for result in results.iter() {
        match result {
            Ok(_) => {}
            Err(SrtpError::InsufficientCapacity { .. }) => {
                counters.drops.count(DropReason::TooLarge)
            }
            Err(_) => counters.drops.count(DropReason::SrtpProtect),
        }
    }
    outbox.retain_tail(first, |i| results.get(i).is_some_and(|r| r.is_ok()));
}

/// Counts `outbox[first..]` as sent to `leg`; returns how many.
pub(super) fn count_sent(
    leg: &mut Leg,
    outbox: &Outbox,
    first: usize,
    counters: &mut CoreCounters,
) -> u64 {
    let mut sent = 0;
    for datagram in outbox.datagrams().get(first..).unwrap_or(&[]) {
        let bytes = datagram.bytes().len() as u64;
        counters.packets_out += 1;
        counters.bytes_out += bytes;
        leg.traffic.packets_out += 1;
        leg.traffic.bytes_out += bytes;
        sent += 1;
    }
    sent
}
