//! Which packets the node must forward, so that loss can be counted exactly under
//! loudest-N selection, where a deselected talker's packets are dropped by design.
//!
//! Each conference runs the node's own selector ([`LoudestN`], from the dataplane crate)
//! over the levels its participants will send, at the times they are due, with the policy
//! the node reported when the conference was created. A packet *must* reach every other
//! participant when the model has its sender selected and no selection change lies within
//! a margin on either side of it: the node sees the packets a little later than they were
//! planned, so a change near a packet could fall on either side of it there. Packets
//! outside those windows may or may not arrive; they are counted as received but not as
//! lost. The model runs ahead of the sender by the margin ([`SelectionModel::advance`]).
//!
//! The node takes packets in batches and re-evaluates once per batch; the model feeds
//! packets due within a millisecond of each other as one group for the same reason. Even
//! so, a decision between talkers of nearly equal loudness (within the policy's entry
//! margin) can go either way depending on arrival order, and the node may then keep a
//! different set than the model for as long as those talkers keep talking. Such a
//! *contested* decision makes the model unsure until the whole conference has been quiet
//! long enough for both to agree again: no packet must arrive in between, and the talker
//! check is off for the conference ([`SelectionModel::contested`]).
//!
//! When levels cannot be known here (Opus without a written level), only `all` mode has
//! packets that must arrive.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use medianode_dataplane::conference::{
    LegId, LoudestN, SelectionChange, SelectionMode, SelectionPolicy,
};

/// Packets due this close together are taken as one batch, as the node would.
const GROUP_NS: u64 = 1_000_000;

use super::plan::ConferencePlan;

/// A conference's selection policy as the node reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodePolicy {
    /// Everyone is forwarded (`"mode": "all"`).
    pub all: bool,
    /// N of loudest-N.
    pub loudest_n: usize,
    /// How long a talker keeps its slot after going quiet, in ms.
    pub hold_ms: u64,
    /// Time constant of the level average, in ms.
    pub smoothing_ms: u64,
}

impl NodePolicy {
    /// The selector policy: the node's defaults with the reported fields.
    pub fn selection_policy(&self) -> SelectionPolicy {
        let mut policy = SelectionPolicy::loudest(self.loudest_n);
        if self.all {
            policy.mode = SelectionMode::All;
        }
        policy.hold = Duration::from_millis(self.hold_ms);
        policy.smoothing = Duration::from_millis(self.smoothing_ms);
        policy
    }

    /// `loudest N` or `all`, for reports.
    pub fn describe(&self) -> String {
        if self.all {
            "all".to_owned()
        } else {
            format!("loudest {}", self.loudest_n)
        }
    }
}

/// The selection history of one participant, as far as it is still needed.
#[derive(Debug)]
struct Track {
    /// State before the first retained change, and since when (`None`: from the start).
    initial: (bool, Option<u64>),
    /// Changes as (offset ns, selected), ascending.
    changes: VecDeque<(u64, bool)>,
    ever_selected: bool,
}

/// The model of one conference's selection.
#[derive(Debug)]
pub struct SelectionModel {
    plan: Arc<ConferencePlan>,
    selector: LoudestN,
    all: bool,
    levels_known: bool,
    base: Instant,
    margin_ns: u64,
    /// Next packet to feed, per participant, with its due offset.
    cursors: Vec<(u64, Option<u64>)>,
    horizon_ns: u64,
    tracks: Vec<Track>,
    scratch: Vec<SelectionChange>,
    /// Loudness (dB above silence) at or below which a talker is silent.
    silence_db: f32,
    /// How close two talkers' loudness must be for a choice between them to be contested.
    contest_db: f32,
    /// Spans (start, end if over) where the model is unsure, by offset.
    unsure: VecDeque<(u64, Option<u64>)>,
    contested: bool,
}

fn leg(position: usize) -> LegId {
    LegId(position as u32 + 1)
}

impl SelectionModel {
    /// A model of `plan` under `policy`; changes closer than `margin` to a packet make it
    /// optional.
    pub fn new(plan: Arc<ConferencePlan>, policy: SelectionPolicy, margin: Duration) -> Self {
        let all = policy.mode == SelectionMode::All;
        let mut selector = LoudestN::new(policy);
        let count = plan.participants.len();
        for position in 0..count {
            selector.add(leg(position));
        }
        let cursors = (0..count)
            .map(|k| (0, plan.packet(k, 0).map(|p| p.offset_ns)))
            .collect();
        let tracks = (0..count)
            .map(|_| Track {
                initial: (all, None),
                changes: VecDeque::new(),
                ever_selected: all,
            })
            .collect();
        let silence_db = f32::from(127 - policy.silence_dbov.min(127));
        let contest_db = policy.entry_margin_db;
        SelectionModel {
            silence_db,
            contest_db,
            unsure: VecDeque::new(),
            contested: false,
            levels_known: plan.levels_known(),
            plan,
            selector,
            all,
            base: Instant::now(),
            margin_ns: margin.as_nanos() as u64,
            cursors,
            horizon_ns: 0,
            tracks,
            scratch: Vec::new(),
        }
    }

    /// Feeds every packet due up to `horizon_ns` (from the conference's start).
    pub fn advance(&mut self, horizon_ns: u64) {
        if horizon_ns <= self.horizon_ns {
            return;
        }
        loop {
            let first = self
                .cursors
                .iter()
                .filter_map(|&(_, due)| due.filter(|&t| t <= horizon_ns))
                .min();
            let Some(start) = first else { break };
            // Everything due within the group window, then one evaluation.
            let group_end = start.saturating_add(GROUP_NS).min(horizon_ns);
            let mut last = start;
            for position in 0..self.cursors.len() {
                while let Some(at) = self.cursors[position].1.filter(|&t| t <= group_end) {
                    let index = self.cursors[position].0;
                    if let Some(packet) = self.plan.packet(position, index) {
                        if let Some(level) = self.plan.observed_level(position, &packet) {
                            let now = self.base + Duration::from_nanos(at);
                            self.selector.observe(leg(position), level, now);
                        }
                    }
                    last = last.max(at);
                    let following = self.plan.packet(position, index + 1).map(|p| p.offset_ns);
                    self.cursors[position] = (index + 1, following);
                }
            }
            self.tick(last);
        }
        self.tick(horizon_ns);
        self.horizon_ns = horizon_ns;
    }

    fn tick(&mut self, at: u64) {
        let now = self.base + Duration::from_nanos(at);
        self.selector.tick(now, &mut self.scratch);
        let mut contested = false;
        let mut changes = std::mem::take(&mut self.scratch);
        for change in changes.drain(..) {
            let (leg, selected) = match change {
                SelectionChange::Selected(leg) => (leg, true),
                SelectionChange::Deselected(leg) => (leg, false),
            };
            if selected {
                contested |= self.is_contested(leg);
            }
            let Some(track) = (leg.0 as usize)
                .checked_sub(1)
                .and_then(|k| self.tracks.get_mut(k))
            else {
                continue;
            };
            track.changes.push_back((at, selected));
            track.ever_selected |= selected;
        }
        self.scratch = changes;
        self.update_unsure(at, contested);
    }

    /// Whether `chosen` just won its slot over an audible talker about as loud, so that
    /// arrival order could have decided otherwise.
    fn is_contested(&self, chosen: LegId) -> bool {
        let Some(loudness) = self.selector.loudness_db(chosen) else {
            return false;
        };
        (0..self.tracks.len()).map(leg).any(|other| {
            other != chosen
                && !self.selector.is_selected(other)
                && self
                    .selector
                    .loudness_db(other)
                    .is_some_and(|l| l > self.silence_db && l + self.contest_db > loudness)
        })
    }

    /// Opens a span of doubt at a contested decision; closes it once nobody is selected
    /// or audible (the node then holds nobody either, whatever it chose before).
    fn update_unsure(&mut self, at: u64, contested: bool) {
        let open = self.unsure.back().is_some_and(|&(_, end)| end.is_none());
        if contested {
            self.contested = true;
            if !open {
                self.unsure.push_back((at, None));
            }
            return;
        }
        if open {
            let quiet = (0..self.tracks.len()).map(leg).all(|talker| {
                !self.selector.is_selected(talker)
                    && self
                        .selector
                        .loudness_db(talker)
                        .is_none_or(|l| l <= self.silence_db)
            });
            if quiet {
                if let Some(span) = self.unsure.back_mut() {
                    span.1 = Some(at);
                }
            }
        }
    }

    /// Whether a decision of this conference was ever contested.
    pub fn contested(&self) -> bool {
        self.contested
    }

    /// Whether the packet of `position` due at `offset_ns` must reach every other
    /// participant. Asks for `advance(offset_ns + margin)` first; without it the answer is
    /// a conservative `false`.
    pub fn must_deliver(&self, position: usize, offset_ns: u64) -> bool {
        if !self.all && !self.levels_known {
            return false;
        }
        let margin = self.margin_ns;
        let in_doubt = self.unsure.iter().any(|&(start, end)| {
            offset_ns + margin >= start && end.is_none_or(|end| offset_ns <= end + margin)
        });
        if in_doubt {
            return false;
        }
        let Some(track) = self.tracks.get(position) else {
            return false;
        };
        let after = track.changes.partition_point(|&(at, _)| at <= offset_ns);
        let (selected, since) = match after.checked_sub(1).and_then(|i| track.changes.get(i)) {
            Some(&(at, selected)) => (selected, Some(at)),
            None => track.initial,
        };
        if !selected || since.is_some_and(|at| offset_ns - at < self.margin_ns) {
            return false;
        }
        match track.changes.get(after) {
            Some(&(next, _)) => next - offset_ns >= self.margin_ns,
            None => self.horizon_ns >= offset_ns.saturating_add(self.margin_ns),
        }
    }

    /// Whether the model ever selected `position` so far.
    pub fn ever_selected(&self, position: usize) -> bool {
        self.tracks.get(position).is_some_and(|t| t.ever_selected)
    }

    /// Drops history no question about `offset_ns` or later needs.
    pub fn forget_before(&mut self, offset_ns: u64) {
        while self
            .unsure
            .front()
            .is_some_and(|&(_, end)| end.is_some_and(|end| end + self.margin_ns < offset_ns))
        {
            self.unsure.pop_front();
        }
        for track in &mut self.tracks {
            while track.changes.get(1).is_some_and(|&(at, _)| at <= offset_ns) {
                if let Some((at, selected)) = track.changes.pop_front() {
                    track.initial = (selected, Some(at));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::plan::{LevelSource, ParticipantPlan, Timing};
    use crate::replay::source::{AudioCodec, SourcePacket, SourceStream};

    const MS: u64 = 1_000_000;

    fn plan(participants: usize, slot_ms: u64) -> Arc<ConferencePlan> {
        plan_with(
            participants,
            LevelSource::Slots {
                slot_ns: slot_ms * MS,
            },
            127,
        )
    }

    fn plan_with(
        participants: usize,
        levels: LevelSource,
        payload_level: u8,
    ) -> Arc<ConferencePlan> {
        let packets = (0..50u64)
            .map(|i| SourcePacket {
                offset_ns: i * 20 * MS,
                ts_offset: i as u32 * 160,
                marker: false,
                extension: None,
                payload: vec![0xD5; 160],
                payload_level: Some(payload_level),
            })
            .collect();
        let stream =
            Arc::new(SourceStream::from_packets("t".into(), 8, AudioCodec::Pcma, packets).unwrap());
        Arc::new(ConferencePlan {
            participants: (0..participants)
                .map(|k| ParticipantPlan {
                    stream: stream.clone(),
                    rotation: 0,
                    ssrc: k as u32,
                    first_seq: 0,
                    first_ts: 0,
                })
                .collect(),
            timing: Timing {
                speed: 1.0,
                looping: true,
                duration_ns: Some(10_000 * MS),
            },
            levels,
            level_id: 1,
        })
    }

    fn policy(all: bool, n: usize) -> SelectionPolicy {
        NodePolicy {
            all,
            loudest_n: n,
            hold_ms: 1500,
            smoothing_ms: 300,
        }
        .selection_policy()
    }

    /// Offsets (ms) of the must-deliver packets of `position`, as first..last.
    fn must_window(model: &mut SelectionModel, position: usize) -> Option<(u64, u64)> {
        let mut found: Vec<u64> = Vec::new();
        for i in 0..500 {
            let t = i * 20 * MS;
            model.advance(t + 300 * MS);
            if model.must_deliver(position, t) {
                found.push(t / MS);
            }
        }
        Some((*found.first()?, *found.last()?))
    }

    #[test]
    fn a_slot_talker_must_be_heard_once_its_level_has_risen_until_its_hold_nears_its_end() {
        let mut model =
            SelectionModel::new(plan(4, 2000), policy(false, 3), Duration::from_millis(300));
        let (first, last) = must_window(&mut model, 1).unwrap();
        // Slot 1 is [2000, 4000) ms. The average rises past the silence threshold about
        // 270 ms in, and the talker keeps its slot for about 1.7 s after going quiet; 300 ms
        // of margin on each side.
        assert!(
            (2500..=2650).contains(&first),
            "first must packet at {first} ms"
        );
        assert!(
            (5300..=5450).contains(&last),
            "last must packet at {last} ms"
        );
        assert!(model.ever_selected(1));
        // Slot 5 is participant 1's again, at [10000, 12000): past the 10 s duration.
        let mut silent =
            SelectionModel::new(plan(8, 2000), policy(false, 3), Duration::from_millis(300));
        assert!(
            must_window(&mut silent, 7).is_none(),
            "participant 7 never talks in 10 s"
        );
        assert!(!silent.ever_selected(7));
    }

    #[test]
    fn in_all_mode_every_packet_must_arrive_and_history_can_be_forgotten() {
        let mut model =
            SelectionModel::new(plan(3, 2000), policy(true, 3), Duration::from_millis(300));
        assert_eq!(must_window(&mut model, 2), Some((0, 9980)));
        let mut loudest =
            SelectionModel::new(plan(3, 500), policy(false, 1), Duration::from_millis(300));
        for i in 0..300 {
            let t = i * 20 * MS;
            loudest.advance(t + 300 * MS);
            let before = loudest.must_deliver(0, t);
            loudest.forget_before(t);
            assert_eq!(loudest.must_deliver(0, t), before, "at {} ms", t / MS);
        }
        assert!(loudest.tracks.iter().all(|t| t.changes.len() <= 2));
    }

    #[test]
    fn equally_loud_talkers_competing_for_one_slot_leave_the_model_unsure() {
        let loud = plan_with(3, LevelSource::Payload, 30);
        let mut model = SelectionModel::new(loud, policy(false, 1), Duration::from_millis(300));
        assert_eq!(must_window(&mut model, 0), None);
        assert!(model.contested());
        let mut slots =
            SelectionModel::new(plan(3, 2000), policy(false, 1), Duration::from_millis(300));
        assert!(must_window(&mut slots, 0).is_some());
        assert!(!slots.contested());
    }

    #[test]
    fn with_one_slot_only_one_talker_is_ever_a_must_at_a_time() {
        let mut model =
            SelectionModel::new(plan(3, 3000), policy(false, 1), Duration::from_millis(300));
        for i in 0..450 {
            let t = i * 20 * MS;
            model.advance(t + 300 * MS);
            let musts = (0..3).filter(|&k| model.must_deliver(k, t)).count();
            assert!(musts <= 1, "{musts} talkers at {} ms", t / MS);
        }
    }
}
