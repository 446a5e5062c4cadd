//! A conference that mixes for some legs and forwards for others, through `MediaCore`:
//! talkers send sines at distinct frequencies as RTP, the core's mixer ticks on its own
//! deadlines, and each leg's endpoint decodes what it was sent.

mod conference_support;
mod mixer_support;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::Duration;

use conference_support::{addr, Endpoint, Harness, Sent};
use medianode_dataplane::conference::{
    Codec, ConferenceError, CoreConfig, LegConfig, LegId, MediaMode, PayloadTypes, Receive,
    RecordingId, SelectionPolicy,
};
use medianode_dataplane::mixer::{MixerConfig, OpusEncoding, OutputKind};
use medianode_dataplane::srtp::SrtpSuite;
use mixer_support::{assert_tones, Receiver, Talker, Tone, LEVEL_ID, PT_DTMF, PT_OPUS, PT_PCMU};

/// Analysis window: 400 ms, so every tone below sits on a 2.5 Hz bin.
const WINDOW: Duration = Duration::from_millis(400);
const SUITE: SrtpSuite = SrtpSuite::AesCm128HmacSha1_80;

fn local(leg: u32) -> u16 {
    20_000 + 2 * leg as u16
}

fn remote(leg: u32) -> SocketAddr {
    addr(40_000 + 2 * leg as u16)
}

fn payload_types(codec: Codec) -> PayloadTypes {
    let pt = if codec == Codec::Opus {
        PT_OPUS
    } else {
        PT_PCMU
    };
    PayloadTypes::single(pt, codec)
        .and_then(|t| t.with(PT_DTMF, Codec::TelephoneEvent { clock_rate: 8000 }))
        .expect("payload types")
}

fn is_rtcp(bytes: &[u8]) -> bool {
    bytes.get(1).is_some_and(|b| (200..=206).contains(b))
}

/// One leg of the scenario: what it sends (if it talks) and what it hears.
struct Member {
    talker: Option<Talker>,
    endpoint: Endpoint,
    receiver: Receiver,
    /// SSRCs of the RTP it received, in order.
    ssrcs: Vec<u32>,
    /// Payload types of the RTP it received.
    payload_types: BTreeSet<u8>,
    /// (sequence, timestamp) of the mix packets it received, per SSRC.
    mix_headers: BTreeMap<u32, Vec<(u16, u32)>>,
    /// Every stream that is no talker's packets (the mix, relays), decoded on its own.
    streams: BTreeMap<u32, Receiver>,
}

struct Scenario {
    harness: Harness,
    members: BTreeMap<u32, Member>,
}

impl Scenario {
    fn new(policy: SelectionPolicy) -> Scenario {
        let mut config = CoreConfig::default();
        config.mix = MixerConfig::new(policy).with_opus(OpusEncoding::new(64_000, 5));
        let mut harness = Harness::new(config);
        harness.conference(1, policy);
        Scenario {
            harness,
            members: BTreeMap::new(),
        }
    }

    fn add(&mut self, leg: u32, codec: Codec, talker: Option<Tone>, receive: Receive) {
        self.add_with(leg, codec, talker, receive, false);
    }

    fn add_with(
        &mut self,
        leg: u32,
        codec: Codec,
        tone: Option<Tone>,
        receive: Receive,
        hop_by_hop: bool,
    ) {
        let ssrc = 0x1000 + leg;
        let byte = leg as u8;
        let (endpoint, media) = if hop_by_hop {
            (
                Endpoint::srtp(40_000 + 2 * leg as u16, ssrc, SUITE, byte, byte + 100),
                Endpoint::hop_by_hop_mode(SUITE, byte, byte + 100),
            )
        } else {
            (
                Endpoint::plain(40_000 + 2 * leg as u16, ssrc),
                MediaMode::Plain,
            )
        };
        let config = LegConfig::new(local(leg), payload_types(codec))
            .with_remote(remote(leg))
            .with_audio_level(LEVEL_ID)
            .with_media(media)
            .with_receive(receive);
        self.harness.leg(1, leg, config);
        self.members.insert(
            leg,
            Member {
                talker: tone.map(|t| Talker::new(codec, t, ssrc)),
                endpoint,
                receiver: Receiver::new(codec),
                ssrcs: Vec::new(),
                payload_types: BTreeSet::new(),
                mix_headers: BTreeMap::new(),
                streams: BTreeMap::new(),
            },
        );
    }

    /// Runs `periods` of 20 ms: every talker's packet arrives 5 ms into the period, then
    /// the core runs its deadlines (the mixer's tick among them) to the period's end.
    fn run(&mut self, periods: usize) {
        let talker_ssrcs: BTreeSet<u32> = self
            .members
            .values()
            .filter_map(|m| m.talker.as_ref().map(|t| t.ssrc))
            .collect();
        for _ in 0..periods {
            let period_start = self.harness.now;
            let mut sent = self
                .harness
                .advance_to(period_start + Duration::from_millis(5));
            let mut batch = Vec::new();
            for (&leg, member) in &mut self.members {
                if let Some(talker) = &mut member.talker {
                    let packet = member.endpoint.protect(talker.next_packet());
                    batch.push((local(leg), remote(leg), packet));
                }
            }
            sent.extend(self.harness.batch(batch));
            sent.extend(
                self.harness
                    .advance_to(period_start + Duration::from_millis(20)),
            );
            self.deliver(sent, &talker_ssrcs);
        }
    }

    fn deliver(&mut self, sent: Vec<Sent>, talker_ssrcs: &BTreeSet<u32>) {
        for datagram in sent {
            if is_rtcp(&datagram.bytes) {
                continue;
            }
            let leg = self
                .members
                .keys()
                .copied()
                .find(|&l| remote(l) == datagram.destination)
                .expect("sent to a member");
            let member = self.members.get_mut(&leg).expect("member");
            let packet = member.endpoint.open(&datagram.bytes).expect("opens");
            let ssrc = u32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]]);
            member.ssrcs.push(ssrc);
            member.payload_types.insert(packet[1] & 0x7f);
            if talker_ssrcs.contains(&ssrc) {
                continue;
            }
            let seq = u16::from_be_bytes([packet[2], packet[3]]);
            let ts = u32::from_be_bytes([packet[4], packet[5], packet[6], packet[7]]);
            member.mix_headers.entry(ssrc).or_default().push((seq, ts));
            member.receiver.receive(&packet[12..], OutputKind::Shared);
            let codec = member.receiver.codec;
            member
                .streams
                .entry(ssrc)
                .or_insert_with(|| Receiver::new(codec))
                .receive(&packet[12..], OutputKind::Shared);
        }
    }

    fn heard(&self, leg: u32) -> &[i16] {
        self.members[&leg].receiver.last(WINDOW)
    }

    fn rate(&self, leg: u32) -> u32 {
        self.members[&leg].receiver.rate()
    }

    /// The distinct SSRCs a leg received in the last `periods` periods' worth of packets.
    fn recent_ssrcs(&self, leg: u32, packets: usize) -> BTreeSet<u32> {
        let ssrcs = &self.members[&leg].ssrcs;
        ssrcs[ssrcs.len().saturating_sub(packets)..]
            .iter()
            .copied()
            .collect()
    }
}

#[test]
fn mix_legs_hear_the_other_selected_talkers_and_streams_legs_get_forwarded_packets() {
    let a = Tone::new(400.0, 8000.0);
    let b = Tone::new(700.0, 6000.0);
    let c = Tone::new(1100.0, 4500.0);
    // Audible, but 15 dB under the third talker: loudest-3 leaves it out.
    let d = Tone::new(1700.0, 800.0);
    let mut s = Scenario::new(SelectionPolicy::loudest(3));
    s.add(1, Codec::Opus, Some(a), Receive::Mix);
    s.add(2, Codec::Pcmu, Some(b), Receive::Streams);
    s.add_with(3, Codec::Pcmu, Some(c), Receive::Mix, true);
    s.add(4, Codec::Opus, Some(d), Receive::Streams);
    s.add(5, Codec::Opus, None, Receive::Mix);
    s.add_with(6, Codec::Pcmu, None, Receive::Mix, true);
    s.add(7, Codec::Opus, None, Receive::Streams);
    s.run(60);

    let talkers = s
        .harness
        .core
        .talkers(medianode_dataplane::conference::ConferenceId(1))
        .expect("conference");
    assert_eq!(talkers, vec![LegId(1), LegId(2), LegId(3)]);

    // Mix legs: exactly the other selected talkers, within 1 dB; never their own voice.
    for (leg, present, absent) in [
        (1, vec![b, c], vec![a, d]),
        (3, vec![a, b], vec![c, d]),
        (5, vec![a, b, c], vec![d]),
        (6, vec![a, b, c], vec![d]),
    ] {
        assert_tones(
            &format!("leg {leg}"),
            s.heard(leg),
            s.rate(leg),
            &present,
            &absent,
        );
        let member = &s.members[&leg];
        // No forwarded talker packet reached a mix leg, and the mix came under the leg's
        // own payload type.
        let forwarded: Vec<u32> = member
            .ssrcs
            .iter()
            .copied()
            .filter(|ssrc| (0x1001..=0x1007).contains(ssrc))
            .collect();
        assert!(forwarded.is_empty(), "leg {leg} got {forwarded:x?}");
        let pt = if s.rate(leg) == 48_000 {
            PT_OPUS
        } else {
            PT_PCMU
        };
        assert_eq!(member.payload_types, BTreeSet::from([pt]), "leg {leg}");
        // Each output stream runs on: sequence +1 and timestamp +20 ms per packet.
        let step = s.rate(leg) / 50;
        for (ssrc, headers) in &member.mix_headers {
            for pair in headers.windows(2) {
                assert_eq!(pair[1].0, pair[0].0.wrapping_add(1), "leg {leg} {ssrc:x}");
                assert_eq!(
                    pair[1].1,
                    pair[0].1.wrapping_add(step),
                    "leg {leg} {ssrc:x}"
                );
            }
        }
    }
    // Each mix leg hears the mix as a stream of its own.
    let last_ssrc = |leg: u32| *s.members[&leg].ssrcs.last().expect("packets");
    let mix_ssrcs: BTreeSet<u32> = [1, 3, 5, 6].into_iter().map(last_ssrc).collect();
    assert_eq!(mix_ssrcs.len(), 4, "one stream per mix leg");

    // Streams legs: the other selected talkers' packets where they decode the codec, and
    // a relay (that talker alone, re-encoded in their codec) where they do not: the PCMU
    // leg 2 gets talker 3's PCMU as sent and talker 1's Opus voice as PCMU; the Opus
    // leg 7 gets talker 1's Opus as sent and talkers 2 and 3 relayed as Opus.
    let relayed = |leg: u32| -> Vec<&Receiver> {
        let member = &s.members[&leg];
        let recent = s.recent_ssrcs(leg, 30);
        member
            .streams
            .iter()
            .filter(|(ssrc, _)| recent.contains(ssrc))
            .map(|(_, receiver)| receiver)
            .collect()
    };
    let two = s.recent_ssrcs(2, 20);
    assert!(two.contains(&0x1003) && !two.contains(&0x1001), "{two:x?}");
    assert_eq!(two.len(), 2, "{two:x?}");
    assert_eq!(s.members[&2].payload_types, BTreeSet::from([PT_PCMU]));
    let [one_for_two] = relayed(2)[..] else {
        panic!("one relay to leg 2");
    };
    assert_tones(
        "talker 1 relayed to leg 2",
        one_for_two.last(WINDOW),
        8000,
        &[a],
        &[b, c, d],
    );
    let seven = s.recent_ssrcs(7, 30);
    assert!(
        seven.contains(&0x1001) && !seven.contains(&0x1002),
        "{seven:x?}"
    );
    assert_eq!(seven.len(), 3, "{seven:x?}");
    assert_eq!(s.members[&7].payload_types, BTreeSet::from([PT_OPUS]));
    let relays_to_seven = relayed(7);
    assert_eq!(relays_to_seven.len(), 2);
    let heard_b = relays_to_seven
        .iter()
        .filter(|r| mixer_support::tone_amplitude(r.last(WINDOW), 48_000, b.hz) > 1000.0)
        .count();
    assert_eq!(heard_b, 1, "talker 2 relayed once");
    for relay in relays_to_seven {
        let pcm = relay.last(WINDOW);
        let (present, absent) = if mixer_support::tone_amplitude(pcm, 48_000, b.hz) > 1000.0 {
            (b, c)
        } else {
            (c, b)
        };
        assert_tones("relayed to leg 7", pcm, 48_000, &[present], &[absent, a, d]);
    }

    let counters = s.harness.core.mixing_counters();
    assert_eq!(counters.conferences, 1);
    assert_eq!(counters.ticks, 60);
    assert!(counters.frames_decoded >= 3 * 50, "{counters:?}");
    assert!(counters.frames_encoded >= 4 * 50, "{counters:?}");
    assert!(counters.packets_sent >= 4 * 50, "{counters:?}");
}

#[test]
fn four_full_scale_talkers_do_not_wrap_in_the_mix_a_listener_gets() {
    let tones = [
        Tone::new(400.0, 32767.0),
        Tone::new(700.0, 32767.0),
        Tone::new(1100.0, 32767.0),
        Tone::new(1700.0, 32767.0),
    ];
    let mut s = Scenario::new(SelectionPolicy::loudest(4));
    for (i, &tone) in tones.iter().enumerate() {
        s.add(i as u32 + 1, Codec::Pcmu, Some(tone), Receive::Streams);
    }
    s.add(5, Codec::Pcmu, None, Receive::Mix);
    s.run(60);

    let heard = s.heard(5);
    // Summed with 16-bit wrap-around, the tones would spread their power over the whole
    // band; the limiter keeps it in the tones' bins.
    let bins = mixer_support::spectrum(heard);
    let hz_per_bin = 8000.0 / heard.len() as f64;
    let (mut inside, mut outside) = (0.0, 0.0);
    for (k, m) in bins.iter().enumerate() {
        let hz = k as f64 * hz_per_bin;
        if tones.iter().any(|t| (t.hz - hz).abs() <= 60.0) {
            inside += m * m;
        } else {
            outside += m * m;
        }
    }
    let distortion = 10.0 * f64::log10(outside / (inside + outside));
    assert!(distortion < -20.0, "distortion {distortion:.1} dB");
    // All four are there at equal strength, and the mix is loud (limited, not muted).
    let amplitudes: Vec<f64> = tones
        .iter()
        .map(|t| mixer_support::tone_amplitude(heard, 8000, t.hz))
        .collect();
    let (min, max) = amplitudes
        .iter()
        .fold((f64::MAX, 0.0f64), |(lo, hi), &a| (lo.min(a), hi.max(a)));
    assert!(mixer_support::db(max, min) < 1.0, "{amplitudes:?}");
    assert!(min > 3000.0, "{amplitudes:?}");
}

#[test]
fn the_mixer_stops_with_the_last_mix_leg() {
    let mut s = Scenario::new(SelectionPolicy::loudest(3));
    s.add(
        1,
        Codec::Pcmu,
        Some(Tone::new(400.0, 8000.0)),
        Receive::Streams,
    );
    s.add(2, Codec::Pcmu, None, Receive::Mix);
    s.run(10);
    let conference = medianode_dataplane::conference::ConferenceId(1);
    assert!(
        s.harness
            .core
            .conference(conference)
            .expect("exists")
            .mixing
    );
    let stats = s.harness.core.leg_stats(LegId(2)).expect("leg");
    assert_eq!(stats.receive, Receive::Mix);
    assert!(stats.packets_out >= 5, "{stats:?}");

    s.harness
        .core
        .remove_leg(LegId(2), s.harness.now)
        .expect("removed");
    assert!(
        !s.harness
            .core
            .conference(conference)
            .expect("exists")
            .mixing
    );
    let counters = s.harness.core.mixing_counters();
    assert_eq!(counters.conferences, 0);
    assert!(counters.frames_decoded > 0, "kept after the mixer stopped");
}

#[test]
fn a_recording_taps_the_full_mix_as_opus_even_without_mix_legs() {
    let a = Tone::new(400.0, 8000.0);
    let b = Tone::new(700.0, 6000.0);
    let mut s = Scenario::new(SelectionPolicy::loudest(3));
    // One codec: no relay, so nothing mixes before the recording.
    s.add(1, Codec::Opus, Some(a), Receive::Streams);
    s.add(2, Codec::Opus, Some(b), Receive::Streams);
    let conference = medianode_dataplane::conference::ConferenceId(1);
    assert!(
        !s.harness
            .core
            .conference(conference)
            .expect("exists")
            .mixing
    );
    let recording = RecordingId(77);
    s.harness
        .core
        .start_recording(conference, recording, s.harness.now)
        .expect("started");
    assert_eq!(
        s.harness
            .core
            .start_recording(conference, RecordingId(78), s.harness.now),
        Err(ConferenceError::AlreadyRecording(conference))
    );
    assert!(
        s.harness
            .core
            .conference(conference)
            .expect("exists")
            .mixing
    );

    let mut listener = Receiver::new(Codec::Opus);
    let mut frames = 0;
    for _ in 0..60 {
        s.run(1);
        while let Some(frame) = s.harness.core.poll_recorded() {
            assert_eq!(frame.recording, recording);
            assert_eq!(frame.samples, 960);
            listener.receive(&frame.payload, OutputKind::Shared);
            frames += 1;
        }
    }
    assert_eq!(frames, 60, "one frame per tick");
    assert_tones("recording", listener.last(WINDOW), 48_000, &[a, b], &[]);

    assert_eq!(s.harness.core.stop_recording(conference), Ok(recording));
    assert!(
        !s.harness
            .core
            .conference(conference)
            .expect("exists")
            .mixing
    );
    assert_eq!(
        s.harness.core.stop_recording(conference),
        Err(ConferenceError::NotRecording(conference))
    );
    s.run(5);
    assert_eq!(s.harness.core.poll_recorded(), None);
}

#[test]
fn telephone_events_reach_mix_legs_unmixed() {
    let mut s = Scenario::new(SelectionPolicy::loudest(3));
    s.add(
        1,
        Codec::Pcmu,
        Some(Tone::new(400.0, 8000.0)),
        Receive::Streams,
    );
    s.add(2, Codec::Pcmu, None, Receive::Mix);
    s.add_with(3, Codec::Opus, None, Receive::Mix, true);
    s.add(4, Codec::Pcmu, None, Receive::Streams);
    s.run(10);
    // RFC 4733: event 5, end bit, volume 10, duration 800.
    let event = conference_support::rtp(PT_DTMF, 7000, 1600, 0x1001, None, &[5, 0x8a, 3, 0x20]);
    let sent = s.harness.batch(vec![(local(1), remote(1), event.clone())]);
    for leg in [2, 3, 4] {
        let to_leg: Vec<&Sent> = sent
            .iter()
            .filter(|d| d.destination == remote(leg))
            .collect();
        assert_eq!(to_leg.len(), 1, "leg {leg} gets the event once");
        let member = s.members.get_mut(&leg).expect("member");
        let opened = member.endpoint.open(&to_leg[0].bytes).expect("opens");
        assert_eq!(opened, event, "leg {leg} gets it as sent");
    }
}

#[test]
fn a_mix_leg_keeps_one_continuous_stream_when_it_enters_the_talker_set() {
    let loud = Tone::new(500.0, 8000.0);
    let quieter = Tone::new(900.0, 3000.0);
    let mut s = Scenario::new(SelectionPolicy::loudest(1));
    s.add(1, Codec::Opus, Some(loud), Receive::Mix);
    s.add(2, Codec::Pcmu, Some(quieter), Receive::Mix);
    s.add(3, Codec::Pcmu, None, Receive::Mix);
    s.run(50);
    let conference = medianode_dataplane::conference::ConferenceId(1);
    assert_eq!(s.harness.core.talkers(conference), Ok(vec![LegId(1)]));
    let before = s.members[&2].ssrcs.len();
    assert!(before >= 40, "leg 2 heard the shared mix: {before}");

    // Talker 1 goes quiet: after the hold, talker 2 is selected and hears its mix-minus.
    if let Some(member) = s.members.get_mut(&1) {
        member.talker = None;
    }
    s.run(150);
    assert_eq!(s.harness.core.talkers(conference), Ok(vec![LegId(2)]));
    let member = &s.members[&2];
    assert!(member.ssrcs.len() >= before + 140, "{}", member.ssrcs.len());
    let ssrcs: BTreeSet<u32> = member.ssrcs.iter().copied().collect();
    assert_eq!(ssrcs.len(), 1, "one stream throughout: {ssrcs:x?}");
    let headers = member.mix_headers.values().next().expect("mix packets");
    for pair in headers.windows(2) {
        assert_eq!(pair[1].0, pair[0].0.wrapping_add(1), "sequence runs on");
        assert_eq!(pair[1].1, pair[0].1.wrapping_add(160), "timestamp runs on");
    }
}
