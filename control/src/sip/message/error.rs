//! Why a SIP message was rejected, and the response status each reason maps to.

use core::fmt;

use crate::sip::header::{HeaderError, KnownHeader};
use crate::sip::uri::UriError;

/// A reason a message failed its checks. For a request, [`ParseError::status`] is the
/// response to send (RFC 3261 sec. 21, RFC 4475); a malformed response is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// Nothing but line ends.
    Empty,
    /// Larger than a message may be.
    TooLarge,
    /// The header section does not end (no empty line, no final CRLF).
    Truncated,
    /// The start line or a header holds bytes that are not UTF-8.
    HeadNotUtf8,
    /// The request line is not `Method SP Request-URI SP SIP-Version` with single spaces
    /// (RFC 4475 lwsstart, trws, lwsruri).
    BadRequestLine,
    /// The status line is not `SIP-Version SP Status-Code SP Reason-Phrase`.
    BadStatusLine,
    /// A SIP version other than 2.0 (RFC 4475 badvers).
    VersionNotSupported,
    /// A status code outside 100..=699 (RFC 4475 bigcode).
    BadStatusCode,
    /// The Request-URI is malformed (RFC 4475 ltgtruri).
    BadRequestUri(UriError),
    /// The Request-URI carries escaped headers, which it may not (RFC 4475 escruri).
    RequestUriHeaders,
    /// A header line without a colon, with an illegal name, or with a bare CR or LF.
    BadHeaderLine,
    /// A known header whose value breaks its grammar.
    BadHeader {
        /// The header.
        header: KnownHeader,
        /// What is wrong with it.
        error: HeaderError,
    },
    /// A single-valued header appears more than once (RFC 4475 multi01, mcl01).
    DuplicateHeader(KnownHeader),
    /// A mandatory header is missing (RFC 4475 insuf).
    MissingHeader(KnownHeader),
    /// The CSeq method differs from the request method (RFC 4475 mismatch01/02).
    CSeqMethodMismatch,
    /// Content-Length announces more bytes than the datagram holds (RFC 4475 clerr).
    BodyTruncated {
        /// The announced length.
        declared: usize,
        /// The bytes present after the header section.
        available: usize,
    },
}

impl ParseError {
    /// The status a server answers a malformed request with.
    pub fn status(&self) -> u16 {
        match self {
            ParseError::VersionNotSupported => 505,
            ParseError::TooLarge => 513,
            _ => 400,
        }
    }

    /// The standard reason phrase for [`ParseError::status`].
    pub fn reason_phrase(&self) -> &'static str {
        match self.status() {
            505 => "Version Not Supported",
            513 => "Message Too Large",
            _ => "Bad Request",
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty message"),
            Self::TooLarge => f.write_str("message too large"),
            Self::Truncated => f.write_str("header section does not end"),
            Self::HeadNotUtf8 => f.write_str("start line or headers not UTF-8"),
            Self::BadRequestLine => f.write_str("malformed request line"),
            Self::BadStatusLine => f.write_str("malformed status line"),
            Self::VersionNotSupported => f.write_str("SIP version not supported"),
            Self::BadStatusCode => f.write_str("status code out of range"),
            Self::BadRequestUri(e) => write!(f, "malformed Request-URI: {e}"),
            Self::RequestUriHeaders => f.write_str("Request-URI carries escaped headers"),
            Self::BadHeaderLine => f.write_str("malformed header line"),
            Self::BadHeader { header, error } => write!(f, "malformed {header}: {error}"),
            Self::DuplicateHeader(h) => write!(f, "more than one {h}"),
            Self::MissingHeader(h) => write!(f, "missing {h}"),
            Self::CSeqMethodMismatch => f.write_str("CSeq method differs from request method"),
            Self::BodyTruncated {
                declared,
                available,
            } => write!(f, "Content-Length {declared} but {available} bytes of body"),
        }
    }
}

impl std::error::Error for ParseError {}
