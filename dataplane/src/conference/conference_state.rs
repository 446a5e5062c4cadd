//! One conference as its core keeps it: its legs and its talker selection.

use super::mixer_keying::ConferenceKeying;
use super::mixing::MixState;
use super::recording_tap::RecordingTap;
use super::relaying::RelayRoute;
use super::slab::SlotHandle;
use super::{ConferenceId, LegId, LoudestN, SelectionPolicy};

/// A conference's members and selector.
#[derive(Debug)]
pub(crate) struct Conference {
    pub(crate) id: ConferenceId,
    /// Slots of its legs, the only place routing looks for destinations.
    pub(crate) legs: Vec<SlotHandle>,
    pub(crate) selector: LoudestN,
    /// Whether a selection tick is in the timer queue.
    pub(crate) tick_scheduled: bool,
    /// The batch that last observed a level here (to tick each conference once a batch).
    pub(crate) observed_in_batch: u64,
    /// The mixer, while any leg receives the mix.
    pub(crate) mixer: Option<Box<MixState>>,
    /// The recording tapping the mix, if one runs.
    pub(crate) recording: Option<RecordingTap>,
    /// The conference key, for the mixer, if the focus handed it over.
    pub(crate) keying: Option<Box<ConferenceKeying>>,
    /// Talkers re-encoded for listeners forwarding cannot reach.
    pub(crate) relays: Vec<RelayRoute>,
}

/// A snapshot of one conference.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ConferenceSnapshot {
    /// The conference.
    pub id: ConferenceId,
    /// Its selection policy.
    pub policy: SelectionPolicy,
    /// Its legs, by ascending id.
    pub legs: Vec<LegId>,
    /// Its selected talkers, by ascending id.
    pub talkers: Vec<LegId>,
    /// Whether it mixes (some leg receives the mix).
    pub mixing: bool,
}

impl Conference {
    pub(crate) fn new(id: ConferenceId, policy: SelectionPolicy) -> Self {
        Self {
            id,
            legs: Vec::new(),
            selector: LoudestN::new(policy),
            tick_scheduled: false,
            observed_in_batch: 0,
            mixer: None,
            recording: None,
            keying: None,
            relays: Vec::new(),
        }
    }

    /// The selected talkers, sorted.
    pub(crate) fn talkers(&self) -> Vec<LegId> {
        let mut talkers: Vec<LegId> = self.selector.selected().collect();
        talkers.sort_unstable();
        talkers
    }
}
