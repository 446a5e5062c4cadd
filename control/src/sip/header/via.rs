//! Via (RFC 3261 sec. 20.42, 18.2.1, RFC 3581): the path a request took, the branch that
//! names its transaction, and where the response goes.

use super::{HeaderError, Params};
use crate::sip::syntax::Cursor;
use crate::sip::uri::{split_hostport, Host};

/// The branch prefix that marks an RFC 3261 transaction identifier (sec. 8.1.1.7).
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// One Via value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via<'a> {
    protocol_name: &'a str,
    protocol_version: &'a str,
    transport: &'a str,
    sent_by: &'a str,
    host: Host<'a>,
    port: Option<u16>,
    params: Params<'a>,
}

impl<'a> Via<'a> {
    /// Parses one via-parm (already split out of a comma list).
    pub(crate) fn parse(text: &'a str) -> Result<Self, HeaderError> {
        let mut c = Cursor::new(text);
        c.skip_lws();
        let protocol_name = c.token().ok_or(HeaderError::BadSentProtocol)?;
        if !c.eat_separator(b'/') {
            return Err(HeaderError::BadSentProtocol);
        }
        let protocol_version = c.token().ok_or(HeaderError::BadSentProtocol)?;
        if !c.eat_separator(b'/') {
            return Err(HeaderError::BadSentProtocol);
        }
        let transport = c.token().ok_or(HeaderError::BadSentProtocol)?;
        if !c.skip_lws() {
            return Err(HeaderError::BadSentBy);
        }
        let (host_text, port, used) =
            split_hostport(c.rest()).map_err(|_| HeaderError::BadSentBy)?;
        let host = Host::parse(host_text).map_err(|_| HeaderError::BadSentBy)?;
        let sent_by = c.rest().get(..used).unwrap_or("");
        c.advance(used);
        let params = Params::parse(&mut c)?;
        c.skip_lws();
        if !c.at_end() {
            return Err(HeaderError::TrailingCharacters);
        }
        Ok(Via {
            protocol_name,
            protocol_version,
            transport,
            sent_by,
            host,
            port,
            params,
        })
    }

    /// `SIP` for every Via this crate accepts in practice.
    pub fn protocol_name(&self) -> &'a str {
        self.protocol_name
    }

    /// `2.0`.
    pub fn protocol_version(&self) -> &'a str {
        self.protocol_version
    }

    /// The transport token (`UDP`, `TCP`, `TLS`, `SCTP`, `WS` ... or an unknown one).
    pub fn transport(&self) -> &'a str {
        self.transport
    }

    /// `host[:port]` as written.
    pub fn sent_by(&self) -> &'a str {
        self.sent_by
    }

    /// The sent-by host.
    pub fn host(&self) -> Host<'a> {
        self.host
    }

    /// The sent-by port, if written.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The Via parameters.
    pub fn params(&self) -> Params<'a> {
        self.params
    }

    /// The `branch` parameter.
    pub fn branch(&self) -> Option<&'a str> {
        self.params.value("branch").flatten()
    }

    /// True when the branch starts with the RFC 3261 magic cookie and has an identifier
    /// after it (RFC 4475 badbranch has only the cookie: it falls back to RFC 2543 rules).
    pub fn has_rfc3261_branch(&self) -> bool {
        self.branch()
            .is_some_and(|b| b.len() > MAGIC_COOKIE.len() && b.starts_with(MAGIC_COOKIE))
    }

    /// The `received` parameter.
    pub fn received(&self) -> Option<&'a str> {
        self.params.value("received").flatten()
    }

    /// The `rport` parameter (RFC 3581): `Some(None)` when requested without a value.
    pub fn rport(&self) -> Option<Option<u16>> {
        self.params
            .value("rport")
            .map(|v| v.and_then(|p| p.parse().ok()))
    }

    /// The `maddr` parameter.
    pub fn maddr(&self) -> Option<&'a str> {
        self.params.value("maddr").flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tortuous_spacing_and_folding() {
        let v = Via::parse("SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw").unwrap();
        assert_eq!(
            (v.protocol_name(), v.protocol_version(), v.transport()),
            ("SIP", "2.0", "UDP")
        );
        assert_eq!(v.host(), Host::Ipv4("192.0.2.2".parse().unwrap()));
        assert_eq!(v.branch(), Some("390skdjuw"));
        assert!(!v.has_rfc3261_branch());
        let v = Via::parse(
            "SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8",
        )
        .unwrap();
        assert_eq!(v.sent_by(), "spindle.example.com");
        assert!(v.has_rfc3261_branch());
    }

    #[test]
    fn rport_received_and_ipv6() {
        let v = Via::parse(
            "SIP/2.0/UDP [2001:db8::9:1]:5070;branch=z9hG4bKx;rport;received=2001:db8::9:255",
        )
        .unwrap();
        assert_eq!(v.port(), Some(5070));
        assert_eq!(v.sent_by(), "[2001:db8::9:1]:5070");
        assert_eq!(v.rport(), Some(None));
        assert_eq!(v.received(), Some("2001:db8::9:255"));
        let v = Via::parse("SIP/2.0/UDP h;rport=5062").unwrap();
        assert_eq!(v.rport(), Some(Some(5062)));
    }

    #[test]
    fn malformed_vias() {
        assert_eq!(
            Via::parse("SIP/2.0/UDP 192.0.2.15;;").err(),
            Some(HeaderError::BadParameter)
        );
        assert_eq!(
            Via::parse("SIP/2.0 host").err(),
            Some(HeaderError::BadSentProtocol)
        );
        assert_eq!(
            Via::parse("SIP/2.0/UDP").err(),
            Some(HeaderError::BadSentBy)
        );
        assert_eq!(
            Via::parse("SIP/2.0/UDP host junk").err(),
            Some(HeaderError::TrailingCharacters)
        );
        assert!(!Via::parse("SIP/2.0/UDP h;branch=z9hG4bK")
            .unwrap()
            .has_rfc3261_branch());
    }
}
