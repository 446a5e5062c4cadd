//! The mixer through the real binary: one conference, loudest-3, with three PCMU talkers
//! and one Opus talker sending sines at distinct frequencies and levels, two listeners that
//! take the mix (one PCMU, one Opus) and one that takes the streams. Each mix listener's
//! packets are decoded (G.711 by a table here, Opus by libopus) and must carry exactly the
//! three loudest talkers' tones within 1 dB, not the fourth; the streams listener must get
//! the selected talkers' packets as they were sent.

mod support;

use std::collections::BTreeSet;
use std::f64::consts::PI;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use opusic_c::{Application, Bitrate, Channels, Decoder, Encoder, SampleRate};
use serde_json::json;
use support::*;

const LEVEL_EXT_ID: u8 = 1;
const ROUNDS: u32 = 75;
const PT_OPUS: u8 = 111;
/// Packets analysed: 400 ms, so every tone sits on a 2.5 Hz bin.
const WINDOW_PACKETS: usize = 20;
/// The talker loudest-3 leaves out.
const QUIET_TALKER: usize = 2;

/// A sine talker or a silent listener.
struct Leg {
    socket: UdpSocket,
    local: SocketAddr,
    opus: bool,
    /// Frequency and peak amplitude, for talkers.
    tone: Option<(f64, f64)>,
    ssrc: u32,
    encoder: Option<Encoder>,
    /// What it received, with the arrival time.
    received: Vec<(Instant, Vec<u8>)>,
}

impl Leg {
    fn rate(&self) -> u32 {
        if self.opus {
            48_000
        } else {
            8_000
        }
    }
}

fn add_leg(
    node: &NodeProcess,
    conference: &str,
    opus: bool,
    receive: &str,
) -> (UdpSocket, SocketAddr) {
    let socket = endpoint();
    let codec = if opus { "opus" } else { "PCMU" };
    let body = json!({
        "codec": codec,
        "audio_level_id": LEVEL_EXT_ID,
        "remote": socket.local_addr().unwrap().to_string(),
        "receive": receive,
    });
    let answer = node.create(&format!("/v1/conferences/{conference}/legs"), &body);
    assert_eq!(answer["receive"], receive, "{answer}");
    (socket, answer["local"].as_str().unwrap().parse().unwrap())
}

fn sine(hz: f64, amplitude: f64, rate: u32, start: usize, n: usize) -> Vec<i16> {
    (start..start + n)
        .map(|i| (amplitude * (2.0 * PI * hz * i as f64 / f64::from(rate)).sin()).round() as i16)
        .collect()
}

/// G.711 mu-law (ITU-T G.711 table: bias 0x84, segment search).
fn ulaw_encode(sample: i16) -> u8 {
    let sign = if sample < 0 { 0x80 } else { 0 };
    let magnitude = (i32::from(sample).abs().min(32635) + 0x84) as u32;
    let exponent = (31 - magnitude.leading_zeros()).saturating_sub(7).min(7);
    let mantissa = (magnitude >> (exponent + 3)) & 0x0f;
    !(sign | (exponent << 4) as u8 | mantissa as u8)
}

fn ulaw_decode(byte: u8) -> i16 {
    let byte = !byte;
    let exponent = u32::from((byte >> 4) & 0x07);
    let mantissa = i32::from(byte & 0x0f);
    let magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
    if byte & 0x80 != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

/// The RFC 6464 level (-dBov) of a frame.
fn level_dbov(pcm: &[i16]) -> u8 {
    let power: f64 = pcm.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / pcm.len() as f64;
    let db = 10.0 * (power.max(1e-9) / 32768f64.powi(2)).log10();
    (-db).round().clamp(0.0, 127.0) as u8
}

/// The amplitude of the `hz` component of `pcm`: one DFT bin under a Hann window, with
/// its two neighbours (where a Hann window spreads a bin-centred sine).
fn tone_amplitude(pcm: &[i16], rate: u32, hz: f64) -> f64 {
    let n = pcm.len();
    let bin = (hz * n as f64 / f64::from(rate)).round() as usize;
    let power: f64 = (bin - 1..=bin + 1)
        .map(|k| {
            let (mut re, mut im) = (0.0, 0.0);
            for (i, &s) in pcm.iter().enumerate() {
                let w = 0.5 - 0.5 * (2.0 * PI * i as f64 / n as f64).cos();
                let angle = 2.0 * PI * (k * i) as f64 / n as f64;
                re += f64::from(s) * w * angle.cos();
                im -= f64::from(s) * w * angle.sin();
            }
            re * re + im * im
        })
        .sum();
    (power / 1.5).sqrt() * 4.0 / n as f64
}

/// Decodes the stream a listener got (of SSRC `only`, or all it got), in sequence order,
/// and returns the 400 ms that arrived from `from` on.
fn heard(leg: &Leg, from: Instant, only: Option<u32>) -> Vec<i16> {
    let mut packets: Vec<(Instant, u16, Vec<u8>)> = leg
        .received
        .iter()
        .filter_map(|(at, p)| rtp_fields(p).map(|(seq, _, ssrc)| (*at, seq, ssrc, p.clone())))
        .filter(|(_, _, ssrc, _)| only.is_none_or(|only| only == *ssrc))
        .map(|(at, seq, _, p)| (at, seq, p))
        .collect();
    packets.sort_by_key(|(_, seq, _)| *seq);
    let mut decoder = leg
        .opus
        .then(|| Decoder::new(Channels::Mono, SampleRate::Hz48000).expect("decoder"));
    let mut pcm = Vec::new();
    let mut start = None;
    for (at, _, packet) in &packets {
        if start.is_none() && *at >= from {
            start = Some(pcm.len());
        }
        let payload = &packet[12..];
        match &mut decoder {
            Some(decoder) => {
                let mut out = [0u16; 5760];
                let n = decoder
                    .decode_to_slice(payload, &mut out, false)
                    .expect("the node's Opus decodes");
                pcm.extend(out[..n].iter().map(|&s| s as i16));
            }
            None => pcm.extend(payload.iter().map(|&b| ulaw_decode(b))),
        }
    }
    let start = start.expect("packets after the settling time");
    let len = leg.rate() as usize / 50 * WINDOW_PACKETS;
    assert!(pcm.len() >= start + len, "only {} samples heard", pcm.len());
    pcm[start..start + len].to_vec()
}

#[test]
fn mix_listeners_hear_the_three_loudest_and_a_streams_leg_gets_their_packets() {
    let http_port = free_port();
    let dir = scratch_dir("mix");
    let config = write_config(
        &dir,
        &format!(
            "[runtime]\ncores = 1\nio_backend = \"threads\"\nhousekeeping_ms = 5\n\
             [media]\nport_min = 33400\nport_max = 33449\n\
             [http]\nlisten = \"127.0.0.1:{http_port}\"\n"
        ),
    );
    let node = NodeProcess::start(&config, http_port);
    let id = node.create("/v1/conferences", &json!({ "loudest_n": 3 }))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Three PCMU talkers and one Opus talker; the quiet PCMU one is left out by loudest-3.
    let talkers = [
        (false, 400.0, 8000.0),
        (false, 700.0, 6000.0),
        (false, 1100.0, 700.0),
        (true, 1700.0, 5000.0),
    ];
    let mut legs = Vec::new();
    for (i, &(opus, hz, amplitude)) in talkers.iter().enumerate() {
        let (socket, local) = add_leg(&node, &id, opus, "streams");
        let encoder = opus.then(|| {
            let mut e = Encoder::new(Channels::Mono, SampleRate::Hz48000, Application::Voip)
                .expect("encoder");
            e.set_bitrate(Bitrate::Value(64_000)).expect("bitrate");
            e
        });
        legs.push(Leg {
            socket,
            local,
            opus,
            tone: Some((hz, amplitude)),
            ssrc: 0x5000 + i as u32,
            encoder,
            received: Vec::new(),
        });
    }
    for (opus, receive) in [(false, "mix"), (true, "mix"), (false, "streams")] {
        let (socket, local) = add_leg(&node, &id, opus, receive);
        legs.push(Leg {
            socket,
            local,
            opus,
            tone: None,
            ssrc: 0,
            encoder: None,
            received: Vec::new(),
        });
    }
    let detail = node.get_json(&format!("/v1/conferences/{id}"));
    assert_eq!(detail["mixing"], true, "{detail}");

    let start = Instant::now();
    for round in 0..ROUNDS {
        for (i, leg) in legs.iter_mut().enumerate() {
            let Some((hz, amplitude)) = leg.tone else {
                continue;
            };
            // The quiet talker joins once the three loud ones hold the slots: had it
            // come first, it would keep its slot for the hold (1.5 s) after them.
            if i == QUIET_TALKER && round < 10 {
                continue;
            }
            let rate = leg.rate();
            let n = rate as usize / 50;
            let pcm = sine(hz, amplitude, rate, round as usize * n, n);
            let payload = match &mut leg.encoder {
                Some(encoder) => {
                    let input: Vec<u16> = pcm.iter().map(|&s| s as u16).collect();
                    let mut out = [0u8; 1500];
                    let len = encoder.encode_to_slice(&input, &mut out).expect("encode");
                    out[..len].to_vec()
                }
                None => pcm.iter().map(|&s| ulaw_encode(s)).collect(),
            };
            let pt = if leg.opus { PT_OPUS } else { 0 };
            let packet = rtp_with_level(
                pt,
                round as u16,
                round * n as u32,
                leg.ssrc,
                LEVEL_EXT_ID,
                level_dbov(&pcm),
                &payload,
            );
            leg.socket.send_to(&packet, leg.local).unwrap();
        }
        // Paced on the clock, not on sleeps, so the node sees 20 ms packets on average.
        let next = start + Duration::from_millis(20 * u64::from(round + 1));
        while Instant::now() < next {
            for leg in &mut legs {
                let mut got = Vec::new();
                drain(&leg.socket, &mut got);
                let now = Instant::now();
                leg.received.extend(got.into_iter().map(|p| (now, p)));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    std::thread::sleep(Duration::from_millis(100));
    for leg in &mut legs {
        let mut got = Vec::new();
        drain(&leg.socket, &mut got);
        let now = Instant::now();
        leg.received.extend(got.into_iter().map(|p| (now, p)));
    }

    let detail = node.get_json(&format!("/v1/conferences/{id}"));
    let leg_ids: Vec<String> = detail["legs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["leg"].as_str().unwrap().to_owned())
        .collect();
    let talkers_now: BTreeSet<&str> = detail["talkers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    let loud: BTreeSet<&str> = [0, 1, 3].iter().map(|&i| leg_ids[i].as_str()).collect();
    assert_eq!(talkers_now, loud, "{detail}");
    for (i, leg) in detail["legs"].as_array().unwrap().iter().enumerate() {
        let expected = if i == 4 || i == 5 { "mix" } else { "streams" };
        assert_eq!(leg["receive"], expected, "{leg}");
    }

    // The mix listeners: the three loudest within 1 dB, the quiet one not at all, and no
    // talker's own packets.
    let settled = start + Duration::from_millis(800);
    let talker_ssrcs: BTreeSet<u32> = legs
        .iter()
        .filter(|l| l.tone.is_some())
        .map(|l| l.ssrc)
        .collect();
    for listener in &legs[4..6] {
        let ssrcs: BTreeSet<u32> = listener
            .received
            .iter()
            .filter_map(|(_, p)| rtp_fields(p).map(|(_, _, ssrc)| ssrc))
            .collect();
        assert_eq!(ssrcs.len(), 1, "one mix stream: {ssrcs:x?}");
        assert!(ssrcs.is_disjoint(&talker_ssrcs), "no forwarded packets");
        let pcm = heard(listener, settled, None);
        for (i, &(_, hz, amplitude)) in talkers.iter().enumerate() {
            let measured = tone_amplitude(&pcm, listener.rate(), hz);
            let db = 20.0 * (measured / amplitude).log10();
            if i == QUIET_TALKER {
                let dbfs = 20.0 * (measured.max(1e-3) / 32767.0).log10();
                assert!(dbfs < -40.0, "{hz} Hz should be absent: {dbfs:.1} dBFS");
            } else {
                assert!(
                    db.abs() <= 1.0,
                    "{} listener: {hz} Hz at {measured:.0}, expected {amplitude} ({db:+.2} dB)",
                    if listener.opus { "Opus" } else { "PCMU" }
                );
            }
        }
    }

    // The PCMU streams listener: the two loud PCMU talkers' packets as sent, and the Opus
    // talker relayed: its voice alone, re-encoded as PCMU under an SSRC of its own.
    let received: BTreeSet<u32> = legs[6]
        .received
        .iter()
        .filter_map(|(_, p)| rtp_fields(p).map(|(_, _, ssrc)| ssrc))
        .collect();
    let relays: Vec<u32> = received.difference(&talker_ssrcs).copied().collect();
    assert_eq!(
        received
            .intersection(&talker_ssrcs)
            .copied()
            .collect::<Vec<_>>(),
        [0x5000, 0x5001],
        "{received:x?}"
    );
    let [relay] = relays[..] else {
        panic!("one relay: {received:x?}");
    };
    let pcm = heard(&legs[6], settled, Some(relay));
    let (_, hz, amplitude) = talkers[3];
    let measured = tone_amplitude(&pcm, 8000, hz);
    let db = 20.0 * (measured / amplitude).log10();
    assert!(
        db.abs() <= 1.0,
        "relayed {hz} Hz at {measured:.0} ({db:+.2} dB)"
    );
    let other = tone_amplitude(&pcm, 8000, talkers[0].1);
    assert!(
        other < 100.0,
        "only the relayed talker: 400 Hz at {other:.0}"
    );

    let metrics = node.metrics();
    assert_eq!(
        metric_sum(&metrics, "medianode_mixed_conferences", &[]),
        1.0,
        "{metrics}"
    );
    assert!(
        metric_sum(&metrics, "medianode_mixer_ticks_total", &[]) >= 50.0,
        "{metrics}"
    );
    assert!(metric_sum(&metrics, "medianode_mixer_frames_decoded_total", &[]) >= 150.0);
    assert!(metric_sum(&metrics, "medianode_mixer_frames_encoded_total", &[]) >= 100.0);
    assert!(metric_sum(&metrics, "medianode_mixer_tick_seconds_count", &[]) >= 50.0);
    let (exit, log) = node.stop();
    assert!(exit.success(), "{log}");
}
