//! A real capture replayed into the real binary as one leg of a conference: the PCMA stream
//! of `pcap-tests/fixtures/rtpproxy/rtcp.a.pcap` (sippy/rtpproxy's test capture, 236
//! packets, one SSRC), each UDP payload sent unchanged to the leg's port. The other legs, one
//! plain and one hop-by-hop SRTP, must receive every packet with its payload intact and the
//! sequence numbers and timestamps continuing exactly as in the capture.

mod support;

use std::fs::File;
use std::time::Duration;

use libsrtp2_peer::{Direction, Libsrtp2Session, SessionConfig, Suite};
use medianode_tools::capture::CaptureReader;
use serde_json::json;
use support::*;

const CAPTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../pcap-tests/fixtures/rtpproxy/rtcp.a.pcap"
);

/// The UDP payloads of the capture, in order.
fn captured_payloads() -> Vec<Vec<u8>> {
    let mut reader = CaptureReader::new(File::open(CAPTURE).unwrap()).unwrap();
    let mut payloads = Vec::new();
    while let Some(datagram) = reader.next_datagram() {
        payloads.push(datagram.unwrap().payload.to_vec());
    }
    payloads
}

/// Checks that `received` (RTP in clear) continues exactly like `sent`: same packets in the
/// same order, one SSRC, every sequence number one more than the last, every timestamp step
/// the capture's.
fn assert_continuous(leg: &str, sent: &[Vec<u8>], received: &[Vec<u8>]) {
    assert_eq!(received.len(), sent.len(), "{leg}: every packet arrives");
    let fields: Vec<(u16, u32, u32)> = received.iter().map(|p| rtp_fields(p).unwrap()).collect();
    let sent_fields: Vec<(u16, u32, u32)> = sent.iter().map(|p| rtp_fields(p).unwrap()).collect();
    for (i, pair) in fields.windows(2).enumerate() {
        let ((seq_a, ts_a, ssrc_a), (seq_b, ts_b, ssrc_b)) = (pair[0], pair[1]);
        assert_eq!(ssrc_a, ssrc_b, "{leg}: one SSRC");
        assert_eq!(
            seq_b,
            seq_a.wrapping_add(1),
            "{leg}: sequence continues at {i}"
        );
        let captured_step = sent_fields[i + 1].1.wrapping_sub(sent_fields[i].1);
        assert_eq!(
            ts_b.wrapping_sub(ts_a),
            captured_step,
            "{leg}: timestamp step at {i}"
        );
    }
    for (i, (got, want)) in received.iter().zip(sent).enumerate() {
        assert_eq!(got, want, "{leg}: packet {i} intact (header and payload)");
    }
}

#[test]
fn a_replayed_capture_reaches_the_other_legs_intact_and_in_sequence() {
    let sent = captured_payloads();
    assert_eq!(
        sent.len(),
        236,
        "tshark counts 236 RTP packets in the capture"
    );
    assert!(sent
        .iter()
        .all(|p| rtp_fields(p).is_some_and(|f| f.2 == 0xdee0_ee8f)));

    let http_port = free_port();
    let dir = scratch_dir("replay");
    let config = write_config(
        &dir,
        &format!(
            "[runtime]\ncores = {}\nhousekeeping_ms = 5\n\
             [media]\nport_min = 33200\nport_max = 33299\n\
             rate_limit_pps = 2000\nrate_limit_burst = 500\n\
             [http]\nlisten = \"127.0.0.1:{http_port}\"\n",
            cores_to_use()
        ),
    );
    let node = NodeProcess::start(&config, http_port);
    let id = node.create("/v1/conferences", &json!({ "mode": "all" }))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let legs = format!("/v1/conferences/{id}/legs");
    let replayer = endpoint();
    let replay_leg = node.create(&legs, &json!({ "codec": "PCMA" }));
    let replay_to: std::net::SocketAddr = replay_leg["local"].as_str().unwrap().parse().unwrap();

    let plain = endpoint();
    node.create(
        &legs,
        &json!({ "codec": "PCMA", "remote": plain.local_addr().unwrap().to_string() }),
    );
    let protected = endpoint();
    let rx = random_bytes(Suite::AesCm128HmacSha1_80.master_key_and_salt_len());
    let answer = node.create(
        &legs,
        &json!({
            "codec": "PCMA",
            "remote": protected.local_addr().unwrap().to_string(),
            "srtp": { "suite": "AES_CM_128_HMAC_SHA1_80", "rx_key": inline_key(&rx) },
        }),
    );
    let tx = key_bytes(answer["srtp"]["tx_key"].as_str().unwrap());
    let mut unprotect = Libsrtp2Session::new(&SessionConfig::new(
        Suite::AesCm128HmacSha1_80,
        &tx,
        Direction::Inbound,
    ))
    .unwrap();

    let (mut at_plain, mut at_protected) = (Vec::new(), Vec::new());
    for (i, payload) in sent.iter().enumerate() {
        replayer.send_to(payload, replay_to).unwrap();
        if i % 8 == 7 {
            std::thread::sleep(Duration::from_millis(10));
            drain(&plain, &mut at_plain);
            drain(&protected, &mut at_protected);
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    drain(&plain, &mut at_plain);
    drain(&protected, &mut at_protected);

    let plain_rtp: Vec<Vec<u8>> = at_plain.into_iter().filter(|p| !is_rtcp(p)).collect();
    assert_continuous("plain leg", &sent, &plain_rtp);
    let protected_rtp: Vec<Vec<u8>> = at_protected
        .into_iter()
        .filter(|p| !is_rtcp(p))
        .map(|mut p| {
            unprotect
                .unprotect_rtp(&mut p)
                .expect("libsrtp2 unprotects with the key the API returned");
            p
        })
        .collect();
    assert_continuous("hop-by-hop leg", &sent, &protected_rtp);

    let detail = node.get_json(&format!("/v1/conferences/{id}"));
    let replayed = &detail["legs"][0];
    assert_eq!(replayed["latched"], true, "{replayed}");
    assert_eq!(
        replayed["remote"],
        replayer.local_addr().unwrap().to_string()
    );
    assert_eq!(replayed["packets_received"], 236, "{replayed}");
    assert_eq!(replayed["packets_lost"], 0, "{replayed}");
    assert_eq!(replayed["ssrc"], 0xdee0_ee8f_u32, "{replayed}");
    let (exit, log) = node.stop();
    assert!(exit.success(), "{log}");
}
