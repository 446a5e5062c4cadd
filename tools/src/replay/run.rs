//! One run from start to report: bind the socket, start the receiving and sending
//! threads, set conferences and legs up through the admin API or SIP ([`Signalling`], at
//! the ramp-up rate, each
//! conference starting to send as soon as its legs exist), wait for the end (streams
//! played out, or a stop), drain what is still in flight, remove the conferences, report.

use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use medianode_dataplane::srtp::{SdesKey, SrtpPolicy, SrtpSession};

use super::admin_client::{AdminClient, AdminError};
use super::batch_socket::BatchSocket;
use super::expectation::{NodePolicy, SelectionModel};
use super::keys::{fresh_key, random_u32, KeyError, SrtpMode};
use super::live::{LiveCounters, LiveStatus, RunClock};
use super::options::ReplayOptions;
use super::plan::{ConferencePlan, LevelSource, ParticipantPlan};
use super::receiver::{run_receiver, ReceiverConference, ReceiverLeg};
use super::record::Recorder;
use super::report::{conference_report, total, ConferenceInputs, RunReport, SenderReport};
use super::send_log::SendLog;
use super::sender::{run_sender, SenderConference, SenderLeg};
use super::signalling::{LegProtection, LegSpec, Signalling};
use super::sip::SipError;

/// How long the receiving thread blocks before it looks at its stop flag.
const RECV_POLL: Duration = Duration::from_millis(50);
/// How often the observer hears about progress.
const OBSERVE_EVERY: Duration = Duration::from_millis(200);

/// Why a run could not be made.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReplayError {
    /// The options do not make a run.
    Options(String),
    /// The socket could not be set up.
    Socket(std::io::Error),
    /// The admin API refused or failed.
    Admin(AdminError),
    /// SIP call set-up failed.
    Sip(SipError),
    /// No key could be generated.
    Keys(KeyError),
    /// The recording or key log could not be created.
    Output(String),
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::Options(what) => f.write_str(what),
            ReplayError::Socket(e) => write!(f, "cannot set up the replay socket: {e}"),
            ReplayError::Admin(e) => e.fmt(f),
            ReplayError::Sip(e) => e.fmt(f),
            ReplayError::Keys(e) => e.fmt(f),
            ReplayError::Output(what) => f.write_str(what),
        }
    }
}

// Display already includes the inner error, so it is not repeated as a source.
impl std::error::Error for ReplayError {}

impl From<AdminError> for ReplayError {
    fn from(e: AdminError) -> Self {
        ReplayError::Admin(e)
    }
}

impl From<KeyError> for ReplayError {
    fn from(e: KeyError) -> Self {
        ReplayError::Keys(e)
    }
}

/// A conference that was set up.
struct Established {
    id: String,
    policy: NodePolicy,
    logs: Vec<Arc<SendLog>>,
    modelled: bool,
}

/// What set-up shares with the run.
struct Setup<'a> {
    options: &'a ReplayOptions,
    calls: &'a mut Signalling,
    local: SocketAddr,
    counters: &'a LiveCounters,
    clock: RunClock,
    keylog: Option<BufWriter<File>>,
    ssrcs: std::collections::HashSet<u32>,
    legs_started: Instant,
    legs_made: u64,
}

fn check(options: &ReplayOptions) -> Result<(), ReplayError> {
    let fail = |what: &str| Err(ReplayError::Options(what.to_owned()));
    if options.streams.is_empty() {
        return fail("no stream to play");
    }
    if options.conferences == 0 || options.participants == 0 {
        return fail("--conferences and --participants must be at least 1");
    }
    if !(options.timing.speed.is_finite() && options.timing.speed > 0.0) {
        return fail("--speed must be a positive number");
    }
    if options.ramp_up.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
        return fail("--ramp-up must be a positive number of legs per second");
    }
    if options.level_id == 0 {
        return fail("--level-id must be 1..=255");
    }
    if options.levels == LevelSource::Payload
        && options
            .streams
            .iter()
            .any(|s| s.packets.iter().any(|p| p.payload_level.is_none()))
    {
        return fail("--levels payload needs G.711 streams (use slots or keep for Opus)");
    }
    if options.receive_mix && options.sip.is_some() {
        return fail("--receive mix is set up through the admin API, not --sip");
    }
    if options.receive_mix && matches!(options.srtp, Some(SrtpMode::EndToEnd(_))) {
        return fail("--receive mix needs media the node can decode: not with --e2e");
    }
    if let LevelSource::Slots { slot_ns } = options.levels {
        if slot_ns == 0 {
            return fail("--slot must be longer than zero");
        }
    }
    Ok(())
}

/// Runs `options` until the streams end or `stop` is set; `observe` hears about progress
/// every 200 ms. Conferences are removed at the end unless `options.keep`.
pub fn run(
    options: &ReplayOptions,
    stop: &AtomicBool,
    observe: &mut dyn FnMut(&LiveStatus),
) -> Result<RunReport, ReplayError> {
    check(options)?;
    let admin = AdminClient::new(&options.node)?.with_token(options.admin_token.as_deref());
    let socket = BatchSocket::bind(options.bind, RECV_POLL).map_err(ReplayError::Socket)?;
    let local = socket.local_addr().map_err(ReplayError::Socket)?;
    if local.ip().is_unspecified() {
        return Err(ReplayError::Options(
            "--bind must be an address the node can send to, not 0.0.0.0 or ::".to_owned(),
        ));
    }
    let mut calls = Signalling::new(admin, options.sip.as_ref(), local.ip())?;
    let receive_socket = socket.try_clone().map_err(ReplayError::Socket)?;
    let recorder =
        match &options.record {
            Some(path) => Some(Recorder::create(path).map_err(|e| {
                ReplayError::Output(format!("cannot create {}: {e}", path.display()))
            })?),
            None => None,
        };
    let keylog = match &options.keylog {
        Some(path) => Some(BufWriter::new(File::create(path).map_err(|e| {
            ReplayError::Output(format!("cannot create {}: {e}", path.display()))
        })?)),
        None => None,
    };
    let clock = RunClock::start();
    let counters = LiveCounters::default();
    let stop_sending = AtomicBool::new(false);
    let stop_receiving = AtomicBool::new(false);
    let planned = options.conferences as u64;

    let (established, setup_result, sent, received) = std::thread::scope(|scope| {
        let (to_sender, sender_rx) = mpsc::channel::<SenderConference>();
        let (to_receiver, receiver_rx) = mpsc::channel::<ReceiverConference>();
        let (receive_socket, stop_receiving_ref, counters_ref) =
            (&receive_socket, &stop_receiving, &counters);
        let receiver = scope.spawn(move || {
            run_receiver(
                receive_socket,
                &receiver_rx,
                stop_receiving_ref,
                clock,
                counters_ref,
                recorder,
            )
        });
        let (send_socket, stop_sending_ref) = (&socket, &stop_sending);
        let sender = scope.spawn(move || {
            run_sender(
                send_socket,
                &sender_rx,
                stop_sending_ref,
                clock,
                counters_ref,
            )
        });
        let mut setup = Setup {
            options,
            calls: &mut calls,
            local,
            counters: &counters,
            clock,
            keylog,
            ssrcs: std::collections::HashSet::new(),
            legs_started: Instant::now(),
            legs_made: 0,
        };
        let mut established = Vec::new();
        let setup_result = setup.all(&mut established, &to_sender, &to_receiver, stop, observe);
        drop(to_sender);
        drop(to_receiver);
        if setup_result.is_ok() {
            while !sender.is_finished() && !stop.load(Ordering::Relaxed) {
                observe(&counters.status(clock.elapsed(), planned));
                std::thread::sleep(OBSERVE_EVERY);
            }
        }
        stop_sending.store(true, Ordering::Relaxed);
        let sent = sender.join().unwrap_or_default();
        let drain_end = Instant::now() + options.drain;
        while Instant::now() < drain_end {
            observe(&counters.status(clock.elapsed(), planned));
            std::thread::sleep(
                OBSERVE_EVERY.min(drain_end.saturating_duration_since(Instant::now())),
            );
        }
        stop_receiving.store(true, Ordering::Relaxed);
        let received = receiver.join().unwrap_or_default();
        (established, setup_result, sent, received)
    });
    observe(&counters.status(clock.elapsed(), planned));
    if !options.keep {
        for conference in &established {
            // The node may already be gone; a run's report stands without the clean-up.
            let _ = calls.end_conference(&conference.id);
        }
    }
    setup_result?;

    let conferences: Vec<_> = established
        .iter()
        .enumerate()
        .map(|(index, conference)| {
            let model = sent.models.iter().find(|m| m.index == index);
            conference_report(&ConferenceInputs {
                id: &conference.id,
                policy: conference.policy.describe(),
                logs: &conference.logs,
                modelled: conference.modelled && model.is_some_and(|m| !m.contested),
                ever_selected: model.map_or(&[][..], |m| m.ever_selected.as_slice()),
                receipt: received.conferences.iter().find(|r| r.index == index),
            })
        })
        .collect();
    let total = total(&conferences, &received.conferences);
    if let Some(error) = &received.record_error {
        return Err(ReplayError::Output(format!("recording failed: {error}")));
    }
    Ok(RunReport {
        source: options.streams.iter().map(|s| s.label.clone()).collect(),
        conferences_planned: options.conferences,
        participants: options.participants,
        levels: match options.levels {
            LevelSource::Keep => "keep".to_owned(),
            LevelSource::Payload => "payload".to_owned(),
            LevelSource::Slots { slot_ns } => format!("slots of {} ms", slot_ns / 1_000_000),
        },
        srtp: options.srtp.map(SrtpMode::describe),
        elapsed_s: clock.elapsed().as_secs_f64(),
        completed: sent.completed,
        unknown_source: received.unknown_source,
        recorded: received.recorded,
        sender: SenderReport {
            send_calls: sent.calls,
            send_failures: sent.send_failures,
            build_failures: sent.build_failures,
            late: sent.late,
        },
        conferences,
        total,
    })
}

/// Keys of one participant.
struct LegKeys {
    /// What it sends with.
    send: SdesKey,
    /// What it receives with.
    receive: SdesKey,
}

impl Setup<'_> {
    /// Sets every conference up, in order, handing each to the threads once its legs
    /// exist. Stops early (without error) when `stop` is set.
    fn all(
        &mut self,
        established: &mut Vec<Established>,
        to_sender: &Sender<SenderConference>,
        to_receiver: &Sender<ReceiverConference>,
        stop: &AtomicBool,
        observe: &mut dyn FnMut(&LiveStatus),
    ) -> Result<(), ReplayError> {
        let mut observed = Instant::now();
        for index in 0..self.options.conferences {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let Some((for_sender, for_receiver)) =
                self.conference(index, established, stop, &mut observed, observe)?
            else {
                break;
            };
            // The receiver first, so that the first answers find their conference.
            let _ = to_receiver.send(for_receiver);
            let _ = to_sender.send(for_sender);
            LiveCounters::add(&self.counters.conferences, 1);
        }
        if let Some(mut keylog) = self.keylog.take() {
            keylog
                .flush()
                .map_err(|e| ReplayError::Output(format!("cannot write the key log: {e}")))?;
        }
        Ok(())
    }

    fn unique_ssrc(&mut self) -> Result<u32, ReplayError> {
        loop {
            let ssrc = random_u32()?;
            if ssrc != 0 && self.ssrcs.insert(ssrc) {
                return Ok(ssrc);
            }
        }
    }

    /// Waits as the ramp-up rate asks before the next leg.
    fn pace(&mut self) {
        if let Some(rate) = self.options.ramp_up {
            let due = self.legs_started + Duration::from_secs_f64(self.legs_made as f64 / rate);
            let wait = due.saturating_duration_since(Instant::now());
            if !wait.is_zero() {
                std::thread::sleep(wait);
            }
        }
        self.legs_made += 1;
    }

    /// Creates conference `index` and its legs, recording it in `established` as soon as
    /// the node has it (so that it is removed at the end whatever happens); returns what
    /// the threads need, or `None` when stopped half-way.
    fn conference(
        &mut self,
        index: usize,
        established: &mut Vec<Established>,
        stop: &AtomicBool,
        observed: &mut Instant,
        observe: &mut dyn FnMut(&LiveStatus),
    ) -> Result<Option<(SenderConference, ReceiverConference)>, ReplayError> {
        let options = self.options;
        let created = self.calls.create_conference(options.policy)?;
        let conference_key = match options.srtp {
            Some(SrtpMode::EndToEnd(suite)) => Some(fresh_key(suite)?),
            _ => None,
        };
        let count = options.participants;
        let mut participants = Vec::with_capacity(count);
        let mut keys: Vec<Option<LegKeys>> = Vec::with_capacity(count);
        let mut destinations = Vec::with_capacity(count);
        established.push(Established {
            id: created.id.clone(),
            policy: created.policy,
            logs: Vec::new(),
            modelled: false,
        });
        for position in 0..count {
            if stop.load(Ordering::Relaxed) {
                return Ok(None);
            }
            if observed.elapsed() >= OBSERVE_EVERY {
                observe(
                    &self
                        .counters
                        .status(self.clock.elapsed(), options.conferences as u64),
                );
                *observed = Instant::now();
            }
            let stream = options.streams[position % options.streams.len()].clone();
            let rotation = position * stream.len() / count % stream.len().max(1);
            let participant = ParticipantPlan {
                stream,
                rotation,
                ssrc: self.unique_ssrc()?,
                first_seq: random_u32()? as u16,
                first_ts: random_u32()?,
            };
            let name = format!("{}-{}-{}", options.participant_prefix, created.id, position);
            let participant_key = match options.srtp {
                Some(SrtpMode::HopByHop(suite)) => Some(fresh_key(suite)?),
                _ => None,
            };
            let protection = match (options.srtp, &participant_key) {
                (Some(SrtpMode::HopByHop(_)), Some(key)) => LegProtection::HopByHop(key),
                (Some(SrtpMode::EndToEnd(_)), _) => LegProtection::EndToEnd,
                _ => LegProtection::Plain,
            };
            let spec = LegSpec {
                codec: participant.stream.codec,
                payload_type: participant.stream.payload_type,
                remote: self.local,
                participant: &name,
                ssrc: participant.ssrc,
                audio_level_id: (options.levels != LevelSource::Keep).then_some(options.level_id),
                protection,
                receive_mix: options.receive_mix,
            };
            self.pace();
            let leg = self.calls.add_leg(&created.id, &spec)?;
            LiveCounters::add(&self.counters.legs, 1);
            let leg_keys = match (options.srtp, participant_key, &conference_key) {
                (Some(SrtpMode::HopByHop(suite)), Some(send), _) => {
                    let text = leg.tx_key.as_deref().ok_or_else(|| {
                        AdminError::BadAnswer("a hop-by-hop leg came without tx_key".to_owned())
                    })?;
                    let receive = SdesKey::parse(suite, text).map_err(|e| {
                        AdminError::BadAnswer(format!("the node's tx_key does not parse: {e}"))
                    })?;
                    Some(LegKeys { send, receive })
                }
                (Some(SrtpMode::EndToEnd(_)), _, Some(key)) => Some(LegKeys {
                    send: key.clone(),
                    receive: key.clone(),
                }),
                _ => None,
            };
            self.log_keys(
                &created.id,
                &leg.id,
                leg.local,
                &name,
                participant.ssrc,
                leg_keys.as_ref(),
            )?;
            keys.push(leg_keys);
            destinations.push(leg.local);
            participants.push(participant);
        }
        let plan = Arc::new(ConferencePlan {
            participants,
            timing: options.timing,
            levels: options.levels,
            level_id: options.level_id,
        });
        let logs: Vec<Arc<SendLog>> = (0..count).map(|_| Arc::new(SendLog::default())).collect();
        if let Some(record) = established.last_mut() {
            record.logs = logs.clone();
            record.modelled = created.policy.all || plan.levels_known();
        }
        let model = SelectionModel::new(
            plan.clone(),
            created.policy.selection_policy(),
            options.margin,
        );
        let mut sender_legs = Vec::with_capacity(count);
        let mut receiver_legs = Vec::with_capacity(count);
        for ((destination, keys), log) in destinations.iter().zip(keys).zip(&logs) {
            let (send, receive) = match keys {
                Some(keys) => (
                    Some(SrtpSession::sender(SrtpPolicy::new(
                        keys.send.master_key.clone(),
                    ))),
                    Some(SrtpSession::receiver(SrtpPolicy::new(
                        keys.receive.master_key.clone(),
                    ))),
                ),
                None => (None, None),
            };
            sender_legs.push(SenderLeg {
                destination: *destination,
                srtp: send,
                log: log.clone(),
            });
            receiver_legs.push(ReceiverLeg {
                node_addr: *destination,
                srtp: receive,
            });
        }
        let for_receiver = ReceiverConference {
            index,
            plan: plan.clone(),
            legs: receiver_legs,
            logs,
            mix: options.receive_mix,
        };
        let for_sender = SenderConference {
            index,
            plan,
            model,
            legs: sender_legs,
            started: Instant::now(),
            margin: options.margin,
        };
        Ok(Some((for_sender, for_receiver)))
    }

    /// One key-log line per leg: enough to decrypt a recording (it holds secrets).
    fn log_keys(
        &mut self,
        conference: &str,
        leg: &str,
        node: SocketAddr,
        participant: &str,
        ssrc: u32,
        keys: Option<&LegKeys>,
    ) -> Result<(), ReplayError> {
        let (Some(keylog), Some(keys), Some(mode)) =
            (self.keylog.as_mut(), keys, self.options.srtp)
        else {
            return Ok(());
        };
        let suite = mode.suite().sdes_name();
        let line = match mode {
            SrtpMode::HopByHop(_) => format!(
                "conference={conference} leg={leg} node={node} participant={participant} \
                 ssrc=0x{ssrc:08X} suite={suite} mode=hop_by_hop participant_key={} node_key={}",
                keys.send, keys.receive
            ),
            SrtpMode::EndToEnd(_) => format!(
                "conference={conference} leg={leg} node={node} participant={participant} \
                 ssrc=0x{ssrc:08X} suite={suite} mode=end_to_end conference_key={}",
                keys.send
            ),
        };
        writeln!(keylog, "{line}")
            .map_err(|e| ReplayError::Output(format!("cannot write the key log: {e}")))
    }
}
