//! [`MediaCore`]: one CPU core's conferences and legs, and what its I/O shell polls.
//!
//! This file holds the state every part of the core shares, and the outputs the I/O shell
//! polls. The packet path lives in `ingress` and `routing`, deadlines in `deadlines`, the
//! control plane's commands in `commands` and `focus`, what it reads back in `snapshots`.

use core::fmt;
use std::collections::HashMap;
use std::time::Instant;

use super::conference_state::Conference;
use super::counters::CoreCounters;
use super::events::EventQueue;
use super::leg::Leg;
use super::level::PCM_SCRATCH_SAMPLES;
use super::mixing::MixingCounters;
use super::recording_tap::RecordedQueue;
use super::rng::Xorshift;
use super::slab::Slab;
use super::timers::{TimerKind, TimerQueue};
use super::{
    ConferenceError, ConferenceId, CoreConfig, CoreEvent, LegId, ParticipantId, SelectionChange,
    SelectionMode,
};
use crate::srtp::SrtpError;

/// Marks a local port no leg receives on.
pub(super) const NO_LEG: u32 = u32::MAX;

/// Buffers the packet path reuses from batch to batch.
#[derive(Debug)]
pub(super) struct Scratch {
    pub(super) srtp_results: Vec<Result<usize, SrtpError>>,
    pub(super) changes: Vec<SelectionChange>,
    /// Conference slots that observed a level in the current batch.
    pub(super) observed: Vec<u32>,
    pub(super) pcm: Vec<i16>,
}

/// The sans-IO media core of one CPU core: its conferences, their legs, talker selection
/// and routing.
///
/// It owns no socket and reads no clock. The I/O shell passes received datagrams and the
/// current time to [`handle_datagrams`](Self::handle_datagrams), sends what lands in the
/// [`Outbox`](super::Outbox), sleeps until [`poll_timeout`](Self::poll_timeout), then
/// calls [`handle_timeout`](Self::handle_timeout); the control plane's commands are
/// methods, and what it should hear about comes out of [`poll_event`](Self::poll_event).
///
/// One conference's packets never reach another conference's legs: a packet is routed
/// only to the legs its own leg's conference lists, and end-to-end legs only to each
/// other (see [`MediaMode`](super::MediaMode)).
pub struct MediaCore {
    pub(super) config: CoreConfig,
    /// The origin of arrival times given to reception statistics.
    pub(super) epoch: Instant,
    pub(super) legs: Slab<Leg>,
    pub(super) conferences: Slab<Conference>,
    pub(super) leg_slots: HashMap<LegId, u32>,
    pub(super) conference_slots: HashMap<ConferenceId, u32>,
    /// Local port to leg slot, [`NO_LEG`] where none.
    pub(super) ports: Vec<u32>,
    pub(super) focus: HashMap<ParticipantId, ConferenceId>,
    pub(super) timers: TimerQueue,
    pub(super) events: EventQueue,
    /// Traffic counters; the sizes are filled in by [`Self::counters`].
    pub(super) counters: CoreCounters,
    pub(super) rng: Xorshift,
    pub(super) scratch: Scratch,
    /// Number of the current batch.
    pub(super) batch: u64,
    /// Mixing ticks and packets, plus what stopped mixers and departed legs counted.
    pub(super) mix_totals: MixingCounters,
    /// Recorded mix frames waiting for the I/O shell.
    pub(super) recorded: RecordedQueue,
}

impl MediaCore {
    /// An empty core; `now` is the origin of its timekeeping.
    pub fn new(config: CoreConfig, now: Instant) -> Self {
        let rng = Xorshift::new(config.seed);
        let events = EventQueue::new(config.max_queued_events);
        Self {
            config,
            epoch: now,
            legs: Slab::new(),
            conferences: Slab::new(),
            leg_slots: HashMap::new(),
            conference_slots: HashMap::new(),
            ports: vec![NO_LEG; usize::from(u16::MAX) + 1],
            focus: HashMap::new(),
            timers: TimerQueue::new(),
            events,
            counters: CoreCounters::default(),
            rng,
            scratch: Scratch {
                srtp_results: Vec::new(),
                changes: Vec::new(),
                observed: Vec::new(),
                pcm: vec![0; PCM_SCRATCH_SAMPLES],
            },
            batch: 0,
            mix_totals: MixingCounters::default(),
            recorded: RecordedQueue::default(),
        }
    }

    /// The configuration the core runs with.
    pub fn config(&self) -> &CoreConfig {
        &self.config
    }

    /// The next event for the control plane.
    pub fn poll_event(&mut self) -> Option<CoreEvent> {
        self.events.pop()
    }

    /// When [`handle_timeout`](Self::handle_timeout) next has work (it may find none, if
    /// the deadline moved since). `None` when nothing is scheduled.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    pub(super) fn conference_slot(&self, id: ConferenceId) -> Result<u32, ConferenceError> {
        self.conference_slots
            .get(&id)
            .copied()
            .ok_or(ConferenceError::UnknownConference(id))
    }

    /// The next RTCP interval: the configured mean times a factor drawn from 0.5 to 1.5
    /// (RFC 3550 sec. 6.3.1), so reports of many legs do not bunch up.
    pub(super) fn report_interval(&mut self) -> std::time::Duration {
        self.config
            .rtcp_interval
            .mul_f64(0.5 + self.rng.next_unit())
    }

    /// Applies the selection changes in the scratch list to the conference's legs, reports
    /// them (or, with `force_event`, the set even if unchanged) and keeps a selection tick
    /// scheduled while anyone is selected.
    pub(super) fn apply_selection(
        &mut self,
        conference_slot: u32,
        now: Instant,
        force_event: bool,
    ) {
        let changes = std::mem::take(&mut self.scratch.changes);
        if let Some(conference) = self.conferences.get_mut(conference_slot) {
            for change in &changes {
                let (leg, selected) = match *change {
                    SelectionChange::Selected(leg) => (leg, true),
                    SelectionChange::Deselected(leg) => (leg, false),
                };
                let slot = self.leg_slots.get(&leg).copied().unwrap_or(NO_LEG);
                if let Some(leg) = self.legs.get_mut(slot) {
                    leg.selected = selected;
                }
            }
            if !changes.is_empty() || force_event {
                self.events.push(CoreEvent::ActiveSpeakers {
                    conference: conference.id,
                    talkers: conference.talkers(),
                });
            }
            let needs_tick = conference.selector.policy().mode == SelectionMode::Loudest
                && conference.selector.selected().next().is_some();
            if needs_tick && !conference.tick_scheduled {
                if let Some(handle) = self.conferences.handle(conference_slot) {
                    self.timers.schedule(
                        now + self.config.selection_tick,
                        TimerKind::Selection(handle),
                    );
                    if let Some(conference) = self.conferences.get_mut(conference_slot) {
                        conference.tick_scheduled = true;
                    }
                }
            }
        }
        let mut changes = changes;
        changes.clear();
        self.scratch.changes = changes;
    }
}

impl fmt::Debug for MediaCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaCore")
            .field("conferences", &self.conferences.len())
            .field("legs", &self.legs.len())
            .field("counters", &self.counters)
            .field("next_deadline", &self.timers.next_deadline())
            .finish()
    }
}
