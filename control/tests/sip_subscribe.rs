//! SUBSCRIBE/NOTIFY through the real binary (RFC 6665):
//! - a supervisor (SIPp) watches a conference it does not join and sees, NOTIFY by NOTIFY,
//!   two participants join, one hold, and both leave (RFC 4575 conference-info, full state
//!   then partial updates);
//! - a buddy watches a user's presence (PIDF) go open and closed as the user registers
//!   and unregisters, a stranger is refused, and the user sees its watcher (RFC 3857);
//! - a participant who talks (RTP with RFC 6464 audio levels) becomes an active speaker
//!   in the supervisor's conference state;
//! - buddy lists set through the admin API are there after a restart.

mod sip_support;
mod support;

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use serde_json::json;
use sip_support::*;
use support::*;

const USERS: &[(&str, &str)] = &[
    ("alice", "wonderland"),
    ("bob", "builder"),
    ("carol", "supervisor"),
    ("mallory", "stranger"),
];

fn wait_for_log(node: &SipNode, text: &str, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while node.process.log().matches(text).count() < count {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {text:?} in the log:\n{}",
            node.process.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn join(node: &SipNode, user: &str, password: &str, conference_uri: &str) -> (Uac, ClientCall) {
    let mut uac = Uac::udp(node.sip, user, password);
    let mut call = ClientCall::new(conference_uri);
    let media = "127.0.0.1:9".parse().unwrap();
    let offer = sdp_offer(media, "RTP/AVP", "8", "a=rtpmap:8 PCMA/8000\r\n");
    let ok = invite(&mut uac, &mut call, conference_uri, &offer, "MD5");
    assert_eq!(
        ok.status(),
        200,
        "{user} joins: {ok:?}\n{}",
        node.process.log()
    );
    (uac, call)
}

#[test]
fn a_supervisor_sees_participants_join_hold_and_leave_a_conference() {
    let dir = scratch_dir("sip-subscribe-conference");
    let setup = SipNodeSetup {
        dir: &dir,
        users: USERS,
        algorithms: "[\"MD5\"]",
        media_ports: (36400, 36419),
        tls: None,
        extra_sip: "[sip.policy]\nsupervise = [\"carol\"]\n",
    };
    let node = SipNode::start(&setup);
    let id = node
        .process
        .create("/v1/conferences", &json!({ "loudest_n": 3 }))["id"]
        .as_str()
        .map(str::to_owned)
        .unwrap();
    let conference_uri = format!("sip:conf-{id}@{}", node.sip);

    // A user who is neither in the conference nor a supervisor is refused.
    let mut mallory = Uac::udp(node.sip, "mallory", "stranger");
    let mut watch = ClientCall::new(&conference_uri);
    let refused = subscribe(&mut mallory, &mut watch, "conference", 600);
    assert_eq!(refused.status(), 403, "{refused:?}");

    // Carol (SIPp) subscribes and checks every NOTIFY it gets.
    let server = node.sip.to_string();
    let sipp_dir = dir.clone();
    let service = format!("conf-{id}");
    let port = free_port().to_string();
    let carol = std::thread::spawn(move || {
        sipp(
            &[
                &server,
                "-sf",
                &scenario("subscribe_conference.xml"),
                "-s",
                &service,
                "-au",
                "carol",
                "-ap",
                "supervisor",
                "-key",
                "caller",
                "carol",
                "-m",
                "1",
                "-i",
                "127.0.0.1",
                "-p",
                &port,
                "-nostdin",
                "-timeout",
                "30",
                "-timeout_error",
            ],
            &sipp_dir,
        )
    });
    wait_for_log(&node, "subscription started", 1);

    // Each change is its own NOTIFY: every step waits for the previous one's answer.
    let (mut alice, mut alice_call) = join(&node, "alice", "wonderland", &conference_uri);
    let (mut bob, mut bob_call) = join(&node, "bob", "builder", &conference_uri);
    let legs = node.process.get_json(&format!("/v1/conferences/{id}"))["legs"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(legs, 2, "both participants are in the conference");
    // Bob holds: his leg leaves the core, the answer says inactive.
    let hold = sdp_offer(
        "127.0.0.1:9".parse().unwrap(),
        "RTP/AVP",
        "8",
        "a=rtpmap:8 PCMA/8000\r\na=sendonly\r\n",
    );
    bob_call.cseq += 1;
    let target = bob_call.target.clone();
    bob.send(&bob_call.request(&bob, "INVITE", &target, &new_branch(), "", &hold));
    let held = bob.final_response("INVITE");
    assert_eq!(held.status(), 200, "{held:?}");
    assert!(held.body.contains("a=inactive"), "{}", held.body);
    bob.send(&bob_call.request(&bob, "ACK", &target, &new_branch(), "", ""));
    assert_eq!(bye(&mut alice, &mut alice_call).status(), 200);
    assert_eq!(bye(&mut bob, &mut bob_call).status(), 200);

    let output = carol.join().unwrap();
    assert!(
        output.status.success(),
        "SIPp failed ({}): {}\n{}\nnode log: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        node.process.log()
    );
    let (status, log) = node.process.stop();
    assert!(status.success(), "{log}");
    assert!(log.contains("unsubscribed"), "{log}");
}

#[test]
fn a_participant_who_talks_becomes_an_active_speaker_in_the_conference_state() {
    let dir = scratch_dir("sip-subscribe-speaker");
    let setup = SipNodeSetup {
        dir: &dir,
        users: USERS,
        algorithms: "[\"MD5\"]",
        media_ports: (36430, 36439),
        tls: None,
        extra_sip: "[sip.policy]\nsupervise = [\"carol\"]\n",
    };
    let node = SipNode::start(&setup);
    let id = node
        .process
        .create("/v1/conferences", &json!({ "loudest_n": 2 }))["id"]
        .as_str()
        .map(str::to_owned)
        .unwrap();
    let conference_uri = format!("sip:conf-{id}@{}", node.sip);
    let mut carol = Uac::udp(node.sip, "carol", "supervisor");
    let mut watch = ClientCall::new(&conference_uri);
    assert_eq!(
        subscribe(&mut carol, &mut watch, "conference", 600).status(),
        200
    );
    let full = next_notify(&mut carol);
    assert!(
        full.body.contains("state=\"full\" version=\"1\""),
        "{full:?}"
    );

    // Alice joins offering audio levels, and talks.
    let media = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut alice = Uac::udp(node.sip, "alice", "wonderland");
    let mut call = ClientCall::new(&conference_uri);
    let offer = sdp_offer(
        media.local_addr().unwrap(),
        "RTP/AVP",
        "8",
        "a=rtpmap:8 PCMA/8000\r\na=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n",
    );
    let ok = invite(&mut alice, &mut call, &conference_uri, &offer, "MD5");
    assert_eq!(ok.status(), 200, "{ok:?}");
    let ext = ok
        .body
        .lines()
        .find_map(|l| l.strip_prefix("a=extmap:"))
        .and_then(|rest| rest.split([' ', '/']).next())
        .and_then(|id| id.parse::<u8>().ok())
        .expect("the answer keeps the audio level extension");
    let node_media = answer_media(&ok.body);
    let joined = next_notify(&mut carol);
    assert!(
        joined.body.contains("<mn:speaking>false</mn:speaking>"),
        "{joined:?}"
    );

    let deadline = Instant::now() + Duration::from_secs(5);
    let mut seq = 0u16;
    let speaking = loop {
        assert!(
            Instant::now() < deadline,
            "alice never became an active speaker:\n{}",
            node.process.log()
        );
        let packet = rtp_with_level(8, seq, u32::from(seq) * 160, 0xa11ce, ext, 5, &[0xd5; 160]);
        media.send_to(&packet, node_media).unwrap();
        seq = seq.wrapping_add(1);
        if let Some(message) = carol.recv(Duration::from_millis(20)) {
            if message.start.starts_with("NOTIFY ") {
                let mut ok = String::from("SIP/2.0 200 OK\r\n");
                for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
                    for value in message.headers_named(name) {
                        ok.push_str(&format!("{name}: {value}\r\n"));
                    }
                }
                ok.push_str("Content-Length: 0\r\n\r\n");
                carol.send(&ok);
                if message.body.contains("<mn:speaking>true</mn:speaking>") {
                    break message;
                }
            }
        }
    };
    assert!(
        speaking
            .body
            .contains("<user entity=\"sip:alice@medianode.test\" state=\"full\">"),
        "{speaking:?}"
    );
    assert_eq!(bye(&mut alice, &mut call).status(), 200);
    let (status, log) = node.process.stop();
    assert!(status.success(), "{log}");
}

/// SUBSCRIBE to `call.to_uri` for `event`, answering a digest challenge; the final
/// response (the dialog's To tag is kept in `call`).
fn subscribe(uac: &mut Uac, call: &mut ClientCall, event: &str, expires: u32) -> SipText {
    let uri = call.to_uri.clone();
    let headers = format!("Event: {event}\r\nExpires: {expires}\r\n");
    let mut authorization_line = String::new();
    for _ in 0..2 {
        call.cseq += 1;
        let extra = format!("{headers}{authorization_line}");
        uac.send(&call.request(uac, "SUBSCRIBE", &uri, &new_branch(), &extra, ""));
        let response = uac.final_response("SUBSCRIBE");
        if response.status() == 401 && authorization_line.is_empty() {
            authorization_line = format!(
                "Authorization: {}\r\n",
                authorization(&response, "MD5", uac, "SUBSCRIBE", &uri)
            );
            continue;
        }
        if response.status() == 200 {
            call.to_tag = response.to_tag();
        }
        return response;
    }
    unreachable!("the loop returns")
}

/// The next NOTIFY, answered 200.
fn next_notify(uac: &mut Uac) -> SipText {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let message = uac.recv(left).expect("a NOTIFY");
        if !message.start.starts_with("NOTIFY ") {
            continue;
        }
        let mut ok = String::from("SIP/2.0 200 OK\r\n");
        for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
            for value in message.headers_named(name) {
                ok.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        ok.push_str("Content-Length: 0\r\n\r\n");
        uac.send(&ok);
        return message;
    }
}

/// REGISTER `uac`'s user for `expires` seconds (0 removes its bindings).
fn register(uac: &mut Uac, node: &SipNode, call: &mut ClientCall, expires: u32) {
    let uri = format!("sip:{}", node.sip);
    let mut authorization_line = String::new();
    for _ in 0..2 {
        call.cseq += 1;
        let extra = format!("Expires: {expires}\r\n{authorization_line}");
        uac.send(&call.request(uac, "REGISTER", &uri, &new_branch(), &extra, ""));
        let response = uac.final_response("REGISTER");
        if response.status() == 401 && authorization_line.is_empty() {
            authorization_line = format!(
                "Authorization: {}\r\n",
                authorization(&response, "MD5", uac, "REGISTER", &uri)
            );
            continue;
        }
        assert_eq!(response.status(), 200, "{response:?}");
        return;
    }
}

fn basic(notify: &SipText) -> &str {
    if notify.body.contains("<basic>open</basic>") {
        "open"
    } else if notify.body.contains("<basic>closed</basic>") {
        "closed"
    } else {
        panic!("no basic status in {notify:?}")
    }
}

#[test]
fn presence_follows_registrations_for_buddies_and_lists_survive_a_restart() {
    let dir = scratch_dir("sip-subscribe-presence");
    let setup = SipNodeSetup {
        dir: &dir,
        users: USERS,
        algorithms: "[\"MD5\"]",
        media_ports: (36420, 36429),
        tls: None,
        extra_sip: "",
    };
    let node = SipNode::start(&setup);
    let alice_uri = "sip:alice@medianode.test";

    // Nobody is on alice's list yet: bob may not watch her.
    let mut bob = Uac::udp(node.sip, "bob", "builder");
    let mut refused = ClientCall::new(alice_uri);
    assert_eq!(
        subscribe(&mut bob, &mut refused, "presence", 600).status(),
        403
    );

    // The admin API puts bob on alice's list.
    let put = node
        .process
        .request("PUT", "/v1/users/alice/buddies/bob", "");
    assert_eq!(put.status, 201, "{}", put.body);
    let again = node
        .process
        .request("PUT", "/v1/users/alice/buddies/bob", "");
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(
        node.process
            .request("PUT", "/v1/users/nobody/buddies/bob", "")
            .status,
        404
    );
    assert_eq!(
        node.process
            .request("GET", "/v1/users/alice/buddies/carol", "")
            .status,
        404
    );

    // Bob watches: closed (alice has not registered), open when she does, closed again
    // when she unregisters.
    let mut watch = ClientCall::new(alice_uri);
    let ok = subscribe(&mut bob, &mut watch, "presence", 600);
    assert_eq!(ok.status(), 200, "{ok:?}");
    assert!(ok.header("Expires").is_some(), "{ok:?}");
    let first = next_notify(&mut bob);
    assert_eq!(first.header("Event"), Some("presence"));
    assert_eq!(
        first.header("Content-Type"),
        Some("application/pidf+xml"),
        "{first:?}"
    );
    assert!(first.body.contains("entity=\"sip:alice@medianode.test\""));
    assert_eq!(basic(&first), "closed");

    let mut alice = Uac::udp(node.sip, "alice", "wonderland");
    let mut registration = ClientCall::new(alice_uri);
    register(&mut alice, &node, &mut registration, 600);
    let online = next_notify(&mut bob);
    assert_eq!(basic(&online), "open", "{online:?}");
    assert!(online
        .header("Subscription-State")
        .unwrap()
        .starts_with("active"));

    // Alice asks who watches her.
    let mut winfo = ClientCall::new(alice_uri);
    assert_eq!(
        subscribe(&mut alice, &mut winfo, "presence.winfo", 600).status(),
        200
    );
    let watchers = next_notify(&mut alice);
    assert_eq!(
        watchers.header("Content-Type"),
        Some("application/watcherinfo+xml")
    );
    assert!(
        watchers
            .body
            .contains("status=\"active\">sip:bob@medianode.test</watcher>"),
        "{watchers:?}"
    );
    // Nobody else may.
    let mut spy = ClientCall::new(alice_uri);
    assert_eq!(
        subscribe(&mut bob, &mut spy, "presence.winfo", 600).status(),
        403
    );

    register(&mut alice, &node, &mut registration, 0);
    let offline = next_notify(&mut bob);
    assert_eq!(basic(&offline), "closed", "{offline:?}");

    // Unsubscribing ends with a terminated NOTIFY.
    let done = subscribe(&mut bob, &mut watch, "presence", 0);
    assert_eq!(done.status(), 200, "{done:?}");
    let last = next_notify(&mut bob);
    assert!(last
        .header("Subscription-State")
        .unwrap()
        .starts_with("terminated"));

    // The buddy list is in the database: it survives a restart.
    let (status, log) = node.process.stop();
    assert!(status.success(), "{log}");
    let node = SipNode::start(&setup);
    let list = node.process.get_json("/v1/users/alice/buddies");
    assert_eq!(list["buddies"], json!(["bob"]), "{list}");
    assert_eq!(
        node.process
            .request("DELETE", "/v1/users/alice/buddies/bob", "")
            .status,
        204
    );
    assert_eq!(
        node.process.get_json("/v1/users/alice/buddies")["buddies"],
        json!([])
    );
    let (status, log) = node.process.stop();
    assert!(status.success(), "{log}");
}
