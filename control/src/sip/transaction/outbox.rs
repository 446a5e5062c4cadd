//! What the state machines produce, collected for the `poll_*` methods of the layer.

use std::collections::VecDeque;

use super::timers::TimerQueue;
use super::types::{Peer, TransactionEvent, Transmit};

#[derive(Debug, Default)]
pub(crate) struct Outbox {
    pub(crate) transmits: VecDeque<Transmit>,
    pub(crate) events: VecDeque<TransactionEvent>,
    pub(crate) timers: TimerQueue,
}

impl Outbox {
    pub(crate) fn send(&mut self, peer: Peer, bytes: Vec<u8>) {
        self.transmits.push_back(Transmit { peer, bytes });
    }

    pub(crate) fn event(&mut self, event: TransactionEvent) {
        self.events.push_back(event);
    }
}
