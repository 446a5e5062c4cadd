//! SDES key exchange (RFC 4568): parsing and formatting the SDP `a=crypto` attribute
//! that carries SRTP master keys, and turning an accepted one into an [`SrtpPolicy`].
//!
//! Grammar (RFC 4568 sec. 9.1), with the suite names of RFC 4568, 6188 and 7714:
//! `a=crypto:<tag> <suite> inline:<base64 key||salt>[|lifetime][|MKI:len][;inline:...]
//! [session params]`. Errors say which part is wrong but never echo key material.

use core::fmt;

use super::policy::SrtpPolicy;
use super::replay::{MAX_REPLAY_WINDOW, MIN_REPLAY_WINDOW};
use super::suite::SrtpSuite;

mod error;
mod key;
mod session_param;
#[cfg(test)]
mod tests;

pub use error::SdesError;
pub use key::SdesKey;
pub use session_param::SdesSessionParam;

use key::digits;

/// Largest crypto attribute tag (RFC 4568: 1 to 9 digits).
const MAX_TAG: u32 = 999_999_999;

/// One `a=crypto` attribute.
#[derive(Clone, Debug)]
pub struct SdesCrypto {
    /// The attribute's tag, which the answer echoes.
    pub tag: u32,
    /// The crypto suite.
    pub suite: SrtpSuite,
    /// One or more keys (several only with MKIs).
    pub keys: Vec<SdesKey>,
    /// Session parameters in order.
    pub session_params: Vec<SdesSessionParam>,
}

impl SdesCrypto {
    /// An attribute with one key and no session parameters.
    pub fn new(tag: u32, key: SdesKey) -> Self {
        Self {
            tag,
            suite: key.master_key.suite(),
            keys: vec![key],
            session_params: Vec::new(),
        }
    }

    /// Parses `a=crypto:...`, `crypto:...` or just the attribute value.
    pub fn parse(text: &str) -> Result<Self, SdesError> {
        let text = text.trim();
        let value = text.strip_prefix("a=").unwrap_or(text).trim_start();
        let first_token = value.split_ascii_whitespace().next().unwrap_or("");
        let value = match first_token.split_once(':') {
            Some((name, _)) if name.eq_ignore_ascii_case("crypto") => &value[name.len() + 1..],
            Some(_) => return Err(SdesError::NotCryptoAttribute),
            None => value,
        };
        let mut fields = value.split_ascii_whitespace();
        let tag_text = fields.next().ok_or(SdesError::MissingField("tag"))?;
        let tag: u32 = digits(tag_text)
            .filter(|t| t.len() <= 9)
            .and_then(|t| t.parse().ok())
            .filter(|&t| t <= MAX_TAG)
            .ok_or_else(|| SdesError::BadTag(tag_text.to_string()))?;
        let suite_name = fields
            .next()
            .ok_or(SdesError::MissingField("crypto suite"))?;
        let suite = SrtpSuite::from_sdes_name(suite_name).ok_or_else(|| {
            if suite_name == "NULL_NULL" {
                SdesError::UnsupportedSuite(suite_name.to_string())
            } else {
                SdesError::UnknownSuite(suite_name.to_string())
            }
        })?;
        let key_params = fields
            .next()
            .ok_or(SdesError::MissingField("key parameters"))?;
        let keys = key_params
            .split(';')
            .map(|k| SdesKey::parse(suite, k))
            .collect::<Result<Vec<_>, _>>()?;
        if keys.len() > 1 {
            let first = keys[0].master_key.mki().map(|m| m.len());
            if first.is_none()
                || keys
                    .iter()
                    .any(|k| k.master_key.mki().map(|m| m.len()) != first)
            {
                return Err(SdesError::InconsistentMki);
            }
        }
        let session_params = fields
            .map(SdesSessionParam::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            tag,
            suite,
            keys,
            session_params,
        })
    }

    /// The full SDP line, `a=crypto:...` (contains the secret key: never log it).
    pub fn to_sdp_line(&self) -> String {
        format!("a=crypto:{self}")
    }

    /// The policy for the first key with the lifetime, `KDR` and `WSH` this attribute
    /// gives. Refuses parameters the engine does not implement (`UNENCRYPTED_*`,
    /// `UNAUTHENTICATED_SRTP`, FEC), since accepting them would misread the peer's packets.
    pub fn policy(&self) -> Result<SrtpPolicy, SdesError> {
        let key = self
            .keys
            .first()
            .ok_or(SdesError::MissingField("key parameters"))?;
        let mut policy = SrtpPolicy::new(key.master_key.clone());
        if let Some(lifetime) = key.lifetime {
            policy = policy.with_key_lifetime(lifetime)?;
        }
        for param in &self.session_params {
            match param {
                SdesSessionParam::KeyDerivationRate(kdr) => {
                    policy = policy.with_key_derivation_rate(*kdr);
                }
                SdesSessionParam::WindowSizeHint(n) => {
                    let window = (*n as usize).clamp(MIN_REPLAY_WINDOW, MAX_REPLAY_WINDOW);
                    policy = policy.with_replay_window(window)?;
                }
                other => return Err(SdesError::UnsupportedSessionParam(other.to_string())),
            }
        }
        Ok(policy)
    }
}

impl fmt::Display for SdesCrypto {
    /// The attribute value `<tag> <suite> <key-params>[ <session-params>]` (contains the
    /// secret key: never log it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ", self.tag, self.suite)?;
        for (i, key) in self.keys.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            write!(f, "{key}")?;
        }
        for param in &self.session_params {
            write!(f, " {param}")?;
        }
        Ok(())
    }
}
