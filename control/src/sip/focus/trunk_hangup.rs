//! How trunk calls end: the trunk's failure or BYE, the answer timeout, the end of the
//! conference, and removals through the admin API. Whatever ends a call sends the trunk
//! what its state needs (CANCEL while ringing, BYE in a dialog, nothing after the trunk's
//! own end), removes the leg the focus still holds and tells the inviter once.

use std::time::Instant;

use medianode_dataplane::conference::{ConferenceId, LegId};

use super::super::outgoing::Sent;
use super::super::responses::without_body;
use super::super::{Entropy, Focus, MediaWork, Pending};
use super::{TrunkCallId, TrunkState};
use crate::sip::dialog::DialogId;
use crate::sip::transaction::outgoing::OutgoingId;
use crate::sip::transaction::ServerTxId;
use crate::sip::{Message, Method};

impl Focus {
    /// The trunk's INVITE ended without a 2xx (its status, 408 or 503 from the shell).
    pub(in crate::sip::focus) fn trunk_failed(
        &mut self,
        invite: OutgoingId,
        call_id: TrunkCallId,
        status: u16,
        entropy: &mut dyn Entropy,
    ) {
        self.trunk.cancelled.remove(&invite);
        let calling = self
            .trunk
            .calls
            .get(&call_id)
            .is_some_and(|c| matches!(c.state, TrunkState::Calling { .. }));
        if calling {
            tracing::info!(status, "the trunk did not connect the call");
            // Nothing to hang up: the INVITE transaction is over.
            if let Some(call) = self.trunk.calls.get_mut(&call_id) {
                call.state = TrunkState::Over;
            }
            self.end_trunk_call(call_id, status, entropy);
        }
    }

    /// Ends calls the trunk did not answer in time (CANCEL, then 408 to the inviter).
    pub(in crate::sip::focus) fn expire_trunk_calls(
        &mut self,
        now: Instant,
        entropy: &mut dyn Entropy,
    ) {
        while let Some(&(when, id)) = self.trunk.deadlines.first() {
            if when > now {
                break;
            }
            self.trunk.deadlines.remove(&(when, id));
            tracing::info!("the trunk did not answer in time");
            self.end_trunk_call(id, 408, entropy);
        }
    }

    /// A BYE in a trunk call's dialog: answered here and the leg removed. `false` when
    /// the BYE is not the trunk's.
    pub(in crate::sip::focus) fn on_trunk_bye<T: AsRef<[u8]>>(
        &mut self,
        tx: ServerTxId,
        request: &Message<T>,
    ) -> bool {
        let Some(dialog) = request_dialog(request) else {
            return false;
        };
        let found = self
            .trunk
            .calls
            .iter()
            .find_map(|(id, call)| match &call.state {
                TrunkState::Answering { dialog: d } | TrunkState::Up { dialog: d }
                    if *d.id() == dialog =>
                {
                    Some(*id)
                }
                _ => None,
            });
        let Some(id) = found else {
            return false;
        };
        let tag = request.to_tag().unwrap_or("").to_owned();
        let answer = without_body(request, 200, "OK", &tag, None);
        self.respond(tx, answer);
        if let Some(call) = self.trunk.calls.get_mut(&id) {
            tracing::info!(number = call.number.as_str(), "the phone hung up");
            // The dialog is over: nothing to send back.
            call.state = TrunkState::Over;
        }
        // Only a call still taking its answer has an inviter to tell (no join follows).
        self.end_trunk_call(id, 487, &mut NoEntropy);
        true
    }

    /// A leg was removed from outside the focus (the admin API): a phone on it is hung up.
    pub fn on_leg_removed(&mut self, leg: LegId) {
        let found = self
            .trunk
            .calls
            .iter()
            .find(|(_, call)| call.leg == Some(leg))
            .map(|(id, _)| *id);
        if let Some(id) = found {
            if let Some(call) = self.trunk.calls.get_mut(&id) {
                tracing::info!(number = call.number.as_str(), "the phone's leg was removed");
                call.leg = None;
            }
            self.end_trunk_call(id, 487, &mut NoEntropy);
        }
    }

    /// Whether a call to a phone number runs on `leg`.
    pub(in crate::sip::focus) fn trunk_call_on(&self, leg: LegId) -> bool {
        self.trunk.calls.values().any(|call| call.leg == Some(leg))
    }

    /// Hangs up the trunk call on `leg` and removes the leg (no media on it), unless the
    /// call still rings: a ringing phone need send nothing, and `pstn.answer_timeout_secs`
    /// (longer than the media timeout by default) decides how long it may ring.
    pub(in crate::sip::focus) fn hang_up_trunk_leg(&mut self, leg: LegId) {
        let found = self
            .trunk
            .calls
            .iter()
            .find(|(_, call)| call.leg == Some(leg))
            .map(|(id, call)| (*id, matches!(call.state, TrunkState::Calling { .. })));
        match found {
            Some((_, true)) => {
                tracing::debug!(
                    leg = leg.0,
                    "no media while the phone rings; it may ring on"
                );
            }
            Some((id, false)) => self.end_trunk_call(id, 408, &mut NoEntropy),
            None => {}
        }
    }

    /// A conference was removed from outside the focus (the admin API): its phones are
    /// hung up.
    pub fn on_conference_removed(&mut self, conference: ConferenceId) {
        self.hang_up_trunk_calls(conference);
    }

    /// The trunk calls of `conference`.
    fn trunk_calls_of(&self, conference: ConferenceId) -> Vec<TrunkCallId> {
        self.trunk
            .calls
            .iter()
            .filter(|(_, call)| call.conference == conference)
            .map(|(id, _)| *id)
            .collect()
    }

    /// Hangs up the trunk calls of a conference that stays (a room nobody is left in),
    /// removing their legs.
    pub(in crate::sip::focus) fn hang_up_phones_of(&mut self, conference: ConferenceId) {
        let ids = self.trunk_calls_of(conference);
        for id in ids {
            self.end_trunk_call(id, 487, &mut NoEntropy);
        }
    }

    /// Hangs up the trunk calls of a conference that ends (its legs go with it).
    pub(in crate::sip::focus) fn hang_up_trunk_calls(&mut self, conference: ConferenceId) {
        let ids = self.trunk_calls_of(conference);
        for id in ids {
            if let Some(call) = self.trunk.calls.get_mut(&id) {
                call.leg = None;
            }
            self.hang_up(id);
            if let Some(mut call) = self.trunk.calls.remove(&id) {
                self.trunk.deadlines.remove(&(call.deadline, id));
                if let Some(invitation) = call.invitation.take() {
                    // The conference is gone: nothing to join; the inviter hears why.
                    self.finish_invitation(invitation, 487, &mut NoEntropy);
                }
            }
        }
    }

    /// Sends the trunk what ends the call in its state: BYE in a dialog, CANCEL while it
    /// rings, nothing before the INVITE or after the trunk's own end.
    fn hang_up(&mut self, id: TrunkCallId) {
        let Some(peer) = self.trunk_peer() else {
            return;
        };
        let Some(call) = self.trunk.calls.get_mut(&id) else {
            return;
        };
        let mut bytes = Vec::new();
        match &mut call.state {
            TrunkState::AddingLeg | TrunkState::Over => return,
            TrunkState::Answering { dialog } | TrunkState::Up { dialog } => {
                dialog
                    .write_request_without_via(Method::Bye, &mut bytes)
                    .finish(b"");
            }
            TrunkState::Calling { .. } => {
                if let TrunkState::Calling { invite, request } =
                    std::mem::replace(&mut call.state, TrunkState::Over)
                {
                    self.trunk.cancelled.insert(invite, request);
                    // The CANCEL needs the INVITE's own Via branch, which the shell added.
                    self.out
                        .push_back(super::super::FocusOutput::Cancel(invite));
                }
                return;
            }
        }
        call.state = TrunkState::Over;
        self.send(peer, bytes, Sent::Notice);
    }

    /// Ends a call: hangs up what is up, removes the leg and tells the inviter `status`
    /// if it has not heard yet.
    pub(super) fn end_trunk_call(
        &mut self,
        id: TrunkCallId,
        status: u16,
        entropy: &mut dyn Entropy,
    ) {
        self.hang_up(id);
        let Some(mut call) = self.trunk.calls.remove(&id) else {
            return;
        };
        self.trunk.deadlines.remove(&(call.deadline, id));
        if let Some(leg) = call.leg {
            self.start_job(MediaWork::RemoveLeg { leg }, Pending::Cleanup);
        }
        if let Some(invitation) = call.invitation.take() {
            self.finish_invitation(invitation, status, entropy);
        }
    }
}

/// The dialog of a request the focus received (its To tag is the focus's).
fn request_dialog<T: AsRef<[u8]>>(request: &Message<T>) -> Option<DialogId> {
    Some(DialogId {
        call_id: request.call_id().to_owned(),
        local_tag: request.to_tag()?.to_owned(),
        remote_tag: request.from_tag()?.to_owned(),
    })
}

/// A failure report needs no randomness (only a 200 joins the inviter); this source is
/// never read.
struct NoEntropy;

impl Entropy for NoEntropy {
    fn fill(&mut self, bytes: &mut [u8]) {
        bytes.fill(0);
    }
}
