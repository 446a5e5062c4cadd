//! An output stream's encoder: 48 kHz mix PCM in, one tick at a time; whole packets of
//! the stream's codec and packet time out, into storage owned by the encoder. A packet time
//! other than 20 ms is served from a small PCM queue (10 ms: two packets a tick; 40 ms:
//! one every other tick).

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
        Ok(OutputEncoder {
            kind,
            codec,
            packet_samples: rate_khz * ptime_ms as usize,
            queue: vec![0; rate_khz * MAX_PTIME_MS + tick_samples(codec.clock_rate())],
            queued: 0,
            payloads: vec![0; MAX_PACKETS_PER_TICK * MAX_OUTPUT_PAYLOAD],
            lengths: [0; MAX_PACKETS_PER_TICK],
            count: 0,
            stale: false,
        })
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
            return false;
        };
        space.copy_from_slice(incoming);
        self.queued += incoming.len();
        let mut ok = true;
        while self.queued >= self.packet_samples && self.count < MAX_PACKETS_PER_TICK {
            let start = self.count * MAX_OUTPUT_PAYLOAD;
            let packet_pcm = &self.queue[..self.packet_samples];
            let out = &mut self.payloads[start..start + MAX_OUTPUT_PAYLOAD];
            let written = match &mut self.kind {
                Kind::Opus { encoder, scratch } => {
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
        self.queued = 0;
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
