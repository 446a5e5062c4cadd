//! Reading the audio stream of an offer (RFC 3264 sec. 6): which codec the node takes,
//! where the endpoint wants media, in which direction, under which key.
//!
//! The node forwards packets between participants without rewriting payload type numbers,
//! so a conference speaks one codec under one payload type number: the first participant
//! chooses it (the first supported codec of its offer), later offers must contain it
//! ([`CodecLock`]). Static types (PCMU 0, PCMA 8) always agree; a dynamic Opus type must
//! be the same number.

use core::fmt;
use std::net::{IpAddr, SocketAddr};

use medianode_dataplane::srtp::SdesCrypto;

use super::{MediaDescription, SessionDescription};
use crate::config::is_conference_suite;

/// The RFC 6464 client-to-mixer audio level header extension.
pub const AUDIO_LEVEL_URN: &str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";

/// An audio codec the node carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioCodec {
    /// Opus (RFC 7587): `opus/48000/2`.
    Opus,
    /// G.711 mu-law: `PCMU/8000`, static payload type 0.
    Pcmu,
    /// G.711 A-law: `PCMA/8000`, static payload type 8.
    Pcma,
}

impl AudioCodec {
    /// The encoding name of `a=rtpmap`.
    pub fn encoding(self) -> &'static str {
        match self {
            AudioCodec::Opus => "opus",
            AudioCodec::Pcmu => "PCMU",
            AudioCodec::Pcma => "PCMA",
        }
    }

    /// The RTP clock rate.
    pub fn clock_rate(self) -> u32 {
        match self {
            AudioCodec::Opus => 48_000,
            AudioCodec::Pcmu | AudioCodec::Pcma => 8_000,
        }
    }

    /// The `a=rtpmap` encoding parameters (channels), if the codec has them.
    pub fn channels(self) -> Option<u8> {
        match self {
            AudioCodec::Opus => Some(2),
            AudioCodec::Pcmu | AudioCodec::Pcma => None,
        }
    }

    fn static_payload_type(payload_type: u8) -> Option<AudioCodec> {
        match payload_type {
            0 => Some(AudioCodec::Pcmu),
            8 => Some(AudioCodec::Pcma),
            _ => None,
        }
    }

    fn from_rtpmap(encoding: &str, clock_rate: u32, channels: Option<&str>) -> Option<AudioCodec> {
        let codec = [AudioCodec::Opus, AudioCodec::Pcmu, AudioCodec::Pcma]
            .into_iter()
            .find(|c| c.encoding().eq_ignore_ascii_case(encoding))?;
        if clock_rate != codec.clock_rate() {
            return None;
        }
        let channels_ok = match (codec, channels) {
            (AudioCodec::Opus, Some(n)) => n == "2",
            (AudioCodec::Opus, None) => false,
            (_, None) => true,
            (_, Some(n)) => n == "1",
        };
        channels_ok.then_some(codec)
    }
}

/// Which way media flows, from the point of view of the side that wrote the SDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Both ways.
    SendRecv,
    /// The writer only sends (e.g. it holds the call with music).
    SendOnly,
    /// The writer only receives.
    RecvOnly,
    /// No media (hold).
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    fn from_attribute(name: &str) -> Option<Direction> {
        [
            Direction::SendRecv,
            Direction::SendOnly,
            Direction::RecvOnly,
            Direction::Inactive,
        ]
        .into_iter()
        .find(|d| d.as_str().eq_ignore_ascii_case(name))
    }
}

/// The codec and payload type numbers a conference speaks, fixed by its first participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodecLock {
    /// The codec.
    pub codec: AudioCodec,
    /// Its payload type number.
    pub payload_type: u8,
    /// The telephone-event payload type number, if the first participant had one.
    pub telephone_event: Option<u8>,
}

/// An SDES key the offer carries for the chosen stream.
pub type OfferedCrypto = SdesCrypto;

/// What the focus takes from an offer's audio stream.
#[derive(Debug, Clone)]
pub struct AudioOffer {
    /// The index of the stream's `m=` line.
    pub index: usize,
    /// The transport protocol, echoed in the answer.
    pub proto: String,
    /// The codec chosen.
    pub codec: AudioCodec,
    /// Its payload type number.
    pub payload_type: u8,
    /// The RFC 4733 telephone-event payload type at the codec's clock rate, if offered.
    pub telephone_event: Option<u8>,
    /// The packetisation time asked for, in ms.
    pub ptime: Option<u32>,
    /// Where the endpoint receives media; `None` for the RFC 2543 hold address 0.0.0.0.
    pub remote: Option<SocketAddr>,
    /// The offer's direction.
    pub direction: Direction,
    /// The RFC 6464 extension id, if offered.
    pub audio_level_id: Option<u8>,
    /// The first usable SDES key of an RTP/SAVP offer.
    pub crypto: Option<OfferedCrypto>,
    /// Whether the stream carries any `a=crypto` line at all.
    pub has_crypto_lines: bool,
    /// The first `a=ssrc` of the stream.
    pub ssrc: Option<u32>,
    /// Whether the endpoint offered RTP/RTCP multiplexing (RFC 5761).
    pub rtcp_mux: bool,
}

/// Why an offer cannot be answered (488 Not Acceptable Here, with the reason in a
/// Warning).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NegotiationError {
    /// The request has no SDP offer.
    NoOffer,
    /// The body is not SDP the focus can read.
    Malformed(String),
    /// No active audio stream.
    NoAudio,
    /// The audio stream's transport is not RTP/AVP(F) or RTP/SAVP(F).
    UnsupportedProto(String),
    /// No offered codec is Opus, PCMU or PCMA.
    NoCommonCodec,
    /// The conference's codec is not offered (under its payload type number).
    CodecLocked(CodecLock),
    /// The audio stream has no connection address.
    NoConnection,
    /// An RTP/SAVP stream without a usable SDES key.
    NoUsableCrypto,
}

impl fmt::Display for NegotiationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoOffer => f.write_str("an SDP offer is required"),
            Self::Malformed(why) => write!(f, "unreadable SDP: {why}"),
            Self::NoAudio => f.write_str("no active audio stream"),
            Self::UnsupportedProto(proto) => {
                write!(f, "transport {proto} not supported (RTP/AVP or RTP/SAVP)")
            }
            Self::NoCommonCodec => f.write_str("no common codec (opus, PCMU or PCMA)"),
            Self::CodecLocked(lock) => write!(
                f,
                "the conference speaks {} as payload type {}",
                lock.codec.encoding(),
                lock.payload_type
            ),
            Self::NoConnection => f.write_str("the audio stream has no c= address"),
            Self::NoUsableCrypto => {
                f.write_str("no usable a=crypto (SDES) line for the RTP/SAVP stream")
            }
        }
    }
}

impl std::error::Error for NegotiationError {}

const SUPPORTED_PROTOS: [&str; 4] = ["RTP/AVP", "RTP/AVPF", "RTP/SAVP", "RTP/SAVPF"];

/// Payload types the core accepts (64..=95 collide with RTCP under RFC 5761 muxing).
fn usable_payload_type(text: &str) -> Option<u8> {
    let pt: u8 = text.parse().ok()?;
    (pt <= 127 && !(64..=95).contains(&pt)).then_some(pt)
}

/// `a=rtpmap:<pt> <encoding>/<rate>[/<channels>]` of `payload_type`.
fn rtpmap(media: &MediaDescription, payload_type: u8) -> Option<(String, u32, Option<String>)> {
    media.attribute_values("rtpmap").find_map(|value| {
        let (pt, rest) = value.split_once(' ')?;
        if pt.trim().parse::<u8>().ok()? != payload_type {
            return None;
        }
        let mut parts = rest.trim().split('/');
        let encoding = parts.next()?.to_owned();
        let rate = parts.next()?.trim().parse().ok()?;
        let channels = parts.next().map(|c| c.trim().to_owned());
        Some((encoding, rate, channels))
    })
}

fn codec_of(media: &MediaDescription, payload_type: u8) -> Option<AudioCodec> {
    match rtpmap(media, payload_type) {
        Some((encoding, rate, channels)) => {
            AudioCodec::from_rtpmap(&encoding, rate, channels.as_deref())
        }
        None => AudioCodec::static_payload_type(payload_type),
    }
}

fn telephone_event_of(media: &MediaDescription, clock_rate: u32) -> Option<u8> {
    media
        .formats
        .iter()
        .filter_map(|f| usable_payload_type(f))
        .find(|&pt| {
            rtpmap(media, pt).is_some_and(|(encoding, rate, _)| {
                encoding.eq_ignore_ascii_case("telephone-event") && rate == clock_rate
            })
        })
}

/// The first supported codec of the stream, honouring the conference's lock.
fn choose_codec(
    media: &MediaDescription,
    lock: Option<CodecLock>,
) -> Result<(AudioCodec, u8), NegotiationError> {
    let offered = media
        .formats
        .iter()
        .filter_map(|f| usable_payload_type(f))
        .filter_map(|pt| codec_of(media, pt).map(|codec| (codec, pt)));
    match lock {
        None => offered
            .into_iter()
            .next()
            .ok_or(NegotiationError::NoCommonCodec),
        Some(lock) => {
            let mut offered = offered.peekable();
            if offered.peek().is_none() {
                return Err(NegotiationError::NoCommonCodec);
            }
            offered
                .find(|&(codec, pt)| codec == lock.codec && pt == lock.payload_type)
                .ok_or(NegotiationError::CodecLocked(lock))
        }
    }
}

fn direction_of(session: &SessionDescription, media: &MediaDescription) -> Direction {
    let find = |attributes: &[super::Attribute]| {
        attributes
            .iter()
            .find_map(|a| Direction::from_attribute(&a.name))
    };
    find(&media.attributes)
        .or_else(|| find(&session.attributes))
        .unwrap_or(Direction::SendRecv)
}

fn audio_level_of(media: &MediaDescription) -> Option<u8> {
    media.attribute_values("extmap").find_map(|value| {
        let mut fields = value.split_ascii_whitespace();
        let id_field = fields.next()?;
        let uri = fields.next()?;
        if !uri.eq_ignore_ascii_case(AUDIO_LEVEL_URN) {
            return None;
        }
        let id: u8 = id_field.split('/').next()?.parse().ok()?;
        (id >= 1).then_some(id)
    })
}

fn usable_crypto(media: &MediaDescription) -> Option<SdesCrypto> {
    media.attribute_values("crypto").find_map(|value| {
        let crypto = SdesCrypto::parse(value).ok()?;
        (is_conference_suite(crypto.suite) && crypto.policy().is_ok()).then_some(crypto)
    })
}

impl AudioOffer {
    /// Reads the first active audio stream of `offer`; `lock` is the conference's codec,
    /// once it has one.
    pub fn read(
        offer: &SessionDescription,
        lock: Option<CodecLock>,
    ) -> Result<AudioOffer, NegotiationError> {
        let mut unsupported = None;
        let found = offer.media.iter().enumerate().find(|(_, m)| {
            if !m.kind.eq_ignore_ascii_case("audio") || m.port == 0 {
                return false;
            }
            let supported = SUPPORTED_PROTOS.contains(&m.proto.as_str());
            if !supported && unsupported.is_none() {
                unsupported = Some(m.proto.clone());
            }
            supported
        });
        let Some((index, media)) = found else {
            return Err(unsupported.map_or(NegotiationError::NoAudio, |proto| {
                NegotiationError::UnsupportedProto(proto)
            }));
        };
        let (codec, payload_type) = choose_codec(media, lock)?;
        let telephone_event = telephone_event_of(media, codec.clock_rate())
            .filter(|&pt| pt != payload_type)
            .filter(|&pt| match lock.and_then(|l| l.telephone_event) {
                Some(locked) => pt == locked,
                None => true,
            });
        let address = media
            .connection
            .or(offer.connection)
            .ok_or(NegotiationError::NoConnection)?;
        let remote = (!address.is_unspecified()).then(|| SocketAddr::new(address, media.port));
        let secure = media.proto.starts_with("RTP/SAVP");
        let crypto = if secure {
            Some(usable_crypto(media).ok_or(NegotiationError::NoUsableCrypto)?)
        } else {
            None
        };
        let ptime = media
            .attribute_values("ptime")
            .chain(offer.attribute_values("ptime"))
            .find_map(|v| v.trim().parse::<u32>().ok())
            .filter(|p| (10..=120).contains(p));
        let ssrc = media
            .attribute_values("ssrc")
            .find_map(|v| v.split_ascii_whitespace().next()?.parse::<u32>().ok());
        Ok(AudioOffer {
            index,
            proto: media.proto.clone(),
            codec,
            payload_type,
            telephone_event,
            ptime,
            remote,
            direction: direction_of(offer, media),
            audio_level_id: audio_level_of(media),
            crypto,
            has_crypto_lines: media.attribute_values("crypto").next().is_some(),
            ssrc,
            rtcp_mux: media.has_attribute("rtcp-mux"),
        })
    }

    /// The codec lock a conference takes from its first participant's offer.
    pub fn lock(&self) -> CodecLock {
        CodecLock {
            codec: self.codec,
            payload_type: self.payload_type,
            telephone_event: self.telephone_event,
        }
    }

    /// Whether the stream is RTP/SAVP(F).
    pub fn is_secure(&self) -> bool {
        self.crypto.is_some()
    }

    /// Whether the endpoint asks for no media to it: sendonly, inactive, or the 0.0.0.0
    /// hold address. The focus then takes its leg off the media core.
    pub fn is_hold(&self) -> bool {
        self.remote.is_none() || matches!(self.direction, Direction::SendOnly | Direction::Inactive)
    }

    /// The address, for logs and the leg: `None` on hold.
    pub fn remote_ip(&self) -> Option<IpAddr> {
        self.remote.map(|r| r.ip())
    }
}
