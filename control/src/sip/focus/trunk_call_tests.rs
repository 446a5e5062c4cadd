//! Trunk calls driven by hand: a REFER naming a phone number in, the leg job, the INVITE
//! to the trunk, its answer, the in-place leg change and the inviter's NOTIFYs out.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use medianode_dataplane::conference::{ConferenceId, LegId, Receive, SelectionPolicy};
use medianode_dataplane::srtp::SrtpSuite;

use super::super::*;
use crate::admin::leg_request::LegMedia;
use crate::admin::AddedLeg;
use crate::sip::header::KnownHeader;
use crate::sip::pstn::PstnRoute;
use crate::sip::transaction::outgoing::{with_via, OutgoingResult};
use crate::sip::transaction::{Peer, ServerTxId, TransportKind};
use crate::sip::{Message, Method};

const TRUNK: &str = "192.0.2.50:5070";
const LEG_LOCAL: &str = "127.0.0.1:21000";

struct Counter(u8);

impl Entropy for Counter {
    fn fill(&mut self, bytes: &mut [u8]) {
        for b in bytes {
            self.0 = self.0.wrapping_add(1);
            *b = self.0;
        }
    }
}

fn focus_with(pstn: &str) -> Focus {
    let mut focus = Focus::new(FocusConfig {
        factory_user: "conference".to_owned(),
        policy: crate::sip::policy::Policy::default(),
        allow_plain_keys: true,
        conference_suite: SrtpSuite::AesCm128HmacSha1_80,
        empty_conference: Duration::from_secs(30),
        selection: SelectionPolicy::default(),
    });
    let config = crate::config::Config::from_toml_str(pstn, "test").unwrap();
    focus.set_pstn_route(PstnRoute::from_config(&config.pstn));
    focus.adopt(ConferenceId(7));
    focus
}

fn plain_trunk() -> Focus {
    focus_with(&format!("[pstn]\ntrunk = \"{TRUNK}\"\n"))
}

fn srtp_trunk() -> Focus {
    focus_with(&format!(
        "[pstn]\ntrunk = \"{TRUNK}\"\nsrtp = \"AES_CM_128_HMAC_SHA1_80\"\n"
    ))
}

/// Bob's REFER naming +15550100 (what follows is the test's to check).
fn refer_number(focus: &mut Focus, entropy: &mut Counter, now: Instant) {
    focus.on_refer(
        tx(1),
        refer("tel:+15550100"),
        arrival(),
        "bob",
        &[],
        now,
        entropy,
    );
}

#[derive(Default)]
struct Emitted {
    responses: Vec<(ServerTxId, Message<Vec<u8>>)>,
    jobs: Vec<MediaJob>,
    sent: Vec<(OutgoingRequest, Message<Vec<u8>>)>,
    cancelled: Vec<OutgoingId>,
}

fn drain(focus: &mut Focus) -> Emitted {
    let mut emitted = Emitted::default();
    let via = crate::sip::dialog::ViaSpec {
        transport: "UDP",
        sent_by: "127.0.0.1:5060",
        branch: "z9hG4bKtest",
    };
    while let Some(output) = focus.poll_output() {
        match output {
            FocusOutput::Respond {
                transaction,
                response,
            } => emitted
                .responses
                .push((transaction, Message::new_checked(response).unwrap())),
            FocusOutput::Media(job) => emitted.jobs.push(job),
            FocusOutput::Send(request) => {
                let bytes = with_via(&request.request, &via).unwrap();
                emitted
                    .sent
                    .push((request, Message::new_checked(bytes).unwrap()));
            }
            FocusOutput::Cancel(id) => emitted.cancelled.push(id),
            FocusOutput::StoreRoom(_) | FocusOutput::ForgetRoom(_) => {}
        }
    }
    emitted
}

fn refer(target: &str) -> Message<Vec<u8>> {
    let text = format!(
        "REFER sip:conf-7@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bKref\r\n\
         To: <sip:conf-7@127.0.0.1:5060>\r\nFrom: <sip:bob@example.com>;tag=b1\r\n\
         Call-ID: refer-1\r\nCSeq: 1 REFER\r\nContact: <sip:bob@192.0.2.7>\r\n\
         Refer-To: <{target}>\r\nContent-Length: 0\r\n\r\n"
    );
    Message::new_checked(text.into_bytes()).unwrap()
}

fn arrival() -> Arrival {
    Arrival {
        peer: Peer {
            addr: "192.0.2.7:5060".parse().unwrap(),
            transport: TransportKind::Udp,
        },
        host: "127.0.0.1:5060".to_owned(),
    }
}

fn sipfrag(notify: &Message<Vec<u8>>) -> String {
    assert_eq!(notify.method(), Method::Notify);
    String::from_utf8_lossy(notify.body()).trim_end().to_owned()
}

/// The trunk's response to the node's INVITE.
fn trunk_answer(invite: &Message<Vec<u8>>, status: u16, sdp: &str) -> Message<Vec<u8>> {
    let header = |name| invite.header(name).unwrap();
    let content_type = if sdp.is_empty() {
        ""
    } else {
        "Content-Type: application/sdp\r\n"
    };
    let text = format!(
        "SIP/2.0 {status} X\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag=gw1\r\nCall-ID: {}\r\n\
         CSeq: 1 INVITE\r\nContact: <sip:gw@{TRUNK}>\r\n{content_type}Content-Length: {}\r\n\r\n{sdp}",
        header(KnownHeader::Via),
        header(KnownHeader::From),
        header(KnownHeader::To),
        invite.call_id(),
        sdp.len()
    );
    Message::new_checked(text.into_bytes()).unwrap()
}

fn answer_sdp(pt: u8, name: &str, extra: &str) -> String {
    let proto = if extra.is_empty() {
        "RTP/AVP"
    } else {
        "RTP/SAVP"
    };
    format!(
        "v=0\r\no=gw 1 1 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 192.0.2.51\r\nt=0 0\r\n\
         m=audio 30000 {proto} {pt} 101\r\na=rtpmap:{pt} {name}/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\n{extra}"
    )
}

/// A REFER of `number` into conference 7: the 202 and NOTIFY 100, the leg job (checked),
/// its outcome, and the INVITE to the trunk (checked); returns the INVITE.
fn call_number(
    focus: &mut Focus,
    entropy: &mut Counter,
    now: Instant,
    number: &str,
) -> (OutgoingRequest, Message<Vec<u8>>) {
    focus.on_refer(tx(1), refer(number), arrival(), "bob", &[], now, entropy);
    let mut emitted = drain(focus);
    assert_eq!(emitted.responses[0].1.status(), Some(202));
    assert_eq!(sipfrag(&emitted.sent[0].1), "SIP/2.0 100 Trying");
    assert_eq!(emitted.jobs.len(), 1);
    let job = emitted.jobs.remove(0);
    let MediaWork::AddLeg {
        conference,
        request,
    } = job.work
    else {
        panic!("expected a leg, got {:?}", job.work);
    };
    assert_eq!(conference, ConferenceId(7));
    assert_eq!(request.codec_name, "PCMA");
    assert_eq!(request.telephone_event, Some(101));
    assert_eq!(request.receive, Receive::Mix);
    assert_eq!(request.remote, None);
    let added = AddedLeg {
        leg: LegId(3),
        local: LEG_LOCAL.parse().unwrap(),
    };
    focus.on_media_done(job.id, MediaOutcome::Added(added), now, entropy);
    let mut emitted = drain(focus);
    assert_eq!(emitted.sent.len(), 1, "one INVITE");
    let (request, invite) = emitted.sent.remove(0);
    assert_eq!(invite.method(), Method::Invite);
    assert_eq!(request.peer.addr, TRUNK.parse::<SocketAddr>().unwrap());
    assert!(!request.stateless);
    let body = String::from_utf8_lossy(invite.body()).into_owned();
    assert!(body.contains("m=audio 21000 RTP/AVP 8 0 101\r\n"), "{body}");
    assert!(body.contains("c=IN IP4 127.0.0.1\r\n"), "{body}");
    // Early media needs no reliable provisional responses: 100rel is not asked for.
    for name in [KnownHeader::Supported, KnownHeader::Require] {
        let values: Vec<&str> = invite.header_values(name).collect();
        assert!(!values.iter().any(|v| v.contains("100rel")), "{values:?}");
    }
    (request, invite)
}

fn tx(n: u64) -> ServerTxId {
    ServerTxId(n)
}

#[test]
fn a_called_number_rings_the_trunk_and_its_answer_changes_the_leg_in_place() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = plain_trunk();
    let (request, invite) = call_number(&mut focus, &mut entropy, now, "tel:+1-555-0100");
    let uri = invite.request_uri().unwrap();
    assert_eq!(uri.as_str(), format!("sip:+15550100@{TRUNK};user=phone"));
    assert!(invite
        .header(KnownHeader::From)
        .unwrap()
        .contains("conf-7@"));

    // A 180 changes nothing; the 200 (PCMU, the other law) is acknowledged at once.
    let ringing = trunk_answer(&invite, 180, "");
    focus.on_outgoing_result(request.id, OutgoingResult::Response(ringing), &mut entropy);
    assert!(focus.poll_output().is_none());
    let ok = trunk_answer(&invite, 200, &answer_sdp(0, "PCMU", ""));
    focus.on_outgoing_result(request.id, OutgoingResult::Response(ok), &mut entropy);
    let mut emitted = drain(&mut focus);
    assert_eq!(emitted.sent.len(), 1);
    let (ack_request, ack) = &emitted.sent[0];
    assert!(ack_request.stateless);
    assert_eq!(ack.method(), Method::Ack);
    assert_eq!(ack.to_tag(), Some("gw1"));
    let job = emitted.jobs.remove(0);
    let MediaWork::ChangeLeg {
        leg,
        request: leg_request,
    } = job.work
    else {
        panic!("expected a change in place, got {:?}", job.work);
    };
    assert_eq!(leg, LegId(3));
    assert_eq!(leg_request.codec_name, "PCMU");
    assert_eq!(leg_request.payload_type, 0);
    assert_eq!(leg_request.receive, Receive::Mix);
    assert_eq!(
        leg_request.remote,
        Some("192.0.2.51:30000".parse().unwrap())
    );
    assert!(matches!(leg_request.media, LegMedia::Plain));
    // The inviter hears 200 once the leg took the answer.
    let added = AddedLeg {
        leg: LegId(3),
        local: LEG_LOCAL.parse().unwrap(),
    };
    focus.on_media_done(job.id, MediaOutcome::Added(added), now, &mut entropy);
    let emitted = drain(&mut focus);
    assert_eq!(sipfrag(&emitted.sent[0].1), "SIP/2.0 200 OK");
    assert_eq!(focus.trunk_call_count(), 1);

    // The phone hangs up: 200 to its BYE, and the leg goes.
    let bye = format!(
        "BYE sip:conf-7@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP {TRUNK};branch=z9hG4bKbye\r\n\
         From: {};tag=gw1\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n",
        invite.header(KnownHeader::To).unwrap(),
        invite.header(KnownHeader::From).unwrap(),
        invite.call_id()
    );
    focus.on_bye(tx(9), Message::new_checked(bye.into_bytes()).unwrap());
    let emitted = drain(&mut focus);
    assert_eq!(emitted.responses.len(), 1);
    assert_eq!(emitted.responses[0].1.status(), Some(200));
    assert!(matches!(
        emitted.jobs[0].work,
        MediaWork::RemoveLeg { leg: LegId(3) }
    ));
    assert_eq!(focus.trunk_call_count(), 0);
}

#[test]
fn a_busy_trunk_removes_the_leg_and_reports_its_status() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = plain_trunk();
    let (request, invite) = call_number(&mut focus, &mut entropy, now, "sip:+4930123456@x");
    let busy = trunk_answer(&invite, 486, "");
    focus.on_outgoing_result(request.id, OutgoingResult::Response(busy), &mut entropy);
    let emitted = drain(&mut focus);
    assert!(matches!(
        emitted.jobs[0].work,
        MediaWork::RemoveLeg { leg: LegId(3) }
    ));
    assert_eq!(sipfrag(&emitted.sent[0].1), "SIP/2.0 486 Busy Here");
    assert_eq!(focus.trunk_call_count(), 0);
}

#[test]
fn an_unanswered_call_is_cancelled_at_the_answer_timeout_with_408() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = focus_with(&format!(
        "[pstn]\ntrunk = \"{TRUNK}\"\nanswer_timeout_secs = 5\n"
    ));
    let (request, invite) = call_number(&mut focus, &mut entropy, now, "tel:+15550100");
    assert_eq!(focus.poll_timeout(), Some(now + Duration::from_secs(5)));
    focus.expire_invitations(now + Duration::from_secs(4), &mut entropy);
    assert!(focus.poll_output().is_none());
    focus.expire_invitations(now + Duration::from_secs(5), &mut entropy);
    let emitted = drain(&mut focus);
    assert_eq!(emitted.cancelled, [request.id]);
    assert!(matches!(
        emitted.jobs[0].work,
        MediaWork::RemoveLeg { leg: LegId(3) }
    ));
    assert_eq!(sipfrag(&emitted.sent[0].1), "SIP/2.0 408 Request Timeout");
    // A 200 crossing the CANCEL is acknowledged and hung up.
    let late = trunk_answer(&invite, 200, &answer_sdp(8, "PCMA", ""));
    focus.on_outgoing_result(request.id, OutgoingResult::Response(late), &mut entropy);
    let emitted = drain(&mut focus);
    let methods: Vec<Method<'_>> = emitted.sent.iter().map(|(_, m)| m.method()).collect();
    assert_eq!(methods, [Method::Ack, Method::Bye]);
    assert!(emitted.jobs.is_empty());
}

#[test]
fn an_srtp_trunk_gets_a_key_and_must_answer_with_one() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = srtp_trunk();
    refer_number(&mut focus, &mut entropy, now);
    let mut emitted = drain(&mut focus);
    let job = emitted.jobs.remove(0);
    let MediaWork::AddLeg { request, .. } = &job.work else {
        panic!("expected a leg");
    };
    assert!(matches!(request.media, LegMedia::HopByHop(_)));
    let added = AddedLeg {
        leg: LegId(3),
        local: LEG_LOCAL.parse().unwrap(),
    };
    focus.on_media_done(job.id, MediaOutcome::Added(added), now, &mut entropy);
    let emitted = drain(&mut focus);
    let (request, invite) = &emitted.sent[0];
    let body = String::from_utf8_lossy(invite.body()).into_owned();
    assert!(body.contains("RTP/SAVP 8 0 101"), "{body}");
    assert!(
        body.contains("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"),
        "{body}"
    );
    // A plain answer to an SRTP offer: ACK, BYE, leg removed, 488 to the inviter.
    let plain = trunk_answer(invite, 200, &answer_sdp(8, "PCMA", ""));
    focus.on_outgoing_result(request.id, OutgoingResult::Response(plain), &mut entropy);
    let emitted = drain(&mut focus);
    let methods: Vec<Method<'_>> = emitted.sent.iter().map(|(_, m)| m.method()).collect();
    assert_eq!(methods, [Method::Ack, Method::Bye, Method::Notify]);
    assert_eq!(
        sipfrag(&emitted.sent[2].1),
        "SIP/2.0 488 Not Acceptable Here"
    );
    assert!(matches!(
        emitted.jobs[0].work,
        MediaWork::RemoveLeg { leg: LegId(3) }
    ));
}

#[test]
fn the_end_of_the_conference_hangs_up_and_without_a_trunk_numbers_are_unknown() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = plain_trunk();
    let (request, invite) = call_number(&mut focus, &mut entropy, now, "tel:+15550100");
    let ok = trunk_answer(&invite, 200, &answer_sdp(8, "PCMA", ""));
    focus.on_outgoing_result(request.id, OutgoingResult::Response(ok), &mut entropy);
    let _ = drain(&mut focus);
    focus.end_conference(ConferenceId(7));
    let emitted = drain(&mut focus);
    let methods: Vec<Method<'_>> = emitted.sent.iter().map(|(_, m)| m.method()).collect();
    assert!(methods.contains(&Method::Bye), "{methods:?}");
    assert_eq!(focus.trunk_call_count(), 0);

    let mut focus = focus_with("");
    refer_number(&mut focus, &mut entropy, now);
    let emitted = drain(&mut focus);
    assert!(emitted.jobs.is_empty());
    assert_eq!(sipfrag(&emitted.sent[1].1), "SIP/2.0 404 Not Found");
}

#[test]
fn a_gateway_leg_removed_through_the_admin_api_hangs_up_the_phone() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = plain_trunk();
    let (request, invite) = call_number(&mut focus, &mut entropy, now, "tel:+15550100");
    let ok = trunk_answer(&invite, 200, &answer_sdp(8, "PCMA", ""));
    focus.on_outgoing_result(request.id, OutgoingResult::Response(ok), &mut entropy);
    let job = drain(&mut focus).jobs.remove(0);
    let added = AddedLeg {
        leg: LegId(3),
        local: LEG_LOCAL.parse().unwrap(),
    };
    focus.on_media_done(job.id, MediaOutcome::Added(added), now, &mut entropy);
    let _ = drain(&mut focus);
    focus.on_leg_removed(LegId(4));
    assert!(focus.poll_output().is_none(), "another leg changes nothing");
    focus.on_leg_removed(LegId(3));
    let emitted = drain(&mut focus);
    let methods: Vec<Method<'_>> = emitted.sent.iter().map(|(_, m)| m.method()).collect();
    assert_eq!(methods, [Method::Bye]);
    assert_eq!(
        emitted.sent[0].0.peer.addr,
        TRUNK.parse::<SocketAddr>().unwrap()
    );
    assert!(emitted.jobs.is_empty(), "the leg is gone already");
    assert_eq!(focus.trunk_call_count(), 0);
}

#[test]
fn the_admin_api_call_is_refused_for_unknown_conferences_and_non_numbers() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = plain_trunk();
    let node = arrival();
    let refused = |focus: &mut Focus, conference, to: &str, entropy: &mut Counter| {
        focus
            .call_number(ConferenceId(conference), to, &node, now, entropy)
            .unwrap_err()
            .0
    };
    assert_eq!(refused(&mut focus, 8, "tel:+15550100", &mut entropy), 404);
    assert_eq!(
        refused(&mut focus, 7, "sip:alice@example.com", &mut entropy),
        400
    );
    let id = focus
        .call_number(ConferenceId(7), "tel:+15550100", &node, now, &mut entropy)
        .unwrap();
    assert!(id > 0);
    assert!(matches!(
        drain(&mut focus).jobs[0].work,
        MediaWork::AddLeg { .. }
    ));
    let mut no_trunk = focus_with("");
    assert_eq!(
        refused(&mut no_trunk, 7, "tel:+15550100", &mut entropy),
        404
    );
}

#[test]
fn a_phone_that_stops_sending_media_is_hung_up() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = plain_trunk();
    let (request, invite) = call_number(&mut focus, &mut entropy, now, "tel:+15550100");
    let ok = trunk_answer(&invite, 200, &answer_sdp(8, "PCMA", ""));
    focus.on_outgoing_result(request.id, OutgoingResult::Response(ok), &mut entropy);
    let mut emitted = drain(&mut focus);
    let job = emitted.jobs.remove(0);
    let added = AddedLeg {
        leg: LegId(3),
        local: LEG_LOCAL.parse().unwrap(),
    };
    focus.on_media_done(job.id, MediaOutcome::Added(added), now, &mut entropy);
    drain(&mut focus);
    assert_eq!(focus.trunk_call_count(), 1);

    focus.on_media_timeout(LegId(3));
    let emitted = drain(&mut focus);
    let byes: Vec<_> = emitted
        .sent
        .iter()
        .filter(|(_, m)| m.method() == Method::Bye)
        .collect();
    assert_eq!(byes.len(), 1, "a BYE to the trunk");
    assert_eq!(byes[0].1.call_id(), invite.call_id());
    assert!(emitted
        .jobs
        .iter()
        .any(|j| matches!(j.work, MediaWork::RemoveLeg { leg: LegId(3) })));
    assert_eq!(focus.trunk_call_count(), 0);
}

/// The trunk's provisional `status` with `sdp` for `invite`, reported to `focus`.
fn provisional(
    focus: &mut Focus,
    entropy: &mut Counter,
    request: &OutgoingRequest,
    invite: &Message<Vec<u8>>,
    status: u16,
    sdp: &str,
) -> Emitted {
    let response = trunk_answer(invite, status, sdp);
    focus.on_outgoing_result(request.id, OutgoingResult::Response(response), entropy);
    drain(focus)
}

/// The leg change of `emitted`'s only media job.
fn leg_change(emitted: &mut Emitted) -> (JobId, LegId, Box<crate::admin::leg_request::LegRequest>) {
    assert_eq!(emitted.jobs.len(), 1, "{:?}", emitted.jobs);
    let job = emitted.jobs.remove(0);
    let MediaWork::ChangeLeg { leg, request } = job.work else {
        panic!("expected a change in place, got {:?}", job.work);
    };
    (job.id, leg, request)
}

fn leg_done(focus: &mut Focus, entropy: &mut Counter, job: JobId, now: Instant) {
    let added = AddedLeg {
        leg: LegId(3),
        local: LEG_LOCAL.parse().unwrap(),
    };
    focus.on_media_done(job, MediaOutcome::Added(added), now, entropy);
}

#[test]
fn early_media_reaches_the_leg_before_the_answer_and_the_200_confirms_it() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = plain_trunk();
    let (request, invite) = call_number(&mut focus, &mut entropy, now, "tel:+15550100");

    // A 183 without SDP changes nothing; with SDP its answer goes to the leg at once,
    // with nothing sent (no ACK, no PRACK) and nothing told to the inviter.
    let emitted = provisional(&mut focus, &mut entropy, &request, &invite, 183, "");
    assert!(emitted.jobs.is_empty() && emitted.sent.is_empty());
    let sdp = answer_sdp(8, "PCMA", "");
    let mut emitted = provisional(&mut focus, &mut entropy, &request, &invite, 183, &sdp);
    assert!(emitted.sent.is_empty(), "nothing to send for a 183");
    let (job, leg, change) = leg_change(&mut emitted);
    assert_eq!(leg, LegId(3));
    assert_eq!(change.codec_name, "PCMA");
    assert_eq!(change.remote, Some("192.0.2.51:30000".parse().unwrap()));
    assert_eq!(change.receive, Receive::Mix);
    // The same answer again (a retransmission, or a 180 repeating it) is not reapplied.
    let emitted = provisional(&mut focus, &mut entropy, &request, &invite, 180, &sdp);
    assert!(emitted.jobs.is_empty());
    leg_done(&mut focus, &mut entropy, job, now);
    assert!(drain(&mut focus).sent.is_empty(), "still ringing");

    // The 200 with the same answer: ACK and the inviter's 200, no second change.
    let ok = trunk_answer(&invite, 200, &sdp);
    focus.on_outgoing_result(request.id, OutgoingResult::Response(ok), &mut entropy);
    let emitted = drain(&mut focus);
    let methods: Vec<Method<'_>> = emitted.sent.iter().map(|(_, m)| m.method()).collect();
    assert_eq!(methods, [Method::Ack, Method::Notify]);
    assert_eq!(sipfrag(&emitted.sent[1].1), "SIP/2.0 200 OK");
    assert!(emitted.jobs.is_empty(), "{:?}", emitted.jobs);
    assert_eq!(focus.trunk_call_count(), 1);
    // Hanging up an answered call is a BYE, not a CANCEL.
    focus.on_leg_removed(LegId(3));
    let emitted = drain(&mut focus);
    assert!(emitted.cancelled.is_empty());
    assert_eq!(emitted.sent[0].1.method(), Method::Bye);
}

#[test]
fn a_200_whose_answer_differs_from_the_early_one_changes_the_leg_again() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = plain_trunk();
    let (request, invite) = call_number(&mut focus, &mut entropy, now, "tel:+15550100");
    let early = answer_sdp(8, "PCMA", "");
    let mut emitted = provisional(&mut focus, &mut entropy, &request, &invite, 183, &early);
    let (job, _, _) = leg_change(&mut emitted);
    leg_done(&mut focus, &mut entropy, job, now);
    drain(&mut focus);

    let ok = trunk_answer(&invite, 200, &answer_sdp(0, "PCMU", ""));
    focus.on_outgoing_result(request.id, OutgoingResult::Response(ok), &mut entropy);
    let mut emitted = drain(&mut focus);
    let methods: Vec<Method<'_>> = emitted.sent.iter().map(|(_, m)| m.method()).collect();
    assert_eq!(methods, [Method::Ack], "the inviter waits for the leg");
    let (job, leg, change) = leg_change(&mut emitted);
    assert_eq!(leg, LegId(3));
    assert_eq!(change.codec_name, "PCMU");
    leg_done(&mut focus, &mut entropy, job, now);
    let emitted = drain(&mut focus);
    assert_eq!(sipfrag(&emitted.sent[0].1), "SIP/2.0 200 OK");
}

#[test]
fn a_200_without_sdp_confirms_an_early_answer_the_leg_took() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let early = answer_sdp(8, "PCMA", "");

    // The leg took the 183's answer: a 200 without SDP keeps it.
    let mut focus = plain_trunk();
    let (request, invite) = call_number(&mut focus, &mut entropy, now, "tel:+15550100");
    let mut emitted = provisional(&mut focus, &mut entropy, &request, &invite, 183, &early);
    let (job, _, _) = leg_change(&mut emitted);
    leg_done(&mut focus, &mut entropy, job, now);
    drain(&mut focus);
    let bare = trunk_answer(&invite, 200, "");
    focus.on_outgoing_result(request.id, OutgoingResult::Response(bare), &mut entropy);
    let emitted = drain(&mut focus);
    let methods: Vec<Method<'_>> = emitted.sent.iter().map(|(_, m)| m.method()).collect();
    assert_eq!(methods, [Method::Ack, Method::Notify]);
    assert_eq!(sipfrag(&emitted.sent[1].1), "SIP/2.0 200 OK");
    assert!(emitted.jobs.is_empty());

    // The leg has not taken it yet: the empty 200 has nothing usable, the call ends.
    let mut focus = plain_trunk();
    let (request, invite) = call_number(&mut focus, &mut entropy, now, "tel:+15550100");
    provisional(&mut focus, &mut entropy, &request, &invite, 183, &early);
    let bare = trunk_answer(&invite, 200, "");
    focus.on_outgoing_result(request.id, OutgoingResult::Response(bare), &mut entropy);
    let emitted = drain(&mut focus);
    let methods: Vec<Method<'_>> = emitted.sent.iter().map(|(_, m)| m.method()).collect();
    assert_eq!(methods, [Method::Ack, Method::Bye, Method::Notify]);
    assert_eq!(
        sipfrag(&emitted.sent[2].1),
        "SIP/2.0 488 Not Acceptable Here"
    );
    assert_eq!(focus.trunk_call_count(), 0);
}

#[test]
fn a_failure_after_early_media_leaves_no_leg_and_cancels_while_ringing() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = plain_trunk();
    let (request, invite) = call_number(&mut focus, &mut entropy, now, "tel:+15550100");
    let sdp = answer_sdp(8, "PCMA", "");
    let mut emitted = provisional(&mut focus, &mut entropy, &request, &invite, 183, &sdp);
    let (job, _, _) = leg_change(&mut emitted);
    let busy = trunk_answer(&invite, 486, "");
    focus.on_outgoing_result(request.id, OutgoingResult::Response(busy), &mut entropy);
    let emitted = drain(&mut focus);
    assert!(matches!(
        emitted.jobs[..],
        [MediaJob {
            work: MediaWork::RemoveLeg { leg: LegId(3) },
            ..
        }]
    ));
    assert_eq!(sipfrag(&emitted.sent[0].1), "SIP/2.0 486 Busy Here");
    assert_eq!(focus.trunk_call_count(), 0);
    // The early change finishing late changes nothing.
    leg_done(&mut focus, &mut entropy, job, now);
    assert!(focus.poll_output().is_none());

    // Ended while its early media plays, a call is cancelled (it still rings).
    let (request, invite) = call_number(&mut focus, &mut entropy, now, "tel:+15550100");
    let mut emitted = provisional(&mut focus, &mut entropy, &request, &invite, 183, &sdp);
    let (job, _, _) = leg_change(&mut emitted);
    leg_done(&mut focus, &mut entropy, job, now);
    drain(&mut focus);
    focus.on_leg_removed(LegId(3));
    let emitted = drain(&mut focus);
    assert_eq!(emitted.cancelled, [request.id]);
    assert!(emitted.sent.iter().all(|(_, m)| m.method() != Method::Bye));
    // A 183 after the CANCEL changes nothing.
    let emitted = provisional(&mut focus, &mut entropy, &request, &invite, 183, &sdp);
    assert!(emitted.jobs.is_empty());
}

#[test]
fn an_srtp_trunk_s_early_answer_brings_its_key() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = srtp_trunk();
    refer_number(&mut focus, &mut entropy, now);
    let job = drain(&mut focus).jobs.remove(0);
    leg_done(&mut focus, &mut entropy, job.id, now);
    let (request, invite) = drain(&mut focus).sent.remove(0);
    // A plain early answer to an SRTP offer is not applied; a keyed one is.
    let plain = answer_sdp(8, "PCMA", "");
    let emitted = provisional(&mut focus, &mut entropy, &request, &invite, 183, &plain);
    assert!(emitted.jobs.is_empty());
    let keyed = answer_sdp(
        8,
        "PCMA",
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n",
    );
    let mut emitted = provisional(&mut focus, &mut entropy, &request, &invite, 183, &keyed);
    let (_, _, change) = leg_change(&mut emitted);
    assert!(matches!(change.media, LegMedia::HopByHop(_)));
}

/// Calls `tel:+15550100` into conference 7 and lets the trunk answer (leg taken).
fn answered_call(focus: &mut Focus, entropy: &mut Counter, now: Instant) -> Message<Vec<u8>> {
    let (request, invite) = call_number(focus, entropy, now, "tel:+15550100");
    let ok = trunk_answer(&invite, 200, &answer_sdp(8, "PCMA", ""));
    focus.on_outgoing_result(request.id, OutgoingResult::Response(ok), entropy);
    let mut emitted = drain(focus);
    let (job, _, change) = leg_change(&mut emitted);
    assert_eq!(change.participant.as_deref(), Some("+15550100"));
    leg_done(focus, entropy, job, now);
    drain(focus);
    invite
}

#[test]
fn an_answered_phone_is_a_member_by_the_uri_it_was_called_at() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = plain_trunk();
    let (request, invite) = call_number(&mut focus, &mut entropy, now, "tel:+15550100");
    // Ringing, even with early media, is not membership.
    let mut emitted = provisional(
        &mut focus,
        &mut entropy,
        &request,
        &invite,
        183,
        &answer_sdp(8, "PCMA", ""),
    );
    let (job, _, early) = leg_change(&mut emitted);
    assert_eq!(early.participant.as_deref(), Some("+15550100"));
    leg_done(&mut focus, &mut entropy, job, now);
    assert!(focus.phones_in(ConferenceId(7)).is_empty());
    let ok = trunk_answer(&invite, 200, &answer_sdp(8, "PCMA", ""));
    focus.on_outgoing_result(request.id, OutgoingResult::Response(ok), &mut entropy);
    drain(&mut focus);
    assert_eq!(
        focus.phones_in(ConferenceId(7)),
        [(format!("sip:+15550100@{TRUNK};user=phone"), Some(LegId(3)))]
    );
    assert!(focus.phones_in(ConferenceId(8)).is_empty());
    focus.on_leg_removed(LegId(3));
    assert!(focus.phones_in(ConferenceId(7)).is_empty());
}

#[test]
fn the_last_participant_leaving_a_room_hangs_up_its_phones_an_adopted_conference_keeps_them() {
    let now = Instant::now();
    let mut entropy = Counter(0);

    // Adopted from the admin API: its other legs may still talk to the phone.
    let mut focus = plain_trunk();
    answered_call(&mut focus, &mut entropy, now);
    focus.conferences.get_mut(&ConferenceId(7)).unwrap().members = 1;
    focus.leave_conference(ConferenceId(7));
    let emitted = drain(&mut focus);
    assert!(emitted.sent.is_empty(), "no BYE: {:?}", emitted.sent);
    assert_eq!(focus.trunk_call_count(), 1);

    // A room stays, but its phones are hung up with its last participant.
    let mut focus = plain_trunk();
    answered_call(&mut focus, &mut entropy, now);
    let conference = focus.conferences.get_mut(&ConferenceId(7)).unwrap();
    conference.members = 1;
    conference.room = Some(Box::new(super::super::room::Room {
        number: 1,
        owner: "bob".to_owned(),
        end_to_end: false,
        loudest_n: 3,
        allow: Vec::new(),
        block: Vec::new(),
    }));
    focus.leave_conference(ConferenceId(7));
    let emitted = drain(&mut focus);
    let methods: Vec<Method<'_>> = emitted.sent.iter().map(|(_, m)| m.method()).collect();
    assert_eq!(methods, [Method::Bye]);
    assert_eq!(
        emitted.sent[0].0.peer.addr,
        TRUNK.parse::<SocketAddr>().unwrap()
    );
    assert!(
        matches!(
            emitted.jobs[..],
            [MediaJob {
                work: MediaWork::RemoveLeg { leg: LegId(3) },
                ..
            }]
        ),
        "the room stays, so the phone's leg is removed: {:?}",
        emitted.jobs
    );
    assert_eq!(focus.trunk_call_count(), 0);
    assert!(focus.knows(ConferenceId(7)), "the room stays");
}

#[test]
fn a_ringing_phone_is_not_hung_up_for_sending_no_media() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = plain_trunk();
    let (request, _invite) = call_number(&mut focus, &mut entropy, now, "tel:+15550100");
    focus.on_media_timeout(LegId(3));
    let emitted = drain(&mut focus);
    assert!(emitted.cancelled.is_empty() && emitted.sent.is_empty() && emitted.jobs.is_empty());
    assert_eq!(focus.trunk_call_count(), 1);
    // The answer timeout still ends it.
    focus.expire_invitations(now + Duration::from_secs(60), &mut entropy);
    assert_eq!(drain(&mut focus).cancelled, [request.id]);
}

#[test]
fn a_phone_in_an_end_to_end_conference_gets_an_ssrc_to_be_relayed_under() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = plain_trunk();
    let key =
        conference::EndToEndKey::generate(SrtpSuite::AesCm128HmacSha1_80, &mut entropy).unwrap();
    focus.conferences.get_mut(&ConferenceId(7)).unwrap().keying = Keying::EndToEnd(Box::new(key));
    let node = arrival();
    focus
        .call_number(ConferenceId(7), "tel:+15550100", &node, now, &mut entropy)
        .expect("an end-to-end conference calls phones too");
    let mut emitted = drain(&mut focus);
    let job = emitted.jobs.remove(0);
    let MediaWork::AddLeg { request, .. } = job.work else {
        panic!("expected a leg, got {:?}", job.work);
    };
    assert_eq!(request.receive, Receive::Mix);
    let relayed_under = request.mix_ssrc.expect("an SSRC claimed under the key");
    let added = AddedLeg {
        leg: LegId(3),
        local: LEG_LOCAL.parse().unwrap(),
    };
    focus.on_media_done(job.id, MediaOutcome::Added(added), now, &mut entropy);
    let (request, invite) = drain(&mut focus).sent.remove(0);
    let ok = trunk_answer(&invite, 200, &answer_sdp(8, "PCMA", ""));
    focus.on_outgoing_result(request.id, OutgoingResult::Response(ok), &mut entropy);
    let job = drain(&mut focus).jobs.remove(0);
    let MediaWork::ChangeLeg { request, .. } = job.work else {
        panic!("expected a change in place, got {:?}", job.work);
    };
    assert_eq!(
        request.mix_ssrc,
        Some(relayed_under),
        "the leg keeps its SSRC"
    );
}
