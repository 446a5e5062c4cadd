//! Any bytes through the RTP view, its extension elements and the audio level; a packet
//! that passes the check must survive header parse, emit and re-check unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use medianode_dataplane::audio_level::AudioLevel;
use medianode_dataplane::demux::{classify, other_kind};
use medianode_dataplane::rtp::{header_len, is_plausible_rtp, RtpHeader, RtpPacket};

fuzz_target!(|data: &[u8]| {
    let _ = classify(data);
    let _ = other_kind(data);
    let _ = is_plausible_rtp(data);
    let _ = header_len(data);
    let Ok(packet) = RtpPacket::new_checked(data) else {
        return;
    };
    let _ = (
        packet.version(),
        packet.padding(),
        packet.extension(),
        packet.marker(),
    );
    let _ = (
        packet.payload_type(),
        packet.sequence_number(),
        packet.timestamp(),
    );
    let _ = (
        packet.ssrc(),
        packet.extension_profile(),
        packet.extension_data(),
    );
    assert_eq!(packet.csrcs().count(), usize::from(packet.csrc_count()));
    assert_eq!(
        packet.header_len() + packet.payload().len() + packet.padding_len(),
        data.len()
    );
    for element in packet.extension_elements() {
        let _ = AudioLevel::parse(element.data);
    }
    for id in 1..=14 {
        let _ = AudioLevel::find(packet.extension_elements(), id);
    }

    let header = RtpHeader::parse(&packet);
    let mut out = vec![0u8; header.header_len() + packet.payload().len()];
    let len = header.emit(&mut out).expect("a parsed header emits");
    assert_eq!(len, packet.header_len());
    out[len..].copy_from_slice(packet.payload());
    let again = RtpPacket::new_checked(&out[..]).expect("an emitted header checks");
    assert_eq!(RtpHeader::parse(&again), header);
    assert_eq!(again.payload(), packet.payload());
});
