//! The message parser: start line, header lines with their folds, the grammar of every
//! known header, the rules that span headers (mandatory ones, single-valued ones, CSeq
//! against the method), and body framing by Content-Length.
//!
//! Datagram rules (RFC 3261 sec. 18.3): bytes after Content-Length are ignored (RFC 4475
//! dblreq); a Content-Length beyond the datagram is an error (clerr); without Content-Length
//! the body is the rest of the datagram (inv2543). A stream deframer cuts messages first and
//! hands each one here whole, so the same rules serve both transports.

use super::layout::{HeaderSpans, Layout, Span, StartSpans};
use super::ParseError;
use crate::sip::header::{self, parse_content_length, CSeq, KnownHeader};
use crate::sip::syntax::is_token;
use crate::sip::uri::Uri;

/// Messages must stay below this size so every offset fits a `u32` span.
pub(crate) const MAX_MESSAGE_LEN: usize = (u32::MAX - 1) as usize;

/// Headers a request and a response must both carry (RFC 3261 sec. 8.1.1).
const MANDATORY: [KnownHeader; 5] = [
    KnownHeader::To,
    KnownHeader::From,
    KnownHeader::CallId,
    KnownHeader::CSeq,
    KnownHeader::Via,
];

fn bit(h: KnownHeader) -> u64 {
    1u64 << (h as u64 & 63)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `SIP/1*DIGIT.1*DIGIT`, any letter case.
fn looks_like_version(text: &str) -> bool {
    let Some(prefix) = text.get(..4) else {
        return false;
    };
    let Some((major, minor)) = text.get(4..).and_then(|v| v.split_once('.')) else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    prefix.eq_ignore_ascii_case("SIP/") && digits(major) && digits(minor)
}

fn check_version(text: &str, otherwise: ParseError) -> Result<(), ParseError> {
    if text.eq_ignore_ascii_case("SIP/2.0") {
        Ok(())
    } else if looks_like_version(text) {
        Err(ParseError::VersionNotSupported)
    } else {
        Err(otherwise)
    }
}

/// Parses the start line found at byte `at` of the buffer.
fn parse_start_line(line: &str, at: usize) -> Result<StartSpans, ParseError> {
    let is_response = line
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("SIP/"));
    if is_response {
        let (version, rest) = line.split_once(' ').ok_or(ParseError::BadStatusLine)?;
        check_version(version, ParseError::BadStatusLine)?;
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        let code = match code.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|d| d.is_ascii_digit()) => {
                u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0')
            }
            _ => return Err(ParseError::BadStatusCode),
        };
        if !(100..=699).contains(&code) {
            return Err(ParseError::BadStatusCode);
        }
        if reason
            .bytes()
            .any(|b| (b < 0x20 && b != b'\t') || b == 0x7f)
        {
            return Err(ParseError::BadStatusLine);
        }
        let reason_start = at + line.len() - reason.len();
        return Ok(StartSpans::Response {
            code,
            reason: Span::new(reason_start, at + line.len()),
        });
    }
    let (method, rest) = line.split_once(' ').ok_or(ParseError::BadRequestLine)?;
    let (uri, version) = rest.split_once(' ').ok_or(ParseError::BadRequestLine)?;
    check_version(version, ParseError::BadRequestLine)?;
    if !is_token(method) || uri.is_empty() {
        return Err(ParseError::BadRequestLine);
    }
    match Uri::parse(uri) {
        Err(e) => return Err(ParseError::BadRequestUri(e)),
        Ok(Uri::Sip(sip)) if sip.headers_str().is_some() => {
            return Err(ParseError::RequestUriHeaders)
        }
        Ok(_) => {}
    }
    let uri_start = at + method.len() + 1;
    Ok(StartSpans::Request {
        method: Span::new(at, at + method.len()),
        uri: Span::new(uri_start, uri_start + uri.len()),
    })
}

/// A header line seen but not yet checked (its continuation lines may follow).
struct PendingHeader {
    name: Span,
    value_start: usize,
    value_end: usize,
}

/// Everything the header pass collects.
#[derive(Default)]
struct HeaderPass {
    headers: Vec<HeaderSpans>,
    seen: u64,
    call_id: Span,
    cseq: Option<(u32, Span)>,
    content_length: Option<usize>,
}

impl HeaderPass {
    fn finish(&mut self, buf: &[u8], pending: PendingHeader) -> Result<(), ParseError> {
        let text = |span: Span| {
            buf.get(span.range())
                .and_then(|b| core::str::from_utf8(b).ok())
                .unwrap_or("")
        };
        let bytes_at = |i: usize| buf.get(i).copied().unwrap_or(b'x');
        let (mut start, mut end) = (pending.value_start, pending.value_end);
        while start < end && matches!(bytes_at(start), b' ' | b'\t' | b'\r' | b'\n') {
            start += 1;
        }
        while end > start && matches!(bytes_at(end - 1), b' ' | b'\t') {
            end -= 1;
        }
        let value = Span::new(start, end);
        let known = KnownHeader::from_name(text(pending.name));
        if let Some(h) = known {
            if h.is_single_valued() && self.seen & bit(h) != 0 {
                return Err(ParseError::DuplicateHeader(h));
            }
            self.seen |= bit(h);
            let value_text = text(value);
            header::validate(h, value_text)
                .map_err(|error| ParseError::BadHeader { header: h, error })?;
            match h {
                KnownHeader::CallId => self.call_id = value,
                KnownHeader::CSeq => {
                    let cseq = CSeq::parse(value_text)
                        .map_err(|error| ParseError::BadHeader { header: h, error })?;
                    let method_len = cseq.method.as_str().len();
                    self.cseq = Some((cseq.number, Span::new(end.saturating_sub(method_len), end)));
                }
                KnownHeader::ContentLength => {
                    self.content_length = parse_content_length(value_text).ok();
                }
                _ => {}
            }
        }
        self.headers.push(HeaderSpans {
            known,
            name: pending.name,
            value,
        });
        Ok(())
    }
}

/// Parses and checks a whole message held in `buf`.
pub(crate) fn parse(buf: &[u8]) -> Result<Layout, ParseError> {
    if buf.len() > MAX_MESSAGE_LEN {
        return Err(ParseError::TooLarge);
    }
    let mut first = 0;
    while buf.get(first..first + 2) == Some(b"\r\n".as_slice()) {
        first += 2;
    }
    let rest = buf.get(first..).unwrap_or(&[]);
    if rest.is_empty() {
        return Err(ParseError::Empty);
    }
    let (head_end, body_start) = match find(rest, b"\r\n\r\n") {
        Some(i) => (first + i + 2, first + i + 4),
        None if rest.ends_with(b"\r\n") => (buf.len(), buf.len()),
        None => return Err(ParseError::Truncated),
    };
    let head = buf
        .get(first..head_end)
        .and_then(|h| core::str::from_utf8(h).ok())
        .ok_or(ParseError::HeadNotUtf8)?;

    let mut lines = head.split_terminator("\r\n");
    let mut at = first;
    let start_line = lines.next().ok_or(ParseError::Empty)?;
    let start = parse_start_line(start_line, at)?;
    at += start_line.len() + 2;

    let mut pass = HeaderPass::default();
    let mut pending: Option<PendingHeader> = None;
    for line in lines {
        let line_start = at;
        at += line.len() + 2;
        if line.contains(['\r', '\n']) {
            return Err(ParseError::BadHeaderLine);
        }
        if line.starts_with([' ', '\t']) {
            let p = pending.as_mut().ok_or(ParseError::BadHeaderLine)?;
            p.value_end = line_start + line.len();
            continue;
        }
        if let Some(p) = pending.take() {
            pass.finish(buf, p)?;
        }
        let colon = line.find(':').ok_or(ParseError::BadHeaderLine)?;
        let name = line
            .get(..colon)
            .unwrap_or("")
            .trim_end_matches([' ', '\t']);
        if !is_token(name) {
            return Err(ParseError::BadHeaderLine);
        }
        pending = Some(PendingHeader {
            name: Span::new(line_start, line_start + name.len()),
            value_start: line_start + colon + 1,
            value_end: line_start + line.len(),
        });
    }
    if let Some(p) = pending.take() {
        pass.finish(buf, p)?;
    }

    if let Some(missing) = MANDATORY.iter().find(|h| pass.seen & bit(**h) == 0) {
        return Err(ParseError::MissingHeader(*missing));
    }
    let (cseq_number, cseq_method) = pass
        .cseq
        .ok_or(ParseError::MissingHeader(KnownHeader::CSeq))?;
    if let StartSpans::Request { method, .. } = &start {
        if buf.get(method.range()) != buf.get(cseq_method.range()) {
            return Err(ParseError::CSeqMethodMismatch);
        }
    }
    let available = buf.len() - body_start.min(buf.len());
    let body = match pass.content_length {
        Some(declared) if declared > available => {
            return Err(ParseError::BodyTruncated {
                declared,
                available,
            })
        }
        Some(declared) => Span::new(body_start, body_start + declared),
        None => Span::new(body_start, buf.len()),
    };
    Ok(Layout {
        start,
        headers: pass.headers,
        body,
        call_id: pass.call_id,
        cseq_number,
        cseq_method,
    })
}
