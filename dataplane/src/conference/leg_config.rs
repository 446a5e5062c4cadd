//! What the control plane tells a core about one leg: where its media arrives, where it
//! goes, what it carries and how it is protected.

use std::net::SocketAddr;
use std::time::Duration;

use super::{Codec, ConferenceError, ParticipantId, PayloadTypes};
use crate::srtp::SrtpPolicy;

/// How a leg's media is protected on the wire.
///
/// Modes meet in one conference as follows: plain and hop-by-hop legs exchange media freely
/// (the core decrypts what a hop-by-hop leg sends and encrypts what it receives, so a
/// plain talker reaches a hop-by-hop listener protected under that listener's key, and a
/// hop-by-hop talker reaches a plain listener in clear). End-to-end legs only exchange
/// forwarded media with other end-to-end legs: the core forwards their ciphertext and
/// never re-encrypts it. Only the mix crosses over, in a conference whose key the focus
/// handed to the core ([`super::MediaCore::set_mixer_key`]): the mixer hears end-to-end
/// talkers and sends end-to-end listeners the mix under the conference key.
// The policies are large, but a mode is built once per leg, never per packet.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum MediaMode {
    /// Plain RTP/RTCP.
    Plain,
    /// SRTP with keys per leg and direction: the core unprotects with `rx` what arrives
    /// and protects with `tx` what it sends; RTCP is terminated per leg.
    SrtpHopByHop {
        /// The key the endpoint sends with.
        rx: SrtpPolicy,
        /// The key the core sends with.
        tx: SrtpPolicy,
    },
    /// SRTP under the conference key: the core forwards ciphertext (RTP and RTCP)
    /// untouched and selects on the clear RFC 6464 header extension. Only a conference's
    /// mixer, given the key, decrypts copies of it.
    SrtpEndToEnd,
}

impl MediaMode {
    /// Whether this is [`MediaMode::SrtpEndToEnd`].
    pub fn is_end_to_end(&self) -> bool {
        matches!(self, Self::SrtpEndToEnd)
    }
}

/// What a leg receives from its conference.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Receive {
    /// The selected talkers' streams, forwarded as they arrived (WebRTC-style endpoints).
    #[default]
    Streams,
    /// One stream: the conference mix (minus its own voice while it is a selected talker),
    /// for endpoints that take one stream. Telephone-events still reach it unmixed.
    Mix,
}

/// A token-bucket packet-rate limit: `packets_per_second` on average, up to `burst` at
/// once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained packets per second.
    pub packets_per_second: u32,
    /// Packets the bucket holds when full.
    pub burst: u32,
}

impl RateLimit {
    /// Refuses a limit that lets nothing through.
    pub fn validate(&self) -> Result<(), ConferenceError> {
        if self.packets_per_second == 0 || self.burst == 0 {
            return Err(ConferenceError::InvalidRateLimit);
        }
        Ok(())
    }
}

/// One leg's configuration.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LegConfig {
    /// The core's port this leg's media arrives on and is sent from (RTP and RTCP muxed,
    /// RFC 5761).
    pub local_port: u16,
    /// Where the endpoint's media comes from and goes to; `None` latches onto the source
    /// of the first valid packet (symmetric RTP).
    pub remote: Option<SocketAddr>,
    /// Payload type to codec.
    pub payload_types: PayloadTypes,
    /// The `a=extmap` id of the RFC 6464 audio level extension, if negotiated.
    pub audio_level_ext_id: Option<u8>,
    /// Protection of the leg's media.
    pub media: MediaMode,
    /// The user this leg belongs to, for focus.
    pub participant: Option<ParticipantId>,
    /// Overrides the core's default packet-rate limit.
    pub rate_limit: Option<RateLimit>,
    /// Overrides the core's default media timeout.
    pub media_timeout: Option<Duration>,
    /// Forwarded streams or the mix.
    pub receive: Receive,
    /// In a conference whose key the core holds, an SSRC the focus claimed under that key
    /// for this leg: an end-to-end leg receiving the mix gets its mix-minus under it (while
    /// it is a selected talker); another leg (a PSTN phone) reaches the end-to-end
    /// listeners under it, relayed.
    pub mix_ssrc: Option<u32>,
}

impl LegConfig {
    /// A plain leg on `local_port` that latches, without audio-level extension, participant
    /// or overrides.
    pub fn new(local_port: u16, payload_types: PayloadTypes) -> Self {
        Self {
            local_port,
            remote: None,
            payload_types,
            audio_level_ext_id: None,
            media: MediaMode::Plain,
            participant: None,
            rate_limit: None,
            media_timeout: None,
            receive: Receive::Streams,
            mix_ssrc: None,
        }
    }

    /// With a known remote address (no latching).
    pub fn with_remote(mut self, remote: SocketAddr) -> Self {
        self.remote = Some(remote);
        self
    }

    /// With the RFC 6464 audio level extension under `id`.
    pub fn with_audio_level(mut self, id: u8) -> Self {
        self.audio_level_ext_id = Some(id);
        self
    }

    /// With this media protection.
    pub fn with_media(mut self, media: MediaMode) -> Self {
        self.media = media;
        self
    }

    /// Belonging to `participant`.
    pub fn with_participant(mut self, participant: ParticipantId) -> Self {
        self.participant = Some(participant);
        self
    }

    /// With its own packet-rate limit.
    pub fn with_rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// With its own media timeout.
    pub fn with_media_timeout(mut self, timeout: Duration) -> Self {
        self.media_timeout = Some(timeout);
        self
    }

    /// Receiving the mix or the streams.
    pub fn with_receive(mut self, receive: Receive) -> Self {
        self.receive = receive;
        self
    }

    /// With an SSRC claimed under the conference key (see [`Self::mix_ssrc`]).
    pub fn with_mix_ssrc(mut self, ssrc: u32) -> Self {
        self.mix_ssrc = Some(ssrc);
        self
    }

    /// Checks what the types alone cannot: port, extension id, overrides.
    pub fn validate(&self) -> Result<(), ConferenceError> {
        if self.local_port == 0 {
            return Err(ConferenceError::InvalidLocalPort);
        }
        if self.audio_level_ext_id == Some(0) {
            return Err(ConferenceError::InvalidExtensionId(0));
        }
        if let Some(limit) = self.rate_limit {
            limit.validate()?;
        }
        if self.media_timeout == Some(Duration::ZERO) {
            return Err(ConferenceError::InvalidMediaTimeout);
        }
        if self.receive == Receive::Mix {
            if self.media.is_end_to_end() && self.mix_ssrc.is_none() {
                return Err(ConferenceError::MixNeedsSsrc);
            }
            if mixable_codec(&self.payload_types).is_none() {
                return Err(ConferenceError::NoMixableCodec);
            }
        }
        Ok(())
    }
}

/// The leg's first audio codec the mixer decodes and encodes, with its payload type.
pub(crate) fn mixable_codec(payload_types: &PayloadTypes) -> Option<(u8, Codec)> {
    payload_types
        .iter()
        .find(|(_, codec)| matches!(codec, Codec::Opus | Codec::Pcmu | Codec::Pcma))
}
