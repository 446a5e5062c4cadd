//! The sending thread: every participant's packets at their planned times, built from
//! the [`ConferencePlan`], protected with the participant's SRTP session when there is
//! one, logged for delay measurement and sent in `sendmmsg` batches of everything due.
//!
//! Conferences join while it runs (ramp-up); the thread ends when asked to stop, or when
//! setup is over and every participant has sent its last packet.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use medianode_dataplane::srtp::{PacketBuf, SrtpSession, MAX_OVERHEAD};

use super::batch_socket::{BatchSender, BatchSocket};
use super::expectation::SelectionModel;
use super::live::{LiveCounters, RunClock};
use super::plan::ConferencePlan;
use super::send_log::SendLog;

/// Datagrams per `sendmmsg` call at most.
const BATCH: usize = 512;
/// Bytes per datagram slot: an MTU plus SRTP's overhead.
const SLOT_BYTES: usize = 1500 + MAX_OVERHEAD;
/// Packets due this soon are sent with the current batch.
const LOOKAHEAD: Duration = Duration::from_micros(500);
/// Longest sleep, so new conferences and the stop flag are seen promptly.
const MAX_SLEEP: Duration = Duration::from_millis(2);
/// A packet sent this much after its planned time counts as late.
const LATE: Duration = Duration::from_millis(5);

/// One participant as the sender sees it.
#[derive(Debug)]
pub struct SenderLeg {
    /// The node's address of its leg.
    pub destination: SocketAddr,
    /// Protects its packets, when it uses SRTP.
    pub srtp: Option<SrtpSession>,
    /// Where its send times go.
    pub log: Arc<SendLog>,
}

/// A conference ready to send.
#[derive(Debug)]
pub struct SenderConference {
    /// Its index in the run.
    pub index: usize,
    /// What its participants send.
    pub plan: Arc<ConferencePlan>,
    /// Its selection model, for the must-deliver flags.
    pub model: SelectionModel,
    /// Its participants, by position.
    pub legs: Vec<SenderLeg>,
    /// Its time zero.
    pub started: Instant,
    /// How far the model looks ahead of the packets it flags.
    pub margin: Duration,
}

/// What a conference's selection model concluded by the end of the run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ModelSummary {
    /// The conference's index in the run.
    pub index: usize,
    /// By position: whether the model ever selected it.
    pub ever_selected: Vec<bool>,
    /// Whether a selection was contested (the model was unsure for a while).
    pub contested: bool,
}

/// How sending went.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SenderOutcome {
    /// What each conference's selection model concluded.
    pub models: Vec<ModelSummary>,
    /// Datagrams the kernel refused.
    pub send_failures: u64,
    /// Packets that could not be built or protected.
    pub build_failures: u64,
    /// `sendmmsg` calls.
    pub calls: u64,
    /// Packets sent more than 5 ms after their planned time (the replay could not keep up).
    pub late: u64,
    /// Whether every participant finished its stream (rather than being stopped).
    pub completed: bool,
}

struct Running {
    conference: SenderConference,
    /// Per position: next packet index and its due offset.
    cursors: Vec<(u64, Option<u64>)>,
}

struct Pending {
    conference: usize,
    position: usize,
    index: u64,
    must: bool,
    len: usize,
    destination: SocketAddr,
}

/// What a flush needs besides the packets: the send logs (apart from the running
/// conferences, which are borrowed while packets are built).
struct Flush<'a> {
    socket: &'a BatchSocket,
    sender: BatchSender,
    clock: RunClock,
    counters: &'a LiveCounters,
    /// Per running conference, per position.
    logs: Vec<Vec<Arc<SendLog>>>,
}

impl Flush<'_> {
    /// Logs the send time of every pending packet, then sends them all.
    fn flush(
        &mut self,
        pending: &mut Vec<Pending>,
        slots: &[Vec<u8>],
        outcome: &mut SenderOutcome,
    ) {
        if pending.is_empty() {
            return;
        }
        let sent_us = self.clock.micros(Instant::now());
        for p in pending.iter() {
            if let Some(log) = self.logs.get(p.conference).and_then(|l| l.get(p.position)) {
                log.record(p.index, sent_us, p.must);
            }
        }
        let datagrams: Vec<(SocketAddr, &[u8])> = pending
            .iter()
            .zip(slots)
            .map(|(p, slot)| (p.destination, &slot[..p.len.min(slot.len())]))
            .collect();
        let result = self.sender.send(self.socket, &datagrams);
        outcome.calls += result.calls as u64;
        outcome.send_failures += result.failed as u64;
        LiveCounters::add(&self.counters.sent, result.sent as u64);
        pending.clear();
    }
}

/// Runs until `stop`, or until `incoming` is closed and every stream has ended.
pub fn run_sender(
    socket: &BatchSocket,
    incoming: &Receiver<SenderConference>,
    stop: &AtomicBool,
    clock: RunClock,
    counters: &LiveCounters,
) -> SenderOutcome {
    let mut outcome = SenderOutcome::default();
    let mut running: Vec<Running> = Vec::new();
    let mut slots: Vec<Vec<u8>> = (0..BATCH).map(|_| vec![0u8; SLOT_BYTES]).collect();
    let mut pending: Vec<Pending> = Vec::with_capacity(BATCH);
    let mut flush = Flush {
        socket,
        sender: BatchSender::new(BATCH),
        clock,
        counters,
        logs: Vec::new(),
    };
    let mut setup_over = false;
    loop {
        loop {
            match incoming.try_recv() {
                Ok(conference) => {
                    let cursors = (0..conference.legs.len())
                        .map(|k| (0, conference.plan.packet(k, 0).map(|p| p.offset_ns)))
                        .collect();
                    flush
                        .logs
                        .push(conference.legs.iter().map(|l| l.log.clone()).collect());
                    running.push(Running {
                        conference,
                        cursors,
                    });
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    setup_over = true;
                    break;
                }
            }
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let now = Instant::now();
        let mut next_due: Option<Instant> = None;
        for (slot, run) in running.iter_mut().enumerate() {
            let conference = &mut run.conference;
            let horizon = (now + LOOKAHEAD).saturating_duration_since(conference.started);
            let horizon_ns = horizon.as_nanos() as u64;
            let margin_ns = conference.margin.as_nanos() as u64;
            conference.model.advance(horizon_ns + margin_ns);
            for (position, cursor) in run.cursors.iter_mut().enumerate() {
                while let Some(due) = cursor.1.filter(|&due| due <= horizon_ns) {
                    let index = cursor.0;
                    let must = conference.model.must_deliver(position, due);
                    if horizon_ns.saturating_sub(due) > LATE.as_nanos() as u64 {
                        outcome.late += 1;
                    }
                    let destination = conference.legs.get(position).map(|l| l.destination);
                    let built = build(conference, position, index, &mut slots[pending.len()]);
                    match (built, destination) {
                        (Some(len), Some(destination)) => pending.push(Pending {
                            conference: slot,
                            position,
                            index,
                            must,
                            len,
                            destination,
                        }),
                        _ => outcome.build_failures += 1,
                    }
                    cursor.0 += 1;
                    cursor.1 = conference
                        .plan
                        .packet(position, cursor.0)
                        .map(|p| p.offset_ns);
                    if pending.len() == BATCH {
                        flush.flush(&mut pending, &slots, &mut outcome);
                    }
                }
                if let Some(due) = cursor.1 {
                    let at = conference.started + Duration::from_nanos(due);
                    next_due = Some(next_due.map_or(at, |n| n.min(at)));
                }
            }
            conference.model.forget_before(horizon_ns);
        }
        flush.flush(&mut pending, &slots, &mut outcome);
        let exhausted = running
            .iter()
            .all(|run| run.cursors.iter().all(|c| c.1.is_none()));
        if setup_over && exhausted {
            outcome.completed = true;
            break;
        }
        let wait = next_due
            .map_or(MAX_SLEEP, |due| {
                due.saturating_duration_since(Instant::now())
            })
            .min(MAX_SLEEP);
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }
    outcome.models = running
        .iter()
        .map(|run| {
            let conference = &run.conference;
            ModelSummary {
                index: conference.index,
                ever_selected: (0..conference.legs.len())
                    .map(|k| conference.model.ever_selected(k))
                    .collect(),
                contested: conference.model.contested(),
            }
        })
        .collect();
    outcome
}

/// Writes packet `index` of `position` into `slot` and protects it; its length, or `None`.
fn build(
    conference: &mut SenderConference,
    position: usize,
    index: u64,
    slot: &mut [u8],
) -> Option<usize> {
    let packet = conference.plan.packet(position, index)?;
    let len = conference.plan.write(position, &packet, slot).ok()?;
    match conference.legs.get_mut(position)?.srtp.as_mut() {
        Some(session) => session.protect(&mut PacketBuf::new(slot, len)).ok(),
        None => Some(len),
    }
}
