//! Stateless nonces: the issue time, caller-supplied salt and an HMAC-SHA256 tag over both
//! and the realm, hex-encoded. Any node holding the key can check a nonce without having
//! stored it, and an old one is recognised as merely stale (RFC 7616 sec. 3.3 `stale=true`)
//! rather than forged.

use core::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of the HMAC tag kept in a nonce.
const TAG_LEN: usize = 16;
/// Bytes of a nonce before hex encoding: time, salt, tag.
const NONCE_LEN: usize = 8 + 8 + TAG_LEN;
/// A nonce dated this far in the future (clock skew between nodes) is still accepted.
const FUTURE_SKEW_SECS: u64 = 5;

/// The secret behind nonces. Keep it out of logs; share it between nodes that must accept
/// each other's nonces.
#[derive(Clone)]
pub struct NonceKey([u8; 32]);

impl NonceKey {
    /// A key from bytes (from configuration, or [`crate::sip::ids::random_bytes`]).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        NonceKey(bytes)
    }
}

impl fmt::Debug for NonceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NonceKey(..)")
    }
}

/// What checking a nonce found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceStatus {
    /// Issued by us, within its lifetime; carries the issue time (Unix seconds).
    Fresh {
        /// When it was issued.
        issued: u64,
    },
    /// Issued by us but expired: challenge again with `stale=true`.
    Stale,
    /// Not one of ours (forged, mangled, or for another realm).
    Invalid,
}

/// Issues and checks nonces for one realm.
#[derive(Debug, Clone)]
pub struct NonceIssuer {
    key: NonceKey,
    realm: String,
    lifetime_secs: u64,
}

fn hex_decode(text: &str) -> Option<[u8; NONCE_LEN]> {
    let bytes = text.as_bytes();
    if bytes.len() != NONCE_LEN * 2 {
        return None;
    }
    let mut out = [0u8; NONCE_LEN];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let &[hi, lo] = pair else {
            return None;
        };
        let digit = |b: u8| char::from(b).to_digit(16);
        *slot = u8::try_from(digit(hi)? * 16 + digit(lo)?).ok()?;
    }
    Some(out)
}

impl NonceIssuer {
    /// An issuer for `realm` whose nonces stay fresh for `lifetime_secs`.
    pub fn new(key: NonceKey, realm: &str, lifetime_secs: u64) -> Self {
        NonceIssuer {
            key,
            realm: realm.to_string(),
            lifetime_secs,
        }
    }

    /// How long a nonce stays fresh.
    pub fn lifetime_secs(&self) -> u64 {
        self.lifetime_secs
    }

    fn mac(&self, issued: &[u8], salt: &[u8]) -> Option<HmacSha256> {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.key.0).ok()?;
        mac.update(b"medianode digest nonce\0");
        mac.update(issued);
        mac.update(salt);
        mac.update(self.realm.as_bytes());
        Some(mac)
    }

    /// A nonce issued at `unix_now`; `salt` should be random (it keeps nonces of the same
    /// second apart, so their nonce counts are tracked apart).
    pub fn issue(&self, unix_now: u64, salt: [u8; 8]) -> String {
        let issued = unix_now.to_be_bytes();
        let tag = self
            .mac(&issued, &salt)
            .map(|m| m.finalize().into_bytes().to_vec())
            .unwrap_or_default();
        issued
            .iter()
            .chain(salt.iter())
            .chain(tag.iter().take(TAG_LEN))
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Checks a nonce presented at `unix_now`.
    pub fn check(&self, nonce: &str, unix_now: u64) -> NonceStatus {
        let Some(raw) = hex_decode(nonce) else {
            return NonceStatus::Invalid;
        };
        let (issued, rest) = raw.split_at(8);
        let (salt, tag) = rest.split_at(8);
        let genuine = self
            .mac(issued, salt)
            .is_some_and(|m| m.verify_truncated_left(tag).is_ok());
        if !genuine {
            return NonceStatus::Invalid;
        }
        let mut secs = [0u8; 8];
        secs.copy_from_slice(issued);
        let issued = u64::from_be_bytes(secs);
        if issued > unix_now.saturating_add(FUTURE_SKEW_SECS) {
            NonceStatus::Invalid
        } else if unix_now.saturating_sub(issued) > self.lifetime_secs {
            NonceStatus::Stale
        } else {
            NonceStatus::Fresh { issued }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer(realm: &str) -> NonceIssuer {
        NonceIssuer::new(NonceKey::from_bytes([7; 32]), realm, 300)
    }

    #[test]
    fn fresh_stale_and_forged() {
        let i = issuer("example.com");
        let nonce = i.issue(1_000_000, [1; 8]);
        assert_eq!(nonce.len(), 64);
        assert_eq!(
            i.check(&nonce, 1_000_000),
            NonceStatus::Fresh { issued: 1_000_000 }
        );
        assert_eq!(
            i.check(&nonce, 1_000_300),
            NonceStatus::Fresh { issued: 1_000_000 }
        );
        assert_eq!(i.check(&nonce, 1_000_301), NonceStatus::Stale);
        assert_eq!(
            i.check(&nonce, 999_990),
            NonceStatus::Invalid,
            "from the future"
        );
        assert_ne!(nonce, i.issue(1_000_000, [2; 8]), "salt separates nonces");

        let mut forged = nonce.clone().into_bytes();
        forged[0] = if forged[0] == b'0' { b'1' } else { b'0' };
        let forged = String::from_utf8(forged).unwrap();
        assert_eq!(
            i.check(&forged, 1_000_000),
            NonceStatus::Invalid,
            "altered time"
        );
        assert_eq!(
            issuer("other.example").check(&nonce, 1_000_000),
            NonceStatus::Invalid
        );
        let other_key = NonceIssuer::new(NonceKey::from_bytes([8; 32]), "example.com", 300);
        assert_eq!(other_key.check(&nonce, 1_000_000), NonceStatus::Invalid);
        assert_eq!(i.check("zz", 1_000_000), NonceStatus::Invalid);
        assert_eq!(i.check(&"g".repeat(64), 1_000_000), NonceStatus::Invalid);
    }

    #[test]
    fn key_stays_out_of_debug_output() {
        assert_eq!(
            format!("{:?}", NonceKey::from_bytes([42; 32])),
            "NonceKey(..)"
        );
    }
}
