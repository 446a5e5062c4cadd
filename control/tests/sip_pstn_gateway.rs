//! The PSTN gateway proxy through the real binary (issue 6 item 5): SIPp plays the PSTN
//! trunk (`sipp/pstn_trunk.xml`) and two Opus participants, added through the admin API
//! to receive the mix, send sines at two frequencies. Alice REFERs the conference to a
//! phone number (SIPp, `sipp/refer_inviter.xml`); the node calls the trunk with an early
//! G.711 offer, the trunk answers with PCMA, plays `fixtures/sipp/g711a.pcap` (7 s of
//! speech) and hangs up.
//!
//! Checked: alice's NOTIFYs end with `SIP/2.0 200 OK`; the gateway leg took the trunk's
//! address from its answer and receives the mix; what the node sent the trunk (captured by
//! tshark on `lo`, decoded from PCMA) carries both Opus talkers' tones within 1 dB; each
//! Opus participant's decoded mix carries the trunk's speech (once the other talker's tone
//! is taken out, far louder than before the call, with the capture's loudness envelope)
//! and not its own tone; the gateway leg is gone after the trunk's BYE.
//!
//! A second test places the call through the admin API (`POST /v1/conferences/{id}/calls`)
//! and removes the gateway leg through it, which hangs up the trunk
//! (`sipp/pstn_trunk_hung_up.xml` waits for the node's BYE).
//!
//! Early media: a trunk's 183 with SDP is applied at once, so the announcement it plays
//! reaches the conference while the call rings (`sipp/pstn_trunk_early_media.xml`, which
//! never answers and expects the CANCEL); a trunk failing after early media leaves no leg
//! (`sipp/pstn_trunk_early_busy.xml`). A phone in a factory conference is hung up when
//! the last SIP participant leaves (`sipp/pstn_trunk_member.xml` expects the BYE). An SRTP
//! trunk played by baresip (SDES, auto-answer) exchanges the mix both ways.
//!
//! Needs root (or CAP_NET_RAW): SIPp plays a pcap through a raw socket, tshark captures.

mod sip_support;
mod support;

use std::f64::consts::PI;
use std::fs::File;
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use opusic_c::{Application, Bitrate, Channels, Decoder, Encoder, SampleRate};
use serde_json::{json, Value};
use sip_support::*;
use support::*;

/// The node's media ports in this test (unique among the test binaries).
const MEDIA_PORTS: (u16, u16) = (36700, 36719);
/// The phone number alice invites.
const NUMBER: &str = "+15550100";
const LEVEL_EXT_ID: u8 = 1;
const PT_OPUS: u8 = 111;
/// The two Opus talkers: frequency and peak amplitude (bin-centred in 400 ms windows).
const TONES: [(f64, f64); 2] = [(500.0, 6000.0), (1300.0, 5000.0)];
/// 20 ms rounds the talkers send: 10 s.
const ROUNDS: u32 = 500;
/// When alice REFERs, after the talkers started (the time before is the tone-only case).
const REFER_AFTER: Duration = Duration::from_millis(1200);

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sipp")
        .join(name)
}

fn rms(samples: &[f64]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    (samples.iter().map(|s| s * s).sum::<f64>() / samples.len() as f64).sqrt()
}

fn sine(hz: f64, amplitude: f64, rate: u32, start: usize, n: usize) -> Vec<i16> {
    (start..start + n)
        .map(|i| (amplitude * (2.0 * PI * hz * i as f64 / f64::from(rate)).sin()).round() as i16)
        .collect()
}

/// The RFC 6464 level (-dBov) of a frame.
fn level_dbov(pcm: &[i16]) -> u8 {
    let power: f64 = pcm.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / pcm.len() as f64;
    let db = 10.0 * (power.max(1e-9) / 32768f64.powi(2)).log10();
    (-db).round().clamp(0.0, 127.0) as u8
}

/// The amplitude of the `hz` component of `pcm`: one DFT bin under a Hann window, with
/// its two neighbours (where a Hann window spreads a bin-centred sine).
fn tone_amplitude(pcm: &[f64], rate: u32, hz: f64) -> f64 {
    let n = pcm.len();
    let bin = (hz * n as f64 / f64::from(rate)).round() as usize;
    let power: f64 = (bin - 1..=bin + 1)
        .map(|k| {
            let (mut re, mut im) = (0.0, 0.0);
            for (i, &s) in pcm.iter().enumerate() {
                let w = 0.5 - 0.5 * (2.0 * PI * i as f64 / n as f64).cos();
                let angle = 2.0 * PI * (k * i) as f64 / n as f64;
                re += s * w * angle.cos();
                im -= s * w * angle.sin();
            }
            re * re + im * im
        })
        .sum();
    (power / 1.5).sqrt() * 4.0 / n as f64
}

/// `pcm` without its `hz` component: a least-squares sine fit per 20 ms frame, subtracted
/// (so a frame's gain or phase of its own does not leave the tone behind).
fn without_tone(pcm: &[f64], rate: u32, hz: f64) -> Vec<f64> {
    let chunk = rate as usize / 50;
    let mut out = Vec::with_capacity(pcm.len());
    for (c, block) in pcm.chunks(chunk).enumerate() {
        let phase = |i: usize| 2.0 * PI * hz * (c * chunk + i) as f64 / f64::from(rate);
        let (mut cc, mut ss, mut cs, mut xc, mut xs) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (i, &x) in block.iter().enumerate() {
            let (s, co) = phase(i).sin_cos();
            cc += co * co;
            ss += s * s;
            cs += co * s;
            xc += x * co;
            xs += x * s;
        }
        let det = cc * ss - cs * cs;
        let (a, b) = if det.abs() < 1e-9 {
            (0.0, 0.0)
        } else {
            ((xc * ss - xs * cs) / det, (xs * cc - xc * cs) / det)
        };
        out.extend(block.iter().enumerate().map(|(i, &x)| {
            let (s, co) = phase(i).sin_cos();
            x - a * co - b * s
        }));
    }
    out
}

/// Loudness in dB of `pcm` per frame of `frame` samples, averaged over 5 frames (100 ms).
fn envelope(pcm: &[f64], frame: usize) -> Vec<f64> {
    let db: Vec<f64> = pcm
        .chunks_exact(frame)
        .map(|f| 10.0 * (rms(f).powi(2) + 1.0).log10())
        .collect();
    db.windows(5).map(|w| w.iter().sum::<f64>() / 5.0).collect()
}

/// The best Pearson correlation of `heard` against `reference` over lags of 0..`max_lag`
/// frames (what was heard comes later).
fn best_correlation(reference: &[f64], heard: &[f64], max_lag: usize) -> (f64, usize) {
    let mut best = (f64::MIN, 0);
    for lag in 0..max_lag.min(heard.len()) {
        let pairs: Vec<(f64, f64)> = reference
            .iter()
            .zip(&heard[lag..])
            .map(|(&a, &b)| (a, b))
            .collect();
        if pairs.len() < 100 {
            break;
        }
        let n = pairs.len() as f64;
        let (ma, mb) = (
            pairs.iter().map(|p| p.0).sum::<f64>() / n,
            pairs.iter().map(|p| p.1).sum::<f64>() / n,
        );
        let cov: f64 = pairs.iter().map(|p| (p.0 - ma) * (p.1 - mb)).sum();
        let va: f64 = pairs.iter().map(|p| (p.0 - ma).powi(2)).sum();
        let vb: f64 = pairs.iter().map(|p| (p.1 - mb).powi(2)).sum();
        let r = cov / (va * vb).sqrt().max(1e-9);
        if r > best.0 {
            best = (r, lag);
        }
    }
    best
}

/// An Opus participant: its socket, leg, tone and what it heard (arrival, packet).
struct Participant {
    socket: UdpSocket,
    local: SocketAddr,
    tone: (f64, f64),
    ssrc: u32,
    encoder: Encoder,
    received: Vec<(Instant, Vec<u8>)>,
}

impl Participant {
    fn join(node: &SipNode, conference: &str, tone: (f64, f64), ssrc: u32) -> Participant {
        let socket = endpoint();
        let body = json!({
            "codec": "opus",
            "audio_level_id": LEVEL_EXT_ID,
            "remote": socket.local_addr().unwrap().to_string(),
            "receive": "mix",
        });
        let answer = node
            .process
            .create(&format!("/v1/conferences/{conference}/legs"), &body);
        assert_eq!(answer["receive"], "mix", "{answer}");
        let mut encoder =
            Encoder::new(Channels::Mono, SampleRate::Hz48000, Application::Voip).expect("encoder");
        encoder
            .set_bitrate(Bitrate::Value(64_000))
            .expect("bitrate");
        Participant {
            socket,
            local: answer["local"].as_str().unwrap().parse().unwrap(),
            tone,
            ssrc,
            encoder,
            received: Vec::new(),
        }
    }

    fn talk(&mut self, round: u32) {
        let n = 960;
        let pcm = sine(self.tone.0, self.tone.1, 48_000, round as usize * n, n);
        let input: Vec<u16> = pcm.iter().map(|&s| s as u16).collect();
        let mut out = [0u8; 1500];
        let len = self
            .encoder
            .encode_to_slice(&input, &mut out)
            .expect("encode");
        let packet = rtp_with_level(
            PT_OPUS,
            round as u16,
            round * n as u32,
            self.ssrc,
            LEVEL_EXT_ID,
            level_dbov(&pcm),
            &out[..len],
        );
        self.socket.send_to(&packet, self.local).unwrap();
    }

    fn listen(&mut self) {
        let mut got = Vec::new();
        drain(&self.socket, &mut got);
        let now = Instant::now();
        self.received.extend(got.into_iter().map(|p| (now, p)));
    }

    /// The decoded mix (48 kHz) of the packets that arrived in `from..to`; every packet is
    /// decoded in sequence order from the first, so the decoder is warm at `from`.
    fn heard(&self, from: Instant, to: Instant) -> Vec<f64> {
        let mut packets: Vec<(u16, Instant, &[u8])> = self
            .received
            .iter()
            .filter_map(|(at, p)| rtp_fields(p).map(|(seq, _, _)| (seq, *at, p.as_slice())))
            .collect();
        packets.sort_by_key(|(seq, _, _)| *seq);
        let mut decoder = Decoder::new(Channels::Mono, SampleRate::Hz48000).expect("decoder");
        let mut pcm = Vec::new();
        for (_, at, packet) in packets {
            let mut out = [0u16; 5760];
            let n = decoder
                .decode_to_slice(&packet[12..], &mut out, false)
                .expect("the node's Opus decodes");
            if (from..to).contains(&at) {
                pcm.extend(out[..n].iter().map(|&s| f64::from(s as i16)));
            }
        }
        pcm
    }
}

/// A node whose `[pstn] trunk` is a SIPp to come on loopback, with `pstn_extra` more
/// `[pstn]` lines: its scratch directory, the node, and the trunk's (SIP, media) ports.
fn gateway(
    name: &str,
    users: &[(&str, &str)],
    media_ports: (u16, u16),
    pstn_extra: &str,
) -> (PathBuf, SipNode, (u16, u16)) {
    let dir = scratch_dir(name);
    let trunk = (free_port(), free_port());
    let node = SipNode::start(&SipNodeSetup {
        dir: &dir,
        users,
        algorithms: "[\"MD5\"]",
        media_ports,
        tls: None,
        extra_sip: &format!("[pstn]\ntrunk = \"127.0.0.1:{}\"\n{pstn_extra}", trunk.0),
    });
    (dir, node, trunk)
}

/// SIPp as the trunk on `port` (media on `media`) for one call of `scenario_file`; with
/// `sipp/pstn_trunk.xml` it answers the node's INVITE, plays the capture, waits `hold_ms`
/// and hangs up.
fn trunk(
    node: &SipNode,
    dir: &Path,
    scenario_file: &str,
    (port, media): (u16, u16),
    hold_ms: u32,
) -> std::thread::JoinHandle<Output> {
    let (dir, server) = (dir.to_owned(), node.sip.to_string());
    let pcap = fixture("g711a.pcap").display().to_string();
    let args = [
        server,
        "-sf".into(),
        scenario(scenario_file),
        "-m".into(),
        "1".into(),
        "-i".into(),
        "127.0.0.1".into(),
        "-p".into(),
        port.to_string(),
        "-mp".into(),
        media.to_string(),
        "-key".into(),
        "pcap".into(),
        pcap,
        "-d".into(),
        hold_ms.to_string(),
        "-nostdin".into(),
        "-timeout".into(),
        "30".into(),
        "-timeout_error".into(),
    ];
    std::thread::spawn(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        sipp(&args, &dir)
    })
}

/// The node's legs in conference `id` (`GET /v1/conferences/{id}`).
fn legs(node: &SipNode, id: &str) -> Vec<Value> {
    node.process.get_json(&format!("/v1/conferences/{id}"))["legs"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn a_phone_number_is_called_through_the_trunk_and_mixed_both_ways() {
    let speech = pcma_capture_audio(&fixture("g711a.pcap"));
    let (dir, node, trunk_ports) = gateway(
        "sip-pstn-gateway",
        &[("alice", "wonderland")],
        MEDIA_PORTS,
        "codec = \"PCMA\"\n",
    );
    let trunk_media = trunk_ports.1;
    let logs = || node.process.log();

    // A conference from the admin API with two Opus participants taking the mix.
    let id = node
        .process
        .create("/v1/conferences", &json!({ "loudest_n": 3 }))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut participants: Vec<Participant> = TONES
        .iter()
        .enumerate()
        .map(|(i, &tone)| Participant::join(&node, &id, tone, 0x7000 + i as u32))
        .collect();

    // What the node sends from its media ports, as seen on loopback.
    let capture_file = dir.join("capture.txt");
    let tshark_log = dir.join("tshark.log");
    let mut tshark = Running::start(
        "tshark",
        Command::new("tshark")
            .args(["-i", "lo", "-l", "-n", "-a", "duration:30", "-f"])
            .arg(format!(
                "udp and src portrange {}-{}",
                MEDIA_PORTS.0, MEDIA_PORTS.1
            ))
            .args(["-T", "fields", "-e", "udp.srcport", "-e", "udp.dstport"])
            .args(["-e", "udp.payload"])
            .stdout(File::create(&capture_file).unwrap())
            .stderr(File::create(&tshark_log).unwrap()),
    );
    let capturing = Instant::now() + Duration::from_secs(15);
    while !std::fs::read_to_string(&tshark_log)
        .unwrap_or_default()
        .contains("Capturing on")
    {
        assert!(Instant::now() < capturing, "tshark never captured");
        std::thread::sleep(Duration::from_millis(50));
    }

    // SIPp as the trunk: answers the node's INVITE, plays the capture, hangs up.
    let trunk = trunk(&node, &dir, "pstn_trunk.xml", trunk_ports, 7500);

    // The talkers start; alice REFERs the number once the tone-only case is recorded.
    let start = Instant::now();
    let refer_at = start + REFER_AFTER;
    let mut inviter = None;
    let mut gateway_leg: Option<Value> = None;
    for round in 0..ROUNDS {
        for participant in &mut participants {
            participant.talk(round);
        }
        if inviter.is_none() && Instant::now() >= refer_at {
            let (dir, server) = (dir.clone(), node.sip.to_string());
            let messages = dir.join("refer.log");
            let conference = format!("conf-{id}");
            inviter = Some(std::thread::spawn(move || {
                let port = free_port().to_string();
                let output = sipp(
                    &[
                        &server,
                        "-sf",
                        &scenario("refer_inviter.xml"),
                        "-s",
                        &conference,
                        "-au",
                        "alice",
                        "-ap",
                        "wonderland",
                        "-key",
                        "caller",
                        "alice",
                        "-key",
                        "invitee",
                        NUMBER,
                        "-m",
                        "1",
                        "-i",
                        "127.0.0.1",
                        "-p",
                        &port,
                        "-nostdin",
                        "-timeout",
                        "20",
                        "-timeout_error",
                        "-trace_msg",
                        "-message_file",
                        messages.to_str().unwrap(),
                    ],
                    &dir,
                );
                (
                    output,
                    std::fs::read_to_string(&messages).unwrap_or_default(),
                )
            }));
        }
        if round == 300 {
            // Mid-call (the capture plays from about 1.3 s to 8.3 s): the gateway leg.
            gateway_leg = legs(&node, &id).into_iter().find(|l| l["codec"] == "PCMA");
        }
        let next = start + Duration::from_millis(20 * u64::from(round + 1));
        while Instant::now() < next {
            for participant in &mut participants {
                participant.listen();
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    std::thread::sleep(Duration::from_millis(200));
    for participant in &mut participants {
        participant.listen();
    }

    let (output, messages) = inviter.expect("alice referred").join().unwrap();
    assert_success("the inviter", &output, &logs());
    let frags = sipfrags(&messages);
    assert_eq!(
        frags,
        ["SIP/2.0 100 Trying", "SIP/2.0 200 OK"],
        "{messages}\n{}",
        logs()
    );
    let output = trunk.join().unwrap();
    assert_success("the trunk", &output, &logs());
    tshark.stop("INT");

    let gateway_leg = gateway_leg.unwrap_or_else(|| panic!("no gateway leg mid-call\n{}", logs()));
    assert_eq!(gateway_leg["receive"], "mix", "{gateway_leg}");
    assert_eq!(
        gateway_leg["remote"],
        format!("127.0.0.1:{}", trunk_ports.1),
        "the leg took the trunk's address from its answer: {gateway_leg}"
    );
    let gateway_port: u16 = gateway_leg["local"]
        .as_str()
        .and_then(|l| l.rsplit(':').next()?.parse().ok())
        .expect("the gateway leg's local address");
    // After the trunk's BYE the gateway leg is gone; the participants stay.
    let detail = node.process.get_json(&format!("/v1/conferences/{id}"));
    assert_eq!(detail["legs"].as_array().map(Vec::len), Some(2), "{detail}");

    // The trunk got PCMA it can decode, carrying both Opus talkers within 1 dB.
    let packets = captured(&std::fs::read_to_string(&capture_file).unwrap());
    let mut to_trunk: Vec<(u16, &[u8])> = packets
        .iter()
        .filter(|(src, dst, _)| *src == gateway_port && *dst == trunk_media)
        .map(|(_, _, payload)| payload.as_slice())
        .filter(|p| p.len() == 12 + 160 && p[1] & 0x7f == 8)
        .filter_map(|p| rtp_fields(p).map(|(seq, _, _)| (seq, p)))
        .collect();
    assert!(
        to_trunk.len() >= 250,
        "the trunk got {} PCMA packets ({} captured in all)",
        to_trunk.len(),
        packets.len()
    );
    to_trunk.sort_by_key(|(seq, _)| *seq);
    let to_trunk: Vec<f64> = to_trunk
        .iter()
        .flat_map(|(_, p)| alaw(&p[12..]))
        .map(f64::from)
        .collect();
    // 400 ms from the middle of the call.
    let window = &to_trunk[to_trunk.len() / 2..to_trunk.len() / 2 + 3200];
    for &(hz, amplitude) in &TONES {
        let measured = tone_amplitude(window, 8000, hz);
        let db = 20.0 * (measured / amplitude).log10();
        assert!(
            db.abs() <= 1.0,
            "the trunk got {hz} Hz at {measured:.0}, expected {amplitude} ({db:+.2} dB)"
        );
    }

    // Each Opus participant hears the trunk's speech besides the other talker's tone, and
    // not its own tone.
    let speech_f: Vec<f64> = speech.iter().map(|&s| f64::from(s)).collect();
    let speech_envelope = envelope(&speech_f, 160);
    let speech_rms = rms(&speech_f);
    for (i, participant) in participants.iter().enumerate() {
        let other = participants[1 - i].tone.0;
        // The mix settles in the first 700 ms.
        let before = participant.heard(start + Duration::from_millis(700), refer_at);
        let during = participant.heard(refer_at, start + Duration::from_secs(9));
        // Measured before the call: the trunk's speech has energy at any frequency.
        let own = tone_amplitude(&before[..19_200], 48_000, participant.tone.0);
        assert!(
            20.0 * (own.max(1e-3) / 32767.0).log10() < -40.0,
            "participant {i} hears its own tone at {own:.0}"
        );
        let quiet = rms(&without_tone(&before, 48_000, other));
        let residual = without_tone(&during, 48_000, other);
        let loud = rms(&residual);
        assert!(
            loud > 5.0 * quiet.max(1.0) && loud > 0.3 * speech_rms,
            "participant {i}: without the tone, RMS {loud:.0} in the call, {quiet:.0} before \
             (the capture's RMS is {speech_rms:.0})\n{}",
            logs()
        );
        let heard_envelope = envelope(&residual, 960);
        let (r, lag) = best_correlation(&speech_envelope, &heard_envelope, 150);
        eprintln!(
            "participant {i}: residual RMS {loud:.0} (before {quiet:.0}), envelope \
             correlation {r:.2} at {lag} frames"
        );
        assert!(
            r > 0.6,
            "participant {i}: what it heard does not follow the capture's loudness \
             (best correlation {r:.2} at {lag} frames)"
        );
    }
    let (exit, log) = node.process.stop();
    assert!(exit.success(), "{log}");
}

#[test]
fn the_admin_api_calls_a_number_into_a_conference() {
    let (dir, node, trunk_ports) = gateway("sip-pstn-admin-call", &[], (36720, 36739), "");
    let id = node
        .process
        .create("/v1/conferences", &json!({ "loudest_n": 3 }))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let calls = format!("/v1/conferences/{id}/calls");
    let refused = node
        .process
        .request("POST", &calls, r#"{"to": "sip:alice@example.com"}"#);
    assert_eq!(refused.status, 400, "{:?}", refused.json());
    let unknown = node.process.request(
        "POST",
        "/v1/conferences/999/calls",
        r#"{"to": "tel:+15550100"}"#,
    );
    assert_eq!(unknown.status, 404);
    let missing = node.process.request("POST", &calls, "{}");
    assert_eq!(missing.status, 400);

    let trunk = trunk(&node, &dir, "pstn_trunk_hung_up.xml", trunk_ports, 0);
    let placed = node
        .process
        .request("POST", &calls, &format!(r#"{{"to": "tel:{NUMBER}"}}"#));
    assert_eq!(placed.status, 202, "{:?}", placed.json());
    let body = placed.json();
    assert!(
        !body["call"].as_str().unwrap_or_default().is_empty(),
        "{body}"
    );
    assert_eq!(body["to"], format!("tel:{NUMBER}"));

    // The gateway leg takes the trunk's answer; removing it through the admin API sends
    // the trunk a BYE.
    let deadline = Instant::now() + Duration::from_secs(10);
    let answered = loop {
        let found = legs(&node, &id).into_iter().find(|l| {
            l["codec"] == "PCMA" && l["remote"] == format!("127.0.0.1:{}", trunk_ports.1)
        });
        if let Some(leg) = found {
            break leg;
        }
        assert!(
            Instant::now() < deadline,
            "no answered gateway leg\n{}",
            node.process.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(answered["receive"], "mix", "{answered}");
    let leg = answered["leg"].as_str().unwrap();
    let removed = node
        .process
        .request("DELETE", &format!("/v1/conferences/{id}/legs/{leg}"), "");
    assert_eq!(removed.status, 204);
    let output = trunk.join().unwrap();
    assert_success("the trunk", &output, &node.process.log());
    assert!(legs(&node, &id).is_empty());
    let (exit, log) = node.process.stop();
    assert!(exit.success(), "{log}");
}

/// Polls the legs of conference `id` until a G.711 one satisfies `ready` (bounded).
fn wait_for_gateway_leg(
    node: &SipNode,
    id: &str,
    ready: impl Fn(&Value) -> bool,
    mut each_round: impl FnMut(),
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = legs(node, id)
            .into_iter()
            .find(|l| (l["codec"] == "PCMA" || l["codec"] == "PCMU") && ready(l));
        if let Some(leg) = found {
            return leg;
        }
        assert!(
            Instant::now() < deadline,
            "the gateway leg never got there: {:?}\n{}",
            legs(node, id),
            node.process.log()
        );
        for _ in 0..5 {
            each_round();
        }
    }
}

#[test]
fn early_media_from_the_trunk_reaches_the_conference_while_it_rings() {
    // The node offers PCMU first; the trunk's 183 answers PCMA and plays PCMA, which only
    // a leg that took the early answer accepts.
    let (dir, node, trunk_ports) = gateway(
        "sip-pstn-early-media",
        &[],
        (36740, 36759),
        "codec = \"PCMU\"\n",
    );
    let id = node
        .process
        .create("/v1/conferences", &json!({ "loudest_n": 3 }))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut listener = Participant::join(&node, &id, TONES[0], 0x7100);
    let start = Instant::now();
    let mut round = 0;
    let mut tick = |listener: &mut Participant| {
        listener.talk(round);
        round += 1;
        let next = start + Duration::from_millis(20 * u64::from(round));
        while Instant::now() < next {
            listener.listen();
            std::thread::sleep(Duration::from_millis(2));
        }
    };
    // 1 s alone in the conference: what the listener hears without the trunk.
    for _ in 0..50 {
        tick(&mut listener);
    }
    let alone = Instant::now();

    let trunk = trunk(&node, &dir, "pstn_trunk_early_media.xml", trunk_ports, 0);
    let placed = node.process.request(
        "POST",
        &format!("/v1/conferences/{id}/calls"),
        &format!(r#"{{"to": "tel:{NUMBER}"}}"#),
    );
    assert_eq!(placed.status, 202, "{:?}", placed.json());

    // The leg takes the 183's answer (PCMA, the trunk's address) and receives its RTP.
    let early = wait_for_gateway_leg(
        &node,
        &id,
        |l| {
            l["codec"] == "PCMA"
                && l["remote"] == format!("127.0.0.1:{}", trunk_ports.1)
                && l["packets_received"].as_u64().unwrap_or(0) > 0
        },
        || tick(&mut listener),
    );
    let ringing = Instant::now();
    assert_eq!(early["receive"], "mix", "{early}");
    // 2 s more of the announcement, then the call is ended while it still rings.
    for _ in 0..100 {
        tick(&mut listener);
    }
    let heard_until = Instant::now();
    let leg = legs(&node, &id)
        .into_iter()
        .find(|l| l["codec"] == "PCMA")
        .unwrap_or_else(|| panic!("the gateway leg went early\n{}", node.process.log()));
    let received = leg["packets_received"].as_u64().unwrap_or(0);
    assert!(
        received >= 50,
        "{received} packets from the trunk in 2 s: {leg}"
    );
    let removed = node.process.request(
        "DELETE",
        &format!("/v1/conferences/{id}/legs/{}", leg["leg"].as_str().unwrap()),
        "",
    );
    assert_eq!(removed.status, 204);
    // The trunk saw a CANCEL (not a BYE) and never answered: all of it was early media.
    let output = trunk.join().unwrap();
    assert_success("the trunk", &output, &node.process.log());

    // The listener heard the trunk's audio (its own tone is not in its mix).
    let quiet = rms(&listener.heard(start + Duration::from_millis(300), alone));
    let loud = rms(&listener.heard(ringing, heard_until));
    eprintln!("early media: RMS {loud:.0} while ringing, {quiet:.0} alone");
    assert!(
        loud > 5.0 * quiet.max(1.0) && loud > 100.0,
        "the listener heard RMS {loud:.0} while the trunk rang, {quiet:.0} alone\n{}",
        node.process.log()
    );
    let (exit, log) = node.process.stop();
    assert!(exit.success(), "{log}");
}

#[test]
fn a_trunk_that_fails_after_early_media_leaves_no_leg() {
    let (dir, node, trunk_ports) = gateway("sip-pstn-early-busy", &[], (36760, 36779), "");
    let id = node
        .process
        .create("/v1/conferences", &json!({ "loudest_n": 3 }))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let trunk = trunk(&node, &dir, "pstn_trunk_early_busy.xml", trunk_ports, 2000);
    let placed = node.process.request(
        "POST",
        &format!("/v1/conferences/{id}/calls"),
        &format!(r#"{{"to": "tel:{NUMBER}"}}"#),
    );
    assert_eq!(placed.status, 202, "{:?}", placed.json());
    wait_for_gateway_leg(
        &node,
        &id,
        |l| {
            l["remote"] == format!("127.0.0.1:{}", trunk_ports.1)
                && l["packets_received"].as_u64().unwrap_or(0) > 0
        },
        || std::thread::sleep(Duration::from_millis(20)),
    );
    let output = trunk.join().unwrap();
    assert_success("the trunk", &output, &node.process.log());
    let deadline = Instant::now() + Duration::from_secs(3);
    while !legs(&node, &id).is_empty() {
        assert!(
            Instant::now() < deadline,
            "a leg is left after the trunk's 486: {:?}",
            legs(&node, &id)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (exit, log) = node.process.stop();
    assert!(exit.success(), "{log}");
}

#[test]
fn the_last_sip_participant_leaving_hangs_up_the_phone_and_ends_the_conference() {
    let (dir, node, trunk_ports) = gateway(
        "sip-pstn-member",
        &[("alice", "wonderland")],
        (36780, 36799),
        "",
    );
    let logs = || node.process.log();

    // Alice makes a conference through the factory and joins it.
    let mut alice = Uac::udp(node.sip, "alice", "wonderland");
    let factory = format!("sip:conference@{}", node.sip);
    let alice_media = endpoint();
    let offer = sdp_offer(
        alice_media.local_addr().unwrap(),
        "RTP/AVP",
        "8",
        "a=rtpmap:8 PCMA/8000\r\n",
    );
    let mut call = ClientCall::new(&factory);
    let redirect = invite(&mut alice, &mut call, &factory, &offer, "MD5");
    assert_eq!(redirect.status(), 302, "{redirect:?}");
    let conference_uri = redirect.contact_uri().unwrap();
    let id = conference_uri
        .strip_prefix("sip:conf-")
        .and_then(|u| u.split('@').next())
        .unwrap()
        .to_owned();
    let mut call = ClientCall::new(&conference_uri);
    let ok = invite(&mut alice, &mut call, &conference_uri, &offer, "MD5");
    assert_eq!(ok.status(), 200, "{ok:?}\n{}", logs());

    // The phone: early media, answered 500 ms later; then it waits for the node's BYE.
    let trunk = trunk(&node, &dir, "pstn_trunk_member.xml", trunk_ports, 0);
    let placed = node.process.request(
        "POST",
        &format!("/v1/conferences/{id}/calls"),
        &format!(r#"{{"to": "tel:{NUMBER}"}}"#),
    );
    assert_eq!(placed.status, 202, "{:?}", placed.json());
    // The admin API names the phone's leg by its number.
    let phone = wait_for_gateway_leg(
        &node,
        &id,
        |l| l["remote"] == format!("127.0.0.1:{}", trunk_ports.1),
        || std::thread::sleep(Duration::from_millis(20)),
    );
    assert_eq!(phone["participant"], NUMBER, "{phone}");
    // Past the trunk's 200 (sent 500 ms after its 183).
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(legs(&node, &id).len(), 2, "alice and the phone");

    // Alice leaves: the phone alone is no conference; the node hangs it up.
    assert_eq!(bye(&mut alice, &mut call).status(), 200);
    let output = trunk.join().unwrap();
    assert_success("the trunk (expects the node's BYE)", &output, &logs());
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let gone = node
            .process
            .request("GET", &format!("/v1/conferences/{id}"), "");
        if gone.status == 404 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the conference outlived its last SIP participant: {:?}",
            gone.json()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (exit, log) = node.process.stop();
    assert!(exit.success(), "{log}");
}

/// The node's SRTP authentication failures so far.
fn auth_failures(node: &SipNode) -> f64 {
    metric_sum(
        &node.process.metrics(),
        "medianode_core_drops_total",
        &["reason=\"srtp_auth\""],
    )
}

#[test]
fn an_srtp_trunk_baresip_exchanges_the_mix_both_ways() {
    const TRUNK_TONE: f64 = 440.0;
    let (dir, node, (trunk_port, _)) = gateway(
        "sip-pstn-srtp-baresip",
        &[],
        (36800, 36819),
        "srtp = \"AES_CM_128_HMAC_SHA1_80\"\n",
    );

    // baresip as the trunk: answers at once, sends a 440 Hz tone at half scale.
    let tone = dir.join("tone.wav");
    tone_wav(&tone, 440, 20);
    let home = dir.join("baresip");
    let records = dir.join("records");
    let account = format!(
        "<sip:{NUMBER}@127.0.0.1:{trunk_port};transport=udp>;regint=0;answermode=auto;\
         mediaenc=srtp-mand;audio_codecs=PCMA"
    );
    write_baresip_home(&home, trunk_port, &tone, &records, &account, "");
    let baresip_log = dir.join("baresip.log");
    let mut baresip = start_baresip(&home, &baresip_log, &["-t".to_owned(), "40".to_owned()]);
    let logs = || {
        format!(
            "baresip: {}\nnode: {}",
            std::fs::read_to_string(&baresip_log).unwrap_or_default(),
            node.process.log()
        )
    };
    let listening = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&baresip_log)
        .unwrap_or_default()
        .contains("baresip is ready")
    {
        assert!(
            Instant::now() < listening,
            "baresip never got ready\n{}",
            logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // An Opus participant sends a 500 Hz tone and takes the mix; the node calls baresip.
    let id = node
        .process
        .create("/v1/conferences", &json!({ "loudest_n": 3 }))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut listener = Participant::join(&node, &id, TONES[0], 0x7200);
    let placed = node.process.request(
        "POST",
        &format!("/v1/conferences/{id}/calls"),
        &format!(r#"{{"to": "tel:{NUMBER}"}}"#),
    );
    assert_eq!(placed.status, 202, "{:?}", placed.json());
    let start = Instant::now();
    let mut answered_at = None;
    for round in 0..300 {
        listener.talk(round);
        if answered_at.is_none() && round % 10 == 0 {
            let answered = legs(&node, &id)
                .into_iter()
                .any(|l| l["codec"] == "PCMA" && l["packets_received"].as_u64().unwrap_or(0) > 0);
            if answered {
                // What baresip sent before the leg took its key (it may start right
                // after its 200) fails authentication; from here on nothing may.
                std::thread::sleep(Duration::from_millis(100));
                let leg = legs(&node, &id).into_iter().find(|l| l["codec"] == "PCMA");
                answered_at = Some((Instant::now(), leg.unwrap(), auth_failures(&node)));
            }
        }
        let next = start + Duration::from_millis(20 * u64::from(round + 1));
        while Instant::now() < next {
            listener.listen();
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    let (answered_at, answered_leg, auth_failed_before) =
        answered_at.unwrap_or_else(|| panic!("no SRTP from baresip reached the leg\n{}", logs()));

    // The node's view: an SRTP gateway leg that decrypted baresip's packets and sent the
    // mix, with no authentication failure anywhere.
    let phone = legs(&node, &id)
        .into_iter()
        .find(|l| l["codec"] == "PCMA")
        .unwrap_or_else(|| panic!("no gateway leg\n{}", logs()));
    assert_eq!(phone["suite"], "AES_CM_128_HMAC_SHA1_80", "{phone}");
    assert!(
        phone["packets_received"].as_u64().unwrap() >= 100,
        "{phone}"
    );
    assert!(phone["packets_out"].as_u64().unwrap() >= 100, "{phone}");
    // Every RTP packet baresip sent in the call was decrypted (its RTCP comes from its
    // RTCP port, which the leg refuses as a wrong source: not counted here).
    let received = phone["packets_received"].as_u64().unwrap()
        - answered_leg["packets_received"].as_u64().unwrap();
    assert!(received >= 200, "{answered_leg} then {phone}");
    assert_eq!(
        auth_failures(&node),
        auth_failed_before,
        "SRTP authentication failures in the call"
    );

    // The listener hears baresip's tone, decrypted and mixed.
    let heard = listener.heard(answered_at + Duration::from_millis(500), Instant::now());
    assert!(heard.len() >= 19_200 * 3, "{} samples heard", heard.len());
    let middle = &heard[heard.len() / 2..heard.len() / 2 + 19_200];
    let trunk_tone = tone_amplitude(middle, 48_000, TRUNK_TONE);
    let db = 20.0 * (trunk_tone / 16384.0).log10();
    assert!(
        db.abs() <= 2.0,
        "the listener got baresip's 440 Hz at {trunk_tone:.0} ({db:+.1} dB of half scale)"
    );

    // The node hangs up (the conference goes); baresip's recording has the listener's tone.
    let removed = node
        .process
        .request("DELETE", &format!("/v1/conferences/{id}"), "");
    assert_eq!(removed.status, 204);
    let hung_up = Instant::now() + Duration::from_secs(5);
    while !std::fs::read_to_string(&baresip_log)
        .unwrap_or_default()
        .contains("terminated")
    {
        assert!(Instant::now() < hung_up, "baresip got no BYE\n{}", logs());
        std::thread::sleep(Duration::from_millis(50));
    }
    baresip.stop("INT");
    let decoded = decoded_recording(&records)
        .unwrap_or_else(|| panic!("baresip recorded nothing\n{}", logs()));
    let recorded: Vec<f64> = wav_samples(&decoded).into_iter().map(f64::from).collect();
    assert!(
        recorded.len() >= 8000 * 3,
        "{} samples recorded",
        recorded.len()
    );
    let middle = &recorded[recorded.len() / 2..recorded.len() / 2 + 3200];
    let (hz, amplitude) = TONES[0];
    let got = tone_amplitude(middle, 8000, hz);
    let db = 20.0 * (got / amplitude).log10();
    assert!(
        db.abs() <= 2.0,
        "baresip heard the listener's {hz} Hz at {got:.0}, expected {amplitude} ({db:+.2} dB)"
    );
    let (exit, log) = node.process.stop();
    assert!(exit.success(), "{log}");
}
