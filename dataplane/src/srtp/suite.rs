//! The SRTP protection profiles ("crypto suites") this engine implements, with the key,
//! salt and tag sizes each one fixes, and their SDES names.
//!
//! One enum carries every size so that the rest of the engine never hard-codes a length:
//! RFC 3711 (AES-CM or AES-f8 + HMAC-SHA1), RFC 6188 (AES-192/256-CM), RFC 7714 (AES-GCM), and the
//! NULL-cipher profiles libsrtp uses for testing.

use core::fmt;

/// An SRTP protection profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SrtpSuite {
    /// AES-128 counter mode, HMAC-SHA1 with an 80-bit tag (RFC 3711, RFC 4568).
    AesCm128HmacSha1_80,
    /// AES-128 counter mode, HMAC-SHA1 with a 32-bit SRTP tag (SRTCP keeps 80 bits, RFC 4568 6.2.2).
    AesCm128HmacSha1_32,
    /// AES-192 counter mode, HMAC-SHA1 with an 80-bit tag (RFC 6188).
    AesCm192HmacSha1_80,
    /// AES-192 counter mode, HMAC-SHA1 with a 32-bit SRTP tag (RFC 6188).
    AesCm192HmacSha1_32,
    /// AES-256 counter mode, HMAC-SHA1 with an 80-bit tag (RFC 6188).
    AesCm256HmacSha1_80,
    /// AES-256 counter mode, HMAC-SHA1 with a 32-bit SRTP tag (RFC 6188).
    AesCm256HmacSha1_32,
    /// AES-128 in f8 mode, HMAC-SHA1 with an 80-bit tag (RFC 3711 sec. 4.1.2, RFC 4568).
    AesF8_128HmacSha1_80,
    /// AES-128 GCM with a 16-byte tag (RFC 7714).
    AeadAes128Gcm,
    /// AES-256 GCM with a 16-byte tag (RFC 7714).
    AeadAes256Gcm,
    /// No encryption, HMAC-SHA1 with an 80-bit tag (libsrtp's test profile; keys as AES-128).
    NullHmacSha1_80,
    /// No encryption, HMAC-SHA1 with a 32-bit SRTP tag (SRTCP keeps 80 bits).
    NullHmacSha1_32,
    /// No encryption and no authentication: only for reproducing libsrtp's test packets.
    /// It gives no protection at all; SDES never selects it.
    NullCipherNullAuth,
}

/// How a suite transforms the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CipherKind {
    /// AES in counter mode (RFC 3711 4.1.1) plus HMAC-SHA1.
    AesCm,
    /// AES in f8 mode (RFC 3711 4.1.2) plus HMAC-SHA1.
    AesF8,
    /// AES-GCM (RFC 7714).
    AesGcm,
    /// Payload left in clear.
    Null,
}

/// Every suite, in the order SDES offers list them.
pub const ALL_SUITES: [SrtpSuite; 12] = [
    SrtpSuite::AeadAes256Gcm,
    SrtpSuite::AeadAes128Gcm,
    SrtpSuite::AesCm256HmacSha1_80,
    SrtpSuite::AesCm256HmacSha1_32,
    SrtpSuite::AesCm192HmacSha1_80,
    SrtpSuite::AesCm192HmacSha1_32,
    SrtpSuite::AesCm128HmacSha1_80,
    SrtpSuite::AesCm128HmacSha1_32,
    SrtpSuite::AesF8_128HmacSha1_80,
    SrtpSuite::NullHmacSha1_80,
    SrtpSuite::NullHmacSha1_32,
    SrtpSuite::NullCipherNullAuth,
];

/// Length of the HMAC-SHA1 session authentication key (RFC 3711 n_a = 160 bits).
pub(crate) const HMAC_SHA1_KEY_LEN: usize = 20;
/// Length of the AES-GCM authentication tag (RFC 7714 sec. 14.2).
pub(crate) const GCM_TAG_LEN: usize = 16;
/// Length of the SRTCP trailer word carrying the E flag and the 31-bit SRTCP index.
pub(crate) const SRTCP_TRAILER_LEN: usize = 4;

impl SrtpSuite {
    pub(crate) fn cipher(self) -> CipherKind {
        match self {
            Self::AeadAes128Gcm | Self::AeadAes256Gcm => CipherKind::AesGcm,
            Self::AesF8_128HmacSha1_80 => CipherKind::AesF8,
            Self::NullHmacSha1_80 | Self::NullHmacSha1_32 | Self::NullCipherNullAuth => {
                CipherKind::Null
            }
            _ => CipherKind::AesCm,
        }
    }

    /// Length in bytes of the master key (also the session encryption key length).
    pub fn master_key_len(self) -> usize {
        match self {
            Self::AesCm192HmacSha1_80 | Self::AesCm192HmacSha1_32 => 24,
            Self::AesCm256HmacSha1_80 | Self::AesCm256HmacSha1_32 | Self::AeadAes256Gcm => 32,
            _ => 16,
        }
    }

    /// Length in bytes of the master salt: 14 (RFC 3711) or 12 for AES-GCM (RFC 7714).
    pub fn master_salt_len(self) -> usize {
        match self.cipher() {
            CipherKind::AesGcm => 12,
            _ => 14,
        }
    }

    /// Length of the SDES `inline:` key material: master key followed by master salt.
    pub fn key_salt_len(self) -> usize {
        self.master_key_len() + self.master_salt_len()
    }

    /// Authentication tag length of SRTP packets.
    pub fn rtp_tag_len(self) -> usize {
        match self {
            Self::AesCm128HmacSha1_32
            | Self::AesCm192HmacSha1_32
            | Self::AesCm256HmacSha1_32
            | Self::NullHmacSha1_32 => 4,
            Self::AeadAes128Gcm | Self::AeadAes256Gcm => GCM_TAG_LEN,
            Self::NullCipherNullAuth => 0,
            _ => 10,
        }
    }

    /// Authentication tag length of SRTCP packets: the `_32` suites still use 80 bits
    /// for SRTCP (RFC 4568 sec. 6.2.2, RFC 6188 sec. 6).
    pub fn rtcp_tag_len(self) -> usize {
        match self {
            Self::AeadAes128Gcm | Self::AeadAes256Gcm => GCM_TAG_LEN,
            Self::NullCipherNullAuth => 0,
            _ => 10,
        }
    }

    /// Bytes `protect` appends to an RTP packet: tag plus MKI. A caller's buffer needs this
    /// much spare capacity after the packet.
    pub fn rtp_overhead(self, mki_len: usize) -> usize {
        self.rtp_tag_len() + mki_len
    }

    /// Bytes `protect_rtcp` appends to an RTCP packet: tag, MKI and the 4-byte E/index word.
    pub fn rtcp_overhead(self, mki_len: usize) -> usize {
        self.rtcp_tag_len() + mki_len + SRTCP_TRAILER_LEN
    }

    /// Whether the suite authenticates packets (every suite except `NullCipherNullAuth`).
    pub fn authenticates(self) -> bool {
        self != Self::NullCipherNullAuth
    }

    /// Whether the suite encrypts payloads.
    pub fn encrypts(self) -> bool {
        self.cipher() != CipherKind::Null
    }

    /// The name SDES (RFC 4568 / 6188 / 7714) uses in `a=crypto`. The NULL suites have no
    /// IANA registration; the names given are the ones libsrtp and SIP stacks use.
    pub fn sdes_name(self) -> &'static str {
        match self {
            Self::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Self::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
            Self::AesCm192HmacSha1_80 => "AES_192_CM_HMAC_SHA1_80",
            Self::AesCm192HmacSha1_32 => "AES_192_CM_HMAC_SHA1_32",
            Self::AesCm256HmacSha1_80 => "AES_256_CM_HMAC_SHA1_80",
            Self::AesCm256HmacSha1_32 => "AES_256_CM_HMAC_SHA1_32",
            Self::AesF8_128HmacSha1_80 => "F8_128_HMAC_SHA1_80",
            Self::AeadAes128Gcm => "AEAD_AES_128_GCM",
            Self::AeadAes256Gcm => "AEAD_AES_256_GCM",
            Self::NullHmacSha1_80 => "NULL_HMAC_SHA1_80",
            Self::NullHmacSha1_32 => "NULL_HMAC_SHA1_32",
            Self::NullCipherNullAuth => "NULL_NULL",
        }
    }

    /// Looks a suite up by its SDES name (exact, case-sensitive as RFC 4568 registers them).
    /// `NULL_NULL` is never returned: a suite without authentication cannot be negotiated.
    pub fn from_sdes_name(name: &str) -> Option<Self> {
        ALL_SUITES
            .into_iter()
            .filter(|s| s.authenticates())
            .find(|s| s.sdes_name() == name)
    }
}

impl fmt::Display for SrtpSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sdes_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdes_names_round_trip_and_null_null_is_not_negotiable() {
        for suite in ALL_SUITES {
            let found = SrtpSuite::from_sdes_name(suite.sdes_name());
            if suite == SrtpSuite::NullCipherNullAuth {
                assert_eq!(found, None);
            } else {
                assert_eq!(found, Some(suite));
            }
        }
        assert_eq!(SrtpSuite::from_sdes_name("AES_CM_128_HMAC_SHA1_64"), None);
    }

    #[test]
    fn srtcp_keeps_an_80_bit_tag_for_32_bit_suites() {
        assert_eq!(SrtpSuite::AesCm128HmacSha1_32.rtp_tag_len(), 4);
        assert_eq!(SrtpSuite::AesCm128HmacSha1_32.rtcp_tag_len(), 10);
        assert_eq!(SrtpSuite::AeadAes128Gcm.rtcp_overhead(4), 16 + 4 + 4);
    }
}
