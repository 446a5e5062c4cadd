//! SRTP through the real node, decrypted by the reference implementation: `rtp-replay`
//! sends the SIPp capture under SRTP with fresh keys, records what the participants
//! received (still encrypted) and logs the keys; libsrtp2 must then decrypt every recorded
//! RTP packet with the key of the leg it came from (hop-by-hop: the key the node answered
//! with; end-to-end: the conference key, which the node never had), and every plaintext
//! payload must be one of the capture's.

mod replay_support;

use std::collections::HashMap;
use std::fs::File;

use base64::Engine;
use libsrtp2_peer::{Direction, Libsrtp2Session, SessionConfig, Suite};
use medianode_pcap_tests::fixtures::scratch_dir;
use medianode_tools::capture::CaptureReader;
use replay_support::{assert_success, fixture_payloads, replay, rtp_parts, Node};
use serde_json::Value;

/// The node address of each leg and the key its media is protected with, from the key log.
fn keys_by_leg(keylog: &str, key_field: &str) -> HashMap<u16, Vec<u8>> {
    keylog
        .lines()
        .map(|line| {
            let field = |name: &str| {
                line.split_whitespace()
                    .find_map(|part| part.strip_prefix(&format!("{name}=")))
                    .unwrap_or_else(|| panic!("no {name} in {line}"))
            };
            let port = field("node").rsplit(':').next().unwrap().parse().unwrap();
            let key = field(key_field).trim_start_matches("inline:");
            let key = base64::engine::general_purpose::STANDARD
                .decode(key)
                .unwrap();
            (port, key)
        })
        .collect()
}

fn run(test: &str, suite_name: &str, suite: Suite, end_to_end: bool) {
    let node = Node::start(test);
    let dir = scratch_dir(test);
    let record = dir.join("received.pcap");
    let keylog = dir.join("keys.txt");
    let report = dir.join("report.json");
    let mut args = vec![
        "--conferences",
        "2",
        "--participants",
        "3",
        "--duration",
        "3",
        "--srtp",
        suite_name,
        "--max-loss",
        "0",
        "--record",
        record.to_str().unwrap(),
        "--keylog",
        keylog.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ];
    if end_to_end {
        args.push("--e2e");
    }
    let output = replay(&node, &args);
    assert_success(&output);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(report["total"]["expected"].as_u64().unwrap() > 100);
    assert_eq!(report["total"]["srtp_failures"], 0);

    let key_field = if end_to_end {
        "conference_key"
    } else {
        "node_key"
    };
    let keys = keys_by_leg(&std::fs::read_to_string(&keylog).unwrap(), key_field);
    assert_eq!(keys.len(), 6, "a key per leg");
    let payloads = fixture_payloads();
    let mut sessions: HashMap<u16, Libsrtp2Session> = HashMap::new();
    let mut decrypted: HashMap<u16, u64> = HashMap::new();
    let mut reader = CaptureReader::new(File::open(&record).unwrap()).unwrap();
    while let Some(datagram) = reader.next_datagram() {
        let datagram = datagram.unwrap();
        if (200..=204).contains(&datagram.payload[1]) {
            continue;
        }
        let port = datagram.src.port();
        let session = sessions.entry(port).or_insert_with(|| {
            let key = &keys[&port];
            Libsrtp2Session::new(&SessionConfig::new(suite, key, Direction::Inbound)).unwrap()
        });
        let mut packet = datagram.payload.to_vec();
        session
            .unprotect_rtp(&mut packet)
            .unwrap_or_else(|e| panic!("leg port {port}: libsrtp2 refuses a packet: {e}"));
        let (_, _, _, payload) = rtp_parts(&packet, 1).expect("RTP after decryption");
        assert!(
            payloads.contains(payload),
            "leg port {port}: payload intact"
        );
        *decrypted.entry(port).or_default() += 1;
    }
    assert_eq!(decrypted.len(), 6, "every leg received: {decrypted:?}");
    let total: u64 = decrypted.values().sum();
    assert_eq!(total, report["total"]["received"].as_u64().unwrap());
}

#[test]
fn hop_by_hop_aes_cm_output_decrypts_with_libsrtp2_under_each_legs_node_key() {
    run(
        "replay-srtp-hop",
        "AES_CM_128_HMAC_SHA1_80",
        Suite::AesCm128HmacSha1_80,
        false,
    );
}

#[test]
fn end_to_end_aes_gcm_passes_the_node_untouched_and_decrypts_with_the_conference_key() {
    run(
        "replay-srtp-e2e",
        "AEAD_AES_256_GCM",
        Suite::AeadAes256Gcm,
        true,
    );
}
