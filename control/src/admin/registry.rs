//! The control side's book of what lives where: which core each conference is placed on,
//! its policy and latest talker set (from the cores' events), its legs and what each was
//! set up with, and the participants by name.
//!
//! The cores hold the truth about packets and counters; this book holds what the admin API
//! needs to route a request to the right core and to answer list queries without asking
//! every core. It is shared, behind a mutex, by the HTTP thread and the events thread.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;

use medianode_dataplane::conference::{ConferenceId, LegId, ParticipantId, SelectionPolicy};
use medianode_dataplane::srtp::SrtpSuite;

/// One conference as the control side knows it.
#[derive(Debug, Clone)]
pub struct ConferenceRecord {
    /// The core it lives on.
    pub core: usize,
    /// Its selection policy as last set.
    pub policy: SelectionPolicy,
    /// Its legs.
    pub legs: BTreeSet<LegId>,
    /// Its selected talkers, as the core last reported them.
    pub talkers: Vec<LegId>,
}

/// One leg as it was set up.
#[derive(Debug, Clone)]
pub struct LegRecord {
    /// Its conference.
    pub conference: ConferenceId,
    /// The address its socket is bound to.
    pub local: SocketAddr,
    /// The audio codec's API name.
    pub codec: &'static str,
    /// The audio payload type.
    pub payload_type: u8,
    /// `plain`, `hop_by_hop` or `end_to_end`.
    pub mode: &'static str,
    /// The SRTP suite of a hop-by-hop leg.
    pub suite: Option<SrtpSuite>,
    /// Its participant's name.
    pub participant: Option<String>,
}

/// Everything the control side keeps.
#[derive(Debug)]
pub struct Registry {
    cores: usize,
    next_conference: u32,
    next_leg: u32,
    conferences: BTreeMap<ConferenceId, ConferenceRecord>,
    legs: HashMap<LegId, LegRecord>,
    participants: HashMap<String, ParticipantId>,
    /// Where each participant is focused, by name.
    focus: HashMap<String, ConferenceId>,
}

impl Registry {
    /// An empty book for a node of `cores` cores.
    pub fn new(cores: usize) -> Registry {
        Registry {
            cores: cores.max(1),
            next_conference: 1,
            next_leg: 1,
            conferences: BTreeMap::new(),
            legs: HashMap::new(),
            participants: HashMap::new(),
            focus: HashMap::new(),
        }
    }

    /// The core a new conference goes to: the one with the fewest legs, then the fewest
    /// conferences, then the lowest index.
    pub fn least_loaded_core(&self) -> usize {
        let mut load = vec![(0usize, 0usize); self.cores];
        for record in self.conferences.values() {
            if let Some(entry) = load.get_mut(record.core) {
                entry.0 += record.legs.len();
                entry.1 += 1;
            }
        }
        (0..self.cores)
            .min_by_key(|&core| (load[core], core))
            .unwrap_or(0)
    }

    /// A conference id never handed out before.
    pub fn next_conference_id(&mut self) -> ConferenceId {
        let id = ConferenceId(self.next_conference);
        self.next_conference = self.next_conference.wrapping_add(1).max(1);
        id
    }

    /// A leg id never handed out before.
    pub fn next_leg_id(&mut self) -> LegId {
        let id = LegId(self.next_leg);
        self.next_leg = self.next_leg.wrapping_add(1).max(1);
        id
    }

    /// Records a conference its core accepted.
    pub fn insert_conference(&mut self, id: ConferenceId, core: usize, policy: SelectionPolicy) {
        self.conferences.insert(
            id,
            ConferenceRecord {
                core,
                policy,
                legs: BTreeSet::new(),
                talkers: Vec::new(),
            },
        );
    }

    /// A conference.
    pub fn conference(&self, id: ConferenceId) -> Option<&ConferenceRecord> {
        self.conferences.get(&id)
    }

    /// Every conference, by ascending id.
    pub fn conferences(&self) -> impl Iterator<Item = (ConferenceId, &ConferenceRecord)> {
        self.conferences.iter().map(|(&id, record)| (id, record))
    }

    /// Records a new policy.
    pub fn set_policy(&mut self, id: ConferenceId, policy: SelectionPolicy) {
        if let Some(record) = self.conferences.get_mut(&id) {
            record.policy = policy;
        }
    }

    /// Records the talker set a core reported.
    pub fn set_talkers(&mut self, id: ConferenceId, talkers: Vec<LegId>) {
        if let Some(record) = self.conferences.get_mut(&id) {
            record.talkers = talkers;
        }
    }

    /// Forgets a conference and its legs.
    pub fn remove_conference(&mut self, id: ConferenceId) -> Option<ConferenceRecord> {
        let record = self.conferences.remove(&id)?;
        for leg in &record.legs {
            self.legs.remove(leg);
        }
        self.focus.retain(|_, focused| *focused != id);
        Some(record)
    }

    /// Records a leg its core accepted.
    pub fn insert_leg(&mut self, id: LegId, record: LegRecord) {
        if let Some(conference) = self.conferences.get_mut(&record.conference) {
            conference.legs.insert(id);
        }
        self.legs.insert(id, record);
    }

    /// A leg.
    pub fn leg(&self, id: LegId) -> Option<&LegRecord> {
        self.legs.get(&id)
    }

    /// Forgets a leg; a focus of its participant on its conference ends with it, as it
    /// does on the core.
    pub fn remove_leg(&mut self, id: LegId) -> Option<LegRecord> {
        let record = self.legs.remove(&id)?;
        if let Some(conference) = self.conferences.get_mut(&record.conference) {
            conference.legs.remove(&id);
            conference.talkers.retain(|&talker| talker != id);
        }
        if let Some(name) = &record.participant {
            if self.focus.get(name) == Some(&record.conference) {
                self.focus.remove(name);
            }
        }
        Some(record)
    }

    /// The participant known by `name`, created on first use.
    pub fn participant(&mut self, name: &str) -> ParticipantId {
        let next = ParticipantId(self.participants.len() as u32 + 1);
        *self.participants.entry(name.to_owned()).or_insert(next)
    }

    /// The participant known by `name`, if it has ever had a leg.
    pub fn known_participant(&self, name: &str) -> Option<ParticipantId> {
        self.participants.get(name).copied()
    }

    /// The conferences `name` has a leg in, and their cores.
    pub fn participant_conferences(&self, name: &str) -> Vec<(ConferenceId, usize)> {
        let mut found: Vec<(ConferenceId, usize)> = self
            .legs
            .values()
            .filter(|leg| leg.participant.as_deref() == Some(name))
            .filter_map(|leg| {
                self.conferences
                    .get(&leg.conference)
                    .map(|c| (leg.conference, c.core))
            })
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    /// Records or clears a participant's focus.
    pub fn set_focus(&mut self, name: &str, conference: Option<ConferenceId>) {
        match conference {
            Some(id) => self.focus.insert(name.to_owned(), id),
            None => self.focus.remove(name),
        };
    }

    /// Where a participant is focused.
    pub fn focus(&self, name: &str) -> Option<ConferenceId> {
        self.focus.get(name).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leg(conference: ConferenceId, participant: Option<&str>) -> LegRecord {
        LegRecord {
            conference,
            local: "127.0.0.1:20000".parse().unwrap(),
            codec: "PCMU",
            payload_type: 0,
            mode: "plain",
            suite: None,
            participant: participant.map(str::to_owned),
        }
    }

    #[test]
    fn conferences_go_to_the_core_with_the_fewest_legs() {
        let mut registry = Registry::new(3);
        let a = registry.next_conference_id();
        registry.insert_conference(a, registry.least_loaded_core(), SelectionPolicy::default());
        assert_eq!(registry.conference(a).unwrap().core, 0);
        for _ in 0..3 {
            let id = registry.next_leg_id();
            registry.insert_leg(id, leg(a, None));
        }
        let b = registry.next_conference_id();
        let core_b = registry.least_loaded_core();
        assert_eq!(core_b, 1);
        registry.insert_conference(b, core_b, SelectionPolicy::default());
        let id = registry.next_leg_id();
        registry.insert_leg(id, leg(b, None));
        // Core 2 is empty: fewest legs and conferences.
        assert_eq!(registry.least_loaded_core(), 2);
        let c = registry.next_conference_id();
        registry.insert_conference(c, 2, SelectionPolicy::default());
        // Core 2 has no legs but one conference; core 1 has one leg: 2 still wins on legs.
        assert_eq!(registry.least_loaded_core(), 2);
        assert_ne!(a, b);
    }

    #[test]
    fn removing_a_conference_forgets_its_legs_and_focus() {
        let mut registry = Registry::new(1);
        let a = registry.next_conference_id();
        registry.insert_conference(a, 0, SelectionPolicy::default());
        let l = registry.next_leg_id();
        registry.insert_leg(l, leg(a, Some("alice")));
        registry.participant("alice");
        registry.set_focus("alice", Some(a));
        assert_eq!(registry.participant_conferences("alice"), vec![(a, 0)]);
        registry.remove_conference(a);
        assert!(registry.leg(l).is_none());
        assert_eq!(registry.focus("alice"), None);
        assert!(registry.participant_conferences("alice").is_empty());
    }

    #[test]
    fn removing_the_focused_leg_ends_the_focus_and_participants_keep_their_ids() {
        let mut registry = Registry::new(1);
        let a = registry.next_conference_id();
        registry.insert_conference(a, 0, SelectionPolicy::default());
        let alice = registry.participant("alice");
        let bob = registry.participant("bob");
        assert_ne!(alice, bob);
        assert_eq!(registry.participant("alice"), alice);
        let l = registry.next_leg_id();
        registry.insert_leg(l, leg(a, Some("alice")));
        registry.set_talkers(a, vec![l]);
        registry.set_focus("alice", Some(a));
        registry.remove_leg(l);
        assert_eq!(registry.focus("alice"), None);
        assert!(registry.conference(a).unwrap().talkers.is_empty());
    }
}
