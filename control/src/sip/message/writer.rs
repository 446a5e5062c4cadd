//! Building messages into a caller's buffer: a start line, header lines, then Content-Length
//! and the body. Values are written as given except that CR and LF become spaces, so no
//! value (an echoed header, a display name from a database) can break the framing.

use core::fmt;
use std::io::Write;

use super::Message;
use crate::sip::header::KnownHeader;
use crate::sip::method::Method;

/// Appends one message to a byte vector.
#[derive(Debug)]
pub struct MessageWriter<'o> {
    out: &'o mut Vec<u8>,
}

/// Replaces CR and LF written since `from` with spaces.
fn defuse_line_ends(out: &mut [u8], from: usize) {
    if let Some(written) = out.get_mut(from..) {
        for b in written.iter_mut().filter(|b| matches!(**b, b'\r' | b'\n')) {
            *b = b' ';
        }
    }
}

impl<'o> MessageWriter<'o> {
    /// Starts a request: `Method SP Request-URI SP SIP/2.0`.
    pub fn request(out: &'o mut Vec<u8>, method: Method<'_>, uri: &str) -> Self {
        let from = out.len();
        let _ = write!(out, "{method} {uri} SIP/2.0");
        defuse_line_ends(out, from);
        out.extend_from_slice(b"\r\n");
        MessageWriter { out }
    }

    /// Starts a response: `SIP/2.0 SP Status-Code SP Reason-Phrase`.
    pub fn response(out: &'o mut Vec<u8>, code: u16, reason: &str) -> Self {
        let from = out.len();
        let _ = write!(out, "SIP/2.0 {code:03} {reason}");
        defuse_line_ends(out, from);
        out.extend_from_slice(b"\r\n");
        MessageWriter { out }
    }

    /// Appends a header line with any name.
    pub fn header(&mut self, name: &str, value: impl fmt::Display) -> &mut Self {
        let from = self.out.len();
        let _ = write!(self.out, "{name}: {value}");
        defuse_line_ends(self.out, from);
        self.out.extend_from_slice(b"\r\n");
        self
    }

    /// Appends a known header under its canonical name.
    pub fn known(&mut self, name: KnownHeader, value: impl fmt::Display) -> &mut Self {
        self.header(name.canonical(), value)
    }

    /// Ends the header section with Content-Length and appends `body`.
    pub fn finish(self, body: &[u8]) {
        let _ = write!(self.out, "Content-Length: {}\r\n\r\n", body.len());
        self.out.extend_from_slice(body);
    }

    /// Like [`MessageWriter::finish`], with a Content-Type line first.
    pub fn finish_with(mut self, content_type: &str, body: &[u8]) {
        self.known(KnownHeader::ContentType, content_type);
        self.finish(body);
    }
}

/// Starts a response to `request` (RFC 3261 sec. 8.2.6.2): copies Via, From, To, Call-ID
/// and CSeq, adds `to_tag` to To when the response is not 100 and To has no tag, and copies
/// Record-Route into responses that may create a dialog (sec. 12.1.1). Add further headers
/// and call [`MessageWriter::finish`].
pub fn response_for<'o, T: AsRef<[u8]>>(
    request: &Message<T>,
    code: u16,
    reason: &str,
    to_tag: Option<&str>,
    out: &'o mut Vec<u8>,
) -> MessageWriter<'o> {
    let mut w = MessageWriter::response(out, code, reason);
    for via in request.header_values(KnownHeader::Via) {
        w.known(KnownHeader::Via, via);
    }
    if let Some(from) = request.header(KnownHeader::From) {
        w.known(KnownHeader::From, from);
    }
    if let Some(to) = request.header(KnownHeader::To) {
        match to_tag {
            Some(tag) if code != 100 && request.to_tag().is_none() => {
                w.known(KnownHeader::To, format_args!("{to};tag={tag}"))
            }
            _ => w.known(KnownHeader::To, to),
        };
    }
    w.known(KnownHeader::CallId, request.call_id());
    let cseq = request.cseq();
    w.known(
        KnownHeader::CSeq,
        format_args!("{} {}", cseq.number, cseq.method),
    );
    let dialog_creating = matches!(request.method(), Method::Invite | Method::Subscribe);
    if dialog_creating && (101..300).contains(&code) {
        for rr in request.header_values(KnownHeader::RecordRoute) {
            w.known(KnownHeader::RecordRoute, rr);
        }
    }
    w
}
