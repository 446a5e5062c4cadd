//! The focus driven by hand: requests in, responses and media jobs out, job outcomes
//! back in, with a fixed random sequence.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use medianode_dataplane::conference::{ConferenceId, LegId, SelectionPolicy};
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
