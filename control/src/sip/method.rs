//! SIP request methods: the ones RFC 3261 and its extensions define, and any other token.
//! Methods are case-sensitive (RFC 3261 sec. 7.1): `invite` is an unknown method.

use core::fmt;

/// A request method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method<'a> {
    /// RFC 3261.
    Invite,
    /// RFC 3261.
    Ack,
    /// RFC 3261.
    Bye,
    /// RFC 3261.
    Cancel,
    /// RFC 3261.
    Options,
    /// RFC 3261.
    Register,
    /// RFC 6665.
    Subscribe,
    /// RFC 6665.
    Notify,
    /// RFC 3515.
    Refer,
    /// RFC 3428.
    Message,
    /// RFC 6086.
    Info,
    /// RFC 3262.
    Prack,
    /// RFC 3311.
    Update,
    /// RFC 3903.
    Publish,
    /// Any other method token, as written.
    Extension(&'a str),
}

const KNOWN: &[(Method<'static>, &str)] = &[
    (Method::Invite, "INVITE"),
    (Method::Ack, "ACK"),
    (Method::Bye, "BYE"),
    (Method::Cancel, "CANCEL"),
    (Method::Options, "OPTIONS"),
    (Method::Register, "REGISTER"),
    (Method::Subscribe, "SUBSCRIBE"),
    (Method::Notify, "NOTIFY"),
    (Method::Refer, "REFER"),
    (Method::Message, "MESSAGE"),
    (Method::Info, "INFO"),
    (Method::Prack, "PRACK"),
    (Method::Update, "UPDATE"),
    (Method::Publish, "PUBLISH"),
];

impl<'a> Method<'a> {
    /// Classifies a method token (the caller has checked it is a token).
    pub fn parse(token: &'a str) -> Self {
        KNOWN
            .iter()
            .find(|(_, name)| *name == token)
            .map_or(Method::Extension(token), |(m, _)| *m)
    }

    /// The method as it is written on the wire.
    pub fn as_str(&self) -> &'a str {
        match self {
            Method::Extension(name) => name,
            known => KNOWN
                .iter()
                .find(|(m, _)| m == known)
                .map_or("", |(_, name)| name),
        }
    }
}

impl fmt::Display for Method<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_case_sensitive_and_round_trip() {
        assert_eq!(Method::parse("INVITE"), Method::Invite);
        assert_eq!(Method::parse("invite"), Method::Extension("invite"));
        assert_eq!(
            Method::parse("RE%47IST%45R"),
            Method::Extension("RE%47IST%45R")
        );
        for (m, name) in KNOWN {
            assert_eq!(m.as_str(), *name);
            assert_eq!(Method::parse(name), *m);
        }
    }
}
