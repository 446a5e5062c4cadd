//! Why the mixer refused a leg or a command.

use core::fmt;
use std::time::Duration;

use crate::conference::{Codec, LegId};

/// A mixer command that was refused; the mixer's state is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MixerError {
    /// No leg with this id is in the mix.
    UnknownLeg(LegId),
    /// A leg with this id is already in the mix.
    DuplicateLeg(LegId),
    /// The mixer decodes and encodes Opus, PCMU and PCMA only; carries the codec asked for.
    UnsupportedCodec(Codec),
    /// A payload type above 127 or in 64..=95 (RFC 5761 sec. 4); carries the value.
    InvalidPayloadType(u8),
    /// The audio and the telephone-event payload types are the same; carries the value.
    PayloadTypeClash(u8),
    /// A packet time the codec cannot carry: G.711 takes 10 to 60 ms in steps of 10 ms,
    /// Opus 10, 20, 40 or 60 ms.
    InvalidPtime(Duration),
    /// A header extension id of 0 (RFC 8285 reserves it for padding).
    InvalidExtensionId(u8),
    /// Jitter buffer bounds that are zero, inverted, or beyond what the buffer holds.
    InvalidJitterBounds,
    /// An Opus bitrate outside 6 to 510 kbit/s, or a complexity above 10.
    InvalidOpusSettings,
    /// libopus refused to create a coder; carries its message.
    Opus(&'static str),
    /// The resampler could not be built for this rate pair; carries the rates.
    Resampler {
        /// The input rate in Hz.
        from: u32,
        /// The output rate in Hz.
        to: u32,
    },
}

impl fmt::Display for MixerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownLeg(leg) => write!(f, "{leg} is not in the mix"),
            Self::DuplicateLeg(leg) => write!(f, "{leg} is already in the mix"),
            Self::UnsupportedCodec(codec) => write!(f, "the mixer cannot code {codec:?}"),
            Self::InvalidPayloadType(pt) => write!(f, "invalid payload type {pt}"),
            Self::PayloadTypeClash(pt) => {
                write!(f, "payload type {pt} is both audio and telephone-event")
            }
            Self::InvalidPtime(ptime) => write!(f, "packet time {ptime:?} not supported"),
            Self::InvalidExtensionId(id) => write!(f, "header extension id {id} is reserved"),
            Self::InvalidJitterBounds => f.write_str("jitter buffer delay bounds out of range"),
            Self::InvalidOpusSettings => f.write_str("Opus bitrate or complexity out of range"),
            Self::Opus(message) => write!(f, "libopus: {message}"),
            Self::Resampler { from, to } => write!(f, "no resampler from {from} Hz to {to} Hz"),
        }
    }
}

impl std::error::Error for MixerError {}
