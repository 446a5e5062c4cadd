//! Writing the answer (RFC 3264 sec. 6): one `m=` line per offered stream in the same
//! order, the chosen audio stream with the node's address and port, every other stream
//! refused with port 0.

use std::fmt::Write;
use std::net::{IpAddr, SocketAddr};

use medianode_dataplane::srtp::SrtpSuite;

use super::offer::{AudioOffer, Direction, AUDIO_LEVEL_URN};
use super::SessionDescription;

/// The SDES key the node sends with, answered on the offer's tag.
#[derive(Debug, Clone, Copy)]
pub struct AnswerCrypto<'a> {
    /// The tag of the offered `a=crypto` line this answers.
    pub tag: u32,
    /// The suite (the offered one).
    pub suite: SrtpSuite,
    /// The key parameter, `inline:<base64>` (secret: the answer is never logged).
    pub key: &'a str,
}

/// What the node puts in the answer for the audio stream.
#[derive(Debug, Clone, Copy)]
pub struct AnswerMedia<'a> {
    /// The leg's socket address (the node's media address and port).
    pub local: SocketAddr,
    /// The answer's direction.
    pub direction: Direction,
    /// The node's key, for RTP/SAVP.
    pub crypto: Option<AnswerCrypto<'a>>,
    /// `o=` session id, fixed for the dialog.
    pub session_id: u64,
    /// `o=` session version, raised whenever the answer changes.
    pub session_version: u64,
}

fn address_fields(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("IN IP4 {v4}"),
        IpAddr::V6(v6) => format!("IN IP6 {v6}"),
    }
}

/// The answer to `offer` whose audio stream was read as `audio`.
pub fn write_answer(
    offer: &SessionDescription,
    audio: &AudioOffer,
    media: &AnswerMedia<'_>,
) -> String {
    let mut sdp = String::with_capacity(512);
    let address = address_fields(media.local.ip());
    // Writing to a String cannot fail.
    let _ = write!(
        sdp,
        "v=0\r\no=medianode {} {} {address}\r\ns=medianode\r\nc={address}\r\nt=0 0\r\n",
        media.session_id, media.session_version
    );
    for (index, stream) in offer.media.iter().enumerate() {
        if index != audio.index {
            let format = stream.formats.first().map_or("0", String::as_str);
            let _ = write!(sdp, "m={} 0 {} {format}\r\n", stream.kind, stream.proto);
            continue;
        }
        let port = media.local.port();
        let _ = write!(sdp, "m=audio {port} {} {}", audio.proto, audio.payload_type);
        if let Some(te) = audio.telephone_event {
            let _ = write!(sdp, " {te}");
        }
        sdp.push_str("\r\n");
        let codec = audio.codec;
        let _ = write!(
            sdp,
            "a=rtpmap:{} {}/{}",
            audio.payload_type,
            codec.encoding(),
            codec.clock_rate()
        );
        if let Some(channels) = codec.channels() {
            let _ = write!(sdp, "/{channels}");
        }
        sdp.push_str("\r\n");
        let pt_prefix = format!("{} ", audio.payload_type);
        if let Some(fmtp) = stream
            .attribute_values("fmtp")
            .find(|v| v.starts_with(&pt_prefix))
        {
            let _ = write!(sdp, "a=fmtp:{fmtp}\r\n");
        }
        if let Some(te) = audio.telephone_event {
            let _ = write!(
                sdp,
                "a=rtpmap:{te} telephone-event/{}\r\na=fmtp:{te} 0-16\r\n",
                codec.clock_rate()
            );
        }
        if let Some(ptime) = audio.ptime {
            let _ = write!(sdp, "a=ptime:{ptime}\r\n");
        }
        let _ = write!(sdp, "a={}\r\n", media.direction.as_str());
        // RTP and RTCP share the leg's socket: say so to endpoints without rtcp-mux too
        // (RFC 3605), so their RTCP reaches the node.
        let _ = write!(sdp, "a=rtcp:{port}\r\n");
        if audio.rtcp_mux {
            sdp.push_str("a=rtcp-mux\r\n");
        }
        if let Some(id) = audio.audio_level_id {
            let _ = write!(sdp, "a=extmap:{id} {AUDIO_LEVEL_URN}\r\n");
        }
        if let Some(crypto) = media.crypto {
            let _ = write!(
                sdp,
                "a=crypto:{} {} {}\r\n",
                crypto.tag, crypto.suite, crypto.key
            );
        }
    }
    sdp
}
