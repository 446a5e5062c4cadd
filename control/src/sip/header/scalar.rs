//! The small single-value headers: CSeq, Call-ID, Max-Forwards, Content-Length, Expires,
//! and token lists (Allow, Supported, Require, Proxy-Require, Unsupported).
//!
//! Ranges follow RFC 3261 and RFC 4475 sec. 3.1.2.4: a CSeq number must be below 2**31,
//! Max-Forwards at most 255; an oversized Expires is malformed and reads as 3600.

use super::{split_list, HeaderError};
use crate::sip::method::Method;
use crate::sip::syntax::{is_token, is_word_char, trim_lws, Cursor};

/// The CSeq header: sequence number and method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CSeq<'a> {
    /// The sequence number (below 2**31).
    pub number: u32,
    /// The method.
    pub method: Method<'a>,
}

/// Largest CSeq number RFC 3261 sec. 8.1.1.5 allows, plus one.
const CSEQ_LIMIT: u64 = 1 << 31;

/// Parses `1*DIGIT` with leading zeros allowed; `None` past `limit`.
fn parse_decimal(digits: &str, limit: u64) -> Result<u64, HeaderError> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HeaderError::BadNumber);
    }
    let mut value: u64 = 0;
    for b in digits.bytes() {
        value = value * 10 + u64::from(b - b'0');
        if value > limit {
            return Err(HeaderError::OutOfRange);
        }
    }
    Ok(value)
}

impl<'a> CSeq<'a> {
    /// Parses `1*DIGIT LWS Method`.
    pub(crate) fn parse(text: &'a str) -> Result<Self, HeaderError> {
        let mut c = Cursor::new(text);
        c.skip_lws();
        let digits = c.take_while(|b| b.is_ascii_digit());
        let number = parse_decimal(digits, CSEQ_LIMIT - 1)?;
        if !c.skip_lws() {
            return Err(HeaderError::BadToken);
        }
        let method = c.token().ok_or(HeaderError::BadToken)?;
        c.skip_lws();
        if !c.at_end() {
            return Err(HeaderError::TrailingCharacters);
        }
        Ok(CSeq {
            number: u32::try_from(number).map_err(|_| HeaderError::OutOfRange)?,
            method: Method::parse(method),
        })
    }
}

/// Validates `callid = word [ "@" word ]` and returns it trimmed.
pub(crate) fn parse_call_id(text: &str) -> Result<&str, HeaderError> {
    let id = trim_lws(text);
    let (left, right) = match id.split_once('@') {
        Some((l, r)) => (l, Some(r)),
        None => (id, None),
    };
    let word = |w: &str| !w.is_empty() && w.bytes().all(is_word_char);
    if word(left) && right.is_none_or(word) {
        Ok(id)
    } else {
        Err(HeaderError::BadCallId)
    }
}

/// Parses Max-Forwards: `1*DIGIT`, 0 to 255.
pub(crate) fn parse_max_forwards(text: &str) -> Result<u8, HeaderError> {
    let value = parse_decimal(trim_lws(text), 255)?;
    u8::try_from(value).map_err(|_| HeaderError::OutOfRange)
}

/// Parses Content-Length: `1*DIGIT` (RFC 4475 ncl: a sign is malformed).
pub(crate) fn parse_content_length(text: &str) -> Result<usize, HeaderError> {
    let value = parse_decimal(trim_lws(text), u64::from(u32::MAX))?;
    usize::try_from(value).map_err(|_| HeaderError::OutOfRange)
}

/// The value RFC 3261 sec. 20.19 and 10.2.1.1 give a malformed expiry.
pub const DEFAULT_EXPIRES: u32 = 3600;

/// Parses a `delta-seconds` expiry (the Expires header, a Contact `expires` parameter).
/// Digits are required; a value above 2**32-1 reads as [`DEFAULT_EXPIRES`].
pub(crate) fn parse_delta_seconds(text: &str) -> Result<u32, HeaderError> {
    match parse_decimal(trim_lws(text), u64::from(u32::MAX)) {
        Ok(v) => Ok(u32::try_from(v).unwrap_or(DEFAULT_EXPIRES)),
        Err(HeaderError::OutOfRange) => Ok(DEFAULT_EXPIRES),
        Err(e) => Err(e),
    }
}

/// Validates a comma list of tokens; `allow_empty` for headers whose list may be empty.
pub(crate) fn validate_token_list(text: &str, allow_empty: bool) -> Result<(), HeaderError> {
    let mut count = 0;
    for item in split_list(text) {
        if item.is_empty() {
            return Err(HeaderError::EmptyListItem);
        }
        if !is_token(item) {
            return Err(HeaderError::BadToken);
        }
        count += 1;
    }
    if count == 0 && !allow_empty {
        return Err(HeaderError::Empty);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cseq_with_fold_and_leading_zeros() {
        assert_eq!(
            CSeq::parse("0009\r\n  INVITE"),
            Ok(CSeq {
                number: 9,
                method: Method::Invite
            })
        );
        assert_eq!(
            CSeq::parse("36893488147419103232 REGISTER").err(),
            Some(HeaderError::OutOfRange)
        );
        assert_eq!(
            CSeq::parse("2147483648 INVITE").err(),
            Some(HeaderError::OutOfRange)
        );
        assert!(CSeq::parse("2147483647 INVITE").is_ok());
        assert_eq!(CSeq::parse("INVITE").err(), Some(HeaderError::BadNumber));
        assert_eq!(CSeq::parse("1INVITE").err(), Some(HeaderError::BadToken));
    }

    #[test]
    fn call_ids() {
        assert_eq!(
            parse_call_id("intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"),
            Ok("intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{")
        );
        assert_eq!(
            parse_call_id("  transports.kijh4akdnaqjkwendsasfdj"),
            Ok("transports.kijh4akdnaqjkwendsasfdj")
        );
        assert_eq!(parse_call_id("a b"), Err(HeaderError::BadCallId));
        assert_eq!(parse_call_id("a@b@c"), Err(HeaderError::BadCallId));
        assert_eq!(parse_call_id(""), Err(HeaderError::BadCallId));
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_max_forwards("0068"), Ok(68));
        assert_eq!(parse_max_forwards("300"), Err(HeaderError::OutOfRange));
        assert_eq!(parse_content_length("-999"), Err(HeaderError::BadNumber));
        assert_eq!(parse_content_length("five"), Err(HeaderError::BadNumber));
        assert_eq!(parse_content_length(" 150 "), Ok(150));
        assert_eq!(parse_delta_seconds("280297596632815"), Ok(DEFAULT_EXPIRES));
        assert_eq!(parse_delta_seconds("4294967295"), Ok(u32::MAX));
        assert_eq!(parse_delta_seconds("x"), Err(HeaderError::BadNumber));
    }

    #[test]
    fn token_lists() {
        assert!(
            validate_token_list("nothingSupportsThis, nothingSupportsThisEither", false).is_ok()
        );
        assert_eq!(validate_token_list("", false), Err(HeaderError::Empty));
        assert!(validate_token_list("", true).is_ok());
        assert_eq!(
            validate_token_list("a,,b", true),
            Err(HeaderError::EmptyListItem)
        );
        assert_eq!(validate_token_list("a b", true), Err(HeaderError::BadToken));
    }
}
