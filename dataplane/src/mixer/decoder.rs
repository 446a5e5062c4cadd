//! A leg's decoder: payloads to PCM at the codec's own rate, and concealment for what
//! never arrived. Opus goes through libopus, which brings packet loss concealment and
//! in-band FEC (LBRR) recovery; G.711 goes through the `simd` kernels and fades out.

use medianode_simd::{alaw_decode, ulaw_decode};
use opusic_c::{Channels, Decoder, SampleRate};

use super::config::MAX_PACKET_MS;
use super::g711_concealment::FadeOutConcealment;
use super::opus_packet;
use super::MixerError;
use crate::conference::Codec;

/// Most samples one Opus call produces: 120 ms at 48 kHz.
const OPUS_MAX_SAMPLES: usize = 48 * MAX_PACKET_MS as usize;
/// Opus frame sizes are whole multiples of 2.5 ms.
const OPUS_QUANTUM: usize = 120;

/// How concealed audio was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Concealed {
    /// Rebuilt from the next packet's in-band FEC.
    Fec,
    /// Extrapolated (Opus PLC) or faded (G.711).
    Extrapolated,
}

/// One leg's decoder.
pub(crate) enum LegDecoder {
    Opus {
        decoder: Decoder,
        /// libopus writes 16-bit samples through `u16`.
        scratch: Vec<u16>,
    },
    G711 {
        law: Law,
        concealment: FadeOutConcealment,
    },
}

/// The two G.711 companding laws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Law {
    Mu,
    A,
}

impl core::fmt::Debug for LegDecoder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Opus { .. } => "LegDecoder::Opus",
            Self::G711 { law: Law::Mu, .. } => "LegDecoder::Pcmu",
            Self::G711 { law: Law::A, .. } => "LegDecoder::Pcma",
        })
    }
}

impl LegDecoder {
    pub(crate) fn new(codec: Codec) -> Result<Self, MixerError> {
        match codec {
            Codec::Opus => Ok(Self::Opus {
                decoder: Decoder::new(Channels::Mono, SampleRate::Hz48000)
                    .map_err(|e| MixerError::Opus(e.message()))?,
                scratch: vec![0; OPUS_MAX_SAMPLES],
            }),
            Codec::Pcmu => Ok(Self::g711(Law::Mu)),
            Codec::Pcma => Ok(Self::g711(Law::A)),
            other => Err(MixerError::UnsupportedCodec(other)),
        }
    }

    fn g711(law: Law) -> Self {
        Self::G711 {
            law,
            concealment: FadeOutConcealment::new(),
        }
    }

    /// Decodes `payload` into the start of `out`; returns the samples written, or `None`
    /// if the payload does not decode or does not fit.
    pub(crate) fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Option<usize> {
        match self {
            Self::Opus { decoder, scratch } => {
                let room = out.len().min(scratch.len());
                let n = decoder
                    .decode_to_slice(payload, scratch.get_mut(..room)?, false)
                    .ok()?;
                copy_to_pcm(scratch.get(..n)?, out.get_mut(..n)?);
                Some(n)
            }
            Self::G711 { law, concealment } => {
                let pcm = out.get_mut(..payload.len())?;
                match law {
                    Law::Mu => ulaw_decode(pcm, payload),
                    Law::A => alaw_decode(pcm, payload),
                }
                concealment.heard(pcm);
                Some(payload.len())
            }
        }
    }

    /// Writes `samples` of concealment into the start of `out` (fewer if `out` is
    /// shorter), from `fec`'s in-band FEC when it is given and usable; returns the samples
    /// written and how they were made.
    pub(crate) fn conceal(
        &mut self,
        samples: usize,
        fec: Option<&[u8]>,
        out: &mut [i16],
    ) -> (usize, Concealed) {
        match self {
            Self::Opus { decoder, scratch } => {
                // libopus conceals whole 2.5 ms quanta.
                let wanted = samples
                    .div_ceil(OPUS_QUANTUM)
                    .saturating_mul(OPUS_QUANTUM)
                    .min(out.len() / OPUS_QUANTUM * OPUS_QUANTUM)
                    .min(scratch.len());
                let Some(target) = scratch.get_mut(..wanted) else {
                    return (0, Concealed::Extrapolated);
                };
                let recovered = fec
                    .filter(|next| opus_packet::has_lbrr(next) == Some(true))
                    .and_then(|next| decoder.decode_to_slice(next, target, true).ok())
                    .map(|n| (n, Concealed::Fec));
                let (n, how) = match recovered {
                    Some(done) => done,
                    None => match decoder.decode_to_slice(&[], target, false) {
                        Ok(n) => (n, Concealed::Extrapolated),
                        Err(_) => {
                            target.fill(0);
                            (wanted, Concealed::Extrapolated)
                        }
                    },
                };
                let n = n.min(wanted);
                if let (Some(from), Some(to)) = (scratch.get(..n), out.get_mut(..n)) {
                    copy_to_pcm(from, to);
                }
                (n, how)
            }
            Self::G711 { concealment, .. } => {
                let n = samples.min(out.len());
                if let Some(target) = out.get_mut(..n) {
                    concealment.conceal(target);
                }
                (n, Concealed::Extrapolated)
            }
        }
    }

    /// Forgets the stream's history, before decoding a stream that was skipped.
    pub(crate) fn reset(&mut self) {
        match self {
            Self::Opus { decoder, .. } => {
                // A reset only fails on an invalid decoder, which `new` rules out.
                let _ = decoder.reset();
            }
            Self::G711 { concealment, .. } => concealment.reset(),
        }
    }
}

/// libopus's `u16` view of 16-bit PCM back to `i16` (a bit-for-bit reinterpretation).
fn copy_to_pcm(from: &[u16], to: &mut [i16]) {
    for (t, &f) in to.iter_mut().zip(from) {
        *t = f as i16;
    }
}
