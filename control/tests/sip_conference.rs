//! The conference call flow through the real binary: SIPp creates a conference through the
//! factory (INVITE -> 302 -> INVITE to the conference URI -> 200 -> ACK) and plays
//! /usr/share/sip-tester/g711a.pcap into it; a second participant, a Rust user agent that
//! joins the conference URI directly, receives that RTP unchanged. The creator leaves (BYE)
//! and the conference goes on; the second participant holds and resumes by re-INVITE,
//! then leaves, and the conference ends.

mod sip_support;
mod support;

use std::collections::HashSet;
use std::fs::File;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

use medianode_tools::capture::CaptureReader;
use serde_json::Value;
use sip_support::*;
use support::*;

const PCAP: &str = "/usr/share/sip-tester/g711a.pcap";

/// The RTP payloads (after the 12-byte header) of the capture SIPp plays.
fn pcap_payloads() -> Vec<Vec<u8>> {
    let file = File::open(PCAP).expect("sip-tester's g711a.pcap must be installed");
    let mut reader = CaptureReader::new(file).unwrap();
    let mut payloads = Vec::new();
    while let Some(datagram) = reader.next_datagram() {
        let datagram = datagram.unwrap();
        assert_eq!(datagram.payload[1] & 0x7f, 8, "the capture is PCMA");
        payloads.push(datagram.payload[12..].to_vec());
    }
    payloads
}

fn conferences(node: &SipNode) -> Vec<Value> {
    node.process.get_json("/v1/conferences")["conferences"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(found) = probe() {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn legs_of(node: &SipNode, id: &str) -> Option<usize> {
    let answer = node
        .process
        .request("GET", &format!("/v1/conferences/{id}"), "");
    (answer.status == 200).then(|| answer.json()["legs"].as_array().map_or(0, Vec::len))
}

#[test]
fn a_sipp_participant_plays_a_pcap_into_a_factory_conference_and_another_receives_it() {
    let expected = pcap_payloads();
    assert!(expected.len() > 200);
    let dir = scratch_dir("sip-conference");
    let setup = SipNodeSetup {
        dir: &dir,
        users: &[("alice", "wonderland"), ("bob", "builder")],
        algorithms: "[\"MD5\"]",
        media_ports: (36040, 36059),
        tls: None,
        extra_sip: "loudest_n = 2\n",
    };
    let node = SipNode::start(&setup);

    // Alice (SIPp): factory -> 302 -> join -> wait 2 s -> play the pcap -> BYE.
    let server = node.sip.to_string();
    let sipp_dir = dir.clone();
    let signalling_port = free_port().to_string();
    let media_port = free_port().to_string();
    let alice = std::thread::spawn(move || {
        sipp(
            &[
                &server,
                "-sf",
                &scenario("conference_join.xml"),
                "-s",
                "conference",
                "-au",
                "alice",
                "-ap",
                "wonderland",
                "-key",
                "caller",
                "alice",
                "-m",
                "1",
                "-i",
                "127.0.0.1",
                "-p",
                &signalling_port,
                "-mp",
                &media_port,
                "-nostdin",
                "-timeout",
                "40",
                "-timeout_error",
            ],
            &sipp_dir,
        )
    });

    // Bob learns the conference from the admin API once Alice is in, and joins directly.
    let id = wait_for("SIPp's conference", || {
        conferences(&node).into_iter().find_map(|c| {
            (c["legs"].as_array()?.len() == 1).then(|| c["id"].as_str().unwrap().to_owned())
        })
    });
    let conference_uri = format!("sip:conf-{id}@{}", node.sip);
    let media = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut bob = Uac::udp(node.sip, "bob", "builder");
    let mut call = ClientCall::new(&conference_uri);
    // Bob offers the feedback profile, as an SFU-aware endpoint does: under the default
    // `sip.receive = "auto"` he gets the streams, while Alice (SIPp, RTP/AVP) gets the mix.
    let offer = sdp_offer(
        media.local_addr().unwrap(),
        "RTP/AVPF",
        "8 101",
        "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n",
    );
    let ok = invite(&mut bob, &mut call, &conference_uri, &offer, "MD5");
    assert_eq!(ok.status(), 200, "{ok:?}\n{}", node.process.log());
    assert!(ok.body.contains("m=audio "), "{}", ok.body);
    assert!(ok.body.contains(" RTP/AVPF 8 101\r\n"), "{}", ok.body);
    let node_media = answer_media(&ok.body);
    assert_eq!(legs_of(&node, &id), Some(2));
    let detail = node.process.get_json(&format!("/v1/conferences/{id}"));
    let mut receives: Vec<String> = detail["legs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|leg| leg["receive"].as_str().unwrap_or("?").to_owned())
        .collect();
    receives.sort();
    assert_eq!(receives, ["mix", "streams"], "{detail}");

    // Bob listens until Alice has played the capture and left.
    media
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut received: Vec<Vec<u8>> = Vec::new();
    let mut buf = [0u8; 2048];
    let deadline = Instant::now() + Duration::from_secs(30);
    while !alice.is_finished() && Instant::now() < deadline {
        if let Ok((n, from)) = media.recv_from(&mut buf) {
            assert_eq!(from, node_media, "media comes from the leg's socket");
            if rtp_fields(&buf[..n]).is_some() {
                received.push(buf[..n].to_vec());
            }
        }
    }
    let output = alice.join().unwrap();
    assert!(
        output.status.success(),
        "SIPp failed ({}): {}\n{}\nnode log: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        node.process.log()
    );
    let known: HashSet<&[u8]> = expected.iter().map(Vec::as_slice).collect();
    let strangers = received
        .iter()
        .filter(|p| p[1] & 0x7f != 8 || !known.contains(&p[12..]))
        .count();
    assert_eq!(strangers, 0, "every packet is PCMA from the capture");
    let distinct: HashSet<&[u8]> = received.iter().map(|p| &p[12..]).collect();
    assert!(
        distinct.len() * 10 >= expected.len() * 9,
        "Bob received {} of {} packets ({} distinct)",
        received.len(),
        expected.len(),
        distinct.len()
    );

    // The creator left; the conference goes on with Bob.
    assert_eq!(legs_of(&node, &id), Some(1), "only Alice's leg went");

    // Hold: the leg leaves the core, the answer says inactive; resume brings a new leg.
    let hold = sdp_offer(
        media.local_addr().unwrap(),
        "RTP/AVP",
        "8",
        "a=rtpmap:8 PCMA/8000\r\na=sendonly\r\n",
    );
    call.cseq += 1;
    bob.send(&call.request(
        &bob,
        "INVITE",
        &call.target.clone(),
        &new_branch(),
        "",
        &hold,
    ));
    let held = bob.final_response("INVITE");
    assert_eq!(held.status(), 200, "{held:?}");
    assert!(held.body.contains("a=inactive"), "{}", held.body);
    bob.send(&call.request(&bob, "ACK", &call.target.clone(), &new_branch(), "", ""));
    assert_eq!(legs_of(&node, &id), Some(0), "no leg on hold");
    let resumed_media = UdpSocket::bind("127.0.0.1:0").unwrap();
    let resume = sdp_offer(
        resumed_media.local_addr().unwrap(),
        "RTP/AVP",
        "8",
        "a=rtpmap:8 PCMA/8000\r\n",
    );
    call.cseq += 1;
    bob.send(&call.request(
        &bob,
        "INVITE",
        &call.target.clone(),
        &new_branch(),
        "",
        &resume,
    ));
    let resumed = bob.final_response("INVITE");
    assert_eq!(resumed.status(), 200, "{resumed:?}");
    assert!(resumed.body.contains("a=sendrecv"), "{}", resumed.body);
    bob.send(&call.request(&bob, "ACK", &call.target.clone(), &new_branch(), "", ""));
    assert_eq!(legs_of(&node, &id), Some(1));

    // Bob leaves too: the conference ends.
    let bye_ok = bye(&mut bob, &mut call);
    assert_eq!(bye_ok.status(), 200);
    wait_for("the conference to end", || {
        legs_of(&node, &id).is_none().then_some(())
    });
    let (status, log) = node.process.stop();
    assert!(status.success(), "{log}");
    assert!(log.contains("participant joined"), "{log}");
}
