//! Mixing: our loudest-N mixer against the strategy of Janus AudioBridge and FreeSWITCH
//! (decode every participant, encode a mix-minus for every participant), both on the same
//! libopus with the same encoder settings, in the same run.
//!
//! A conference of N Opus legs (48 kHz, 20 ms, the RFC 6464 level in every packet) where
//! everyone sends speech-like audio all the time: three loud talkers and N - 3 quieter
//! ones. One tick serves 20 ms of every leg:
//!
//! - ours: N packets pushed through `ConferenceMixer::push_packet` (RTP parse, level,
//!   jitter buffer), then `ConferenceMixer::tick`: the selected talkers that speak are
//!   decoded, each gets a mix-minus encode (pre-encoded silence when it speaks alone), and
//!   one shared encode serves everyone else;
//! - the peer: N decodes, one 32-bit sum, N mix-minus narrows and N encodes. It takes the
//!   payloads directly, with no RTP parsing or jitter buffer, which only favours it.
//!
//! Payloads are encoded before timing. Criterion records each case; then the bench times
//! both sides again itself, alternating chunks of 40 ms so that machine drift hits both
//! alike, in thread CPU time (which leaves out time the scheduler gave to other jobs) and
//! in wall time, and prints the median time per tick, participants served per core in
//! real time (N x 20 ms / tick time) and the ratio, then the targets of
//! benches/RESULTS-mixing.md.
//! It does so for the mixer's default encoder settings and again for the cheapest and the
//! most expensive libopus encoder, with the cost of one decode and one encode, since the
//! ratio is set by how encoding compares with decoding.
//!
//! Two ways of talking ([`Talk`]): everyone at once (the three loud talkers never pause,
//! the worst case for a loudest-N mixer), and a conversation (the three take turns of
//! 2 s with syllables, everyone else, and the talkers off their turn, send room noise at
//! about -65 dBov). The peer's work is the same in both; ours follows who speaks.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use medianode_dataplane::conference::{Codec, LegId, SelectionPolicy};
use medianode_dataplane::mixer::{
    ConferenceMixer, MixLegConfig, MixerConfig, OpusEncoding, PushOutcome, TICK, TICK_SAMPLES,
};
use medianode_simd::{accumulate, audio_level_dbov, mix_minus};
use opusic_c::{Application, Bitrate, Channels, Decoder, Encoder, InbandFec, SampleRate};

const SIZES: [usize; 2] = [10, 100];
const LOUD_TALKERS: usize = 3;
const PT_OPUS: u8 = 111;
const LEVEL_ID: u8 = 1;
/// Distinct payloads per leg when everyone talks at once, replayed in a loop (1 s).
const RING: usize = 50;
/// A conversation's turn, in ticks (2 s).
const TURN: usize = 100;

/// Who talks when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Talk {
    /// The three loud talkers never pause; the others talk 12 dB quieter.
    AllAtOnce,
    /// The three take turns; everyone else sends room noise.
    Conversation,
}

impl Talk {
    /// Ticks of audio per leg before it repeats.
    fn ring(self) -> usize {
        match self {
            Talk::AllAtOnce => RING,
            Talk::Conversation => LOUD_TALKERS * TURN,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Talk::AllAtOnce => "everyone talking at once",
            Talk::Conversation => "a conversation (turns of 2 s, room noise otherwise)",
        }
    }
}
const MAX_PAYLOAD: usize = 1500;

/// Encoder settings of both sides: the mixer's defaults (32 kbit/s, complexity 5, FEC),
/// then the cheapest and the most expensive libopus encoder at the same bitrate.
fn opus_settings() -> [OpusEncoding; 3] {
    let mut cheapest = OpusEncoding::new(32_000, 0);
    cheapest.inband_fec = false;
    cheapest.expected_loss_percent = 0;
    [
        OpusEncoding::default(),
        cheapest,
        OpusEncoding::new(32_000, 10),
    ]
}

fn encoder(settings: &OpusEncoding) -> Encoder {
    let mut encoder =
        Encoder::new(Channels::Mono, SampleRate::Hz48000, Application::Voip).expect("encoder");
    encoder
        .set_bitrate(Bitrate::Value(settings.bitrate))
        .expect("bitrate");
    encoder
        .set_complexity(settings.complexity)
        .expect("complexity");
    let fec = if settings.inband_fec {
        InbandFec::Mode1
    } else {
        InbandFec::Off
    };
    encoder.set_inband_fec(fec).expect("fec");
    encoder
        .set_packet_loss(settings.expected_loss_percent)
        .expect("loss");
    encoder
}

/// A second of speech-like audio for leg `leg`: a buzz of harmonics with a gliding pitch
/// in syllables, loud for the first three legs, 12 dB quieter for the rest.
fn voice(leg: usize) -> Vec<i16> {
    talking(leg, Talk::AllAtOnce)
}

/// Leg `leg`'s audio for [`Talk::ring`] ticks.
fn talking(leg: usize, talk: Talk) -> Vec<i16> {
    let pitch = 110.0 + 9.0 * leg as f64;
    let amplitude = if leg < LOUD_TALKERS { 6000.0 } else { 1500.0 };
    let mut noise_state = 0x9e37_79b9_u32.wrapping_mul(leg as u32 + 1);
    (0..talk.ring() * TICK_SAMPLES)
        .map(|n| {
            let t = n as f64 / 48_000.0;
            let on_turn = leg < LOUD_TALKERS && (n / TICK_SAMPLES) / TURN == leg;
            if talk == Talk::Conversation && !on_turn {
                // Room noise: a white xorshift sequence at about -65 dBov.
                noise_state ^= noise_state << 13;
                noise_state ^= noise_state >> 17;
                noise_state ^= noise_state << 5;
                return ((noise_state >> 16) as i16) / 1024;
            }
            let syllable = (2.0 * std::f64::consts::PI * (2.5 + 0.1 * leg as f64) * t).sin();
            let swell = 0.3 + 0.7 * syllable * syllable;
            let phase = pitch * t + 0.3 * (2.0 * std::f64::consts::PI * 1.1 * t).sin();
            let buzz: f64 = (1..=10)
                .map(|h| (2.0 * std::f64::consts::PI * phase * h as f64).sin() / h as f64)
                .sum();
            (amplitude * 0.5 * swell * buzz).round() as i16
        })
        .collect()
}

/// One leg's pre-encoded second: Opus payloads and their RFC 6464 levels.
struct LegAudio {
    payloads: Vec<Vec<u8>>,
    levels: Vec<u8>,
}

fn leg_audio(leg: usize, settings: &OpusEncoding, talk: Talk) -> LegAudio {
    let pcm = talking(leg, talk);
    let mut encoder = encoder(settings);
    let mut payloads = Vec::with_capacity(talk.ring());
    let mut levels = Vec::with_capacity(talk.ring());
    for frame in pcm.chunks_exact(TICK_SAMPLES) {
        let input: Vec<u16> = frame.iter().map(|&s| s as u16).collect();
        let mut out = [0u8; MAX_PAYLOAD];
        let len = encoder.encode_to_slice(&input, &mut out).expect("encode");
        payloads.push(out[..len].to_vec());
        levels.push(audio_level_dbov(frame));
    }
    LegAudio { payloads, levels }
}

/// Our mixer with its conference, fed one packet per leg per tick.
struct Ours {
    mixer: ConferenceMixer,
    audio: Vec<LegAudio>,
    packet: Vec<u8>,
    now: Instant,
    tick: usize,
}

impl Ours {
    fn new(legs: usize, settings: &OpusEncoding, talk: Talk) -> Ours {
        let now = Instant::now();
        let config = MixerConfig::new(SelectionPolicy::loudest(LOUD_TALKERS)).with_opus(*settings);
        let mut mixer = ConferenceMixer::new(config, now).expect("mixer");
        for leg in 0..legs {
            let config = MixLegConfig::new(Codec::Opus, PT_OPUS).with_audio_level(LEVEL_ID);
            mixer.add_leg(LegId(leg as u32), config).expect("leg");
        }
        let audio = (0..legs)
            .map(|leg| leg_audio(leg, settings, talk))
            .collect();
        let mut ours = Ours {
            mixer,
            audio,
            packet: Vec::with_capacity(20 + MAX_PAYLOAD),
            now,
            tick: 0,
        };
        // Fill the jitter buffers, settle the selection, reach steady state.
        for _ in 0..100 {
            ours.run_tick();
        }
        let before = ours.mixer.counters();
        for _ in 0..10 {
            ours.run_tick();
        }
        let after = ours.mixer.counters();
        let mix_minus = after.mix_minus_encodes - before.mix_minus_encodes;
        let silent = after.silent_mix_minus - before.silent_mix_minus;
        match talk {
            Talk::AllAtOnce => assert_eq!((mix_minus, silent), (30, 0)),
            // The speaker alone gets silence; with a previous speaker still in its
            // hangover, both get their mix-minus encoded.
            Talk::Conversation => {
                assert!(
                    (10..=20).contains(&(mix_minus + silent)),
                    "{mix_minus} {silent}"
                )
            }
        }
        assert_eq!(after.shared_encodes - before.shared_encodes, 10);
        ours
    }

    /// One packet per leg, then one tick.
    fn run_tick(&mut self) -> usize {
        let seq = self.tick as u16;
        let ts = (self.tick * TICK_SAMPLES) as u32;
        let slot = self.tick % self.audio[0].payloads.len();
        self.now = self.mixer.next_tick() - TICK + Duration::from_millis(5);
        for (leg, audio) in self.audio.iter().enumerate() {
            self.packet.clear();
            self.packet.extend_from_slice(&[0x90, PT_OPUS]);
            self.packet.extend_from_slice(&seq.to_be_bytes());
            self.packet.extend_from_slice(&ts.to_be_bytes());
            self.packet
                .extend_from_slice(&(leg as u32 + 1).to_be_bytes());
            let level = audio.levels[slot];
            self.packet
                .extend_from_slice(&[0xBE, 0xDE, 0, 1, LEVEL_ID << 4, 0x80 | level, 0, 0]);
            self.packet.extend_from_slice(&audio.payloads[slot]);
            let outcome = self
                .mixer
                .push_packet(LegId(leg as u32), &self.packet, self.now);
            debug_assert_eq!(outcome, Ok(PushOutcome::Buffered));
        }
        self.tick += 1;
        let now = self.mixer.next_tick();
        let tick = self.mixer.tick(now).expect("due");
        let mut bytes = 0;
        for delivery in tick.deliveries() {
            if let Some(output) = tick.output(delivery.output) {
                bytes += output.packets().map(<[u8]>::len).sum::<usize>();
            }
        }
        bytes
    }
}

/// The peer strategy: decode everyone, encode a mix-minus for everyone.
struct DecodeAllEncodeEach {
    decoders: Vec<Decoder>,
    encoders: Vec<Encoder>,
    audio: Vec<LegAudio>,
    pcm: Vec<Vec<i16>>,
    scratch: Vec<u16>,
    total: Vec<i32>,
    out: Vec<i16>,
    out_u16: Vec<u16>,
    payload: Vec<u8>,
    tick: usize,
}

impl DecodeAllEncodeEach {
    fn new(legs: usize, settings: &OpusEncoding, talk: Talk) -> DecodeAllEncodeEach {
        let mut peer = DecodeAllEncodeEach {
            decoders: (0..legs)
                .map(|_| Decoder::new(Channels::Mono, SampleRate::Hz48000).expect("decoder"))
                .collect(),
            encoders: (0..legs).map(|_| encoder(settings)).collect(),
            audio: (0..legs)
                .map(|leg| leg_audio(leg, settings, talk))
                .collect(),
            pcm: vec![vec![0; TICK_SAMPLES]; legs],
            scratch: vec![0; 5760],
            total: vec![0; TICK_SAMPLES],
            out: vec![0; TICK_SAMPLES],
            out_u16: vec![0; TICK_SAMPLES],
            payload: vec![0; MAX_PAYLOAD],
            tick: 0,
        };
        for _ in 0..100 {
            peer.run_tick();
        }
        peer
    }

    fn run_tick(&mut self) -> usize {
        let slot = self.tick % self.audio[0].payloads.len();
        self.tick += 1;
        self.total.fill(0);
        for ((decoder, audio), pcm) in self.decoders.iter_mut().zip(&self.audio).zip(&mut self.pcm)
        {
            let n = decoder
                .decode_to_slice(&audio.payloads[slot], &mut self.scratch, false)
                .expect("decode");
            for (p, &s) in pcm.iter_mut().zip(&self.scratch[..n]) {
                *p = s as i16;
            }
            accumulate(&mut self.total, pcm);
        }
        let mut bytes = 0;
        for (encoder, pcm) in self.encoders.iter_mut().zip(&self.pcm) {
            mix_minus(&mut self.out, &self.total, pcm);
            for (u, &s) in self.out_u16.iter_mut().zip(&self.out) {
                *u = s as u16;
            }
            bytes += encoder
                .encode_to_slice(&self.out_u16, &mut self.payload)
                .expect("encode");
        }
        bytes
    }
}

fn criterion_benches(c: &mut Criterion, settings: &OpusEncoding) {
    let mut group = c.benchmark_group("mixing_tick");
    for legs in SIZES {
        let mut ours = Ours::new(legs, settings, Talk::AllAtOnce);
        group.bench_with_input(BenchmarkId::new("loudest3", legs), &legs, |b, _| {
            b.iter(|| black_box(ours.run_tick()))
        });
        let mut peer = DecodeAllEncodeEach::new(legs, settings, Talk::AllAtOnce);
        group.bench_with_input(
            BenchmarkId::new("decode_all_encode_each", legs),
            &legs,
            |b, _| b.iter(|| black_box(peer.run_tick())),
        );
    }
    group.finish();
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Nanoseconds this thread has run on a CPU (`/proc/thread-self/schedstat`, Linux). On
/// these shared 2-core machines other jobs take the CPU away at random; CPU time leaves
/// out the time the thread waited, so it compares the two sides more steadily than wall
/// time.
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// Microseconds per call of `run`, wall and CPU, over a chunk of at least 40 ms.
fn timed_chunk(run: &mut dyn FnMut() -> usize) -> (f64, Option<f64>) {
    const CHUNK: Duration = Duration::from_millis(40);
    let cpu_start = thread_cpu_ns();
    let start = Instant::now();
    let mut calls = 0u32;
    while calls == 0 || start.elapsed() < CHUNK {
        black_box(run());
        calls += 1;
    }
    let wall = start.elapsed().as_secs_f64() * 1e6 / f64::from(calls);
    let cpu = match (cpu_start, thread_cpu_ns()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a) as f64 / 1e3 / f64::from(calls)),
        _ => None,
    };
    (wall, cpu)
}

/// Median microseconds per call of two workloads timed in alternating chunks, wall and
/// (where the kernel tells) CPU time.
#[derive(Debug, Clone, Copy)]
struct Pair {
    a_wall: f64,
    b_wall: f64,
    a_cpu: Option<f64>,
    b_cpu: Option<f64>,
}

impl Pair {
    fn measure(a: &mut dyn FnMut() -> usize, b: &mut dyn FnMut() -> usize) -> Pair {
        const WARM_UP_CHUNKS: usize = 2;
        const CHUNKS: usize = 15;
        for _ in 0..WARM_UP_CHUNKS {
            timed_chunk(a);
            timed_chunk(b);
        }
        let (mut aw, mut bw, mut ac, mut bc) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..CHUNKS {
            let (wall, cpu) = timed_chunk(a);
            aw.push(wall);
            ac.extend(cpu);
            let (wall, cpu) = timed_chunk(b);
            bw.push(wall);
            bc.extend(cpu);
        }
        let cpu = |v: &mut Vec<f64>| (v.len() == CHUNKS).then(|| median(v));
        Pair {
            a_wall: median(&mut aw),
            b_wall: median(&mut bw),
            a_cpu: cpu(&mut ac),
            b_cpu: cpu(&mut bc),
        }
    }

    /// CPU time where known, else wall time.
    fn a(&self) -> f64 {
        self.a_cpu.unwrap_or(self.a_wall)
    }

    fn b(&self) -> f64 {
        self.b_cpu.unwrap_or(self.b_wall)
    }
}

/// One decode of a leg's packet against one encode of a 20 ms frame of the three loud
/// talkers' mix: what both sides decode and encode.
fn codec_costs(settings: &OpusEncoding) -> Pair {
    let audio = leg_audio(0, settings, Talk::AllAtOnce);
    let voices: Vec<Vec<i16>> = (0..LOUD_TALKERS).map(voice).collect();
    let mix: Vec<u16> = (0..RING * TICK_SAMPLES)
        .map(|n| voices.iter().fold(0i16, |sum, v| sum.saturating_add(v[n])) as u16)
        .collect();
    let mut decoder = Decoder::new(Channels::Mono, SampleRate::Hz48000).expect("decoder");
    let mut encoder = encoder(settings);
    let mut scratch = vec![0u16; 5760];
    let mut payload = vec![0u8; MAX_PAYLOAD];
    let (mut decoded, mut encoded) = (0usize, 0usize);
    let mut decode = || {
        decoded += 1;
        let packet = &audio.payloads[decoded % RING];
        decoder
            .decode_to_slice(packet, &mut scratch, false)
            .expect("decode")
    };
    let mut encode = || {
        encoded += 1;
        let at = (encoded % RING) * TICK_SAMPLES;
        let frame = &mix[at..at + TICK_SAMPLES];
        encoder
            .encode_to_slice(frame, &mut payload)
            .expect("encode")
    };
    Pair::measure(&mut decode, &mut encode)
}

/// Participants one core serves in real time at `us_per_tick` for a conference of `legs`.
fn per_core(legs: usize, us_per_tick: f64) -> f64 {
    legs as f64 * TICK.as_secs_f64() * 1e6 / us_per_tick
}

fn print_ratio_table(settings: &OpusEncoding, talk: Talk) {
    println!();
    println!(
        "libopus {}, Opus {} bit/s, complexity {}, FEC {}; {}",
        opusic_c::version(),
        settings.bitrate,
        settings.complexity,
        settings.inband_fec,
        talk.name()
    );
    let clock = if thread_cpu_ns().is_some() {
        "thread CPU time"
    } else {
        "wall time (no schedstat)"
    };
    let codec = codec_costs(settings);
    let (d, e) = (codec.a(), codec.b());
    println!("{clock}: one decode {d:.1} us, one encode {e:.1} us (20 ms frame)");
    println!(
        "{:>5} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7} {:>10} {:>7}",
        "legs",
        "ours_us",
        "peer_us",
        "ours/core",
        "peer/core",
        "ours_wall",
        "peer_wall",
        "ratio",
        "wall_ratio",
        "bound"
    );
    let mut rows = Vec::new();
    for legs in SIZES {
        let mut ours = Ours::new(legs, settings, talk);
        let mut peer = DecodeAllEncodeEach::new(legs, settings, talk);
        let pair = Pair::measure(&mut || ours.run_tick(), &mut || peer.run_tick());
        let (o, p) = (pair.a(), pair.b());
        // The ratio if both sides did nothing but their codec calls: N decodes and N
        // encodes against 3 decodes and 4 encodes (three mix-minus and one shared) when
        // everyone talks, 1 decode and 1 encode (the speaker's, into the shared mix; its
        // own mix-minus is silence) in turns.
        let (decodes, encodes) = match talk {
            Talk::AllAtOnce => (LOUD_TALKERS as f64, LOUD_TALKERS as f64 + 1.0),
            Talk::Conversation => (1.0, 1.0),
        };
        let bound = legs as f64 * (d + e) / (decodes * d + encodes * e);
        println!(
            "{:>5} {:>9.1} {:>9.1} {:>9.0} {:>9.0} {:>9.1} {:>9.1} {:>7.2} {:>10.2} {:>7.2}",
            legs,
            o,
            p,
            per_core(legs, o),
            per_core(legs, p),
            pair.a_wall,
            pair.b_wall,
            p / o,
            pair.b_wall / pair.a_wall,
            bound
        );
        rows.push((legs, o, p));
    }
    println!();
    println!("targets:");
    for (legs, ours, peer) in rows {
        let ratio = peer / ours;
        let min_ratio = if legs >= 100 { 30.0 } else { 3.0 };
        let met = |ok: bool| if ok { "met" } else { "NOT met" };
        println!(
            "{legs} legs: ratio {ratio:.2} (target >= {min_ratio}): {}",
            met(ratio >= min_ratio)
        );
        if legs == 10 {
            let served = per_core(legs, ours);
            println!(
                "10 legs: {served:.0} participants per core (target >= 1000): {}",
                met(served >= 1000.0)
            );
        }
    }
}

fn main() {
    let settings = opus_settings();
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(10)
        .configure_from_args();
    criterion_benches(&mut criterion, &settings[0]);
    criterion.final_summary();
    for settings in &settings {
        for talk in [Talk::AllAtOnce, Talk::Conversation] {
            print_ratio_table(settings, talk);
        }
    }
}
