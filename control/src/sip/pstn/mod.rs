//! The PSTN gateway proxy's routing (issue 6 item 5): which called parties are phone
//! numbers, and how a call to one is addressed to the configured trunk.
//!
//! A phone behind a PSTN gateway takes one G.711 stream, so a phone number is never a
//! registrar lookup: it is a call through the trunk, on a leg that receives the
//! conference mix. A called party is a phone number when it is
//!
//! - a `tel:` URI (RFC 3966; visual separators `-.()` are dropped),
//! - a SIP URI with `user=phone` (RFC 3261 sec. 19.1.1), or
//! - a SIP URI whose user part matches `pstn.number_pattern` (E.164 by default).
//!
//! The INVITE goes to the trunk's address with Request-URI and To
//! `sip:<number>@<trunk domain>;user=phone`, and an early G.711 offer ([`offer`]).

pub mod offer;

use std::net::SocketAddr;
use std::time::Duration;

use medianode_dataplane::srtp::SrtpSuite;
use regex::Regex;

use crate::config::PstnConfig;
use crate::sip::uri::Uri;

/// A phone number: digits, with a leading `+` for a global number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// The number as the trunk gets it (`+4930123456`).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The G.711 law offered first to the trunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum G711Law {
    /// A-law (PCMA, payload type 8): Europe and most of the world.
    ALaw,
    /// mu-law (PCMU, payload type 0): North America and Japan.
    MuLaw,
}

impl G711Law {
    /// The RTP/AVP static payload type.
    pub fn payload_type(self) -> u8 {
        match self {
            G711Law::ALaw => 8,
            G711Law::MuLaw => 0,
        }
    }

    /// The SDP encoding name.
    pub fn encoding(self) -> &'static str {
        match self {
            G711Law::ALaw => "PCMA",
            G711Law::MuLaw => "PCMU",
        }
    }

    /// The other law, offered second.
    pub fn other(self) -> G711Law {
        match self {
            G711Law::ALaw => G711Law::MuLaw,
            G711Law::MuLaw => G711Law::ALaw,
        }
    }
}

/// Where phone numbers go: the trunk, and what is offered to it.
#[derive(Debug, Clone)]
pub struct PstnRoute {
    pattern: Regex,
    /// The trunk's SIP address (UDP).
    pub trunk: SocketAddr,
    /// Host part of URIs sent to the trunk.
    pub domain: String,
    /// The law offered first.
    pub law: G711Law,
    /// SDES suite toward the trunk, or plain RTP.
    pub srtp: Option<SrtpSuite>,
    /// How long the trunk may take to answer.
    pub answer_timeout: Duration,
}

impl PstnRoute {
    /// The route of a loaded configuration; `None` when no trunk is configured (numbers
    /// are then unknown users like any other).
    pub fn from_config(config: &PstnConfig) -> Option<PstnRoute> {
        let trunk = config.trunk?;
        Some(PstnRoute {
            pattern: config.number_regex().ok()?,
            trunk,
            domain: config.domain().unwrap_or_else(|| trunk.to_string()),
            law: if config.codec == "PCMU" {
                G711Law::MuLaw
            } else {
                G711Law::ALaw
            },
            srtp: config.srtp_suite(),
            answer_timeout: Duration::from_secs(config.answer_timeout_secs),
        })
    }

    /// The phone number `uri` calls, if it is one (see the module doc).
    pub fn number_of(&self, uri: &str) -> Option<PhoneNumber> {
        match Uri::parse(uri).ok()? {
            Uri::Tel(tel) => {
                let number: String = tel
                    .number()
                    .chars()
                    .filter(|c| !matches!(c, '-' | '.' | '(' | ')'))
                    .collect();
                let digits = number.strip_prefix('+').unwrap_or(&number);
                (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                    .then_some(PhoneNumber(number))
            }
            Uri::Sip(sip) => {
                let user = sip.user()?;
                let user_phone = sip
                    .param("user")
                    .flatten()
                    .is_some_and(|v| v.eq_ignore_ascii_case("phone"));
                // A user=phone URI may carry visual separators and parameters (`;isub=`).
                let number = user.split(';').next().unwrap_or(user);
                let number: String = number
                    .chars()
                    .filter(|c| !matches!(c, '-' | '.' | '(' | ')'))
                    .collect();
                let digits = number.strip_prefix('+').unwrap_or(&number);
                let is_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
                let by_pattern = self.pattern.is_match(user);
                ((user_phone && is_digits) || by_pattern).then_some(PhoneNumber(if is_digits {
                    number
                } else {
                    user.to_owned()
                }))
            }
            Uri::Other(_) => None,
        }
    }

    /// Request-URI and To of the INVITE to the trunk.
    pub fn request_uri(&self, number: &PhoneNumber) -> String {
        format!("sip:{}@{};user=phone", number.as_str(), self.domain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route_with(pattern: &str) -> PstnRoute {
        let config = crate::config::Config::from_toml_str(
            &format!("[pstn]\ntrunk = \"127.0.0.1:5070\"\nnumber_pattern = '{pattern}'\n"),
            "test",
        )
        .unwrap();
        PstnRoute::from_config(&config.pstn).unwrap()
    }

    #[test]
    fn no_trunk_no_route() {
        assert!(PstnRoute::from_config(&PstnConfig::default()).is_none());
    }

    #[test]
    fn tel_uris_and_user_phone_are_numbers_whatever_the_pattern() {
        let route = route_with("^never$");
        assert_eq!(
            route.number_of("tel:+1-212-555-0101").unwrap().as_str(),
            "+12125550101"
        );
        assert_eq!(
            route
                .number_of("tel:(030)123456;phone-context=+49")
                .unwrap()
                .as_str(),
            "030123456"
        );
        assert_eq!(
            route
                .number_of("sip:+4930123456@example.com;user=phone")
                .unwrap()
                .as_str(),
            "+4930123456"
        );
        assert_eq!(route.number_of("sip:alice@example.com;user=phone"), None);
        assert_eq!(route.number_of("sip:+4930123456@example.com"), None);
        assert_eq!(route.number_of("tel:*31#"), None);
        assert_eq!(route.number_of("http://example.com"), None);
        assert_eq!(route.number_of("not a uri"), None);
    }

    #[test]
    fn user_parts_matching_the_pattern_are_numbers() {
        let route = route_with(r"^\+?[0-9]{3,15}$");
        assert_eq!(
            route.number_of("sip:+4930123456@node").unwrap().as_str(),
            "+4930123456"
        );
        assert_eq!(route.number_of("sip:alice@node"), None);
        assert_eq!(route.number_of("sip:12@node"), None);
        let route = route_with(r"^9[0-9]+$");
        assert_eq!(
            route.number_of("sip:95551234@node").unwrap().as_str(),
            "95551234"
        );
        assert_eq!(route.number_of("sip:5551234@node"), None);
    }

    #[test]
    fn the_trunk_gets_a_user_phone_uri() {
        let route = route_with(r"^\+?[0-9]{3,15}$");
        let number = route.number_of("tel:+15550100").unwrap();
        assert_eq!(
            route.request_uri(&number),
            "sip:+15550100@127.0.0.1:5070;user=phone"
        );
        assert_eq!(route.law, G711Law::ALaw);
        assert_eq!(route.srtp, None);
    }
}
