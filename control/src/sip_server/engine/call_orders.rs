//! What the admin API tells the SIP thread: calls to phone numbers to place
//! (`POST /v1/conferences/{id}/calls`; the focus starts each like a REFER's, with the
//! node's first UDP address as its Contact, and the HTTP thread gets the call's id or the
//! refusal back), and legs and conferences it removed (their phones are hung up).

use std::time::Instant;

use medianode_dataplane::conference::ConferenceId;

use super::Engine;
use crate::admin::calls::{CallOrder, SipOrder};
use crate::admin::ApiError;
use crate::sip::focus::Arrival;
use crate::sip::transaction::{Peer, TransportKind};

impl Engine {
    /// Takes the admin API's orders since the last turn.
    pub(super) fn take_admin_orders(&mut self, now: Instant) {
        while let Ok(order) = self.parts.admin_orders.try_recv() {
            match order {
                SipOrder::Call(order) => self.place_call(order, now),
                SipOrder::LegRemoved(leg) => self.parts.focus.on_leg_removed(leg),
                SipOrder::ConferenceRemoved(id) => self.parts.focus.on_conference_removed(id),
                SipOrder::MediaTimedOut(leg) => self.parts.focus.on_media_timeout(leg),
            }
        }
        self.pump(now);
    }

    fn place_call(&mut self, order: CallOrder, now: Instant) {
        let Some(udp) = self.parts.udp.first() else {
            let _ = order.reply.send(Err(ApiError::unavailable(
                "the SIP server has no UDP address to call the trunk from",
            )));
            return;
        };
        let Ok(addr) = udp.socket.local_addr() else {
            let _ = order
                .reply
                .send(Err(ApiError::internal("no local SIP address")));
            return;
        };
        let arrival = Arrival {
            peer: Peer {
                addr,
                transport: TransportKind::Udp,
            },
            host: udp.host.clone(),
        };
        self.adopt_conference(order.conference);
        let placed = self.parts.focus.call_number(
            order.conference,
            &order.to,
            &arrival,
            now,
            &mut self.entropy,
        );
        let answer = placed.map_err(|(status, reason)| ApiError::with_status(status, reason));
        // An asker that gave up waiting has nowhere to be told.
        let _ = order.reply.send(answer);
    }

    /// A conference the admin API created becomes the focus's when a call is placed in it.
    fn adopt_conference(&mut self, id: ConferenceId) {
        if self.parts.focus.knows(id) {
            return;
        }
        let exists = self
            .parts
            .registry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .conference(id)
            .is_some();
        if exists {
            self.parts.focus.adopt(id);
        }
    }
}
