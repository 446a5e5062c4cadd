//! What the media core tells the mixer: per conference how to select, buffer and encode,
//! per leg what it sends and what it takes back.

use std::time::Duration;

use super::MixerError;
use crate::conference::{Codec, SelectionPolicy};

/// The rate the mixer mixes at, in Hz; every leg is resampled to it.
pub const MIX_RATE: u32 = 48_000;
/// The mixing clock's period: one tick mixes this much audio.
pub const TICK: Duration = Duration::from_millis(20);
/// Samples in one tick at [`MIX_RATE`].
pub const TICK_SAMPLES: usize = 960;
/// A talker's decoded audio at this level or quieter (RFC 6464 units, -dBov) is silence:
/// below a phone's background noise in a quiet room, above codec and dither floors.
pub const SILENCE_LEVEL: u8 = 60;
/// Ticks of silence (200 ms) after which a selected talker leaves the mix until it speaks
/// again; shorter gaps, as between words, keep it in.
pub const QUIET_HANGOVER_TICKS: u32 = 10;
/// The longest packet a leg may send or ask for, in milliseconds (Opus allows 120 ms).
pub const MAX_PACKET_MS: u32 = 120;

/// How a conference's mix is made.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct MixerConfig {
    /// Which talkers are mixed: loudest N with smoothing and hold.
    pub selection: SelectionPolicy,
    /// The per-leg jitter buffers' delay bounds.
    pub jitter: JitterConfig,
    /// How Opus outputs are encoded.
    pub opus: OpusEncoding,
}

impl MixerConfig {
    /// The default mix with `policy` as the talker selection.
    pub fn new(selection: SelectionPolicy) -> MixerConfig {
        MixerConfig {
            selection,
            jitter: JitterConfig::default(),
            opus: OpusEncoding::default(),
        }
    }

    /// This configuration with other jitter buffer bounds.
    pub fn with_jitter(mut self, jitter: JitterConfig) -> MixerConfig {
        self.jitter = jitter;
        self
    }

    /// This configuration with other Opus encoder settings.
    pub fn with_opus(mut self, opus: OpusEncoding) -> MixerConfig {
        self.opus = opus;
        self
    }

    pub(crate) fn validate(&self) -> Result<(), MixerError> {
        self.jitter.validate()?;
        self.opus.validate()
    }
}

impl Default for MixerConfig {
    fn default() -> Self {
        MixerConfig::new(SelectionPolicy::default())
    }
}

/// Bounds of a leg's jitter buffer. The delay it aims for follows the measured
/// interarrival jitter (RFC 3550 sec. 6.4.1): `multiplier` times the jitter, never below
/// `min_delay` nor above `max_delay`; the buffer never holds more than `max_delay`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct JitterConfig {
    /// The least delay the buffer keeps, even on a jitter-free path.
    pub min_delay: Duration,
    /// The most audio the buffer holds; beyond it the oldest packets are dropped.
    pub max_delay: Duration,
    /// Target delay in units of the measured jitter.
    pub multiplier: f32,
}

impl Default for JitterConfig {
    fn default() -> Self {
        JitterConfig {
            // Two packets of 20 ms: when one is lost the next is usually there already,
            // so Opus can recover it from the next packet's in-band FEC.
            min_delay: Duration::from_millis(40),
            max_delay: Duration::from_millis(200),
            multiplier: 4.0,
        }
    }
}

impl JitterConfig {
    /// The buffer holds at most this much audio whatever the bounds (its slot count times
    /// the shortest packet time).
    pub const CAPACITY: Duration = Duration::from_millis(300);

    /// Bounds `min_delay..=max_delay` with the default multiplier.
    pub fn new(min_delay: Duration, max_delay: Duration) -> JitterConfig {
        JitterConfig {
            min_delay,
            max_delay,
            ..JitterConfig::default()
        }
    }

    pub(crate) fn validate(&self) -> Result<(), MixerError> {
        let multiplier_ok = self.multiplier.is_finite() && self.multiplier >= 0.0;
        if self.min_delay.is_zero()
            || self.min_delay > self.max_delay
            || self.max_delay > Self::CAPACITY
            || !multiplier_ok
        {
            return Err(MixerError::InvalidJitterBounds);
        }
        Ok(())
    }
}

/// Encoder settings for Opus outputs (mono, 48 kHz, VoIP application).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct OpusEncoding {
    /// Target bitrate in bit/s.
    pub bitrate: u32,
    /// libopus complexity, 0 (cheapest) to 10.
    pub complexity: u8,
    /// Whether to add in-band FEC (LBRR) for the listener's decoder.
    pub inband_fec: bool,
    /// The packet loss (percent) the encoder plans FEC for.
    pub expected_loss_percent: u8,
}

impl Default for OpusEncoding {
    fn default() -> Self {
        OpusEncoding {
            bitrate: 32_000,
            complexity: 5,
            inband_fec: true,
            expected_loss_percent: 5,
        }
    }
}

impl OpusEncoding {
    /// Settings with this bitrate and complexity, FEC as by default.
    pub fn new(bitrate: u32, complexity: u8) -> OpusEncoding {
        OpusEncoding {
            bitrate,
            complexity,
            ..OpusEncoding::default()
        }
    }

    fn validate(&self) -> Result<(), MixerError> {
        if !(6_000..=510_000).contains(&self.bitrate)
            || self.complexity > 10
            || self.expected_loss_percent > 100
        {
            return Err(MixerError::InvalidOpusSettings);
        }
        Ok(())
    }
}

/// One leg of a mixed conference: the codec it sends and receives, its payload types,
/// the packet time of what it receives, and where its level is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MixLegConfig {
    /// The audio codec, both ways: Opus, PCMU or PCMA.
    pub codec: Codec,
    /// The payload type of its audio.
    pub payload_type: u8,
    /// The payload type of its RFC 4733 telephone-events, which bypass the mix.
    pub telephone_event_payload_type: Option<u8>,
    /// The packet time of the mix it receives.
    pub ptime: Duration,
    /// The id of the RFC 6464 audio-level header extension it sends, if negotiated.
    pub audio_level_id: Option<u8>,
    /// Whether the leg hears the mix. A leg that receives the selected streams instead
    /// only talks into the mix: no output is encoded for it.
    pub receives_mix: bool,
}

impl MixLegConfig {
    /// A leg sending and receiving `codec` under `payload_type`, 20 ms packets.
    pub fn new(codec: Codec, payload_type: u8) -> MixLegConfig {
        MixLegConfig {
            codec,
            payload_type,
            telephone_event_payload_type: None,
            ptime: Duration::from_millis(20),
            audio_level_id: None,
            receives_mix: true,
        }
    }

    /// This leg talking into the mix without hearing it.
    pub fn talk_only(mut self) -> MixLegConfig {
        self.receives_mix = false;
        self
    }

    /// This leg receiving packets of `ptime`.
    pub fn with_ptime(mut self, ptime: Duration) -> MixLegConfig {
        self.ptime = ptime;
        self
    }

    /// This leg with RFC 4733 telephone-events under `payload_type`.
    pub fn with_telephone_event(mut self, payload_type: u8) -> MixLegConfig {
        self.telephone_event_payload_type = Some(payload_type);
        self
    }

    /// This leg sending the RFC 6464 audio level under extension id `id`.
    pub fn with_audio_level(mut self, id: u8) -> MixLegConfig {
        self.audio_level_id = Some(id);
        self
    }

    /// The packet time in whole milliseconds (validated configurations only).
    pub(crate) fn ptime_ms(&self) -> u32 {
        u32::try_from(self.ptime.as_millis()).unwrap_or(u32::MAX)
    }

    pub(crate) fn validate(&self) -> Result<(), MixerError> {
        if !matches!(self.codec, Codec::Opus | Codec::Pcmu | Codec::Pcma) {
            return Err(MixerError::UnsupportedCodec(self.codec));
        }
        let valid_pt = |pt: u8| pt <= 127 && !(64..=95).contains(&pt);
        if !valid_pt(self.payload_type) {
            return Err(MixerError::InvalidPayloadType(self.payload_type));
        }
        if let Some(pt) = self.telephone_event_payload_type {
            if !valid_pt(pt) {
                return Err(MixerError::InvalidPayloadType(pt));
            }
            if pt == self.payload_type {
                return Err(MixerError::PayloadTypeClash(pt));
            }
        }
        if self.audio_level_id == Some(0) {
            return Err(MixerError::InvalidExtensionId(0));
        }
        let ms = self.ptime_ms();
        let whole_ms = self.ptime.subsec_nanos().is_multiple_of(1_000_000);
        let allowed = match self.codec {
            Codec::Opus => matches!(ms, 10 | 20 | 40 | 60),
            _ => ms.is_multiple_of(10) && (10..=60).contains(&ms),
        };
        if !whole_ms || !allowed {
            return Err(MixerError::InvalidPtime(self.ptime));
        }
        Ok(())
    }
}
