//! rtp-stats' stream analysis against `tshark -q -z rtp,streams -o rtp.heuristic_rtp:TRUE`
//! on every capture fixture and on a synthetic stream that wraps both its sequence number
//! and its timestamp: the same streams, packets and loss, and jitter within 5 %.
//!
//! Two fixtures need a tshark option, and each is a case of tshark not calling a packet
//! RTP rather than of the two counting differently:
//! - DLT_NULL.a.rtp sends to UDP port 12344, which tshark's port table gives to another
//!   protocol before the RTP heuristic runs; `-d udp.port==12344,rtp` says what it is.
//! - In the FAX call the re-INVITE's SDP moves port 15580/16756 to T.38, so tshark decodes
//!   the last 27 packets from 15580 as T.38, although they are PCMA RTP continuing the same
//!   SSRC and sequence (first bytes 80 08, SSRC 0x0EAF0EAF, sequence 1844..1870). With the
//!   T.38 dissector off tshark counts them as RTP too: 159 packets, as here.

use medianode_pcap_tests::agreement::{compare, disagreements};
use medianode_pcap_tests::fixtures::{fixture, scratch_dir, CAPTURES};
use medianode_pcap_tests::tshark;
use medianode_tools::capture::{CaptureWriter, LinkType};
use medianode_tools::rtp_streams::{analyze_capture, AnalysisOptions};

fn tshark_options(capture: &str) -> &'static [&'static str] {
    match capture {
        "rtpproxy/DLT_NULL.a.rtp" => &["-d", "udp.port==12344,rtp"],
        "ndpi/FAX-Call-t38-CA-TDM-SIP-FB-1.pcap" => &["--disable-protocol", "t38"],
        _ => &[],
    }
}

#[test]
fn every_fixture_agrees_with_tshark() {
    let mut problems = Vec::new();
    for capture in CAPTURES {
        let path = fixture(capture);
        for p in disagreements(&path, tshark_options(capture), AnalysisOptions::default()) {
            problems.push(format!("{capture}: {p}"));
        }
    }
    assert!(
        problems.is_empty(),
        "disagreements with tshark:\n{}",
        problems.join("\n")
    );
}

#[test]
fn fixtures_hold_the_streams_they_are_known_for() {
    // Guards against both sides agreeing on "nothing": stream counts tshark and rtpproxy
    // document for these files.
    let expected = [
        ("rtpproxy/DLT_NULL.a.rtp", 3),
        ("rtpproxy/dtmf.pcapng", 2),
        ("rtpproxy/sess6.a.rtp", 1),
        ("ndpi/FAX-Call-t38-CA-TDM-SIP-FB-1.pcap", 2),
        ("ndpi/rtp.pcapng", 5),
        ("ndpi/rtcp_multiple_pkts_in_the_same_datagram.pcap", 0),
    ];
    for (capture, streams) in expected {
        let file = std::fs::File::open(fixture(capture)).unwrap();
        let report = analyze_capture(file, AnalysisOptions::default()).unwrap();
        assert_eq!(report.streams.len(), streams, "{capture}");
    }
}

/// One Ethernet/IPv4/UDP frame carrying an RTP packet with a 160-byte PCMA payload.
fn rtp_frame(seq: u16, timestamp: u32, payload_type: u8, marker: bool) -> Vec<u8> {
    let mut rtp = vec![0x80, payload_type | if marker { 0x80 } else { 0 }];
    rtp.extend_from_slice(&seq.to_be_bytes());
    rtp.extend_from_slice(&timestamp.to_be_bytes());
    rtp.extend_from_slice(&0x5EED_0001u32.to_be_bytes());
    rtp.extend_from_slice(&[0xD5; 160]);
    let udp_len = 8 + rtp.len();
    let total = 20 + udp_len;
    let mut ip = vec![
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0,
        0,
        0x40,
        0,
        64,
        17,
        0,
        0,
    ];
    ip.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
    let mut frame = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    frame.extend_from_slice(&ip);
    frame.extend_from_slice(&40_000u16.to_be_bytes());
    frame.extend_from_slice(&5_004u16.to_be_bytes());
    frame.extend_from_slice(&(udp_len as u16).to_be_bytes());
    frame.extend_from_slice(&[0, 0]);
    frame.extend_from_slice(&rtp);
    frame
}

#[test]
fn wrapping_stream_with_loss_reordering_duplicates_and_comfort_noise_agrees_with_tshark() {
    let path = scratch_dir("wrap").join("wrap.pcap");
    let mut writer = CaptureWriter::pcap(
        std::fs::File::create(&path).unwrap(),
        LinkType::Ethernet,
        false,
    )
    .unwrap();
    let first_seq: u16 = 65_500;
    let first_ts: u32 = u32::MAX - 40 * 160;
    let start_ns = 1_600_000_000_000_000_000u64;
    let mut order: Vec<u32> = (0..200).collect();
    order.retain(|i| ![17, 90, 91, 150].contains(i)); // lost
    order.swap(40, 41); // reordered
    order.insert(120, 118); // duplicated
    for (n, i) in order.iter().enumerate() {
        // A jitter pattern: every fifth packet 3 ms late, every seventh 1 ms early.
        let offset: i64 = if i % 5 == 0 {
            3_000_000
        } else if i % 7 == 0 {
            -1_000_000
        } else {
            0
        };
        let at = start_ns as i64 + i64::from(*i) * 20_000_000 + offset + n as i64;
        let payload_type = if (60..63).contains(i) { 13 } else { 8 };
        let frame = rtp_frame(
            first_seq.wrapping_add(*i as u16),
            first_ts.wrapping_add(i * 160),
            payload_type,
            *i == 100,
        );
        writer
            .write_bytes(at as u64, LinkType::Ethernet, &frame, frame.len() as u32)
            .unwrap();
    }
    writer.finish().unwrap();

    let report = analyze_capture(
        std::fs::File::open(&path).unwrap(),
        AnalysisOptions::default(),
    )
    .unwrap();
    let theirs = tshark::rtp_streams(&path, &[]);
    let problems = compare(&report.streams, &theirs);
    assert!(problems.is_empty(), "{problems:?}");
    let stream = &report.streams[0];
    assert_eq!(stream.packets, 197);
    assert_eq!(stream.duplicates, 1);
    // tshark: 200 expected (with one wrap), 197 packets.
    assert_eq!(stream.lost, 3);
    // RFC 3550 counting sees all four losses; the duplicate does not offset one.
    assert_eq!(stream.rfc3550.distinct_lost, 4);
    assert_eq!(stream.rfc3550.cumulative_lost, 3);
    assert!(stream.max_jitter_ms.unwrap() > 0.1);
}
