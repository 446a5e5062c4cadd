//! The SDP a replayed participant offers (one audio stream: the capture's codec, the
//! audio level extension, SDES for SRTP) and what it reads from the node's answer (the
//! leg's address and port, the node's SDES key).

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use medianode_dataplane::srtp::{SdesCrypto, SdesKey};

use crate::replay::source::AudioCodec;

/// The RFC 6464 extension URI.
pub const AUDIO_LEVEL_URN: &str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";

/// What one participant offers.
#[derive(Debug, Clone)]
pub struct Offer<'a> {
    /// Where the participant receives media.
    pub media: SocketAddr,
    /// The codec of its stream.
    pub codec: AudioCodec,
    /// Its payload type.
    pub payload_type: u8,
    /// The audio level extension id to announce, if any.
    pub audio_level_id: Option<u8>,
    /// The key it sends with, for RTP/SAVPF.
    pub key: Option<&'a SdesKey>,
    /// Its SSRC, announced with `a=ssrc`.
    pub ssrc: u32,
    /// `o=` session id.
    pub session_id: u64,
}

fn address(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("IN IP4 {v4}"),
        IpAddr::V6(v6) => format!("IN IP6 {v6}"),
    }
}

impl Offer<'_> {
    /// The offer's text.
    pub fn to_sdp(&self) -> String {
        let mut sdp = String::with_capacity(400);
        let address = address(self.media.ip());
        // The feedback profiles: the replay measures who it hears, so it asks for the
        // selected talkers' streams, which the node gives endpoints offering AVPF (plain
        // SIP phones, offering AVP, get the mix).
        let profile = if self.key.is_some() {
            "RTP/SAVPF"
        } else {
            "RTP/AVPF"
        };
        let pt = self.payload_type;
        // Writing to a String cannot fail.
        let _ = write!(
            sdp,
            "v=0\r\no=rtp-replay {id} 1 {address}\r\ns=rtp-replay\r\nc={address}\r\nt=0 0\r\n\
             m=audio {port} {profile} {pt}\r\n",
            id = self.session_id,
            port = self.media.port(),
        );
        let _ = match self.codec {
            AudioCodec::Pcmu => write!(sdp, "a=rtpmap:{pt} PCMU/8000\r\n"),
            AudioCodec::Pcma => write!(sdp, "a=rtpmap:{pt} PCMA/8000\r\n"),
            AudioCodec::Opus => write!(sdp, "a=rtpmap:{pt} opus/48000/2\r\n"),
        };
        sdp.push_str("a=sendrecv\r\n");
        if let Some(id) = self.audio_level_id {
            let _ = write!(sdp, "a=extmap:{id} {AUDIO_LEVEL_URN}\r\n");
        }
        if let Some(key) = self.key {
            let crypto = SdesCrypto::new(1, key.clone());
            let _ = write!(sdp, "{}\r\n", crypto.to_sdp_line());
        }
        let _ = write!(sdp, "a=ssrc:{} cname:rtp-replay\r\n", self.ssrc);
        sdp
    }
}

/// What the replay needs from the node's answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The leg's address: where to send, and where media comes from.
    pub media: SocketAddr,
    /// The node's `a=crypto`, for RTP/SAVP.
    pub crypto: Option<SdesCrypto>,
}

/// Why an answer is not usable.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AnswerError {
    /// No `c=` line applies to the audio stream.
    NoConnection,
    /// No `m=audio` line with a non-zero port.
    NoAudio,
    /// An `a=crypto` line that does not parse.
    BadCrypto(String),
}

impl std::fmt::Display for AnswerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnswerError::NoConnection => f.write_str("the answer has no usable c= line"),
            AnswerError::NoAudio => f.write_str("the answer accepts no audio stream"),
            AnswerError::BadCrypto(why) => write!(f, "the answer's a=crypto: {why}"),
        }
    }
}

impl std::error::Error for AnswerError {}

fn connection(line: &str) -> Option<IpAddr> {
    let mut fields = line.split_ascii_whitespace();
    let (Some("IN"), Some("IP4" | "IP6"), Some(address)) =
        (fields.next(), fields.next(), fields.next())
    else {
        return None;
    };
    address.split('/').next()?.parse().ok()
}

impl Answer {
    /// Reads the first audio stream of `sdp`.
    pub fn parse(sdp: &str) -> Result<Answer, AnswerError> {
        let mut session_ip = None;
        let mut audio: Option<(u16, Option<IpAddr>)> = None;
        let mut crypto = None;
        let mut in_audio = false;
        for line in sdp.lines().map(str::trim_end) {
            if let Some(media) = line.strip_prefix("m=") {
                if audio.is_some() {
                    break;
                }
                let mut fields = media.split_ascii_whitespace();
                let kind = fields.next();
                let port = fields
                    .next()
                    .and_then(|p| p.split('/').next()?.parse().ok());
                in_audio = false;
                if let (Some("audio"), Some(port)) = (kind, port) {
                    if port != 0 {
                        audio = Some((port, None));
                        in_audio = true;
                    }
                }
            } else if let Some(c) = line.strip_prefix("c=") {
                let ip = connection(c).ok_or(AnswerError::NoConnection)?;
                match &mut audio {
                    Some((_, media_ip)) if in_audio => *media_ip = Some(ip),
                    None => session_ip = Some(ip),
                    Some(_) => {}
                }
            } else if let Some(value) = line.strip_prefix("a=crypto:") {
                if in_audio && crypto.is_none() {
                    crypto = Some(
                        SdesCrypto::parse(value)
                            .map_err(|e| AnswerError::BadCrypto(e.to_string()))?,
                    );
                }
            }
        }
        let (port, media_ip) = audio.ok_or(AnswerError::NoAudio)?;
        let ip = media_ip.or(session_ip).ok_or(AnswerError::NoConnection)?;
        Ok(Answer {
            media: SocketAddr::new(ip, port),
            crypto,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use medianode_dataplane::srtp::SrtpSuite;

    const KEY: &str = "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";

    #[test]
    fn an_offer_names_codec_level_key_and_ssrc() {
        let key = SdesKey::parse(SrtpSuite::AesCm128HmacSha1_80, KEY).unwrap();
        let offer = Offer {
            media: "127.0.0.1:4000".parse().unwrap(),
            codec: AudioCodec::Pcmu,
            payload_type: 0,
            audio_level_id: Some(1),
            key: Some(&key),
            ssrc: 42,
            session_id: 7,
        }
        .to_sdp();
        for line in [
            "c=IN IP4 127.0.0.1\r\n",
            "m=audio 4000 RTP/SAVPF 0\r\n",
            "a=rtpmap:0 PCMU/8000\r\n",
            "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n",
            &format!("a=crypto:1 AES_CM_128_HMAC_SHA1_80 {KEY}\r\n"),
            "a=ssrc:42 cname:rtp-replay\r\n",
        ] {
            assert!(offer.contains(line), "{line:?} in {offer}");
        }
    }

    #[test]
    fn an_answer_gives_the_legs_address_and_key() {
        let sdp = format!(
            "v=0\r\no=medianode 1 1 IN IP4 127.0.0.1\r\ns=medianode\r\nc=IN IP4 127.0.0.2\r\n\
             t=0 0\r\nm=video 0 RTP/AVP 96\r\nm=audio 30002 RTP/SAVP 0\r\n\
             a=crypto:1 AES_CM_128_HMAC_SHA1_80 {KEY}\r\n"
        );
        let answer = Answer::parse(&sdp).unwrap();
        assert_eq!(answer.media, "127.0.0.2:30002".parse().unwrap());
        assert_eq!(answer.crypto.unwrap().suite, SrtpSuite::AesCm128HmacSha1_80);
        assert_eq!(
            Answer::parse("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 0 RTP/AVP 0\r\n").unwrap_err(),
            AnswerError::NoAudio
        );
        assert_eq!(
            Answer::parse("v=0\r\nm=audio 5 RTP/AVP 0\r\n").unwrap_err(),
            AnswerError::NoConnection
        );
    }
}
