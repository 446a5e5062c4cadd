//! What the core tells the control plane, and the bounded queue that holds it until
//! [`MediaCore::poll_event`](super::MediaCore::poll_event) collects it.

use std::collections::VecDeque;
use std::net::SocketAddr;

use super::{ConferenceId, LegId};

/// Something the control plane should know.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CoreEvent {
    /// The selected talkers of a conference changed; `talkers` is the whole new set, by
    /// ascending leg id.
    ActiveSpeakers {
        /// The conference.
        conference: ConferenceId,
        /// Its selected talkers now.
        talkers: Vec<LegId>,
    },
    /// A leg took `remote` as its endpoint's address: first latch (symmetric RTP), or an
    /// SRTP leg moving to a new address after a packet from there authenticated.
    LegLatched {
        /// The conference.
        conference: ConferenceId,
        /// The leg.
        leg: LegId,
        /// The address media now goes to.
        remote: SocketAddr,
    },
    /// No RTP arrived on a leg for its media timeout. Sent once; re-armed when media
    /// returns.
    MediaTimeout {
        /// The conference.
        conference: ConferenceId,
        /// The leg.
        leg: LegId,
    },
    /// RTP arrived again on a leg after a [`CoreEvent::MediaTimeout`].
    MediaResumed {
        /// The conference.
        conference: ConferenceId,
        /// The leg.
        leg: LegId,
    },
    /// The endpoint of a plain or hop-by-hop leg sent an RTCP BYE.
    RtcpBye {
        /// The conference.
        conference: ConferenceId,
        /// The leg.
        leg: LegId,
        /// The first source the BYE names, if any.
        ssrc: Option<u32>,
    },
}

/// Events waiting for the control plane; beyond `max` new ones are counted and dropped.
#[derive(Debug)]
pub(crate) struct EventQueue {
    queue: VecDeque<CoreEvent>,
    max: usize,
    pub(crate) dropped: u64,
}

impl EventQueue {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            queue: VecDeque::new(),
            max,
            dropped: 0,
        }
    }

    pub(crate) fn push(&mut self, event: CoreEvent) {
        if self.queue.len() >= self.max {
            self.dropped += 1;
        } else {
            self.queue.push_back(event);
        }
    }

    pub(crate) fn pop(&mut self) -> Option<CoreEvent> {
        self.queue.pop_front()
    }
}
