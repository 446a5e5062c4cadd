//! Persistent conferences through the real binary (issue 5 item 6): Alice creates one
//! through the factory URI with `;persistent`; Bob joins its room URI and leaves, and it
//! stays; Alice (the owner) sets its loudest-N and block list by MESSAGE; after a restart
//! the room is re-created under the same URI with its settings, and Alice's registration
//! is still there; Bob joins again; Alice deletes the room and Bob gets a BYE.

mod sip_support;
mod support;

use std::time::{Duration, Instant};

use serde_json::Value;
use sip_support::*;
use support::*;

const USERS: &[(&str, &str)] = &[
    ("alice", "wonderland"),
    ("bob", "builder"),
    ("mallory", "malice"),
];

fn conferences(node: &SipNode) -> Vec<Value> {
    node.process.get_json("/v1/conferences")["conferences"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn bindings(node: &SipNode, user: &str) -> Vec<Value> {
    node.process.get_json(&format!("/v1/users/{user}"))["bindings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Sends a request outside any dialog from `uac`, answering one digest challenge; the
/// final response.
fn authenticated(
    uac: &mut Uac,
    method: &str,
    (uri, to): (&str, &str),
    extra: &str,
    body: &str,
) -> SipText {
    let call_id = format!("{}@test", random_hex(8));
    let from_tag = random_hex(4);
    let mut auth = String::new();
    for cseq in 1..=2 {
        let (transport, local) = uac.local();
        let text = format!(
            "{method} {uri} SIP/2.0\r\nVia: SIP/2.0/{transport} {local};branch={};rport\r\n\
             Max-Forwards: 70\r\nFrom: <sip:{user}@medianode.test>;tag={from_tag}\r\n\
             To: <{to}>\r\nCall-ID: {call_id}\r\nCSeq: {cseq} {method}\r\n\
             Contact: <sip:{user}@{local}>\r\n{extra}{auth}Content-Length: {}\r\n\r\n{body}",
            new_branch(),
            body.len(),
            user = uac.user,
        );
        uac.send(&text);
        let response = uac.final_response(method);
        if response.status() != 401 || cseq == 2 {
            return response;
        }
        auth = format!(
            "Authorization: {}\r\n",
            authorization(&response, "MD5", uac, method, uri)
        );
    }
    unreachable!("the loop returns")
}

/// The owner's commands to a room.
fn manage(alice: &mut Uac, room: &str, commands: &str) -> u16 {
    authenticated(
        alice,
        "MESSAGE",
        (room, room),
        "Content-Type: application/vnd.medianode.room\r\n",
        commands,
    )
    .status()
}

fn offer() -> String {
    sdp_offer(
        "127.0.0.1:40020".parse().unwrap(),
        "RTP/AVP",
        "8",
        "a=rtpmap:8 PCMA/8000\r\n",
    )
}

fn wait_for(what: &str, mut probe: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !probe() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Stops `node` and starts it again on the same database (new HTTP and SIP ports).
fn restart(node: SipNode, dir: &std::path::Path) -> SipNode {
    let (status, log) = node.process.stop();
    assert!(status.success(), "{log}");
    let http_port = free_port();
    let config = std::fs::read_to_string(&node.config).unwrap();
    let old_http = config
        .lines()
        .find(|l| l.starts_with("listen = "))
        .unwrap()
        .to_owned();
    let config = config.replace(&old_http, &format!("listen = \"127.0.0.1:{http_port}\""));
    let path = write_config(dir, &config);
    SipNode::attach(NodeProcess::start(&path, http_port), path)
}

#[test]
fn a_persistent_conference_survives_its_members_and_a_restart_and_its_owner_deletes_it() {
    let started = Instant::now();
    let dir = scratch_dir("sip-persistent");
    let setup = SipNodeSetup {
        dir: &dir,
        users: USERS,
        algorithms: "[\"MD5\"]",
        media_ports: (36140, 36159),
        tls: None,
        extra_sip: "",
    };
    let node = SipNode::start(&setup);

    // Alice registers, then creates a room.
    let mut alice = Uac::udp(node.sip, "alice", "wonderland");
    let registered = authenticated(
        &mut alice,
        "REGISTER",
        ("sip:medianode.test", "sip:alice@medianode.test"),
        "",
        "",
    );
    assert_eq!(registered.status(), 200, "{registered:?}");
    let factory = format!("sip:conference@{};persistent", node.sip);
    let mut call = ClientCall::new(&factory);
    let redirect = invite(&mut alice, &mut call, &factory, &offer(), "MD5");
    assert_eq!(redirect.status(), 302, "{redirect:?}");
    let room_uri = redirect.contact_uri().unwrap();
    let room_user = room_uri
        .strip_prefix("sip:")
        .and_then(|u| u.split('@').next())
        .unwrap()
        .to_owned();
    assert!(room_user.starts_with("room-"), "{room_uri}");

    // Bob joins and leaves: the room stays.
    let mut bob = Uac::udp(node.sip, "bob", "builder");
    let mut bob_call = ClientCall::new(&room_uri);
    let ok = invite(&mut bob, &mut bob_call, &room_uri, &offer(), "MD5");
    assert_eq!(ok.status(), 200, "{ok:?}");
    assert_eq!(bye(&mut bob, &mut bob_call).status(), 200);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(conferences(&node).len(), 1, "the room outlives its members");

    // Only the owner manages it.
    assert_eq!(manage(&mut bob, &room_uri, "loudest 1"), 403);
    assert_eq!(
        manage(&mut alice, &room_uri, "loudest 2\nblock mallory"),
        200
    );
    wait_for("loudest 2", || {
        conferences(&node)
            .first()
            .is_some_and(|c| c["policy"]["loudest_n"] == 2)
    });

    // After a restart: the same URI (user part), the settings, the registration.
    let node = restart(node, &dir);
    assert_eq!(bindings(&node, "alice").len(), 1, "alice's registration");
    wait_for("the room to be re-created", || {
        conferences(&node).len() == 1
    });
    assert_eq!(conferences(&node)[0]["policy"]["loudest_n"], 2);
    let room_uri = format!("sip:{room_user}@{}", node.sip);
    let mut mallory = Uac::udp(node.sip, "mallory", "malice");
    let mut mallory_call = ClientCall::new(&room_uri);
    let refused = invite(&mut mallory, &mut mallory_call, &room_uri, &offer(), "MD5");
    assert_eq!(refused.status(), 403, "mallory is blocked: {refused:?}");
    let mut bob = Uac::udp(node.sip, "bob", "builder");
    let mut bob_call = ClientCall::new(&room_uri);
    let ok = invite(&mut bob, &mut bob_call, &room_uri, &offer(), "MD5");
    assert_eq!(ok.status(), 200, "{ok:?}\n{}", node.process.log());

    // The owner deletes it: Bob gets a BYE, the conference is gone.
    let mut alice = Uac::udp(node.sip, "alice", "wonderland");
    assert_eq!(manage(&mut alice, &room_uri, "delete"), 200);
    let bye_request = bob.recv(Duration::from_secs(5)).expect("a BYE for bob");
    assert!(bye_request.start.starts_with("BYE "), "{bye_request:?}");
    assert_eq!(
        bye_request.header("Call-ID"),
        Some(bob_call.call_id.as_str())
    );
    wait_for("the room to go", || conferences(&node).is_empty());

    // And it stays gone after another restart.
    let node = restart(node, &dir);
    std::thread::sleep(Duration::from_millis(300));
    assert!(conferences(&node).is_empty());
    let (status, log) = node.process.stop();
    assert!(status.success(), "{log}");
    assert!(started.elapsed() < Duration::from_secs(60));
}
