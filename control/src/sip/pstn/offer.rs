//! The early offer the node sends a PSTN trunk (RFC 3264 sec. 5): one audio stream on
//! the gateway leg's socket, both G.711 laws (the configured one first), telephone-event
//! for DTMF, 20 ms packets, and an SDES key when the trunk is configured for SRTP.
//!
//! An early offer rather than the delayed offer used toward registered phones: gateways
//! commonly refuse offerless INVITEs, and the leg's address is known before the INVITE
//! is sent (the leg is added first).

use std::fmt::Write;
use std::net::{IpAddr, SocketAddr};

use medianode_dataplane::srtp::SrtpSuite;

use super::G711Law;

/// Payload type of telephone-event in the offer.
pub const TELEPHONE_EVENT_PT: u8 = 101;

/// The node's SDES key in the offer.
#[derive(Debug, Clone, Copy)]
pub struct OfferCrypto<'a> {
    /// The suite.
    pub suite: SrtpSuite,
    /// `inline:<base64 key||salt>` (secret: offers are never logged).
    pub key: &'a str,
}

/// The offer of a gateway leg on `local`.
pub fn write_trunk_offer(
    local: SocketAddr,
    law: G711Law,
    crypto: Option<OfferCrypto<'_>>,
    session_id: u64,
) -> String {
    let address = match local.ip() {
        IpAddr::V4(v4) => format!("IN IP4 {v4}"),
        IpAddr::V6(v6) => format!("IN IP6 {v6}"),
    };
    let proto = if crypto.is_some() {
        "RTP/SAVP"
    } else {
        "RTP/AVP"
    };
    let (first, second) = (law, law.other());
    let mut sdp = String::with_capacity(400);
    // Writing to a String cannot fail.
    let _ = write!(
        sdp,
        "v=0\r\no=medianode {session_id} 1 {address}\r\ns=medianode\r\nc={address}\r\nt=0 0\r\n\
         m=audio {port} {proto} {pt1} {pt2} {TELEPHONE_EVENT_PT}\r\n\
         a=rtpmap:{pt1} {name1}/8000\r\na=rtpmap:{pt2} {name2}/8000\r\n\
         a=rtpmap:{TELEPHONE_EVENT_PT} telephone-event/8000\r\na=fmtp:{TELEPHONE_EVENT_PT} 0-16\r\n\
         a=ptime:20\r\na=sendrecv\r\na=rtcp:{port}\r\n",
        port = local.port(),
        pt1 = first.payload_type(),
        pt2 = second.payload_type(),
        name1 = first.encoding(),
        name2 = second.encoding(),
    );
    if let Some(crypto) = crypto {
        let _ = write!(sdp, "a=crypto:1 {} {}\r\n", crypto.suite, crypto.key);
    }
    sdp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::sdp::{AudioCodec, AudioOffer, SessionDescription};

    #[test]
    fn the_offer_reads_back_with_the_configured_law_first() {
        let local: SocketAddr = "127.0.0.1:20000".parse().unwrap();
        let text = write_trunk_offer(local, G711Law::ALaw, None, 7);
        let sdp = SessionDescription::parse(text.as_bytes()).unwrap();
        let audio = AudioOffer::read(&sdp, None).unwrap();
        assert_eq!(audio.codec, AudioCodec::Pcma);
        assert_eq!(audio.payload_type, 8);
        assert_eq!(audio.telephone_event, Some(TELEPHONE_EVENT_PT));
        assert_eq!(audio.remote, Some(local));
        assert_eq!(audio.ptime, Some(20));
        assert!(!audio.is_secure());
        assert_eq!(sdp.media[0].formats, ["8", "0", "101"]);

        let text = write_trunk_offer(local, G711Law::MuLaw, None, 7);
        let sdp = SessionDescription::parse(text.as_bytes()).unwrap();
        assert_eq!(
            AudioOffer::read(&sdp, None).unwrap().codec,
            AudioCodec::Pcmu
        );
    }

    #[test]
    fn an_srtp_trunk_gets_savp_and_the_key() {
        let local: SocketAddr = "[::1]:20002".parse().unwrap();
        let key = "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
        let crypto = OfferCrypto {
            suite: SrtpSuite::AesCm128HmacSha1_80,
            key,
        };
        let text = write_trunk_offer(local, G711Law::ALaw, Some(crypto), 9);
        let sdp = SessionDescription::parse(text.as_bytes()).unwrap();
        assert_eq!(sdp.media[0].proto, "RTP/SAVP");
        assert!(text.contains("c=IN IP6 ::1\r\n"));
        let audio = AudioOffer::read(&sdp, None).unwrap();
        assert!(audio.is_secure());
        assert_eq!(audio.remote, Some(local));
    }
}
