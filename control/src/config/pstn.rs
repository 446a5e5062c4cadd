//! `[pstn]`: the PSTN gateway (a SIP trunk) that phone numbers are reached through.
//!
//! A called party that is a phone number (a `tel:` URI, a SIP URI with `user=phone`, or a
//! user part matching `number_pattern`) is not looked up in the registrar: the node sends
//! the INVITE to `trunk` with a G.711 offer and mixes for it. Without a trunk, numbers are
//! answered 404 like any unknown user.

use std::net::SocketAddr;

use medianode_dataplane::srtp::SrtpSuite;
use regex::Regex;
use serde::Deserialize;

use super::ConfigError;

/// E.164 (an optional `+`, then 3 to 15 digits): what most trunks take.
pub const DEFAULT_NUMBER_PATTERN: &str = r"^\+?[0-9]{3,15}$";

/// The PSTN gateway settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct PstnConfig {
    /// The trunk's SIP address (UDP); none: no PSTN calls.
    pub trunk: Option<SocketAddr>,
    /// Host part of the Request-URI and To sent to the trunk; default: the trunk's address.
    pub trunk_domain: Option<String>,
    /// A regular expression over the user part: a match is a phone number.
    pub number_pattern: String,
    /// The G.711 law offered first: `PCMA` or `PCMU` (both are offered).
    pub codec: String,
    /// `off` for plain RTP to the trunk, or an SDES suite name for SRTP.
    pub srtp: String,
    /// How long the trunk may take to answer, in seconds (then the call counts as failed).
    pub answer_timeout_secs: u64,
}

impl Default for PstnConfig {
    fn default() -> Self {
        PstnConfig {
            trunk: None,
            trunk_domain: None,
            number_pattern: DEFAULT_NUMBER_PATTERN.to_owned(),
            codec: "PCMA".to_owned(),
            srtp: "off".to_owned(),
            answer_timeout_secs: 60,
        }
    }
}

impl PstnConfig {
    /// The compiled `number_pattern` (checked at load, so a loaded config gets `Ok`).
    pub fn number_regex(&self) -> Result<Regex, regex::Error> {
        Regex::new(&self.number_pattern)
    }

    /// The SRTP suite toward the trunk, if any (`srtp`, checked at load).
    pub fn srtp_suite(&self) -> Option<SrtpSuite> {
        SrtpSuite::from_sdes_name(&self.srtp)
    }

    /// Host for Request-URIs to the trunk.
    pub fn domain(&self) -> Option<String> {
        self.trunk_domain
            .clone()
            .or_else(|| self.trunk.map(|addr| addr.to_string()))
    }

    /// Checks what the types alone cannot.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &'static str, reason: String| ConfigError::Invalid { key, reason };
        if let Err(error) = self.number_regex() {
            return Err(invalid(
                "pstn.number_pattern",
                format!("not a regular expression: {error}"),
            ));
        }
        if !matches!(self.codec.as_str(), "PCMA" | "PCMU") {
            return Err(invalid(
                "pstn.codec",
                format!("{:?} is not PCMA or PCMU", self.codec),
            ));
        }
        if self.srtp != "off" && self.srtp_suite().is_none() {
            return Err(invalid(
                "pstn.srtp",
                format!(
                    "{:?} is neither \"off\" nor an SDES suite (e.g. AES_CM_128_HMAC_SHA1_80)",
                    self.srtp
                ),
            ));
        }
        if !(1..=600).contains(&self.answer_timeout_secs) {
            return Err(invalid(
                "pstn.answer_timeout_secs",
                format!("{} is out of range (1..=600)", self.answer_timeout_secs),
            ));
        }
        if let Some(domain) = &self.trunk_domain {
            if domain.is_empty() || domain.chars().any(|c| c.is_whitespace() || c == '@') {
                return Err(invalid(
                    "pstn.trunk_domain",
                    format!("{domain:?} is not a host"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, ConfigError};

    fn load(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml_str(text, "test")
    }

    fn invalid_key(text: &str) -> &'static str {
        match load(text) {
            Err(ConfigError::Invalid { key, .. }) => key,
            other => panic!("expected an invalid key for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn defaults_have_no_trunk_and_match_e164_numbers() {
        let config = load("").unwrap();
        assert_eq!(config.pstn.trunk, None);
        let pattern = config.pstn.number_regex().unwrap();
        assert!(pattern.is_match("+4930123456"));
        assert!(pattern.is_match("5551234"));
        assert!(!pattern.is_match("alice"));
        assert!(!pattern.is_match("+1234567890123456"));
        assert_eq!(config.pstn.srtp_suite(), None);
    }

    #[test]
    fn a_trunk_names_its_domain() {
        let config =
            load("[pstn]\ntrunk = \"127.0.0.1:5070\"\nsrtp = \"AES_CM_128_HMAC_SHA1_80\"\n")
                .unwrap();
        assert_eq!(config.pstn.domain().as_deref(), Some("127.0.0.1:5070"));
        assert!(config.pstn.srtp_suite().is_some());
        let config =
            load("[pstn]\ntrunk = \"127.0.0.1:5070\"\ntrunk_domain = \"gw.example\"\n").unwrap();
        assert_eq!(config.pstn.domain().as_deref(), Some("gw.example"));
    }

    #[test]
    fn bad_values_name_their_key() {
        assert_eq!(
            invalid_key("[pstn]\nnumber_pattern = \"(\"\n"),
            "pstn.number_pattern"
        );
        assert_eq!(invalid_key("[pstn]\ncodec = \"G729\"\n"), "pstn.codec");
        assert_eq!(invalid_key("[pstn]\nsrtp = \"ROT13\"\n"), "pstn.srtp");
        assert_eq!(
            invalid_key("[pstn]\nanswer_timeout_secs = 0\n"),
            "pstn.answer_timeout_secs"
        );
        assert_eq!(
            invalid_key("[pstn]\ntrunk_domain = \"a b\"\n"),
            "pstn.trunk_domain"
        );
        assert!(matches!(
            load("[pstn]\ntrunk = \"nowhere\"\n"),
            Err(ConfigError::Parse { .. })
        ));
    }
}
