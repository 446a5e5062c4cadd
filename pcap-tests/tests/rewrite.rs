//! The capture writer against real captures: frames written back unchanged are the same
//! bytes; with every RTP payload replaced by one of another length, every other frame,
//! timestamp and address is kept, lengths and checksums are right (tshark verifies the
//! IPv4 header and UDP checksums), and reading the result gives the new payloads.

use std::fs::File;
use std::path::Path;

use medianode_pcap_tests::fixtures::{fixture, scratch_dir};
use medianode_pcap_tests::tshark;
use medianode_tools::capture::{CaptureFormat, CaptureReader, CaptureWriter, UdpChecksum};
use medianode_tools::rtp_streams::detect::rtp_fields;

/// Ethernet with SIP and RTP; pcapng with VLAN tags and TCP; BSD loopback with IPv6.
const SOURCES: &[&str] = &[
    "ndpi/FAX-Call-t38-CA-TDM-SIP-FB-1.pcap",
    "ndpi/rtp.pcapng",
    "rtpproxy/DLT_NULL.a.rtp",
];

/// The replacement for an RTP payload: header kept, body reversed, and 1..=17 bytes
/// longer or shorter depending on the frame.
fn transform(frame_index: u64, rtp: &[u8]) -> Vec<u8> {
    let (header, body) = rtp.split_at(12);
    let mut out = header.to_vec();
    out.extend(body.iter().rev());
    let change = (frame_index % 17 + 1) as usize;
    if frame_index.is_multiple_of(2) {
        out.extend(std::iter::repeat_n(0xA5, change));
    } else {
        out.truncate(out.len().saturating_sub(change).max(12));
    }
    out
}

fn rewrite(source: &Path, out: &Path, pcapng: bool, checksum: UdpChecksum) -> u64 {
    let mut reader = CaptureReader::new(File::open(source).unwrap()).unwrap();
    let format = if pcapng {
        CaptureFormat::PcapNg
    } else {
        reader.format()
    };
    let mut writer = CaptureWriter::like(File::create(out).unwrap(), format).unwrap();
    let mut rewritten = 0;
    while let Some(frame) = reader.next_frame() {
        let frame = frame.unwrap();
        match frame.udp() {
            Ok(d) if rtp_fields(d.payload).is_some() => {
                let payload = transform(d.frame_index, d.payload);
                writer.write_with_payload(&d, &payload, checksum).unwrap();
                rewritten += 1;
            }
            _ => writer.write_frame(&frame).unwrap(),
        }
    }
    writer.finish().unwrap();
    rewritten
}

/// Frames as (timestamp, link type code, bytes).
fn frames(path: &Path) -> Vec<(u64, u32, Vec<u8>)> {
    let mut reader = CaptureReader::new(File::open(path).unwrap()).unwrap();
    let mut all = Vec::new();
    while let Some(f) = reader.next_frame() {
        let f = f.unwrap();
        all.push((f.timestamp_ns, f.link_type.code(), f.data.to_vec()));
    }
    all
}

#[test]
fn unchanged_frames_are_written_back_byte_for_byte() {
    let dir = scratch_dir("unchanged");
    for source in SOURCES {
        let path = fixture(source);
        let out = dir.join("copy");
        let mut reader = CaptureReader::new(File::open(&path).unwrap()).unwrap();
        let mut writer = CaptureWriter::like(File::create(&out).unwrap(), reader.format()).unwrap();
        while let Some(frame) = reader.next_frame() {
            writer.write_frame(&frame.unwrap()).unwrap();
        }
        writer.finish().unwrap();
        assert_eq!(frames(&out), frames(&path), "{source}");
        if matches!(reader.format(), CaptureFormat::Pcap { .. }) {
            // Same record bytes after the 24-byte file header (its snap length may grow).
            let original = std::fs::read(&path).unwrap();
            let copy = std::fs::read(&out).unwrap();
            assert_eq!(copy[24..], original[24..], "{source}: records");
        }
    }
}

#[test]
fn replaced_payloads_keep_everything_else_and_pass_tshark_checksums() {
    let dir = scratch_dir("rewrite");
    for source in SOURCES {
        let path = fixture(source);
        let before = frames(&path);
        for pcapng in [false, true] {
            let out = dir.join(format!("{}-{pcapng}", source.replace('/', "_")));
            let rewritten = rewrite(&path, &out, pcapng, UdpChecksum::Recompute);
            assert!(rewritten > 50, "{source}: only {rewritten} RTP packets");
            let after = frames(&out);
            assert_eq!(after.len(), before.len(), "{source}");

            // Frame by frame: RTP frames carry the new payload, all else is unchanged.
            let mut original = CaptureReader::new(File::open(&path).unwrap()).unwrap();
            let mut index = 0;
            while let Some(frame) = original.next_frame() {
                let frame = frame.unwrap();
                let (timestamp, link, bytes) = &after[index];
                assert_eq!(*timestamp, frame.timestamp_ns, "{source} frame {index}");
                assert_eq!(*link, frame.link_type.code(), "{source} frame {index}");
                match frame.udp() {
                    Ok(d) if rtp_fields(d.payload).is_some() => {
                        let again = medianode_tools::capture::Frame {
                            data: bytes,
                            ..frame
                        };
                        let new = again.udp().expect("still UDP");
                        assert_eq!(new.payload, transform(d.frame_index, d.payload));
                        assert_eq!((new.src, new.dst), (d.src, d.dst));
                        let link_header = ..d.layout.ip_offset;
                        assert_eq!(bytes[link_header], frame.data[link_header]);
                    }
                    _ => assert_eq!(bytes, frame.data, "{source} frame {index}"),
                }
                index += 1;
            }

            // tshark: every IPv4 header and UDP checksum verifies, nothing is malformed.
            // (T.38 off: the FAX call's SDP makes tshark decode RTP as T.38, see
            // tshark_streams.rs, and reversed audio is not valid T.38.)
            let rows = tshark::fields(
                &out,
                &[
                    "-o",
                    "ip.check_checksum:TRUE",
                    "-o",
                    "udp.check_checksum:TRUE",
                    "--disable-protocol",
                    "t38",
                ],
                &[
                    "udp.checksum.status",
                    "ip.checksum.status",
                    "_ws.malformed",
                    "udp.length",
                ],
            );
            assert_eq!(rows.len(), before.len(), "{source}");
            let mut udp_good = 0;
            for (i, row) in rows.iter().enumerate() {
                assert!(row[2].is_empty(), "{source} frame {}: malformed", i + 1);
                if !row[0].is_empty() {
                    assert_eq!(row[0], "1", "{source} frame {}: UDP checksum status", i + 1);
                    udp_good += 1;
                }
                if !row[1].is_empty() {
                    assert_eq!(
                        row[1],
                        "1",
                        "{source} frame {}: IPv4 checksum status",
                        i + 1
                    );
                }
            }
            assert!(
                udp_good >= rewritten,
                "{source}: {udp_good} good UDP checksums"
            );
        }
    }
}

#[test]
fn omitted_checksums_are_zero_on_ipv4_and_still_computed_on_ipv6() {
    let dir = scratch_dir("omit");
    let path = fixture("rtpproxy/DLT_NULL.a.rtp");
    let out = dir.join("omitted.pcap");
    rewrite(&path, &out, false, UdpChecksum::OmitOnIpv4);
    let rows = tshark::fields(
        &out,
        &["-o", "udp.check_checksum:TRUE", "-d", "udp.port==12344,rtp"],
        &[
            "ip.version",
            "ipv6.version",
            "udp.checksum",
            "udp.checksum.status",
        ],
    );
    let (mut v4, mut v6) = (0, 0);
    for row in &rows {
        if row[0] == "4" {
            assert_eq!(row[2], "0x0000");
            v4 += 1;
        } else {
            assert_eq!(row[1], "6");
            assert_eq!(row[3], "1", "IPv6 UDP checksum must verify");
            v6 += 1;
        }
    }
    assert_eq!((v4, v6), (300, 300));
}
