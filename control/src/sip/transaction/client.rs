//! Client transactions (RFC 3261 sec. 17.1, with RFC 6026's Accepted state for INVITE).
//!
//! INVITE: Calling (timer A retransmits on UDP, B gives up) -> Proceeding on 1xx ->
//! Accepted on 2xx (timer M; further 2xx go to the TU so it can ACK again) or Completed on
//! 300-699 (the ACK is built and sent here, and re-sent for each retransmitted final
//! response until timer D).
//!
//! Non-INVITE: Trying (timer E retransmits, doubling up to T2; F gives up) -> Proceeding
//! on 1xx (E now every T2) -> Completed on a final response (timer K absorbs
//! retransmissions).

use std::time::{Duration, Instant};

use super::ack::AckTemplate;
use super::key::ClientKey;
use super::outbox::Outbox;
use super::timers::{Deadlines, TimerKind, TxRef};
use super::types::{ClientTxId, Peer, TimerConfig, TransactionEvent};
use crate::sip::Message;

/// Where a client transaction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientState {
    /// INVITE sent, nothing heard.
    Calling,
    /// Non-INVITE sent, nothing heard.
    Trying,
    /// A provisional response arrived.
    Proceeding,
    /// INVITE answered with 2xx (RFC 6026).
    Accepted,
    /// Final response received; absorbing retransmissions.
    Completed,
    /// Done.
    Terminated,
}

#[derive(Debug)]
pub(crate) struct ClientTransaction {
    id: ClientTxId,
    state: ClientState,
    peer: Peer,
    request: Vec<u8>,
    interval: Duration,
    ack_template: Option<AckTemplate>,
    ack: Option<Vec<u8>>,
    pub(crate) key: ClientKey,
    pub(crate) deadlines: Deadlines,
}

impl ClientTransaction {
    /// Sends `request` and arms the first timers. `ack_template` is present exactly for
    /// INVITE.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn start(
        id: ClientTxId,
        key: ClientKey,
        ack_template: Option<AckTemplate>,
        request: Vec<u8>,
        peer: Peer,
        now: Instant,
        config: &TimerConfig,
        out: &mut Outbox,
    ) -> Self {
        let invite = ack_template.is_some();
        let mut tx = ClientTransaction {
            id,
            state: if invite {
                ClientState::Calling
            } else {
                ClientState::Trying
            },
            peer,
            request,
            interval: config.t1,
            ack_template,
            ack: None,
            key,
            deadlines: Deadlines::default(),
        };
        out.send(peer, tx.request.clone());
        let me = TxRef::Client(id);
        let (retransmit, give_up) = if invite {
            (TimerKind::A, TimerKind::B)
        } else {
            (TimerKind::E, TimerKind::F)
        };
        if !peer.transport.is_reliable() {
            out.timers
                .arm(&mut tx.deadlines, me, retransmit, now + config.t1);
        }
        out.timers.arm(
            &mut tx.deadlines,
            me,
            give_up,
            now + config.transaction_timeout(),
        );
        tx
    }

    /// The request as sent, and where.
    pub(crate) fn request(&self) -> (&[u8], Peer) {
        (&self.request, self.peer)
    }

    pub(crate) fn state(&self) -> ClientState {
        self.state
    }

    pub(crate) fn is_terminated(&self) -> bool {
        self.state == ClientState::Terminated
    }

    fn is_invite(&self) -> bool {
        self.ack_template.is_some()
    }

    fn terminate(&mut self) {
        self.state = ClientState::Terminated;
        self.deadlines = Deadlines::default();
    }

    /// Waits `duration` in the current state with `kind`, or ends now on a reliable
    /// transport where nothing is retransmitted (timers D and K are zero there).
    fn linger(&mut self, kind: TimerKind, duration: Duration, now: Instant, out: &mut Outbox) {
        if self.peer.transport.is_reliable() {
            self.terminate();
        } else {
            out.timers.arm(
                &mut self.deadlines,
                TxRef::Client(self.id),
                kind,
                now + duration,
            );
        }
    }

    fn deliver<T: AsRef<[u8]>>(&self, response: &Message<T>, out: &mut Outbox) {
        out.event(TransactionEvent::Response {
            transaction: self.id,
            response: response.to_owned_message(),
        });
    }

    pub(crate) fn on_response<T: AsRef<[u8]>>(
        &mut self,
        response: &Message<T>,
        now: Instant,
        config: &TimerConfig,
        out: &mut Outbox,
    ) {
        use ClientState::*;
        let code = response.status().unwrap_or(0);
        let me = TxRef::Client(self.id);
        match (self.is_invite(), self.state, code) {
            (true, Calling | Proceeding, 100..=199) => {
                self.state = Proceeding;
                self.deadlines.cancel(TimerKind::A);
                self.deadlines.cancel(TimerKind::B);
                self.deliver(response, out);
            }
            (true, Calling | Proceeding, 200..=299) => {
                self.state = Accepted;
                self.deadlines.cancel(TimerKind::A);
                self.deadlines.cancel(TimerKind::B);
                out.timers.arm(
                    &mut self.deadlines,
                    me,
                    TimerKind::M,
                    now + config.transaction_timeout(),
                );
                self.deliver(response, out);
            }
            (true, Accepted, 200..=299) => self.deliver(response, out),
            (true, Calling | Proceeding, 300..) => {
                let ack = self
                    .ack_template
                    .as_ref()
                    .map(|t| t.build(response))
                    .unwrap_or_default();
                out.send(self.peer, ack.clone());
                self.ack = Some(ack);
                self.state = Completed;
                self.deadlines.cancel(TimerKind::A);
                self.deadlines.cancel(TimerKind::B);
                self.deliver(response, out);
                self.linger(TimerKind::D, config.timer_d, now, out);
            }
            (true, Completed, 300..) => {
                if let Some(ack) = &self.ack {
                    out.send(self.peer, ack.clone());
                }
            }
            (false, Trying | Proceeding, 100..=199) => {
                self.state = Proceeding;
                self.deliver(response, out);
            }
            (false, Trying | Proceeding, 200..) => {
                self.state = Completed;
                self.deadlines.cancel(TimerKind::E);
                self.deadlines.cancel(TimerKind::F);
                self.deliver(response, out);
                self.linger(TimerKind::K, config.t4, now, out);
            }
            _ => {}
        }
    }

    pub(crate) fn on_timer(
        &mut self,
        kind: TimerKind,
        now: Instant,
        config: &TimerConfig,
        out: &mut Outbox,
    ) {
        use ClientState::*;
        let me = TxRef::Client(self.id);
        match (kind, self.state) {
            (TimerKind::A, Calling) => {
                out.send(self.peer, self.request.clone());
                self.interval *= 2;
                out.timers
                    .arm(&mut self.deadlines, me, TimerKind::A, now + self.interval);
            }
            (TimerKind::E, Trying | Proceeding) => {
                out.send(self.peer, self.request.clone());
                self.interval = if self.state == Trying {
                    (self.interval * 2).min(config.t2)
                } else {
                    config.t2
                };
                out.timers
                    .arm(&mut self.deadlines, me, TimerKind::E, now + self.interval);
            }
            (TimerKind::B, Calling) | (TimerKind::F, Trying | Proceeding) => {
                out.event(TransactionEvent::Timeout {
                    transaction: self.id,
                });
                self.terminate();
            }
            (TimerKind::D | TimerKind::K | TimerKind::M, _) => self.terminate(),
            _ => {}
        }
    }
}
