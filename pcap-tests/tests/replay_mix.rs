//! `rtp-replay --receive mix` against the real `medianode`: four participants play the
//! SIPp G.711 A-law capture (each from its own point in it) and receive the node's mix of
//! the loudest one; participant 0 talks in the first 3-second slot, participant 1 in the
//! second, 2 and 3 never in time (their level says silence, though their payload is
//! speech; 2's slot starts at 6 s, but 1 holds the mix to the end of the 7 s). The
//! replay must see no loss in the mix streams; and the recording, decoded here with an
//! A-law decoder of this test, must show that:
//! - the listeners (2 and 3) hear exactly one talker at a time: at least half of the 0.1 s
//!   pieces with a voice are one stretch of the capture (correlation above 0.95 at one lag;
//!   a second voice in the mix lowers it everywhere; the pieces around the hand-over, the
//!   capture's loop point or a packet the mixer concealed on a busy machine may not be),
//!   and the talker of the second slot started elsewhere in the capture than the talker
//!   of the first (more than 20 frames apart: two different talkers; participants start
//!   a quarter of the capture apart);
//! - both listeners receive the same shared mix stream;
//! - a talker alone in its slot hears (its mix-minus) far less than the listeners do.

mod replay_support;

use std::collections::HashMap;
use std::fs::File;

use medianode_pcap_tests::fixtures::{fixture, scratch_dir};
use medianode_tools::capture::CaptureReader;
use replay_support::{assert_success, http_get, replay, rtp_parts, Node, CAPTURE};
use serde_json::Value;

const PARTICIPANTS: usize = 4;
/// Length of the pieces of mix matched to the capture: short, so that a frame the mixer
/// skipped or concealed on a busy machine spoils few of them.
const PIECE_S: f64 = 0.1;

/// ITU-T G.711 A-law to linear, written from the recommendation.
fn alaw(byte: u8) -> f64 {
    let a = byte ^ 0x55;
    let exponent = (a >> 4) & 0x07;
    let mantissa = i32::from(a & 0x0f);
    let mut magnitude = (mantissa << 4) + 8;
    if exponent > 0 {
        magnitude = (magnitude + 0x100) << (exponent - 1);
    }
    f64::from(if a & 0x80 != 0 { magnitude } else { -magnitude })
}

fn decode(payload: &[u8]) -> Vec<f64> {
    payload.iter().map(|&b| alaw(b)).collect()
}

fn rms(samples: &[f64]) -> f64 {
    (samples.iter().map(|s| s * s).sum::<f64>() / samples.len().max(1) as f64).sqrt()
}

/// The capture's frames, decoded, in order.
fn capture_frames() -> Vec<Vec<f64>> {
    let mut reader = CaptureReader::new(File::open(fixture(CAPTURE)).unwrap()).unwrap();
    let mut frames = Vec::new();
    while let Some(datagram) = reader.next_datagram() {
        let datagram = datagram.unwrap();
        assert_eq!(datagram.payload[1] & 0x7f, 8, "the capture is PCMA");
        frames.push(decode(&datagram.payload[12..]));
    }
    frames
}

/// One mix packet received: arrival (ns from the first), SSRC, RTP timestamp, decoded
/// audio.
struct Received {
    at_ns: f64,
    ssrc: u32,
    timestamp: u32,
    audio: Vec<f64>,
}

/// A listener's mix (one stream) laid out by RTP timestamp from its first packet: the
/// mix's own clock, whatever the arrival times on a busy machine.
fn timeline(packets: &[Received]) -> Vec<f64> {
    let Some(first) = packets.first() else {
        return Vec::new();
    };
    let mut signal = Vec::new();
    for packet in packets {
        let at = packet.timestamp.wrapping_sub(first.timestamp) as usize;
        if at > 60 * 8000 {
            continue;
        }
        if signal.len() < at + packet.audio.len() {
            signal.resize(at + packet.audio.len(), 0.0);
        }
        signal[at..at + packet.audio.len()].copy_from_slice(&packet.audio);
    }
    signal
}

/// Where in the (looped) capture `segment` best fits, sample by sample: the lag and the
/// normalised correlation there. Every third sample is used, which keeps this quick and
/// still tells speech apart.
fn best_fit(segment: &[f64], signal: &[f64]) -> (usize, f64) {
    let n = signal.len();
    let picked: Vec<(usize, f64)> = segment.iter().copied().enumerate().step_by(3).collect();
    let segment_energy: f64 = picked.iter().map(|(_, x)| x * x).sum();
    let mut best = (0, f64::MIN);
    for lag in 0..n {
        let (mut dot, mut energy) = (0.0, 0.0);
        for &(i, x) in &picked {
            let y = signal[(lag + i) % n];
            dot += x * y;
            energy += y * y;
        }
        let score = dot / (segment_energy * energy).sqrt().max(1.0);
        if score > best.1 {
            best = (lag, score);
        }
    }
    best
}

/// The mix a participant received in `[from_s, to_s)`, as one signal.
fn segment(packets: &[Received], from_s: f64, to_s: f64) -> Vec<f64> {
    packets
        .iter()
        .filter(|p| p.at_ns >= from_s * 1e9 && p.at_ns < to_s * 1e9)
        .flat_map(|p| p.audio.iter().copied())
        .collect()
}

/// Circular distance between two lags in a signal of `n` samples.
fn lag_distance(a: usize, b: usize, n: usize) -> usize {
    let d = a.abs_diff(b) % n;
    d.min(n - d)
}

#[test]
fn listeners_hear_one_talker_at_a_time_in_the_mix_without_loss() {
    let node = Node::start("replay-mix");
    let dir = scratch_dir("replay-mix");
    let report_path = dir.join("report.json");
    let record_path = dir.join("received.pcap");
    let output = replay(
        &node,
        &[
            "--receive",
            "mix",
            "--conferences",
            "1",
            "--participants",
            &PARTICIPANTS.to_string(),
            "--duration",
            "7",
            "--loop",
            "--loudest",
            "1",
            "--levels",
            "slots",
            "--slot",
            "3s",
            "--max-loss",
            "0",
            "--keep",
            "--report",
            report_path.to_str().unwrap(),
            "--record",
            record_path.to_str().unwrap(),
        ],
    );
    assert_success(&output);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    let conference = &report["conferences"][0];
    assert!(
        conference["expected"].as_u64().unwrap() > 600,
        "{conference}"
    );
    assert_eq!(conference["lost"], 0, "{conference}");
    for field in ["misrouted", "duplicates", "srtp_failures"] {
        assert_eq!(conference[field], 0, "{field}: {conference}");
    }

    // Which node port is which participant, and that every leg receives the mix.
    let id = conference["id"].as_str().unwrap();
    let (status, body) = http_get(node.http, &format!("/v1/conferences/{id}")).unwrap();
    assert_eq!(status, 200, "{body}");
    let detail: Value = serde_json::from_str(&body).unwrap();
    let mut position_of: HashMap<u16, usize> = HashMap::new();
    for leg in detail["legs"].as_array().unwrap() {
        assert_eq!(leg["receive"], "mix", "{leg}");
        let port: u16 = leg["local"]
            .as_str()
            .unwrap()
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let name = leg["participant"].as_str().unwrap();
        let position: usize = name.rsplit('-').next().unwrap().parse().unwrap();
        position_of.insert(port, position);
    }
    assert_eq!(position_of.len(), PARTICIPANTS);

    // The recording, by participant.
    let mut by_position: Vec<Vec<Received>> = (0..PARTICIPANTS).map(|_| Vec::new()).collect();
    let mut reader = CaptureReader::new(File::open(&record_path).unwrap()).unwrap();
    let mut first_ns = None;
    while let Some(datagram) = reader.next_datagram() {
        let datagram = datagram.unwrap();
        if (200..=204).contains(&datagram.payload[1]) {
            continue;
        }
        let (_, ssrc, _, payload) = rtp_parts(datagram.payload, 1).expect("RTP");
        let timestamp = u32::from_be_bytes(datagram.payload[4..8].try_into().unwrap());
        let first = *first_ns.get_or_insert(datagram.timestamp_ns);
        let position = position_of[&datagram.src.port()];
        by_position[position].push(Received {
            at_ns: datagram.timestamp_ns.saturating_sub(first) as f64,
            ssrc,
            timestamp,
            audio: decode(payload),
        });
    }
    let signal: Vec<f64> = capture_frames().concat();

    // Listeners: one talker at a time, exactly, and a different one in each slot (where a
    // slot's first single-voice stretch sits in the capture, less the time it was heard
    // at, is where that talker started: the two differ).
    // The second talker takes over once the first one's hold (1.5 s) has run out, and keeps
    // the mix to the end (participant 2's slot starts at 6 s, but 1's hold outlasts the run).
    let slots = [(0.4, 2.8), (4.8, 6.9)];
    let n = signal.len();
    let mut starts = Vec::new();
    for listener in [2, 3] {
        let heard = timeline(&by_position[listener]);
        let mut found = Vec::new();
        for (slot, (from_s, to_s)) in slots.into_iter().enumerate() {
            let mut fits = Vec::new();
            let mut t = from_s;
            while t + PIECE_S <= to_s + 1e-9 {
                // The talker follows the capture's pacing, pauses included: judge the
                // pieces with a voice in them.
                let range = (t * 8000.0) as usize..((t + PIECE_S) * 8000.0) as usize;
                let part = heard.get(range).unwrap_or(&[]);
                if part.len() * 10 >= (PIECE_S * 8000.0) as usize * 9 && rms(part) > 100.0 {
                    let (lag, score) = best_fit(part, &signal);
                    fits.push((t, lag, score));
                }
                t += PIECE_S;
            }

            let single = fits.iter().filter(|f| f.2 > 0.95).count();
            assert!(
                single >= 5 && single * 2 >= fits.len(),
                "listener {listener} slot {slot}: the mix is one talker: {fits:?}"
            );
            let (t, lag, _) = fits.iter().copied().find(|f| f.2 > 0.95).unwrap_or(fits[0]);
            found.push((lag + n - (t * 8000.0) as usize % n) % n);
        }
        assert!(
            lag_distance(found[0], found[1], n) > 20 * 160,
            "listener {listener}: two different talkers ({found:?})"
        );
        starts.push(found);
    }
    for slot in 0..slots.len() {
        assert!(
            lag_distance(starts[0][slot], starts[1][slot], n) <= 10 * 160,
            "both listeners hear the same talker in slot {slot}: {starts:?}"
        );
    }
    let ssrcs = |position: usize| {
        let mut found: Vec<u32> = by_position[position].iter().map(|p| p.ssrc).collect();
        found.sort_unstable();
        found.dedup();
        found
    };
    // Every participant hears the mix as one stream of its own, whichever output (the
    // shared mix, or its mix-minus while it talks) filled it.
    for position in 0..by_position.len() {
        assert_eq!(
            ssrcs(position).len(),
            1,
            "participant {position}: one stream"
        );
    }
    assert_ne!(ssrcs(2), ssrcs(3), "streams are per participant");

    // A talker alone in its slot hears much less than a listener.
    let loudness = |position: usize, from_s: f64, to_s: f64| {
        rms(&segment(&by_position[position], from_s, to_s))
    };
    for (talker, (from_s, to_s)) in slots.into_iter().enumerate() {
        let own = loudness(talker, from_s, to_s);
        let listener = loudness(2, from_s, to_s);
        assert!(
            own * 5.0 < listener,
            "talker {talker} hears {own:.0} rms, a listener {listener:.0}"
        );
    }
}
