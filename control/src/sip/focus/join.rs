//! INVITEs outside a dialog: to the factory (create, then 302) and to a conference URI
//! (join: a leg, then 200 with the answer), and CANCELs of those still in progress.

use std::time::Instant;

use medianode_dataplane::conference::{ConferenceId, MixerKey};
use medianode_dataplane::srtp::SdesKey;

use super::call::{fresh_sdes_key, leg_request, with_mix_ssrc, Call, NegotiatedMedia};
use super::conference::{EndToEndKey, FocusConference, Keying};
use super::responses::{accept, conference_contact, redirect, without_body};
use super::room::Room;
use super::{Arrival, Entropy, Focus, MediaOutcome, MediaWork, Pending};
use crate::admin::ApiError;
use crate::sip::dialog::Dialog;
use crate::sip::policy::Action;
use crate::sip::sdp::{AudioOffer, NegotiationError, SessionDescription};
use crate::sip::transaction::{Peer, ServerTxId};
use crate::sip::Message;

/// A factory INVITE waiting for its conference.
#[derive(Debug)]
pub struct PendingFactory {
    tx: ServerTxId,
    request: Message<Vec<u8>>,
    arrival: Arrival,
    user: String,
    to_tag: String,
    /// The conference's key, made before the conference so the core gets it at creation.
    keying: Keying,
    persistent: bool,
    cancelled: bool,
}

/// What the factory URI asks for.
#[derive(Debug, Clone, Copy)]
struct FactoryKind {
    /// `;keying=e2e`.
    end_to_end: bool,
    /// `;persistent`: a room with the caller as owner.
    persistent: bool,
}

/// A joining INVITE waiting for its leg.
#[derive(Debug)]
pub struct PendingJoin {
    tx: ServerTxId,
    request: Message<Vec<u8>>,
    user: String,
    to_tag: String,
    conference: ConferenceId,
    dialog: Dialog,
    contact: String,
    offer: SessionDescription,
    audio: AudioOffer,
    tx_key: Option<SdesKey>,
    session_id: u64,
    cancelled: bool,
    peer: Peer,
}

/// The SIP answer to a media job that failed.
pub(super) fn media_failure(error: &ApiError) -> (u16, &'static str) {
    match error.status {
        404 => (404, "Not Found"),
        409 => (486, "Busy Here"),
        400 => (488, "Not Acceptable Here"),
        503 => (503, "Service Unavailable"),
        _ => (500, "Server Internal Error"),
    }
}

/// Reads the SDP offer of an INVITE.
pub(super) fn read_offer<T: AsRef<[u8]>>(
    request: &Message<T>,
) -> Result<SessionDescription, NegotiationError> {
    if request.body().is_empty() {
        return Err(NegotiationError::NoOffer);
    }
    if !request
        .content_type()
        .is_some_and(|t| t.is("application", "sdp"))
    {
        return Err(NegotiationError::NoOffer);
    }
    SessionDescription::parse(request.body())
        .map_err(|e| NegotiationError::Malformed(e.to_string()))
}

/// What an offer to a conference gets, before any media work.
enum Admission {
    /// Join, with the node's own key for a hop-by-hop RTP/SAVP leg.
    Join(Option<SdesKey>),
    /// 302 to the conference itself with this `Conference-Key` value.
    HandOver(String),
    /// Refuse: status, reason phrase, Warning text.
    Refuse(u16, &'static str, &'static str),
}

/// The rules of an end-to-end conference: the offer must use the conference key and an
/// SSRC handed to this user; an offer without any key gets the key (once) by 302.
fn end_to_end_admission(
    key: &mut EndToEndKey,
    audio: &AudioOffer,
    user: &str,
    keys_allowed: bool,
    entropy: &mut dyn Entropy,
) -> Admission {
    const NOT_ACCEPTABLE: &str = "Not Acceptable Here";
    match &audio.crypto {
        Some(offered) if key.is_key(offered) => {
            if audio.ssrc.is_some_and(|ssrc| key.use_ssrc(user, ssrc)) {
                Admission::Join(None)
            } else {
                Admission::Refuse(
                    488,
                    NOT_ACCEPTABLE,
                    "a=ssrc must be an SSRC the focus handed to you for this conference",
                )
            }
        }
        Some(_) => Admission::Refuse(
            488,
            NOT_ACCEPTABLE,
            "this conference is end-to-end: offer its conference key",
        ),
        None if !audio.has_crypto_lines && keys_allowed && !key.has_unused(user) => {
            match key.hand_over(user, entropy) {
                Some(header) => Admission::HandOver(header),
                None => Admission::Refuse(500, "Server Internal Error", "no free SSRC"),
            }
        }
        None => Admission::Refuse(
            488,
            NOT_ACCEPTABLE,
            "this conference is end-to-end: offer RTP/SAVP with the key and SSRC from its \
             Conference-Key header",
        ),
    }
}

impl Focus {
    /// An INVITE outside any dialog, from authenticated `user`.
    pub fn on_initial_invite(
        &mut self,
        tx: ServerTxId,
        request: Message<Vec<u8>>,
        arrival: Arrival,
        user: &str,
        entropy: &mut dyn Entropy,
    ) {
        let to_tag = entropy.hex_id();
        let target = request.request_uri().and_then(|uri| {
            let sip = uri.as_sip()?;
            let e2e = sip.param("keying") == Some(Some("e2e"));
            let persistent = sip.param("persistent").is_some();
            Some((sip.user()?.to_owned(), e2e, persistent))
        });
        let Some((target_user, end_to_end, persistent)) = target else {
            let answer = without_body(&request, 404, "Not Found", &to_tag, None);
            return self.respond(tx, answer);
        };
        if target_user == self.config.factory_user {
            let kind = FactoryKind {
                end_to_end,
                persistent,
            };
            return self.factory_invite(tx, request, arrival, user, to_tag, kind, entropy);
        }
        match self.resolve(&target_user) {
            Some(id) => self.join_invite(tx, request, arrival, user, to_tag, id, entropy),
            _ => {
                let answer = without_body(
                    &request,
                    404,
                    "Not Found",
                    &to_tag,
                    Some("no such conference"),
                );
                self.respond(tx, answer);
            }
        }
    }

    /// A new conference's keying, with the key its core's mixer gets; `None` if no
    /// key could be drawn.
    pub(super) fn new_keying(
        &self,
        end_to_end: bool,
        entropy: &mut dyn Entropy,
    ) -> Option<(Keying, Option<Box<MixerKey>>)> {
        if !end_to_end {
            return Some((Keying::HopByHop, None));
        }
        let mut key = EndToEndKey::generate(self.config.conference_suite, entropy)?;
        let mixer_key = key.mixer_key(entropy)?;
        Some((Keying::EndToEnd(Box::new(key)), Some(Box::new(mixer_key))))
    }

    #[allow(clippy::too_many_arguments)]
    fn factory_invite(
        &mut self,
        tx: ServerTxId,
        request: Message<Vec<u8>>,
        arrival: Arrival,
        user: &str,
        to_tag: String,
        kind: FactoryKind,
        entropy: &mut dyn Entropy,
    ) {
        let FactoryKind {
            end_to_end,
            persistent,
        } = kind;
        if !self.config.policy.allows(Action::Create, user) {
            let warning = format!("{user} may not create conferences");
            let answer = without_body(&request, 403, "Forbidden", &to_tag, Some(&warning));
            return self.respond(tx, answer);
        }
        if end_to_end && !arrival.is_secure() && !self.config.allow_plain_keys {
            let answer = without_body(
                &request,
                403,
                "Forbidden",
                &to_tag,
                Some("end-to-end conference keys are only handed over TLS"),
            );
            return self.respond(tx, answer);
        }
        let Some((keying, mixer_key)) = self.new_keying(end_to_end, entropy) else {
            let answer = without_body(&request, 500, "Server Internal Error", &to_tag, None);
            return self.respond(tx, answer);
        };
        let pending = PendingFactory {
            tx,
            request,
            arrival,
            user: user.to_owned(),
            to_tag,
            keying,
            persistent,
            cancelled: false,
        };
        let policy = self.config.selection;
        self.start_job(
            MediaWork::CreateConference { policy, mixer_key },
            Pending::Factory(Box::new(pending)),
        );
    }

    pub(super) fn factory_done(
        &mut self,
        pending: PendingFactory,
        outcome: MediaOutcome,
        now: Instant,
        entropy: &mut dyn Entropy,
    ) {
        let id = match outcome {
            MediaOutcome::Created(id) => id,
            MediaOutcome::Failed(error) => {
                tracing::warn!(%error, "the factory could not create a conference");
                if !pending.cancelled {
                    let (status, reason) = media_failure(&error);
                    let answer =
                        without_body(&pending.request, status, reason, &pending.to_tag, None);
                    self.respond(pending.tx, answer);
                }
                return;
            }
            other => {
                tracing::error!(?other, "unexpected outcome of a conference creation");
                return;
            }
        };
        let PendingFactory {
            tx,
            request,
            arrival,
            user,
            to_tag,
            keying,
            persistent,
            cancelled,
        } = pending;
        let end_to_end = matches!(keying, Keying::EndToEnd(_));
        if persistent {
            let room = Room {
                number: self.allocate_room(),
                owner: user.clone(),
                end_to_end,
                loudest_n: self.config.selection.max_talkers,
                allow: Vec::new(),
                block: Vec::new(),
            };
            tracing::info!(
                conference = id.0,
                room = room.number,
                owner = user.as_str(),
                "persistent conference created through the factory"
            );
            self.out
                .push_back(super::FocusOutput::StoreRoom(room.clone()));
            self.install_room(id, room, keying);
            let handover = match self.conferences.get_mut(&id).map(|c| &mut c.keying) {
                Some(Keying::EndToEnd(key)) => key.hand_over(&user, entropy),
                _ => None,
            };
            if cancelled {
                return;
            }
            let contact = conference_contact(&self.conference_user(id), &arrival);
            let answer = redirect(&request, &to_tag, &contact, handover.as_deref());
            return self.respond(tx, answer);
        }
        let deadline = now + self.config.empty_conference;
        let mut conference = FocusConference::new(keying, Some(deadline));
        let handover = match &mut conference.keying {
            Keying::EndToEnd(key) => key.hand_over(&user, entropy),
            Keying::HopByHop => None,
        };
        self.conferences.insert(id, conference);
        self.expiries.insert((deadline, id));
        tracing::info!(
            conference = id.0,
            creator = user.as_str(),
            end_to_end,
            "conference created through the factory"
        );
        if cancelled {
            return;
        }
        let contact = conference_contact(&self.conference_user(id), &arrival);
        let answer = redirect(&request, &to_tag, &contact, handover.as_deref());
        self.respond(tx, answer);
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn join_invite(
        &mut self,
        tx: ServerTxId,
        request: Message<Vec<u8>>,
        arrival: Arrival,
        user: &str,
        to_tag: String,
        id: ConferenceId,
        entropy: &mut dyn Entropy,
    ) {
        let refuse = |focus: &mut Focus, status: u16, reason: &str, why: &str| {
            let answer = without_body(&request, status, reason, &to_tag, Some(why));
            focus.respond(tx, answer);
        };
        if !self.config.policy.allows(Action::Join, user) {
            return refuse(
                self,
                403,
                "Forbidden",
                &format!("{user} may not join conferences"),
            );
        }
        let contact = conference_contact(&self.conference_user(id), &arrival);
        let dialog = match Dialog::as_uas(&request, &to_tag, &contact) {
            Ok(dialog) => dialog,
            Err(error) => return refuse(self, 400, "Bad Request", &error.to_string()),
        };
        let lock = self.conferences.get(&id).and_then(|c| c.lock);
        let negotiated = read_offer(&request).and_then(|sdp| {
            let audio = AudioOffer::read(&sdp, lock)?;
            Ok((sdp, audio))
        });
        let (offer, audio) = match negotiated {
            Ok(found) => found,
            Err(error) => {
                return refuse(self, 488, "Not Acceptable Here", &error.to_string());
            }
        };
        let keys_allowed = arrival.is_secure() || self.config.allow_plain_keys;
        if audio.has_crypto_lines && !keys_allowed {
            return refuse(
                self,
                488,
                "Not Acceptable Here",
                "SDES keys are only exchanged over TLS",
            );
        }
        if audio.is_hold() {
            return refuse(
                self,
                488,
                "Not Acceptable Here",
                "the first offer must receive media (sendrecv or recvonly)",
            );
        }
        let Some(conference) = self.conferences.get_mut(&id) else {
            return refuse(self, 404, "Not Found", "no such conference");
        };
        if conference
            .room
            .as_ref()
            .is_some_and(|room| !room.admits(user))
        {
            return refuse(self, 403, "Forbidden", "the room does not admit you");
        }
        let decision = match &mut conference.keying {
            Keying::EndToEnd(key) => end_to_end_admission(key, &audio, user, keys_allowed, entropy),
            Keying::HopByHop => Admission::Join(
                audio
                    .crypto
                    .as_ref()
                    .and_then(|offered| fresh_sdes_key(offered.suite, entropy)),
            ),
        };
        let tx_key = match decision {
            Admission::Join(tx_key) => tx_key,
            Admission::HandOver(header) => {
                let answer = redirect(&request, &to_tag, &contact, Some(&header));
                return self.respond(tx, answer);
            }
            Admission::Refuse(status, reason, why) => return refuse(self, status, reason, why),
        };
        let already_in = self
            .calls
            .values()
            .any(|call| call.conference == id && call.user == user);
        let participant = (!already_in).then_some(user);
        let Some(conference) = self.conferences.get_mut(&id) else {
            return refuse(self, 404, "Not Found", "no such conference");
        };
        let receive = self.receive;
        let request_for_leg =
            leg_request(&audio, conference, tx_key.as_ref(), participant, receive)
                .and_then(|leg| with_mix_ssrc(leg, conference, entropy));
        let request_for_leg = match request_for_leg {
            Ok(leg) => leg,
            Err(why) => return refuse(self, 488, "Not Acceptable Here", &why),
        };
        if conference.lock.is_none() {
            conference.lock = Some(audio.lock());
        }
        conference.members += 1;
        if let Some(deadline) = conference.empty_deadline.take() {
            self.expiries.remove(&(deadline, id));
        }
        let pending = PendingJoin {
            tx,
            request,
            user: user.to_owned(),
            to_tag,
            conference: id,
            dialog,
            contact,
            offer,
            audio,
            tx_key,
            session_id: entropy.next_u64() >> 1,
            cancelled: false,
            peer: arrival.peer,
        };
        self.start_job(
            MediaWork::AddLeg {
                conference: id,
                request: Box::new(request_for_leg),
            },
            Pending::Join(Box::new(pending)),
        );
    }

    pub(super) fn join_done(&mut self, pending: PendingJoin, outcome: MediaOutcome) {
        let id = pending.conference;
        let added = match outcome {
            MediaOutcome::Added(added) => added,
            MediaOutcome::Failed(error) => {
                tracing::warn!(conference = id.0, %error, "a join failed on the media core");
                if !pending.cancelled {
                    let (status, reason) = media_failure(&error);
                    let answer =
                        without_body(&pending.request, status, reason, &pending.to_tag, None);
                    self.respond(pending.tx, answer);
                }
                self.leave_conference(id);
                return;
            }
            other => {
                tracing::error!(?other, "unexpected outcome of a leg addition");
                self.leave_conference(id);
                return;
            }
        };
        if pending.cancelled || !self.knows(id) {
            self.start_job(MediaWork::RemoveLeg { leg: added.leg }, Pending::Cleanup);
            self.leave_conference(id);
            return;
        }
        let media = NegotiatedMedia {
            audio: pending.audio,
            local: added.local,
            tx_key: pending.tx_key,
            session_id: pending.session_id,
            session_version: 1,
        };
        let conference_key = self.conferences.get(&id).and_then(|c| match &c.keying {
            Keying::EndToEnd(key) => Some(key.sdes_key().clone()),
            Keying::HopByHop => None,
        });
        let sdp = media.answer(&pending.offer, conference_key.as_ref());
        let answer = accept(&pending.request, &pending.to_tag, &pending.contact, &sdp);
        self.respond(pending.tx, answer);
        tracing::info!(
            conference = id.0,
            user = pending.user.as_str(),
            leg = added.leg.0,
            local = %added.local,
            codec = media.audio.codec.encoding(),
            secure = media.audio.is_secure(),
            "participant joined"
        );
        let dialog_id = pending.dialog.id().clone();
        self.calls.insert(
            dialog_id,
            Call {
                conference: id,
                user: pending.user,
                dialog: pending.dialog,
                invite_tx: Some(pending.tx),
                leg: Some(added.leg),
                media,
                contact: pending.contact,
                busy: false,
                peer: pending.peer,
            },
        );
    }

    /// A CANCEL for INVITE transaction `invite`: if the focus is still working on it, it
    /// answers the INVITE 487 and undoes what the work leaves behind. Returns whether it
    /// was in progress.
    pub fn on_cancel(&mut self, invite: ServerTxId) -> bool {
        let mut found = None;
        for pending in self.pending.values_mut() {
            match pending {
                Pending::Factory(p) if p.tx == invite && !p.cancelled => {
                    p.cancelled = true;
                    found = Some(without_body(
                        &p.request,
                        487,
                        "Request Terminated",
                        &p.to_tag,
                        None,
                    ));
                }
                Pending::Join(p) if p.tx == invite && !p.cancelled => {
                    p.cancelled = true;
                    found = Some(without_body(
                        &p.request,
                        487,
                        "Request Terminated",
                        &p.to_tag,
                        None,
                    ));
                }
                _ => {}
            }
        }
        match found {
            Some(answer) => {
                self.respond(invite, answer);
                true
            }
            None => false,
        }
    }
}
