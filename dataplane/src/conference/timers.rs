//! The core's deadlines in one min-heap: media timeouts, RTCP report times, selection
//! and mixing ticks. Entries are not removed when a deadline moves; a popped entry is checked against
//! its owner's current state (and generation) and re-pushed or forgotten, so moving a
//! deadline on every packet costs nothing.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use super::slab::SlotHandle;

/// What a deadline is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum TimerKind {
    /// A leg's media timeout.
    Media(SlotHandle),
    /// A leg's next receiver report.
    Rtcp(SlotHandle),
    /// A conference's next selection tick.
    Selection(SlotHandle),
    /// A conference's next mixing tick.
    Mix(SlotHandle),
}

#[derive(Debug, Default)]
pub(crate) struct TimerQueue {
    heap: BinaryHeap<Reverse<(Instant, TimerKind)>>,
}

impl TimerQueue {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn schedule(&mut self, at: Instant, kind: TimerKind) {
        self.heap.push(Reverse((at, kind)));
    }

    /// The earliest deadline (possibly one that has since moved later).
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    /// Removes and returns one deadline due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<TimerKind> {
        match self.heap.peek() {
            Some(Reverse((at, _))) if *at <= now => self.heap.pop().map(|Reverse((_, k))| k),
            _ => None,
        }
    }
}
