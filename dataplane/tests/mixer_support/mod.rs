//! Shared pieces of the mixer tests: talkers that send a tone as real RTP (hand-built
//! headers, payloads from libopus or the G.711 kernels), listeners that decode what the
//! mixer sends each leg, a scripted clock, and tone measurement by FFT.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::f64::consts::PI;
use std::time::{Duration, Instant};

use medianode_dataplane::conference::{Codec, LegId, SelectionPolicy};
use medianode_dataplane::mixer::{
    ConferenceMixer, MixLegConfig, MixerConfig, OpusEncoding, OutputKind, PushOutcome,
};
use medianode_simd::{alaw_decode, alaw_encode, audio_level_dbov, ulaw_decode, ulaw_encode};
use opusic_c::{Application, Bitrate, Channels, Decoder, Encoder, InbandFec, SampleRate};
use realfft::RealFftPlanner;

pub const PT_OPUS: u8 = 111;
pub const PT_PCMU: u8 = 0;
pub const PT_PCMA: u8 = 8;
pub const PT_DTMF: u8 = 101;
/// The RFC 6464 extension id the legs that send levels negotiate.
pub const LEVEL_ID: u8 = 1;
pub const PACKET: Duration = Duration::from_millis(20);

/// An RTP packet: fixed header, an RFC 8285 one-byte extension with the audio level when
/// `level` is given, then `payload`.
pub fn rtp(pt: u8, seq: u16, ts: u32, ssrc: u32, level: Option<u8>, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(32 + payload.len());
    p.push(if level.is_some() { 0x90 } else { 0x80 });
    p.push(pt);
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    if let Some(level) = level {
        // Profile 0xBEDE, one word: id/len byte, the level (V bit set), two padding bytes.
        p.extend_from_slice(&[0xBE, 0xDE, 0x00, 0x01, LEVEL_ID << 4, 0x80 | level, 0, 0]);
    }
    p.extend_from_slice(payload);
    p
}

/// A sine: frequency and peak amplitude (full scale is 32767).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tone {
    pub hz: f64,
    pub amplitude: f64,
    /// Not a pure tone but a buzz like voiced speech: harmonics of a gliding `hz` falling off
    /// at 6 dB per octave, in syllables six times a second. Voice detectors take it for
    /// speech, so an Opus encoder adds FEC to it.
    pub voiced: bool,
}

impl Tone {
    pub fn new(hz: f64, amplitude: f64) -> Tone {
        Tone {
            hz,
            amplitude,
            voiced: false,
        }
    }

    pub fn voiced(hz: f64, amplitude: f64) -> Tone {
        Tone {
            voiced: true,
            ..Tone::new(hz, amplitude)
        }
    }

    fn voiced_samples(&self, rate: u32, start: usize, n: usize) -> Vec<i16> {
        (start..start + n)
            .map(|i| {
                let t = i as f64 / f64::from(rate);
                let syllable = (2.0 * PI * 3.0 * t).sin();
                let swell = 0.2 + 0.8 * syllable * syllable;
                // Pitch glides by a few percent, as intonation does.
                let phase =
                    self.hz * t - 0.02 * self.hz / (2.0 * PI * 1.3) * (2.0 * PI * 1.3 * t).cos();
                let buzz: f64 = (1..=12)
                    .map(|h| (2.0 * PI * phase * h as f64).sin() / h as f64)
                    .sum();
                (self.amplitude * 0.5 * swell * buzz)
                    .round()
                    .clamp(-32768.0, 32767.0) as i16
            })
            .collect()
    }

    /// Samples `start..start + n` of the tone at `rate`.
    pub fn samples(&self, rate: u32, start: usize, n: usize) -> Vec<i16> {
        if self.voiced {
            return self.voiced_samples(rate, start, n);
        }
        (start..start + n)
            .map(|i| {
                let t = i as f64 / f64::from(rate);
                (self.amplitude * (2.0 * PI * self.hz * t).sin())
                    .round()
                    .clamp(-32768.0, 32767.0) as i16
            })
            .collect()
    }
}

pub fn opus_encoder(bitrate: u32, fec: bool) -> Encoder {
    let mut encoder =
        Encoder::new(Channels::Mono, SampleRate::Hz48000, Application::Voip).expect("encoder");
    encoder
        .set_bitrate(Bitrate::Value(bitrate))
        .expect("bitrate");
    encoder.set_complexity(5).expect("complexity");
    if fec {
        encoder.set_inband_fec(InbandFec::Mode1).expect("fec");
        encoder.set_packet_loss(20).expect("loss");
    }
    encoder
}

/// An endpoint sending a tone, 20 ms per packet.
pub struct Talker {
    pub codec: Codec,
    pub tone: Tone,
    pub ssrc: u32,
    pub seq: u16,
    pub send_level: bool,
    encoder: Option<Encoder>,
    sample: usize,
}

impl Talker {
    pub fn new(codec: Codec, tone: Tone, ssrc: u32) -> Talker {
        let encoder = (codec == Codec::Opus).then(|| opus_encoder(64_000, false));
        Talker {
            codec,
            tone,
            ssrc,
            seq: 1000,
            send_level: true,
            encoder,
            sample: 0,
        }
    }

    /// An Opus talker whose encoder adds in-band FEC.
    pub fn opus_with_fec(tone: Tone, ssrc: u32) -> Talker {
        Talker {
            encoder: Some(opus_encoder(24_000, true)),
            ..Talker::new(Codec::Opus, tone, ssrc)
        }
    }

    /// Without the RFC 6464 extension.
    pub fn without_level(mut self) -> Talker {
        self.send_level = false;
        self
    }

    pub fn payload_type(&self) -> u8 {
        match self.codec {
            Codec::Opus => PT_OPUS,
            Codec::Pcma => PT_PCMA,
            _ => PT_PCMU,
        }
    }

    pub fn leg_config(&self) -> MixLegConfig {
        let config =
            MixLegConfig::new(self.codec, self.payload_type()).with_telephone_event(PT_DTMF);
        if self.send_level {
            config.with_audio_level(LEVEL_ID)
        } else {
            config
        }
    }

    /// The next 20 ms packet.
    pub fn next_packet(&mut self) -> Vec<u8> {
        let rate = self.codec.clock_rate();
        let n = rate as usize / 50;
        let pcm = self.tone.samples(rate, self.sample, n);
        let payload = match (&mut self.encoder, self.codec) {
            (Some(encoder), _) => {
                let input: Vec<u16> = pcm.iter().map(|&s| s as u16).collect();
                let mut out = [0u8; 1500];
                let len = encoder.encode_to_slice(&input, &mut out).expect("encode");
                out[..len].to_vec()
            }
            (None, Codec::Pcma) => {
                let mut out = vec![0u8; n];
                alaw_encode(&mut out, &pcm);
                out
            }
            (None, _) => {
                let mut out = vec![0u8; n];
                ulaw_encode(&mut out, &pcm);
                out
            }
        };
        let level = self.send_level.then(|| audio_level_dbov(&pcm));
        let ts = self.sample as u32;
        let packet = rtp(
            self.payload_type(),
            self.seq,
            ts,
            self.ssrc,
            level,
            &payload,
        );
        self.seq = self.seq.wrapping_add(1);
        self.sample += n;
        packet
    }
}

/// What a leg's endpoint hears: the mixer's packets for it, decoded in order.
pub struct Receiver {
    pub codec: Codec,
    decoder: Option<Decoder>,
    pub pcm: Vec<i16>,
    /// Which output each received packet came from.
    pub kinds: Vec<OutputKind>,
    /// The last payload received.
    pub last_payload: Vec<u8>,
}

impl Receiver {
    pub fn new(codec: Codec) -> Receiver {
        let decoder = (codec == Codec::Opus)
            .then(|| Decoder::new(Channels::Mono, SampleRate::Hz48000).expect("decoder"));
        Receiver {
            codec,
            decoder,
            pcm: Vec::new(),
            kinds: Vec::new(),
            last_payload: Vec::new(),
        }
    }

    pub fn rate(&self) -> u32 {
        self.codec.clock_rate()
    }

    pub fn receive(&mut self, payload: &[u8], kind: OutputKind) {
        self.kinds.push(kind);
        self.last_payload.clear();
        self.last_payload.extend_from_slice(payload);
        match (&mut self.decoder, self.codec) {
            (Some(decoder), _) => {
                let mut out = [0u16; 5760];
                let n = decoder
                    .decode_to_slice(payload, &mut out, false)
                    .expect("decode");
                self.pcm.extend(out[..n].iter().map(|&s| s as i16));
            }
            (None, Codec::Pcma) => {
                let mut out = vec![0i16; payload.len()];
                alaw_decode(&mut out, payload);
                self.pcm.extend_from_slice(&out);
            }
            (None, _) => {
                let mut out = vec![0i16; payload.len()];
                ulaw_decode(&mut out, payload);
                self.pcm.extend_from_slice(&out);
            }
        }
    }

    /// The last `duration` heard.
    pub fn last(&self, duration: Duration) -> &[i16] {
        let n = (duration.as_secs_f64() * f64::from(self.rate())).round() as usize;
        &self.pcm[self.pcm.len().saturating_sub(n)..]
    }
}

/// A conference driven by a scripted clock: every talker sends one packet 5 ms into each
/// 20 ms period, then the mixer ticks and every receiver decodes what it got.
pub struct Conference {
    pub mixer: ConferenceMixer,
    pub now: Instant,
    pub talkers: BTreeMap<LegId, Talker>,
    pub receivers: BTreeMap<LegId, Receiver>,
    pub pass_through: usize,
}

impl Conference {
    pub fn new(policy: SelectionPolicy) -> Conference {
        Conference::with_config(MixerConfig::new(policy).with_opus(OpusEncoding::new(64_000, 5)))
    }

    pub fn with_config(config: MixerConfig) -> Conference {
        let now = Instant::now();
        Conference {
            mixer: ConferenceMixer::new(config, now).expect("valid config"),
            now,
            talkers: BTreeMap::new(),
            receivers: BTreeMap::new(),
            pass_through: 0,
        }
    }

    pub fn add_talker(&mut self, leg: u32, talker: Talker) {
        let leg = LegId(leg);
        self.mixer
            .add_leg(leg, talker.leg_config())
            .expect("leg added");
        self.receivers.insert(leg, Receiver::new(talker.codec));
        self.talkers.insert(leg, talker);
    }

    /// A leg that only listens.
    pub fn add_listener(&mut self, leg: u32, codec: Codec) {
        let pt = if codec == Codec::Opus {
            PT_OPUS
        } else {
            PT_PCMU
        };
        let leg = LegId(leg);
        self.mixer
            .add_leg(leg, MixLegConfig::new(codec, pt))
            .expect("leg added");
        self.receivers.insert(leg, Receiver::new(codec));
    }

    /// Runs `periods` packet periods; `send(leg, period)` decides whether a talker's packet
    /// of that period is delivered.
    pub fn run_with(&mut self, periods: usize, mut send: impl FnMut(LegId, usize) -> bool) {
        for period in 0..periods {
            let arrival = self.mixer.next_tick() - PACKET + Duration::from_millis(5);
            self.now = arrival;
            for (&leg, talker) in &mut self.talkers {
                let packet = talker.next_packet();
                if !send(leg, period) {
                    continue;
                }
                match self.mixer.push_packet(leg, &packet, arrival) {
                    Ok(PushOutcome::Buffered) => {}
                    Ok(PushOutcome::PassThrough) => self.pass_through += 1,
                    other => panic!("{leg}: packet not buffered: {other:?}"),
                }
            }
            self.now = self.mixer.next_tick();
            let tick = self.mixer.tick(self.now).expect("tick due");
            for delivery in tick.deliveries() {
                let output = tick.output(delivery.output).expect("output exists");
                let receiver = self.receivers.get_mut(&delivery.leg).expect("receiver");
                for payload in output.packets() {
                    receiver.receive(payload, output.kind());
                }
            }
        }
    }

    pub fn run(&mut self, periods: usize) {
        self.run_with(periods, |_, _| true);
    }

    pub fn heard(&self, leg: u32, duration: Duration) -> &[i16] {
        self.receivers[&LegId(leg)].last(duration)
    }

    pub fn rate(&self, leg: u32) -> u32 {
        self.receivers[&LegId(leg)].rate()
    }
}

/// The peak amplitude of the `hz` component of `pcm` (sampled at `rate`), from a
/// Hann-windowed FFT. `hz` must fall on a bin: a whole number of cycles in `pcm`.
pub fn tone_amplitude(pcm: &[i16], rate: u32, hz: f64) -> f64 {
    let n = pcm.len();
    let bin = hz * n as f64 / f64::from(rate);
    assert!(
        (bin - bin.round()).abs() < 1e-9,
        "{hz} Hz is not on a bin of a {n}-point FFT at {rate} Hz"
    );
    let spectrum = spectrum(pcm);
    // A Hann window puts a bin-centred sine's energy in three bins (1/2, 1, 1/2 of the
    // centre's amplitude, the centre carrying A * N / 4); the root of their summed power,
    // scaled, reads the amplitude whatever the phase.
    let k = bin.round() as usize;
    let power: f64 = (k.saturating_sub(1)..=k + 1)
        .filter_map(|i| spectrum.get(i))
        .map(|m| m * m)
        .sum();
    // Centre A*N/4, sides A*N/8: power = (A*N/4)^2 * 1.5.
    (power / 1.5).sqrt() * 4.0 / n as f64
}

/// Magnitudes of the Hann-windowed real FFT of `pcm`.
pub fn spectrum(pcm: &[i16]) -> Vec<f64> {
    let n = pcm.len();
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(n);
    let mut input: Vec<f64> = pcm
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let w = 0.5 - 0.5 * (2.0 * PI * i as f64 / n as f64).cos();
            f64::from(s) * w
        })
        .collect();
    let mut output = fft.make_output_vec();
    fft.process(&mut input, &mut output).expect("fft");
    output.iter().map(|c| c.norm()).collect()
}

/// `a` relative to `b` in dB.
pub fn db(a: f64, b: f64) -> f64 {
    20.0 * (a / b).log10()
}

/// The RMS of a stretch of PCM.
pub fn rms(pcm: &[i16]) -> f64 {
    let sum: f64 = pcm.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    (sum / pcm.len().max(1) as f64).sqrt()
}

/// Asserts that `pcm` carries each of `present` within 1 dB of its amplitude, and none of
/// `absent` above -40 dB of full scale.
pub fn assert_tones(what: &str, pcm: &[i16], rate: u32, present: &[Tone], absent: &[Tone]) {
    for tone in present {
        let measured = tone_amplitude(pcm, rate, tone.hz);
        let error = db(measured, tone.amplitude);
        assert!(
            error.abs() <= 1.0,
            "{what}: {} Hz at {measured:.0}, expected {:.0} ({error:+.2} dB)",
            tone.hz,
            tone.amplitude
        );
    }
    for tone in absent {
        let measured = tone_amplitude(pcm, rate, tone.hz);
        let relative = db(measured.max(1e-3), 32767.0);
        assert!(
            relative < -40.0,
            "{what}: {} Hz should be absent but is at {measured:.0} ({relative:.1} dBFS)",
            tone.hz
        );
    }
}
