//! Master key material: key, salt and optional MKI, bound to the suite they are for.
//!
//! The secret bytes are zeroed when a `MasterKey` is dropped and never appear in `Debug`
//! output, so a key can sit in a struct that is logged without leaking.

use core::fmt;

use zeroize::Zeroize;

use super::error::SrtpConfigError;
use super::suite::SrtpSuite;

/// Largest master key length any suite uses (AES-256).
pub(crate) const MAX_KEY_LEN: usize = 32;
/// Largest master salt length (RFC 3711: 112 bits).
pub(crate) const MAX_SALT_LEN: usize = 14;
/// Largest MKI RFC 4568 allows (sec. 9.1: 1 to 128 bytes).
pub const MAX_MKI_LEN: usize = 128;

/// A Master Key Identifier: the bytes carried in each packet to name the master key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Mki {
    len: u8,
    bytes: [u8; MAX_MKI_LEN],
}

impl Mki {
    /// MKI with exactly these bytes (1..=128 of them).
    pub fn new(bytes: &[u8]) -> Result<Self, SrtpConfigError> {
        if bytes.is_empty() || bytes.len() > MAX_MKI_LEN {
            return Err(SrtpConfigError::MkiLength(bytes.len()));
        }
        let mut out = [0u8; MAX_MKI_LEN];
        out[..bytes.len()].copy_from_slice(bytes);
        Ok(Self {
            len: bytes.len() as u8,
            bytes: out,
        })
    }

    /// MKI of `len` bytes holding `value` big-endian, as SDES writes it (`|1:4`).
    pub fn from_value(value: u64, len: usize) -> Result<Self, SrtpConfigError> {
        if len == 0 || len > MAX_MKI_LEN || (len < 8 && value >> (8 * len) != 0) {
            return Err(SrtpConfigError::MkiLength(len));
        }
        let mut out = [0u8; MAX_MKI_LEN];
        let be = value.to_be_bytes();
        let take = len.min(8);
        out[len - take..len].copy_from_slice(&be[8 - take..]);
        Ok(Self {
            len: len as u8,
            bytes: out,
        })
    }

    /// The MKI bytes as they appear in a packet.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Always false: an MKI has at least one byte.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl fmt::Debug for Mki {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mki(")?;
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

/// An SRTP master key and master salt for one suite, with an optional MKI.
#[derive(Clone)]
pub struct MasterKey {
    suite: SrtpSuite,
    key: [u8; MAX_KEY_LEN],
    salt: [u8; MAX_SALT_LEN],
    mki: Option<Mki>,
}

impl MasterKey {
    /// Key and salt given separately; lengths must match the suite.
    pub fn new(suite: SrtpSuite, key: &[u8], salt: &[u8]) -> Result<Self, SrtpConfigError> {
        if key.len() != suite.master_key_len() {
            return Err(SrtpConfigError::KeyLength {
                suite,
                expected: suite.master_key_len(),
                actual: key.len(),
            });
        }
        if salt.len() != suite.master_salt_len() {
            return Err(SrtpConfigError::SaltLength {
                suite,
                expected: suite.master_salt_len(),
                actual: salt.len(),
            });
        }
        let mut out = Self {
            suite,
            key: [0; MAX_KEY_LEN],
            salt: [0; MAX_SALT_LEN],
            mki: None,
        };
        out.key[..key.len()].copy_from_slice(key);
        out.salt[..salt.len()].copy_from_slice(salt);
        Ok(out)
    }

    /// Key followed by salt in one buffer, as SDES `inline:` carries them.
    pub fn from_key_salt(suite: SrtpSuite, key_salt: &[u8]) -> Result<Self, SrtpConfigError> {
        if key_salt.len() != suite.key_salt_len() {
            return Err(SrtpConfigError::KeyLength {
                suite,
                expected: suite.key_salt_len(),
                actual: key_salt.len(),
            });
        }
        let (key, salt) = key_salt.split_at(suite.master_key_len());
        Self::new(suite, key, salt)
    }

    /// The same key, identified in packets by `mki`.
    pub fn with_mki(mut self, mki: Mki) -> Self {
        self.mki = Some(mki);
        self
    }

    /// The suite this key is for.
    pub fn suite(&self) -> SrtpSuite {
        self.suite
    }

    /// The MKI, if packets carry one.
    pub fn mki(&self) -> Option<&Mki> {
        self.mki.as_ref()
    }

    /// Secret master key bytes (for SDES formatting or key wrapping; never log them).
    pub fn key_bytes(&self) -> &[u8] {
        &self.key[..self.suite.master_key_len()]
    }

    /// Secret master salt bytes.
    pub fn salt_bytes(&self) -> &[u8] {
        &self.salt[..self.suite.master_salt_len()]
    }

    /// Writes key followed by salt into `out`, returning the length written, or `None` if
    /// `out` is shorter than `suite().key_salt_len()`.
    pub fn write_key_salt(&self, out: &mut [u8]) -> Option<usize> {
        let klen = self.suite.master_key_len();
        let total = self.suite.key_salt_len();
        let out = out.get_mut(..total)?;
        out[..klen].copy_from_slice(self.key_bytes());
        out[klen..].copy_from_slice(self.salt_bytes());
        Some(total)
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("suite", &self.suite)
            .field("key", &"<redacted>")
            .field("salt", &"<redacted>")
            .field("mki", &self.mki)
            .finish()
    }
}

impl Drop for MasterKey {
    fn drop(&mut self) {
        self.key.zeroize();
        self.salt.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_key_bytes() {
        let key = MasterKey::new(SrtpSuite::AesCm128HmacSha1_80, &[0x5A; 16], &[0x3C; 14])
            .unwrap()
            .with_mki(Mki::new(&[1, 2]).unwrap());
        let text = format!("{key:?} {key:#?}").to_lowercase();
        for needle in ["5a", "90", "3c", "60"] {
            assert!(!text.contains(needle), "{needle} in {text}");
        }
        assert!(text.contains("redacted") && text.contains("0102"), "{text}");
    }

    #[test]
    fn lengths_are_checked_per_suite() {
        let gcm = SrtpSuite::AeadAes128Gcm;
        assert!(MasterKey::new(gcm, &[0; 16], &[0; 12]).is_ok());
        assert_eq!(
            MasterKey::new(gcm, &[0; 16], &[0; 14]).unwrap_err(),
            SrtpConfigError::SaltLength {
                suite: gcm,
                expected: 12,
                actual: 14
            }
        );
        assert!(MasterKey::from_key_salt(SrtpSuite::AesCm256HmacSha1_80, &[0; 46]).is_ok());
        assert!(MasterKey::from_key_salt(SrtpSuite::AesCm256HmacSha1_80, &[0; 30]).is_err());
    }

    #[test]
    fn mki_from_value_is_big_endian_and_range_checked() {
        assert_eq!(Mki::from_value(1, 4).unwrap().as_bytes(), &[0, 0, 0, 1]);
        assert_eq!(
            Mki::from_value(0x0102, 10).unwrap().as_bytes(),
            &[0, 0, 0, 0, 0, 0, 0, 0, 1, 2]
        );
        assert_eq!(Mki::from_value(256, 1), Err(SrtpConfigError::MkiLength(1)));
        assert!(Mki::new(&[]).is_err());
        assert!(Mki::new(&[0; 129]).is_err());
    }
}
