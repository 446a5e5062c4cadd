//! Session keys of one direction for RTP or for RTCP, derived from the master key and
//! prepared for the packet path: expanded AES key, salt, and the keyed HMAC or GHASH state.

use zeroize::Zeroize;

use super::aes_block::AesBlockCipher;
use super::gcm::GcmAuthenticator;
use super::header_encryption::HeaderKeys;
use super::hmac_sha1::HmacSha1;
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
pub(crate) enum SessionKeys {
    AesCm {
        cipher: AesBlockCipher,
        salt: [u8; MAX_SALT_LEN],
        mac: HmacSha1,
        header: Option<HeaderKeys>,
    },
    AesF8 {
        cipher: AesBlockCipher,
        /// `k_e XOR m` with `m = k_s || 0x55...` (RFC 3711 sec. 4.1.2.1), for `IV'`.
        iv_cipher: AesBlockCipher,
        mac: HmacSha1,
    },
    AesGcm {
        cipher: AesBlockCipher,
        /// 12-byte session salt in the first bytes.
        salt: [u8; MAX_SALT_LEN],
        auth: GcmAuthenticator,
        header: Option<HeaderKeys>,
    },
    NullCipher {
        mac: HmacSha1,
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
        let mut salt_buf = [0u8; MAX_SALT_LEN];
        let n = salt.len().min(MAX_SALT_LEN);
        salt_buf[..n].copy_from_slice(&salt[..n]);
        let cipher = AesBlockCipher::new(enc_key);
        match (suite.cipher(), cipher) {
            (CipherKind::AesCm, Some(cipher)) => Self::AesCm {
                cipher,
                salt: salt_buf,
                mac: HmacSha1::new(auth_key),
                header: None,
            },
            (CipherKind::AesF8, Some(cipher)) => {
                let mut masked = [0x55u8; MAX_KEY_LEN];
                masked[..n].copy_from_slice(&salt[..n]);
                for (m, k) in masked.iter_mut().zip(enc_key) {
                    *m ^= k;
                }
                let iv_cipher = AesBlockCipher::new(&masked[..enc_key.len()]);
                masked.zeroize();
                match iv_cipher {
                    Some(iv_cipher) => Self::AesF8 {
                        cipher,
                        iv_cipher,
                        mac: HmacSha1::new(auth_key),
                    },
                    None => Self::NullNull,
                }
            }
            (CipherKind::AesGcm, Some(cipher)) => Self::AesGcm {
                auth: GcmAuthenticator::new(&cipher),
                cipher,
                salt: salt_buf,
                header: None,
            },
            _ if suite.authenticates() => Self::NullCipher {
                mac: HmacSha1::new(auth_key),
            },
            _ => Self::NullNull,
        }
    }
}

impl Drop for SessionKeys {
    fn drop(&mut self) {
        if let Self::AesCm { salt, .. } | Self::AesGcm { salt, .. } = self {
            salt.zeroize();
        }
    }
}
