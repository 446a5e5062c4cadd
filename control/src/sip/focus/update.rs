//! Requests inside a participant's dialog: re-INVITE (hold, resume, a new address, codec
//! or key), BYE, and the end of a call whose 2xx was never acknowledged.

use medianode_dataplane::conference::{ConferenceId, LegId};

use super::call::{fresh_sdes_key, leg_request, same_leg, with_mix_ssrc, NegotiatedMedia};
use super::conference::{offers_key, Keying};
use super::join::{media_failure, read_offer};
use super::responses::{accept, without_body};
use super::{Arrival, Entropy, Focus, MediaOutcome, MediaWork, Pending};
use crate::sip::dialog::{DialogError, DialogId};
use crate::sip::sdp::{AudioOffer, SessionDescription};
use crate::sip::transaction::ServerTxId;
use crate::sip::Message;

/// A re-INVITE waiting for its leg change.
#[derive(Debug)]
pub struct PendingUpdate {
    tx: ServerTxId,
    request: Message<Vec<u8>>,
    dialog: DialogId,
    offer: SessionDescription,
    media: NegotiatedMedia,
    /// The leg the change removes (or replaces), if any.
    old_leg: Option<LegId>,
}

/// The dialog a request received by the focus belongs to.
fn dialog_of<T: AsRef<[u8]>>(request: &Message<T>) -> Option<DialogId> {
    Some(DialogId {
        call_id: request.call_id().to_owned(),
        local_tag: request.to_tag()?.to_owned(),
        remote_tag: request.from_tag()?.to_owned(),
    })
}

impl Focus {
    /// Whether `request` belongs to a call of the focus.
    pub fn has_dialog<T: AsRef<[u8]>>(&self, request: &Message<T>) -> bool {
        dialog_of(request).is_some_and(|id| self.calls.contains_key(&id))
    }

    /// A re-INVITE.
    pub fn on_reinvite(
        &mut self,
        tx: ServerTxId,
        request: Message<Vec<u8>>,
        arrival: &Arrival,
        entropy: &mut dyn Entropy,
    ) {
        let tag = request.to_tag().unwrap_or("").to_owned();
        let refuse = |focus: &mut Focus, status: u16, reason: &str, why: Option<&str>| {
            let answer = without_body(&request, status, reason, &tag, why);
            focus.respond(tx, answer);
        };
        let Some(dialog) = dialog_of(&request) else {
            return refuse(self, 481, "Call/Transaction Does Not Exist", None);
        };
        let Some(call) = self.calls.get_mut(&dialog) else {
            return refuse(self, 481, "Call/Transaction Does Not Exist", None);
        };
        if let Err(error) = call.dialog.on_request(&request) {
            let why = error.to_string();
            let (status, reason) = match error {
                DialogError::OutOfOrder { .. } => (500, "Server Internal Error"),
                _ => (400, "Bad Request"),
            };
            return refuse(self, status, reason, Some(&why));
        }
        if call.busy {
            return refuse(self, 491, "Request Pending", None);
        }
        let conference_id = call.conference;
        let previous = call.media.clone();
        let old_leg = call.leg;
        let (lock, conference_key) = match self.conferences.get(&conference_id) {
            Some(conference) => (
                conference.lock,
                match &conference.keying {
                    Keying::EndToEnd(key) => Some(key.sdes_key().clone()),
                    Keying::HopByHop => None,
                },
            ),
            None => return refuse(self, 404, "Not Found", Some("the conference has ended")),
        };
        let negotiated = read_offer(&request).and_then(|sdp| {
            let audio = AudioOffer::read(&sdp, lock)?;
            Ok((sdp, audio))
        });
        let (offer, audio) = match negotiated {
            Ok(found) => found,
            Err(error) => {
                return refuse(self, 488, "Not Acceptable Here", Some(&error.to_string()))
            }
        };
        if audio.has_crypto_lines && !arrival.is_secure() && !self.config.allow_plain_keys {
            return refuse(
                self,
                488,
                "Not Acceptable Here",
                Some("SDES keys are only exchanged over TLS"),
            );
        }
        if let Some(key) = &conference_key {
            let keeps = audio.crypto.as_ref().is_some_and(|c| offers_key(c, key))
                && audio.ssrc == previous.audio.ssrc;
            if !keeps {
                return refuse(
                    self,
                    488,
                    "Not Acceptable Here",
                    Some("keep the conference key and your SSRC"),
                );
            }
        }
        let unchanged = same_leg(&audio, &previous.audio);
        let needs_key = conference_key.is_none() && audio.crypto.is_some();
        let tx_key = match (&audio.crypto, unchanged || audio.is_hold()) {
            (Some(_), true) if previous.tx_key.is_some() => previous.tx_key.clone(),
            (Some(offered), _) if needs_key => fresh_sdes_key(offered.suite, entropy),
            _ => None,
        };
        let mut media = NegotiatedMedia {
            audio,
            local: previous.local,
            tx_key,
            session_id: previous.session_id,
            session_version: previous.session_version,
        };
        let work = if unchanged && old_leg.is_some() != media.audio.is_hold() {
            None
        } else if media.audio.is_hold() {
            old_leg.map(|leg| MediaWork::RemoveLeg { leg })
        } else {
            let participant = call_participant(self, &dialog);
            let receive = self.receive;
            let built = match self.conferences.get_mut(&conference_id) {
                Some(conference) => leg_request(
                    &media.audio,
                    conference,
                    media.tx_key.as_ref(),
                    participant.as_deref(),
                    receive,
                )
                .and_then(|leg| with_mix_ssrc(leg, conference, entropy)),
                None => Err("the conference has ended".to_owned()),
            };
            match built {
                Ok(request) => Some(match old_leg {
                    Some(old) => MediaWork::ReplaceLeg {
                        old,
                        conference: conference_id,
                        request: Box::new(request),
                    },
                    None => MediaWork::AddLeg {
                        conference: conference_id,
                        request: Box::new(request),
                    },
                }),
                Err(why) => return refuse(self, 488, "Not Acceptable Here", Some(&why)),
            }
        };
        let Some(work) = work else {
            let sdp = self.answer_for(&dialog, &offer, &mut media, &previous);
            if let Some(call) = self.calls.get_mut(&dialog) {
                call.media = media;
                call.invite_tx = Some(tx);
                let answer = accept(&request, &tag, &call.contact, &sdp);
                self.respond(tx, answer);
            }
            return;
        };
        if let Some(call) = self.calls.get_mut(&dialog) {
            call.busy = true;
        }
        let pending = PendingUpdate {
            tx,
            request,
            dialog,
            offer,
            media,
            old_leg,
        };
        self.start_job(work, Pending::Update(Box::new(pending)));
    }

    /// Writes the answer for `media`, raising the session version when the answer differs
    /// from the one `previous` gave.
    fn answer_for(
        &self,
        dialog: &DialogId,
        offer: &SessionDescription,
        media: &mut NegotiatedMedia,
        previous: &NegotiatedMedia,
    ) -> String {
        let key = self
            .calls
            .get(dialog)
            .and_then(|call| self.conferences.get(&call.conference))
            .and_then(|c| match &c.keying {
                Keying::EndToEnd(key) => Some(key.sdes_key().clone()),
                Keying::HopByHop => None,
            });
        let before = previous.answer(offer, key.as_ref());
        let after = media.answer(offer, key.as_ref());
        if before == after {
            return after;
        }
        media.session_version = previous.session_version + 1;
        media.answer(offer, key.as_ref())
    }

    pub(super) fn update_done(&mut self, pending: PendingUpdate, outcome: MediaOutcome) {
        let PendingUpdate {
            tx,
            request,
            dialog,
            offer,
            mut media,
            old_leg,
        } = pending;
        if !self.calls.contains_key(&dialog) {
            // The call ended (BYE) while its leg was changing: undo what was added.
            if let MediaOutcome::Added(added) = outcome {
                self.start_job(MediaWork::RemoveLeg { leg: added.leg }, Pending::Cleanup);
            }
            return;
        }
        let tag = request.to_tag().unwrap_or("").to_owned();
        let new_leg = match outcome {
            MediaOutcome::Added(added) => {
                media.local = added.local;
                Some(added.leg)
            }
            MediaOutcome::Removed => None,
            MediaOutcome::Failed(error) => {
                tracing::warn!(%error, "a re-INVITE could not change the leg");
                if let Some(call) = self.calls.get_mut(&dialog) {
                    call.busy = false;
                    if old_leg.is_some() {
                        // A failed replacement may have removed the old leg already.
                        call.leg = None;
                    }
                }
                if let Some(leg) = old_leg {
                    self.start_job(MediaWork::RemoveLeg { leg }, Pending::Cleanup);
                }
                let (status, reason) = media_failure(&error);
                let answer = without_body(&request, status, reason, &tag, None);
                return self.respond(tx, answer);
            }
            MediaOutcome::Created(_) | MediaOutcome::Changed => None,
        };
        let previous = match self.calls.get(&dialog) {
            Some(call) => call.media.clone(),
            None => return,
        };
        let sdp = self.answer_for(&dialog, &offer, &mut media, &previous);
        if let Some(call) = self.calls.get_mut(&dialog) {
            call.busy = false;
            call.leg = new_leg;
            call.invite_tx = Some(tx);
            tracing::info!(
                conference = call.conference.0,
                user = call.user.as_str(),
                leg = ?new_leg.map(|l| l.0),
                hold = media.audio.is_hold(),
                "participant's media changed"
            );
            call.media = media;
            let answer = accept(&request, &tag, &call.contact, &sdp);
            self.respond(tx, answer);
        }
    }

    /// A BYE: the participant leaves (200), its leg goes, and the conference ends if it
    /// was the last one.
    pub fn on_bye(&mut self, tx: ServerTxId, request: Message<Vec<u8>>) {
        if self.on_trunk_bye(tx, &request) {
            return;
        }
        let tag = request.to_tag().unwrap_or("").to_owned();
        let call = dialog_of(&request).and_then(|id| self.calls.remove(&id));
        let Some(call) = call else {
            let answer = without_body(&request, 481, "Call/Transaction Does Not Exist", &tag, None);
            return self.respond(tx, answer);
        };
        let answer = without_body(&request, 200, "OK", &tag, None);
        self.respond(tx, answer);
        tracing::info!(
            conference = call.conference.0,
            user = call.user.as_str(),
            "participant left"
        );
        self.end_call_media(call.leg, call.conference);
    }

    /// The 2xx of INVITE transaction `invite` was never acknowledged: the participant is
    /// gone (RFC 3261 sec. 13.3.1.4), so its call ends.
    pub fn on_ack_timeout(&mut self, invite: ServerTxId) {
        let dialog = self
            .calls
            .iter()
            .find(|(_, call)| call.invite_tx == Some(invite))
            .map(|(id, _)| id.clone());
        if let Some(call) = dialog.and_then(|id| self.calls.remove(&id)) {
            tracing::warn!(
                conference = call.conference.0,
                user = call.user.as_str(),
                "the 2xx was never acknowledged; dropping the participant"
            );
            self.end_call_media(call.leg, call.conference);
        }
    }

    fn end_call_media(&mut self, leg: Option<LegId>, conference: ConferenceId) {
        if let Some(leg) = leg {
            self.start_job(MediaWork::RemoveLeg { leg }, Pending::Cleanup);
        }
        self.leave_conference(conference);
    }
}

/// The participant name a call's new leg takes: its user, unless another call of the same
/// user in the conference already holds it.
fn call_participant(focus: &Focus, dialog: &DialogId) -> Option<String> {
    let call = focus.calls.get(dialog)?;
    let other_has_it = focus.calls.iter().any(|(id, other)| {
        id != dialog && other.conference == call.conference && other.user == call.user
    });
    (!other_has_it).then(|| call.user.clone())
}
