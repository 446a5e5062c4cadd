//! Arbitrary bytes as a pcap or pcapng file: read every frame, decode it to UDP, feed the
//! RTP stream analysis, and replace each datagram's payload. Nothing may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use medianode_tools::capture::{replace_udp_payload, CaptureReader, UdpChecksum};
use medianode_tools::rtp_streams::{AnalysisOptions, StreamAnalysis};

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = CaptureReader::new(data) else {
        return;
    };
    let mut analysis = StreamAnalysis::new(AnalysisOptions::default());
    let mut rewritten = Vec::new();
    while let Some(frame) = reader.next_frame() {
        let Ok(frame) = frame else {
            break;
        };
        if let Ok(datagram) = frame.udp() {
            analysis.add(&datagram);
            let shorter = &datagram.payload[..datagram.payload.len() / 2];
            let _ = replace_udp_payload(&datagram, shorter, UdpChecksum::Recompute, &mut rewritten);
            let _ = replace_udp_payload(&datagram, data, UdpChecksum::OmitOnIpv4, &mut rewritten);
        }
    }
    let _ = analysis.finish();
});
