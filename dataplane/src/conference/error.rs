//! Why a command to the conference core, or a leg's configuration, was refused.

use core::fmt;

use super::{ConferenceId, LegId, ParticipantId};
use crate::mixer::MixerError;

/// A command the core refused; the core's state is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConferenceError {
    /// No conference with this id lives on this core.
    UnknownConference(ConferenceId),
    /// A conference with this id already exists.
    DuplicateConference(ConferenceId),
    /// No leg with this id lives on this core.
    UnknownLeg(LegId),
    /// A leg with this id already exists.
    DuplicateLeg(LegId),
    /// Another leg already receives on this local port.
    DuplicateLocalPort(u16),
    /// Local port 0 cannot receive.
    InvalidLocalPort,
    /// The participant already has a leg in this conference (one leg each).
    ParticipantAlreadyInConference {
        /// The participant.
        participant: ParticipantId,
        /// The conference it already sits in.
        conference: ConferenceId,
    },
    /// The participant has no leg in this conference, so cannot focus on it.
    ParticipantNotInConference {
        /// The participant.
        participant: ParticipantId,
        /// The conference asked for.
        conference: ConferenceId,
    },
    /// The participant is not focused on any conference.
    NotFocused(ParticipantId),
    /// A payload type above 127, or in 64..=95, which RFC 5761 sec. 4 reserves so RTP and
    /// RTCP can share a port; carries the value.
    InvalidPayloadType(u8),
    /// A header extension id of 0 (RFC 8285 reserves it for padding).
    InvalidExtensionId(u8),
    /// A rate limit of zero packets per second or a burst of zero.
    InvalidRateLimit,
    /// A media timeout of zero.
    InvalidMediaTimeout,
    /// An end-to-end leg asked for the mix without an SSRC of its own for its mix-minus
    /// ([`LegConfig::with_mix_ssrc`](super::LegConfig::with_mix_ssrc)).
    MixNeedsSsrc,
    /// An end-to-end leg asked for the mix in a conference whose key the core does not
    /// hold ([`MediaCore::set_mixer_key`](super::MediaCore::set_mixer_key)).
    EndToEndMixUnkeyed,
    /// An SSRC for the mix is already in use under the conference key.
    MixSsrcTaken(u32),
    /// A leg asked for the mix but carries no codec the mixer handles (Opus, PCMU, PCMA).
    NoMixableCodec,
    /// The conference's mixer refused the leg.
    Mixer(MixerError),
    /// The conference is already being recorded.
    AlreadyRecording(ConferenceId),
    /// The conference is not being recorded.
    NotRecording(ConferenceId),
}

impl fmt::Display for ConferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownConference(id) => write!(f, "unknown {id}"),
            Self::DuplicateConference(id) => write!(f, "{id} already exists"),
            Self::UnknownLeg(id) => write!(f, "unknown {id}"),
            Self::DuplicateLeg(id) => write!(f, "{id} already exists"),
            Self::DuplicateLocalPort(port) => write!(f, "local port {port} already in use"),
            Self::InvalidLocalPort => f.write_str("local port 0 cannot receive"),
            Self::ParticipantAlreadyInConference {
                participant,
                conference,
            } => write!(f, "{participant} already has a leg in {conference}"),
            Self::ParticipantNotInConference {
                participant,
                conference,
            } => write!(f, "{participant} has no leg in {conference}"),
            Self::NotFocused(participant) => write!(f, "{participant} is not focused"),
            Self::InvalidPayloadType(pt) => write!(
                f,
                "payload type {pt} is not in 0..=63 or 96..=127 (RFC 5761 sec. 4)"
            ),
            Self::InvalidExtensionId(id) => write!(f, "header extension id {id} is reserved"),
            Self::InvalidRateLimit => f.write_str("rate limit must allow at least one packet"),
            Self::InvalidMediaTimeout => f.write_str("media timeout must be longer than zero"),
            Self::MixNeedsSsrc => {
                f.write_str("an end-to-end leg receiving the mix needs an SSRC for its mix-minus")
            }
            Self::EndToEndMixUnkeyed => f.write_str(
                "an end-to-end leg can receive the mix only in a conference whose key the \
                 focus handed to the node",
            ),
            Self::MixSsrcTaken(ssrc) => {
                write!(f, "SSRC {ssrc} is already in use under the conference key")
            }
            Self::NoMixableCodec => {
                f.write_str("receiving the mix needs an Opus, PCMU or PCMA payload type")
            }
            Self::Mixer(e) => write!(f, "mixer: {e}"),
            Self::AlreadyRecording(id) => write!(f, "{id} is already being recorded"),
            Self::NotRecording(id) => write!(f, "{id} is not being recorded"),
        }
    }
}

impl std::error::Error for ConferenceError {}
