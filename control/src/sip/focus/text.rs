//! Text conferences, the MTCU of DESIGN.md (issue 5 item 5): a MESSAGE (RFC 3428) to a
//! conference URI from one of its participants is copied to every other participant.
//!
//! - Who gets a copy: every other call in the conference (a user with two devices gets
//!   two). Each copy is a MESSAGE inside the participant's call dialog (RFC 3428 allows
//!   it), so it reaches the dialog's remote target over the flow the participant's INVITE
//!   came in on, and a UA files it with the call.
//! - Naming the author: the copy's From is the conference URI of the dialog with the
//!   author's user name as display name, `From: "alice" <sip:conf-7@host>;tag=...`.
//! - The sender gets `202 Accepted` at once. When every copy has been answered, a sender
//!   whose copies failed (any final status of 300 or more, or no answer in time) gets a
//!   MESSAGE from the conference (in its own call dialog, display name `conference`)
//!   whose text/plain body lists who missed it: `Not delivered to: bob (486 Busy Here),
//!   carol (408 Request Timeout)`.
//! - Only participants may send (403 otherwise); a conference nobody else is in takes the
//!   message (202) and copies it to nobody.
//!
//! Spawning a voice conference from a text conference: a MESSAGE to the conference URI
//! with `Content-Type: application/vnd.medianode.spawn` (any body, ignored) creates a new
//! conference (a new URI, a new participant list, fresh per-leg SDES keys) and INVITEs
//! every participant of the old one, the sender included, as an invitation does (the
//! delayed offer of [`super::invitation`]). The sender gets `202 Accepted` with the new
//! conference URI in Contact once it exists. The old conference goes on.

use std::time::Instant;

use medianode_dataplane::conference::ConferenceId;

use super::conference::{FocusConference, Keying};
use super::invitation::Report;
use super::outgoing::Sent;
use super::responses::{conference_contact, without_body};
use super::{Arrival, Entropy, Focus, MediaOutcome, MediaWork, Pending};
use crate::sip::dialog::DialogId;
use crate::sip::header::KnownHeader;
use crate::sip::message::response_for;
use crate::sip::policy::Action;
use crate::sip::registrar::Binding;
use crate::sip::router::ALLOW;
use crate::sip::transaction::{Peer, ServerTxId, TransportKind};
use crate::sip::{Message, Method};

/// The body type of a MESSAGE that asks for a voice conference with the same members.
pub const SPAWN_CONTENT_TYPE: &str = "application/vnd.medianode.spawn";

/// Names one fan-out of a MESSAGE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct DeliveryId(pub(super) u64);

/// Where a participant is reached: its user name, its dialog's remote target and URI,
/// the flow, and the node's conference URI in its dialog.
#[derive(Debug, Clone)]
pub(super) struct Member {
    dialog: DialogId,
    user: String,
    target: String,
    uri: String,
    peer: Peer,
}

/// One MESSAGE being copied to the other participants.
#[derive(Debug)]
pub(super) struct Delivery {
    author: Member,
    /// Copies not answered yet.
    outstanding: usize,
    /// Who missed it, with the status.
    failed: Vec<(String, u16)>,
}

/// A spawn request waiting for its new conference.
#[derive(Debug)]
pub(super) struct PendingSpawn {
    tx: ServerTxId,
    request: Message<Vec<u8>>,
    to_tag: String,
    arrival: Arrival,
    members: Vec<Member>,
}

fn reason_of(status: u16) -> &'static str {
    super::invitation::reason_of(status)
}

impl Focus {
    /// The members of `conference`, each device once.
    fn members(&self, conference: ConferenceId) -> Vec<Member> {
        let mut members: Vec<Member> = self
            .calls
            .values()
            .filter(|call| call.conference == conference)
            .map(|call| Member {
                dialog: call.dialog.id().clone(),
                user: call.user.clone(),
                target: call.dialog.remote_target().to_owned(),
                uri: call.dialog.remote_uri().to_owned(),
                peer: call.peer,
            })
            .collect();
        members.sort_by(|a, b| a.user.cmp(&b.user).then(a.target.cmp(&b.target)));
        members
    }

    /// A MESSAGE from authenticated `user`.
    pub fn on_message(
        &mut self,
        tx: ServerTxId,
        request: Message<Vec<u8>>,
        arrival: Arrival,
        user: &str,
        entropy: &mut dyn Entropy,
    ) {
        let to_tag = entropy.hex_id();
        let refuse = |focus: &mut Focus, status: u16, reason: &str, why: &str| {
            let answer = without_body(&request, status, reason, &to_tag, Some(why));
            focus.respond(tx, answer);
        };
        let Some(id) = self.target_conference(&request) else {
            return refuse(self, 404, "Not Found", "no such conference");
        };
        let room_command = request.content_type().is_some_and(|t| {
            super::room::ROOM_CONTROL_CONTENT_TYPE
                .split_once('/')
                .is_some_and(|(m, s)| t.is(m, s))
        });
        if room_command {
            return self.on_room_command(tx, &request, id, user, &to_tag, entropy);
        }
        let members = self.members(id);
        let Some(author) = members.iter().find(|m| m.user == user).cloned() else {
            return refuse(
                self,
                403,
                "Forbidden",
                "only participants may send to a conference",
            );
        };
        let spawn = request.content_type().is_some_and(|t| {
            SPAWN_CONTENT_TYPE
                .split_once('/')
                .is_some_and(|(m, s)| t.is(m, s))
        });
        if spawn {
            if !self.config.policy.allows(Action::Create, user) {
                let why = format!("{user} may not create conferences");
                return refuse(self, 403, "Forbidden", &why);
            }
            tracing::info!(conference = id.0, user, "spawning a voice conference");
            let pending = PendingSpawn {
                tx,
                request,
                to_tag,
                arrival,
                members,
            };
            let policy = self.config.selection;
            self.start_job(
                MediaWork::CreateConference {
                    policy,
                    mixer_key: None,
                },
                Pending::Spawn(Box::new(pending)),
            );
            return;
        }
        let mut out = Vec::new();
        let mut w = response_for(&request, 202, "Accepted", Some(&to_tag), &mut out);
        w.known(KnownHeader::Allow, ALLOW);
        w.finish(b"");
        self.respond(tx, out);
        let content_type = request
            .header(KnownHeader::ContentType)
            .unwrap_or("text/plain")
            .to_owned();
        self.next_delivery += 1;
        let delivery = DeliveryId(self.next_delivery);
        let recipients: Vec<Member> = members.into_iter().filter(|m| m.user != user).collect();
        let mut sent = 0;
        for member in &recipients {
            let Some(call) = self.calls.get_mut(&member.dialog) else {
                continue;
            };
            let mut bytes = Vec::new();
            call.dialog
                .write_request_named(Method::Message, user, &mut bytes)
                .finish_with(&content_type, request.body());
            self.send(
                member.peer,
                bytes,
                Sent::Copy {
                    delivery,
                    recipient: member.user.clone(),
                },
            );
            sent += 1;
        }
        tracing::debug!(
            conference = id.0,
            author = user,
            copies = sent,
            "text message fanned out"
        );
        if sent > 0 {
            self.deliveries.insert(
                delivery,
                Delivery {
                    author,
                    outstanding: sent,
                    failed: Vec::new(),
                },
            );
        }
    }

    /// One copy of a MESSAGE was answered (or timed out) with `status`.
    pub(super) fn copy_answered(&mut self, delivery: DeliveryId, recipient: String, status: u16) {
        let Some(pending) = self.deliveries.get_mut(&delivery) else {
            return;
        };
        pending.outstanding = pending.outstanding.saturating_sub(1);
        if status >= 300 {
            pending.failed.push((recipient, status));
        }
        if pending.outstanding > 0 {
            return;
        }
        let Some(done) = self.deliveries.remove(&delivery) else {
            return;
        };
        if done.failed.is_empty() {
            return;
        }
        let missed: Vec<String> = done
            .failed
            .iter()
            .map(|(user, status)| format!("{user} ({status} {})", reason_of(*status)))
            .collect();
        let text = format!("Not delivered to: {}\r\n", missed.join(", "));
        let author = done.author;
        let Some(call) = self.calls.get_mut(&author.dialog) else {
            return;
        };
        let mut bytes = Vec::new();
        call.dialog
            .write_request_named(Method::Message, "conference", &mut bytes)
            .finish_with("text/plain", text.as_bytes());
        tracing::info!(author = author.user.as_str(), %text, "text message not delivered to all");
        self.send(author.peer, bytes, Sent::Notice);
    }

    /// The spawned conference exists (or could not be created): INVITE every member.
    pub(super) fn spawn_done(
        &mut self,
        pending: PendingSpawn,
        outcome: MediaOutcome,
        now: Instant,
        entropy: &mut dyn Entropy,
    ) {
        let id = match outcome {
            MediaOutcome::Created(id) => id,
            other => {
                tracing::warn!(?other, "a spawned conference could not be created");
                let answer = without_body(
                    &pending.request,
                    503,
                    "Service Unavailable",
                    &pending.to_tag,
                    None,
                );
                return self.respond(pending.tx, answer);
            }
        };
        let deadline = now + self.config.empty_conference;
        self.conferences
            .insert(id, FocusConference::new(Keying::HopByHop, Some(deadline)));
        self.expiries.insert((deadline, id));
        let contact = conference_contact(&self.conference_user(id), &pending.arrival);
        let mut out = Vec::new();
        let mut w = response_for(
            &pending.request,
            202,
            "Accepted",
            Some(&pending.to_tag),
            &mut out,
        );
        w.known(KnownHeader::Contact, format_args!("<{contact}>"));
        w.finish(b"");
        self.respond(pending.tx, out);
        tracing::info!(
            conference = id.0,
            members = pending.members.len(),
            "voice conference spawned"
        );
        for member in pending.members {
            let source = format!(
                "{}:{}",
                match member.peer.transport {
                    TransportKind::Udp => "udp",
                    TransportKind::Tcp => "tcp",
                    TransportKind::Tls => "tls",
                },
                member.peer.addr
            );
            let binding = Binding {
                contact: member.target.clone(),
                expires_at: u64::MAX,
                call_id: String::new(),
                cseq: 0,
                q: None,
                source,
            };
            self.start_invitation(
                id,
                &member.uri,
                member.user,
                Report::Silent,
                &pending.arrival,
                &[binding],
                now,
                entropy,
            );
        }
    }
}
