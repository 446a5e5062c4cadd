//! The control plane's commands that shape a core: create and remove conferences, add and
//! remove legs, change a conference's selection policy. Each either applies whole or
//! returns a [`ConferenceError`] and changes nothing.

use std::time::Instant;

use super::conference_state::Conference;
use super::leg::{mix_leg_config, Leg, LegSetup};
use super::media_core::{MediaCore, NO_LEG};
use super::mixer_keying::{ConferenceKeying, MixerKey};
use super::timers::TimerKind;
use super::{ConferenceError, ConferenceId, LegConfig, LegId, Receive, SelectionPolicy};

impl MediaCore {
    /// Creates an empty conference selecting talkers by `policy`.
    pub fn create_conference(
        &mut self,
        id: ConferenceId,
        policy: SelectionPolicy,
    ) -> Result<(), ConferenceError> {
        if self.conference_slots.contains_key(&id) {
            return Err(ConferenceError::DuplicateConference(id));
        }
        let handle = self.conferences.insert(Conference::new(id, policy));
        self.conference_slots.insert(id, handle.slot);
        Ok(())
    }

    /// Removes a conference and every leg in it. Participants focused on it are
    /// unfocused.
    pub fn remove_conference(&mut self, id: ConferenceId) -> Result<(), ConferenceError> {
        let slot = *self
            .conference_slots
            .get(&id)
            .ok_or(ConferenceError::UnknownConference(id))?;
        let leg_slots: Vec<u32> = self
            .conferences
            .get(slot)
            .map(|c| c.legs.iter().map(|h| h.slot).collect())
            .unwrap_or_default();
        for leg_slot in leg_slots {
            self.detach_leg(leg_slot);
        }
        self.conferences.remove(slot);
        self.conference_slots.remove(&id);
        Ok(())
    }

    /// Hands the core an end-to-end conference's key for its mixer (see `mixer_keying`):
    /// end-to-end talkers are then mixed, and end-to-end legs may receive the mix. A new
    /// key (after a re-key) replaces the old one; the legs' mix-minus SSRCs are claimed
    /// again under it. On an error nothing changes.
    pub fn set_mixer_key(
        &mut self,
        id: ConferenceId,
        key: MixerKey,
        now: Instant,
    ) -> Result<(), ConferenceError> {
        let slot = self.conference_slot(id)?;
        let mut keying = ConferenceKeying::new(key)?;
        let members: Vec<u32> = self
            .conferences
            .get(slot)
            .map(|c| c.legs.iter().map(|h| h.slot).collect())
            .unwrap_or_default();
        for &leg_slot in &members {
            if let Some((leg, Some(ssrc))) = self.legs.get(leg_slot).map(|l| (l.id, l.mix_ssrc)) {
                keying.claim_leg_ssrc(leg, ssrc)?;
            }
        }
        let Self {
            conferences, legs, ..
        } = self;
        let Some(conference) = conferences.get_mut(slot) else {
            return Err(ConferenceError::UnknownConference(id));
        };
        conference.keying = Some(Box::new(keying));
        // End-to-end members that joined before the key now talk into the mix.
        for leg_slot in members {
            let Some(leg) = legs.get_mut(leg_slot) else {
                continue;
            };
            if leg.mix.is_some() || !leg.crypto.is_end_to_end() {
                continue;
            }
            leg.mix = mix_leg_config(&leg.payload_types, leg.audio_level_ext_id, leg.receive);
            if let (Some(config), Some(state)) = (leg.mix, conference.mixer.as_deref_mut()) {
                // A leg the mixer refuses stays out of the mix, as it was.
                if state.mixer.add_leg(leg.id, config).is_err() {
                    leg.mix = None;
                }
            }
        }
        self.refresh_relays(slot, now);
        Ok(())
    }

    /// Replaces a conference's selection policy while it runs; the set is re-evaluated at
    /// once (a smaller N drops the weakest talkers now).
    pub fn set_policy(
        &mut self,
        id: ConferenceId,
        policy: SelectionPolicy,
        now: Instant,
    ) -> Result<(), ConferenceError> {
        let slot = self.conference_slot(id)?;
        if let Some(conference) = self.conferences.get_mut(slot) {
            conference
                .selector
                .set_policy(policy, now, &mut self.scratch.changes);
        }
        self.apply_selection(slot, now, false);
        self.mixer_policy(slot, policy, now);
        Ok(())
    }

    /// Adds a leg to a conference.
    pub fn add_leg(
        &mut self,
        conference: ConferenceId,
        id: LegId,
        config: LegConfig,
        now: Instant,
    ) -> Result<(), ConferenceError> {
        config.validate()?;
        let conference_slot = self.conference_slot(conference)?;
        if self.leg_slots.contains_key(&id) {
            return Err(ConferenceError::DuplicateLeg(id));
        }
        let port = usize::from(config.local_port);
        if self.ports.get(port).is_none_or(|&slot| slot != NO_LEG) {
            return Err(ConferenceError::DuplicateLocalPort(config.local_port));
        }
        if let Some(participant) = config.participant {
            let already = self.legs.iter().any(|(_, leg)| {
                leg.participant == Some(participant) && leg.conference == conference
            });
            if already {
                return Err(ConferenceError::ParticipantAlreadyInConference {
                    participant,
                    conference,
                });
            }
        }
        let suppressed = config
            .participant
            .and_then(|p| self.focus.get(&p))
            .is_some_and(|&focused| focused != conference);
        let keying = self
            .conferences
            .get_mut(conference_slot)
            .and_then(|c| c.keying.as_deref_mut());
        let keyed = keying.is_some();
        if config.media.is_end_to_end() && config.receive == Receive::Mix {
            let keying = keying.ok_or(ConferenceError::EndToEndMixUnkeyed)?;
            let ssrc = config.mix_ssrc.ok_or(ConferenceError::MixNeedsSsrc)?;
            // Claimed for good: a refusal further on leaves the SSRC with this leg id.
            keying.claim_leg_ssrc(id, ssrc)?;
        } else if let (Some(keying), Some(ssrc)) = (keying, config.mix_ssrc) {
            // Another leg's SSRC under the key: what end-to-end listeners hear it under.
            keying.claim_leg_ssrc(id, ssrc)?;
        }
        let setup = LegSetup {
            id,
            conference,
            conference_slot,
            rate_limit: config.rate_limit.unwrap_or(self.config.rate_limit),
            media_timeout: config.media_timeout.unwrap_or(self.config.media_timeout),
            rtcp_ssrc: self.rng.next_ssrc(),
            suppressed,
            keyed,
            now,
        };
        let mut leg = Leg::new(config, setup);
        let terminates_rtcp = leg.terminates_rtcp();
        let media_deadline = now + leg.media_timeout;
        let Some(conf) = self.conferences.get_mut(conference_slot) else {
            return Err(ConferenceError::UnknownConference(conference));
        };
        conf.selector.add(id);
        leg.selected = conf.selector.is_selected(id);
        if let Err(error) = self.join_mixer(conference_slot, &leg, now) {
            if let Some(conf) = self.conferences.get_mut(conference_slot) {
                conf.selector.remove(id);
            }
            return Err(error);
        }
        let Some(conf) = self.conferences.get_mut(conference_slot) else {
            return Err(ConferenceError::UnknownConference(conference));
        };
        let handle = self.legs.insert(leg);
        conf.legs.push(handle);
        self.leg_slots.insert(id, handle.slot);
        if let Some(entry) = self.ports.get_mut(port) {
            *entry = handle.slot;
        }
        self.timers
            .schedule(media_deadline, TimerKind::Media(handle));
        if terminates_rtcp {
            let first_report = now + self.report_interval();
            self.timers.schedule(first_report, TimerKind::Rtcp(handle));
        }
        self.refresh_relays(conference_slot, now);
        Ok(())
    }

    /// Removes a leg. If its talker was selected, the selection is re-evaluated at `now`
    /// and an [`ActiveSpeakers`](super::CoreEvent::ActiveSpeakers) event reports the new
    /// set. If its participant was focused on this leg's conference, it is unfocused.
    pub fn remove_leg(&mut self, id: LegId, now: Instant) -> Result<(), ConferenceError> {
        let slot = *self
            .leg_slots
            .get(&id)
            .ok_or(ConferenceError::UnknownLeg(id))?;
        let (conference_slot, was_selected) = self.detach_leg(slot);
        if was_selected {
            if let Some(conference) = self.conferences.get_mut(conference_slot) {
                conference.selector.tick(now, &mut self.scratch.changes);
            }
            self.apply_selection(conference_slot, now, true);
        }
        self.refresh_relays(conference_slot, now);
        Ok(())
    }

    /// Replaces a leg's configuration in place: the same id, conference and local port
    /// (`config.local_port` is ignored), e.g. a remote address and key learned from an
    /// answer after the leg's address went into an offer. `config` is validated first; on
    /// an error from validation nothing changes.
    pub fn replace_leg(
        &mut self,
        id: LegId,
        mut config: LegConfig,
        now: Instant,
    ) -> Result<(), ConferenceError> {
        let slot = *self
            .leg_slots
            .get(&id)
            .ok_or(ConferenceError::UnknownLeg(id))?;
        let (conference, port) = self
            .legs
            .get(slot)
            .map(|leg| (leg.conference, leg.local_port))
            .ok_or(ConferenceError::UnknownLeg(id))?;
        config.local_port = port;
        config.validate()?;
        // An end-to-end mix-minus keeps its SSRC's sequence: SRTP must never protect two
        // packets under one SSRC and index.
        let stream = self
            .legs
            .get(slot)
            .and_then(|leg| leg.mix_ssrc.zip(leg.mix_rtp))
            .filter(|(ssrc, _)| config.mix_ssrc == Some(*ssrc));
        self.remove_leg(id, now)?;
        self.add_leg(conference, id, config, now)?;
        if let Some((_, rtp)) = stream {
            let slot = self.leg_slots.get(&id).copied().unwrap_or(NO_LEG);
            if let Some(leg) = self.legs.get_mut(slot) {
                leg.mix_rtp = Some(rtp);
            }
        }
        Ok(())
    }

    /// Takes a leg out of every table; returns its conference slot and whether its talker
    /// was selected.
    fn detach_leg(&mut self, slot: u32) -> (u32, bool) {
        let Some(leg) = self.legs.remove(slot) else {
            return (NO_LEG, false);
        };
        self.leg_slots.remove(&leg.id);
        if let Some(entry) = self.ports.get_mut(usize::from(leg.local_port)) {
            *entry = NO_LEG;
        }
        self.leave_mixer(leg.conference_slot, leg.id, leg.receive);
        let mut was_selected = false;
        if let Some(conference) = self.conferences.get_mut(leg.conference_slot) {
            conference.legs.retain(|h| h.slot != slot);
            was_selected = conference.selector.remove(leg.id);
        }
        if let Some(participant) = leg.participant {
            if self.focus.get(&participant) == Some(&leg.conference) {
                self.focus.remove(&participant);
                self.refresh_suppression(participant);
            }
        }
        (leg.conference_slot, was_selected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conference::{Codec, CoreConfig, PayloadTypes};

    fn pcma() -> PayloadTypes {
        PayloadTypes::single(8, Codec::Pcma).unwrap()
    }

    #[test]
    fn a_replaced_leg_keeps_its_id_and_port_and_takes_the_new_remote() {
        let now = Instant::now();
        let mut core = MediaCore::new(CoreConfig::default(), now);
        core.create_conference(ConferenceId(1), SelectionPolicy::loudest(3))
            .unwrap();
        core.add_leg(
            ConferenceId(1),
            LegId(7),
            LegConfig::new(20_000, pcma()),
            now,
        )
        .unwrap();
        assert_eq!(core.leg_stats(LegId(7)).unwrap().remote, None);
        let remote = "127.0.0.1:40000".parse().unwrap();
        let changed = LegConfig::new(1, pcma()).with_remote(remote);
        core.replace_leg(LegId(7), changed, now).unwrap();
        let stats = core.leg_stats(LegId(7)).unwrap();
        assert_eq!(stats.local_port, 20_000);
        assert_eq!(stats.remote, Some(remote));
        assert_eq!(stats.conference, ConferenceId(1));
        // The port still belongs to the leg: another leg cannot take it.
        assert_eq!(
            core.add_leg(
                ConferenceId(1),
                LegId(8),
                LegConfig::new(20_000, pcma()),
                now
            ),
            Err(ConferenceError::DuplicateLocalPort(20_000))
        );
    }

    #[test]
    fn an_invalid_or_unknown_replacement_changes_nothing() {
        let now = Instant::now();
        let mut core = MediaCore::new(CoreConfig::default(), now);
        core.create_conference(ConferenceId(1), SelectionPolicy::loudest(3))
            .unwrap();
        core.add_leg(
            ConferenceId(1),
            LegId(7),
            LegConfig::new(20_000, pcma()),
            now,
        )
        .unwrap();
        assert_eq!(
            core.replace_leg(LegId(9), LegConfig::new(1, pcma()), now),
            Err(ConferenceError::UnknownLeg(LegId(9)))
        );
        let mut invalid = LegConfig::new(1, pcma());
        invalid.audio_level_ext_id = Some(0);
        assert!(core.replace_leg(LegId(7), invalid, now).is_err());
        let stats = core.leg_stats(LegId(7)).unwrap();
        assert_eq!(stats.local_port, 20_000);
    }
}
