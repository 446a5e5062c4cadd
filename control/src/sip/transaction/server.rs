//! Server transactions (RFC 3261 sec. 17.2, with RFC 6026's Accepted state for INVITE).
//!
//! INVITE: Proceeding (a 100 Trying goes out at once; a retransmitted INVITE gets the
//! latest provisional response again) -> Accepted on 2xx (the 2xx is retransmitted on UDP
//! with T1 doubling to T2 until its ACK arrives or timer L ends it) or Completed on
//! 300-699 (timer G retransmits on UDP, timer H waits for the ACK) -> Confirmed on ACK
//! (timer I absorbs stray ACKs).
//!
//! Non-INVITE: Trying (retransmissions absorbed) -> Proceeding on 1xx -> Completed on a
//! final response; in both, a retransmitted request gets the last response again; timer J
//! ends it.

use std::time::{Duration, Instant};

use super::key::{DialogAckKey, ServerKey};
use super::outbox::Outbox;
use super::timers::{Deadlines, TimerKind, TxRef};
use super::types::{Peer, ServerTxId, TimerConfig, TransactionError, TransactionEvent};
use crate::sip::message::response_for;
use crate::sip::{Message, Method};

/// Where a server transaction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerState {
    /// Non-INVITE received, no response yet.
    Trying,
    /// A provisional response was sent (for INVITE, at least the automatic 100).
    Proceeding,
    /// INVITE answered with 2xx; waiting for its ACK (RFC 6026).
    Accepted,
    /// Final response sent (non-2xx for INVITE).
    Completed,
    /// ACK for the non-2xx final response received.
    Confirmed,
    /// Done.
    Terminated,
}

/// What an ACK that matched this transaction's key means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AckOutcome {
    /// It acknowledged our non-2xx response (or repeated that); the TU never sees it.
    Absorbed,
    /// The TU should see it (an ACK to a 2xx that reused the INVITE branch, or a stray).
    ForTu,
    /// An RFC 2543 ACK whose To tag belongs to another response.
    NotOurs,
}

#[derive(Debug)]
pub(crate) struct ServerTransaction {
    id: ServerTxId,
    invite: bool,
    state: ServerState,
    peer: Peer,
    last_response: Option<Vec<u8>>,
    final_to_tag: Option<String>,
    interval: Duration,
    acked: bool,
    pub(crate) key: ServerKey,
    pub(crate) ack_key: Option<DialogAckKey>,
    pub(crate) deadlines: Deadlines,
}

impl ServerTransaction {
    pub(crate) fn start<T: AsRef<[u8]>>(
        id: ServerTxId,
        key: ServerKey,
        ack_key: Option<DialogAckKey>,
        request: &Message<T>,
        peer: Peer,
        config: &TimerConfig,
        out: &mut Outbox,
    ) -> Self {
        let invite = request.method() == Method::Invite;
        let mut tx = ServerTransaction {
            id,
            invite,
            state: if invite {
                ServerState::Proceeding
            } else {
                ServerState::Trying
            },
            peer,
            last_response: None,
            final_to_tag: None,
            interval: config.t1,
            acked: false,
            key,
            ack_key,
            deadlines: Deadlines::default(),
        };
        if invite {
            let mut trying = Vec::new();
            response_for(request, 100, "Trying", None, &mut trying).finish(b"");
            out.send(peer, trying.clone());
            tx.last_response = Some(trying);
        }
        tx
    }

    pub(crate) fn state(&self) -> ServerState {
        self.state
    }

    pub(crate) fn is_invite(&self) -> bool {
        self.invite
    }

    pub(crate) fn is_terminated(&self) -> bool {
        self.state == ServerState::Terminated
    }

    fn terminate(&mut self) {
        self.state = ServerState::Terminated;
        self.deadlines = Deadlines::default();
    }

    fn resend(&self, out: &mut Outbox) {
        if let Some(last) = &self.last_response {
            out.send(self.peer, last.clone());
        }
    }

    /// A retransmission of the request that created this transaction.
    pub(crate) fn on_retransmission(&mut self, out: &mut Outbox) {
        if matches!(self.state, ServerState::Proceeding | ServerState::Completed) {
            self.resend(out);
        }
    }

    /// An ACK matching this transaction's key.
    pub(crate) fn on_ack<T: AsRef<[u8]>>(
        &mut self,
        ack: &Message<T>,
        now: Instant,
        config: &TimerConfig,
        out: &mut Outbox,
    ) -> AckOutcome {
        match self.state {
            ServerState::Completed => {
                let legacy = matches!(self.key, ServerKey::Legacy { .. });
                if legacy
                    && self.final_to_tag.is_some()
                    && ack.to_tag() != self.final_to_tag.as_deref()
                {
                    return AckOutcome::NotOurs;
                }
                self.state = ServerState::Confirmed;
                self.deadlines.cancel(TimerKind::G);
                self.deadlines.cancel(TimerKind::H);
                if self.peer.transport.is_reliable() {
                    self.terminate();
                } else {
                    out.timers.arm(
                        &mut self.deadlines,
                        TxRef::Server(self.id),
                        TimerKind::I,
                        now + config.t4,
                    );
                }
                AckOutcome::Absorbed
            }
            ServerState::Confirmed => AckOutcome::Absorbed,
            ServerState::Accepted => {
                self.on_2xx_ack();
                AckOutcome::ForTu
            }
            _ => AckOutcome::ForTu,
        }
    }

    /// The ACK to our 2xx arrived: stop retransmitting it.
    pub(crate) fn on_2xx_ack(&mut self) {
        self.acked = true;
        self.deadlines.cancel(TimerKind::Retransmit2xx);
    }

    /// The TU's response. Returns true when the transaction just entered Accepted.
    pub(crate) fn respond(
        &mut self,
        code: u16,
        to_tag: Option<String>,
        bytes: Vec<u8>,
        now: Instant,
        config: &TimerConfig,
        out: &mut Outbox,
    ) -> Result<bool, TransactionError> {
        use ServerState::*;
        let me = TxRef::Server(self.id);
        let unreliable = !self.peer.transport.is_reliable();
        let mut accepted = false;
        match (self.invite, self.state, code) {
            (true, Proceeding, 100..=199) | (true, Accepted, 200..=299) => {}
            (true, Proceeding, 200..=299) => {
                self.state = Accepted;
                accepted = true;
                out.timers.arm(
                    &mut self.deadlines,
                    me,
                    TimerKind::L,
                    now + config.transaction_timeout(),
                );
                if unreliable {
                    self.interval = config.t1;
                    out.timers.arm(
                        &mut self.deadlines,
                        me,
                        TimerKind::Retransmit2xx,
                        now + config.t1,
                    );
                }
            }
            (true, Proceeding, 300..=699) => {
                self.state = Completed;
                self.final_to_tag = to_tag;
                if unreliable {
                    self.interval = config.t1;
                    out.timers
                        .arm(&mut self.deadlines, me, TimerKind::G, now + config.t1);
                }
                out.timers.arm(
                    &mut self.deadlines,
                    me,
                    TimerKind::H,
                    now + config.transaction_timeout(),
                );
            }
            (false, Trying | Proceeding, 100..=199) => self.state = Proceeding,
            (false, Trying | Proceeding, 200..=699) => {
                self.state = Completed;
                if unreliable {
                    out.timers.arm(
                        &mut self.deadlines,
                        me,
                        TimerKind::J,
                        now + config.transaction_timeout(),
                    );
                }
            }
            _ => return Err(TransactionError::AlreadyFinal),
        }
        out.send(self.peer, bytes.clone());
        self.last_response = Some(bytes);
        if !self.invite && self.state == Completed && !unreliable {
            self.terminate();
        }
        Ok(accepted)
    }

    pub(crate) fn on_timer(
        &mut self,
        kind: TimerKind,
        now: Instant,
        config: &TimerConfig,
        out: &mut Outbox,
    ) {
        use ServerState::*;
        let me = TxRef::Server(self.id);
        match (kind, self.state) {
            (TimerKind::G, Completed) | (TimerKind::Retransmit2xx, Accepted) if !self.acked => {
                self.resend(out);
                self.interval = (self.interval * 2).min(config.t2);
                out.timers
                    .arm(&mut self.deadlines, me, kind, now + self.interval);
            }
            (TimerKind::H, Completed) => {
                out.event(TransactionEvent::AckTimeout {
                    transaction: self.id,
                });
                self.terminate();
            }
            (TimerKind::L, Accepted) => {
                if !self.acked {
                    out.event(TransactionEvent::AckTimeout {
                        transaction: self.id,
                    });
                }
                self.terminate();
            }
            (TimerKind::I, Confirmed) | (TimerKind::J, Completed) => self.terminate(),
            _ => {}
        }
    }
}
