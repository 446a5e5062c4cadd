//! The engine's side of subscriptions ([`crate::sip_server::subscriptions`]): SUBSCRIBE
//! requests handed over, the notifier run after every turn, its NOTIFYs sent as the
//! node's own requests and their outcomes handed back.

use std::time::Instant;

use super::outgoing::Origin;
use super::{unix_now, Engine};
use crate::sip::focus::Arrival;
use crate::sip::transaction::outgoing::{OutgoingId, OutgoingResult};
use crate::sip::transaction::ServerTxId;
use crate::sip::Message;
use crate::sip_server::subscriptions::World;

impl Engine {
    /// A SUBSCRIBE: refreshes go to their subscription; a new one passes the digest gate
    /// first.
    pub(super) fn subscribe(
        &mut self,
        tx: ServerTxId,
        request: Message<Vec<u8>>,
        arrival: Arrival,
        tag: &str,
        now: Instant,
    ) {
        let answer = if request.to_tag().is_some() {
            let world = World {
                focus: &self.parts.focus,
                registry: &self.parts.registry,
                store: &self.parts.store,
                unix_now: unix_now(),
            };
            self.parts
                .subscriptions
                .on_refresh(&request, arrival.peer, tag, now, world)
        } else {
            let Some(user) = self.authenticate(tx, &request, tag, now) else {
                return;
            };
            let world = World {
                focus: &self.parts.focus,
                registry: &self.parts.registry,
                store: &self.parts.store,
                unix_now: unix_now(),
            };
            self.parts
                .subscriptions
                .on_initial(&request, &user, &arrival, tag, now, world)
        };
        self.respond(tx, answer, now);
        self.send_notifies(now);
    }

    /// Notifies what changed since the last turn and ends expired subscriptions.
    pub(super) fn update_subscriptions(&mut self, now: Instant) {
        let world = World {
            focus: &self.parts.focus,
            registry: &self.parts.registry,
            store: &self.parts.store,
            unix_now: unix_now(),
        };
        self.parts.subscriptions.update(now, world);
        self.send_notifies(now);
    }

    fn send_notifies(&mut self, now: Instant) {
        while let Some(notify) = self.parts.subscriptions.poll_output() {
            self.send_outgoing(Origin::Subscriptions, notify, now);
        }
    }

    /// What became of a NOTIFY.
    pub(super) fn on_notify_result(&mut self, id: OutgoingId, result: &OutgoingResult) {
        self.parts.subscriptions.on_outgoing_result(id, result);
    }
}
