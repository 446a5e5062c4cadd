//! URIs as SIP carries them: `sip:`/`sips:` with every component parsed, `tel:` numbers
//! (RFC 3966), and any other absolute URI kept opaque (RFC 3261 sec. 19.1, 25.1).
//!
//! Parsing borrows the text; nothing is unescaped until asked for, because `%` escapes are
//! part of a URI's identity and only the application knows when to decode them.

mod error;
mod escape;
mod host;
mod sip_uri;

#[cfg(test)]
mod tests;

use core::fmt;

pub use error::UriError;
pub use escape::{escape_user, unescape};
pub(crate) use host::split_hostport;
pub use host::Host;
pub(crate) use sip_uri::validate_uri_params;
pub use sip_uri::SipUri;

/// Any URI a SIP message may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uri<'a> {
    /// `sip:` or `sips:`.
    Sip(SipUri<'a>),
    /// `tel:` (RFC 3966).
    Tel(TelUri<'a>),
    /// Another absolute URI (`http:`, `urn:`, `im:` ...), kept opaque.
    Other(OtherUri<'a>),
}

/// A `tel:` URI: the number and its `;name=value` parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelUri<'a> {
    raw: &'a str,
    number: &'a str,
    params: &'a str,
}

/// An absolute URI of a scheme SIP does not interpret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtherUri<'a> {
    raw: &'a str,
    scheme: &'a str,
    rest: &'a str,
}

fn is_scheme(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// Characters an absolute URI may hold (`uric` of RFC 2396 plus the IPv6 brackets).
fn is_uric(b: u8) -> bool {
    crate::sip::syntax::is_unreserved(b)
        || matches!(
            b,
            b';' | b'/'
                | b'?'
                | b':'
                | b'@'
                | b'&'
                | b'='
                | b'+'
                | b'$'
                | b','
                | b'%'
                | b'['
                | b']'
                | b'#'
        )
}

impl<'a> Uri<'a> {
    /// Parses a complete URI.
    pub fn parse(text: &'a str) -> Result<Self, UriError> {
        if text
            .bytes()
            .any(|b| b <= b' ' || matches!(b, b'<' | b'>' | b'"' | 0x7f))
        {
            return Err(UriError::IllegalCharacter);
        }
        let (scheme, rest) = text.split_once(':').ok_or(UriError::BadScheme)?;
        if !is_scheme(scheme) {
            return Err(UriError::BadScheme);
        }
        if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") {
            let secure = scheme.len() == 4;
            return SipUri::parse_after_scheme(text, rest, secure).map(Uri::Sip);
        }
        if !rest.bytes().all(|b| is_uric(b) || b >= 0x80) || !escape::escapes_are_valid(rest) {
            return Err(UriError::IllegalCharacter);
        }
        if scheme.eq_ignore_ascii_case("tel") {
            let (number, params) = rest.find(';').map_or((rest, ""), |i| rest.split_at(i));
            let number_ok = !number.is_empty()
                && number.bytes().all(|b| {
                    b.is_ascii_hexdigit()
                        || matches!(b, b'+' | b'*' | b'#' | b'-' | b'.' | b'(' | b')')
                });
            if !number_ok {
                return Err(UriError::BadTelephoneNumber);
            }
            validate_uri_params(params)?;
            return Ok(Uri::Tel(TelUri {
                raw: text,
                number,
                params,
            }));
        }
        if rest.is_empty() {
            return Err(UriError::BadScheme);
        }
        Ok(Uri::Other(OtherUri {
            raw: text,
            scheme,
            rest,
        }))
    }

    /// The whole URI as written.
    pub fn as_str(&self) -> &'a str {
        match self {
            Uri::Sip(u) => u.as_str(),
            Uri::Tel(u) => u.raw,
            Uri::Other(u) => u.raw,
        }
    }

    /// The scheme as written (`sip`, `SIPS`, `tel`, `http` ...).
    pub fn scheme(&self) -> &'a str {
        self.as_str().split(':').next().unwrap_or("")
    }

    /// The SIP/SIPS URI, if that is what this is.
    pub fn as_sip(&self) -> Option<&SipUri<'a>> {
        match self {
            Uri::Sip(u) => Some(u),
            _ => None,
        }
    }

    /// True for `sip:` and `sips:`.
    pub fn is_sip(&self) -> bool {
        matches!(self, Uri::Sip(_))
    }
}

impl fmt::Display for Uri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'a> TelUri<'a> {
    /// The number, visual separators included (`+1-212-555-0101`).
    pub fn number(&self) -> &'a str {
        self.number
    }

    /// True for a global number (starts with `+`).
    pub fn is_global(&self) -> bool {
        self.number.starts_with('+')
    }

    /// The parameters in order, as `(name, value)`.
    pub fn params(&self) -> impl Iterator<Item = (&'a str, Option<&'a str>)> {
        self.params
            .split(';')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (p, None),
            })
    }
}

impl<'a> OtherUri<'a> {
    /// The scheme.
    pub fn scheme(&self) -> &'a str {
        self.scheme
    }

    /// Everything after `scheme:`.
    pub fn rest(&self) -> &'a str {
        self.rest
    }
}
