//! Calls to phone numbers through the PSTN trunk (issue 6 item 5), sans-IO.
//!
//! An invitation whose invitee is a phone number ([`PstnRoute::number_of`]) is not a
//! registrar lookup: the focus adds a mixing leg first (the configured G.711 law,
//! telephone-event, the conference mix as what it receives, SRTP with a fresh key when the
//! trunk is configured for it, no remote yet), then sends the trunk an INVITE with an early
//! offer naming that leg's address ([`crate::sip::pstn::offer`]). The trunk's 2xx is
//! acknowledged and its answer changes the leg in place ([`MediaWork::ChangeLeg`]: the same
//! socket, now with the trunk's address, the law it chose and its key); an answer in a
//! provisional response is applied the same way before the call is answered, so the
//! network's ringback and announcements reach the conference (`trunk_answer.rs`). The
//! inviter hears the outcome like any invitation's: 200 once the leg took the answer, the
//! trunk's final status on failure, 408 when it does not answer within
//! `pstn.answer_timeout_secs`. An answered phone is a member of its conference (its
//! conference-info lists it, [`Focus::phones_in`]) but does not keep it alive.
//! A BYE from the trunk removes the leg; the end of the conference, or the leg's or the
//! conference's removal through the admin API, sends the trunk a BYE (or a CANCEL while
//! it still rings). The admin API starts calls here too ([`Focus::call_number`]).

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use medianode_dataplane::conference::{ConferenceId, LegId, Receive};
use medianode_dataplane::srtp::{SdesKey, SrtpPolicy};

use self::answer::EarlyMedia;
use super::call::fresh_sdes_key;
use super::conference::Keying;
use super::invitation::Invitation;
use super::outgoing::Sent;
use super::responses::conference_contact;
use super::{Arrival, Entropy, Focus, MediaOutcome, MediaWork, Pending};
use crate::admin::leg_request::{check_participant, LegMedia, LegRequest};
use crate::admin::HopByHopKeys;
use crate::sip::dialog::{Dialog, ViaSpec};
use crate::sip::header::KnownHeader;
use crate::sip::message::MessageWriter;
use crate::sip::pstn::offer::{write_trunk_offer, OfferCrypto, TELEPHONE_EVENT_PT};
use crate::sip::pstn::{G711Law, PhoneNumber, PstnRoute};
use crate::sip::router::ALLOW;
use crate::sip::transaction::outgoing::{peer_of_uri, with_via, OutgoingId};
use crate::sip::transaction::Peer;
use crate::sip::{Message, Method};

/// Names one call to the trunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct TrunkCallId(u64);

/// The focus's calls to the trunk, and the route they take.
#[derive(Debug, Default)]
pub(super) struct TrunkCalls {
    route: Option<PstnRoute>,
    calls: HashMap<TrunkCallId, TrunkCall>,
    /// When unanswered calls end with 408.
    deadlines: BTreeSet<(Instant, TrunkCallId)>,
    /// INVITEs cancelled while ringing, by request: a 2xx crossing the CANCEL is
    /// acknowledged and hung up.
    cancelled: HashMap<OutgoingId, Box<Message<Vec<u8>>>>,
    next: u64,
}

impl TrunkCalls {
    /// When the earliest unanswered call times out.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.first().map(|&(when, _)| when)
    }
}

/// What a media job of a trunk call was for.
#[derive(Debug)]
pub(super) enum TrunkJob {
    /// The leg the offer names was added.
    Added(TrunkCallId),
    /// The leg took the trunk's answer.
    Changed(TrunkCallId),
    /// The leg took the trunk's early answer (a provisional response's).
    Early(TrunkCallId),
}

/// Where a trunk call is.
#[derive(Debug)]
enum TrunkState {
    /// The leg is being added; the INVITE goes once its address is known.
    AddingLeg,
    /// The INVITE is out (kept to make the dialog and the CANCEL).
    Calling {
        invite: OutgoingId,
        request: Box<Message<Vec<u8>>>,
    },
    /// Answered: the leg is taking the answer.
    Answering { dialog: Box<Dialog> },
    /// Talking.
    Up { dialog: Box<Dialog> },
    /// Nothing more to send the trunk.
    Over,
}

/// One call to a phone number.
#[derive(Debug)]
struct TrunkCall {
    conference: ConferenceId,
    number: PhoneNumber,
    /// The inviter's report, until the outcome is known.
    invitation: Option<Invitation>,
    /// The node's Contact (the conference URI on the inviter's transport).
    contact: String,
    tx_key: Option<SdesKey>,
    /// In an end-to-end conference, the SSRC the phone is relayed under.
    mix_ssrc: Option<u32>,
    leg: Option<LegId>,
    /// The answer of a provisional response the leg took (or is taking).
    early: Option<EarlyMedia>,
    state: TrunkState,
    deadline: Instant,
    session_id: u64,
}

impl Focus {
    /// Routes phone numbers to `route`'s trunk (`None`: numbers are unknown users).
    pub fn set_pstn_route(&mut self, route: Option<PstnRoute>) {
        self.trunk.route = route;
    }

    /// The phone number `invitee_uri` calls, when a trunk is configured.
    pub(super) fn trunk_number(&self, invitee_uri: &str) -> Option<PhoneNumber> {
        self.trunk.route.as_ref()?.number_of(invitee_uri)
    }

    /// Calls `to` (a phone number) into `conference` for the admin API; `arrival` names
    /// the node's own SIP address for Contact. Returns the call's id, or the status and
    /// reason it was refused with: 404 for an unknown conference or without a trunk, 400
    /// when `to` is not a phone number.
    pub fn call_number(
        &mut self,
        conference: ConferenceId,
        to: &str,
        arrival: &Arrival,
        now: Instant,
        entropy: &mut dyn Entropy,
    ) -> Result<u64, (u16, String)> {
        if !self.knows(conference) {
            return Err((404, format!("unknown conference \"{}\"", conference.0)));
        }
        let Some(route) = &self.trunk.route else {
            return Err((404, "no PSTN trunk is configured (pstn.trunk)".to_owned()));
        };
        let Some(number) = route.number_of(to) else {
            return Err((400, format!("{to:?} is not a phone number")));
        };
        let invitation = Invitation::unreported(conference, number.to_string(), now);
        self.start_trunk_call(invitation, number, arrival, now, entropy)
            .map(|id| id.0)
            .ok_or_else(|| (500, "the call could not be started".to_owned()))
    }

    /// Starts calling `number` for `invitation`: the leg first, the INVITE when it is there.
    pub(super) fn start_trunk_call(
        &mut self,
        invitation: Invitation,
        number: PhoneNumber,
        arrival: &Arrival,
        now: Instant,
        entropy: &mut dyn Entropy,
    ) -> Option<TrunkCallId> {
        let Some(route) = self.trunk.route.clone() else {
            self.finish_invitation(invitation, 404, entropy);
            return None;
        };
        let conference = invitation.conference;
        // In an end-to-end conference the phone hears the mix, and the end-to-end
        // participants hear the phone relayed under the conference key, under an SSRC
        // claimed for it.
        let mix_ssrc = match self.conferences.get_mut(&conference).map(|c| &mut c.keying) {
            Some(Keying::EndToEnd(key)) => match key.claim_mix_minus(entropy) {
                Some(ssrc) => Some(ssrc),
                None => {
                    self.finish_invitation(invitation, 500, entropy);
                    return None;
                }
            },
            _ => None,
        };
        let tx_key = match route.srtp {
            Some(suite) => match fresh_sdes_key(suite, entropy) {
                Some(key) => Some(key),
                None => {
                    self.finish_invitation(invitation, 500, entropy);
                    return None;
                }
            },
            None => None,
        };
        let Ok(leg) = trunk_leg(route.law, tx_key.as_ref(), &number, mix_ssrc) else {
            self.finish_invitation(invitation, 500, entropy);
            return None;
        };
        self.trunk.next += 1;
        let id = TrunkCallId(self.trunk.next);
        let deadline = now + route.answer_timeout;
        tracing::info!(
            conference = conference.0,
            number = number.as_str(),
            "calling a phone number through the trunk"
        );
        self.trunk.calls.insert(
            id,
            TrunkCall {
                conference,
                number,
                invitation: Some(invitation),
                contact: conference_contact(&self.conference_user(conference), arrival),
                tx_key,
                mix_ssrc,
                leg: None,
                early: None,
                state: TrunkState::AddingLeg,
                deadline,
                session_id: entropy.next_u64() >> 1,
            },
        );
        self.trunk.deadlines.insert((deadline, id));
        self.start_job(
            MediaWork::AddLeg {
                conference,
                request: Box::new(leg),
            },
            Pending::Trunk(TrunkJob::Added(id)),
        );
        Some(id)
    }

    /// A media job of a trunk call ended.
    pub(super) fn trunk_media_done(
        &mut self,
        job: TrunkJob,
        outcome: MediaOutcome,
        entropy: &mut dyn Entropy,
    ) {
        match job {
            TrunkJob::Added(id) => self.trunk_leg_added(id, outcome, entropy),
            TrunkJob::Early(id) => self.trunk_early_done(id, outcome),
            TrunkJob::Changed(id) => {
                let Some(call) = self.trunk.calls.get_mut(&id) else {
                    return;
                };
                match outcome {
                    MediaOutcome::Added(_) => {
                        if let TrunkState::Answering { dialog } =
                            std::mem::replace(&mut call.state, TrunkState::Over)
                        {
                            call.state = TrunkState::Up { dialog };
                        }
                        tracing::info!(
                            conference = call.conference.0,
                            number = call.number.as_str(),
                            "the phone joined"
                        );
                        if let Some(invitation) = call.invitation.take() {
                            self.finish_invitation(invitation, 200, entropy);
                        }
                    }
                    other => {
                        tracing::warn!(?other, "the trunk's answer could not be applied");
                        self.end_trunk_call(id, 500, entropy);
                    }
                }
            }
        }
    }

    fn trunk_leg_added(
        &mut self,
        id: TrunkCallId,
        outcome: MediaOutcome,
        entropy: &mut dyn Entropy,
    ) {
        let added = match outcome {
            MediaOutcome::Added(added) => added,
            other => {
                tracing::warn!(?other, "the leg of a PSTN call could not be added");
                return self.end_trunk_call(id, 500, entropy);
            }
        };
        let Some(route) = self.trunk.route.clone() else {
            return;
        };
        let Some(call) = self.trunk.calls.get_mut(&id) else {
            // The call ended while its leg was being added.
            self.start_job(MediaWork::RemoveLeg { leg: added.leg }, Pending::Cleanup);
            return;
        };
        call.leg = Some(added.leg);
        let key_text = call.tx_key.as_ref().map(ToString::to_string);
        let crypto = match (route.srtp, key_text.as_deref()) {
            (Some(suite), Some(key)) => Some(OfferCrypto { suite, key }),
            _ => None,
        };
        let sdp = write_trunk_offer(added.local, route.law, crypto, call.session_id);
        let uri = route.request_uri(&call.number);
        let aor = call.contact.split(';').next().unwrap_or(&call.contact);
        let mut bytes = Vec::new();
        let mut w = MessageWriter::request(&mut bytes, Method::Invite, &uri);
        w.known(KnownHeader::MaxForwards, 70);
        w.known(
            KnownHeader::From,
            format_args!("<{aor}>;tag={}", entropy.hex_id()),
        );
        w.known(KnownHeader::To, format_args!("<{uri}>"));
        w.known(
            KnownHeader::CallId,
            format_args!("{}@medianode", entropy.hex_id()),
        );
        w.known(KnownHeader::CSeq, "1 INVITE");
        w.known(KnownHeader::Contact, format_args!("<{}>", call.contact));
        w.known(KnownHeader::Allow, ALLOW);
        w.finish_with("application/sdp", sdp.as_bytes());
        // The shell adds the real Via; this copy is only read for the dialog and CANCEL.
        let placeholder = ViaSpec {
            transport: "UDP",
            sent_by: "invalid",
            branch: "z9hG4bKtrunk",
        };
        let parsed = with_via(&bytes, &placeholder).map(Message::new_checked);
        let (Some(Ok(request)), Some(peer)) =
            (parsed, peer_of_uri(&format!("sip:{}", route.trunk)))
        else {
            return self.end_trunk_call(id, 500, entropy);
        };
        let invite = self.send(peer, bytes, Sent::Trunk(id));
        if let Some(call) = self.trunk.calls.get_mut(&id) {
            call.state = TrunkState::Calling {
                invite,
                request: Box::new(request),
            };
        }
    }

    fn trunk_peer(&self) -> Option<Peer> {
        peer_of_uri(&format!("sip:{}", self.trunk.route.as_ref()?.trunk))
    }

    /// The phones that answered calls into `conference`: the URI each was called at
    /// (`sip:+15550100@trunk.example;user=phone`) and its gateway leg, sorted by URI.
    /// They are members for the conference-info documents; they do not keep a
    /// conference alive (its last other participant ends it and hangs them up).
    pub fn phones_in(&self, conference: ConferenceId) -> Vec<(String, Option<LegId>)> {
        let Some(route) = &self.trunk.route else {
            return Vec::new();
        };
        let mut phones: Vec<(String, Option<LegId>)> = self
            .trunk
            .calls
            .values()
            .filter(|call| call.conference == conference)
            .filter(|call| matches!(call.state, TrunkState::Up { .. }))
            .map(|call| (route.request_uri(&call.number), call.leg))
            .collect();
        phones.sort();
        phones
    }

    /// Trunk calls in progress or up.
    pub fn trunk_call_count(&self) -> usize {
        self.trunk.calls.len()
    }
}

/// The gateway leg of `law` to `number`: the mix, telephone-event, `media`, and in an
/// end-to-end conference the SSRC it is relayed under; the number names the leg's
/// participant in the admin API.
fn trunk_request(
    law: G711Law,
    telephone_event: Option<u8>,
    media: LegMedia,
    number: &PhoneNumber,
    mix_ssrc: Option<u32>,
) -> Result<LegRequest, String> {
    let mut request = LegRequest::new(
        law.encoding(),
        Some(law.payload_type()),
        telephone_event,
        media,
    )
    .map(|request| request.with_receive(Receive::Mix))
    .map_err(|(field, problem)| format!("{field}: {problem}"))?;
    if let Some(ssrc) = mix_ssrc {
        request = request.with_mix_ssrc(ssrc);
    }
    if check_participant(number.as_str()).is_err() {
        // A number a participant id cannot carry leaves the leg unnamed, not unplaced.
        return Ok(request);
    }
    request
        .with_participant(number.as_str())
        .map_err(|(field, problem)| format!("{field}: {problem}"))
}

/// The leg added before the offer: the configured law, no remote yet; on an SRTP trunk
/// it sends with `tx_key` and, until the answer brings the trunk's key, accepts nothing
/// (its receiving key is the node's own, which no trunk sends with).
fn trunk_leg(
    law: G711Law,
    tx_key: Option<&SdesKey>,
    number: &PhoneNumber,
    mix_ssrc: Option<u32>,
) -> Result<LegRequest, String> {
    let media = match tx_key {
        Some(tx) => LegMedia::HopByHop(Box::new(HopByHopKeys {
            suite: tx.master_key.suite(),
            rx: SrtpPolicy::new(tx.master_key.clone()),
            tx: tx.clone(),
            tx_policy: SrtpPolicy::new(tx.master_key.clone()),
        })),
        None => LegMedia::Plain,
    };
    trunk_request(law, Some(TELEPHONE_EVENT_PT), media, number, mix_ssrc)
}

#[path = "trunk_answer.rs"]
mod answer;

#[path = "trunk_hangup.rs"]
mod hangup;

#[cfg(test)]
#[path = "trunk_call_tests.rs"]
mod tests;
