//! Session keys of one direction for RTP or for RTCP, derived from the master key and
//! prepared for the packet path: expanded AES key, salt, and the keyed HMAC or GHASH state,
//! each held once, on the implementation [`CryptoPaths`] picks for this CPU.

use medianode_simd::crypto::HmacSha1Key;
use zeroize::Zeroize;

use super::aes_block::BLOCK_LEN;
use super::aes_ctr::AesCtr;
use super::crypto_path::CryptoPaths;
use super::f8::F8Cipher;
use super::ghash::Ghash;
use super::header_encryption::HeaderKeys;
use super::kdf::{derive, KeyDerivationRate, Label};
use super::master_key::{MasterKey, MAX_KEY_LEN, MAX_SALT_LEN};
use super::suite::{CipherKind, SrtpSuite, HMAC_SHA1_KEY_LEN};

/// Whether keys are for RTP or RTCP (they use different KDF labels).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PacketKind {
    Rtp,
    Rtcp,
}

/// The prepared transform.
// AES-GCM's variant is the largest by GHASH's table of powers of H, which every packet
// reads; boxing it would put a pointer chase on the packet path.
#[allow(clippy::large_enum_variant)]
pub(crate) enum SessionKeys {
    AesCm {
        cipher: AesCtr,
        salt: [u8; MAX_SALT_LEN],
        mac: HmacSha1Key,
        header: Option<HeaderKeys>,
    },
    /// f8 chains each block on the previous one, which the counter-mode kernel cannot do:
    /// it stays on the `aes` crate. Boxed: two crate keys, for a suite almost nobody uses.
    AesF8 {
        cipher: Box<F8Cipher>,
        mac: HmacSha1Key,
    },
    AesGcm {
        cipher: AesCtr,
        /// 12-byte session salt in the first bytes.
        salt: [u8; MAX_SALT_LEN],
        /// Keyed with `H = E(K, 0^128)`.
        ghash: Ghash,
        header: Option<HeaderKeys>,
    },
    NullCipher {
        mac: HmacSha1Key,
    },
    NullNull,
}

impl SessionKeys {
    /// Derives the keys for `kind` at `r = index DIV kdr`, with header extension keys
    /// (RFC 6904) when `header_encryption` is set and `kind` is RTP.
    pub(crate) fn derive(
        master: &MasterKey,
        kdr: KeyDerivationRate,
        kind: PacketKind,
        r: u64,
        header_encryption: bool,
    ) -> Self {
        let (enc_label, auth_label, salt_label) = match kind {
            PacketKind::Rtp => (
                Label::RtpEncryption,
                Label::RtpAuthentication,
                Label::RtpSalt,
            ),
            PacketKind::Rtcp => (
                Label::RtcpEncryption,
                Label::RtcpAuthentication,
                Label::RtcpSalt,
            ),
        };
        let suite = master.suite();
        let mk = master.key_bytes();
        let ms = master.salt_bytes();
        let mut enc = [0u8; MAX_KEY_LEN];
        let mut auth = [0u8; HMAC_SHA1_KEY_LEN];
        let mut salt = [0u8; MAX_SALT_LEN];
        let klen = suite.master_key_len();
        let slen = suite.master_salt_len();
        derive(mk, ms, kdr, enc_label, r, &mut enc[..klen]);
        derive(mk, ms, kdr, salt_label, r, &mut salt[..slen]);
        if suite.authenticates() && suite.cipher() != CipherKind::AesGcm {
            derive(mk, ms, kdr, auth_label, r, &mut auth);
        }
        let mut keys = Self::from_session_keys(suite, &enc[..klen], &salt[..slen], &auth);
        if header_encryption && kind == PacketKind::Rtp {
            if let Self::AesCm { header, .. } | Self::AesGcm { header, .. } = &mut keys {
                *header = HeaderKeys::derive(master, kdr, r);
            }
        }
        enc.zeroize();
        auth.zeroize();
        salt.zeroize();
        keys
    }

    /// Header extension keys, if RFC 6904 encryption is on.
    pub(crate) fn header_keys(&self) -> Option<&HeaderKeys> {
        match self {
            Self::AesCm { header, .. } | Self::AesGcm { header, .. } => header.as_ref(),
            _ => None,
        }
    }

    /// Builds the transform from session keys directly (test vectors that skip the KDF).
    pub(crate) fn from_session_keys(
        suite: SrtpSuite,
        enc_key: &[u8],
        salt: &[u8],
        auth_key: &[u8],
    ) -> Self {
        Self::build(suite, enc_key, salt, auth_key, CryptoPaths::detected())
    }

    /// [`SessionKeys::from_session_keys`] on chosen implementations. A key length that does
    /// not fit the suite (a caller bug; the KDF sizes them) gives NULL/NULL.
    pub(crate) fn build(
        suite: SrtpSuite,
        enc_key: &[u8],
        salt: &[u8],
        auth_key: &[u8],
        paths: CryptoPaths,
    ) -> Self {
        let mut salt_buf = [0u8; MAX_SALT_LEN];
        let n = salt.len().min(MAX_SALT_LEN);
        salt_buf[..n].copy_from_slice(&salt[..n]);
        let keys = match suite.cipher() {
            CipherKind::AesCm => AesCtr::new(enc_key, paths.aes_ctr).map(|cipher| Self::AesCm {
                cipher,
                salt: salt_buf,
                mac: HmacSha1Key::new(auth_key),
                header: None,
            }),
            CipherKind::AesF8 => F8Cipher::new(enc_key, salt).map(|cipher| Self::AesF8 {
                cipher: Box::new(cipher),
                mac: HmacSha1Key::new(auth_key),
            }),
            CipherKind::AesGcm => AesCtr::new(enc_key, paths.aes_ctr).map(|cipher| {
                let mut h = [0u8; BLOCK_LEN];
                cipher.encrypt_block(&mut h);
                let ghash = Ghash::new(&h, paths.ghash);
                h.zeroize();
                Self::AesGcm {
                    cipher,
                    salt: salt_buf,
                    ghash,
                    header: None,
                }
            }),
            CipherKind::Null if suite.authenticates() => Some(Self::NullCipher {
                mac: HmacSha1Key::new(auth_key),
            }),
            CipherKind::Null => Some(Self::NullNull),
        };
        salt_buf.zeroize();
        keys.unwrap_or(Self::NullNull)
    }
}

impl Drop for SessionKeys {
    fn drop(&mut self) {
        if let Self::AesCm { salt, .. } | Self::AesGcm { salt, .. } = self {
            salt.zeroize();
        }
    }
}
