//! `rtp-replay` against the real `medianode`: the SIPp G.711 capture fanned out to 5
//! conferences of 6 participants for 5 s under loudest-3 selection, participant k talking
//! in 2-second slot k. The replay's own report must show no loss and the talkers the
//! policy explains; and the recording of what the participants received is checked here
//! independently: every receiver heard exactly the participants whose slot came up
//! (0, 1 and 2), each talker's packets arrived as one unbroken run of sequence numbers,
//! and every payload is byte for byte one of the capture's.

mod replay_support;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs::File;

use medianode_pcap_tests::fixtures::scratch_dir;
use medianode_tools::capture::CaptureReader;
use replay_support::{assert_success, fixture_payloads, replay, rtp_parts, Node};
use serde_json::Value;

const CONFERENCES: usize = 5;
const PARTICIPANTS: usize = 6;
const SECONDS: f64 = 5.0;
const SLOT_SECONDS: f64 = 2.0;
/// The level a slot talker sends at, and silence.
const TALKING: u8 = 30;
const SILENT: u8 = 127;

/// Participants whose slot starts early enough in the run to be selected: slot k starts
/// at 2k s, and the level average takes a fraction of a second to rise.
fn talkers() -> BTreeSet<usize> {
    (0..PARTICIPANTS)
        .filter(|&k| (k as f64) * SLOT_SECONDS + 0.5 < SECONDS)
        .collect()
}

#[test]
fn loudest_three_conferences_lose_nothing_and_forward_only_the_slot_talkers() {
    let node = Node::start("replay-conferences");
    let dir = scratch_dir("replay-conferences");
    let report_path = dir.join("report.json");
    let record_path = dir.join("received.pcap");
    let output = replay(
        &node,
        &[
            "--conferences",
            &CONFERENCES.to_string(),
            "--participants",
            &PARTICIPANTS.to_string(),
            "--duration",
            &SECONDS.to_string(),
            "--loop",
            "--loudest",
            "3",
            "--levels",
            "slots",
            "--slot",
            "2s",
            "--max-loss",
            "0",
            "--check-talkers",
            "--report",
            report_path.to_str().unwrap(),
            "--record",
            record_path.to_str().unwrap(),
        ],
    );
    assert_success(&output);

    // The replay's report.
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    let conferences = report["conferences"].as_array().unwrap();
    assert_eq!(conferences.len(), CONFERENCES);
    let talkers = talkers();
    assert_eq!(talkers, BTreeSet::from([0, 1, 2]));
    for conference in conferences {
        let id = &conference["id"];
        assert!(
            conference["expected"].as_u64().unwrap() > 500,
            "{id}: {conference}"
        );
        assert_eq!(conference["lost"], 0, "{id}");
        for field in ["misrouted", "corrupted", "duplicates", "srtp_failures"] {
            assert_eq!(conference[field], 0, "{id}: {field}");
        }
        for key in ["p50", "p90", "p99"] {
            assert!(
                conference["delay_ms"][key].as_f64().is_some(),
                "{id}: {key}"
            );
        }
        assert!(conference["jitter_ms"].as_f64().is_some());
        let heard = conference["talkers"]["heard"].as_array().unwrap();
        for (receiver, heard) in heard.iter().enumerate() {
            let heard: BTreeSet<usize> = heard
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_u64().unwrap() as usize)
                .collect();
            let mut expected = talkers.clone();
            expected.remove(&receiver);
            assert_eq!(heard, expected, "conference {id}, participant {receiver}");
        }
    }

    // The recording, read independently: per receiving leg (the node's source port), the
    // sequence numbers received per SSRC.
    let payloads = fixture_payloads();
    let mut streams: BTreeMap<u16, BTreeMap<u32, Vec<u16>>> = BTreeMap::new();
    let mut reader = CaptureReader::new(File::open(&record_path).unwrap()).unwrap();
    let mut rtp_packets = 0;
    while let Some(datagram) = reader.next_datagram() {
        let datagram = datagram.unwrap();
        let bytes = datagram.payload;
        let rtcp = (200..=204).contains(&bytes[1]);
        if rtcp {
            continue;
        }
        let (seq, ssrc, level, payload) = rtp_parts(bytes, 1).expect("RTP");
        assert!(payloads.contains(payload), "payload intact");
        assert!(matches!(level, Some(TALKING | SILENT)), "level {level:?}");
        streams
            .entry(datagram.src.port())
            .or_default()
            .entry(ssrc)
            .or_default()
            .push(seq);
        rtp_packets += 1;
    }
    assert_eq!(
        rtp_packets,
        report["total"]["received"].as_u64().unwrap(),
        "the recording holds what the report counts"
    );
    // Every leg of every conference received something; the three slot talkers each
    // hear the two others, the three silent participants hear all three.
    assert_eq!(streams.len(), CONFERENCES * PARTICIPANTS);
    let mut by_count: BTreeMap<usize, usize> = BTreeMap::new();
    for (leg, senders) in &streams {
        *by_count.entry(senders.len()).or_default() += 1;
        for (ssrc, seqs) in senders {
            let distinct: HashSet<u16> = seqs.iter().copied().collect();
            assert_eq!(
                distinct.len(),
                seqs.len(),
                "leg {leg} ssrc {ssrc:08X}: duplicates"
            );
            let first = seqs[0];
            for (i, seq) in seqs.iter().enumerate() {
                assert_eq!(
                    *seq,
                    first.wrapping_add(i as u16),
                    "leg {leg} ssrc {ssrc:08X}: a gap or reordering at packet {i}"
                );
            }
            assert!(
                seqs.len() > 20,
                "leg {leg} ssrc {ssrc:08X}: {} packets",
                seqs.len()
            );
        }
    }
    let expected_counts = BTreeMap::from([
        (talkers.len() - 1, CONFERENCES * talkers.len()),
        (talkers.len(), CONFERENCES * (PARTICIPANTS - talkers.len())),
    ]);
    assert_eq!(by_count, expected_counts, "talkers heard per leg");
}
