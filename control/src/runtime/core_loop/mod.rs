//! One core's event loop: its [`MediaCore`], its sockets, and the commands and events that
//! connect it to the control side.
//!
//! Both shells ([`super::glommio_shell`] and [`super::thread_shell`]) call
//! [`CoreLoop::turn`] until it says stop. A turn waits for datagrams no longer than the
//! media core's next deadline or the next housekeeping, hands what arrived to the media
//! core as one batch, sends the outbox as one batch, runs due deadlines, forwards events
//! and applies pending commands. The media core itself reads no clock; this loop is where
//! `Instant::now()` comes from.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::{Duration, Instant};

use medianode_dataplane::conference::{
    ConferenceError, ConferenceId, CoreConfig, InDatagram, LegConfig, LegId, MediaCore, MixerKey,
    Outbox, RecordedFrame, RecordingId, SelectionPolicy,
};
use medianode_netio::{IoBackendChoice, PacketIo};

use super::commands::{AddLegError, ConferenceView, CoreCommand, NodeEvent};
use super::port_pool::PortPool;
use crate::config::MediaConfig;
use crate::metrics::{BatchSizes, CoreMetrics, ForwardDelays, MixTickTimes};

/// Bytes of each receive buffer: an Ethernet MTU with room to spare.
const RECV_BUFFER_BYTES: usize = 2048;
/// Outbox slots per received datagram: room for a fan-out of this many copies on average
/// before copies are dropped (and counted as `outbox_full`).
const OUTBOX_SLOTS_PER_DATAGRAM: usize = 32;

/// What the shell does after a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopControl {
    /// Keep running.
    Continue,
    /// End the event loop.
    Stop,
}

/// Everything a core starts from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CoreSetup {
    /// The core's index.
    pub index: usize,
    /// When the node started (the heartbeat's origin).
    pub node_started: Instant,
    /// How often the core publishes counters and its heartbeat.
    pub housekeeping: Duration,
    /// The address legs bind to.
    pub bind: IpAddr,
    /// The core's media ports.
    pub ports: RangeInclusive<u16>,
    /// Most datagrams per receive batch.
    pub recv_batch: usize,
    /// Defaults of the media core (rate limit, media timeout...).
    pub media: CoreConfig,
    /// The socket layer backend to ask for.
    pub io_backend: IoBackendChoice,
}

impl CoreSetup {
    /// The setup of core `index` of `cores` from the node's media configuration.
    pub fn new(
        index: usize,
        cores: usize,
        node_started: Instant,
        housekeeping: Duration,
        media: &MediaConfig,
        io_backend: IoBackendChoice,
    ) -> CoreSetup {
        let mut core = CoreConfig::default();
        core.rate_limit = media.rate_limit();
        core.media_timeout = media.media_timeout();
        core.mix = core.mix.with_opus(media.mix_opus());
        core.cname = format!("medianode-core-{index}");
        core.seed = random_seed(index);
        CoreSetup {
            index,
            node_started,
            housekeeping,
            bind: media.bind,
            ports: media.core_ports(index, cores),
            recv_batch: media.recv_batch,
            media: core,
            io_backend,
        }
    }
}

/// A seed for the core's RTCP SSRCs and report intervals: random, so two nodes (or two
/// runs) do not pick the same SSRCs.
fn random_seed(index: usize) -> u64 {
    getrandom::u64().unwrap_or_else(|_| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        nanos ^ (index as u64).rotate_left(32)
    })
}

/// One core's state.
#[derive(Debug)]
pub struct CoreLoop {
    index: usize,
    node_started: Instant,
    housekeeping: Duration,
    next_housekeeping: Instant,
    metrics: Arc<CoreMetrics>,
    media: MediaCore,
    io: PacketIo,
    bind: IpAddr,
    ports: PortPool,
    batch: Vec<InDatagram<Box<[u8]>>>,
    outbox: Outbox,
    batch_sizes: BatchSizes,
    mix_tick_times: MixTickTimes,
    /// Each receive batch's time from arrival to send.
    forward_delays: ForwardDelays,
    /// The writers' queues of the recordings on this core.
    recorders: HashMap<RecordingId, crossbeam_channel::Sender<RecordedFrame>>,
    /// Recorded frames a full writer queue refused.
    recording_dropped: u64,
    events: crossbeam_channel::Sender<NodeEvent>,
    events_lost: u64,
    recv_errors: u64,
}

impl CoreLoop {
    /// Opens the core's socket layer and an empty media core.
    pub fn new(
        setup: CoreSetup,
        metrics: Arc<CoreMetrics>,
        events: crossbeam_channel::Sender<NodeEvent>,
    ) -> std::io::Result<CoreLoop> {
        let io = PacketIo::new(setup.io_backend)?;
        metrics.set_packet_io(io.backend());
        let now = Instant::now();
        let batch = (0..setup.recv_batch)
            .map(|_| {
                let buf = vec![0u8; RECV_BUFFER_BYTES].into_boxed_slice();
                InDatagram::new(0, SocketAddr::from((setup.bind, 0)), buf, 0)
            })
            .collect();
        Ok(CoreLoop {
            index: setup.index,
            node_started: setup.node_started,
            housekeeping: setup.housekeeping,
            next_housekeeping: now,
            metrics,
            media: MediaCore::new(setup.media, now),
            io,
            bind: setup.bind,
            ports: PortPool::new(setup.ports),
            batch,
            outbox: Outbox::new(setup.recv_batch * OUTBOX_SLOTS_PER_DATAGRAM),
            batch_sizes: BatchSizes::default(),
            mix_tick_times: MixTickTimes::default(),
            forward_delays: ForwardDelays::default(),
            recorders: HashMap::new(),
            recording_dropped: 0,
            events,
            events_lost: 0,
            recv_errors: 0,
        })
    }

    /// One turn of the event loop; see the module documentation.
    pub fn turn(&mut self, commands: &crossbeam_channel::Receiver<CoreCommand>) -> LoopControl {
        loop {
            match commands.try_recv() {
                Ok(command) => {
                    if self.handle(command) == LoopControl::Stop {
                        return LoopControl::Stop;
                    }
                }
                Err(crossbeam_channel::TryRecvError::Empty) => break,
                Err(crossbeam_channel::TryRecvError::Disconnected) => return LoopControl::Stop,
            }
        }
        let now = Instant::now();
        if self.media.poll_timeout().is_some_and(|due| due <= now) {
            let ticks = self.media.mix_ticks();
            self.media.handle_timeout(now, &mut self.outbox);
            if self.media.mix_ticks() != ticks {
                // The media core reads no clock: the pass that mixed is timed here.
                self.mix_tick_times.record(now.elapsed());
                self.pass_recorded();
            }
            self.flush();
        }
        self.forward_events();
        if now >= self.next_housekeeping {
            self.housekeeping(now);
        }
        let wake = self
            .media
            .poll_timeout()
            .map_or(self.next_housekeeping, |due| {
                due.min(self.next_housekeeping)
            });
        self.receive(wake.saturating_duration_since(now));
        LoopControl::Continue
    }

    /// Waits up to `timeout` for a batch and routes it.
    fn receive(&mut self, timeout: Duration) {
        match self.io.recv_batch(&mut self.batch, timeout) {
            Ok(0) => {}
            Ok(count) => {
                self.batch_sizes.record(count);
                let now = Instant::now();
                if let Some(batch) = self.batch.get_mut(..count) {
                    self.media.handle_datagrams(now, batch, &mut self.outbox);
                }
                self.flush();
                self.forward_delays.record(now.elapsed());
            }
            Err(error) => {
                self.recv_errors += 1;
                if self.recv_errors.is_power_of_two() {
                    tracing::warn!(
                        core = self.index,
                        %error,
                        errors = self.recv_errors,
                        "receiving failed"
                    );
                }
                // Do not spin on a persistent error; the next turn tries again.
                std::thread::sleep(timeout.clamp(Duration::from_millis(1), self.housekeeping));
            }
        }
    }

    /// Sends and empties the outbox.
    fn flush(&mut self) {
        if self.outbox.is_empty() {
            return;
        }
        if let Err(error) = self.io.send_outbox(&self.outbox) {
            tracing::warn!(core = self.index, %error, "sending failed");
        }
        self.outbox.clear();
    }

    /// Moves the media core's events to the control side. If the control side cannot keep
    /// up, events are counted as lost rather than blocking the packet path.
    fn forward_events(&mut self) {
        while let Some(event) = self.media.poll_event() {
            if self
                .events
                .try_send(NodeEvent::new(self.index, event))
                .is_err()
            {
                self.events_lost += 1;
                if self.events_lost.is_power_of_two() {
                    tracing::warn!(
                        core = self.index,
                        lost = self.events_lost,
                        "the control side is not taking core events; dropping them"
                    );
                }
            }
        }
    }

    /// Publishes counters and the heartbeat that `/healthz` checks.
    pub fn housekeeping(&mut self, now: Instant) {
        self.metrics.publish_media(&self.media.counters());
        self.metrics.publish_io(&self.io.counters());
        self.metrics.publish_batch_sizes(&self.batch_sizes);
        let mut mixing = self.media.mixing_counters();
        mixing.recording_dropped += self.recording_dropped;
        self.metrics.publish_mixing(&self.mix_tick_times, &mixing);
        self.metrics.publish_forward_delays(&self.forward_delays);
        self.metrics.publish_conferences(
            &self.media,
            now.saturating_duration_since(self.node_started),
        );
        self.metrics
            .record_housekeeping(now.saturating_duration_since(self.node_started));
        self.next_housekeeping = now + self.housekeeping;
    }

    /// Applies one control command.
    pub fn handle(&mut self, command: CoreCommand) -> LoopControl {
        self.metrics.record_command();
        let now = Instant::now();
        // A reply whose asker gave up waiting has nowhere to go; that is not an error here
        // (the control side undoes what it timed out on), so send results are ignored.
        match command {
            CoreCommand::Shutdown => return LoopControl::Stop,
            CoreCommand::CreateConference {
                id,
                policy,
                mixer_key,
                reply,
            } => {
                let _ = reply.send(self.create_conference(id, policy, mixer_key.map(|k| *k)));
            }
            CoreCommand::SetMixerKey {
                conference,
                key,
                reply,
            } => {
                let _ = reply.send(self.media.set_mixer_key(conference, *key, now));
            }
            CoreCommand::RemoveConference { id, reply } => {
                let _ = reply.send(self.remove_conference(id));
            }
            CoreCommand::AddLeg {
                conference,
                leg,
                config,
                reply,
            } => {
                let _ = reply.send(self.add_leg(conference, leg, *config, now));
            }
            CoreCommand::ReplaceLeg { leg, config, reply } => {
                let _ = reply.send(self.replace_leg(leg, *config, now));
            }
            CoreCommand::RemoveLeg { leg, reply } => {
                let _ = reply.send(self.remove_leg(leg, now));
            }
            CoreCommand::SetPolicy {
                conference,
                policy,
                reply,
            } => {
                let _ = reply.send(self.media.set_policy(conference, policy, now));
            }
            CoreCommand::Focus {
                participant,
                conference,
                reply,
            } => {
                let _ = reply.send(self.media.focus(participant, conference));
            }
            CoreCommand::Unfocus { participant, reply } => {
                let _ = reply.send(self.media.unfocus(participant));
            }
            CoreCommand::StartRecording {
                conference,
                recording,
                frames,
                reply,
            } => {
                let started = self.media.start_recording(conference, recording, now);
                if started.is_ok() {
                    self.recorders.insert(recording, frames);
                }
                let _ = reply.send(started);
            }
            CoreCommand::StopRecording { conference, reply } => {
                let _ = reply.send(self.stop_recording(conference));
            }
            CoreCommand::Snapshot { conference, reply } => {
                let _ = reply.send(self.view(conference));
            }
        }
        // Selection changes and removals may have produced events.
        self.forward_events();
        LoopControl::Continue
    }

    fn add_leg(
        &mut self,
        conference: ConferenceId,
        leg: LegId,
        mut config: LegConfig,
        now: Instant,
    ) -> Result<SocketAddr, AddLegError> {
        if self.media.conference(conference).is_none() {
            return Err(AddLegError::Conference(ConferenceError::UnknownConference(
                conference,
            )));
        }
        let local = self.bind_free_port()?;
        config.local_port = local.port();
        match self.media.add_leg(conference, leg, config, now) {
            Ok(()) => Ok(local),
            Err(error) => {
                self.close_port(local.port());
                Err(AddLegError::Conference(error))
            }
        }
    }

    /// Binds the first free port of the core's range that the OS lets us have.
    fn bind_free_port(&mut self) -> Result<SocketAddr, AddLegError> {
        // Lazily: the first candidate is almost always free, and listing the whole range
        // (thousands of ports) cost more than the bind itself.
        let mut bound = None;
        for port in self.ports.candidates() {
            let addr = SocketAddr::new(self.bind, port);
            match self.io.bind(addr) {
                Ok(local) => {
                    bound = Some(local);
                    break;
                }
                // Another process holds it; try the next one.
                Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => {}
                Err(source) => return Err(AddLegError::Bind { addr, source }),
            }
        }
        let local = bound.ok_or_else(|| AddLegError::NoFreePort {
            range: self.ports.range(),
        })?;
        self.ports.take(local.port());
        Ok(local)
    }

    fn close_port(&mut self, port: u16) {
        self.io.close(port);
        self.ports.release(port);
    }

    /// A leg changed on its socket: no port is bound or closed.
    fn replace_leg(
        &mut self,
        leg: LegId,
        config: LegConfig,
        now: Instant,
    ) -> Result<SocketAddr, ConferenceError> {
        self.media.replace_leg(leg, config, now)?;
        let port = self
            .media
            .leg_stats(leg)
            .map(|stats| stats.local_port)
            .ok_or(ConferenceError::UnknownLeg(leg))?;
        Ok(SocketAddr::new(self.bind, port))
    }

    fn remove_leg(&mut self, leg: LegId, now: Instant) -> Result<(), ConferenceError> {
        let port = self
            .media
            .leg_stats(leg)
            .map(|stats| stats.local_port)
            .ok_or(ConferenceError::UnknownLeg(leg))?;
        self.media.remove_leg(leg, now)?;
        self.close_port(port);
        Ok(())
    }

    /// Hands the media core's recorded frames to their writers, never waiting: a frame a
    /// full queue refuses is dropped and counted.
    fn pass_recorded(&mut self) {
        while let Some(frame) = self.media.poll_recorded() {
            let Some(queue) = self.recorders.get(&frame.recording) else {
                continue;
            };
            if queue.try_send(frame).is_err() {
                self.recording_dropped += 1;
            }
        }
    }

    /// Stops a conference's recording and lets go of its writer's queue, after handing
    /// over what the media core still held.
    fn stop_recording(&mut self, conference: ConferenceId) -> Result<RecordingId, ConferenceError> {
        let recording = self.media.stop_recording(conference)?;
        self.pass_recorded();
        self.recorders.remove(&recording);
        Ok(recording)
    }

    /// Creates a conference, keyed for its mixer if it is end-to-end; all or nothing.
    fn create_conference(
        &mut self,
        id: ConferenceId,
        policy: SelectionPolicy,
        mixer_key: Option<MixerKey>,
    ) -> Result<(), ConferenceError> {
        self.media.create_conference(id, policy)?;
        if let Some(key) = mixer_key {
            if let Err(error) = self.media.set_mixer_key(id, key, Instant::now()) {
                let _ = self.media.remove_conference(id);
                return Err(error);
            }
        }
        Ok(())
    }

    fn remove_conference(&mut self, id: ConferenceId) -> Result<(), ConferenceError> {
        // A recording ends with its conference; its writer then finishes the file.
        let _ = self.stop_recording(id);
        let snapshot = self
            .media
            .conference(id)
            .ok_or(ConferenceError::UnknownConference(id))?;
        let ports: Vec<u16> = snapshot
            .legs
            .iter()
            .filter_map(|&leg| self.media.leg_stats(leg))
            .map(|stats| stats.local_port)
            .collect();
        self.media.remove_conference(id)?;
        for port in ports {
            self.close_port(port);
        }
        Ok(())
    }

    fn view(&self, id: ConferenceId) -> Option<ConferenceView> {
        let conference = self.media.conference(id)?;
        let legs = conference
            .legs
            .iter()
            .filter_map(|&leg| self.media.leg_stats(leg))
            .collect();
        Some(ConferenceView::new(conference, legs))
    }
}

#[cfg(test)]
mod tests;
