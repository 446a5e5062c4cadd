//! SRTP key derivation (RFC 3711 sec. 4.3, RFC 6188 sec. 3 for AES-192/256): session keys
//! and salts from the master key, a label and `r = index DIV key_derivation_rate`.
//!
//! The PRF is AES in counter mode keyed with the master key, its input block built from
//! the master salt XOR `label || r`. A 12-byte AES-GCM master salt is right-padded with two
//! zero bytes first, which is what libsrtp does and what reproduces its GCM packets.

use zeroize::Zeroize;

use super::aes_block::{AesBlockCipher, BLOCK_LEN};
use super::error::SrtpConfigError;
use super::master_key::MAX_SALT_LEN;

/// What a derived value is for (RFC 3711 sec. 4.3.1 and RFC 6904 labels).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Label {
    RtpEncryption = 0,
    RtpAuthentication = 1,
    RtpSalt = 2,
    RtcpEncryption = 3,
    RtcpAuthentication = 4,
    RtcpSalt = 5,
    RtpHeaderEncryption = 6,
    RtpHeaderSalt = 7,
}

impl Label {
    fn is_rtcp(self) -> bool {
        matches!(
            self,
            Self::RtcpEncryption | Self::RtcpAuthentication | Self::RtcpSalt
        )
    }

    #[cfg(test)]
    pub(crate) fn from_number(n: u8) -> Option<Self> {
        Some(match n {
            0 => Self::RtpEncryption,
            1 => Self::RtpAuthentication,
            2 => Self::RtpSalt,
            3 => Self::RtcpEncryption,
            4 => Self::RtcpAuthentication,
            5 => Self::RtcpSalt,
            6 => Self::RtpHeaderEncryption,
            7 => Self::RtpHeaderSalt,
            _ => return None,
        })
    }
}

/// Largest key derivation rate (RFC 3711 sec. 4.3.1: 2^24).
const MAX_KDR_EXPONENT: u8 = 24;

/// How often session keys are re-derived: every `2^n` packets, or never (rate 0, the
/// default and the only rate most deployments use).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyDerivationRate {
    exponent: Option<u8>,
}

impl KeyDerivationRate {
    /// Derive once, never re-derive (rate 0).
    pub const ZERO: Self = Self { exponent: None };

    /// From the rate itself: 0, or a power of two up to 2^24.
    pub fn from_rate(rate: u64) -> Result<Self, SrtpConfigError> {
        if rate == 0 {
            return Ok(Self::ZERO);
        }
        if !rate.is_power_of_two() || rate > 1 << MAX_KDR_EXPONENT {
            return Err(SrtpConfigError::KeyDerivationRate(rate));
        }
        Ok(Self {
            exponent: Some(rate.trailing_zeros() as u8),
        })
    }

    /// From SDES's `KDR=n` session parameter, which gives the rate as `2^n` (RFC 4568 6.3.1).
    pub fn from_exponent(n: u8) -> Result<Self, SrtpConfigError> {
        if n > MAX_KDR_EXPONENT {
            return Err(SrtpConfigError::KeyDerivationRate(1u64 << n.min(63)));
        }
        Ok(Self { exponent: Some(n) })
    }

    /// The rate in packets (0 = never re-derive).
    pub fn rate(self) -> u64 {
        self.exponent.map_or(0, |n| 1 << n)
    }

    /// The SDES exponent, or `None` for rate 0.
    pub fn exponent(self) -> Option<u8> {
        self.exponent
    }

    /// `index DIV rate`, with `DIV 0` defined as 0 (RFC 3711 sec. 4.3.1).
    pub(crate) fn r(self, index: u64) -> u64 {
        self.exponent.map_or(0, |n| index >> n)
    }
}

/// Derives `out.len()` bytes for `label` at `r`.
///
/// Layout of `label || r`: for SRTP labels `r` is 48 bits. For SRTCP labels with a non-zero
/// rate `r` is the 32-bit SRTCP index quotient and the label sits directly above it (as
/// NIST ACVP and OpenSSL define it); with rate 0 every label uses the 48-bit position,
/// which is what libsrtp and every deployed stack derive.
pub(crate) fn derive(
    master_key: &[u8],
    master_salt: &[u8],
    kdr: KeyDerivationRate,
    label: Label,
    r: u64,
    out: &mut [u8],
) {
    let r_len = if label.is_rtcp() && kdr.exponent.is_some() {
        4
    } else {
        6
    };
    let mut x = [0u8; MAX_SALT_LEN];
    let salt_len = master_salt.len().min(MAX_SALT_LEN);
    x[..salt_len].copy_from_slice(&master_salt[..salt_len]);
    let r_bytes = r.to_be_bytes();
    for (dst, src) in x[MAX_SALT_LEN - r_len..]
        .iter_mut()
        .zip(&r_bytes[8 - r_len..])
    {
        *dst ^= src;
    }
    x[MAX_SALT_LEN - r_len - 1] ^= label as u8;

    let Some(prf) = AesBlockCipher::new(master_key) else {
        return;
    };
    let mut block = [0u8; BLOCK_LEN];
    for (j, chunk) in out.chunks_mut(BLOCK_LEN).enumerate() {
        block[..MAX_SALT_LEN].copy_from_slice(&x);
        block[MAX_SALT_LEN..].copy_from_slice(&(j as u16).to_be_bytes());
        prf.encrypt_block(&mut block);
        chunk.copy_from_slice(&block[..chunk.len()]);
    }
    block.zeroize();
    x.zeroize();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_must_be_zero_or_power_of_two_up_to_2_pow_24() {
        assert_eq!(KeyDerivationRate::from_rate(0).unwrap().rate(), 0);
        assert_eq!(KeyDerivationRate::from_rate(8).unwrap().exponent(), Some(3));
        assert!(KeyDerivationRate::from_rate(5).is_err());
        assert!(KeyDerivationRate::from_rate(0x1000_0000).is_err());
        assert_eq!(
            KeyDerivationRate::from_rate(1 << 24).unwrap().exponent(),
            Some(24)
        );
        assert!(KeyDerivationRate::from_exponent(25).is_err());
        assert_eq!(KeyDerivationRate::from_rate(8).unwrap().r(0x17), 2);
        assert_eq!(KeyDerivationRate::ZERO.r(0xFFFF_FFFF), 0);
    }
}
