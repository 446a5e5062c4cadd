//! Requests the node sends itself: the sans-IO parts emit
//! [`OutgoingRequest`]s (the whole request but its Via, and a peer); this adds the Via for
//! the socket it leaves from, runs it as a client transaction, and hands every response,
//! timeout or failure to send back to the part that sent it ([`Origin`]).

use std::time::Instant;

use super::Engine;
use crate::sip::dialog::write_cancel;
use crate::sip::dialog::ViaSpec;
use crate::sip::focus::Entropy;
use crate::sip::transaction::outgoing::{
    via_transport, with_via, OutgoingId, OutgoingRequest, OutgoingResult,
};
use crate::sip::transaction::{ClientState, ClientTxId, Peer, TransactionEvent, TransportKind};
use crate::sip::{Message, Method};

/// Which part of the server sent a request, so its results go back there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Origin {
    /// The conference focus ([`crate::sip::focus::Focus::on_outgoing_result`]).
    Focus,
    /// The notifier's NOTIFYs ([`crate::sip_server::subscriptions`]).
    Subscriptions,
}

/// Who waits for a client transaction's results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sender {
    /// The part that sent it.
    pub origin: Origin,
    /// Its id for the request.
    pub id: OutgoingId,
}

impl Engine {
    /// `host:port` the node is reached at on the socket or connection towards `peer`.
    fn sent_by(&self, peer: Peer) -> Option<String> {
        match peer.transport {
            TransportKind::Udp => self.udp_for(peer.addr).map(|u| u.host.clone()),
            TransportKind::Tcp | TransportKind::Tls => {
                let token = self.by_peer.get(&peer)?;
                self.connections.get(token).map(|c| c.host.clone())
            }
        }
    }

    /// Sends `outgoing` for `origin`: a client transaction, or once for a stateless ACK.
    /// A request that cannot leave is reported [`OutgoingResult::Unsent`] at once.
    pub(super) fn send_outgoing(
        &mut self,
        origin: Origin,
        outgoing: OutgoingRequest,
        now: Instant,
    ) {
        let OutgoingRequest {
            id,
            peer,
            request,
            stateless,
        } = outgoing;
        let branch = format!("z9hG4bK{}", self.entropy.hex_id());
        let bytes = self.sent_by(peer).and_then(|sent_by| {
            let via = ViaSpec {
                transport: via_transport(peer.transport),
                sent_by: &sent_by,
                branch: &branch,
            };
            with_via(&request, &via)
        });
        let Some(bytes) = bytes else {
            tracing::debug!(to = %peer.addr, "no socket or connection for an outgoing request");
            if !stateless {
                self.deliver_outgoing(Sender { origin, id }, OutgoingResult::Unsent, now);
            }
            return;
        };
        if stateless {
            self.parts.transactions.send_stateless(bytes, peer);
            return;
        }
        match self.parts.transactions.send_request(bytes, peer, now) {
            Ok(tx) => {
                self.outgoing.insert(tx, Sender { origin, id });
            }
            Err(error) => {
                tracing::warn!(%error, "an outgoing request was refused");
                self.deliver_outgoing(Sender { origin, id }, OutgoingResult::Unsent, now);
            }
        }
    }

    /// CANCELs the INVITE `origin` sent as `id`, if it is still waiting for a final
    /// response (a CANCEL is a transaction of its own; its answer matters to nobody).
    pub(super) fn cancel_outgoing(&mut self, origin: Origin, id: OutgoingId, now: Instant) {
        let sender = Sender { origin, id };
        let Some(tx) = self
            .outgoing
            .iter()
            .find(|(_, s)| **s == sender)
            .map(|(tx, _)| *tx)
        else {
            return;
        };
        let proceeding = matches!(
            self.parts.transactions.client_state(tx),
            Some(ClientState::Calling | ClientState::Proceeding)
        );
        if !proceeding {
            return;
        }
        let Some((request, peer)) = self.parts.transactions.client_request(tx) else {
            return;
        };
        let mut cancel = Vec::new();
        match Message::new_checked(request) {
            Ok(invite) if invite.method() == Method::Invite => write_cancel(&invite, &mut cancel),
            _ => return,
        }
        if let Err(error) = self.parts.transactions.send_request(cancel, peer, now) {
            tracing::debug!(%error, "a CANCEL was not sent");
        }
    }

    /// Routes a client transaction's event to its sender. Returns the event when it was
    /// not one of those.
    pub(super) fn on_client_event(
        &mut self,
        event: TransactionEvent,
        now: Instant,
    ) -> Option<TransactionEvent> {
        let (tx, result): (ClientTxId, Option<OutgoingResult>) = match event {
            TransactionEvent::Response {
                transaction,
                response,
            } => (transaction, Some(OutgoingResult::Response(response))),
            TransactionEvent::Timeout { transaction } => {
                (transaction, Some(OutgoingResult::Timeout))
            }
            TransactionEvent::Terminated(crate::sip::transaction::TransactionId::Client(id)) => {
                (id, None)
            }
            other => return Some(other),
        };
        match result {
            Some(result) => {
                if let Some(&sender) = self.outgoing.get(&tx) {
                    self.deliver_outgoing(sender, result, now);
                }
            }
            None => {
                if let Some(sender) = self.outgoing.remove(&tx) {
                    if sender.origin == Origin::Focus {
                        self.parts.focus.on_outgoing_ended(sender.id);
                    }
                }
            }
        }
        None
    }

    fn deliver_outgoing(&mut self, sender: Sender, result: OutgoingResult, _now: Instant) {
        if let OutgoingResult::Response(response) = &result {
            crate::metrics::sip::CLIENT.record(response.method().as_str(), result.status());
        }
        match sender.origin {
            Origin::Focus => {
                let entropy: &mut dyn Entropy = &mut self.entropy;
                self.parts
                    .focus
                    .on_outgoing_result(sender.id, result, entropy);
            }
            Origin::Subscriptions => self.on_notify_result(sender.id, &result),
        }
    }
}
