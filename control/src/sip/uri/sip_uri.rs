//! `sip:` and `sips:` URIs (RFC 3261 sec. 19.1): user, password, host, port, parameters
//! and headers, each a slice of the original text.

use std::borrow::Cow;

use super::escape::{escapes_are_valid, unescape};
use super::host::split_hostport;
use super::{Host, UriError};
use crate::sip::syntax::is_unreserved;

/// A parsed SIP or SIPS URI borrowing the text it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SipUri<'a> {
    raw: &'a str,
    secure: bool,
    user: Option<&'a str>,
    password: Option<&'a str>,
    host_text: &'a str,
    host: Host<'a>,
    port: Option<u16>,
    params: &'a str,
    headers: Option<&'a str>,
}

fn is_user_char(b: u8) -> bool {
    is_unreserved(b)
        || matches!(
            b,
            b'%' | b'&' | b'=' | b'+' | b'$' | b',' | b';' | b'?' | b'/'
        )
}

fn is_password_char(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'%' | b'&' | b'=' | b'+' | b'$' | b',')
}

fn is_param_char(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'%' | b'[' | b']' | b'/' | b':' | b'&' | b'+' | b'$')
}

fn is_header_char(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'%' | b'[' | b']' | b'/' | b'?' | b':' | b'+' | b'$')
}

fn all_valid(s: &str, pred: fn(u8) -> bool) -> bool {
    s.bytes().all(pred) && escapes_are_valid(s)
}

/// Validates `*( ";" pname [ "=" pvalue ] )`, the form URI parameters take.
pub(crate) fn validate_uri_params(params: &str) -> Result<(), UriError> {
    if params.is_empty() {
        return Ok(());
    }
    let body = params.strip_prefix(';').ok_or(UriError::BadParameter)?;
    for param in body.split(';') {
        let (name, value) = match param.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (param, None),
        };
        let value_ok = value.is_none_or(|v| !v.is_empty() && all_valid(v, is_param_char));
        if name.is_empty() || !all_valid(name, is_param_char) || !value_ok {
            return Err(UriError::BadParameter);
        }
    }
    Ok(())
}

impl<'a> SipUri<'a> {
    /// Parses the part after `sip:` / `sips:`; `raw` is the whole URI text.
    pub(crate) fn parse_after_scheme(
        raw: &'a str,
        rest: &'a str,
        secure: bool,
    ) -> Result<Self, UriError> {
        let (user, password, hostpart) = match rest.split_once('@') {
            Some((userinfo, after)) => {
                let (user, password) = match userinfo.split_once(':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (userinfo, None),
                };
                if user.is_empty() || !all_valid(user, is_user_char) {
                    return Err(UriError::BadUser);
                }
                if password.is_some_and(|p| !all_valid(p, is_password_char)) {
                    return Err(UriError::BadPassword);
                }
                (Some(user), password, after)
            }
            None => (None, None, rest),
        };
        let (host_text, port, used) = split_hostport(hostpart)?;
        let host = Host::parse(host_text)?;
        let tail = hostpart.get(used..).unwrap_or("");
        let (params, headers) = match tail.split_once('?') {
            Some((p, h)) => (p, Some(h)),
            None => (tail, None),
        };
        validate_uri_params(params)?;
        if let Some(h) = headers {
            let pair_ok = |pair: &str| match pair.split_once('=') {
                Some((n, v)) => {
                    !n.is_empty() && all_valid(n, is_header_char) && all_valid(v, is_header_char)
                }
                None => false,
            };
            if !h.split('&').all(pair_ok) {
                return Err(UriError::BadHeaders);
            }
        }
        Ok(SipUri {
            raw,
            secure,
            user,
            password,
            host_text,
            host,
            port,
            params,
            headers,
        })
    }

    /// The whole URI as written.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// True for `sips:`.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The user part, escapes left in place.
    pub fn user(&self) -> Option<&'a str> {
        self.user
    }

    /// The user part with `%HH` escapes decoded (bytes: it may hold NUL or non-UTF-8).
    pub fn user_unescaped(&self) -> Option<Cow<'a, [u8]>> {
        self.user.map(unescape)
    }

    /// The password, escapes left in place.
    pub fn password(&self) -> Option<&'a str> {
        self.password
    }

    /// The host.
    pub fn host(&self) -> Host<'a> {
        self.host
    }

    /// The host as written (IPv6 with brackets).
    pub fn host_str(&self) -> &'a str {
        self.host_text
    }

    /// The explicit port, if any.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The raw parameter text, starting with `;` (empty when there are none).
    pub fn params_str(&self) -> &'a str {
        self.params
    }

    /// The URI parameters in order, as `(name, value)`; names and values keep escapes.
    pub fn params(&self) -> impl Iterator<Item = (&'a str, Option<&'a str>)> {
        self.params
            .split(';')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (p, None),
            })
    }

    /// Looks a parameter up by name, case-insensitively: `Some(None)` for a flag parameter.
    pub fn param(&self, name: &str) -> Option<Option<&'a str>> {
        self.params()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// True when the URI carries the `lr` (loose routing) parameter.
    pub fn is_loose_route(&self) -> bool {
        self.param("lr").is_some()
    }

    /// The `transport` parameter, if any.
    pub fn transport(&self) -> Option<&'a str> {
        self.param("transport").flatten()
    }

    /// The raw header part after `?`, if any.
    pub fn headers_str(&self) -> Option<&'a str> {
        self.headers
    }

    /// The embedded headers as `(name, value)` pairs, escapes left in place.
    pub fn headers(&self) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.headers
            .into_iter()
            .flat_map(|h| h.split('&'))
            .filter_map(|pair| pair.split_once('='))
    }

    /// The URI without its header part: what a Request-URI built from it may hold.
    pub fn without_headers(&self) -> &'a str {
        match self.raw.find('?') {
            Some(q) if self.headers.is_some() => self.raw.get(..q).unwrap_or(self.raw),
            _ => self.raw,
        }
    }
}
