//! Inviting others into a conference (issue 5 item 3, second bullet): a REFER to the
//! conference URI (RFC 4579 sec. 5.5 style) or an INVITE to it naming the invitee in the
//! [`INVITEE_HEADER`]. The focus checks the invitee is registered (the shell looks its
//! bindings up) and that the inviter may invite, INVITEs every registered contact of the
//! invitee, and reports the outcome: for REFER, NOTIFYs with `message/sipfrag` bodies
//! (`SIP/2.0 100 Trying`, then the final status line); for the INVITE form, the
//! inviter's own INVITE is answered after the invitee's: it joins when the invitee joined,
//! and gets the invitee's failure otherwise.
//!
//! The INVITE to an invitee carries no SDP (the delayed offer of RFC 3261 sec. 13.2.1):
//! the media address of a leg is only known once the core has added it, so the
//! invitee's 200 brings the offer, the leg is added for it, and the ACK carries the answer.
//! Outcomes: 200 (joined), 486 Busy Here, 603 Decline and any other final status of the
//! invitee, 408 when no contact answers in time, 404 when the invitee has no binding, 488
//! when the invitee's offer cannot join (e.g. an end-to-end conference, whose key the
//! invitee does not have).

use std::time::{Duration, Instant};

use medianode_dataplane::conference::ConferenceId;

use super::call::{leg_request, Call, NegotiatedMedia};
use super::conference::Keying;
use super::join::read_offer;
use super::outgoing::Sent;
use super::responses::{conference_contact, without_body};
use super::{Arrival, Entropy, Focus, MediaOutcome, MediaWork, Pending};
use crate::sip::dialog::Dialog;
use crate::sip::header::KnownHeader;
use crate::sip::message::{response_for, MessageWriter};
use crate::sip::policy::Action;
use crate::sip::registrar::Binding;
use crate::sip::router::ALLOW;
use crate::sip::sdp::{AudioOffer, SessionDescription};
use crate::sip::transaction::outgoing::{peer_of_binding, with_via, OutgoingId};
use crate::sip::transaction::{Peer, ServerTxId};
use crate::sip::{Message, Method};

/// The header of an INVITE to a conference URI that names someone to invite, e.g.
/// `Invitee: <sip:bob@example.com>`.
pub const INVITEE_HEADER: &str = "Invitee";

/// How long an invitee's phones ring by default before the invitation ends with 408.
pub const RING_TIMEOUT: Duration = Duration::from_secs(30);

/// Names one invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct InvitationId(pub(super) u64);

/// How the inviter hears the outcome.
#[derive(Debug)]
pub(super) enum Report {
    /// Nobody: a spawned conference calls its members without an inviter.
    Silent,
    /// NOTIFYs in the implicit subscription of a REFER.
    Refer {
        /// The subscription dialog (the focus is its UAS).
        dialog: Box<Dialog>,
        /// Where the REFER came from.
        peer: Peer,
    },
    /// The inviter's INVITE, answered when the invitee has answered.
    Invite {
        tx: ServerTxId,
        request: Box<Message<Vec<u8>>>,
        arrival: Arrival,
        user: String,
        to_tag: String,
    },
}

/// One invitation in progress.
#[derive(Debug)]
pub(super) struct Invitation {
    pub(super) conference: ConferenceId,
    invitee: String,
    report: Report,
    /// INVITEs to the invitee's contacts still unanswered.
    forks: Vec<OutgoingId>,
    /// The most telling failure so far (a 6xx beats the rest).
    failure: Option<(u16, String)>,
    /// An invitee's 200 is being turned into a leg, or was.
    answered: bool,
    deadline: Instant,
}

impl Invitation {
    /// An invitation nobody hears the outcome of (one the admin API started).
    pub(super) fn unreported(conference: ConferenceId, invitee: String, now: Instant) -> Self {
        Invitation {
            conference,
            invitee,
            report: Report::Silent,
            forks: Vec::new(),
            failure: None,
            answered: false,
            deadline: now + RING_TIMEOUT,
        }
    }
}

/// An INVITE the focus sent to one of the invitee's contacts.
#[derive(Debug)]
pub(super) struct InviteFork {
    invitation: InvitationId,
    request: Message<Vec<u8>>,
    peer: Peer,
}

/// An invitee's 200 waiting for its leg.
#[derive(Debug)]
pub(super) struct PendingInvited {
    invitation: InvitationId,
    dialog: Dialog,
    peer: Peer,
    offer: SessionDescription,
    audio: AudioOffer,
    tx_key: Option<medianode_dataplane::srtp::SdesKey>,
    session_id: u64,
    invite_cseq: u32,
    /// The INVITE that was answered.
    sent: OutgoingId,
}

/// The reason phrase of the statuses an invitation reports.
pub(super) fn reason_of(status: u16) -> &'static str {
    match status {
        100 => "Trying",
        200 => "OK",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        480 => "Temporarily Unavailable",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        500 => "Server Internal Error",
        503 => "Service Unavailable",
        600 => "Busy Everywhere",
        603 => "Decline",
        _ => "Failed",
    }
}

/// The user part of the invitee's URI, the name its bindings are stored under; a `tel:`
/// URI's number (a phone number, reached through the PSTN trunk if one is configured).
pub fn invitee_user(uri: &str) -> Option<String> {
    match crate::sip::uri::Uri::parse(uri).ok()? {
        crate::sip::uri::Uri::Tel(tel) => Some(tel.number().to_owned()),
        parsed => parsed.as_sip()?.user().map(str::to_owned),
    }
}

/// The invitee a REFER (its Refer-To) or an INVITE (its [`INVITEE_HEADER`]) names: the
/// URI without header part, and its user part. `None` when the request names none.
pub fn invitee_of<T: AsRef<[u8]>>(request: &Message<T>) -> Option<(String, String)> {
    let uri = if request.method() == Method::Refer {
        let named = request.refer_to()?;
        let uri = named.uri();
        uri.as_sip()
            .map_or(uri.as_str(), |s| s.without_headers())
            .to_owned()
    } else {
        let value = request.extension_values(INVITEE_HEADER).next()?;
        let named = crate::sip::header::NameAddr::parse(
            value,
            crate::sip::header::AddressForm::NameAddrOrSpec,
        )
        .ok()?;
        let uri = named.uri();
        uri.as_sip()
            .map_or(uri.as_str(), |s| s.without_headers())
            .to_owned()
    };
    let user = invitee_user(&uri)?;
    Some((uri, user))
}

/// The `message/sipfrag` body of a NOTIFY: the status line.
fn sipfrag(status: u16) -> String {
    format!("SIP/2.0 {status} {}\r\n", reason_of(status))
}

impl Focus {
    /// A REFER from authenticated `user` to a conference URI: invite the Refer-To target,
    /// whose registered contacts the shell passes as `bindings` (empty when it has none).
    #[allow(clippy::too_many_arguments)]
    pub fn on_refer(
        &mut self,
        tx: ServerTxId,
        request: Message<Vec<u8>>,
        arrival: Arrival,
        user: &str,
        bindings: &[Binding],
        now: Instant,
        entropy: &mut dyn Entropy,
    ) {
        let to_tag = request
            .to_tag()
            .map_or_else(|| entropy.hex_id(), str::to_owned);
        let refuse = |focus: &mut Focus, status: u16, reason: &str, why: &str| {
            let answer = without_body(&request, status, reason, &to_tag, Some(why));
            focus.respond(tx, answer);
        };
        let Some(id) = self.target_conference(&request) else {
            return refuse(self, 404, "Not Found", "no such conference");
        };
        if !self.config.policy.allows(Action::Invite, user) {
            let why = format!("{user} may not invite others");
            return refuse(self, 403, "Forbidden", &why);
        }
        let Some((invitee_uri, invitee)) = invitee_of(&request) else {
            return refuse(self, 400, "Bad Request", "Refer-To names no SIP user");
        };
        let contact = conference_contact(&self.conference_user(id), &arrival);
        let mut dialog = match Dialog::as_uas(&request, &to_tag, &contact) {
            Ok(dialog) => dialog,
            Err(error) => return refuse(self, 400, "Bad Request", &error.to_string()),
        };
        let mut out = Vec::new();
        let mut w = response_for(&request, 202, "Accepted", Some(&to_tag), &mut out);
        w.known(KnownHeader::Contact, format_args!("<{contact}>"));
        w.known(KnownHeader::Allow, ALLOW);
        w.finish(b"");
        self.respond(tx, out);
        self.notify_refer(&mut dialog, arrival.peer, 100, false);
        tracing::info!(
            conference = id.0,
            inviter = user,
            invitee = invitee.as_str(),
            "invitation by REFER"
        );
        let report = Report::Refer {
            dialog: Box::new(dialog),
            peer: arrival.peer,
        };
        self.start_invitation(
            id,
            &invitee_uri,
            invitee,
            report,
            &arrival,
            bindings,
            now,
            entropy,
        );
    }

    /// An INVITE to a conference URI with an [`INVITEE_HEADER`]: the inviter joins once
    /// the invitee has joined, or gets the invitee's failure.
    #[allow(clippy::too_many_arguments)]
    pub fn on_invitation_invite(
        &mut self,
        tx: ServerTxId,
        request: Message<Vec<u8>>,
        arrival: Arrival,
        user: &str,
        bindings: &[Binding],
        now: Instant,
        entropy: &mut dyn Entropy,
    ) {
        let to_tag = entropy.hex_id();
        let Some(id) = self.target_conference(&request) else {
            let why = "no such conference";
            let answer = without_body(&request, 404, "Not Found", &to_tag, Some(why));
            return self.respond(tx, answer);
        };
        if !self.config.policy.allows(Action::Invite, user) {
            let why = format!("{user} may not invite others");
            let answer = without_body(&request, 403, "Forbidden", &to_tag, Some(&why));
            return self.respond(tx, answer);
        }
        let Some((invitee_uri, invitee)) = invitee_of(&request) else {
            let why = "the Invitee header names no SIP user";
            let answer = without_body(&request, 400, "Bad Request", &to_tag, Some(why));
            return self.respond(tx, answer);
        };
        tracing::info!(
            conference = id.0,
            inviter = user,
            invitee = invitee.as_str(),
            "invitation by INVITE"
        );
        let report = Report::Invite {
            tx,
            request: Box::new(request),
            arrival: arrival.clone(),
            user: user.to_owned(),
            to_tag,
        };
        self.start_invitation(
            id,
            &invitee_uri,
            invitee,
            report,
            &arrival,
            bindings,
            now,
            entropy,
        );
    }

    /// The conference a request's URI names, if the focus runs it.
    pub(super) fn target_conference<T: AsRef<[u8]>>(
        &self,
        request: &Message<T>,
    ) -> Option<ConferenceId> {
        let uri = request.request_uri()?;
        self.resolve(uri.as_sip()?.user()?)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn start_invitation(
        &mut self,
        conference: ConferenceId,
        invitee_uri: &str,
        invitee: String,
        report: Report,
        arrival: &Arrival,
        bindings: &[Binding],
        now: Instant,
        entropy: &mut dyn Entropy,
    ) {
        self.next_invitation += 1;
        let id = InvitationId(self.next_invitation);
        let deadline = now + self.ring_timeout;
        let mut invitation = Invitation {
            conference,
            invitee,
            report,
            forks: Vec::new(),
            failure: None,
            answered: false,
            deadline,
        };
        let contact = conference_contact(&self.conference_user(conference), arrival);
        let refused = self
            .conferences
            .get(&conference)
            .and_then(|c| c.room.as_ref())
            .is_some_and(|room| !room.admits(&invitation.invitee));
        if refused {
            tracing::info!(
                invitee = invitation.invitee.as_str(),
                "the room does not admit the invitee"
            );
            self.finish_invitation(invitation, 403, entropy);
            return;
        }
        if let Some(number) = self.trunk_number(invitee_uri) {
            self.start_trunk_call(invitation, number, arrival, now, entropy);
            return;
        }
        let call_id = format!("{}@medianode", entropy.hex_id());
        let from_tag = entropy.hex_id();
        for (n, binding) in bindings.iter().enumerate() {
            let Some(peer) = peer_of_binding(&binding.source, &binding.contact) else {
                continue;
            };
            let mut bytes = Vec::new();
            let mut w = MessageWriter::request(&mut bytes, Method::Invite, &binding.contact);
            w.known(KnownHeader::MaxForwards, 70);
            w.known(
                KnownHeader::From,
                format_args!("<{}>;tag={from_tag}", contact_aor(&contact)),
            );
            w.known(KnownHeader::To, format_args!("<{invitee_uri}>"));
            w.known(KnownHeader::CallId, format_args!("{n}-{call_id}"));
            w.known(KnownHeader::CSeq, "1 INVITE");
            w.known(KnownHeader::Contact, format_args!("<{contact}>"));
            w.known(KnownHeader::Allow, ALLOW);
            w.finish(b"");
            // The shell adds the real Via; this copy is only read for the dialog and CANCEL.
            let placeholder = crate::sip::dialog::ViaSpec {
                transport: "UDP",
                sent_by: "invalid",
                branch: "z9hG4bKfocus",
            };
            let parsed = with_via(&bytes, &placeholder).map(Message::new_checked);
            let Some(Ok(request)) = parsed else {
                continue;
            };
            let fork = InviteFork {
                invitation: id,
                request,
                peer,
            };
            let sent = self.send(peer, bytes, Sent::Invite(Box::new(fork)));
            invitation.forks.push(sent);
        }
        if invitation.forks.is_empty() {
            tracing::info!(
                invitee = invitation.invitee.as_str(),
                "the invitee is not registered"
            );
            self.finish_invitation(invitation, 404, entropy);
            return;
        }
        self.invitations.insert(id, invitation);
        self.ring_deadlines.insert((deadline, id));
    }

    /// Ends invitations nobody answered in time.
    pub fn expire_invitations(&mut self, now: Instant, entropy: &mut dyn Entropy) {
        self.expire_trunk_calls(now, entropy);
        while let Some(&(when, id)) = self.ring_deadlines.first() {
            if when > now {
                break;
            }
            self.ring_deadlines.remove(&(when, id));
            let due = self
                .invitations
                .get(&id)
                .is_some_and(|i| i.deadline == when && !i.answered);
            if due {
                if let Some(invitation) = self.invitations.remove(&id) {
                    for fork in &invitation.forks {
                        self.cancel_fork(*fork);
                    }
                    // A device that said why (busy, declined) tells more than the silence
                    // of the others.
                    let status = invitation.failure.as_ref().map_or(408, |f| f.0);
                    self.finish_invitation(invitation, status, entropy);
                }
            }
        }
    }

    /// Sends the CANCEL of a still unanswered INVITE to an invitee.
    fn cancel_fork(&mut self, fork: OutgoingId) {
        if matches!(self.sent.get(&fork), Some(Sent::Invite(_))) {
            // The CANCEL needs the INVITE's own Via branch, which the shell added.
            self.out.push_back(super::FocusOutput::Cancel(fork));
        }
    }

    pub(super) fn fork_failed(
        &mut self,
        id: OutgoingId,
        fork: InviteFork,
        status: u16,
        entropy: &mut dyn Entropy,
    ) {
        let Some(invitation) = self.invitations.get_mut(&fork.invitation) else {
            return;
        };
        invitation.forks.retain(|f| *f != id);
        let better = match &invitation.failure {
            None => true,
            Some((old, _)) => status >= 600 && *old < 600,
        };
        if better {
            invitation.failure = Some((status, reason_of(status).to_owned()));
        }
        if invitation.forks.is_empty() && !invitation.answered {
            let status = invitation.failure.as_ref().map_or(408, |f| f.0);
            if let Some(invitation) = self.invitations.remove(&fork.invitation) {
                tracing::info!(
                    invitee = invitation.invitee.as_str(),
                    status,
                    "the invitee did not join"
                );
                self.finish_invitation(invitation, status, entropy);
            }
        }
    }

    /// A 2xx from an invitee's contact: the first makes the leg, any later one (another
    /// contact, or a retransmission once the call exists) is acknowledged; extra calls are
    /// ended with BYE.
    pub(super) fn fork_answered(
        &mut self,
        id: OutgoingId,
        response: Message<Vec<u8>>,
        entropy: &mut dyn Entropy,
    ) {
        let Some(Sent::Invite(fork)) = self.sent.get(&id) else {
            return;
        };
        let fork_invitation = fork.invitation;
        let peer = fork.peer;
        let Ok(mut dialog) = Dialog::as_uac(&fork.request, &response) else {
            return;
        };
        let invite_cseq = fork.request.cseq().number;
        let conference_id = self
            .invitations
            .get(&fork_invitation)
            .filter(|i| !i.answered)
            .map(|i| i.conference);
        let lock = conference_id
            .and_then(|c| self.conferences.get(&c))
            .and_then(|c| c.lock);
        let offer = read_offer(&response).and_then(|sdp| {
            let audio = AudioOffer::read(&sdp, lock)?;
            Ok((sdp, audio))
        });
        let refuse = |focus: &mut Focus, dialog: &mut Dialog, status: u16| {
            let mut ack = Vec::new();
            dialog
                .write_ack_without_via(invite_cseq, &mut ack)
                .finish(b"");
            focus.send_ack(peer, ack);
            let mut bye = Vec::new();
            dialog
                .write_request_without_via(Method::Bye, &mut bye)
                .finish(b"");
            focus.send(peer, bye, Sent::Notice);
            if let Some(invitation) = focus.invitations.get_mut(&fork_invitation) {
                invitation.forks.retain(|f| *f != id);
                if !invitation.answered {
                    invitation.failure = Some((status, reason_of(status).to_owned()));
                }
            }
        };
        let Some(conference_id) = conference_id else {
            // Another contact answered first, or the invitation is over.
            self.sent.remove(&id);
            return refuse(self, &mut dialog, 487);
        };
        self.sent.remove(&id);
        let Ok((offer, audio)) = offer else {
            refuse(self, &mut dialog, 488);
            return self.settle_if_done(fork_invitation, entropy);
        };
        let Some(conference) = self.conferences.get_mut(&conference_id) else {
            refuse(self, &mut dialog, 404);
            return self.settle_if_done(fork_invitation, entropy);
        };
        let keys_allowed = peer.transport == crate::sip::transaction::TransportKind::Tls
            || self.config.allow_plain_keys;
        let end_to_end = matches!(conference.keying, Keying::EndToEnd(_));
        if audio.is_hold() || end_to_end || (audio.has_crypto_lines && !keys_allowed) {
            refuse(self, &mut dialog, 488);
            return self.settle_if_done(fork_invitation, entropy);
        }
        let tx_key = audio
            .crypto
            .as_ref()
            .and_then(|offered| super::call::fresh_sdes_key(offered.suite, entropy));
        let invitee = self
            .invitations
            .get(&fork_invitation)
            .map(|i| i.invitee.clone())
            .unwrap_or_default();
        let Some(conference) = self.conferences.get_mut(&conference_id) else {
            return refuse(self, &mut dialog, 404);
        };
        let receive = self.receive;
        let leg = match leg_request(&audio, conference, tx_key.as_ref(), Some(&invitee), receive) {
            Ok(leg) => leg,
            Err(_) => {
                refuse(self, &mut dialog, 488);
                return self.settle_if_done(fork_invitation, entropy);
            }
        };
        if conference.lock.is_none() {
            conference.lock = Some(audio.lock());
        }
        conference.members += 1;
        if let Some(deadline) = conference.empty_deadline.take() {
            self.expiries.remove(&(deadline, conference_id));
        }
        if let Some(invitation) = self.invitations.get_mut(&fork_invitation) {
            invitation.answered = true;
        }
        let others: Vec<OutgoingId> = self
            .invitations
            .get(&fork_invitation)
            .map(|i| i.forks.iter().copied().filter(|f| *f != id).collect())
            .unwrap_or_default();
        for other in others {
            self.cancel_fork(other);
        }
        let pending = PendingInvited {
            invitation: fork_invitation,
            dialog,
            peer,
            offer,
            audio,
            tx_key,
            session_id: entropy.next_u64() >> 1,
            invite_cseq,
            sent: id,
        };
        self.start_job(
            MediaWork::AddLeg {
                conference: conference_id,
                request: Box::new(leg),
            },
            Pending::Invited(Box::new(pending)),
        );
    }

    /// Reports the failure once no contact is left to answer.
    fn settle_if_done(&mut self, invitation: InvitationId, entropy: &mut dyn Entropy) {
        let done = self
            .invitations
            .get(&invitation)
            .is_some_and(|i| i.forks.is_empty() && !i.answered);
        if done {
            if let Some(invitation) = self.invitations.remove(&invitation) {
                let status = invitation.failure.as_ref().map_or(408, |f| f.0);
                self.finish_invitation(invitation, status, entropy);
            }
        }
    }

    /// The invitee's leg is on the core (or failed): ACK with the answer, or ACK and BYE.
    pub(super) fn invited_done(
        &mut self,
        pending: PendingInvited,
        outcome: MediaOutcome,
        entropy: &mut dyn Entropy,
    ) {
        let PendingInvited {
            invitation: invitation_id,
            mut dialog,
            peer,
            offer,
            audio,
            tx_key,
            session_id,
            invite_cseq,
            sent,
        } = pending;
        let conference = self.invitations.get(&invitation_id).map(|i| i.conference);
        let added = match outcome {
            MediaOutcome::Added(added) => Some(added),
            MediaOutcome::Failed(error) => {
                tracing::warn!(%error, "an invitee's leg could not be added");
                None
            }
            _ => None,
        };
        let Some(added) = added else {
            let mut ack = Vec::new();
            dialog
                .write_ack_without_via(invite_cseq, &mut ack)
                .finish(b"");
            self.send_ack(peer, ack);
            let mut bye = Vec::new();
            dialog
                .write_request_without_via(Method::Bye, &mut bye)
                .finish(b"");
            self.send(peer, bye, Sent::Notice);
            if let Some(id) = conference {
                self.leave_conference(id);
            }
            if let Some(invitation) = self.invitations.remove(&invitation_id) {
                self.finish_invitation(invitation, 500, entropy);
            }
            return;
        };
        let media = NegotiatedMedia {
            audio,
            local: added.local,
            tx_key,
            session_id,
            session_version: 1,
        };
        let sdp = media.answer(&offer, None);
        let mut ack = Vec::new();
        dialog
            .write_ack_without_via(invite_cseq, &mut ack)
            .finish_with("application/sdp", sdp.as_bytes());
        self.send_ack(peer, ack.clone());
        self.sent.insert(sent, Sent::Answered { peer, ack });
        let Some(invitation) = self.invitations.remove(&invitation_id) else {
            return;
        };
        let conference_id = invitation.conference;
        tracing::info!(
            conference = conference_id.0,
            user = invitation.invitee.as_str(),
            leg = added.leg.0,
            "invitee joined"
        );
        let contact = dialog.local_contact().unwrap_or_default().to_owned();
        self.calls.insert(
            dialog.id().clone(),
            Call {
                conference: conference_id,
                user: invitation.invitee.clone(),
                dialog,
                invite_tx: None,
                leg: Some(added.leg),
                media,
                contact,
                busy: false,
                peer,
            },
        );
        self.finish_invitation(invitation, 200, entropy);
    }

    /// Tells the inviter how the invitation ended.
    pub(super) fn finish_invitation(
        &mut self,
        invitation: Invitation,
        status: u16,
        entropy: &mut dyn Entropy,
    ) {
        match invitation.report {
            Report::Silent => {}
            Report::Refer { mut dialog, peer } => {
                self.notify_refer(&mut dialog, peer, status, true);
            }
            Report::Invite {
                tx,
                request,
                arrival,
                user,
                to_tag,
            } => {
                if status == 200 && self.knows(invitation.conference) {
                    self.join_invite(
                        tx,
                        *request,
                        arrival,
                        &user,
                        to_tag,
                        invitation.conference,
                        entropy,
                    );
                } else {
                    let answer = without_body(&request, status, reason_of(status), &to_tag, None);
                    self.respond(tx, answer);
                }
            }
        }
    }

    /// A NOTIFY of a REFER's implicit subscription carrying `status` as a sipfrag.
    fn notify_refer(&mut self, dialog: &mut Dialog, peer: Peer, status: u16, last: bool) {
        let mut bytes = Vec::new();
        let mut w = dialog.write_request_without_via(Method::Notify, &mut bytes);
        w.known(KnownHeader::Event, "refer");
        if last {
            w.known(
                KnownHeader::SubscriptionState,
                "terminated;reason=noresource",
            );
        } else {
            w.known(KnownHeader::SubscriptionState, "active;expires=60");
        }
        w.finish_with("message/sipfrag;version=2.0", sipfrag(status).as_bytes());
        self.send(peer, bytes, Sent::Notice);
    }
}

/// The conference URI of a Contact, without URI parameters (`;transport=tcp`).
fn contact_aor(contact: &str) -> &str {
    contact.split(';').next().unwrap_or(contact)
}
