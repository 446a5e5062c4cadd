//! The SRTP protection profiles this peer can set up, with their libsrtp policy setters and
//! the sizes a caller needs (master key length, bytes appended by protect).

use crate::ffi::{self, CryptoPolicySetter};

/// An SRTP protection profile (crypto suite) as libsrtp2 implements it.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Suite {
    /// `AES_CM_128_HMAC_SHA1_80` (RFC 3711, RFC 4568).
    AesCm128HmacSha1_80,
    /// `AES_CM_128_HMAC_SHA1_32`: 4-byte SRTP tag; SRTCP keeps the 10-byte tag (RFC 4568).
    AesCm128HmacSha1_32,
    /// `AES_192_CM_HMAC_SHA1_80` (RFC 6188). libsrtp up to 2.5 derives its session keys
    /// with the AES-256 KDF (cisco/libsrtp#763), so it does not interoperate with RFC 6188
    /// implementations there.
    AesCm192HmacSha1_80,
    /// `AES_192_CM_HMAC_SHA1_32`: 4-byte SRTP tag, 10-byte SRTCP tag (RFC 6188).
    AesCm192HmacSha1_32,
    /// `AES_256_CM_HMAC_SHA1_80` (RFC 6188).
    AesCm256HmacSha1_80,
    /// `AES_256_CM_HMAC_SHA1_32`: 4-byte SRTP tag, 10-byte SRTCP tag (RFC 6188).
    AesCm256HmacSha1_32,
    /// `AEAD_AES_128_GCM` with a 16-byte tag (RFC 7714).
    AeadAes128Gcm,
    /// `AEAD_AES_256_GCM` with a 16-byte tag (RFC 7714).
    AeadAes256Gcm,
    /// `NULL_HMAC_SHA1_80`: no encryption, 10-byte HMAC-SHA1 tag.
    NullHmacSha1_80,
    /// `NULL_HMAC_SHA1_32`: no encryption, 4-byte SRTP tag, 10-byte SRTCP tag.
    NullHmacSha1_32,
    /// No encryption and no authentication (only SRTCP's index word is added).
    NullNull,
}

impl Suite {
    /// Every suite, in declaration order.
    pub const ALL: [Suite; 11] = [
        Suite::AesCm128HmacSha1_80,
        Suite::AesCm128HmacSha1_32,
        Suite::AesCm192HmacSha1_80,
        Suite::AesCm192HmacSha1_32,
        Suite::AesCm256HmacSha1_80,
        Suite::AesCm256HmacSha1_32,
        Suite::AeadAes128Gcm,
        Suite::AeadAes256Gcm,
        Suite::NullHmacSha1_80,
        Suite::NullHmacSha1_32,
        Suite::NullNull,
    ];

    /// Length of the master key followed by the master salt that a session is created with.
    pub fn master_key_and_salt_len(self) -> usize {
        match self {
            Suite::AesCm128HmacSha1_80
            | Suite::AesCm128HmacSha1_32
            | Suite::NullHmacSha1_80
            | Suite::NullHmacSha1_32
            | Suite::NullNull => 16 + 14,
            Suite::AesCm192HmacSha1_80 | Suite::AesCm192HmacSha1_32 => 24 + 14,
            Suite::AesCm256HmacSha1_80 | Suite::AesCm256HmacSha1_32 => 32 + 14,
            Suite::AeadAes128Gcm => 16 + 12,
            Suite::AeadAes256Gcm => 32 + 12,
        }
    }

    /// Bytes SRTP protect appends to an RTP packet (the authentication tag; no MKI).
    pub fn rtp_trailer_len(self) -> usize {
        match self {
            Suite::AesCm128HmacSha1_80
            | Suite::AesCm192HmacSha1_80
            | Suite::AesCm256HmacSha1_80
            | Suite::NullHmacSha1_80 => 10,
            Suite::AesCm128HmacSha1_32
            | Suite::AesCm192HmacSha1_32
            | Suite::AesCm256HmacSha1_32
            | Suite::NullHmacSha1_32 => 4,
            Suite::AeadAes128Gcm | Suite::AeadAes256Gcm => 16,
            Suite::NullNull => 0,
        }
    }

    /// Bytes SRTCP protect appends to an RTCP packet (E flag and index word, then the tag).
    pub fn rtcp_trailer_len(self) -> usize {
        let tag = match self {
            Suite::AesCm128HmacSha1_80
            | Suite::AesCm128HmacSha1_32
            | Suite::AesCm192HmacSha1_80
            | Suite::AesCm192HmacSha1_32
            | Suite::AesCm256HmacSha1_80
            | Suite::AesCm256HmacSha1_32
            | Suite::NullHmacSha1_80
            | Suite::NullHmacSha1_32 => 10,
            Suite::AeadAes128Gcm | Suite::AeadAes256Gcm => 16,
            Suite::NullNull => 0,
        };
        4 + tag
    }

    /// The libsrtp setters for the RTP and the RTCP crypto policy.
    pub(crate) fn policy_setters(self) -> (CryptoPolicySetter, CryptoPolicySetter) {
        match self {
            Suite::AesCm128HmacSha1_80 => (
                ffi::srtp_crypto_policy_set_rtp_default,
                ffi::srtp_crypto_policy_set_rtcp_default,
            ),
            Suite::AesCm128HmacSha1_32 => (
                ffi::srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32,
                ffi::srtp_crypto_policy_set_rtcp_default,
            ),
            Suite::AesCm192HmacSha1_80 => (
                ffi::srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80,
                ffi::srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80,
            ),
            Suite::AesCm192HmacSha1_32 => (
                ffi::srtp_crypto_policy_set_aes_cm_192_hmac_sha1_32,
                ffi::srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80,
            ),
            Suite::AesCm256HmacSha1_80 => (
                ffi::srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80,
                ffi::srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80,
            ),
            Suite::AesCm256HmacSha1_32 => (
                ffi::srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32,
                ffi::srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80,
            ),
            Suite::AeadAes128Gcm => (
                ffi::srtp_crypto_policy_set_aes_gcm_128_16_auth,
                ffi::srtp_crypto_policy_set_aes_gcm_128_16_auth,
            ),
            Suite::AeadAes256Gcm => (
                ffi::srtp_crypto_policy_set_aes_gcm_256_16_auth,
                ffi::srtp_crypto_policy_set_aes_gcm_256_16_auth,
            ),
            Suite::NullHmacSha1_80 => (
                ffi::srtp_crypto_policy_set_null_cipher_hmac_sha1_80,
                ffi::srtp_crypto_policy_set_null_cipher_hmac_sha1_80,
            ),
            Suite::NullHmacSha1_32 => (
                set_null_cipher_hmac_sha1_32,
                ffi::srtp_crypto_policy_set_null_cipher_hmac_sha1_80,
            ),
            Suite::NullNull => (
                ffi::srtp_crypto_policy_set_null_cipher_hmac_null,
                ffi::srtp_crypto_policy_set_null_cipher_hmac_null,
            ),
        }
    }
}

/// libsrtp has no setter for `NULL_HMAC_SHA1_32`; its profile table
/// (`srtp_crypto_policy_set_from_profile_for_rtp`) builds it the same way: the 80-bit NULL
/// policy with a 4-byte tag.
///
/// # Safety
/// `policy` must point to a writable `srtp_crypto_policy_t`.
unsafe extern "C" fn set_null_cipher_hmac_sha1_32(policy: *mut ffi::SrtpCryptoPolicy) {
    // SAFETY: the caller passes a valid, writable policy, which the setter fills in and
    // which is then written through the same pointer.
    unsafe {
        ffi::srtp_crypto_policy_set_null_cipher_hmac_sha1_80(policy);
        (*policy).auth_tag_len = 4;
    }
}
