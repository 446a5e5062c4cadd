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
    let mut focus = focus_with(&format!(
        "[pstn]\ntrunk = \"{TRUNK}\"\nsrtp = \"AES_CM_128_HMAC_SHA1_80\"\n"
    ));
    focus.on_refer(
        tx(1),
        refer("tel:+15550100"),
        arrival(),
        "bob",
        &[],
        now,
        &mut entropy,
    );
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
    focus.on_refer(
        tx(1),
        refer("tel:+15550100"),
        arrival(),
        "bob",
        &[],
        now,
        &mut entropy,
    );
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
