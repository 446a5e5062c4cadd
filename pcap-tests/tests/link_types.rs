//! Every fixture reads without error and with the frame and UDP counts tshark finds; and
//! real traffic re-framed onto each supported link type (Ethernet with stacked VLAN tags,
//! Linux cooked v1 and v2, BSD loopback in both byte orders, OpenBSD loopback, raw IP, and
//! IPv6 behind extension headers) reads back to the same datagrams and gives the same RTP
//! streams as tshark finds in the re-framed file.

use std::fs::File;
use std::path::Path;

use medianode_pcap_tests::agreement::disagreements;
use medianode_pcap_tests::fixtures::{fixture, scratch_dir, CAPTURES};
use medianode_pcap_tests::relink::{ipv4_to_ipv6_with_extensions, reframe, TargetLink};
use medianode_pcap_tests::tshark;
use medianode_tools::capture::CaptureReader;
use medianode_tools::capture::CaptureWriter;
use medianode_tools::rtp_streams::AnalysisOptions;

#[test]
fn every_fixture_reads_without_error() {
    for capture in CAPTURES {
        let path = fixture(capture);
        let mut reader = CaptureReader::new(File::open(&path).unwrap()).unwrap();
        let mut datagrams = 0u64;
        while let Some(d) = reader.next_datagram() {
            d.unwrap_or_else(|e| panic!("{capture}: {e}"));
            datagrams += 1;
        }
        let frames = tshark::fields(&path, &[], &["udp.srcport", "icmp.type", "icmpv6.type"]);
        assert_eq!(
            reader.frames_read(),
            frames.len() as u64,
            "{capture}: frames"
        );
        let udp = frames
            .iter()
            .filter(|f| !f[0].is_empty() && f[1..].iter().all(String::is_empty))
            .count();
        assert_eq!(datagrams, udp as u64, "{capture}: UDP datagrams");
        assert_eq!(
            reader.frames_read() - datagrams,
            reader.skipped().total(),
            "{capture}: every other frame is counted as skipped"
        );
    }
}

/// What a datagram looks like independent of its framing.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    timestamp_ns: u64,
    ports: (u16, u16),
    payload: Vec<u8>,
}

fn datagrams(path: &Path) -> Vec<Seen> {
    let mut reader = CaptureReader::new(File::open(path).unwrap()).unwrap();
    let mut seen = Vec::new();
    while let Some(d) = reader.next_datagram() {
        let d = d.unwrap();
        seen.push(Seen {
            timestamp_ns: d.timestamp_ns,
            ports: (d.src.port(), d.dst.port()),
            payload: d.payload.to_vec(),
        });
    }
    seen
}

/// Writes every UDP datagram of `source` onto `target`, optionally as IPv6.
fn relink(source: &Path, target: TargetLink, as_ipv6: bool, out: &Path) {
    let mut reader = CaptureReader::new(File::open(source).unwrap()).unwrap();
    let mut writer =
        CaptureWriter::pcap(File::create(out).unwrap(), target.link_type(), false).unwrap();
    while let Some(d) = reader.next_datagram() {
        let d = d.unwrap();
        let ip = &d.frame.data[d.layout.ip_offset..d.layout.payload.end];
        let ip = if as_ipv6 {
            ipv4_to_ipv6_with_extensions(ip).expect("IPv4 UDP")
        } else {
            ip.to_vec()
        };
        let frame = reframe(&ip, target);
        writer
            .write_bytes(
                d.timestamp_ns,
                target.link_type(),
                &frame,
                frame.len() as u32,
            )
            .unwrap();
    }
    writer.finish().unwrap();
}

#[test]
fn every_link_type_reads_back_and_agrees_with_tshark() {
    let all_links = [
        TargetLink::Ethernet { vlan_tags: 2 },
        TargetLink::LinuxSll,
        TargetLink::LinuxSll2,
        TargetLink::NullLittleEndian,
        TargetLink::NullBigEndian,
        TargetLink::Loop,
        TargetLink::RawIp,
    ];
    // (source, links, also as IPv6, tshark options)
    let cases: [(&str, &[TargetLink], bool, &[&str]); 3] = [
        ("rtpproxy/lost.a.rtp", &all_links, true, &[]),
        (
            "rtpproxy/dtmf.pcapng",
            &[TargetLink::LinuxSll2, TargetLink::NullBigEndian],
            true,
            &[],
        ),
        (
            // Already IPv4 and IPv6; port 12344 needs naming for tshark (see tshark_streams).
            "rtpproxy/DLT_NULL.a.rtp",
            &[
                TargetLink::Loop,
                TargetLink::LinuxSll,
                TargetLink::Ethernet { vlan_tags: 1 },
            ],
            false,
            &["-d", "udp.port==12344,rtp"],
        ),
    ];
    let dir = scratch_dir("link-types");
    let mut problems = Vec::new();
    for (source, links, ipv6, tshark_options) in cases {
        let source_path = fixture(source);
        let original = datagrams(&source_path);
        assert!(!original.is_empty(), "{source}");
        let mut variants: Vec<(TargetLink, bool)> = links.iter().map(|l| (*l, false)).collect();
        if ipv6 {
            variants.push((TargetLink::Ethernet { vlan_tags: 1 }, true));
        }
        for (link, as_ipv6) in variants {
            let name = format!(
                "{source} as {link:?}{}",
                if as_ipv6 { " over IPv6" } else { "" }
            );
            let out = dir.join(format!(
                "{}-{link:?}-{as_ipv6}.pcap",
                source.replace('/', "_")
            ));
            relink(&source_path, link, as_ipv6, &out);
            assert_eq!(datagrams(&out), original, "{name}: datagrams differ");
            for p in disagreements(&out, tshark_options, AnalysisOptions::default()) {
                problems.push(format!("{name}: {p}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "disagreements with tshark:\n{}",
        problems.join("\n")
    );
}
