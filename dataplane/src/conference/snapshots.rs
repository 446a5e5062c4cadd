//! What the control plane and metrics read back from a core: counters, per-leg statistics,
//! conferences with their talkers. Snapshots are copies; reading them costs the packet
//! path nothing.

use super::conference_state::{Conference, ConferenceSnapshot};
use super::leg::{Leg, LegStats};
use super::media_core::MediaCore;
use super::{ConferenceError, ConferenceId, CoreCounters, LegId, SelectionPolicy};

impl MediaCore {
    /// The selection policy of a conference.
    pub fn policy(&self, id: ConferenceId) -> Result<SelectionPolicy, ConferenceError> {
        let slot = self.conference_slot(id)?;
        self.conferences
            .get(slot)
            .map(|c| *c.selector.policy())
            .ok_or(ConferenceError::UnknownConference(id))
    }

    /// The core's counters now, with its sizes.
    pub fn counters(&self) -> CoreCounters {
        let mut counters = self.counters;
        counters.events_dropped = self.events.dropped;
        counters.conferences = self.conferences.len();
        counters.legs = self.legs.len();
        counters.active_talkers = self
            .conferences
            .iter()
            .map(|(_, c)| c.selector.selected().count())
            .sum();
        counters
    }

    /// A leg's state and counters.
    pub fn leg_stats(&self, id: LegId) -> Option<LegStats> {
        let slot = *self.leg_slots.get(&id)?;
        self.legs.get(slot).map(Leg::stats)
    }

    /// A conference's legs, policy and talkers.
    pub fn conference(&self, id: ConferenceId) -> Option<ConferenceSnapshot> {
        let conference = self.conferences.get(*self.conference_slots.get(&id)?)?;
        let mut legs: Vec<LegId> = conference
            .legs
            .iter()
            .filter_map(|h| self.legs.get(h.slot).map(|l| l.id))
            .collect();
        legs.sort_unstable();
        Some(ConferenceSnapshot {
            id,
            policy: *conference.selector.policy(),
            legs,
            talkers: conference.talkers(),
            mixing: conference.mixer.is_some(),
        })
    }

    /// The conferences on this core, by ascending id.
    pub fn conference_ids(&self) -> Vec<ConferenceId> {
        let mut ids: Vec<ConferenceId> = self.conference_slots.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// A conference's selected talkers, by ascending leg id.
    pub fn talkers(&self, id: ConferenceId) -> Result<Vec<LegId>, ConferenceError> {
        let slot = self.conference_slot(id)?;
        Ok(self
            .conferences
            .get(slot)
            .map(Conference::talkers)
            .unwrap_or_default())
    }
}
