//! SDP (RFC 8866) as the conference focus needs it: a checked, owned model of a session
//! description, the reading of an audio offer (RFC 3264 offer/answer: codecs, ptime,
//! direction, RTP/AVP or RTP/SAVP, SDES `a=crypto`, `a=ssrc`, the RFC 6464 audio level
//! extension, RTCP multiplexing) and the writing of the answer.
//!
//! Why not `webrtc-sdp` or `sdp-types`: the focus reads a dozen attributes of one audio
//! stream and writes a short answer; a small parser that never panics, bounds its input
//! and says which line is wrong is less code to trust than a general SDP library, and the
//! answer rules (one codec, the conference's payload type numbers, hold as "no media")
//! belong to the focus anyway.
//!
//! Parsing is strict about structure (every line `x=value`, `v=0` first, `m=` lines
//! well-formed, addresses literal) and lenient about content: unknown line types and
//! attributes are kept and ignored, as RFC 8866 asks.

mod answer;
mod offer;

#[cfg(test)]
mod tests;

use core::fmt;
use std::net::IpAddr;

pub use answer::{write_answer, AnswerCrypto, AnswerMedia};
pub use offer::{
    AudioCodec, AudioOffer, CodecLock, Direction, NegotiationError, OfferedCrypto, AUDIO_LEVEL_URN,
};

/// Largest session description accepted, in bytes.
pub const MAX_SDP_BYTES: usize = 16 * 1024;
/// Most media sections accepted.
const MAX_MEDIA: usize = 16;
/// Most attributes accepted per section.
const MAX_ATTRIBUTES: usize = 128;

/// Why a body is not a usable session description.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SdpError {
    /// Larger than [`MAX_SDP_BYTES`].
    TooLarge,
    /// Not UTF-8 text.
    NotText,
    /// The first line is not `v=0`.
    NotVersionZero,
    /// A line is not `<letter>=<value>`; carries the 1-based line number.
    BadLine(usize),
    /// An `m=` line is malformed; carries the line number.
    BadMedia(usize),
    /// A `c=` line is malformed or names a host instead of an address; carries the line
    /// number.
    BadConnection(usize),
    /// More media sections or attributes than accepted.
    TooMany,
}

impl fmt::Display for SdpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge => write!(f, "SDP larger than {MAX_SDP_BYTES} bytes"),
            Self::NotText => f.write_str("SDP is not UTF-8 text"),
            Self::NotVersionZero => f.write_str("SDP does not start with v=0"),
            Self::BadLine(n) => write!(f, "SDP line {n} is not <type>=<value>"),
            Self::BadMedia(n) => write!(f, "SDP line {n}: malformed m= line"),
            Self::BadConnection(n) => {
                write!(f, "SDP line {n}: c= needs IN IP4 or IN IP6 and an address")
            }
            Self::TooMany => f.write_str("SDP has too many media sections or attributes"),
        }
    }
}

impl std::error::Error for SdpError {}

/// An `a=` line: a name and an optional value (after the first `:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The name, as written.
    pub name: String,
    /// The value, if the attribute has one.
    pub value: Option<String>,
}

/// One `m=` section with its own `c=` and attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// The media type: `audio`, `video`, ...
    pub kind: String,
    /// The transport port; 0 means the stream is rejected or disabled.
    pub port: u16,
    /// The transport protocol: `RTP/AVP`, `RTP/SAVP`, ...
    pub proto: String,
    /// The formats (payload type numbers for RTP), as written.
    pub formats: Vec<String>,
    /// The section's connection address, if it has its own.
    pub connection: Option<IpAddr>,
    /// The section's attributes in order.
    pub attributes: Vec<Attribute>,
}

/// A whole session description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// The session-level connection address, if any.
    pub connection: Option<IpAddr>,
    /// Session-level attributes in order.
    pub attributes: Vec<Attribute>,
    /// The media sections in order.
    pub media: Vec<MediaDescription>,
}

fn attribute_values<'a>(
    attributes: &'a [Attribute],
    name: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    attributes
        .iter()
        .filter(move |a| a.name.eq_ignore_ascii_case(name))
        .map(|a| a.value.as_deref().unwrap_or(""))
}

impl MediaDescription {
    /// The values of every attribute called `name` in this section.
    pub fn attribute_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        attribute_values(&self.attributes, name)
    }

    /// Whether the section has a property attribute (one without value) called `name`.
    pub fn has_attribute(&self, name: &str) -> bool {
        self.attributes
            .iter()
            .any(|a| a.name.eq_ignore_ascii_case(name))
    }
}

impl SessionDescription {
    /// The values of every session-level attribute called `name`.
    pub fn attribute_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        attribute_values(&self.attributes, name)
    }

    /// Parses a body.
    pub fn parse(body: &[u8]) -> Result<SessionDescription, SdpError> {
        if body.len() > MAX_SDP_BYTES {
            return Err(SdpError::TooLarge);
        }
        let text = core::str::from_utf8(body).map_err(|_| SdpError::NotText)?;
        let mut session = SessionDescription {
            connection: None,
            attributes: Vec::new(),
            media: Vec::new(),
        };
        let mut first = true;
        for (index, raw) in text.split('\n').enumerate() {
            let number = index + 1;
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if line.is_empty() {
                continue;
            }
            let (kind, value) = split_line(line).ok_or(SdpError::BadLine(number))?;
            if first {
                if kind != b'v' || value.trim() != "0" {
                    return Err(SdpError::NotVersionZero);
                }
                first = false;
                continue;
            }
            match kind {
                b'm' => {
                    if session.media.len() >= MAX_MEDIA {
                        return Err(SdpError::TooMany);
                    }
                    session.media.push(parse_media(value, number)?);
                }
                b'c' => {
                    let address = parse_connection(value, number)?;
                    match session.media.last_mut() {
                        Some(media) => media.connection = Some(address),
                        None => session.connection = Some(address),
                    }
                }
                b'a' => {
                    let attributes = match session.media.last_mut() {
                        Some(media) => &mut media.attributes,
                        None => &mut session.attributes,
                    };
                    if attributes.len() >= MAX_ATTRIBUTES {
                        return Err(SdpError::TooMany);
                    }
                    attributes.push(parse_attribute(value));
                }
                _ => {}
            }
        }
        if first {
            return Err(SdpError::NotVersionZero);
        }
        Ok(session)
    }
}

/// `<letter>=<value>`, the letter a lowercase ASCII letter.
fn split_line(line: &str) -> Option<(u8, &str)> {
    let bytes = line.as_bytes();
    let kind = *bytes.first()?;
    if !kind.is_ascii_lowercase() || bytes.get(1) != Some(&b'=') {
        return None;
    }
    Some((kind, line.get(2..)?))
}

/// `<media> <port>[/<count>] <proto> <fmt> ...`
fn parse_media(value: &str, number: usize) -> Result<MediaDescription, SdpError> {
    let bad = || SdpError::BadMedia(number);
    let mut fields = value.split_ascii_whitespace();
    let kind = fields.next().ok_or_else(bad)?;
    let port_field = fields.next().ok_or_else(bad)?;
    let port_text = port_field.split('/').next().unwrap_or("");
    let port: u16 = port_text.parse().map_err(|_| bad())?;
    let proto = fields.next().ok_or_else(bad)?;
    let formats: Vec<String> = fields.map(str::to_owned).collect();
    if formats.is_empty() || formats.len() > MAX_ATTRIBUTES {
        return Err(bad());
    }
    Ok(MediaDescription {
        kind: kind.to_owned(),
        port,
        proto: proto.to_owned(),
        formats,
        connection: None,
        attributes: Vec::new(),
    })
}

/// `IN IP4 <address>[/ttl[/count]]` or `IN IP6 <address>[/count]`; host names are refused
/// (the focus resolves nothing).
fn parse_connection(value: &str, number: usize) -> Result<IpAddr, SdpError> {
    let bad = || SdpError::BadConnection(number);
    let mut fields = value.split_ascii_whitespace();
    if fields.next() != Some("IN") {
        return Err(bad());
    }
    let family = fields.next().ok_or_else(bad)?;
    let address = fields.next().ok_or_else(bad)?;
    let address = address.split('/').next().unwrap_or("");
    let ip: IpAddr = address.parse().map_err(|_| bad())?;
    match (family, ip) {
        ("IP4", IpAddr::V4(_)) | ("IP6", IpAddr::V6(_)) => Ok(ip),
        _ => Err(bad()),
    }
}

fn parse_attribute(value: &str) -> Attribute {
    match value.split_once(':') {
        Some((name, rest)) => Attribute {
            name: name.trim().to_owned(),
            value: Some(rest.trim().to_owned()),
        },
        None => Attribute {
            name: value.trim().to_owned(),
            value: None,
        },
    }
}
