//! Inviting others into a conference through the real binary (issue 5 item 3): SIPp
//! inviters REFER the conference URI naming an invitee; SIPp invitees, registered for
//! their own ports, answer the focus's INVITE with 486, 603 or 200; the inviter's NOTIFYs
//! carry `SIP/2.0 100 Trying` and then the invitee's final status as message/sipfrag. An
//! invitee that only rings is CANCELled after `sip.invite_timeout_secs` (408). A user
//! without any registration gets 404 in the NOTIFY. The invitee that answered 200 has a
//! leg in the conference afterwards.

mod sip_support;
mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use sip_support::*;
use support::*;

const USERS: &[(&str, &str)] = &[
    ("alice", "wonderland"),
    ("carol", "singer"),
    ("dave", "diver"),
    ("erin", "engineer"),
    ("frank", "farmer"),
    ("gina", "gardener"),
];

/// REGISTERs `user` with the contact `sip:user@<contact>` (a SIPp invitee's port).
fn register(node: &SipNode, user: &str, password: &str, contact: SocketAddr) {
    let mut uac = Uac::udp(node.sip, user, password);
    let uri = "sip:medianode.test";
    let call_id = format!("{}@test", random_hex(8));
    let request = |cseq: u32, auth: &str, uac: &Uac| {
        let (transport, local) = uac.local();
        format!(
            "REGISTER {uri} SIP/2.0\r\nVia: SIP/2.0/{transport} {local};branch={};rport\r\n\
             Max-Forwards: 70\r\nFrom: <sip:{user}@medianode.test>;tag=r{cseq}\r\n\
             To: <sip:{user}@medianode.test>\r\nCall-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\n\
             Contact: <sip:{user}@{contact}>\r\nExpires: 300\r\n{auth}Content-Length: 0\r\n\r\n",
            new_branch()
        )
    };
    uac.send(&request(1, "", &uac));
    let challenge = uac.final_response("REGISTER");
    assert_eq!(challenge.status(), 401, "{challenge:?}");
    let auth = format!(
        "Authorization: {}\r\n",
        authorization(&challenge, "MD5", &uac, "REGISTER", uri)
    );
    uac.send(&request(2, &auth, &uac));
    let ok = uac.final_response("REGISTER");
    assert_eq!(ok.status(), 200, "{ok:?}");
}

/// A SIPp invitee running `scenario_file` on `port` for one call, in the background.
fn invitee(
    node: &SipNode,
    dir: &Path,
    scenario_file: &str,
    port: u16,
) -> std::thread::JoinHandle<Output> {
    let server = node.sip.to_string();
    let dir = dir.to_owned();
    let scenario_path = scenario(scenario_file);
    let media_port = free_port().to_string();
    std::thread::spawn(move || {
        sipp(
            &[
                &server,
                "-sf",
                &scenario_path,
                "-m",
                "1",
                "-i",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-mp",
                &media_port,
                "-nostdin",
                "-timeout",
                "20",
                "-timeout_error",
            ],
            &dir,
        )
    })
}

/// Alice REFERs `invitee` into `conference`; returns SIPp's output and the messages it
/// exchanged.
fn refer(node: &SipNode, dir: &Path, conference: &str, invitee: &str) -> (Output, String) {
    let messages = dir.join(format!("refer-{invitee}.log"));
    let port = free_port().to_string();
    let output = sipp(
        &[
            &node.sip.to_string(),
            "-sf",
            &scenario("refer_inviter.xml"),
            "-s",
            conference,
            "-au",
            "alice",
            "-ap",
            "wonderland",
            "-key",
            "caller",
            "alice",
            "-key",
            "invitee",
            invitee,
            "-m",
            "1",
            "-i",
            "127.0.0.1",
            "-p",
            &port,
            "-nostdin",
            "-timeout",
            "20",
            "-timeout_error",
            "-trace_msg",
            "-message_file",
            messages.to_str().unwrap(),
        ],
        dir,
    );
    let log = std::fs::read_to_string(&messages).unwrap_or_default();
    (output, log)
}

fn legs_of(node: &SipNode, id: &str) -> Option<usize> {
    let answer = node
        .process
        .request("GET", &format!("/v1/conferences/{id}"), "");
    (answer.status == 200).then(|| answer.json()["legs"].as_array().map_or(0, Vec::len))
}

#[test]
fn refer_invites_registered_users_and_notifies_the_inviter_of_each_outcome() {
    let started = Instant::now();
    let dir = scratch_dir("sip-invite-others");
    let setup = SipNodeSetup {
        dir: &dir,
        users: USERS,
        algorithms: "[\"MD5\"]",
        media_ports: (36100, 36119),
        tls: None,
        extra_sip: "invite_timeout_secs = 1\n",
    };
    let node = SipNode::start(&setup);

    // Alice creates a conference through the factory (302 with its URI).
    let mut alice = Uac::udp(node.sip, "alice", "wonderland");
    let factory = format!("sip:conference@{}", node.sip);
    let mut call = ClientCall::new(&factory);
    let offer = sdp_offer(
        "127.0.0.1:40000".parse().unwrap(),
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

    let cases = [
        ("dave", "diver", "invitee_busy.xml", "SIP/2.0 486 Busy Here"),
        (
            "erin",
            "engineer",
            "invitee_decline.xml",
            "SIP/2.0 603 Decline",
        ),
        ("carol", "singer", "invitee_answer.xml", "SIP/2.0 200 OK"),
        (
            "gina",
            "gardener",
            "invitee_ringing.xml",
            "SIP/2.0 408 Request Timeout",
        ),
    ];
    for (user, password, scenario_file, expected) in cases {
        let port = free_port();
        register(
            &node,
            user,
            password,
            format!("127.0.0.1:{port}").parse().unwrap(),
        );
        let uas = invitee(&node, &dir, scenario_file, port);
        // SIPp needs a moment to bind before the focus calls it.
        std::thread::sleep(Duration::from_millis(300));
        let (output, log) = refer(&node, &dir, &conference, user);
        assert_success(
            &format!("the inviter of {user}"),
            &output,
            &node.process.log(),
        );
        assert_eq!(
            sipfrags(&log),
            ["SIP/2.0 100 Trying", expected],
            "NOTIFYs for {user}:\n{log}"
        );
        let uas = uas.join().unwrap();
        assert_success(&format!("the invitee {user}"), &uas, &node.process.log());
    }
    assert_eq!(
        legs_of(&node, &id),
        Some(1),
        "carol's leg is in the conference"
    );

    // The INVITE form: Alice INVITEs the conference naming Dave (busy again) in the Invitee
    // header, and her INVITE gets Dave's 486.
    let port = free_port();
    register(
        &node,
        "dave",
        "diver",
        format!("127.0.0.1:{port}").parse().unwrap(),
    );
    let uas = invitee(&node, &dir, "invitee_busy.xml", port);
    std::thread::sleep(Duration::from_millis(300));
    let mut alice = Uac::udp(node.sip, "alice", "wonderland");
    let mut call = ClientCall::new(&conference_uri);
    let invitee_line = "Invitee: <sip:dave@medianode.test>\r\n";
    let mut auth = String::new();
    let answer = loop {
        call.cseq += 1;
        let branch = new_branch();
        let extra = format!("{invitee_line}{auth}");
        alice.send(&call.request(&alice, "INVITE", &conference_uri, &branch, &extra, &offer));
        let answer = alice.final_response("INVITE");
        let mut ack_call = ClientCall::new(&conference_uri);
        ack_call.call_id = call.call_id.clone();
        ack_call.from_tag = call.from_tag.clone();
        ack_call.cseq = call.cseq;
        ack_call.to_tag = answer.to_tag();
        alice.send(&ack_call.request(&alice, "ACK", &conference_uri, &branch, "", ""));
        if answer.status() == 401 && auth.is_empty() {
            auth = format!(
                "Authorization: {}\r\n",
                authorization(&answer, "MD5", &alice, "INVITE", &conference_uri)
            );
            continue;
        }
        break answer;
    };
    assert_eq!(answer.status(), 486, "{answer:?}");
    assert_success(
        "dave as an Invitee",
        &uas.join().unwrap(),
        &node.process.log(),
    );
    assert_eq!(
        legs_of(&node, &id),
        Some(1),
        "alice did not join without dave"
    );

    // Frank never registered: 404 in the NOTIFY, nobody is called.
    let (output, log) = refer(&node, &dir, &conference, "frank");
    assert_success("the inviter of frank", &output, &node.process.log());
    assert_eq!(
        sipfrags(&log),
        ["SIP/2.0 100 Trying", "SIP/2.0 404 Not Found"]
    );

    let (status, log) = node.process.stop();
    assert!(status.success(), "{log}");
    assert!(log.contains("invitee joined"), "{log}");
    assert!(started.elapsed() < Duration::from_secs(60));
}
