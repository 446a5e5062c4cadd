//! Timer bookkeeping shared by all transactions: one heap of deadlines for the whole
//! layer (so `poll_timeout` is O(1) with hundreds of thousands of transactions alive) and
//! a slot per timer kind in each transaction. Re-arming or cancelling a timer only updates
//! the slot; the stale heap entry is skipped when it surfaces.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use super::types::{ClientTxId, ServerTxId};

/// The RFC 3261 timers (and RFC 6026's L and M), plus the retransmission of a 2xx to INVITE
/// that RFC 3261 sec. 13.3.1.4 leaves to the UAS core and this layer does for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum TimerKind {
    A,
    B,
    D,
    E,
    F,
    K,
    M,
    G,
    H,
    I,
    J,
    L,
    Retransmit2xx,
}

const KINDS: usize = 13;

/// Which transaction a heap entry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum TxRef {
    Client(ClientTxId),
    Server(ServerTxId),
}

/// The armed deadline of each timer kind of one transaction.
#[derive(Debug, Clone, Default)]
pub(crate) struct Deadlines([Option<Instant>; KINDS]);

impl Deadlines {
    pub(crate) fn get(&self, kind: TimerKind) -> Option<Instant> {
        self.0.get(kind as usize).copied().flatten()
    }

    pub(crate) fn cancel(&mut self, kind: TimerKind) {
        if let Some(slot) = self.0.get_mut(kind as usize) {
            *slot = None;
        }
    }

    fn set(&mut self, kind: TimerKind, at: Instant) {
        if let Some(slot) = self.0.get_mut(kind as usize) {
            *slot = Some(at);
        }
    }
}

/// All armed deadlines of the layer, earliest first.
#[derive(Debug, Default)]
pub(crate) struct TimerQueue {
    heap: BinaryHeap<Reverse<(Instant, TxRef, TimerKind)>>,
}

impl TimerQueue {
    /// Arms `kind` of transaction `tx` for `at` (replacing any earlier arming).
    pub(crate) fn arm(
        &mut self,
        deadlines: &mut Deadlines,
        tx: TxRef,
        kind: TimerKind,
        at: Instant,
    ) {
        deadlines.set(kind, at);
        self.heap.push(Reverse((at, tx, kind)));
    }

    pub(crate) fn peek(&self) -> Option<(Instant, TxRef, TimerKind)> {
        self.heap.peek().map(|Reverse(entry)| *entry)
    }

    pub(crate) fn pop(&mut self) -> Option<(Instant, TxRef, TimerKind)> {
        self.heap.pop().map(|Reverse(entry)| entry)
    }
}
