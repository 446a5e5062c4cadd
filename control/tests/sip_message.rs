//! Text conferences through the real binary (issue 5 item 5): Alice (a Rust user agent)
//! creates a conference and joins it; three SIPp participants join; Alice's MESSAGE to the
//! conference URI gets 202 and is copied to the others, each copy naming her as author
//! (checked by the SIPp scenarios). Bob and Carol take it, Dave answers 486, so Alice gets
//! a MESSAGE from the conference saying Dave missed it.

mod sip_support;
mod support;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use sip_support::*;
use support::*;

const USERS: &[(&str, &str)] = &[
    ("alice", "wonderland"),
    ("bob", "builder"),
    ("carol", "singer"),
    ("dave", "diver"),
];

/// A SIPp participant of `conference` running `scenario_file`.
fn member(
    node: &SipNode,
    dir: &Path,
    conference: &str,
    (user, password): (&str, &str),
    scenario_file: &str,
) -> std::thread::JoinHandle<Output> {
    let args: Vec<String> = [
        node.sip.to_string().as_str(),
        "-sf",
        &scenario(scenario_file),
        "-s",
        conference,
        "-au",
        user,
        "-ap",
        password,
        "-key",
        "caller",
        user,
        "-m",
        "1",
        "-i",
        "127.0.0.1",
        "-p",
        &free_port().to_string(),
        "-mp",
        &free_port().to_string(),
        "-nostdin",
        "-timeout",
        "20",
        "-timeout_error",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let dir = dir.to_owned();
    std::thread::spawn(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        sipp(&args, &dir)
    })
}

fn legs_of(node: &SipNode, id: &str) -> Option<usize> {
    let answer = node
        .process
        .request("GET", &format!("/v1/conferences/{id}"), "");
    (answer.status == 200).then(|| answer.json()["legs"].as_array().map_or(0, Vec::len))
}

/// A MESSAGE from Alice to `uri` outside any dialog.
fn message(uac: &Uac, uri: &str, call_id: &str, cseq: u32, auth: &str, text: &str) -> String {
    let (transport, local) = uac.local();
    format!(
        "MESSAGE {uri} SIP/2.0\r\nVia: SIP/2.0/{transport} {local};branch={};rport\r\n\
         Max-Forwards: 70\r\nFrom: <sip:alice@medianode.test>;tag=m{cseq}\r\nTo: <{uri}>\r\n\
         Call-ID: {call_id}\r\nCSeq: {cseq} MESSAGE\r\n{auth}Content-Type: text/plain\r\n\
         Content-Length: {}\r\n\r\n{text}",
        new_branch(),
        text.len()
    )
}

#[test]
fn a_message_to_a_conference_reaches_the_others_and_failures_come_back() {
    let started = Instant::now();
    let dir = scratch_dir("sip-message");
    let setup = SipNodeSetup {
        dir: &dir,
        users: USERS,
        algorithms: "[\"MD5\"]",
        media_ports: (36120, 36139),
        tls: None,
        extra_sip: "",
    };
    let node = SipNode::start(&setup);

    // Alice: factory -> 302 -> join.
    let mut alice = Uac::udp(node.sip, "alice", "wonderland");
    let factory = format!("sip:conference@{}", node.sip);
    let mut call = ClientCall::new(&factory);
    let offer = sdp_offer(
        "127.0.0.1:40010".parse().unwrap(),
        "RTP/AVP",
        "8",
        "a=rtpmap:8 PCMA/8000\r\n",
    );
    let redirect = invite(&mut alice, &mut call, &factory, &offer, "MD5");
    assert_eq!(redirect.status(), 302, "{redirect:?}");
    let conference_uri = redirect.contact_uri().unwrap();
    let conference = conference_uri
        .strip_prefix("sip:")
        .and_then(|u| u.split('@').next())
        .unwrap()
        .to_owned();
    let id = conference.strip_prefix("conf-").unwrap().to_owned();
    let mut joined = ClientCall::new(&conference_uri);
    let ok = invite(&mut alice, &mut joined, &conference_uri, &offer, "MD5");
    assert_eq!(ok.status(), 200, "{ok:?}");

    let members = [
        member(
            &node,
            &dir,
            &conference,
            ("bob", "builder"),
            "message_member.xml",
        ),
        member(
            &node,
            &dir,
            &conference,
            ("carol", "singer"),
            "message_member.xml",
        ),
        member(
            &node,
            &dir,
            &conference,
            ("dave", "diver"),
            "message_member_busy.xml",
        ),
    ];
    let deadline = Instant::now() + Duration::from_secs(15);
    while legs_of(&node, &id) != Some(4) {
        assert!(
            Instant::now() < deadline,
            "the SIPp members never joined: {}",
            node.process.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // Alice writes to the conference.
    let call_id = format!("{}@test", random_hex(8));
    let text = "hello from alice";
    alice.send(&message(&alice, &conference_uri, &call_id, 1, "", text));
    let challenge = alice.final_response("MESSAGE");
    assert_eq!(challenge.status(), 401, "{challenge:?}");
    let auth = format!(
        "Authorization: {}\r\n",
        authorization(&challenge, "MD5", &alice, "MESSAGE", &conference_uri)
    );
    alice.send(&message(&alice, &conference_uri, &call_id, 2, &auth, text));
    let accepted = alice.final_response("MESSAGE");
    assert_eq!(accepted.status(), 202, "{accepted:?}");

    for (n, handle) in members.into_iter().enumerate() {
        let output = handle.join().unwrap();
        assert!(
            output.status.success(),
            "SIPp member {n} failed ({}): {}\n{}\nnode log: {}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            node.process.log()
        );
    }

    // The conference tells Alice, in her call, that Dave missed it.
    let deadline = Instant::now() + Duration::from_secs(10);
    let report = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let received = alice.recv(left).expect("the delivery report");
        if received.start.starts_with("MESSAGE ") {
            break received;
        }
    };
    assert!(
        report.header("From").unwrap().contains("conf-"),
        "{report:?}"
    );
    assert_eq!(report.header("Call-ID"), Some(joined.call_id.as_str()));
    assert_eq!(
        report.body.trim_end(),
        "Not delivered to: dave (486 Busy Here)"
    );

    let (status, log) = node.process.stop();
    assert!(status.success(), "{log}");
    assert!(started.elapsed() < Duration::from_secs(60));
}
