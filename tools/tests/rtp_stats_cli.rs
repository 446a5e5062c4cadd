//! The `rtp-stats` binary end to end on a capture built here: a PCMA stream with known
//! loss, an Opus-like dynamic stream, a two-packet stream only `--port` reveals, DNS and
//! RTCP noise; table and JSON output, port forcing, and clear errors for bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use medianode_tools::capture::{CaptureWriter, LinkType};

const START_NS: u64 = 1_700_000_000_000_000_000;

fn udp_frame(src_port: u16, dst_port: u16, payload: &[u8]) -> Vec<u8> {
    let udp_len = 8 + payload.len();
    let total = 20 + udp_len;
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    f.extend_from_slice(&[
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
    ]);
    f.extend_from_slice(&[192, 0, 2, 10, 198, 51, 100, 20]);
    f.extend_from_slice(&src_port.to_be_bytes());
    f.extend_from_slice(&dst_port.to_be_bytes());
    f.extend_from_slice(&(udp_len as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(payload);
    f
}

fn rtp(payload_type: u8, seq: u16, timestamp: u32, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, payload_type];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&timestamp.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&[0x55; 80]);
    p
}

fn build_capture(path: &Path) {
    let mut frames: Vec<(u64, Vec<u8>)> = Vec::new();
    // PCMA 30000 -> 40000: 50 packets, sequence 1000..=1049 with 1010 and 1011 lost.
    for i in 0..50u16 {
        if i == 10 || i == 11 {
            continue;
        }
        let at = START_NS + u64::from(i) * 20_000_000;
        frames.push((
            at,
            udp_frame(
                30_000,
                40_000,
                &rtp(8, 1000 + i, u32::from(i) * 160, 0xAAAA_0001),
            ),
        ));
    }
    // Dynamic payload type 111 on 30002 -> 40002: 20 packets, no loss.
    for i in 0..20u16 {
        let at = START_NS + 5_000_000 + u64::from(i) * 20_000_000;
        frames.push((
            at,
            udp_frame(
                30_002,
                40_002,
                &rtp(111, i, u32::from(i) * 960, 0xBBBB_0002),
            ),
        ));
    }
    // Only two packets to port 41000: below the heuristic's threshold.
    for i in 0..2u16 {
        let at = START_NS + 7_000_000 + u64::from(i) * 20_000_000;
        frames.push((
            at,
            udp_frame(
                30_004,
                41_000,
                &rtp(0, 500 + i, u32::from(i) * 160, 0xCCCC_0003),
            ),
        ));
    }
    // A DNS query and an RTCP receiver report.
    frames.push((
        START_NS + 1,
        udp_frame(5353, 53, &[0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
    ));
    frames.push((
        START_NS + 2,
        udp_frame(30_001, 40_001, &[0x80, 201, 0, 1, 0xAA, 0xAA, 0, 1]),
    ));
    frames.sort_by_key(|(at, _)| *at);

    let file = std::fs::File::create(path).unwrap();
    let mut writer = CaptureWriter::pcap(file, LinkType::Ethernet, true).unwrap();
    for (at, frame) in &frames {
        writer
            .write_bytes(*at, LinkType::Ethernet, frame, frame.len() as u32)
            .unwrap();
    }
    writer.finish().unwrap();
}

fn capture_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("medianode-rtp-stats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    build_capture(&path);
    path
}

fn rtp_stats(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rtp-stats"))
        .args(args)
        .output()
        .expect("run rtp-stats")
}

#[test]
fn table_lists_each_stream_with_loss() {
    let path = capture_path("table.pcap");
    let out = rtp_stats(&[path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let pcma = text
        .lines()
        .find(|l| l.contains("0xAAAA0001"))
        .expect("PCMA row");
    let cols: Vec<&str> = pcma.split_whitespace().collect();
    assert_eq!(cols[0], "192.0.2.10:30000");
    assert_eq!(cols[1], "198.51.100.20:40000");
    assert_eq!(cols[3], "g711A");
    assert_eq!(&cols[4..9], ["48", "1000", "1049", "2", "(4.0%)"]);
    let dynamic = text
        .lines()
        .find(|l| l.contains("0xBBBB0002"))
        .expect("dynamic row");
    // No clock rate for a dynamic payload type: no jitter.
    assert!(dynamic.trim_end().ends_with("-         -"), "{dynamic}");
    assert!(
        !text.contains("0xCCCC0003"),
        "two packets are not a stream:\n{text}"
    );
    assert!(text.contains("2 streams"), "{text}");
}

#[test]
fn json_and_forced_port() {
    let path = capture_path("json.pcap");
    let out = rtp_stats(&["--json", "--port", "41000", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let streams = report["streams"].as_array().unwrap();
    assert_eq!(streams.len(), 3);
    let forced = streams
        .iter()
        .find(|s| s["ssrc"] == 0xCCCC_0003u32)
        .expect("stream on the forced port");
    assert_eq!(forced["packets"], 2);
    let pcma = streams
        .iter()
        .find(|s| s["ssrc"] == 0xAAAA_0001u32)
        .unwrap();
    assert_eq!(pcma["lost"], 2);
    assert_eq!(pcma["rfc3550"]["distinct_lost"], 2);
    assert_eq!(pcma["clock_rate"], 8000);
    // Perfect pacing: zero jitter both ways.
    assert_eq!(pcma["max_jitter_ms"], 0.0);
    assert_eq!(report["frames"], 48 + 20 + 2 + 2);
    assert_eq!(report["udp_datagrams"], 72);
}

#[test]
fn bad_input_is_a_clear_error() {
    let out = rtp_stats(&["/nonexistent/capture.pcap"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("opening /nonexistent/capture.pcap"));

    let dir = std::env::temp_dir().join(format!("medianode-rtp-stats-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = dir.join("notes.txt");
    std::fs::write(&text, "not a capture at all").unwrap();
    let out = rtp_stats(&[text.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a pcap or pcapng file"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
