//! What a user agent server answers before any application logic runs: malformed requests
//! get the 4xx/5xx RFC 4475 asks for, well-formed requests that ask for something this
//! server cannot do get the RFC 3261 sec. 8.2 rejection, malformed responses and anything
//! unanswerable are dropped.
//!
//! Error responses are built statelessly from whatever could be read of the request (Via,
//! From, To, Call-ID, CSeq are copied leniently, so even a request missing half its
//! headers, RFC 4475 insuf, gets its 400). The To tag is derived from the request, so a
//! retransmitted request gets a byte-identical answer.

use crate::sip::header::KnownHeader;
use crate::sip::message::{response_for, MessageWriter};
use crate::sip::{Message, Method, ParseError};

/// A ready-to-send rejection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    /// The status code.
    pub status: u16,
    /// The serialized response.
    pub bytes: Vec<u8>,
}

/// The outcome of [`admit`] for one datagram.
#[derive(Debug)]
pub enum Admission<'a> {
    /// A well-formed message the server can process: requests go to the transaction layer
    /// as new requests, responses to their client transaction (strays are dropped there).
    Accept(Message<&'a [u8]>),
    /// Send this response back to where the request came from.
    Reject(ErrorResponse),
    /// Nothing to answer: a malformed response, or a request too broken to address.
    Drop(ParseError),
}

/// What this user agent server implements, for the RFC 3261 sec. 8.2 checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UasProfile {
    /// Methods implemented (others get 501 with Allow).
    pub methods: Vec<String>,
    /// Body types understood (others get 415 with Accept).
    pub content_types: Vec<String>,
    /// Option tags supported (a Require naming others gets 420 with Unsupported).
    pub extensions: Vec<String>,
}

impl Default for UasProfile {
    /// medianode's control plane: calls, registration, presence, REFER, text messages.
    fn default() -> Self {
        let strings = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect();
        UasProfile {
            methods: strings(&[
                "INVITE",
                "ACK",
                "BYE",
                "CANCEL",
                "OPTIONS",
                "REGISTER",
                "SUBSCRIBE",
                "NOTIFY",
                "REFER",
                "MESSAGE",
                "INFO",
            ]),
            content_types: strings(&[
                "application/sdp",
                "text/plain",
                "message/sipfrag",
                "application/pidf+xml",
            ]),
            extensions: Vec::new(),
        }
    }
}

/// A To tag derived from the request's identity (FNV-1a over Call-ID, From, CSeq, Via).
fn stateless_tag(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// The headers an error response copies, read leniently from a possibly broken request.
#[derive(Default)]
struct EchoedHeaders {
    method: String,
    vias: Vec<String>,
    from: Option<String>,
    to: Option<String>,
    call_id: Option<String>,
    cseq: Option<String>,
}

fn read_leniently(request: &[u8]) -> Option<EchoedHeaders> {
    let head_len = request
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(request.len(), |i| i + 2);
    let head = String::from_utf8_lossy(request.get(..head_len).unwrap_or(request));
    let mut lines: Vec<String> = Vec::new();
    for line in head.trim_start_matches("\r\n").split("\r\n") {
        match lines.last_mut() {
            Some(last) if line.starts_with([' ', '\t']) => {
                last.push(' ');
                last.push_str(line.trim_start());
            }
            _ => lines.push(line.to_string()),
        }
    }
    let mut lines = lines.into_iter();
    let start = lines.next()?;
    if start
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("SIP/"))
    {
        return None;
    }
    let mut echoed = EchoedHeaders {
        method: start.split(' ').next().unwrap_or("").to_string(),
        ..EchoedHeaders::default()
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim().to_string();
        match KnownHeader::from_name(name.trim_end()) {
            Some(KnownHeader::Via) => echoed.vias.push(value),
            Some(KnownHeader::From) => echoed.from = echoed.from.or(Some(value)),
            Some(KnownHeader::To) => echoed.to = echoed.to.or(Some(value)),
            Some(KnownHeader::CallId) => echoed.call_id = echoed.call_id.or(Some(value)),
            Some(KnownHeader::CSeq) => echoed.cseq = echoed.cseq.or(Some(value)),
            _ => {}
        }
    }
    Some(echoed)
}

/// Builds a stateless error response to the request whose bytes (at least its header
/// section) are `request`, reading its headers leniently. `None` when `request` is a
/// response or an ACK, or lacks the Via or CSeq a response must carry to be matched.
pub fn error_response(
    request: &[u8],
    status: u16,
    reason: &str,
    detail: &str,
) -> Option<ErrorResponse> {
    let echoed = read_leniently(request)?;
    if echoed.method == "ACK" || echoed.vias.is_empty() {
        return None;
    }
    let cseq = echoed.cseq.as_deref()?;
    let call_id = echoed.call_id.as_deref().unwrap_or("");
    let top_via = echoed.vias.first().map_or("", String::as_str);
    let mut bytes = Vec::new();
    let mut w = MessageWriter::response(&mut bytes, status, reason);
    for via in &echoed.vias {
        w.known(KnownHeader::Via, via);
    }
    if let Some(from) = &echoed.from {
        w.known(KnownHeader::From, from);
    }
    if let Some(to) = &echoed.to {
        if to.to_ascii_lowercase().contains("tag=") {
            w.known(KnownHeader::To, to);
        } else {
            let tag =
                stateless_tag(&[call_id, echoed.from.as_deref().unwrap_or(""), cseq, top_via]);
            w.known(KnownHeader::To, format_args!("{to};tag={tag}"));
        }
    }
    if let Some(call_id) = &echoed.call_id {
        w.known(KnownHeader::CallId, call_id);
    }
    w.known(KnownHeader::CSeq, cseq);
    if !detail.is_empty() {
        let quoted: String = detail
            .chars()
            .map(|c| if matches!(c, '"' | '\\') { '\'' } else { c })
            .collect();
        w.known(
            KnownHeader::Warning,
            format_args!("399 medianode \"{quoted}\""),
        );
    }
    w.finish(b"");
    Some(ErrorResponse { status, bytes })
}

/// The answer to a datagram that failed [`Message::new_checked`]: `None` when it parses, is
/// a response, or cannot be answered. This is what the transport calls on bad input.
pub fn response_to_malformed(datagram: &[u8]) -> Option<ErrorResponse> {
    let error = Message::new_checked(datagram).err()?;
    answer_parse_error(datagram, &error)
}

fn answer_parse_error(datagram: &[u8], error: &ParseError) -> Option<ErrorResponse> {
    error_response(
        datagram,
        error.status(),
        error.reason_phrase(),
        &error.to_string(),
    )
}

fn reject<T: AsRef<[u8]>>(
    request: &Message<T>,
    status: u16,
    reason: &str,
    extra: impl FnOnce(&mut MessageWriter<'_>),
) -> ErrorResponse {
    let via = request.header(KnownHeader::Via).unwrap_or("");
    let cseq = request.header(KnownHeader::CSeq).unwrap_or("");
    let from = request.header(KnownHeader::From).unwrap_or("");
    let tag = stateless_tag(&[request.call_id(), from, cseq, via]);
    let mut bytes = Vec::new();
    let mut w = response_for(request, status, reason, Some(&tag), &mut bytes);
    extra(&mut w);
    w.finish(b"");
    ErrorResponse { status, bytes }
}

/// The RFC 3261 sec. 8.2 checks a UAS makes of a well-formed request before processing
/// it: method (501), Request-URI scheme (416), Require (420), body type (415), plus the
/// registrar's AOR check (400, RFC 4475 unksm2) and an INVITE whose Accept excludes SDP
/// (406, RFC 4475 sdp01). `None` means go ahead; ACK is never answered.
pub fn screen_request<T: AsRef<[u8]>>(
    request: &Message<T>,
    profile: &UasProfile,
) -> Option<ErrorResponse> {
    let method = request.method();
    if !request.is_request() || method == Method::Ack {
        return None;
    }
    if !profile.methods.iter().any(|m| m == method.as_str()) {
        return Some(reject(request, 501, "Not Implemented", |w| {
            w.known(KnownHeader::Allow, profile.methods.join(", "));
        }));
    }
    if !request.request_uri().is_some_and(|u| u.is_sip()) {
        return Some(reject(request, 416, "Unsupported URI Scheme", |_| {}));
    }
    if method != Method::Cancel {
        let unsupported: Vec<&str> = request
            .require()
            .filter(|tag| {
                !profile
                    .extensions
                    .iter()
                    .any(|e| e.eq_ignore_ascii_case(tag))
            })
            .collect();
        if !unsupported.is_empty() {
            return Some(reject(request, 420, "Bad Extension", |w| {
                w.known(KnownHeader::Unsupported, unsupported.join(", "));
            }));
        }
    }
    if !request.body().is_empty() {
        let understood = request.content_type().is_some_and(|t| {
            profile
                .content_types
                .iter()
                .any(|c| c.split_once('/').is_some_and(|(main, sub)| t.is(main, sub)))
        });
        let encoded = request
            .list_items(KnownHeader::ContentEncoding)
            .any(|e| !e.eq_ignore_ascii_case("identity"));
        if !understood || encoded {
            return Some(reject(request, 415, "Unsupported Media Type", |w| {
                w.known(KnownHeader::Accept, profile.content_types.join(", "));
                w.known(KnownHeader::AcceptEncoding, "identity");
            }));
        }
    }
    if method == Method::Register {
        let sip_aor =
            |a: Option<crate::sip::header::NameAddr<'_>>| a.is_some_and(|a| a.uri().is_sip());
        if !sip_aor(request.to()) || !sip_aor(request.from()) {
            return Some(reject(request, 400, "Bad Request", |w| {
                w.known(
                    KnownHeader::Warning,
                    "399 medianode \"To and From of REGISTER must be SIP or SIPS URIs\"",
                );
            }));
        }
    }
    if method == Method::Invite
        && request.header(KnownHeader::Accept).is_some()
        && !request
            .accept()
            .any(|range| range.covers("application", "sdp"))
    {
        return Some(reject(request, 406, "Not Acceptable", |w| {
            w.known(
                KnownHeader::Warning,
                "399 medianode \"answers are application/sdp\"",
            );
        }));
    }
    None
}

/// Sorts one received datagram into accept, reject or drop.
pub fn admit<'a>(datagram: &'a [u8], profile: &UasProfile) -> Admission<'a> {
    match Message::new_checked(datagram) {
        Ok(message) => match screen_request(&message, profile) {
            Some(rejection) => Admission::Reject(rejection),
            None => Admission::Accept(message),
        },
        Err(error) => match answer_parse_error(datagram, &error) {
            Some(rejection) => Admission::Reject(rejection),
            None => Admission::Drop(error),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stateless_tags_are_stable_and_distinct() {
        assert_eq!(stateless_tag(&["a", "b"]), stateless_tag(&["a", "b"]));
        assert_ne!(stateless_tag(&["ab", ""]), stateless_tag(&["a", "b"]));
    }

    #[test]
    fn no_answer_without_via_or_for_ack() {
        assert!(error_response(
            b"OPTIONS sip:a SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n",
            400,
            "Bad Request",
            ""
        )
        .is_none());
        assert!(error_response(
            b"ACK sip:a SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nCSeq: 1 ACK\r\n\r\n",
            400,
            "Bad Request",
            ""
        )
        .is_none());
        assert!(error_response(
            b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\nCSeq: 1 ACK\r\n\r\n",
            400,
            "Bad Request",
            ""
        )
        .is_none());
        let r = error_response(
            b"OPTIONS sip:a SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCSeq: 1 OPTIONS\r\n\r\n",
            400,
            "Bad Request",
            "say \"why\"",
        )
        .unwrap();
        let m = Message::new_checked(r.bytes.as_slice());
        assert!(
            m.is_err(),
            "no From/To/Call-ID: the echo is partial by design"
        );
        let text = String::from_utf8(r.bytes).unwrap();
        assert!(
            text.starts_with("SIP/2.0 400 Bad Request\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n")
        );
        assert!(text.contains("Warning: 399 medianode \"say 'why'\"\r\n"));
    }
}
