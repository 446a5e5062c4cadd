//! The focus driven by hand: requests in, responses and media jobs out, job outcomes
//! back in, with a fixed random sequence.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use medianode_dataplane::conference::{ConferenceId, LegId, Receive, SelectionPolicy};
use medianode_dataplane::srtp::{SdesKey, SrtpSuite};

use super::*;
use crate::admin::leg_request::LegMedia;
use crate::admin::{AddedLeg, ApiError};
use crate::sip::transaction::{Peer, TransportKind};
use crate::sip::Message;

/// A counter posing as a random source.
struct Counter(u8);

impl Entropy for Counter {
    fn fill(&mut self, bytes: &mut [u8]) {
        for b in bytes {
            self.0 = self.0.wrapping_add(1);
            *b = self.0;
        }
    }
}

fn config() -> FocusConfig {
    FocusConfig {
        factory_user: "conference".to_owned(),
        policy: Policy::default(),
        allow_plain_keys: true,
        conference_suite: SrtpSuite::AesCm128HmacSha1_80,
        empty_conference: Duration::from_secs(30),
        selection: SelectionPolicy::default(),
    }
}

fn arrival(transport: TransportKind) -> Arrival {
    Arrival {
        peer: Peer {
            addr: "192.0.2.7:5060".parse().unwrap(),
            transport,
        },
        host: "127.0.0.1:5060".to_owned(),
    }
}

fn udp() -> Arrival {
    arrival(TransportKind::Udp)
}

#[derive(Clone)]
struct Invite<'a> {
    uri: &'a str,
    user: &'a str,
    call_id: &'a str,
    cseq: u32,
    to_tag: Option<&'a str>,
    sdp: Option<String>,
}

impl Invite<'_> {
    fn message(&self, method: &str) -> Message<Vec<u8>> {
        let to_tag = self.to_tag.map_or(String::new(), |t| format!(";tag={t}"));
        let body = self.sdp.clone().unwrap_or_default();
        let content_type = if body.is_empty() {
            String::new()
        } else {
            "Content-Type: application/sdp\r\n".to_owned()
        };
        let text = format!(
            "{method} {} SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK{}{}\r\n\
             To: <{}>{to_tag}\r\nFrom: <sip:{}@example.com>;tag=f-{}\r\nCall-ID: {}\r\n\
             CSeq: {} {method}\r\nContact: <sip:{}@192.0.2.7>\r\n{content_type}\
             Content-Length: {}\r\n\r\n{body}",
            self.uri,
            self.call_id,
            self.cseq,
            self.uri,
            self.user,
            self.user,
            self.call_id,
            self.cseq,
            self.user,
            body.len()
        );
        Message::new_checked(text.into_bytes()).unwrap()
    }
}

fn sdp(port: u16, lines: &[&str]) -> String {
    let mut text = format!(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
    );
    for line in lines {
        text.push_str(line);
        text.push_str("\r\n");
    }
    text
}

fn savp(port: u16, crypto: &str, ssrc: Option<u32>) -> String {
    let mut text = format!(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n\
         m=audio {port} RTP/SAVP 0\r\na=crypto:1 {crypto}\r\n"
    );
    if let Some(ssrc) = ssrc {
        text.push_str(&format!("a=ssrc:{ssrc} cname:x\r\n"));
    }
    text
}

/// Responses with their transactions.
type Responses = Vec<(ServerTxId, Message<Vec<u8>>)>;

/// Drains the focus: the responses and the media jobs.
fn drain(focus: &mut Focus) -> (Responses, Vec<MediaJob>) {
    let mut responses = Vec::new();
    let mut jobs = Vec::new();
    while let Some(output) = focus.poll_output() {
        match output {
            FocusOutput::Respond {
                transaction,
                response,
            } => responses.push((transaction, Message::new_checked(response).unwrap())),
            FocusOutput::Media(job) => jobs.push(job),
            FocusOutput::Send(request) => panic!("unexpected request {request:?}"),
            FocusOutput::StoreRoom(_) | FocusOutput::ForgetRoom(_) => {
                panic!("unexpected room change")
            }
            FocusOutput::Cancel(id) => panic!("unexpected CANCEL of {id:?}"),
        }
    }
    (responses, jobs)
}

fn only_response(focus: &mut Focus) -> Message<Vec<u8>> {
    let (mut responses, jobs) = drain(focus);
    assert!(jobs.is_empty(), "{jobs:?}");
    assert_eq!(responses.len(), 1);
    responses.remove(0).1
}

fn only_job(focus: &mut Focus) -> MediaJob {
    let (responses, mut jobs) = drain(focus);
    assert!(
        responses.is_empty(),
        "{:?}",
        responses.iter().map(|r| r.1.status()).collect::<Vec<_>>()
    );
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    jobs.remove(0)
}

fn tx(n: u64) -> ServerTxId {
    ServerTxId(n)
}

fn warning(m: &Message<Vec<u8>>) -> String {
    m.header(crate::sip::header::KnownHeader::Warning)
        .unwrap_or("")
        .to_owned()
}

/// Factory INVITE from `user`, conference `id` created: returns the 302.
fn create(
    focus: &mut Focus,
    entropy: &mut Counter,
    now: Instant,
    uri: &str,
    id: u32,
) -> Message<Vec<u8>> {
    let invite = Invite {
        uri,
        user: "alice",
        call_id: "factory",
        cseq: 1,
        to_tag: None,
        sdp: Some(sdp(4000, &[])),
    };
    focus.on_initial_invite(tx(1), invite.message("INVITE"), udp(), "alice", entropy);
    let job = only_job(focus);
    assert!(matches!(job.work, MediaWork::CreateConference { .. }));
    focus.on_media_done(
        job.id,
        MediaOutcome::Created(ConferenceId(id)),
        now,
        entropy,
    );
    let redirect = only_response(focus);
    assert_eq!(redirect.status(), Some(302));
    redirect
}

/// A join that gets its leg: returns the 200 and the job's leg request media name.
fn join(
    focus: &mut Focus,
    entropy: &mut Counter,
    now: Instant,
    invite: &Invite<'_>,
    txn: u64,
    leg: u32,
    local: &str,
) -> (Message<Vec<u8>>, &'static str) {
    focus.on_initial_invite(
        tx(txn),
        invite.message("INVITE"),
        udp(),
        invite.user,
        entropy,
    );
    let job = only_job(focus);
    let mode = match &job.work {
        MediaWork::AddLeg { request, .. } => request.media.name(),
        other => panic!("expected AddLeg, got {other:?}"),
    };
    let added = AddedLeg {
        leg: LegId(leg),
        local: local.parse().unwrap(),
    };
    focus.on_media_done(job.id, MediaOutcome::Added(added), now, entropy);
    let ok = only_response(focus);
    assert_eq!(ok.status(), Some(200), "{}", warning(&ok));
    (ok, mode)
}

#[test]
fn factory_302_then_join_200_and_the_creator_leaving_keeps_the_conference() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = Focus::new(config());
    let redirect = create(
        &mut focus,
        &mut entropy,
        now,
        "sip:conference@example.com",
        7,
    );
    let contact = redirect.contacts().next().unwrap();
    assert_eq!(
        contact.address().unwrap().uri().as_str(),
        "sip:conf-7@127.0.0.1:5060"
    );
    assert!(redirect.to_tag().is_some());
    assert!(redirect
        .extension_values(CONFERENCE_KEY_HEADER)
        .next()
        .is_none());

    let alice = Invite {
        uri: "sip:conf-7@127.0.0.1:5060",
        user: "alice",
        call_id: "a1",
        cseq: 2,
        to_tag: None,
        sdp: Some(sdp(4000, &["a=ptime:20"])),
    };
    focus.on_initial_invite(tx(2), alice.message("INVITE"), udp(), "alice", &mut entropy);
    let job = only_job(&mut focus);
    let MediaWork::AddLeg {
        conference,
        request,
    } = &job.work
    else {
        panic!("{job:?}")
    };
    assert_eq!(*conference, ConferenceId(7));
    assert_eq!((request.codec_name, request.payload_type), ("PCMA", 8));
    assert_eq!(request.telephone_event, Some(101));
    assert_eq!(request.remote, Some("192.0.2.7:4000".parse().unwrap()));
    assert_eq!(request.participant.as_deref(), Some("alice"));
    assert!(matches!(request.media, LegMedia::Plain));
    let local: SocketAddr = "127.0.0.1:20000".parse().unwrap();
    focus.on_media_done(
        job.id,
        MediaOutcome::Added(AddedLeg {
            leg: LegId(1),
            local,
        }),
        now,
        &mut entropy,
    );
    let ok = only_response(&mut focus);
    assert_eq!(ok.status(), Some(200));
    let answer = String::from_utf8(ok.body().to_vec()).unwrap();
    assert!(answer.contains("c=IN IP4 127.0.0.1\r\n"), "{answer}");
    assert!(
        answer.contains("m=audio 20000 RTP/AVP 8 101\r\n"),
        "{answer}"
    );
    assert!(answer.contains("a=ptime:20\r\n"));
    let alice_tag = ok.to_tag().unwrap().to_owned();

    // Bob offers PCMU only: the conference speaks PCMA.
    let bob_pcmu = Invite {
        uri: "sip:conf-7@127.0.0.1:5060",
        user: "bob",
        call_id: "b1",
        cseq: 1,
        to_tag: None,
        sdp: Some(sdp(5000, &[]).replace("RTP/AVP 8 101", "RTP/AVP 0")),
    };
    focus.on_initial_invite(
        tx(3),
        bob_pcmu.message("INVITE"),
        udp(),
        "bob",
        &mut entropy,
    );
    let refused = only_response(&mut focus);
    assert_eq!(refused.status(), Some(488));
    assert!(
        warning(&refused).contains("PCMA as payload type 8"),
        "{}",
        warning(&refused)
    );
    let bob = Invite {
        sdp: Some(sdp(5000, &[])),
        call_id: "b2",
        ..bob_pcmu.clone()
    };
    let (ok, _) = join(&mut focus, &mut entropy, now, &bob, 4, 2, "127.0.0.1:20001");
    let bob_tag = ok.to_tag().unwrap().to_owned();
    assert_eq!(focus.participants(ConferenceId(7)), vec!["alice", "bob"]);

    // The creator leaves: only her leg goes.
    let bye = Invite {
        to_tag: Some(&alice_tag),
        cseq: 3,
        sdp: None,
        ..alice.clone()
    };
    focus.on_bye(tx(5), bye.message("BYE"));
    let (responses, jobs) = drain(&mut focus);
    assert_eq!(responses[0].1.status(), Some(200));
    assert_eq!(jobs.len(), 1);
    assert!(matches!(
        jobs[0].work,
        MediaWork::RemoveLeg { leg: LegId(1) }
    ));
    assert!(focus.knows(ConferenceId(7)));
    // A BYE nobody knows gets 481.
    focus.on_bye(tx(6), bye.message("BYE"));
    assert_eq!(only_response(&mut focus).status(), Some(481));

    // The last one leaves: the conference ends.
    let bye = Invite {
        to_tag: Some(&bob_tag),
        cseq: 2,
        sdp: None,
        ..bob.clone()
    };
    focus.on_bye(tx(7), bye.message("BYE"));
    let (_, jobs) = drain(&mut focus);
    assert!(matches!(
        jobs[0].work,
        MediaWork::RemoveLeg { leg: LegId(2) }
    ));
    assert!(matches!(
        jobs[1].work,
        MediaWork::RemoveConference {
            conference: ConferenceId(7)
        }
    ));
    assert!(!focus.knows(ConferenceId(7)));
}

#[test]
fn hold_removes_the_leg_and_resume_adds_one_with_a_new_version() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = Focus::new(config());
    create(
        &mut focus,
        &mut entropy,
        now,
        "sip:conference@example.com",
        1,
    );
    let invite = Invite {
        uri: "sip:conf-1@127.0.0.1:5060",
        user: "alice",
        call_id: "a",
        cseq: 1,
        to_tag: None,
        sdp: Some(sdp(4000, &[])),
    };
    let (ok, _) = join(
        &mut focus,
        &mut entropy,
        now,
        &invite,
        2,
        1,
        "127.0.0.1:20000",
    );
    let tag = ok.to_tag().unwrap().to_owned();
    let version = |m: &Message<Vec<u8>>| {
        let text = String::from_utf8(m.body().to_vec()).unwrap();
        text.lines()
            .find(|l| l.starts_with("o="))
            .and_then(|l| l.split(' ').nth(2))
            .unwrap()
            .to_owned()
    };
    assert_eq!(version(&ok), "1");

    // Same offer again (a session refresh): same answer, no media work.
    let again = Invite {
        to_tag: Some(&tag),
        cseq: 2,
        ..invite.clone()
    };
    let arrival = udp();
    focus.on_reinvite(tx(3), again.message("INVITE"), &arrival, &mut entropy);
    let same = only_response(&mut focus);
    assert_eq!(same.body(), ok.body());

    let hold = Invite {
        cseq: 3,
        sdp: Some(sdp(4000, &["a=sendonly"])),
        ..again.clone()
    };
    focus.on_reinvite(tx(4), hold.message("INVITE"), &arrival, &mut entropy);
    let job = only_job(&mut focus);
    assert!(matches!(job.work, MediaWork::RemoveLeg { leg: LegId(1) }));
    // Another re-INVITE while the first is worked on: 491.
    let eager = Invite {
        cseq: 4,
        ..again.clone()
    };
    focus.on_reinvite(tx(5), eager.message("INVITE"), &arrival, &mut entropy);
    assert_eq!(only_response(&mut focus).status(), Some(491));
    focus.on_media_done(job.id, MediaOutcome::Removed, now, &mut entropy);
    let held = only_response(&mut focus);
    let text = String::from_utf8(held.body().to_vec()).unwrap();
    assert!(text.contains("a=inactive\r\n"), "{text}");
    assert_eq!(version(&held), "2");

    let resume = Invite {
        cseq: 5,
        sdp: Some(sdp(4100, &[])),
        ..again.clone()
    };
    focus.on_reinvite(tx(6), resume.message("INVITE"), &arrival, &mut entropy);
    let job = only_job(&mut focus);
    let MediaWork::AddLeg { request, .. } = &job.work else {
        panic!("{job:?}")
    };
    assert_eq!(request.remote, Some("192.0.2.7:4100".parse().unwrap()));
    focus.on_media_done(
        job.id,
        MediaOutcome::Added(AddedLeg {
            leg: LegId(2),
            local: "127.0.0.1:20005".parse().unwrap(),
        }),
        now,
        &mut entropy,
    );
    let resumed = only_response(&mut focus);
    let text = String::from_utf8(resumed.body().to_vec()).unwrap();
    assert!(
        text.contains("m=audio 20005 ") && text.contains("a=sendrecv\r\n"),
        "{text}"
    );
    assert_eq!(version(&resumed), "3");

    // A new address replaces the leg; an old CSeq is refused.
    let moved = Invite {
        cseq: 6,
        sdp: Some(sdp(4200, &[])),
        ..again.clone()
    };
    focus.on_reinvite(tx(7), moved.message("INVITE"), &arrival, &mut entropy);
    let job = only_job(&mut focus);
    assert!(matches!(
        job.work,
        MediaWork::ReplaceLeg { old: LegId(2), .. }
    ));
    focus.on_media_done(
        job.id,
        MediaOutcome::Added(AddedLeg {
            leg: LegId(3),
            local: "127.0.0.1:20006".parse().unwrap(),
        }),
        now,
        &mut entropy,
    );
    assert_eq!(only_response(&mut focus).status(), Some(200));
    let stale = Invite {
        cseq: 2,
        ..again.clone()
    };
    focus.on_reinvite(tx(8), stale.message("INVITE"), &arrival, &mut entropy);
    assert_eq!(only_response(&mut focus).status(), Some(500));
}

fn conference_key(redirect: &Message<Vec<u8>>) -> (String, u32) {
    let value = redirect
        .extension_values(CONFERENCE_KEY_HEADER)
        .next()
        .expect("a Conference-Key header")
        .to_owned();
    let (crypto, ssrc) = value.split_once(";ssrc=").unwrap();
    (crypto.to_owned(), ssrc.parse().unwrap())
}

#[test]
fn end_to_end_keys_travel_in_the_302_and_the_join_must_use_them() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = Focus::new(config());
    let redirect = create(
        &mut focus,
        &mut entropy,
        now,
        "sip:conference@example.com;keying=e2e",
        3,
    );
    let (crypto, ssrc) = conference_key(&redirect);
    assert!(
        crypto.starts_with("AES_CM_128_HMAC_SHA1_80 inline:"),
        "{crypto}"
    );
    let key_text = crypto.split(' ').nth(1).unwrap();
    let key = SdesKey::parse(SrtpSuite::AesCm128HmacSha1_80, key_text).unwrap();
    assert_eq!(key.master_key.key_bytes().len(), 16);

    let base = Invite {
        uri: "sip:conf-3@127.0.0.1:5060",
        user: "alice",
        call_id: "a",
        cseq: 1,
        to_tag: None,
        sdp: None,
    };
    // Another key: 488. The right key with another SSRC: 488.
    let other = "AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
    for (offer, why) in [
        (savp(4000, other, Some(ssrc)), "conference key"),
        (savp(4000, &crypto, Some(ssrc.wrapping_add(1))), "a=ssrc"),
        (savp(4000, &crypto, None), "a=ssrc"),
    ] {
        let invite = Invite {
            sdp: Some(offer),
            ..base.clone()
        };
        focus.on_initial_invite(
            tx(2),
            invite.message("INVITE"),
            udp(),
            "alice",
            &mut entropy,
        );
        let refused = only_response(&mut focus);
        assert_eq!(refused.status(), Some(488));
        assert!(warning(&refused).contains(why), "{}", warning(&refused));
    }
    // An SSRC handed to alice does not let bob in.
    let bob = Invite {
        user: "bob",
        sdp: Some(savp(4000, &crypto, Some(ssrc))),
        ..base.clone()
    };
    focus.on_initial_invite(tx(3), bob.message("INVITE"), udp(), "bob", &mut entropy);
    assert_eq!(only_response(&mut focus).status(), Some(488));
    // Alice with the key and her SSRC joins end-to-end; the answer carries the key.
    let alice = Invite {
        sdp: Some(savp(4000, &crypto, Some(ssrc))),
        ..base.clone()
    };
    let (ok, mode) = join(
        &mut focus,
        &mut entropy,
        now,
        &alice,
        4,
        1,
        "127.0.0.1:20000",
    );
    assert_eq!(mode, "end_to_end");
    let answer = String::from_utf8(ok.body().to_vec()).unwrap();
    assert!(
        answer.contains(&format!("a=crypto:1 {crypto}\r\n")),
        "{answer}"
    );
    // The SSRC was single use.
    let again = Invite {
        call_id: "a2",
        ..alice.clone()
    };
    focus.on_initial_invite(tx(5), again.message("INVITE"), udp(), "alice", &mut entropy);
    assert_eq!(only_response(&mut focus).status(), Some(488));

    // Bob asks without a key: he gets it (and his own SSRC) by 302, once.
    let plain = Invite {
        user: "bob",
        call_id: "b",
        sdp: Some(sdp(5000, &[]).replace("RTP/AVP 8 101", "RTP/AVP 0")),
        ..base.clone()
    };
    focus.on_initial_invite(tx(6), plain.message("INVITE"), udp(), "bob", &mut entropy);
    let handover = only_response(&mut focus);
    assert_eq!(handover.status(), Some(302));
    let (bob_crypto, bob_ssrc) = conference_key(&handover);
    assert_eq!(bob_crypto, crypto);
    assert_ne!(bob_ssrc, ssrc, "SSRCs are never shared under one key");
    focus.on_initial_invite(tx(7), plain.message("INVITE"), udp(), "bob", &mut entropy);
    assert_eq!(
        only_response(&mut focus).status(),
        Some(488),
        "no second handover"
    );
}

#[test]
fn keys_stay_off_plain_transports_unless_allowed() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = Focus::new(FocusConfig {
        allow_plain_keys: false,
        ..config()
    });
    let e2e = Invite {
        uri: "sip:conference@example.com;keying=e2e",
        user: "alice",
        call_id: "f",
        cseq: 1,
        to_tag: None,
        sdp: None,
    };
    focus.on_initial_invite(tx(1), e2e.message("INVITE"), udp(), "alice", &mut entropy);
    let refused = only_response(&mut focus);
    assert_eq!(refused.status(), Some(403));
    assert!(warning(&refused).contains("TLS"));

    create(
        &mut focus,
        &mut entropy,
        now,
        "sip:conference@example.com",
        2,
    );
    let key = "AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
    let invite = Invite {
        uri: "sip:conf-2@127.0.0.1:5060",
        user: "alice",
        call_id: "a",
        cseq: 1,
        to_tag: None,
        sdp: Some(savp(4000, key, None)),
    };
    focus.on_initial_invite(
        tx(2),
        invite.message("INVITE"),
        udp(),
        "alice",
        &mut entropy,
    );
    assert_eq!(only_response(&mut focus).status(), Some(488));
    // Over TLS the same offer is a hop-by-hop leg with a key of the node's own.
    let tls = arrival(TransportKind::Tls);
    focus.on_initial_invite(tx(3), invite.message("INVITE"), tls, "alice", &mut entropy);
    let job = only_job(&mut focus);
    let MediaWork::AddLeg { request, .. } = &job.work else {
        panic!("{job:?}")
    };
    let LegMedia::HopByHop(keys) = &request.media else {
        panic!("not hop-by-hop")
    };
    let node_key = keys.tx.to_string();
    assert!(
        !key.ends_with(&node_key[7..]),
        "the node sends under its own key"
    );
    focus.on_media_done(
        job.id,
        MediaOutcome::Added(AddedLeg {
            leg: LegId(1),
            local: "127.0.0.1:20000".parse().unwrap(),
        }),
        now,
        &mut entropy,
    );
    let ok = only_response(&mut focus);
    let answer = String::from_utf8(ok.body().to_vec()).unwrap();
    assert!(answer.contains(&format!(
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 {node_key}\r\n"
    )));
    assert!(ok
        .contacts()
        .next()
        .unwrap()
        .address()
        .unwrap()
        .uri()
        .as_str()
        .starts_with("sips:conf-2@"));
}

#[test]
fn unused_conferences_expire_and_cancelled_joins_are_undone() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = Focus::new(config());
    create(
        &mut focus,
        &mut entropy,
        now,
        "sip:conference@example.com",
        4,
    );
    assert_eq!(focus.poll_timeout(), Some(now + Duration::from_secs(30)));
    let invite = Invite {
        uri: "sip:conf-4@127.0.0.1:5060",
        user: "alice",
        call_id: "a",
        cseq: 1,
        to_tag: None,
        sdp: Some(sdp(4000, &[])),
    };
    focus.on_initial_invite(
        tx(9),
        invite.message("INVITE"),
        udp(),
        "alice",
        &mut entropy,
    );
    let job = only_job(&mut focus);
    assert_eq!(focus.poll_timeout(), None, "a member is on its way");
    assert!(focus.on_cancel(tx(9)));
    assert_eq!(only_response(&mut focus).status(), Some(487));
    assert!(!focus.on_cancel(tx(9)), "only once");
    focus.on_media_done(
        job.id,
        MediaOutcome::Added(AddedLeg {
            leg: LegId(1),
            local: "127.0.0.1:20000".parse().unwrap(),
        }),
        now,
        &mut entropy,
    );
    let (responses, jobs) = drain(&mut focus);
    assert!(responses.is_empty());
    assert!(matches!(
        jobs[0].work,
        MediaWork::RemoveLeg { leg: LegId(1) }
    ));
    assert!(matches!(jobs[1].work, MediaWork::RemoveConference { .. }));

    create(
        &mut focus,
        &mut entropy,
        now,
        "sip:conference@example.com",
        5,
    );
    focus.handle_timeout(now + Duration::from_secs(29));
    assert!(focus.knows(ConferenceId(5)));
    focus.handle_timeout(now + Duration::from_secs(30));
    assert!(!focus.knows(ConferenceId(5)));
    let job = only_job(&mut focus);
    assert!(matches!(
        job.work,
        MediaWork::RemoveConference {
            conference: ConferenceId(5)
        }
    ));
}

#[test]
fn policy_failures_and_unknown_targets_are_refused() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let policy_config = crate::config::PolicyConfig {
        create: vec!["alice".to_owned()],
        join: vec!["alice".to_owned()],
        ..crate::config::PolicyConfig::default()
    };
    let mut focus = Focus::new(FocusConfig {
        policy: Policy::from_config(&policy_config),
        ..config()
    });
    let factory = Invite {
        uri: "sip:conference@example.com",
        user: "bob",
        call_id: "f",
        cseq: 1,
        to_tag: None,
        sdp: None,
    };
    focus.on_initial_invite(tx(1), factory.message("INVITE"), udp(), "bob", &mut entropy);
    assert_eq!(only_response(&mut focus).status(), Some(403));
    create(
        &mut focus,
        &mut entropy,
        now,
        "sip:conference@example.com",
        1,
    );
    let join_bob = Invite {
        uri: "sip:conf-1@h",
        sdp: Some(sdp(4000, &[])),
        ..factory.clone()
    };
    focus.on_initial_invite(
        tx(2),
        join_bob.message("INVITE"),
        udp(),
        "bob",
        &mut entropy,
    );
    assert_eq!(only_response(&mut focus).status(), Some(403));
    for uri in ["sip:conf-99@h", "sip:nobody@h", "sip:conf-x@h"] {
        let invite = Invite {
            uri,
            ..join_bob.clone()
        };
        focus.on_initial_invite(
            tx(3),
            invite.message("INVITE"),
            udp(),
            "alice",
            &mut entropy,
        );
        assert_eq!(only_response(&mut focus).status(), Some(404), "{uri}");
    }
    // No offer, or an unusable one: 488; a failed leg: its status.
    let no_offer = Invite {
        uri: "sip:conf-1@h",
        user: "alice",
        sdp: None,
        ..factory.clone()
    };
    focus.on_initial_invite(
        tx(4),
        no_offer.message("INVITE"),
        udp(),
        "alice",
        &mut entropy,
    );
    assert_eq!(only_response(&mut focus).status(), Some(488));
    let invite = Invite {
        sdp: Some(sdp(4000, &[])),
        ..no_offer.clone()
    };
    focus.on_initial_invite(
        tx(5),
        invite.message("INVITE"),
        udp(),
        "alice",
        &mut entropy,
    );
    let job = only_job(&mut focus);
    focus.on_media_done(
        job.id,
        MediaOutcome::Failed(ApiError::unavailable("no free port")),
        now,
        &mut entropy,
    );
    let (responses, jobs) = drain(&mut focus);
    assert_eq!(responses[0].1.status(), Some(503));
    assert!(
        matches!(jobs[0].work, MediaWork::RemoveConference { .. }),
        "the only member failed"
    );
    assert_eq!(
        Focus::conference_of_user_part("conf-12"),
        Some(ConferenceId(12))
    );
    assert_eq!(Focus::conference_of_user_part("conf-"), None);
}

/// Everything the focus emitted: responses, jobs, and requests (parsed with a Via added).
struct Emitted {
    responses: Responses,
    jobs: Vec<MediaJob>,
    sent: Vec<(OutgoingRequest, Message<Vec<u8>>)>,
    cancelled: Vec<OutgoingId>,
}

fn drain_all(focus: &mut Focus) -> Emitted {
    let mut emitted = Emitted {
        responses: Vec::new(),
        jobs: Vec::new(),
        sent: Vec::new(),
        cancelled: Vec::new(),
    };
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
                let bytes =
                    crate::sip::transaction::outgoing::with_via(&request.request, &via).unwrap();
                let message = Message::new_checked(bytes).unwrap();
                emitted.sent.push((request, message));
            }
            FocusOutput::StoreRoom(_) | FocusOutput::ForgetRoom(_) => {}
            FocusOutput::Cancel(id) => emitted.cancelled.push(id),
        }
    }
    emitted
}

fn carol_binding() -> crate::sip::registrar::Binding {
    crate::sip::registrar::Binding {
        contact: "sip:carol@192.0.2.9:5070".to_owned(),
        expires_at: u64::MAX,
        call_id: "reg".to_owned(),
        cseq: 1,
        q: None,
        source: "udp:192.0.2.9:5070".to_owned(),
    }
}

fn refer(conference: &str, target: &str) -> Message<Vec<u8>> {
    let text = format!(
        "REFER {conference} SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bKref\r\n\
         To: <{conference}>\r\nFrom: <sip:bob@example.com>;tag=b1\r\nCall-ID: refer-1\r\n\
         CSeq: 1 REFER\r\nContact: <sip:bob@192.0.2.7>\r\nRefer-To: <{target}>\r\n\
         Content-Length: 0\r\n\r\n"
    );
    Message::new_checked(text.into_bytes()).unwrap()
}

/// The invitee's answer to the focus's INVITE `invite`.
fn answer_invite(invite: &Message<Vec<u8>>, status: u16, body: &str) -> Message<Vec<u8>> {
    let via = invite.header(crate::sip::header::KnownHeader::Via).unwrap();
    let from = invite
        .header(crate::sip::header::KnownHeader::From)
        .unwrap();
    let to = invite.header(crate::sip::header::KnownHeader::To).unwrap();
    let content_type = if body.is_empty() {
        ""
    } else {
        "Content-Type: application/sdp\r\n"
    };
    let text = format!(
        "SIP/2.0 {status} X\r\nVia: {via}\r\nFrom: {from}\r\nTo: {to};tag=c1\r\n\
         Call-ID: {}\r\nCSeq: 1 INVITE\r\nContact: <sip:carol@192.0.2.9:5070>\r\n\
         {content_type}Content-Length: {}\r\n\r\n{body}",
        invite.call_id(),
        body.len()
    );
    Message::new_checked(text.into_bytes()).unwrap()
}

fn sipfrag_of(notify: &Message<Vec<u8>>) -> String {
    String::from_utf8_lossy(notify.body()).trim_end().to_owned()
}

/// A REFER to conference 7 naming carol: the 202, the NOTIFY with 100 Trying, and the
/// INVITE to carol's contact.
fn refer_carol(
    focus: &mut Focus,
    entropy: &mut Counter,
    now: Instant,
    bindings: &[crate::sip::registrar::Binding],
) -> Emitted {
    create(focus, entropy, now, "sip:conference@example.com", 7);
    let request = refer("sip:conf-7@127.0.0.1:5060", "sip:carol@example.com");
    focus.on_refer(tx(5), request, udp(), "bob", bindings, now, entropy);
    let emitted = drain_all(focus);
    assert_eq!(emitted.responses.len(), 1);
    assert_eq!(emitted.responses[0].1.status(), Some(202));
    assert!(emitted.jobs.is_empty());
    let notify = &emitted.sent[0].1;
    assert_eq!(notify.method(), crate::sip::Method::Notify);
    assert_eq!(notify.call_id(), "refer-1");
    assert_eq!(notify.to_tag(), Some("b1"));
    assert_eq!(notify.from_tag(), emitted.responses[0].1.to_tag());
    assert_eq!(sipfrag_of(notify), "SIP/2.0 100 Trying");
    assert_eq!(notify.event().unwrap().value(), "refer");
    assert!(!emitted.sent[0].0.stateless);
    emitted
}

#[test]
fn refer_to_an_unregistered_user_reports_404() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = Focus::new(config());
    let emitted = refer_carol(&mut focus, &mut entropy, now, &[]);
    assert_eq!(emitted.sent.len(), 2);
    let last = &emitted.sent[1].1;
    assert_eq!(sipfrag_of(last), "SIP/2.0 404 Not Found");
    assert!(last
        .subscription_state()
        .unwrap()
        .value()
        .eq_ignore_ascii_case("terminated"));
    assert!(last.cseq().number > emitted.sent[0].1.cseq().number);
}

#[test]
fn refer_reports_busy_and_decline() {
    for (status, line) in [(486, "SIP/2.0 486 Busy Here"), (603, "SIP/2.0 603 Decline")] {
        let now = Instant::now();
        let mut entropy = Counter(0);
        let mut focus = Focus::new(config());
        let emitted = refer_carol(&mut focus, &mut entropy, now, &[carol_binding()]);
        assert_eq!(emitted.sent.len(), 2);
        let (outgoing, invite) = &emitted.sent[1];
        assert_eq!(invite.method(), crate::sip::Method::Invite);
        assert_eq!(outgoing.peer.addr, "192.0.2.9:5070".parse().unwrap());
        assert!(invite.body().is_empty());
        assert_eq!(
            invite.from().unwrap().uri().as_str(),
            "sip:conf-7@127.0.0.1:5060"
        );
        let refusal = answer_invite(invite, status, "");
        focus.on_outgoing_result(
            outgoing.id,
            crate::sip::transaction::outgoing::OutgoingResult::Response(refusal),
            &mut entropy,
        );
        let after = drain_all(&mut focus);
        assert_eq!(after.sent.len(), 1);
        assert_eq!(sipfrag_of(&after.sent[0].1), line);
        assert_eq!(focus.call_count(), 0);
    }
}

#[test]
fn refer_timeout_reports_408() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = Focus::new(config());
    let emitted = refer_carol(&mut focus, &mut entropy, now, &[carol_binding()]);
    let (outgoing, _) = &emitted.sent[1];
    focus.on_outgoing_result(
        outgoing.id,
        crate::sip::transaction::outgoing::OutgoingResult::Timeout,
        &mut entropy,
    );
    let after = drain_all(&mut focus);
    assert_eq!(sipfrag_of(&after.sent[0].1), "SIP/2.0 408 Request Timeout");
}

#[test]
fn an_invitee_ringing_too_long_is_cancelled_with_408() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = Focus::new(config());
    let emitted = refer_carol(&mut focus, &mut entropy, now, &[carol_binding()]);
    let invite_id = emitted.sent[1].0.id;
    let due = focus.poll_timeout().unwrap();
    assert!(due <= now + RING_TIMEOUT);
    focus.expire_invitations(now + RING_TIMEOUT, &mut entropy);
    let after = drain_all(&mut focus);
    let methods: Vec<_> = after
        .sent
        .iter()
        .map(|(_, m)| m.method().as_str().to_owned())
        .collect();
    assert_eq!(methods, ["NOTIFY"]);
    assert_eq!(after.cancelled, [invite_id]);
    assert_eq!(sipfrag_of(&after.sent[0].1), "SIP/2.0 408 Request Timeout");
}

#[test]
fn an_invitee_answering_200_joins_with_the_answer_in_the_ack() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = Focus::new(config());
    let emitted = refer_carol(&mut focus, &mut entropy, now, &[carol_binding()]);
    let (outgoing, invite) = &emitted.sent[1];
    let ok = answer_invite(invite, 200, &sdp(6000, &[]));
    let result = crate::sip::transaction::outgoing::OutgoingResult::Response(ok.clone());
    focus.on_outgoing_result(outgoing.id, result.clone(), &mut entropy);
    let job = drain_all(&mut focus).jobs.remove(0);
    let MediaWork::AddLeg {
        conference,
        request,
    } = &job.work
    else {
        panic!("expected AddLeg, got {:?}", job.work);
    };
    assert_eq!(*conference, ConferenceId(7));
    assert_eq!(request.remote, Some("192.0.2.7:6000".parse().unwrap()));
    let added = AddedLeg {
        leg: LegId(3),
        local: "127.0.0.1:30000".parse().unwrap(),
    };
    focus.on_media_done(job.id, MediaOutcome::Added(added), now, &mut entropy);
    let after = drain_all(&mut focus);
    assert_eq!(after.sent.len(), 2);
    let (ack_out, ack) = &after.sent[0];
    assert!(ack_out.stateless);
    assert_eq!(ack.method(), crate::sip::Method::Ack);
    assert_eq!(ack.to_tag(), Some("c1"));
    assert!(String::from_utf8_lossy(ack.body()).contains("m=audio 30000"));
    assert_eq!(sipfrag_of(&after.sent[1].1), "SIP/2.0 200 OK");
    assert_eq!(focus.participants(ConferenceId(7)), ["carol"]);
    // A retransmitted 200 gets the same ACK again, and nothing else.
    focus.on_outgoing_result(outgoing.id, result, &mut entropy);
    let again = drain_all(&mut focus);
    assert_eq!(again.sent.len(), 1);
    assert_eq!(again.sent[0].1.body(), ack.body());
}

#[test]
fn an_invite_naming_an_invitee_joins_the_inviter_after_the_invitee() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = Focus::new(config());
    create(
        &mut focus,
        &mut entropy,
        now,
        "sip:conference@example.com",
        7,
    );
    let text = format!(
        "INVITE sip:conf-7@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bKi\r\n\
         To: <sip:conf-7@127.0.0.1:5060>\r\nFrom: <sip:bob@example.com>;tag=b2\r\n\
         Call-ID: inv-1\r\nCSeq: 1 INVITE\r\nContact: <sip:bob@192.0.2.7>\r\n\
         {INVITEE_HEADER}: <sip:carol@example.com>\r\nContent-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{}",
        sdp(4100, &[]).len(),
        sdp(4100, &[])
    );
    let request = Message::new_checked(text.into_bytes()).unwrap();
    assert_eq!(invitee_of(&request).unwrap().1, "carol");
    focus.on_invitation_invite(
        tx(9),
        request,
        udp(),
        "bob",
        &[carol_binding()],
        now,
        &mut entropy,
    );
    let emitted = drain_all(&mut focus);
    assert!(
        emitted.responses.is_empty(),
        "{:?}",
        emitted
            .responses
            .iter()
            .map(|r| (r.1.status(), warning(&r.1)))
            .collect::<Vec<_>>()
    );
    let (outgoing, invite) = &emitted.sent[0];
    let busy = answer_invite(invite, 486, "");
    focus.on_outgoing_result(
        outgoing.id,
        crate::sip::transaction::outgoing::OutgoingResult::Response(busy),
        &mut entropy,
    );
    let after = drain_all(&mut focus);
    assert_eq!(after.responses.len(), 1);
    assert_eq!(after.responses[0].0, tx(9));
    assert_eq!(after.responses[0].1.status(), Some(486));
}

/// Conference 7 with alice, bob and carol joined (legs 1 to 3).
fn three_members(focus: &mut Focus, entropy: &mut Counter, now: Instant) {
    create(focus, entropy, now, "sip:conference@example.com", 7);
    for (n, user) in ["alice", "bob", "carol"].into_iter().enumerate() {
        let member = Invite {
            uri: "sip:conf-7@127.0.0.1:5060",
            user,
            call_id: user,
            cseq: 1,
            to_tag: None,
            sdp: Some(sdp(4000 + n as u16 * 2, &[])),
        };
        let local = format!("127.0.0.1:{}", 30000 + n * 2);
        join(
            focus,
            entropy,
            now,
            &member,
            10 + n as u64,
            n as u32 + 1,
            &local,
        );
    }
}

fn message_from(user: &str, content_type: &str, body: &str) -> Message<Vec<u8>> {
    let text = format!(
        "MESSAGE sip:conf-7@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bKm\r\n\
         To: <sip:conf-7@127.0.0.1:5060>\r\nFrom: <sip:{user}@example.com>;tag=m1\r\n\
         Call-ID: msg-1\r\nCSeq: 1 MESSAGE\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    Message::new_checked(text.into_bytes()).unwrap()
}

#[test]
fn a_message_reaches_every_other_participant_and_failures_go_back_to_the_author() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = Focus::new(config());
    three_members(&mut focus, &mut entropy, now);
    let message = message_from("alice", "text/plain", "hello all");
    focus.on_message(tx(20), message, udp(), "alice", &mut entropy);
    let emitted = drain_all(&mut focus);
    assert_eq!(emitted.responses.len(), 1);
    assert_eq!(emitted.responses[0].1.status(), Some(202));
    assert_eq!(emitted.sent.len(), 2);
    let mut recipients = Vec::new();
    for (_, copy) in &emitted.sent {
        assert_eq!(copy.method(), crate::sip::Method::Message);
        assert_eq!(copy.body(), b"hello all");
        let from = copy.from().unwrap();
        assert_eq!(from.display_name().unwrap().text(), "alice");
        assert_eq!(from.uri().as_str(), "sip:conf-7@127.0.0.1:5060");
        assert!(copy.content_type().unwrap().is("text", "plain"));
        recipients.push(copy.to().unwrap().uri().as_str().to_owned());
    }
    recipients.sort();
    assert_eq!(recipients, ["sip:bob@example.com", "sip:carol@example.com"]);
    // Bob takes it, Carol is busy: Alice hears that Carol missed it.
    for (outgoing, copy) in &emitted.sent {
        let to = copy.to().unwrap().uri().as_str().to_owned();
        let status = if to.contains("carol") { 486 } else { 200 };
        let text = format!(
            "SIP/2.0 {status} X\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag=x\r\nCall-ID: {}\r\n\
             CSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n",
            copy.header(crate::sip::header::KnownHeader::Via).unwrap(),
            copy.header(crate::sip::header::KnownHeader::From).unwrap(),
            copy.header(crate::sip::header::KnownHeader::To).unwrap(),
            copy.call_id()
        );
        let response = Message::new_checked(text.into_bytes()).unwrap();
        focus.on_outgoing_result(
            outgoing.id,
            crate::sip::transaction::outgoing::OutgoingResult::Response(response),
            &mut entropy,
        );
    }
    let report = drain_all(&mut focus);
    assert_eq!(report.sent.len(), 1);
    let (_, notice) = &report.sent[0];
    assert_eq!(notice.to().unwrap().uri().as_str(), "sip:alice@example.com");
    assert_eq!(
        String::from_utf8_lossy(notice.body()).trim_end(),
        "Not delivered to: carol (486 Busy Here)"
    );
}

#[test]
fn only_participants_may_send_and_a_spawn_invites_everyone_into_a_new_conference() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = Focus::new(config());
    three_members(&mut focus, &mut entropy, now);
    focus.on_message(
        tx(30),
        message_from("mallory", "text/plain", "hi"),
        udp(),
        "mallory",
        &mut entropy,
    );
    assert_eq!(only_response(&mut focus).status(), Some(403));

    let spawn = message_from("bob", SPAWN_CONTENT_TYPE, "voice please");
    focus.on_message(tx(31), spawn, udp(), "bob", &mut entropy);
    let job = only_job(&mut focus);
    assert!(matches!(job.work, MediaWork::CreateConference { .. }));
    focus.on_media_done(
        job.id,
        MediaOutcome::Created(ConferenceId(8)),
        now,
        &mut entropy,
    );
    let emitted = drain_all(&mut focus);
    assert_eq!(emitted.responses.len(), 1);
    let accepted = &emitted.responses[0].1;
    assert_eq!(accepted.status(), Some(202));
    assert_eq!(
        accepted
            .contacts()
            .next()
            .unwrap()
            .address()
            .unwrap()
            .uri()
            .as_str(),
        "sip:conf-8@127.0.0.1:5060"
    );
    let mut invited: Vec<String> = emitted
        .sent
        .iter()
        .map(|(_, invite)| {
            assert_eq!(invite.method(), crate::sip::Method::Invite);
            assert_eq!(
                invite.from().unwrap().uri().as_str(),
                "sip:conf-8@127.0.0.1:5060"
            );
            invite.to().unwrap().uri().as_str().to_owned()
        })
        .collect();
    invited.sort();
    assert_eq!(
        invited,
        [
            "sip:alice@example.com",
            "sip:bob@example.com",
            "sip:carol@example.com"
        ]
    );
    assert!(focus.knows(ConferenceId(8)));
    assert!(focus.knows(ConferenceId(7)), "the text conference goes on");
}

/// Drains the rooms the focus asked to store or forget.
fn stored_rooms(emitted: &mut Vec<FocusOutput>) -> (Vec<Room>, Vec<u32>) {
    let mut stored = Vec::new();
    let mut forgotten = Vec::new();
    emitted.retain(|output| match output {
        FocusOutput::StoreRoom(room) => {
            stored.push(room.clone());
            false
        }
        FocusOutput::ForgetRoom(number) => {
            forgotten.push(*number);
            false
        }
        _ => true,
    });
    (stored, forgotten)
}

fn outputs(focus: &mut Focus) -> Vec<FocusOutput> {
    std::iter::from_fn(|| focus.poll_output()).collect()
}

fn room_command(owner: &str, uri: &str, body: &str) -> Message<Vec<u8>> {
    let text = format!(
        "MESSAGE {uri} SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bKr\r\n\
         To: <{uri}>\r\nFrom: <sip:{owner}@example.com>;tag=r1\r\nCall-ID: room-cmd\r\n\
         CSeq: 1 MESSAGE\r\nContent-Type: {ROOM_CONTROL_CONTENT_TYPE}\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    Message::new_checked(text.into_bytes()).unwrap()
}

/// A persistent conference 9 created by alice: the 302 and the stored room.
fn create_room(focus: &mut Focus, entropy: &mut Counter, now: Instant) -> (Message<Vec<u8>>, Room) {
    let invite = Invite {
        uri: "sip:conference@example.com;persistent",
        user: "alice",
        call_id: "factory-room",
        cseq: 1,
        to_tag: None,
        sdp: Some(sdp(4000, &[])),
    };
    focus.on_initial_invite(tx(1), invite.message("INVITE"), udp(), "alice", entropy);
    let job = only_job(focus);
    focus.on_media_done(job.id, MediaOutcome::Created(ConferenceId(9)), now, entropy);
    let mut emitted = outputs(focus);
    let (stored, _) = stored_rooms(&mut emitted);
    assert_eq!(stored.len(), 1);
    assert_eq!(emitted.len(), 1);
    let Some(FocusOutput::Respond { response, .. }) = emitted.pop() else {
        panic!("expected the 302");
    };
    (Message::new_checked(response).unwrap(), stored[0].clone())
}

#[test]
fn a_persistent_conference_outlives_its_members_and_comes_back_after_a_restart() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = Focus::new(config());
    let (redirect, room) = create_room(&mut focus, &mut entropy, now);
    assert_eq!(redirect.status(), Some(302));
    let uri = redirect
        .contacts()
        .next()
        .unwrap()
        .address()
        .unwrap()
        .uri()
        .as_str()
        .to_owned();
    assert_eq!(
        uri,
        format!("sip:{ROOM_USER_PREFIX}{}@127.0.0.1:5060", room.number)
    );
    assert_eq!(room.owner, "alice");
    // Nobody joining does not end it.
    focus.handle_timeout(now + Duration::from_secs(3600));
    assert!(focus.knows(ConferenceId(9)));
    // Bob joins the room URI and leaves; it stays.
    let bob = Invite {
        uri: &uri,
        user: "bob",
        call_id: "bob-room",
        cseq: 1,
        to_tag: None,
        sdp: Some(sdp(4100, &[])),
    };
    let (ok, _) = join(&mut focus, &mut entropy, now, &bob, 2, 1, "127.0.0.1:30000");
    let mut bye = bob.clone();
    bye.cseq = 2;
    let tag = ok.to_tag().unwrap().to_owned();
    bye.to_tag = Some(&tag);
    bye.sdp = None;
    focus.on_bye(tx(3), bye.message("BYE"));
    let (responses, jobs) = drain(&mut focus);
    assert_eq!(responses[0].1.status(), Some(200));
    assert!(jobs
        .iter()
        .all(|j| !matches!(j.work, MediaWork::RemoveConference { .. })));
    assert!(focus.knows(ConferenceId(9)));
    assert_eq!(focus.rooms(), std::slice::from_ref(&room));

    // A restarted focus re-creates it under the same URI.
    let mut restarted = Focus::new(config());
    restarted.restore_rooms(vec![room.clone()], &mut entropy);
    let job = only_job(&mut restarted);
    restarted.on_media_done(
        job.id,
        MediaOutcome::Created(ConferenceId(1)),
        now,
        &mut entropy,
    );
    assert_eq!(
        restarted.resolve(&format!("room-{}", room.number)),
        Some(ConferenceId(1))
    );
    assert_eq!(restarted.resolve("room-77"), None);
    // A new room does not take a stored number.
    let (_, second) = create_room(&mut restarted, &mut entropy, now);
    assert!(second.number > room.number);
}

#[test]
fn only_the_owner_manages_a_room_and_delete_sends_bye() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = Focus::new(config());
    let (redirect, room) = create_room(&mut focus, &mut entropy, now);
    let uri = redirect
        .contacts()
        .next()
        .unwrap()
        .address()
        .unwrap()
        .uri()
        .as_str()
        .to_owned();
    let bob = Invite {
        uri: &uri,
        user: "bob",
        call_id: "bob-room",
        cseq: 1,
        to_tag: None,
        sdp: Some(sdp(4100, &[])),
    };
    join(&mut focus, &mut entropy, now, &bob, 2, 1, "127.0.0.1:30000");

    focus.on_message(
        tx(4),
        room_command("bob", &uri, "delete"),
        udp(),
        "bob",
        &mut entropy,
    );
    assert_eq!(only_response(&mut focus).status(), Some(403));

    let commands = "allow bob carol\nblock mallory\nloudest 2\n";
    focus.on_message(
        tx(5),
        room_command("alice", &uri, commands),
        udp(),
        "alice",
        &mut entropy,
    );
    let mut emitted = outputs(&mut focus);
    let (stored, _) = stored_rooms(&mut emitted);
    let last = stored.last().unwrap();
    assert_eq!(last.allow, ["bob", "carol"]);
    assert_eq!(last.block, ["mallory"]);
    assert_eq!(last.loudest_n, 2);
    assert!(emitted.iter().any(|o| matches!(
        o,
        FocusOutput::Media(MediaJob { work: MediaWork::SetSelection { policy, .. }, .. })
            if policy.max_talkers == 2
    )));
    assert!(emitted.iter().any(|o| matches!(
        o,
        FocusOutput::Respond { transaction, .. } if *transaction == tx(5)
    )));
    // Dave is not on the allow list, Mallory is blocked; the owner always gets in.
    for (user, status) in [("dave", 403), ("mallory", 403)] {
        let invite = Invite {
            uri: &uri,
            user,
            call_id: user,
            cseq: 1,
            to_tag: None,
            sdp: Some(sdp(4200, &[])),
        };
        focus.on_initial_invite(tx(6), invite.message("INVITE"), udp(), user, &mut entropy);
        assert_eq!(only_response(&mut focus).status(), Some(status), "{user}");
    }
    focus.on_message(
        tx(7),
        room_command("alice", &uri, "loudest 0"),
        udp(),
        "alice",
        &mut entropy,
    );
    assert_eq!(only_response(&mut focus).status(), Some(400));

    focus.on_message(
        tx(8),
        room_command("alice", &uri, "delete"),
        udp(),
        "alice",
        &mut entropy,
    );
    let mut emitted = outputs(&mut focus);
    let (_, forgotten) = stored_rooms(&mut emitted);
    assert_eq!(forgotten, [room.number]);
    let bye = emitted.iter().find_map(|o| match o {
        FocusOutput::Send(request) => Some(request),
        _ => None,
    });
    let bye = bye.expect("a BYE to bob");
    assert!(bye.request.starts_with(b"BYE sip:bob@192.0.2.7 "));
    assert!(emitted.iter().any(|o| matches!(
        o,
        FocusOutput::Media(MediaJob { work: MediaWork::RemoveConference { conference }, .. })
            if *conference == ConferenceId(9)
    )));
    assert!(!focus.knows(ConferenceId(9)));
    assert_eq!(focus.call_count(), 0);
}

#[test]
fn an_end_to_end_conference_hands_its_mixer_the_key_and_each_mix_leg_an_ssrc() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = Focus::new(config());
    let factory = Invite {
        uri: "sip:conference@example.com;keying=e2e",
        user: "alice",
        call_id: "factory",
        cseq: 1,
        to_tag: None,
        sdp: Some(sdp(4000, &[])),
    };
    focus.on_initial_invite(
        tx(1),
        factory.message("INVITE"),
        udp(),
        "alice",
        &mut entropy,
    );
    let job = only_job(&mut focus);
    let MediaWork::CreateConference {
        mixer_key: Some(mixer_key),
        ..
    } = &job.work
    else {
        panic!("an end-to-end conference is created with its mixer's key: {job:?}");
    };
    let shared: Vec<u32> = mixer_key.shared_ssrcs().to_vec();
    assert_eq!(shared.len(), 4);
    focus.on_media_done(
        job.id,
        MediaOutcome::Created(ConferenceId(3)),
        now,
        &mut entropy,
    );
    let (crypto, ssrc) = conference_key(&only_response(&mut focus));
    assert!(
        !shared.contains(&ssrc),
        "a participant never gets a mixer SSRC"
    );

    // A plain RTP/SAVP phone takes the mix: its leg gets a mix-minus SSRC of its own.
    let alice = Invite {
        uri: "sip:conf-3@127.0.0.1:5060",
        user: "alice",
        call_id: "a",
        cseq: 1,
        to_tag: None,
        sdp: Some(savp(4000, &crypto, Some(ssrc))),
    };
    focus.on_initial_invite(tx(2), alice.message("INVITE"), udp(), "alice", &mut entropy);
    let job = only_job(&mut focus);
    let MediaWork::AddLeg { request, .. } = &job.work else {
        panic!("expected AddLeg, got {job:?}");
    };
    assert_eq!(request.media.name(), "end_to_end");
    assert_eq!(request.receive, Receive::Mix);
    let mix_ssrc = request.mix_ssrc.expect("a mix-minus SSRC");
    assert!(mix_ssrc != ssrc && !shared.contains(&mix_ssrc));

    // With AVPF it takes the streams, and needs no SSRC for a mix.
    let bob = Invite {
        user: "bob",
        call_id: "b",
        sdp: Some(sdp(5000, &[]).replace("RTP/AVP 8 101", "RTP/AVP 0")),
        ..alice.clone()
    };
    focus.on_initial_invite(tx(3), bob.message("INVITE"), udp(), "bob", &mut entropy);
    let (bob_crypto, bob_ssrc) = conference_key(&only_response(&mut focus));
    let bob = Invite {
        sdp: Some(savp(4100, &bob_crypto, Some(bob_ssrc)).replace("RTP/SAVP", "RTP/SAVPF")),
        ..bob
    };
    focus.on_initial_invite(tx(4), bob.message("INVITE"), udp(), "bob", &mut entropy);
    let job = only_job(&mut focus);
    let MediaWork::AddLeg { request, .. } = &job.work else {
        panic!("expected AddLeg, got {job:?}");
    };
    assert_eq!(request.receive, Receive::Streams);
    assert_eq!(request.mix_ssrc, None);
}

#[test]
fn rekey_sends_every_participant_the_new_key_by_re_invite() {
    let now = Instant::now();
    let mut entropy = Counter(0);
    let mut focus = Focus::new(config());
    let invite = Invite {
        uri: "sip:conference@example.com;persistent;keying=e2e",
        user: "alice",
        call_id: "factory-e2e",
        cseq: 1,
        to_tag: None,
        sdp: None,
    };
    focus.on_initial_invite(
        tx(1),
        invite.message("INVITE"),
        udp(),
        "alice",
        &mut entropy,
    );
    let job = only_job(&mut focus);
    focus.on_media_done(
        job.id,
        MediaOutcome::Created(ConferenceId(9)),
        now,
        &mut entropy,
    );
    let mut emitted = outputs(&mut focus);
    stored_rooms(&mut emitted);
    let Some(FocusOutput::Respond { response, .. }) = emitted.pop() else {
        panic!("expected the 302");
    };
    let redirect = Message::new_checked(response).unwrap();
    let uri = redirect
        .contacts()
        .next()
        .unwrap()
        .address()
        .unwrap()
        .uri()
        .as_str()
        .to_owned();
    let handed = redirect
        .extension_values(CONFERENCE_KEY_HEADER)
        .next()
        .unwrap()
        .to_owned();
    let (suite_and_key, ssrc) = handed.split_once(";ssrc=").unwrap();
    let alice = Invite {
        uri: &uri,
        user: "alice",
        call_id: "alice-e2e",
        cseq: 1,
        to_tag: None,
        sdp: Some(savp(4300, suite_and_key, ssrc.parse().ok())),
    };
    join(
        &mut focus,
        &mut entropy,
        now,
        &alice,
        2,
        1,
        "127.0.0.1:30000",
    );

    focus.on_message(
        tx(3),
        room_command("alice", &uri, "rekey"),
        udp(),
        "alice",
        &mut entropy,
    );
    let emitted = drain_all(&mut focus);
    assert_eq!(emitted.responses[0].1.status(), Some(200));
    assert_eq!(emitted.sent.len(), 1);
    // The mixer gets the new key, its shared SSRCs claimed again under it.
    let handed_to_mixer: Vec<&MediaWork> = emitted.jobs.iter().map(|j| &j.work).collect();
    assert!(
        matches!(
            handed_to_mixer.as_slice(),
            [MediaWork::SetMixerKey { conference: ConferenceId(9), key }] if key.shared_ssrcs().len() == 4
        ),
        "{handed_to_mixer:?}"
    );
    let (outgoing, reinvite) = &emitted.sent[0];
    assert_eq!(reinvite.method(), crate::sip::Method::Invite);
    assert_eq!(reinvite.call_id(), "alice-e2e");
    let body = String::from_utf8_lossy(reinvite.body()).into_owned();
    assert!(body.contains("m=audio 30000 RTP/SAVP "), "{body}");
    let new_key = body
        .lines()
        .find_map(|l| l.strip_prefix("a=crypto:1 "))
        .unwrap()
        .to_owned();
    assert_ne!(new_key, suite_and_key, "a new key");
    assert!(body.contains("a=ssrc:"), "{body}");
    // Alice's 200 gets an ACK.
    let ok = answer_invite(reinvite, 200, &savp(4300, &new_key, None));
    focus.on_outgoing_result(
        outgoing.id,
        crate::sip::transaction::outgoing::OutgoingResult::Response(ok),
        &mut entropy,
    );
    let after = drain_all(&mut focus);
    assert_eq!(after.sent.len(), 1);
    assert!(after.sent[0].0.stateless);
    assert_eq!(after.sent[0].1.method(), crate::sip::Method::Ack);
}

#[test]
fn a_media_timeout_ends_the_call_with_bye_and_removes_the_leg() {
    let mut entropy = Counter(0);
    let now = Instant::now();
    let mut focus = Focus::new(config());
    three_members(&mut focus, &mut entropy, now);
    drain_all(&mut focus);

    // Bob's leg (2) goes silent.
    focus.on_media_timeout(LegId(2));
    let emitted = drain_all(&mut focus);
    assert_eq!(emitted.sent.len(), 1, "one BYE");
    let (request, bye) = &emitted.sent[0];
    assert_eq!(bye.method(), crate::sip::Method::Bye);
    assert_eq!(bye.call_id(), "bob");
    assert!(!request.stateless);
    assert!(matches!(
        emitted.jobs.as_slice(),
        [MediaJob {
            work: MediaWork::RemoveLeg { leg: LegId(2) },
            ..
        }]
    ));

    // The call is gone: a second timeout, or one on a leg no call owns, does nothing.
    focus.on_media_timeout(LegId(2));
    focus.on_media_timeout(LegId(99));
    let emitted = drain_all(&mut focus);
    assert!(emitted.sent.is_empty() && emitted.jobs.is_empty());
}
