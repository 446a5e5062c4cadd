//! Generated talkers, for runs without a capture (`medianode demo`): PCMU voices made of a
//! tone whose loudness rises and falls like syllables, with pauses between phrases, so
//! levels, selection and the dashboard have something lifelike to show.

use std::f32::consts::TAU;

use medianode_simd::ulaw_encode;

use super::source::{AudioCodec, SourcePacket, SourceStream};

/// Samples per 20 ms packet at 8 kHz.
const SAMPLES_PER_PACKET: usize = 160;
/// Nanoseconds per packet.
const PACKET_NS: u64 = 20_000_000;
/// Packets per generated voice: 8 s, after which it loops.
const PACKETS_PER_VOICE: usize = 400;

/// `count` distinct voices (pitch and phrasing differ), each 8 s of PCMU.
pub fn synthetic_voices(count: usize) -> Vec<SourceStream> {
    (0..count.max(1)).filter_map(voice).collect()
}

fn voice(index: usize) -> Option<SourceStream> {
    let pitch = 140.0 + 35.0 * index as f32;
    // Phrases of 1.2 to 2.0 s separated by 0.6 s pauses, shifted per voice.
    let phrase = 1.2 + 0.2 * (index % 5) as f32;
    let cycle = phrase + 0.6;
    let shift = 0.45 * index as f32;
    let mut pcm = [0i16; SAMPLES_PER_PACKET];
    let mut codes = [0u8; SAMPLES_PER_PACKET];
    let mut packets = Vec::with_capacity(PACKETS_PER_VOICE);
    for p in 0..PACKETS_PER_VOICE {
        for (s, sample) in pcm.iter_mut().enumerate() {
            let t = (p * SAMPLES_PER_PACKET + s) as f32 / 8_000.0;
            let in_cycle = (t + shift) % cycle;
            let envelope = if in_cycle < phrase {
                // Four syllables a second.
                0.55 + 0.45 * (TAU * 4.0 * t).sin()
            } else {
                0.0
            };
            let wave = (TAU * pitch * t).sin() + 0.3 * (TAU * 2.0 * pitch * t).sin();
            *sample = (envelope * wave * 9_000.0) as i16;
        }
        ulaw_encode(&mut codes, &pcm);
        packets.push(SourcePacket {
            offset_ns: p as u64 * PACKET_NS,
            ts_offset: (p * SAMPLES_PER_PACKET) as u32,
            marker: p == 0,
            extension: None,
            payload: codes.to_vec(),
            payload_level: AudioCodec::Pcmu.payload_level(&codes),
        });
    }
    SourceStream::from_packets(
        format!("synthetic voice {}", index + 1),
        0,
        AudioCodec::Pcmu,
        packets,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voices_talk_and_pause_at_their_own_times() {
        let voices = synthetic_voices(3);
        assert_eq!(voices.len(), 3);
        for voice in &voices {
            assert_eq!(voice.len(), PACKETS_PER_VOICE);
            assert_eq!(voice.period_ns, PACKETS_PER_VOICE as u64 * PACKET_NS);
            let levels: Vec<u8> = voice
                .packets
                .iter()
                .map(|p| p.payload_level.unwrap())
                .collect();
            assert!(levels.iter().any(|&l| l < 40), "speech is loud");
            assert!(levels.iter().any(|&l| l >= 120), "pauses are silent");
        }
        assert_ne!(voices[0].packets, voices[1].packets);
    }
}
