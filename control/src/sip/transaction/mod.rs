//! The RFC 3261 sec. 17 transaction layer, sans-IO in the quinn-proto style.
//!
//! The I/O shell feeds every received message to [`TransactionLayer::handle_message`] with
//! the current time, sends what [`TransactionLayer::poll_transmit`] returns, sleeps until
//! [`TransactionLayer::poll_timeout`] and then calls [`TransactionLayer::handle_timeout`].
//! The transaction user (registrar, conference focus) reads [`TransactionLayer::poll_event`]
//! and answers with [`TransactionLayer::respond`] or starts requests with
//! [`TransactionLayer::send_request`]. Retransmissions, their absorption, the ACK for
//! non-2xx responses to INVITE and the retransmission of 2xx responses until their ACK all
//! happen here, so the TU deals in one request and one final response.

mod ack;
mod client;
mod key;
mod outbox;
pub mod outgoing;
mod server;
mod timers;
mod types;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::time::Instant;

pub use client::ClientState;
pub use server::ServerState;
pub use types::{
    ClientTxId, Peer, ServerTxId, TimerConfig, TransactionError, TransactionEvent, TransactionId,
    Transmit, TransportKind,
};

use ack::AckTemplate;
use client::ClientTransaction;
use key::{client_key_of_response, dialog_ack_key, server_key, ClientKey, DialogAckKey, ServerKey};
use outbox::Outbox;
use server::{AckOutcome, ServerTransaction};
use timers::TxRef;

use crate::sip::{Message, Method};

/// Every transaction of one SIP endpoint.
#[derive(Debug, Default)]
pub struct TransactionLayer {
    config: TimerConfig,
    next_id: u64,
    clients: HashMap<ClientTxId, ClientTransaction>,
    client_index: HashMap<ClientKey, ClientTxId>,
    servers: HashMap<ServerTxId, ServerTransaction>,
    server_index: HashMap<ServerKey, ServerTxId>,
    accepted: HashMap<DialogAckKey, ServerTxId>,
    out: Outbox,
    stray_responses: u64,
}

impl TransactionLayer {
    /// A layer with the given timer values.
    pub fn new(config: TimerConfig) -> Self {
        TransactionLayer {
            config,
            ..Self::default()
        }
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Processes one received message (already checked; malformed ones are answered by
    /// [`crate::sip::admission`] before they get here).
    pub fn handle_message<T: AsRef<[u8]>>(
        &mut self,
        message: &Message<T>,
        peer: Peer,
        now: Instant,
    ) {
        if message.is_request() {
            self.on_request(message, peer, now);
        } else {
            self.on_response(message, now);
        }
    }

    fn on_request<T: AsRef<[u8]>>(&mut self, request: &Message<T>, peer: Peer, now: Instant) {
        let Some(key) = server_key(request, None) else {
            return;
        };
        if request.method() == Method::Ack {
            self.on_ack(request, key, peer, now);
            return;
        }
        if let Some(&id) = self.server_index.get(&key) {
            if let Some(tx) = self.servers.get_mut(&id) {
                tx.on_retransmission(&mut self.out);
            }
            return;
        }
        let id = ServerTxId(self.next_id());
        let ack_key = (request.method() == Method::Invite).then(|| dialog_ack_key(request));
        let tx = ServerTransaction::start(
            id,
            key.clone(),
            ack_key,
            request,
            peer,
            &self.config,
            &mut self.out,
        );
        self.server_index.insert(key, id);
        self.servers.insert(id, tx);
        self.out.event(TransactionEvent::Request {
            transaction: id,
            request: request.to_owned_message(),
            peer,
        });
    }

    fn on_ack<T: AsRef<[u8]>>(
        &mut self,
        ack: &Message<T>,
        key: ServerKey,
        peer: Peer,
        now: Instant,
    ) {
        if let Some(&id) = self.server_index.get(&key) {
            let outcome = self
                .servers
                .get_mut(&id)
                .map(|tx| tx.on_ack(ack, now, &self.config, &mut self.out));
            match outcome {
                Some(AckOutcome::Absorbed) => {
                    self.reap(TxRef::Server(id));
                    return;
                }
                Some(AckOutcome::ForTu) => {
                    self.out.event(TransactionEvent::Ack {
                        transaction: Some(id),
                        request: ack.to_owned_message(),
                        peer,
                    });
                    return;
                }
                Some(AckOutcome::NotOurs) | None => {}
            }
        }
        let transaction = self.accepted.get(&dialog_ack_key(ack)).copied();
        if let Some(tx) = transaction.and_then(|id| self.servers.get_mut(&id)) {
            tx.on_2xx_ack();
        }
        self.out.event(TransactionEvent::Ack {
            transaction,
            request: ack.to_owned_message(),
            peer,
        });
    }

    fn on_response<T: AsRef<[u8]>>(&mut self, response: &Message<T>, now: Instant) {
        let id =
            client_key_of_response(response).and_then(|key| self.client_index.get(&key).copied());
        let Some(tx) = id.and_then(|id| self.clients.get_mut(&id)) else {
            self.stray_responses += 1;
            return;
        };
        tx.on_response(response, now, &self.config, &mut self.out);
        if let Some(id) = id {
            self.reap(TxRef::Client(id));
        }
    }

    /// Starts a client transaction for `request` (a whole serialized request whose top Via
    /// carries a fresh RFC 3261 branch) and sends it to `peer`.
    pub fn send_request(
        &mut self,
        request: Vec<u8>,
        peer: Peer,
        now: Instant,
    ) -> Result<ClientTxId, TransactionError> {
        let (key, template) = {
            let message =
                Message::new_checked(request.as_slice()).map_err(TransactionError::Malformed)?;
            if !message.is_request() {
                return Err(TransactionError::NotARequest);
            }
            let method = message.method();
            if method == Method::Ack {
                return Err(TransactionError::AckIsNotATransaction);
            }
            let via = message.top_via().ok_or(TransactionError::NoBranch)?;
            if !via.has_rfc3261_branch() {
                return Err(TransactionError::NoBranch);
            }
            let key = ClientKey {
                branch: via.branch().unwrap_or("").to_string(),
                method: method.as_str().to_string(),
            };
            let template = (method == Method::Invite).then(|| AckTemplate::from_invite(&message));
            (key, template)
        };
        if self.client_index.contains_key(&key) {
            return Err(TransactionError::DuplicateTransaction);
        }
        let id = ClientTxId(self.next_id());
        let tx = ClientTransaction::start(
            id,
            key.clone(),
            template,
            request,
            peer,
            now,
            &self.config,
            &mut self.out,
        );
        self.client_index.insert(key, id);
        self.clients.insert(id, tx);
        Ok(id)
    }

    /// Sends the TU's response (a whole serialized response) on server transaction `id`.
    pub fn respond(
        &mut self,
        id: ServerTxId,
        response: Vec<u8>,
        now: Instant,
    ) -> Result<(), TransactionError> {
        let (code, to_tag) = {
            let message =
                Message::new_checked(response.as_slice()).map_err(TransactionError::Malformed)?;
            let code = message.status().ok_or(TransactionError::NotAResponse)?;
            (code, message.to_tag().map(str::to_string))
        };
        let tx = self
            .servers
            .get_mut(&id)
            .ok_or(TransactionError::UnknownTransaction)?;
        let accepted = tx.respond(code, to_tag, response, now, &self.config, &mut self.out)?;
        if accepted {
            if let Some(key) = tx.ack_key.clone() {
                self.accepted.insert(key, id);
            }
        }
        self.reap(TxRef::Server(id));
        Ok(())
    }

    /// Queues bytes outside any transaction: the ACK to a 2xx, a stateless response.
    pub fn send_stateless(&mut self, bytes: Vec<u8>, peer: Peer) {
        self.out.send(peer, bytes);
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some((when, tx, kind)) = self.out.timers.peek() {
            if when > now {
                break;
            }
            self.out.timers.pop();
            match tx {
                TxRef::Client(id) => {
                    if let Some(t) = self.clients.get_mut(&id) {
                        if t.deadlines.get(kind) == Some(when) {
                            t.deadlines.cancel(kind);
                            t.on_timer(kind, now, &self.config, &mut self.out);
                        }
                    }
                }
                TxRef::Server(id) => {
                    if let Some(t) = self.servers.get_mut(&id) {
                        if t.deadlines.get(kind) == Some(when) {
                            t.deadlines.cancel(kind);
                            t.on_timer(kind, now, &self.config, &mut self.out);
                        }
                    }
                }
            }
            self.reap(tx);
        }
    }

    /// Removes a terminated transaction and reports it.
    fn reap(&mut self, tx: TxRef) {
        match tx {
            TxRef::Client(id) => {
                if self
                    .clients
                    .get(&id)
                    .is_some_and(ClientTransaction::is_terminated)
                {
                    if let Some(t) = self.clients.remove(&id) {
                        self.client_index.remove(&t.key);
                    }
                    self.out
                        .event(TransactionEvent::Terminated(TransactionId::Client(id)));
                }
            }
            TxRef::Server(id) => {
                if self
                    .servers
                    .get(&id)
                    .is_some_and(ServerTransaction::is_terminated)
                {
                    if let Some(t) = self.servers.remove(&id) {
                        self.server_index.remove(&t.key);
                        if let Some(k) = &t.ack_key {
                            if self.accepted.get(k) == Some(&id) {
                                self.accepted.remove(k);
                            }
                        }
                    }
                    self.out
                        .event(TransactionEvent::Terminated(TransactionId::Server(id)));
                }
            }
        }
    }

    fn timer_is_live(&self, tx: TxRef, kind: timers::TimerKind, when: Instant) -> bool {
        match tx {
            TxRef::Client(id) => self
                .clients
                .get(&id)
                .is_some_and(|t| t.deadlines.get(kind) == Some(when)),
            TxRef::Server(id) => self
                .servers
                .get(&id)
                .is_some_and(|t| t.deadlines.get(kind) == Some(when)),
        }
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.transmits.pop_front()
    }

    /// When [`TransactionLayer::handle_timeout`] must next be called.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some((when, tx, kind)) = self.out.timers.peek() {
            if self.timer_is_live(tx, kind, when) {
                return Some(when);
            }
            self.out.timers.pop();
        }
        None
    }

    /// The next event for the TU.
    pub fn poll_event(&mut self) -> Option<TransactionEvent> {
        self.out.events.pop_front()
    }

    /// The INVITE server transaction a CANCEL targets (RFC 3261 sec. 9.2), if it exists.
    pub fn invite_for_cancel<T: AsRef<[u8]>>(&self, cancel: &Message<T>) -> Option<ServerTxId> {
        let key = server_key(cancel, Some(Method::Invite))?;
        let id = *self.server_index.get(&key)?;
        self.servers.get(&id).filter(|t| t.is_invite()).map(|_| id)
    }

    /// The state of a server transaction, `None` once it has terminated.
    pub fn server_state(&self, id: ServerTxId) -> Option<ServerState> {
        self.servers.get(&id).map(ServerTransaction::state)
    }

    /// The state of a client transaction, `None` once it has terminated.
    pub fn client_state(&self, id: ClientTxId) -> Option<ClientState> {
        self.clients.get(&id).map(ClientTransaction::state)
    }

    /// The request client transaction `id` sent and its peer, while it is alive (to
    /// build the CANCEL of an INVITE).
    pub fn client_request(&self, id: ClientTxId) -> Option<(&[u8], Peer)> {
        self.clients.get(&id).map(ClientTransaction::request)
    }

    /// How many transactions are alive.
    pub fn len(&self) -> usize {
        self.clients.len() + self.servers.len()
    }

    /// True when no transaction is alive.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Responses that matched no client transaction and were dropped (RFC 3261 sec. 18.1.2).
    pub fn stray_responses(&self) -> u64 {
        self.stray_responses
    }
}
