//! Authentication headers: Authorization, Proxy-Authorization, WWW-Authenticate and
//! Proxy-Authenticate (RFC 3261 sec. 25.1): `auth-scheme LWS auth-param *(COMMA auth-param)`.
//!
//! Any scheme parses (RFC 4475 regaut01 uses one nobody knows); the digest module reads
//! the `Digest` parameters.

use std::borrow::Cow;

use super::HeaderError;
use crate::sip::syntax::{is_token_char, unquote, Cursor};

/// Characters of an unquoted auth-param value. The grammar says token; URIs and times that
/// clients leave unquoted are accepted as well.
fn is_auth_value_char(b: u8) -> bool {
    is_token_char(b) || matches!(b, b':' | b'/' | b'@' | b'[' | b']')
}

/// One `name=value` of an authentication header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthParam<'a> {
    /// The parameter name as written.
    pub name: &'a str,
    /// The value; for a quoted string, the content between the quotes with escapes kept.
    pub value: &'a str,
    /// True when the value was quoted.
    pub quoted: bool,
}

impl<'a> AuthParam<'a> {
    /// The value with quoted-pair escapes removed.
    pub fn value_unquoted(&self) -> Cow<'a, str> {
        if self.quoted {
            unquote(self.value)
        } else {
            Cow::Borrowed(self.value)
        }
    }
}

/// A credentials or challenge value: its scheme and parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthHeader<'a> {
    scheme: &'a str,
    params: &'a str,
}

fn read_param<'a>(c: &mut Cursor<'a>) -> Option<AuthParam<'a>> {
    let name = c.token()?;
    if !c.eat_separator(b'=') {
        return None;
    }
    if c.peek() == Some(b'"') {
        let value = c.quoted_string()?;
        return Some(AuthParam {
            name,
            value,
            quoted: true,
        });
    }
    let value = c.take_while(is_auth_value_char);
    (!value.is_empty()).then_some(AuthParam {
        name,
        value,
        quoted: false,
    })
}

impl<'a> AuthHeader<'a> {
    /// Parses a whole header value.
    pub(crate) fn parse(text: &'a str) -> Result<Self, HeaderError> {
        let mut c = Cursor::new(text);
        c.skip_lws();
        let scheme = c.token().ok_or(HeaderError::BadToken)?;
        if !c.skip_lws() {
            return Err(HeaderError::BadAuthParams);
        }
        let start = c.pos();
        loop {
            read_param(&mut c).ok_or(HeaderError::BadAuthParams)?;
            if !c.eat_separator(b',') {
                break;
            }
        }
        let end = c.pos();
        c.skip_lws();
        if !c.at_end() {
            return Err(HeaderError::TrailingCharacters);
        }
        Ok(AuthHeader {
            scheme,
            params: c.slice(start, end),
        })
    }

    /// The scheme (`Digest`); compare case-insensitively.
    pub fn scheme(&self) -> &'a str {
        self.scheme
    }

    /// True for the Digest scheme.
    pub fn is_digest(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("Digest")
    }

    /// The parameters in order.
    pub fn params(&self) -> impl Iterator<Item = AuthParam<'a>> {
        let mut c = Cursor::new(self.params);
        let mut first = true;
        core::iter::from_fn(move || {
            if !first && !c.eat_separator(b',') {
                return None;
            }
            first = false;
            read_param(&mut c)
        })
    }

    /// Looks a parameter up by name, case-insensitively.
    pub fn param(&self, name: &str) -> Option<AuthParam<'a>> {
        self.params().find(|p| p.name.eq_ignore_ascii_case(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_and_unknown_schemes() {
        let h = AuthHeader::parse(
            "Digest username=\"Mufasa\",\r\n realm=\"testrealm@host.com\", nc=00000001, qop=auth,\r\n uri=\"sip:a@b\"",
        )
        .unwrap();
        assert!(h.is_digest());
        assert_eq!(h.params().count(), 5);
        assert_eq!(h.param("USERNAME").map(|p| p.value), Some("Mufasa"));
        assert_eq!(h.param("nc").map(|p| p.quoted), Some(false));
        let other = AuthHeader::parse("NoOneKnowsThisScheme opaque-data=here").unwrap();
        assert_eq!(other.scheme(), "NoOneKnowsThisScheme");
        assert_eq!(other.param("opaque-data").map(|p| p.value), Some("here"));
    }

    #[test]
    fn malformed_auth() {
        assert_eq!(
            AuthHeader::parse("Digest").err(),
            Some(HeaderError::BadAuthParams)
        );
        assert_eq!(
            AuthHeader::parse("Digest a").err(),
            Some(HeaderError::BadAuthParams)
        );
        assert_eq!(
            AuthHeader::parse("Digest a=\"x").err(),
            Some(HeaderError::BadAuthParams)
        );
        assert_eq!(
            AuthHeader::parse("Digest a=b,").err(),
            Some(HeaderError::BadAuthParams)
        );
    }
}
