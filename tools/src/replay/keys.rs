//! Fresh SRTP keys for synthetic participants: a master key and salt from the operating
//! system's CSPRNG per participant (hop-by-hop) or per conference (end-to-end), in the
//! SDES form the admin API takes.

use std::fmt;

use medianode_dataplane::srtp::{MasterKey, SdesKey, SrtpSuite};

/// How the replay's participants protect their media.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SrtpMode {
    /// Keys per leg: each participant sends under its own key, the node re-encrypts under
    /// the key it returns for the leg.
    HopByHop(SrtpSuite),
    /// One conference key that the node never holds: it forwards ciphertext untouched.
    EndToEnd(SrtpSuite),
}

impl SrtpMode {
    /// The suite.
    pub fn suite(self) -> SrtpSuite {
        match self {
            SrtpMode::HopByHop(suite) | SrtpMode::EndToEnd(suite) => suite,
        }
    }

    /// `hop-by-hop SUITE` or `end-to-end SUITE`, for reports.
    pub fn describe(self) -> String {
        match self {
            SrtpMode::HopByHop(suite) => format!("hop-by-hop {}", suite.sdes_name()),
            SrtpMode::EndToEnd(suite) => format!("end-to-end {}", suite.sdes_name()),
        }
    }
}

/// The system's random source failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError(pub String);

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot generate an SRTP key: {}", self.0)
    }
}

impl std::error::Error for KeyError {}

/// A new random key for `suite`.
pub fn fresh_key(suite: SrtpSuite) -> Result<SdesKey, KeyError> {
    let mut material = [0u8; 64];
    let len = suite.key_salt_len().min(material.len());
    let result = getrandom::fill(&mut material[..len])
        .map_err(|e| KeyError(e.to_string()))
        .and_then(|()| {
            MasterKey::from_key_salt(suite, &material[..len]).map_err(|e| KeyError(e.to_string()))
        });
    material.fill(0);
    result.map(SdesKey::new)
}

/// A random 32-bit number (SSRCs, first sequence numbers and timestamps).
pub fn random_u32() -> Result<u32, KeyError> {
    getrandom::u32().map_err(|e| KeyError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_fresh_and_sized_for_their_suite() {
        for suite in [SrtpSuite::AesCm128HmacSha1_80, SrtpSuite::AeadAes256Gcm] {
            let a = fresh_key(suite).unwrap();
            let b = fresh_key(suite).unwrap();
            assert_eq!(a.master_key.key_bytes().len(), suite.master_key_len());
            assert_ne!(a.master_key.key_bytes(), b.master_key.key_bytes());
            let text = a.to_string();
            assert!(text.starts_with("inline:"), "{text}");
            let back = SdesKey::parse(suite, &text).unwrap();
            assert_eq!(back.master_key.key_bytes(), a.master_key.key_bytes());
        }
    }
}
