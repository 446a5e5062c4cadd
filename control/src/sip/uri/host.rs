//! The host of a SIP URI or Via sent-by: a domain name, an IPv4 address or a bracketed IPv6
//! reference (RFC 3261 sec. 25.1 `host`).

use core::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::UriError;

/// A parsed host. Domain names keep their original spelling; compare them case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host<'a> {
    /// A host name such as `example.com`.
    Domain(&'a str),
    /// A dotted-quad IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address, written `[...]` on the wire.
    Ipv6(Ipv6Addr),
}

impl<'a> Host<'a> {
    /// Parses `host` (an IPv6 address must carry its brackets).
    pub fn parse(text: &'a str) -> Result<Self, UriError> {
        if let Some(inner) = text.strip_prefix('[') {
            let inner = inner.strip_suffix(']').ok_or(UriError::BadHost)?;
            return inner.parse().map(Host::Ipv6).map_err(|_| UriError::BadHost);
        }
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return text.parse().map(Host::Ipv4).map_err(|_| UriError::BadHost);
        }
        if is_hostname(text) {
            Ok(Host::Domain(text))
        } else {
            Err(UriError::BadHost)
        }
    }

    /// The address when the host is a literal IP address.
    pub fn ip(&self) -> Option<IpAddr> {
        match *self {
            Host::Domain(_) => None,
            Host::Ipv4(a) => Some(IpAddr::V4(a)),
            Host::Ipv6(a) => Some(IpAddr::V6(a)),
        }
    }
}

impl fmt::Display for Host<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d),
            Host::Ipv4(a) => write!(f, "{a}"),
            Host::Ipv6(a) => write!(f, "[{a}]"),
        }
    }
}

/// `hostname = *( domainlabel "." ) toplabel [ "." ]`, labels of alphanumerics and inner
/// hyphens, the top label starting with a letter.
fn is_hostname(text: &str) -> bool {
    let body = text.strip_suffix('.').unwrap_or(text);
    if body.is_empty() {
        return false;
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let mut labels = body.split('.').peekable();
    while let Some(label) = labels.next() {
        if !label_ok(label) {
            return false;
        }
        if labels.peek().is_none() && !label.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return false;
        }
    }
    true
}

/// Splits `host[:port]` at the start of `text` (used by SIP URIs and Via sent-by); returns
/// the host text, the port and the number of bytes consumed.
pub(crate) fn split_hostport(text: &str) -> Result<(&str, Option<u16>, usize), UriError> {
    let host_len = if text.starts_with('[') {
        text.find(']').map(|i| i + 1).ok_or(UriError::BadHost)?
    } else {
        text.find([':', ';', '?', ' ', '\t', '\r', ',', '>'])
            .unwrap_or(text.len())
    };
    let host = text.get(..host_len).unwrap_or("");
    let rest = text.get(host_len..).unwrap_or("");
    if let Some(after_colon) = rest.strip_prefix(':') {
        let digits = after_colon.bytes().take_while(u8::is_ascii_digit).count();
        let port = after_colon
            .get(..digits)
            .filter(|d| !d.is_empty())
            .and_then(|d| d.parse::<u16>().ok())
            .ok_or(UriError::BadPort)?;
        Ok((host, Some(port), host_len + 1 + digits))
    } else {
        Ok((host, None, host_len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_every_kind() {
        assert_eq!(
            Host::parse("example.com."),
            Ok(Host::Domain("example.com."))
        );
        assert_eq!(
            Host::parse("255.255.255.255"),
            Ok(Host::Ipv4(Ipv4Addr::BROADCAST))
        );
        assert_eq!(
            Host::parse("[2001:db8::1]").map(|h| h.to_string()),
            Ok("[2001:db8::1]".to_string())
        );
        assert_eq!(Host::parse("999.1.1.1"), Err(UriError::BadHost));
        assert_eq!(Host::parse("-bad.example"), Err(UriError::BadHost));
        assert_eq!(Host::parse("a b"), Err(UriError::BadHost));
        assert_eq!(Host::parse("[::1"), Err(UriError::BadHost));
    }

    #[test]
    fn hostport_split() {
        assert_eq!(
            split_hostport("h.example:5060;lr"),
            Ok(("h.example", Some(5060), 14))
        );
        assert_eq!(split_hostport("[::1]:5"), Ok(("[::1]", Some(5), 7)));
        assert_eq!(split_hostport("h:"), Err(UriError::BadPort));
        assert_eq!(split_hostport("h:70000"), Err(UriError::BadPort));
    }
}
