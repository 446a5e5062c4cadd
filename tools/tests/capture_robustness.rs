//! Damaged captures never make the reader, the stream analysis or the rewriter panic: a
//! valid pcap or pcapng with random bytes changed or cut off is read to the end (or to a
//! clean error), the way the `pcap` fuzz target drives it.

use medianode_tools::capture::{
    replace_udp_payload, CaptureReader, CaptureWriter, LinkType, UdpChecksum,
};
use medianode_tools::rtp_streams::{AnalysisOptions, StreamAnalysis};
use proptest::prelude::*;

fn rtp_over_udp(seq: u16, payload_len: usize) -> Vec<u8> {
    let mut rtp = vec![0x80, 0x08];
    rtp.extend_from_slice(&seq.to_be_bytes());
    rtp.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    rtp.extend_from_slice(&[1, 2, 3, 4]);
    rtp.resize(12 + payload_len, 0xD5);
    let udp_len = 8 + rtp.len();
    let total = 20 + udp_len;
    let mut f = vec![
        0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0x81, 0x00, 0, 5, 0x08, 0x00,
    ];
    f.extend_from_slice(&[
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0,
        0,
        0,
        0,
        64,
        17,
        0,
        0,
    ]);
    f.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2, 0x9C, 0x40, 0x13, 0x8C]);
    f.extend_from_slice(&(udp_len as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(&rtp);
    f
}

fn valid_capture(pcapng: bool, sizes: &[usize]) -> Vec<u8> {
    let mut writer = if pcapng {
        CaptureWriter::pcapng(Vec::new()).unwrap()
    } else {
        CaptureWriter::pcap(Vec::new(), LinkType::Ethernet, true).unwrap()
    };
    for (i, size) in sizes.iter().enumerate() {
        let frame = rtp_over_udp(i as u16, *size);
        writer
            .write_bytes(
                i as u64 * 20_000_000,
                LinkType::Ethernet,
                &frame,
                frame.len() as u32,
            )
            .unwrap();
    }
    writer.finish().unwrap()
}

/// Everything the fuzz target does; returns the frames read.
fn read_everything(bytes: &[u8]) -> u64 {
    let Ok(mut reader) = CaptureReader::new(bytes) else {
        return 0;
    };
    let mut analysis = StreamAnalysis::new(AnalysisOptions::default());
    let mut out = Vec::new();
    while let Some(frame) = reader.next_frame() {
        let Ok(frame) = frame else {
            break;
        };
        if let Ok(d) = frame.udp() {
            analysis.add(&d);
            let _ = replace_udp_payload(
                &d,
                &d.payload[..d.payload.len() / 3],
                UdpChecksum::Recompute,
                &mut out,
            );
            let _ = replace_udp_payload(&d, &[0u8; 1500], UdpChecksum::OmitOnIpv4, &mut out);
        }
    }
    let _ = analysis.finish();
    reader.frames_read()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn mutated_captures_do_not_panic(
        pcapng in any::<bool>(),
        sizes in proptest::collection::vec(0usize..400, 1..12),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..24),
        cut in any::<usize>(),
    ) {
        let mut bytes = valid_capture(pcapng, &sizes);
        for (at, value) in flips {
            let at = at % bytes.len();
            bytes[at] = value;
        }
        let keep = cut % (bytes.len() + 1);
        bytes.truncate(keep);
        read_everything(&bytes);
    }

    #[test]
    fn intact_captures_are_read_whole(
        pcapng in any::<bool>(),
        sizes in proptest::collection::vec(0usize..400, 1..12),
    ) {
        let bytes = valid_capture(pcapng, &sizes);
        prop_assert_eq!(read_everything(&bytes), sizes.len() as u64);
    }
}
