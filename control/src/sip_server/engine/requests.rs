//! What the engine does with a request the transaction layer hands up: OPTIONS answered at
//! once, REGISTER through the digest gate to the registrar and the database, INVITE, BYE
//! and CANCEL to the conference focus, anything else 405.

use std::time::Instant;

use super::{transport_name, unix_now, Engine};
use crate::sip::focus::{invitee_of, Arrival, Entropy, Focus};
use crate::sip::gate::GateDecision;
use crate::sip::header::KnownHeader;
use crate::sip::message::response_for;
use crate::sip::registrar::{self, Binding, RegisterError};
use crate::sip::router::{options_ok, route, Route, ALLOW};
use crate::sip::transaction::{Peer, ServerTxId};
use crate::sip::Message;
use crate::sip_server::store::lock;

impl Engine {
    pub(super) fn respond(&mut self, transaction: ServerTxId, response: Vec<u8>, now: Instant) {
        crate::metrics::sip::SERVER.record_response(&response);
        if let Err(error) = self.parts.transactions.respond(transaction, response, now) {
            tracing::debug!(%error, "response not sent");
        }
    }

    pub(super) fn on_request(
        &mut self,
        tx: ServerTxId,
        request: Message<Vec<u8>>,
        arrival: Arrival,
        now: Instant,
    ) {
        let tag = self.entropy.hex_id();
        match route(&request) {
            Route::Options => {
                let answer = options_ok(&request, &tag);
                self.respond(tx, answer, now);
            }
            Route::Register => self.register(tx, &request, arrival.peer, &tag, now),
            Route::Invite => {
                let Some(user) = self.authenticate(tx, &request, &tag, now) else {
                    return;
                };
                self.adopt_target(&request);
                if let Some((_, invitee)) = invitee_of(&request) {
                    let bindings = self.bindings_of(&invitee);
                    self.parts.focus.on_invitation_invite(
                        tx,
                        request,
                        arrival,
                        &user,
                        &bindings,
                        now,
                        &mut self.entropy,
                    );
                    return;
                }
                self.parts
                    .focus
                    .on_initial_invite(tx, request, arrival, &user, &mut self.entropy);
            }
            Route::Reinvite => {
                self.parts
                    .focus
                    .on_reinvite(tx, request, &arrival, &mut self.entropy)
            }
            Route::Bye => self.parts.focus.on_bye(tx, request),
            Route::Cancel => match self.parts.transactions.invite_for_cancel(&request) {
                Some(invite) => {
                    let answer = simple_response(&request, 200, "OK", &tag, None);
                    self.respond(tx, answer, now);
                    self.parts.focus.on_cancel(invite);
                }
                None => {
                    let answer = simple_response(
                        &request,
                        481,
                        "Call/Transaction Does Not Exist",
                        &tag,
                        None,
                    );
                    self.respond(tx, answer, now);
                }
            },
            Route::Ack => {}
            Route::Subscribe => self.subscribe(tx, request, arrival, &tag, now),
            Route::Message => {
                let Some(user) = self.authenticate(tx, &request, &tag, now) else {
                    return;
                };
                self.adopt_target(&request);
                self.parts
                    .focus
                    .on_message(tx, request, arrival, &user, &mut self.entropy);
            }
            Route::Refer => {
                let Some(user) = self.authenticate(tx, &request, &tag, now) else {
                    return;
                };
                self.adopt_target(&request);
                let bindings = invitee_of(&request)
                    .map(|(_, invitee)| self.bindings_of(&invitee))
                    .unwrap_or_default();
                self.parts.focus.on_refer(
                    tx,
                    request,
                    arrival,
                    &user,
                    &bindings,
                    now,
                    &mut self.entropy,
                );
            }
            _ => {
                let answer =
                    simple_response(&request, 405, "Method Not Allowed", &tag, Some(ALLOW));
                self.respond(tx, answer, now);
            }
        }
    }

    /// The live registered contacts of `user` (none when the database fails).
    pub(super) fn bindings_of(&self, user: &str) -> Vec<Binding> {
        match lock(&self.parts.store).bindings(user, unix_now()) {
            Ok(bindings) => bindings,
            Err(error) => {
                tracing::error!(%error, "cannot read a user's registrations");
                Vec::new()
            }
        }
    }

    /// A conference the admin API created becomes joinable through SIP on first use.
    fn adopt_target(&mut self, request: &Message<Vec<u8>>) {
        let id = request.request_uri().and_then(|uri| {
            uri.as_sip()?
                .user()
                .and_then(Focus::conference_of_user_part)
        });
        if let Some(id) = id {
            if !self.parts.focus.knows(id) {
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
    }

    /// The digest gate; answers the request itself unless it passes.
    pub(super) fn authenticate(
        &mut self,
        tx: ServerTxId,
        request: &Message<Vec<u8>>,
        tag: &str,
        now: Instant,
    ) -> Option<String> {
        let mut salt = [0u8; 8];
        self.entropy.fill(&mut salt);
        let store = self.parts.store.clone();
        let realm = self.parts.realm.clone();
        let decision =
            self.parts.gate.check(
                request,
                unix_now(),
                salt,
                tag,
                |user, algorithm| match lock(&store).ha1(user, &realm, algorithm) {
                    Ok(found) => found,
                    Err(error) => {
                        tracing::error!(%error, "cannot read a user's credentials");
                        None
                    }
                },
            );
        match decision {
            GateDecision::Pass { user } => Some(user),
            GateDecision::Answer { status, response } => {
                if status == 403 {
                    tracing::info!(
                        peer = %request.top_via().map(|v| v.sent_by().to_string()).unwrap_or_default(),
                        method = %request.method(),
                        "wrong credentials"
                    );
                }
                self.respond(tx, response, now);
                None
            }
        }
    }

    fn register(
        &mut self,
        tx: ServerTxId,
        request: &Message<Vec<u8>>,
        peer: Peer,
        tag: &str,
        now: Instant,
    ) {
        let user = if self.parts.gate.register_is_open() {
            registrar::address_of_record(request)
        } else {
            self.authenticate(tx, request, tag, now)
        };
        let Some(user) = user else {
            if self.parts.gate.register_is_open() {
                let answer = simple_response(request, 400, "Bad Request", tag, None);
                self.respond(tx, answer, now);
            }
            return;
        };
        let Some(aor) = registrar::address_of_record(request) else {
            let answer = simple_response(request, 400, "Bad Request", tag, None);
            return self.respond(tx, answer, now);
        };
        if aor != user {
            let answer = simple_response(request, 403, "Forbidden", tag, None);
            return self.respond(tx, answer, now);
        }
        let unix = unix_now();
        let source = format!("{}:{}", transport_name(peer.transport), peer.addr);
        let outcome = {
            let mut store = lock(&self.parts.store);
            store
                .bindings(&aor, unix)
                .map_err(|e| e.to_string())
                .and_then(|existing| {
                    match registrar::plan(request, &existing, self.parts.limits, unix, &source) {
                        Ok(changes) => {
                            store.apply(&aor, &changes).map_err(|e| e.to_string())?;
                            let after = store.bindings(&aor, unix).map_err(|e| e.to_string())?;
                            Ok(Ok((changes.len(), after)))
                        }
                        Err(refusal) => Ok(Err(refusal)),
                    }
                })
        };
        let answer = match outcome {
            Ok(Ok((changed, bindings))) => {
                if changed > 0 {
                    tracing::info!(user = aor.as_str(), bindings = bindings.len(), %source, "registered");
                    self.parts.subscriptions.registrations_changed(&aor);
                }
                let mut out = Vec::new();
                registrar::write_ok(request, &bindings, unix, tag, &mut out);
                out
            }
            Ok(Err(refusal)) => {
                let (status, reason) = refusal.status();
                let mut out = Vec::new();
                let mut w = response_for(request, status, reason, Some(tag), &mut out);
                if let RegisterError::IntervalTooBrief { min } = refusal {
                    w.known(KnownHeader::MinExpires, min);
                }
                w.known(
                    KnownHeader::Warning,
                    format_args!("399 medianode \"{refusal}\""),
                );
                w.finish(b"");
                out
            }
            Err(error) => {
                tracing::error!(%error, "the registrar's database failed");
                simple_response(request, 500, "Server Internal Error", tag, None)
            }
        };
        self.respond(tx, answer, now);
    }

    pub(super) fn purge_registrations(&mut self) {
        match lock(&self.parts.store).purge_expired(unix_now()) {
            Ok(0) => {}
            Ok(n) => {
                tracing::debug!(expired = n, "expired registrations removed");
                self.parts.subscriptions.all_registrations_changed();
            }
            Err(error) => tracing::warn!(%error, "cannot remove expired registrations"),
        }
    }
}

/// A response without body, with Allow when given.
fn simple_response(
    request: &Message<Vec<u8>>,
    status: u16,
    reason: &str,
    tag: &str,
    allow: Option<&str>,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = response_for(request, status, reason, Some(tag), &mut out);
    if let Some(allow) = allow {
        w.known(KnownHeader::Allow, allow);
    }
    w.finish(b"");
    out
}
