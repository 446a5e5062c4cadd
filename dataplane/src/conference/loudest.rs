//! Loudest-N talker selection with smoothing and hysteresis.
//!
//! A conference lets only its N loudest talkers through. Raw per-packet levels jump around
//! (syllables, breaths, a cough), so choosing on them would flap the set every few packets,
//! and each flap is an audible cut. This selector therefore:
//!
//! - smooths each talker's loudness with an exponential average whose time constant is
//!   [`SelectionPolicy::smoothing`], so it follows speech, not syllables;
//! - gives a free slot at once to the loudest talker above the silence threshold;
//! - lets a talker outside the set take a slot only when it is louder than the weakest
//!   selected talker by [`SelectionPolicy::entry_margin_db`], or that talker has gone silent,
//!   *continuously* for [`SelectionPolicy::hold`]; a pause shorter than the hold keeps a
//!   talker in the set.
//!
//! It is sans-IO: the caller passes the level of each packet and the current time to
//! [`LoudestN::observe`], and calls [`LoudestN::tick`] periodically (every packet time is
//! plenty); changes come back as [`SelectionChange`] events. No allocation happens after a
//! talker is added.

use std::time::{Duration, Instant};

use super::LegId;

/// How a conference chooses whose media goes through.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct SelectionPolicy {
    /// `Loudest` selects up to [`Self::max_talkers`]; `All` lets everyone through.
    pub mode: SelectionMode,
    /// N: the most talkers selected at once.
    pub max_talkers: usize,
    /// Time constant of the exponential average of each talker's level.
    pub smoothing: Duration,
    /// How long a selected talker must stay outranked or silent before losing its slot.
    pub hold: Duration,
    /// How much louder (dB) than the weakest selected talker a challenger must be.
    pub entry_margin_db: f32,
    /// Levels at or below this (in -dBov, RFC 6464: 127 is silence) count as silence.
    pub silence_dbov: u8,
    /// A talker with no packet for this long counts as silent.
    pub stale_after: Duration,
}

/// The selection algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SelectionMode {
    /// The loudest [`SelectionPolicy::max_talkers`], with smoothing and hold.
    Loudest,
    /// No selection: every talker is forwarded.
    All,
}

impl Default for SelectionPolicy {
    fn default() -> Self {
        SelectionPolicy {
            mode: SelectionMode::Loudest,
            max_talkers: 3,
            smoothing: Duration::from_millis(300),
            hold: Duration::from_millis(1500),
            entry_margin_db: 6.0,
            silence_dbov: 70,
            stale_after: Duration::from_millis(500),
        }
    }
}

impl SelectionPolicy {
    /// The default policy with `n` talkers.
    pub fn loudest(n: usize) -> SelectionPolicy {
        SelectionPolicy {
            max_talkers: n,
            ..SelectionPolicy::default()
        }
    }

    /// Everyone is selected.
    pub fn all() -> SelectionPolicy {
        SelectionPolicy {
            mode: SelectionMode::All,
            ..SelectionPolicy::default()
        }
    }

    fn silence_loudness(&self) -> f32 {
        loudness(self.silence_dbov)
    }
}

/// A change of the selected set, for the control plane's active-speaker events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectionChange {
    /// The talker's media now goes through.
    Selected(LegId),
    /// The talker's media is now dropped.
    Deselected(LegId),
}

#[derive(Debug, Clone)]
struct Talker {
    leg: LegId,
    /// Smoothed loudness in dB above silence: 127 - level_dbov.
    loudness: f32,
    last_heard: Option<Instant>,
    selected: bool,
    /// Since when this selected talker has been outranked or silent.
    challenged_since: Option<Instant>,
}

/// The selector of one conference.
#[derive(Debug, Clone)]
pub struct LoudestN {
    policy: SelectionPolicy,
    talkers: Vec<Talker>,
}

/// RFC 6464 level (0 loudest, 127 silence) to loudness in dB above silence.
fn loudness(level_dbov: u8) -> f32 {
    f32::from(127 - level_dbov.min(127))
}

impl LoudestN {
    /// A selector with no talkers.
    pub fn new(policy: SelectionPolicy) -> LoudestN {
        LoudestN {
            policy,
            talkers: Vec::new(),
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> &SelectionPolicy {
        &self.policy
    }

    /// Replaces the policy while the conference runs; the set is re-evaluated at `now` and
    /// the changes appended to `changes`.
    pub fn set_policy(
        &mut self,
        policy: SelectionPolicy,
        now: Instant,
        changes: &mut Vec<SelectionChange>,
    ) {
        self.policy = policy;
        if policy.mode == SelectionMode::All {
            for talker in &mut self.talkers {
                if !talker.selected {
                    talker.selected = true;
                    changes.push(SelectionChange::Selected(talker.leg));
                }
                talker.challenged_since = None;
            }
            return;
        }
        // A smaller N takes effect at once: the weakest selected talkers leave first.
        while self.selected_count() > policy.max_talkers {
            let Some(weakest) = self.weakest_selected() else {
                break;
            };
            let talker = &mut self.talkers[weakest];
            talker.selected = false;
            talker.challenged_since = None;
            changes.push(SelectionChange::Deselected(talker.leg));
        }
        self.tick(now, changes);
    }

    /// Adds a talker (not selected until heard, except in `All` mode). Adding a leg twice
    /// has no effect.
    pub fn add(&mut self, leg: LegId) {
        if self.position(leg).is_some() {
            return;
        }
        self.talkers.push(Talker {
            leg,
            loudness: 0.0,
            last_heard: None,
            selected: self.policy.mode == SelectionMode::All,
            challenged_since: None,
        });
    }

    /// Removes a talker; returns whether it was selected (its slot is free at the next tick).
    pub fn remove(&mut self, leg: LegId) -> bool {
        match self.position(leg) {
            Some(i) => self.talkers.swap_remove(i).selected,
            None => false,
        }
    }

    /// Records one packet's level from `leg` at `now`. Unknown legs are ignored.
    pub fn observe(&mut self, leg: LegId, level_dbov: u8, now: Instant) {
        let smoothing = self.policy.smoothing.as_secs_f32();
        let Some(i) = self.position(leg) else { return };
        let talker = &mut self.talkers[i];
        let sample = loudness(level_dbov);
        talker.loudness = match talker.last_heard {
            None => sample,
            Some(before) => {
                let dt = now.saturating_duration_since(before).as_secs_f32();
                let alpha = if smoothing > 0.0 {
                    1.0 - (-dt / smoothing).exp()
                } else {
                    1.0
                };
                talker.loudness + alpha * (sample - talker.loudness)
            }
        };
        talker.last_heard = Some(now);
    }

    /// Whether `leg`'s media goes through now.
    pub fn is_selected(&self, leg: LegId) -> bool {
        self.position(leg).is_some_and(|i| self.talkers[i].selected)
    }

    /// The selected talkers, in no particular order.
    pub fn selected(&self) -> impl Iterator<Item = LegId> + '_ {
        self.talkers.iter().filter(|t| t.selected).map(|t| t.leg)
    }

    /// A talker's smoothed loudness in dB above silence (0 = silent), if it is known.
    pub fn loudness_db(&self, leg: LegId) -> Option<f32> {
        self.position(leg).map(|i| self.talkers[i].loudness)
    }

    /// Re-evaluates the set at `now`, appending what changed to `changes`.
    pub fn tick(&mut self, now: Instant, changes: &mut Vec<SelectionChange>) {
        if self.policy.mode == SelectionMode::All {
            return;
        }
        let silence = self.policy.silence_loudness();
        for talker in &mut self.talkers {
            let stale = talker
                .last_heard
                .is_none_or(|t| now.saturating_duration_since(t) >= self.policy.stale_after);
            if stale {
                talker.loudness = 0.0;
            }
        }
        // Free slots go to the loudest audible talkers at once.
        while self.selected_count() < self.policy.max_talkers {
            match self.loudest_unselected() {
                Some(i) if self.talkers[i].loudness > silence => {
                    self.talkers[i].selected = true;
                    self.talkers[i].challenged_since = None;
                    changes.push(SelectionChange::Selected(self.talkers[i].leg));
                }
                _ => break,
            }
        }
        // Mark or clear the challenge on each selected talker.
        let best_challenger = self
            .loudest_unselected()
            .map(|i| self.talkers[i].loudness)
            .filter(|&l| l > silence);
        let margin = self.policy.entry_margin_db;
        for talker in self.talkers.iter_mut().filter(|t| t.selected) {
            let silent = talker.loudness <= silence;
            let outranked = best_challenger.is_some_and(|c| c >= talker.loudness + margin);
            if silent || outranked {
                talker.challenged_since.get_or_insert(now);
            } else {
                talker.challenged_since = None;
            }
        }
        // A talker challenged for the whole hold loses its slot; the best challenger, if
        // any, takes it. Weakest first, one swap per iteration.
        loop {
            let expired = self
                .talkers
                .iter()
                .enumerate()
                .filter(|(_, t)| {
                    t.selected
                        && t.challenged_since.is_some_and(|since| {
                            now.saturating_duration_since(since) >= self.policy.hold
                        })
                })
                .min_by(|a, b| a.1.loudness.total_cmp(&b.1.loudness))
                .map(|(i, _)| i);
            let Some(out) = expired else { break };
            let leg = self.talkers[out].leg;
            self.talkers[out].selected = false;
            self.talkers[out].challenged_since = None;
            changes.push(SelectionChange::Deselected(leg));
            if let Some(i) = self
                .loudest_unselected()
                .filter(|&i| i != out && self.talkers[i].loudness > silence)
            {
                self.talkers[i].selected = true;
                changes.push(SelectionChange::Selected(self.talkers[i].leg));
            }
        }
    }

    fn position(&self, leg: LegId) -> Option<usize> {
        self.talkers.iter().position(|t| t.leg == leg)
    }

    fn selected_count(&self) -> usize {
        self.talkers.iter().filter(|t| t.selected).count()
    }

    fn loudest_unselected(&self) -> Option<usize> {
        self.talkers
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.selected)
            .max_by(|a, b| a.1.loudness.total_cmp(&b.1.loudness))
            .map(|(i, _)| i)
    }

    fn weakest_selected(&self) -> Option<usize> {
        self.talkers
            .iter()
            .enumerate()
            .filter(|(_, t)| t.selected)
            .min_by(|a, b| a.1.loudness.total_cmp(&b.1.loudness))
            .map(|(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACKET: Duration = Duration::from_millis(20);

    /// Drives a selector with one packet per talker every 20 ms for `duration`, each talker's
    /// level given by `level(talker index, time since start)`, ticking after every round.
    struct Script {
        selector: LoudestN,
        legs: Vec<LegId>,
        start: Instant,
        now: Instant,
        changes: Vec<SelectionChange>,
    }

    impl Script {
        fn new(policy: SelectionPolicy, talkers: u32) -> Script {
            let mut selector = LoudestN::new(policy);
            let legs: Vec<LegId> = (0..talkers).map(LegId).collect();
            for &leg in &legs {
                selector.add(leg);
            }
            let start = Instant::now();
            Script {
                selector,
                legs,
                start,
                now: start,
                changes: Vec::new(),
            }
        }

        fn run(&mut self, duration: Duration, level: impl Fn(usize, Duration) -> u8) {
            let end = self.now + duration;
            while self.now < end {
                self.now += PACKET;
                let t = self.now - self.start;
                for (i, &leg) in self.legs.iter().enumerate() {
                    self.selector.observe(leg, level(i, t), self.now);
                }
                self.selector.tick(self.now, &mut self.changes);
            }
        }

        fn selected(&self) -> Vec<u32> {
            let mut s: Vec<u32> = self.selector.selected().map(|l| l.0).collect();
            s.sort_unstable();
            s
        }
    }

    #[test]
    fn the_two_loudest_of_five_are_selected() {
        let mut s = Script::new(SelectionPolicy::loudest(2), 5);
        s.run(Duration::from_secs(1), |i, _| [20, 90, 30, 100, 127][i]);
        assert_eq!(s.selected(), vec![0, 2]);
    }

    #[test]
    fn silence_selects_nobody() {
        let mut s = Script::new(SelectionPolicy::loudest(3), 4);
        s.run(Duration::from_secs(1), |_, _| 127);
        assert!(s.selected().is_empty());
        assert!(s.changes.is_empty());
    }

    #[test]
    fn a_pause_shorter_than_the_hold_keeps_the_talker() {
        let policy = SelectionPolicy::loudest(1);
        let mut s = Script::new(policy, 2);
        // Talker 0 speaks, talker 1 murmurs (audible, but quieter than talker 0).
        s.run(Duration::from_secs(2), |i, _| [25, 60][i]);
        assert_eq!(s.selected(), vec![0]);
        s.changes.clear();
        // Talker 0 pauses for 1 s (< 1.5 s hold) while talker 1 goes on murmuring.
        s.run(Duration::from_secs(1), |i, _| [127, 60][i]);
        assert_eq!(
            s.selected(),
            vec![0],
            "flapped during a short pause: {:?}",
            s.changes
        );
        s.run(Duration::from_secs(1), |i, _| [25, 60][i]);
        assert_eq!(s.selected(), vec![0]);
        assert!(s.changes.is_empty(), "{:?}", s.changes);
    }

    #[test]
    fn a_pause_longer_than_the_hold_hands_the_slot_over() {
        let mut s = Script::new(SelectionPolicy::loudest(1), 2);
        s.run(Duration::from_secs(2), |i, _| [25, 60][i]);
        s.changes.clear();
        s.run(Duration::from_secs(3), |i, _| [127, 60][i]);
        assert_eq!(s.selected(), vec![1]);
        assert_eq!(
            s.changes,
            vec![
                SelectionChange::Deselected(LegId(0)),
                SelectionChange::Selected(LegId(1))
            ]
        );
    }

    #[test]
    fn a_challenger_within_the_margin_does_not_displace() {
        let mut s = Script::new(SelectionPolicy::loudest(1), 2);
        s.run(Duration::from_secs(1), |i, _| [30, 127][i]);
        assert_eq!(s.selected(), vec![0]);
        // Talker 1 is 4 dB louder: less than the 6 dB margin.
        s.run(Duration::from_secs(5), |i, _| [30, 26][i]);
        assert_eq!(s.selected(), vec![0]);
    }

    #[test]
    fn a_clearly_louder_challenger_takes_over_after_the_hold_not_before() {
        let policy = SelectionPolicy::loudest(1);
        let mut s = Script::new(policy, 2);
        s.run(Duration::from_secs(1), |i, _| [40, 127][i]);
        s.changes.clear();
        s.run(Duration::from_millis(1000), |i, _| [40, 10][i]);
        assert_eq!(s.selected(), vec![0], "switched before the hold");
        s.run(Duration::from_millis(1500), |i, _| [40, 10][i]);
        assert_eq!(s.selected(), vec![1]);
    }

    #[test]
    fn alternating_bursts_shorter_than_the_hold_do_not_flap() {
        let mut s = Script::new(SelectionPolicy::loudest(1), 3);
        // Talkers 0 and 1 alternate loud/quiet every 400 ms; talker 2 is silent.
        s.run(Duration::from_secs(1), |i, _| [20, 127, 127][i]);
        s.changes.clear();
        s.run(Duration::from_secs(6), |i, t| {
            let phase = (t.as_millis() / 400) % 2 == 0;
            match (i, phase) {
                (0, true) | (1, false) => 20,
                (2, _) => 127,
                _ => 50,
            }
        });
        assert!(s.changes.len() <= 2, "flapping: {:?}", s.changes);
    }

    #[test]
    fn lowering_n_drops_the_weakest_at_once_and_raising_it_fills() {
        let mut s = Script::new(SelectionPolicy::loudest(3), 4);
        s.run(Duration::from_secs(1), |i, _| [20, 30, 40, 50][i]);
        assert_eq!(s.selected(), vec![0, 1, 2]);
        s.changes.clear();
        let now = s.now;
        s.selector
            .set_policy(SelectionPolicy::loudest(1), now, &mut s.changes);
        assert_eq!(s.selected(), vec![0]);
        assert_eq!(s.changes.len(), 2);
        s.selector
            .set_policy(SelectionPolicy::loudest(4), now, &mut s.changes);
        assert_eq!(s.selected(), vec![0, 1, 2, 3]);
    }

    #[test]
    fn all_mode_selects_everyone_even_silent() {
        let mut s = Script::new(SelectionPolicy::all(), 3);
        s.run(Duration::from_secs(1), |_, _| 127);
        assert_eq!(s.selected(), vec![0, 1, 2]);
        let now = s.now;
        s.selector
            .set_policy(SelectionPolicy::loudest(1), now, &mut s.changes);
        assert!(s.selected().len() <= 1);
    }

    #[test]
    fn a_talker_that_stops_sending_goes_stale_and_is_replaced() {
        let mut s = Script::new(SelectionPolicy::loudest(1), 2);
        s.run(Duration::from_secs(1), |i, _| [20, 60][i]);
        // Talker 0's packets stop entirely (no observe): simulate by sending only talker 1.
        let end = s.now + Duration::from_secs(3);
        while s.now < end {
            s.now += PACKET;
            s.selector.observe(LegId(1), 60, s.now);
            s.selector.tick(s.now, &mut s.changes);
        }
        assert_eq!(s.selected(), vec![1]);
    }

    #[test]
    fn removing_a_selected_talker_frees_its_slot() {
        let mut s = Script::new(SelectionPolicy::loudest(1), 2);
        s.run(Duration::from_secs(1), |i, _| [20, 40][i]);
        assert!(s.selector.remove(LegId(0)));
        assert!(!s.selector.remove(LegId(0)));
        s.legs.remove(0);
        s.run(Duration::from_millis(40), |_, _| 40);
        assert_eq!(s.selected(), vec![1]);
    }
}
