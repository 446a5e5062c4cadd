//! The receiving thread: every datagram the node sent back, taken in `recvmmsg` batches,
//! attributed to the participant whose leg sent it (by the node's source port), decrypted
//! with that participant's SRTP session, matched to the packet its sender sent (by SSRC
//! and sequence number, through the send log) and counted: who was heard, loss against
//! what had to arrive, duplicates, reordering, jitter, one-way delay, and whether the
//! bytes are exactly what was sent. Participants that receive the node's mix instead
//! count the mix streams ([`MixStream`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::Instant;

use medianode_dataplane::demux::{classify, PacketKind};
use medianode_dataplane::rtp::RtpPacket;
use medianode_dataplane::srtp::{PacketBuf, SrtpSession};

use super::batch_socket::{BatchReceiver, BatchSocket, MAX_DATAGRAM};
use super::histogram::DelayHistogram;
use super::live::{LiveCounters, RunClock};
use super::mix_stream::MixStream;
use super::pair_stats::{Arrival, PairStats};
use super::plan::ConferencePlan;
use super::record::Recorder;
use super::send_log::SendLog;

/// Datagrams per `recvmmsg` call at most.
const BATCH: usize = 256;

/// One participant as the receiver sees it.
#[derive(Debug)]
pub struct ReceiverLeg {
    /// The node's address of its leg: its media comes from there.
    pub node_addr: SocketAddr,
    /// Decrypts what it receives, when it uses SRTP.
    pub srtp: Option<SrtpSession>,
}

/// A conference whose media is about to flow.
#[derive(Debug)]
pub struct ReceiverConference {
    /// Its index in the run.
    pub index: usize,
    /// What its participants send (to check the bytes).
    pub plan: Arc<ConferencePlan>,
    /// Its participants, by position.
    pub legs: Vec<ReceiverLeg>,
    /// Their send logs, by position.
    pub logs: Vec<Arc<SendLog>>,
    /// Whether its participants receive the node's mix rather than forwarded packets.
    pub mix: bool,
}

/// Counts that belong to a conference but to no pair.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConferenceCounts {
    /// RTCP compounds received (the node's receiver reports).
    pub rtcp: u64,
    /// Packets that failed SRTP unprotection.
    pub srtp_failures: u64,
    /// Packets from another conference, from the receiver itself, or of an unknown SSRC.
    pub misrouted: u64,
    /// Packets whose bytes differ from what their sender sent, or that do not parse.
    pub corrupted: u64,
    /// Packets whose send time was no longer (or not yet) in the log.
    pub unmatched: u64,
    /// Datagrams that were neither RTP nor RTCP.
    pub not_rtp: u64,
}

/// What one conference received, at the end.
#[derive(Debug, Clone)]
pub struct ConferenceReceipt {
    /// Its index in the run.
    pub index: usize,
    /// `pairs[r][s]`: what participant `r` received from participant `s`.
    pub pairs: Vec<Vec<PairStats>>,
    /// One-way delays of first copies, in microseconds.
    pub delays: DelayHistogram,
    /// The other counts.
    pub counts: ConferenceCounts,
    /// With the mix: by participant position, the mix streams it received.
    pub mix: Option<Vec<Vec<MixStream>>>,
}

/// How receiving went.
#[derive(Debug, Default)]
pub struct ReceiverOutcome {
    /// Per conference.
    pub conferences: Vec<ConferenceReceipt>,
    /// Datagrams from addresses that are no leg of the run.
    pub unknown_source: u64,
    /// Datagrams written to the recording.
    pub recorded: u64,
    /// Why recording stopped early, if it did.
    pub record_error: Option<String>,
}

struct ConferenceState {
    plan: Arc<ConferencePlan>,
    logs: Vec<Arc<SendLog>>,
    srtp: Vec<Option<SrtpSession>>,
    /// With the mix: by position, the SSRC of the last mix packet received.
    last_mix_ssrc: Vec<Option<u32>>,
    receipt: ConferenceReceipt,
}

/// Where each leg address and SSRC belongs: (conference slot, position).
#[derive(Debug, Default)]
struct Known {
    by_leg: HashMap<SocketAddr, (usize, usize)>,
    by_ssrc: HashMap<u32, (usize, usize)>,
}

impl Known {
    /// Takes the conferences set up since the last look.
    fn take_new(
        &mut self,
        incoming: &Receiver<ReceiverConference>,
        conferences: &mut Vec<ConferenceState>,
    ) {
        while let Ok(conference) = incoming.try_recv() {
            let slot = conferences.len();
            for (position, leg) in conference.legs.iter().enumerate() {
                self.by_leg.insert(leg.node_addr, (slot, position));
            }
            for (position, participant) in conference.plan.participants.iter().enumerate() {
                self.by_ssrc.insert(participant.ssrc, (slot, position));
            }
            conferences.push(ConferenceState::new(conference));
        }
    }
}

/// Runs until `stop`.
pub fn run_receiver(
    socket: &BatchSocket,
    incoming: &Receiver<ReceiverConference>,
    stop: &AtomicBool,
    clock: RunClock,
    counters: &LiveCounters,
    mut recorder: Option<Recorder>,
) -> ReceiverOutcome {
    let mut outcome = ReceiverOutcome::default();
    let own = socket.local_addr().ok();
    let mut conferences: Vec<ConferenceState> = Vec::new();
    let mut batch = BatchReceiver::new(BATCH);
    let mut expected = vec![0u8; MAX_DATAGRAM];
    let mut known = Known::default();
    while !stop.load(Ordering::Relaxed) {
        known.take_new(incoming, &mut conferences);
        let count = match batch.recv(socket) {
            Ok(count) => count,
            Err(_) => continue,
        };
        if count == 0 {
            continue;
        }
        let arrived = Instant::now();
        let arrival_ns = clock.nanos(arrived);
        for i in 0..count {
            let Some((from, buffer, len)) = batch.datagram_mut(i) else {
                continue;
            };
            if let (Some(writer), Some(own)) = (recorder.as_mut(), own) {
                let wall = clock.wall_ns(arrived);
                match writer.write(wall, from, own, buffer.get(..len).unwrap_or(&[])) {
                    Ok(()) => outcome.recorded += 1,
                    Err(e) => {
                        outcome.record_error = Some(e.to_string());
                        recorder = None;
                    }
                }
            }
            // A conference that just started may answer before this thread saw it.
            if !known.by_leg.contains_key(&from) {
                known.take_new(incoming, &mut conferences);
            }
            let Some(&(slot, position)) = known.by_leg.get(&from) else {
                outcome.unknown_source += 1;
                continue;
            };
            if let Some(state) = conferences.get_mut(slot) {
                state.take(
                    position,
                    buffer,
                    len,
                    arrival_ns,
                    &known.by_ssrc,
                    slot,
                    &mut expected,
                    counters,
                );
            }
        }
    }
    if let Some(writer) = recorder {
        if let Err(e) = writer.finish() {
            outcome.record_error = Some(e.to_string());
        }
    }
    outcome.conferences = conferences.into_iter().map(|c| c.receipt).collect();
    outcome
}

impl ConferenceState {
    fn new(conference: ReceiverConference) -> ConferenceState {
        let count = conference.legs.len();
        let pairs = (0..count)
            .map(|_| {
                conference
                    .plan
                    .participants
                    .iter()
                    .map(|p| PairStats::new(p.stream.codec.clock_rate()))
                    .collect()
            })
            .collect();
        ConferenceState {
            plan: conference.plan,
            logs: conference.logs,
            last_mix_ssrc: vec![None; count],
            srtp: conference.legs.into_iter().map(|l| l.srtp).collect(),
            receipt: ConferenceReceipt {
                index: conference.index,
                pairs,
                delays: DelayHistogram::default(),
                counts: ConferenceCounts::default(),
                mix: conference.mix.then(|| vec![Vec::new(); count]),
            },
        }
    }

    /// Counts one datagram received by participant `receiver`.
    #[allow(clippy::too_many_arguments)]
    fn take(
        &mut self,
        receiver: usize,
        buffer: &mut [u8],
        len: usize,
        arrival_ns: u64,
        by_ssrc: &HashMap<u32, (usize, usize)>,
        slot: usize,
        expected: &mut [u8],
        counters: &LiveCounters,
    ) {
        let counts = &mut self.receipt.counts;
        match classify(buffer.get(..len).unwrap_or(&[])) {
            PacketKind::Rtp => {}
            PacketKind::Rtcp => {
                counts.rtcp += 1;
                return;
            }
            PacketKind::Other => {
                counts.not_rtp += 1;
                return;
            }
        }
        let len = match self.srtp.get_mut(receiver).and_then(Option::as_mut) {
            Some(session) => match session.unprotect(&mut PacketBuf::new(buffer, len)) {
                Ok(len) => len,
                Err(_) => {
                    counts.srtp_failures += 1;
                    LiveCounters::add(&counters.srtp_failures, 1);
                    return;
                }
            },
            None => len,
        };
        let bytes = buffer.get(..len).unwrap_or(&[]);
        let Ok(rtp) = RtpPacket::new_checked(bytes) else {
            counts.corrupted += 1;
            return;
        };
        if let Some(mix) = self.receipt.mix.as_mut() {
            // A participant's own packet here means the node forwarded instead of mixing.
            if by_ssrc.contains_key(&rtp.ssrc()) {
                counts.misrouted += 1;
                LiveCounters::add(&counters.misrouted, 1);
                return;
            }
            let clock_rate = self
                .plan
                .participants
                .get(receiver)
                .map_or(8000, |p| p.stream.codec.clock_rate());
            let Some(streams) = mix.get_mut(receiver) else {
                return;
            };
            let at = match streams.iter().position(|s| s.ssrc == rtp.ssrc()) {
                Some(at) => at,
                None => {
                    streams.push(MixStream::new(
                        rtp.ssrc(),
                        rtp.sequence_number(),
                        clock_rate,
                    ));
                    streams.len() - 1
                }
            };
            let last = self.last_mix_ssrc.get_mut(receiver);
            let returned = last
                .as_ref()
                .is_some_and(|l| l.is_some_and(|ssrc| ssrc != rtp.ssrc()));
            if let Some(last) = last {
                *last = Some(rtp.ssrc());
            }
            if let Some(stream) = streams.get_mut(at) {
                let arrival =
                    stream.on_packet(rtp.sequence_number(), rtp.timestamp(), arrival_ns, returned);
                if arrival != Arrival::Duplicate {
                    LiveCounters::add(&counters.received, 1);
                }
            }
            return;
        }
        let sender = match by_ssrc.get(&rtp.ssrc()) {
            Some(&(sender_slot, sender)) if sender_slot == slot && sender != receiver => sender,
            _ => {
                counts.misrouted += 1;
                LiveCounters::add(&counters.misrouted, 1);
                return;
            }
        };
        let (Some(plan), Some(log)) = (self.plan.participants.get(sender), self.logs.get(sender))
        else {
            counts.misrouted += 1;
            return;
        };
        let delta = rtp.sequence_number().wrapping_sub(plan.first_seq);
        let Some((index, sent)) = log
            .index_for(delta)
            .and_then(|index| Some((index, log.lookup(index)?)))
        else {
            counts.unmatched += 1;
            return;
        };
        let Some(pair) = self
            .receipt
            .pairs
            .get_mut(receiver)
            .and_then(|row| row.get_mut(sender))
        else {
            return;
        };
        let arrival = pair.on_packet(index, rtp.timestamp(), arrival_ns, sent.must_deliver);
        if arrival == Arrival::Duplicate {
            return;
        }
        LiveCounters::add(&counters.received, 1);
        let arrival_us = arrival_ns / 1000;
        self.receipt
            .delays
            .record(arrival_us.saturating_sub(sent.sent_us));
        let intact = self.plan.packet(sender, index).is_some_and(|planned| {
            self.plan
                .write(sender, &planned, expected)
                .is_ok_and(|n| expected.get(..n) == Some(bytes))
        });
        if !intact {
            self.receipt.counts.corrupted += 1;
        }
    }
}
