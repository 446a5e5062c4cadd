//! SIP over TLS through the real binary (a self-signed certificate from rcgen, a rustls
//! client), with keys kept off plain transports (`allow_plain_keys = false`):
//! - a hop-by-hop join: the TLS participant offers RTP/SAVPF with its SDES key and gets the
//!   node's key in the answer; its SRTP (protected by libsrtp2) reaches a plain UDP
//!   participant as the same RTP payloads, and that participant's RTP reaches it as SRTP
//!   that libsrtp2 unprotects with the answered key;
//! - the same offer over UDP gets 488;
//! - an end-to-end conference: the 302 hands over the conference key and an SSRC in
//!   `Conference-Key`, the join offers them and is answered with the conference key; the
//!   RTP/SAVP phone then receives the node's mix under that key.

mod sip_support;
mod support;

use std::net::UdpSocket;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use libsrtp2_peer::{Direction, Libsrtp2Session, SessionConfig, Suite};
use sip_support::*;
use support::*;

/// A self-signed certificate for `localhost` and 127.0.0.1: (cert file, key file, DER).
fn certificate(dir: &std::path::Path) -> (PathBuf, PathBuf, Vec<u8>) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let cert = dir.join("sip.crt");
    let key = dir.join("sip.key");
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    (cert, key, certified.cert.der().to_vec())
}

fn rtp(seq: u16, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut packet = vec![0x80, 0];
    packet.extend_from_slice(&seq.to_be_bytes());
    packet.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    packet.extend_from_slice(&ssrc.to_be_bytes());
    packet.extend_from_slice(payload);
    packet
}

/// The `inline:` key of the answer's `a=crypto` line.
fn answered_key(sdp: &str) -> String {
    sdp.lines()
        .find_map(|l| l.strip_prefix("a=crypto:1 AES_CM_128_HMAC_SHA1_80 "))
        .unwrap_or_else(|| panic!("no a=crypto:1 in {sdp}"))
        .trim()
        .to_owned()
}

/// Receives datagrams on `socket` for `period`.
fn collect(socket: &UdpSocket, period: Duration) -> Vec<Vec<u8>> {
    socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let deadline = Instant::now() + period;
    let mut buf = [0u8; 2048];
    let mut got = Vec::new();
    while Instant::now() < deadline {
        if let Ok(n) = socket.recv(&mut buf) {
            got.push(buf[..n].to_vec());
        }
    }
    got
}

#[test]
fn sdes_keys_travel_over_tls_and_media_flows_both_ways_through_the_node() {
    let dir = scratch_dir("sip-tls");
    let (cert, key, der) = certificate(&dir);
    let setup = SipNodeSetup {
        dir: &dir,
        users: &[("alice", "wonderland"), ("bob", "builder")],
        algorithms: "[\"SHA-256\", \"MD5\"]",
        media_ports: (36070, 36089),
        tls: Some((cert, key)),
        extra_sip: "allow_plain_keys = false\n",
    };
    let node = SipNode::start(&setup);
    let tls = node.tls.unwrap();

    // Alice over TLS: factory -> 302 (sips: conference URI).
    let mut alice = Uac::tls(tls, &der, "alice", "wonderland");
    let factory = format!("sips:conference@{tls}");
    let mut call = ClientCall::new(&factory);
    let redirect = invite(&mut alice, &mut call, &factory, "", "SHA-256");
    assert_eq!(
        redirect.status(),
        302,
        "{redirect:?}\n{}",
        node.process.log()
    );
    let conference = redirect.contact_uri().unwrap();
    assert!(conference.starts_with("sips:conf-"), "{conference}");
    assert!(
        redirect.header("Conference-Key").is_none(),
        "no key for hop-by-hop"
    );

    // Alice joins with RTP/SAVPF (so she receives the streams, not the mix) and her own key.
    let alice_key = random_bytes(30);
    let alice_media = UdpSocket::bind("127.0.0.1:0").unwrap();
    let offer = sdp_offer(
        alice_media.local_addr().unwrap(),
        "RTP/SAVPF",
        "0",
        &format!(
            "a=rtpmap:0 PCMU/8000\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 {}\r\n",
            inline_key(&alice_key)
        ),
    );
    let ok = invite(&mut alice, &mut call, &conference, &offer, "SHA-256");
    assert_eq!(ok.status(), 200, "{ok:?}\n{}", node.process.log());
    assert!(
        ok.body.contains("m=audio ") && ok.body.contains(" RTP/SAVPF 0\r\n"),
        "{}",
        ok.body
    );
    let node_key = key_bytes(&answered_key(&ok.body));
    assert_eq!(node_key.len(), 30);
    assert_ne!(node_key, alice_key, "the node sends under a key of its own");
    let alice_leg = answer_media(&ok.body);

    // Bob over UDP: the same kind of offer is refused (keys stay off plain transports)...
    let id = conference
        .trim_start_matches("sips:conf-")
        .split('@')
        .next()
        .unwrap()
        .to_owned();
    let plain_uri = format!("sip:conf-{id}@{}", node.sip);
    let bob_media = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut bob = Uac::udp(node.sip, "bob", "builder");
    let mut bob_call = ClientCall::new(&plain_uri);
    let savp = sdp_offer(
        bob_media.local_addr().unwrap(),
        "RTP/SAVP",
        "0",
        &format!(
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 {}\r\n",
            inline_key(&random_bytes(30))
        ),
    );
    let refused = invite(&mut bob, &mut bob_call, &plain_uri, &savp, "SHA-256");
    assert_eq!(refused.status(), 488, "{refused:?}");
    assert!(refused.header("Warning").unwrap().contains("TLS"));
    // ...while plain RTP joins.
    let plain = sdp_offer(bob_media.local_addr().unwrap(), "RTP/AVPF", "0", "");
    let ok = invite(&mut bob, &mut bob_call, &plain_uri, &plain, "MD5");
    assert_eq!(ok.status(), 200, "{ok:?}");
    let bob_leg = answer_media(&ok.body);

    // Alice -> Bob: SRTP in, RTP out with the same payloads.
    let mut protect = Libsrtp2Session::new(&SessionConfig::new(
        Suite::AesCm128HmacSha1_80,
        &alice_key,
        Direction::Outbound,
    ))
    .unwrap();
    let mut sent_by_alice = Vec::new();
    for seq in 0..40u16 {
        let payload = random_bytes(160);
        let mut packet = rtp(seq, 0x0a11ce, &payload);
        protect.protect_rtp(&mut packet).unwrap();
        alice_media.send_to(&packet, alice_leg).unwrap();
        sent_by_alice.push(payload);
        std::thread::sleep(Duration::from_millis(10));
    }
    let at_bob = collect(&bob_media, Duration::from_millis(300));
    let rtp_at_bob: Vec<&Vec<u8>> = at_bob.iter().filter(|p| rtp_fields(p).is_some()).collect();
    assert!(
        rtp_at_bob.len() >= 30,
        "Bob got {} packets",
        rtp_at_bob.len()
    );
    for packet in &rtp_at_bob {
        assert!(
            sent_by_alice.contains(&packet[12..].to_vec()),
            "a payload Alice never sent"
        );
    }

    // Bob -> Alice: RTP in, SRTP out under the key the node answered.
    let mut unprotect = Libsrtp2Session::new(&SessionConfig::new(
        Suite::AesCm128HmacSha1_80,
        &node_key,
        Direction::Inbound,
    ))
    .unwrap();
    let mut sent_by_bob = Vec::new();
    for seq in 0..40u16 {
        let payload = random_bytes(160);
        bob_media
            .send_to(&rtp(seq, 0xb0b, &payload), bob_leg)
            .unwrap();
        sent_by_bob.push(payload);
        std::thread::sleep(Duration::from_millis(10));
    }
    let at_alice = collect(&alice_media, Duration::from_millis(300));
    let mut decrypted = 0;
    for mut packet in at_alice.into_iter().filter(|p| rtp_fields(p).is_some()) {
        unprotect
            .unprotect_rtp(&mut packet)
            .expect("Alice's SRTP unprotects with the answered key");
        assert!(sent_by_bob.contains(&packet[12..].to_vec()));
        decrypted += 1;
    }
    assert!(decrypted >= 30, "Alice decrypted {decrypted} packets");

    assert_eq!(bye(&mut alice, &mut call).status(), 200);
    assert_eq!(bye(&mut bob, &mut bob_call).status(), 200);
    let (status, log) = node.process.stop();
    assert!(status.success(), "{log}");
    for secret in [inline_key(&alice_key), inline_key(&node_key)] {
        assert!(!log.contains(&secret[7..]), "a key reached the log");
    }
}

#[test]
fn an_end_to_end_conference_hands_its_key_over_tls_in_the_302() {
    let dir = scratch_dir("sip-tls-e2e");
    let (cert, key, der) = certificate(&dir);
    let setup = SipNodeSetup {
        dir: &dir,
        users: &[("alice", "wonderland")],
        algorithms: "[\"SHA-256\"]",
        media_ports: (36090, 36099),
        tls: Some((cert, key)),
        extra_sip: "allow_plain_keys = false\n",
    };
    let node = SipNode::start(&setup);
    let tls = node.tls.unwrap();

    // Over UDP the node will not hand a key out.
    let mut udp = Uac::udp(node.sip, "alice", "wonderland");
    let plain_factory = format!("sip:conference@{};keying=e2e", node.sip);
    let mut udp_call = ClientCall::new(&plain_factory);
    let refused = invite(&mut udp, &mut udp_call, &plain_factory, "", "SHA-256");
    assert_eq!(refused.status(), 403, "{refused:?}");

    let mut alice = Uac::tls(tls, &der, "alice", "wonderland");
    let factory = format!("sips:conference@{tls};keying=e2e");
    let mut call = ClientCall::new(&factory);
    let redirect = invite(&mut alice, &mut call, &factory, "", "SHA-256");
    assert_eq!(redirect.status(), 302, "{redirect:?}");
    let handover = redirect.header("Conference-Key").expect("Conference-Key");
    let (crypto, ssrc) = handover.split_once(";ssrc=").unwrap();
    let ssrc: u32 = ssrc.parse().unwrap();
    let (suite, inline) = crypto.split_once(' ').unwrap();
    assert_eq!(suite, "AES_CM_128_HMAC_SHA1_80");
    assert_eq!(key_bytes(inline).len(), 30);
    let conference = redirect.contact_uri().unwrap();

    let media = UdpSocket::bind("127.0.0.1:0").unwrap();
    let offer = |ssrc: u32| {
        sdp_offer(
            media.local_addr().unwrap(),
            "RTP/SAVP",
            "0",
            &format!("a=crypto:1 {crypto}\r\na=ssrc:{ssrc} cname:alice\r\n"),
        )
    };
    let wrong = invite(
        &mut alice,
        &mut call,
        &conference,
        &offer(ssrc ^ 1),
        "SHA-256",
    );
    assert_eq!(wrong.status(), 488, "another SSRC: {wrong:?}");
    let ok = invite(&mut alice, &mut call, &conference, &offer(ssrc), "SHA-256");
    assert_eq!(ok.status(), 200, "{ok:?}\n{}", node.process.log());
    assert!(
        ok.body.contains(&format!("a=crypto:1 {crypto}\r\n")),
        "{}",
        ok.body
    );
    let legs = node.process.get_json("/v1/conferences");
    let mode = &legs["conferences"][0]["legs"];
    assert_eq!(mode.as_array().unwrap().len(), 1);
    let id = legs["conferences"][0]["id"].as_str().unwrap().to_owned();
    let detail = node.process.get_json(&format!("/v1/conferences/{id}"));
    assert_eq!(detail["legs"][0]["mode"], "end_to_end");
    // A phone offering RTP/SAVP takes the mix. The focus handed the conference key to the
    // node's mixer, which sends the mix as a sender of its own (not under alice's SSRC),
    // protected under the conference key: libsrtp2 opens it with the key from the 302.
    assert_eq!(detail["legs"][0]["receive"], "mix");
    let material = key_bytes(inline);
    let mut opener = Libsrtp2Session::new(&SessionConfig::new(
        Suite::AesCm128HmacSha1_80,
        &material,
        Direction::Inbound,
    ))
    .unwrap();
    media
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 1500];
    let mut mixer_ssrcs = std::collections::BTreeSet::new();
    for _ in 0..5 {
        let (n, _) = media.recv_from(&mut buf).expect("the mix arrives");
        let mut packet = buf[..n].to_vec();
        opener
            .unprotect_rtp(&mut packet)
            .expect("the mix opens with the conference key");
        mixer_ssrcs.insert(u32::from_be_bytes([
            packet[8], packet[9], packet[10], packet[11],
        ]));
    }
    assert_eq!(mixer_ssrcs.len(), 1, "{mixer_ssrcs:?}");
    assert!(!mixer_ssrcs.contains(&ssrc));
    assert_eq!(bye(&mut alice, &mut call).status(), 200);
    let (status, log) = node.process.stop();
    assert!(status.success(), "{log}");
    assert!(
        !log.contains(&inline[7..]),
        "the conference key reached the log"
    );
}
