//! An output stream's encoder: 48 kHz mix PCM in, one tick at a time; whole packets of
//! the stream's codec and packet time out, into storage owned by the encoder. A packet time
//! other than 20 ms is served from a small PCM queue (10 ms: two packets a tick; 40 ms:
//! one every other tick).
//!
//! A talker alone in the mix hears nothing: its mix-minus is digital silence, which libopus
//! encodes at full cost. Such a tick skips the encoder ([`OutputEncoder::silent_tick`]):
//! its packets are a silent payload encoded once when the output was made, and the codec
//! state that missed them restarts before it is used again.

use medianode_simd::{alaw_encode, ulaw_encode};
use opusic_c::{Application, Bitrate, Channels, Encoder, InbandFec, SampleRate};

use super::config::{OpusEncoding, MIX_RATE, TICK_SAMPLES};
use super::decoder::Law;
use super::resampler::{tick_samples, RateConverter};
use super::MixerError;
use crate::conference::Codec;

/// Packets one tick can complete: two, at a 10 ms packet time.
pub const MAX_PACKETS_PER_TICK: usize = 2;
/// The largest payload an output packet holds.
pub const MAX_OUTPUT_PAYLOAD: usize = 1500;
/// The longest packet time an output takes, in milliseconds.
const MAX_PTIME_MS: usize = 60;

enum Kind {
    Opus {
        encoder: Encoder,
        /// libopus reads 16-bit samples through `u16`.
        scratch: Vec<u16>,
    },
    G711 {
        law: Law,
        downsampler: Box<RateConverter>,
        narrow: Vec<i16>,
    },
}

/// The encoder of one output stream.
pub(crate) struct OutputEncoder {
    kind: Kind,
    codec: Codec,
    /// Samples per packet at the codec's rate.
    packet_samples: usize,
    /// PCM at the codec's rate not yet encoded.
    queue: Vec<i16>,
    queued: usize,
    payloads: Vec<u8>,
    lengths: [usize; MAX_PACKETS_PER_TICK],
    count: usize,
    /// The stream skipped a tick: its history no longer continues.
    stale: bool,
    /// One packet of silence in this codec and packet time, encoded once.
    silence: Vec<u8>,
    /// Samples at the head of `queue` up to the last one of real (encoded) mix audio; the
    /// rest came from silent ticks. A packet with none of it is sent as `silence`.
    real_until: usize,
    /// The codec state missed audio that went out as `silence` (Opus: packets; G.711's
    /// downsampler: ticks): restart it before it is used again.
    codec_stale: bool,
}

impl core::fmt::Debug for OutputEncoder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OutputEncoder")
            .field("codec", &self.codec)
            .field("packet_samples", &self.packet_samples)
            .field("queued", &self.queued)
            .field("count", &self.count)
            .finish()
    }
}

impl OutputEncoder {
    /// An encoder of `codec` packets of `ptime_ms` (a validated leg configuration).
    pub(crate) fn new(
        codec: Codec,
        ptime_ms: u32,
        opus: &OpusEncoding,
    ) -> Result<Self, MixerError> {
        let kind = match codec {
            Codec::Opus => Kind::Opus {
                encoder: opus_encoder(opus)?,
                scratch: vec![0; 48 * MAX_PTIME_MS],
            },
            Codec::Pcmu | Codec::Pcma => Kind::G711 {
                law: if codec == Codec::Pcmu {
                    Law::Mu
                } else {
                    Law::A
                },
                downsampler: Box::new(RateConverter::new(MIX_RATE, codec.clock_rate())?),
                narrow: vec![0; tick_samples(codec.clock_rate())],
            },
            other => return Err(MixerError::UnsupportedCodec(other)),
        };
        let rate_khz = codec.clock_rate() as usize / 1000;
        let mut encoder = OutputEncoder {
            kind,
            codec,
            packet_samples: rate_khz * ptime_ms as usize,
            queue: vec![0; rate_khz * MAX_PTIME_MS + tick_samples(codec.clock_rate())],
            queued: 0,
            payloads: vec![0; MAX_PACKETS_PER_TICK * MAX_OUTPUT_PAYLOAD],
            lengths: [0; MAX_PACKETS_PER_TICK],
            count: 0,
            stale: false,
            silence: Vec::new(),
            real_until: 0,
            codec_stale: false,
        };
        encoder.silence = encoder.encode_silence()?;
        Ok(encoder)
    }

    /// One packet of digital silence as this encoder sends it once settled (a fresh Opus
    /// encoder's first packets differ), leaving the encoder as new.
    fn encode_silence(&mut self) -> Result<Vec<u8>, MixerError> {
        /// Packets before an Opus encoder's output for silence stops changing.
        const SETTLE: usize = 5;
        let zeros = vec![0i16; self.packet_samples];
        let mut out = vec![0u8; MAX_OUTPUT_PAYLOAD];
        let len = match &mut self.kind {
            Kind::Opus { encoder, scratch } => {
                let input = scratch
                    .get_mut(..zeros.len())
                    .ok_or(MixerError::Opus("packet time beyond the encoder's scratch"))?;
                input.fill(0);
                let mut len = 0;
                for _ in 0..SETTLE {
                    len = encoder
                        .encode_to_slice(input, &mut out)
                        .map_err(|e| MixerError::Opus(e.message()))?;
                }
                encoder.reset().map_err(|e| MixerError::Opus(e.message()))?;
                len
            }
            Kind::G711 { law, .. } => {
                let codes = &mut out[..zeros.len()];
                match law {
                    Law::Mu => ulaw_encode(codes, &zeros),
                    Law::A => alaw_encode(codes, &zeros),
                }
                zeros.len()
            }
        };
        out.truncate(len);
        Ok(out)
    }

    pub(crate) fn codec(&self) -> Codec {
        self.codec
    }

    /// RTP timestamp units per packet.
    pub(crate) fn packet_samples(&self) -> u32 {
        u32::try_from(self.packet_samples).unwrap_or(u32::MAX)
    }

    /// Forgets last tick's packets.
    pub(crate) fn begin_tick(&mut self) {
        self.count = 0;
    }

    /// The stream had no listener this tick: its next tick starts afresh.
    pub(crate) fn skip_tick(&mut self) {
        self.stale = true;
    }

    /// Encodes one tick of 48 kHz PCM; returns whether every encoder call succeeded.
    pub(crate) fn encode_tick(&mut self, pcm: &[i16]) -> bool {
        if self.stale {
            self.restart();
        }
        let pcm = &pcm[..pcm.len().min(TICK_SAMPLES)];
        let incoming = match &mut self.kind {
            Kind::Opus { .. } => pcm,
            Kind::G711 {
                downsampler,
                narrow,
                ..
            } => {
                if self.codec_stale {
                    downsampler.reset();
                    self.codec_stale = false;
                }
                downsampler.process(pcm, narrow);
                &narrow[..]
            }
        };
        let Some(space) = self
            .queue
            .get_mut(self.queued..self.queued + incoming.len())
        else {
            // Cannot happen with validated packet times; start over rather than overrun.
            self.queued = 0;
            self.real_until = 0;
            return false;
        };
        space.copy_from_slice(incoming);
        self.queued += incoming.len();
        self.real_until = self.queued;
        self.emit_packets()
    }

    /// A tick of digital silence, without running the codec: the packets it completes are
    /// the pre-encoded silent payload, unless they also hold real audio queued before.
    /// Returns whether every encoder call succeeded.
    pub(crate) fn silent_tick(&mut self) -> bool {
        if self.stale {
            self.restart();
        }
        let samples = tick_samples(self.codec.clock_rate());
        let Some(space) = self.queue.get_mut(self.queued..self.queued + samples) else {
            self.queued = 0;
            self.real_until = 0;
            return false;
        };
        space.fill(0);
        self.queued += samples;
        if matches!(self.kind, Kind::G711 { .. }) {
            // The downsampler did not see this tick.
            self.codec_stale = true;
        }
        self.emit_packets()
    }

    /// Turns the queued PCM into this tick's packets.
    fn emit_packets(&mut self) -> bool {
        let mut ok = true;
        while self.queued >= self.packet_samples && self.count < MAX_PACKETS_PER_TICK {
            let start = self.count * MAX_OUTPUT_PAYLOAD;
            let packet_pcm = &self.queue[..self.packet_samples];
            let out = &mut self.payloads[start..start + MAX_OUTPUT_PAYLOAD];
            let written = match &mut self.kind {
                _ if self.real_until == 0 => {
                    out[..self.silence.len()].copy_from_slice(&self.silence);
                    Some(self.silence.len())
                }
                Kind::Opus { encoder, scratch } => {
                    if self.codec_stale {
                        // A reset only fails on an invalid encoder, which `new` rules out.
                        let _ = encoder.reset();
                        self.codec_stale = false;
                    }
                    let input = &mut scratch[..packet_pcm.len()];
                    for (u, &s) in input.iter_mut().zip(packet_pcm) {
                        *u = s as u16;
                    }
                    encoder.encode_to_slice(input, out).ok()
                }
                Kind::G711 { law, .. } => {
                    let codes = &mut out[..packet_pcm.len()];
                    match law {
                        Law::Mu => ulaw_encode(codes, packet_pcm),
                        Law::A => alaw_encode(codes, packet_pcm),
                    }
                    Some(packet_pcm.len())
                }
            };
            self.queue.copy_within(self.packet_samples..self.queued, 0);
            self.queued -= self.packet_samples;
            if self.real_until == 0 && matches!(self.kind, Kind::Opus { .. }) {
                // The encoder did not see this packet.
                self.codec_stale = true;
            }
            self.real_until = self.real_until.saturating_sub(self.packet_samples);
            match written {
                Some(len) => {
                    self.lengths[self.count] = len;
                    self.count += 1;
                }
                None => ok = false,
            }
        }
        ok
    }

    /// The packets completed this tick.
    pub(crate) fn packets(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.lengths[..self.count]
            .iter()
            .enumerate()
            .map(|(i, &len)| &self.payloads[i * MAX_OUTPUT_PAYLOAD..i * MAX_OUTPUT_PAYLOAD + len])
    }

    fn restart(&mut self) {
        self.stale = false;
        self.codec_stale = false;
        self.queued = 0;
        self.real_until = 0;
        match &mut self.kind {
            Kind::Opus { encoder, .. } => {
                // A reset only fails on an invalid encoder, which `new` rules out.
                let _ = encoder.reset();
            }
            Kind::G711 { downsampler, .. } => downsampler.reset(),
        }
    }
}

fn opus_encoder(settings: &OpusEncoding) -> Result<Encoder, MixerError> {
    let refused = |e: opusic_c::ErrorCode| MixerError::Opus(e.message());
    let mut encoder =
        Encoder::new(Channels::Mono, SampleRate::Hz48000, Application::Voip).map_err(refused)?;
    encoder
        .set_bitrate(Bitrate::Value(settings.bitrate))
        .map_err(refused)?;
    encoder
        .set_complexity(settings.complexity)
        .map_err(refused)?;
    let fec = if settings.inband_fec {
        InbandFec::Mode1
    } else {
        InbandFec::Off
    };
    encoder.set_inband_fec(fec).map_err(refused)?;
    encoder
        .set_packet_loss(settings.expected_loss_percent)
        .map_err(refused)?;
    Ok(encoder)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packets(encoder: &OutputEncoder) -> Vec<Vec<u8>> {
        encoder.packets().map(<[u8]>::to_vec).collect()
    }

    fn tone() -> Vec<i16> {
        (0..TICK_SAMPLES)
            .map(|n| (8000.0 * (n as f32 * 0.05).sin()) as i16)
            .collect()
    }

    #[test]
    fn a_packet_of_silent_ticks_is_the_silence_payload_one_with_real_audio_is_encoded() {
        // PCMU, 40 ms: a packet every other tick.
        let mut encoder = OutputEncoder::new(Codec::Pcmu, 40, &OpusEncoding::default()).unwrap();
        let mut silence = vec![0u8; 320];
        ulaw_encode(&mut silence, &[0i16; 320]);
        assert_eq!(encoder.silence, silence);
        let mut tick = |real: bool| {
            encoder.begin_tick();
            assert!(if real {
                encoder.encode_tick(&tone())
            } else {
                encoder.silent_tick()
            });
            packets(&encoder)
        };
        assert!(tick(true).is_empty());
        let mixed = tick(false);
        assert_eq!(mixed.len(), 1);
        assert_ne!(mixed[0], silence, "half of it is the tone");
        assert!(tick(false).is_empty());
        assert_eq!(tick(false), vec![silence.clone()]);
        assert!(tick(false).is_empty());
        let resumed = tick(true);
        assert_eq!(resumed.len(), 1);
        assert_ne!(resumed[0], silence);
    }

    #[test]
    fn opus_silence_is_one_settled_payload_and_the_encoder_restarts_after_it() {
        let mut encoder = OutputEncoder::new(Codec::Opus, 20, &OpusEncoding::default()).unwrap();
        let silence = encoder.silence.clone();
        assert!(!silence.is_empty());
        encoder.begin_tick();
        assert!(encoder.silent_tick());
        assert_eq!(packets(&encoder), vec![silence.clone()]);
        assert!(encoder.codec_stale);
        encoder.begin_tick();
        assert!(encoder.encode_tick(&tone()));
        assert!(!encoder.codec_stale);
        let speech = packets(&encoder);
        assert_eq!(speech.len(), 1);
        assert!(speech[0].len() > silence.len());
    }
}
