//! The typed messages between the control side and a core: commands in (each with the
//! channel its answer goes back on) and events out.
//!
//! A core shares nothing: the control side never reads a core's state directly, it asks
//! with a command and waits (bounded) for the reply. Keys travel inside [`LegConfig`]
//! whose `Debug` redacts them, so these types are safe to log.

use std::fmt;
use std::net::SocketAddr;
use std::ops::RangeInclusive;

use medianode_dataplane::conference::{
    ConferenceError, ConferenceId, ConferenceSnapshot, CoreEvent, LegConfig, LegId, LegStats,
    MixerKey, ParticipantId, RecordedFrame, RecordingId, SelectionPolicy,
};

/// Where a command's answer goes: a one-slot channel the asker waits on.
pub type Reply<T> = crossbeam_channel::Sender<T>;

/// A command from the control side to one core.
#[derive(Debug)]
#[non_exhaustive]
pub enum CoreCommand {
    /// Finish what is in hand and end the event loop.
    Shutdown,
    /// Creates an empty conference on this core.
    CreateConference {
        /// The node-wide id the control side chose.
        id: ConferenceId,
        /// Its talker selection.
        policy: SelectionPolicy,
        /// An end-to-end conference's key, for its mixer.
        mixer_key: Option<Box<MixerKey>>,
        /// The outcome.
        reply: Reply<Result<(), ConferenceError>>,
    },
    /// Removes a conference, its legs and their sockets.
    RemoveConference {
        /// The conference.
        id: ConferenceId,
        /// The outcome.
        reply: Reply<Result<(), ConferenceError>>,
    },
    /// Binds a socket on a free port of the core's range and adds a leg on it.
    AddLeg {
        /// The conference the leg joins.
        conference: ConferenceId,
        /// The node-wide id the control side chose.
        leg: LegId,
        /// The leg; its `local_port` is ignored and replaced by the port bound.
        config: Box<LegConfig>,
        /// The address bound, or why not.
        reply: Reply<Result<SocketAddr, AddLegError>>,
    },
    /// Changes a leg in place: the same id and socket, a new configuration (its
    /// `local_port` is ignored), e.g. the remote address and key of an answer.
    ReplaceLeg {
        /// The leg.
        leg: LegId,
        /// Its new configuration.
        config: Box<LegConfig>,
        /// The address the leg stays bound to, or why nothing changed.
        reply: Reply<Result<SocketAddr, ConferenceError>>,
    },
    /// Removes a leg and closes its socket.
    RemoveLeg {
        /// The leg.
        leg: LegId,
        /// The outcome.
        reply: Reply<Result<(), ConferenceError>>,
    },
    /// Replaces a conference's talker selection while it runs.
    /// Hands the core a new key of an end-to-end conference (after a re-key).
    SetMixerKey {
        /// The conference.
        conference: ConferenceId,
        /// The key and the SSRCs claimed for the mix under it.
        key: Box<MixerKey>,
        /// The outcome.
        reply: Reply<Result<(), ConferenceError>>,
    },
    SetPolicy {
        /// The conference.
        conference: ConferenceId,
        /// The new policy.
        policy: SelectionPolicy,
        /// The outcome.
        reply: Reply<Result<(), ConferenceError>>,
    },
    /// Focuses a participant on one of its conferences on this core.
    Focus {
        /// The participant.
        participant: ParticipantId,
        /// The conference it listens to.
        conference: ConferenceId,
        /// The outcome.
        reply: Reply<Result<(), ConferenceError>>,
    },
    /// Ends a participant's focus on this core.
    Unfocus {
        /// The participant.
        participant: ParticipantId,
        /// The outcome.
        reply: Reply<Result<(), ConferenceError>>,
    },
    /// Starts recording a conference's mix: its frames go to `frames`.
    StartRecording {
        /// The conference.
        conference: ConferenceId,
        /// The recording's id.
        recording: RecordingId,
        /// The writer's bounded queue; a frame that does not fit is dropped and counted.
        frames: crossbeam_channel::Sender<RecordedFrame>,
        /// The outcome.
        reply: Reply<Result<(), ConferenceError>>,
    },
    /// Stops a conference's recording; the core lets go of its queue, which ends the
    /// writer.
    StopRecording {
        /// The conference.
        conference: ConferenceId,
        /// The recording that stopped, or why none did.
        reply: Reply<Result<RecordingId, ConferenceError>>,
    },
    /// Reads a conference with its legs' statistics.
    Snapshot {
        /// The conference.
        conference: ConferenceId,
        /// The view, or `None` if the core has no such conference.
        reply: Reply<Option<ConferenceView>>,
    },
}

/// A conference as its core sees it now.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConferenceView {
    /// Policy, legs and talkers.
    pub conference: ConferenceSnapshot,
    /// Each leg's state and counters, by ascending leg id.
    pub legs: Vec<LegStats>,
}

impl ConferenceView {
    /// A view of `conference` with `legs`.
    pub fn new(conference: ConferenceSnapshot, legs: Vec<LegStats>) -> ConferenceView {
        ConferenceView { conference, legs }
    }
}

/// Why a core could not add a leg.
#[derive(Debug)]
#[non_exhaustive]
pub enum AddLegError {
    /// Every port of the core's range is taken.
    NoFreePort {
        /// The core's range.
        range: RangeInclusive<u16>,
    },
    /// The socket could not be bound.
    Bind {
        /// The address tried.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The media core refused the leg.
    Conference(ConferenceError),
}

impl fmt::Display for AddLegError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddLegError::NoFreePort { range } => write!(
                f,
                "no free media port in {}..={} (raise media.port_max or add cores)",
                range.start(),
                range.end()
            ),
            AddLegError::Bind { addr, source } => write!(f, "cannot bind {addr}: {source}"),
            AddLegError::Conference(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for AddLegError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AddLegError::Bind { source, .. } => Some(source),
            AddLegError::Conference(e) => Some(e),
            AddLegError::NoFreePort { .. } => None,
        }
    }
}

/// An event of one core, for the control side.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NodeEvent {
    /// The core it comes from.
    pub core: usize,
    /// What happened.
    pub event: CoreEvent,
}

impl NodeEvent {
    /// `event` of core `core`.
    pub fn new(core: usize, event: CoreEvent) -> NodeEvent {
        NodeEvent { core, event }
    }
}
