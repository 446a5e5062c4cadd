//! Encryption of selected RTP header extension elements (RFC 6904), for AES-CM and, as
//! RFC 7714 sec. 8.3 specifies, AES-GCM suites (which use AES-CM for this part).
//!
//! Keys come from KDF labels 6 and 7; the keystream is AES-CM with the payload's IV
//! formula. It is laid over the elements the way libsrtp does (the reference peer): each
//! element consumes keystream for its header byte(s) and data, padding bytes consume none,
//! and only the data of elements whose ID is selected is XORed. Elements of extensions that
//! are not RFC 8285 one- or two-byte form are left alone.

use zeroize::Zeroize;

use super::aes_block::{AesBlockCipher, BLOCK_LEN};
use super::error::{SrtpConfigError, SrtpError};
use super::kdf::{derive, KeyDerivationRate, Label};
use super::master_key::{MasterKey, MAX_KEY_LEN, MAX_SALT_LEN};

const ONE_BYTE_PROFILE: u16 = 0xBEDE;
const TWO_BYTE_PROFILE_MASK: u16 = 0xFFF0;
const TWO_BYTE_PROFILE: u16 = 0x1000;

/// The header extension IDs (1..=255) whose elements are encrypted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EncryptedExtensions {
    bits: [u64; 4],
}

impl EncryptedExtensions {
    /// No element is encrypted.
    pub const NONE: Self = Self { bits: [0; 4] };

    /// Encrypts elements with these IDs; ID 0 (padding) is refused.
    pub fn new(ids: &[u8]) -> Result<Self, SrtpConfigError> {
        let mut set = Self::NONE;
        for &id in ids {
            if id == 0 {
                return Err(SrtpConfigError::HeaderExtensionId(id));
            }
            set.bits[usize::from(id / 64)] |= 1 << (id % 64);
        }
        Ok(set)
    }

    /// Whether elements with `id` are encrypted.
    pub fn contains(&self, id: u8) -> bool {
        self.bits[usize::from(id / 64)] & (1 << (id % 64)) != 0
    }

    /// True when nothing is encrypted.
    pub fn is_empty(&self) -> bool {
        self.bits == [0; 4]
    }
}

/// AES-CM key and salt for header extension encryption.
#[derive(Clone)]
pub(crate) struct HeaderKeys {
    cipher: AesBlockCipher,
    salt: [u8; MAX_SALT_LEN],
}

impl HeaderKeys {
    /// Derives the header key (label 6, the suite's key length) and salt (label 7; 12 bytes
    /// and two zero bytes for GCM suites, whose master salt is 12 bytes).
    pub(crate) fn derive(master: &MasterKey, kdr: KeyDerivationRate, r: u64) -> Option<Self> {
        let suite = master.suite();
        let mut key = [0u8; MAX_KEY_LEN];
        let mut salt = [0u8; MAX_SALT_LEN];
        let klen = suite.master_key_len();
        let (mk, ms) = (master.key_bytes(), master.salt_bytes());
        derive(mk, ms, kdr, Label::RtpHeaderEncryption, r, &mut key[..klen]);
        derive(mk, ms, kdr, Label::RtpHeaderSalt, r, &mut salt[..ms.len()]);
        let cipher = AesBlockCipher::new(&key[..klen]);
        key.zeroize();
        Some(Self {
            cipher: cipher?,
            salt,
        })
    }

    /// Keystream byte `pos` of packet (`ssrc`, `index`), block by block into `cache`.
    fn keystream_block(&self, ssrc: u32, index: u64, block: usize) -> [u8; BLOCK_LEN] {
        let mut b = [0u8; BLOCK_LEN];
        b[..MAX_SALT_LEN].copy_from_slice(&self.salt);
        for (d, s) in b[4..8].iter_mut().zip(ssrc.to_be_bytes()) {
            *d ^= s;
        }
        for (d, s) in b[8..14].iter_mut().zip(&index.to_be_bytes()[2..]) {
            *d ^= s;
        }
        b[14..].copy_from_slice(&(block as u16).to_be_bytes());
        self.cipher.encrypt_block(&mut b);
        b
    }

    /// XORs keystream bytes `[ks_pos, ks_pos + data.len())` into `data`.
    fn xor_at(&self, ssrc: u32, index: u64, ks_pos: usize, data: &mut [u8]) {
        let mut cached: Option<(usize, [u8; BLOCK_LEN])> = None;
        for (i, byte) in data.iter_mut().enumerate() {
            let pos = ks_pos + i;
            let block = pos / BLOCK_LEN;
            let ks = match cached {
                Some((n, ks)) if n == block => ks,
                _ => {
                    let ks = self.keystream_block(ssrc, index, block);
                    cached = Some((block, ks));
                    ks
                }
            };
            *byte ^= ks[pos % BLOCK_LEN];
        }
        if let Some((_, mut ks)) = cached {
            ks.zeroize();
        }
    }

    /// Encrypts (or, being an XOR, decrypts) the selected elements of the extension data
    /// `data` with profile word `profile`.
    pub(crate) fn apply(
        &self,
        ids: &EncryptedExtensions,
        ssrc: u32,
        index: u64,
        profile: u16,
        data: &mut [u8],
    ) -> Result<(), SrtpError> {
        let (id_len, two_byte) = if profile == ONE_BYTE_PROFILE {
            (1, false)
        } else if profile & TWO_BYTE_PROFILE_MASK == TWO_BYTE_PROFILE {
            (2, true)
        } else {
            return Ok(());
        };
        let mut at = 0;
        let mut ks_pos = 0;
        while let Some(&first) = data.get(at) {
            if first == 0 {
                at += 1;
                continue;
            }
            let (id, len) = if two_byte {
                match data.get(at + 1) {
                    Some(&len) => (first, usize::from(len)),
                    None => break,
                }
            } else if first >> 4 == 15 {
                break;
            } else {
                (first >> 4, usize::from(first & 0x0F) + 1)
            };
            let start = at + id_len;
            let element = data
                .get_mut(start..start + len)
                .ok_or(SrtpError::MalformedHeader)?;
            if ids.contains(id) {
                self.xor_at(ssrc, index, ks_pos + id_len, element);
            }
            ks_pos += id_len + len;
            at = start + len;
        }
        Ok(())
    }
}

impl Drop for HeaderKeys {
    fn drop(&mut self) {
        self.salt.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_set_membership() {
        let set = EncryptedExtensions::new(&[1, 3, 200]).unwrap();
        assert!(set.contains(1) && set.contains(3) && set.contains(200));
        assert!(!set.contains(2) && !set.contains(255));
        assert!(EncryptedExtensions::new(&[0]).is_err());
        assert!(EncryptedExtensions::NONE.is_empty());
    }

    #[test]
    fn element_running_past_the_block_is_malformed_and_xor_is_an_involution() {
        let master =
            MasterKey::from_key_salt(super::super::SrtpSuite::AesCm128HmacSha1_80, &[1; 30])
                .unwrap();
        let keys = HeaderKeys::derive(&master, KeyDerivationRate::ZERO, 0).unwrap();
        let ids = EncryptedExtensions::new(&[1, 2]).unwrap();
        let mut bad = [0x13, 1, 2];
        assert_eq!(
            keys.apply(&ids, 1, 2, ONE_BYTE_PROFILE, &mut bad),
            Err(SrtpError::MalformedHeader)
        );
        let original = [0x00, 0x22, 7, 8, 9, 0x00, 0x10, 5, 0, 0, 0, 0];
        let mut data = original;
        keys.apply(&ids, 1, 2, ONE_BYTE_PROFILE, &mut data).unwrap();
        assert_ne!(data, original);
        assert_eq!((data[0], data[1], data[5], data[6]), (0, 0x22, 0, 0x10));
        keys.apply(&ids, 1, 2, ONE_BYTE_PROFILE, &mut data).unwrap();
        assert_eq!(data, original);
        let mut other = original;
        keys.apply(&ids, 1, 2, 0x1234, &mut other).unwrap();
        assert_eq!(other, original, "non-RFC 8285 profiles are left alone");
    }
}
