//! The hash algorithms SIP digest offers (RFC 8760): MD5 for old clients, SHA-256 for the
//! rest, each with its `-sess` variant, and the lowercase-hex hashing RFC 7616 sec. 3.4
//! builds every value from.

use core::fmt;

use md5::Md5;
use sha2::{Digest, Sha256};

/// A digest algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// `MD5` (RFC 2617, kept by RFC 8760 for compatibility).
    Md5,
    /// `MD5-sess`.
    Md5Sess,
    /// `SHA-256` (RFC 7616, RFC 8760).
    Sha256,
    /// `SHA-256-sess`.
    Sha256Sess,
}

impl DigestAlgorithm {
    /// Recognises an `algorithm` value, case-insensitively; an absent value means MD5.
    pub fn parse(token: Option<&str>) -> Option<Self> {
        let Some(token) = token else {
            return Some(DigestAlgorithm::Md5);
        };
        [Self::Md5, Self::Md5Sess, Self::Sha256, Self::Sha256Sess]
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(token))
    }

    /// The token as written in challenges.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::Md5Sess => "MD5-sess",
            Self::Sha256 => "SHA-256",
            Self::Sha256Sess => "SHA-256-sess",
        }
    }

    /// The algorithm without `-sess`: the one a stored HA1 is computed with.
    pub fn base(self) -> Self {
        match self {
            Self::Md5 | Self::Md5Sess => Self::Md5,
            Self::Sha256 | Self::Sha256Sess => Self::Sha256,
        }
    }

    /// True for the `-sess` variants.
    pub fn is_session(self) -> bool {
        matches!(self, Self::Md5Sess | Self::Sha256Sess)
    }

    /// `H(p1 ":" p2 ":" ...)` in lowercase hex.
    pub fn hash_joined(self, parts: &[&[u8]]) -> String {
        fn hex(bytes: &[u8]) -> String {
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        }
        fn feed<D: Digest>(mut d: D, parts: &[&[u8]]) -> D {
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    d.update(b":");
                }
                d.update(part);
            }
            d
        }
        match self.base() {
            Self::Sha256 => hex(&feed(Sha256::new(), parts).finalize()),
            _ => hex(&feed(Md5::new(), parts).finalize()),
        }
    }
}

impl fmt::Display for DigestAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_hash() {
        assert_eq!(DigestAlgorithm::parse(None), Some(DigestAlgorithm::Md5));
        assert_eq!(
            DigestAlgorithm::parse(Some("sha-256")),
            Some(DigestAlgorithm::Sha256)
        );
        assert_eq!(DigestAlgorithm::parse(Some("SHA-512-256")), None);
        // RFC 1321 and FIPS 180-2 test strings.
        assert_eq!(
            DigestAlgorithm::Md5.hash_joined(&[b"abc"]),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            DigestAlgorithm::Sha256.hash_joined(&[b"abc"]),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            DigestAlgorithm::Md5.hash_joined(&[b"a", b"b"]),
            DigestAlgorithm::Md5.hash_joined(&[b"a:b"])
        );
    }
}
