//! Focus: a participant sitting in several conferences (one leg each) chooses one to
//! listen to; its legs elsewhere then receive nothing, while it can still talk there.

use super::media_core::MediaCore;
use super::{ConferenceError, ConferenceId, ParticipantId};

impl MediaCore {
    /// Focuses `participant` on `conference`: its legs in every other conference receive
    /// nothing until it unfocuses or focuses elsewhere. Its talking is not affected.
    pub fn focus(
        &mut self,
        participant: ParticipantId,
        conference: ConferenceId,
    ) -> Result<(), ConferenceError> {
        self.conference_slot(conference)?;
        let sits_there = self
            .legs
            .iter()
            .any(|(_, leg)| leg.participant == Some(participant) && leg.conference == conference);
        if !sits_there {
            return Err(ConferenceError::ParticipantNotInConference {
                participant,
                conference,
            });
        }
        self.focus.insert(participant, conference);
        self.refresh_suppression(participant);
        Ok(())
    }

    /// Ends a participant's focus: its legs in every conference receive again.
    pub fn unfocus(&mut self, participant: ParticipantId) -> Result<(), ConferenceError> {
        self.focus
            .remove(&participant)
            .ok_or(ConferenceError::NotFocused(participant))?;
        self.refresh_suppression(participant);
        Ok(())
    }

    /// The conference a participant is focused on, if any.
    pub fn focused(&self, participant: ParticipantId) -> Option<ConferenceId> {
        self.focus.get(&participant).copied()
    }

    pub(super) fn refresh_suppression(&mut self, participant: ParticipantId) {
        let focused = self.focus.get(&participant).copied();
        for (_, leg) in self.legs.iter_mut() {
            if leg.participant == Some(participant) {
                leg.suppressed = focused.is_some_and(|c| c != leg.conference);
            }
        }
    }
}
