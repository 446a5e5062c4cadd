//! Cutting SIP messages out of a byte stream (TCP, TLS): RFC 3261 sec. 18.3 framing by
//! Content-Length, RFC 5626 sec. 4.4.1 keep-alives, and limits so a peer cannot make the
//! server buffer without bound.
//!
//! Feed whatever the socket returned with [`StreamDeframer::push`] and call
//! [`StreamDeframer::next_frame`] until it returns `Ok(None)`. Partial reads are fine: a
//! message is returned only once its header section and its whole body have arrived. A
//! framing error is fatal for the connection (RFC 4475 ncl, mcl01: the stream can no longer
//! be cut reliably); [`StreamDeframer::failed_head`] gives the header section, if one was
//! complete, so the caller can answer it (see [`crate::sip::admission::error_response`])
//! before closing.

use core::fmt;

/// How much a connection may make the deframer hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FramingLimits {
    /// Longest header section (start line to the empty line), in bytes.
    pub max_head: usize,
    /// Largest Content-Length accepted, in bytes.
    pub max_body: usize,
}

impl Default for FramingLimits {
    fn default() -> Self {
        FramingLimits {
            max_head: 64 * 1024,
            max_body: 1024 * 1024,
        }
    }
}

/// What the stream carried next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// One complete message: header section and exactly Content-Length bytes of body. Parse
    /// it with [`crate::sip::Message::new_checked`].
    Message(&'a [u8]),
    /// A double CRLF keep-alive ping: answer with a single CRLF (RFC 5626 sec. 4.4.1).
    KeepAlivePing,
    /// A single CRLF (a pong, or padding before a message): nothing to do.
    KeepAlivePong,
}

/// Why the stream can no longer be framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FramingError {
    /// No empty line within [`FramingLimits::max_head`] bytes.
    HeadTooLarge,
    /// Content-Length above [`FramingLimits::max_body`]; carries the declared length.
    BodyTooLarge(usize),
    /// Content-Length is negative, not a number, or overflows (RFC 4475 ncl).
    BadContentLength,
    /// Two Content-Length headers (RFC 4475 mcl01).
    DuplicateContentLength,
}

impl FramingError {
    /// The status to answer with before closing the connection.
    pub fn status(&self) -> u16 {
        match self {
            FramingError::HeadTooLarge | FramingError::BodyTooLarge(_) => 513,
            _ => 400,
        }
    }
}

impl fmt::Display for FramingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HeadTooLarge => f.write_str("header section too large"),
            Self::BodyTooLarge(n) => write!(f, "Content-Length {n} too large"),
            Self::BadContentLength => f.write_str("malformed Content-Length"),
            Self::DuplicateContentLength => f.write_str("more than one Content-Length"),
        }
    }
}

impl std::error::Error for FramingError {}

/// Reassembles messages from one stream connection.
#[derive(Debug, Default)]
pub struct StreamDeframer {
    buf: Vec<u8>,
    consumed: usize,
    limits: FramingLimits,
    failed: Option<(FramingError, usize)>,
    /// Bytes of the current message already searched for its empty line, so a peer that
    /// trickles bytes does not make every push rescan the buffer.
    scanned: usize,
    /// The total length of the current message once its header section is known.
    pending: Option<usize>,
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Finds the Content-Length of a header section (the bytes before its empty line),
/// following folds; `Ok(None)` when there is none.
fn content_length(head: &[u8]) -> Result<Option<usize>, FramingError> {
    let mut found: Option<usize> = None;
    let mut lines = head.split(|&b| b == b'\n').peekable();
    lines.next();
    while let Some(line) = lines.next() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = line.get(..colon).unwrap_or(&[]);
        let name = name.trim_ascii_end();
        if !(name.eq_ignore_ascii_case(b"Content-Length") || name.eq_ignore_ascii_case(b"l")) {
            continue;
        }
        let mut digits: Vec<u8> = line.get(colon + 1..).unwrap_or(&[]).to_vec();
        while let Some(next) =
            lines.next_if(|l| l.first().is_some_and(|b| matches!(b, b' ' | b'\t')))
        {
            digits.extend_from_slice(next.strip_suffix(b"\r").unwrap_or(next));
        }
        let digits = digits.trim_ascii();
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return Err(FramingError::BadContentLength);
        }
        let mut value: usize = 0;
        for d in digits {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(usize::from(d - b'0')))
                .ok_or(FramingError::BadContentLength)?;
        }
        if found.replace(value).is_some() {
            return Err(FramingError::DuplicateContentLength);
        }
    }
    Ok(found)
}

impl StreamDeframer {
    /// A deframer with the given limits.
    pub fn new(limits: FramingLimits) -> Self {
        StreamDeframer {
            limits,
            ..Self::default()
        }
    }

    /// Appends bytes read from the stream.
    pub fn push(&mut self, data: &[u8]) {
        self.compact();
        self.buf.extend_from_slice(data);
    }

    /// Bytes held that do not yet form a frame.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.consumed.min(self.buf.len())
    }

    fn compact(&mut self) {
        if self.consumed > 0 {
            self.buf.drain(..self.consumed.min(self.buf.len()));
            self.consumed = 0;
        }
    }

    fn fail(&mut self, error: FramingError, head_len: usize) -> FramingError {
        self.failed = Some((error, head_len));
        error
    }

    /// The header section of the message that broke framing, when it was complete.
    pub fn failed_head(&self) -> Option<&[u8]> {
        let (_, head_len) = self.failed?;
        (head_len > 0).then(|| self.buf.get(..head_len)).flatten()
    }

    /// The next frame, `Ok(None)` if more bytes are needed. After an error every call
    /// returns the same error.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, FramingError> {
        if let Some((error, _)) = self.failed {
            return Err(error);
        }
        self.compact();
        if let Some(total) = self.pending {
            return Ok(self.take_message(total));
        }
        let data = self.buf.as_slice();
        if self.scanned == 0 && data == b"\r" {
            return Ok(None);
        }
        if self.scanned == 0 && data.starts_with(b"\r\n") {
            return Ok(match data {
                [b'\r', b'\n', b'\r', b'\n', ..] => {
                    self.consumed = 4;
                    Some(Frame::KeepAlivePing)
                }
                [_, _] | [_, _, b'\r'] => None,
                _ => {
                    self.consumed = 2;
                    Some(Frame::KeepAlivePong)
                }
            });
        }
        let from = self.scanned.saturating_sub(3);
        let found = data.get(from..).and_then(|rest| find(rest, b"\r\n\r\n"));
        let Some(blank) = found.map(|i| from + i) else {
            self.scanned = data.len();
            if data.len() > self.limits.max_head {
                return Err(self.fail(FramingError::HeadTooLarge, 0));
            }
            return Ok(None);
        };
        let head_len = blank + 4;
        if head_len > self.limits.max_head {
            return Err(self.fail(FramingError::HeadTooLarge, 0));
        }
        let declared = match content_length(data.get(..blank + 2).unwrap_or(&[])) {
            Ok(length) => length.unwrap_or(0),
            Err(e) => return Err(self.fail(e, head_len)),
        };
        if declared > self.limits.max_body {
            return Err(self.fail(FramingError::BodyTooLarge(declared), head_len));
        }
        self.pending = Some(head_len + declared);
        Ok(self.take_message(head_len + declared))
    }

    /// Hands out the current message once all `total` bytes are buffered.
    fn take_message(&mut self, total: usize) -> Option<Frame<'_>> {
        if self.buf.len() < total {
            return None;
        }
        self.consumed = total;
        self.scanned = 0;
        self.pending = None;
        self.buf.get(..total).map(Frame::Message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"MESSAGE sip:a@b SIP/2.0\r\nl: 5\r\n\r\nhello";

    #[derive(Debug, PartialEq)]
    enum Got {
        Message(Vec<u8>),
        Ping,
        Pong,
        Failed(FramingError),
    }

    fn frames(d: &mut StreamDeframer) -> Vec<Got> {
        let mut out = Vec::new();
        loop {
            match d.next_frame() {
                Ok(None) => return out,
                Ok(Some(Frame::Message(m))) => out.push(Got::Message(m.to_vec())),
                Ok(Some(Frame::KeepAlivePing)) => out.push(Got::Ping),
                Ok(Some(Frame::KeepAlivePong)) => out.push(Got::Pong),
                Err(e) => {
                    out.push(Got::Failed(e));
                    return out;
                }
            }
        }
    }

    #[test]
    fn one_byte_at_a_time() {
        let mut d = StreamDeframer::default();
        let mut got = Vec::new();
        let stream = [b"\r\n\r\n".as_slice(), MSG, b"\r\n", MSG].concat();
        for b in &stream {
            d.push(&[*b]);
            got.extend(frames(&mut d));
        }
        assert_eq!(
            got,
            [
                Got::Ping,
                Got::Message(MSG.to_vec()),
                Got::Pong,
                Got::Message(MSG.to_vec()),
            ]
        );
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn folded_content_length_and_missing_length() {
        let mut d = StreamDeframer::default();
        d.push(b"OPTIONS sip:a SIP/2.0\r\nContent-Length:\r\n 2\r\n\r\nokOPTIONS sip:a SIP/2.0\r\n\r\n");
        let got = frames(&mut d);
        assert_eq!(
            got,
            [
                Got::Message(b"OPTIONS sip:a SIP/2.0\r\nContent-Length:\r\n 2\r\n\r\nok".to_vec()),
                Got::Message(b"OPTIONS sip:a SIP/2.0\r\n\r\n".to_vec()),
            ]
        );
    }

    #[test]
    fn fatal_errors_keep_the_head() {
        let mut d = StreamDeframer::default();
        d.push(b"INVITE sip:a SIP/2.0\r\nContent-Length: -999\r\n\r\nbody");
        assert_eq!(d.next_frame(), Err(FramingError::BadContentLength));
        assert_eq!(d.next_frame(), Err(FramingError::BadContentLength));
        assert_eq!(
            d.failed_head(),
            Some(b"INVITE sip:a SIP/2.0\r\nContent-Length: -999\r\n\r\n".as_slice())
        );
        let mut d = StreamDeframer::default();
        d.push(b"OPTIONS sip:a SIP/2.0\r\nContent-Length: 13\r\nl: 5\r\n\r\n");
        assert_eq!(d.next_frame(), Err(FramingError::DuplicateContentLength));
        let mut d = StreamDeframer::default();
        d.push(b"OPTIONS sip:a SIP/2.0\r\nContent-Length: 99999999999999999999999\r\n\r\n");
        assert_eq!(d.next_frame(), Err(FramingError::BadContentLength));
    }

    #[test]
    fn limits() {
        let limits = FramingLimits {
            max_head: 64,
            max_body: 10,
        };
        let mut d = StreamDeframer::new(limits);
        d.push(&[b'a'; 65]);
        assert_eq!(d.next_frame(), Err(FramingError::HeadTooLarge));
        assert_eq!(d.failed_head(), None);
        let mut d = StreamDeframer::new(limits);
        d.push(b"OPTIONS sip:a SIP/2.0\r\nl: 11\r\n\r\n");
        assert_eq!(d.next_frame(), Err(FramingError::BodyTooLarge(11)));
        assert_eq!(FramingError::BodyTooLarge(11).status(), 513);
    }
}
