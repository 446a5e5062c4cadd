//! The responses the focus writes: refusals with a Warning that says why, the 302 to a
//! new conference, the 200 with the SDP answer, and the node's Contact.

use crate::sip::header::KnownHeader;
use crate::sip::message::response_for;
use crate::sip::router::ALLOW;
use crate::sip::transaction::TransportKind;
use crate::sip::Message;

use super::Arrival;

/// The node's Contact URI for the conference whose URI user part is `user` (`conf-<id>`,
/// `room-<n>`) on the transport of `arrival`: `sips:` over TLS, `;transport=tcp` over TCP.
pub fn conference_contact(user: &str, arrival: &Arrival) -> String {
    match arrival.peer.transport {
        TransportKind::Tls => format!("sips:{user}@{}", arrival.host),
        TransportKind::Tcp => format!("sip:{user}@{};transport=tcp", arrival.host),
        TransportKind::Udp => format!("sip:{user}@{}", arrival.host),
    }
}

/// A response without body; `warning` explains a refusal.
pub fn without_body<T: AsRef<[u8]>>(
    request: &Message<T>,
    status: u16,
    reason: &str,
    to_tag: &str,
    warning: Option<&str>,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = response_for(request, status, reason, Some(to_tag), &mut out);
    if let Some(text) = warning {
        let quoted: String = text
            .chars()
            .map(|c| if matches!(c, '"' | '\\') { '\'' } else { c })
            .collect();
        w.known(
            KnownHeader::Warning,
            format_args!("399 medianode \"{quoted}\""),
        );
    }
    if status == 405 || status == 501 {
        w.known(KnownHeader::Allow, ALLOW);
    }
    w.finish(b"");
    out
}

/// `302 Moved Temporarily` to the conference at `contact`, with the end-to-end key
/// handover header when there is one.
pub fn redirect<T: AsRef<[u8]>>(
    request: &Message<T>,
    to_tag: &str,
    contact: &str,
    conference_key: Option<&str>,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = response_for(request, 302, "Moved Temporarily", Some(to_tag), &mut out);
    w.known(KnownHeader::Contact, format_args!("<{contact}>"));
    if let Some(value) = conference_key {
        w.header(super::CONFERENCE_KEY_HEADER, value);
    }
    w.finish(b"");
    out
}

/// `200 OK` to an INVITE with the SDP answer.
pub fn accept<T: AsRef<[u8]>>(
    request: &Message<T>,
    to_tag: &str,
    contact: &str,
    sdp: &str,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = response_for(request, 200, "OK", Some(to_tag), &mut out);
    w.known(KnownHeader::Contact, format_args!("<{contact}>"));
    w.known(KnownHeader::Allow, ALLOW);
    w.finish_with("application/sdp", sdp.as_bytes());
    out
}
