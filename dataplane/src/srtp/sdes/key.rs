//! One SDES key parameter: `inline:<base64 key||salt>[|lifetime][|MKI:length]`, with the
//! lifetime as `2^n` or a decimal count and the MKI value in decimal of any length.

use core::fmt;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine};
use zeroize::Zeroize;

use super::super::master_key::{MasterKey, Mki, MAX_MKI_LEN};
use super::super::policy::MAX_SRTP_PACKETS_PER_KEY;
use super::super::suite::SrtpSuite;
use super::SdesError;

/// Base64 as SDES uses it: standard alphabet, padding written, accepted with or without.
pub(super) const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// One `inline:` key: master key and salt (with MKI, if any) and its lifetime.
#[derive(Clone, Debug)]
pub struct SdesKey {
    /// Master key, salt and MKI.
    pub master_key: MasterKey,
    /// Packets the key may protect, if limited.
    pub lifetime: Option<u64>,
}

impl SdesKey {
    /// A key without lifetime.
    pub fn new(master_key: MasterKey) -> Self {
        Self {
            master_key,
            lifetime: None,
        }
    }

    /// Parses one key parameter for `suite`, with or without the `inline:` prefix:
    /// `[inline:]<base64>[|lifetime][|value:length]`.
    pub fn parse(suite: SrtpSuite, text: &str) -> Result<Self, SdesError> {
        let info = match text.split_once(':') {
            Some((method, info))
                if !method.contains('|') && method.eq_ignore_ascii_case("inline") =>
            {
                info
            }
            Some((method, _)) if !method.contains('|') && !looks_like_base64(method) => {
                return Err(SdesError::UnsupportedKeyMethod(method.to_string()));
            }
            _ => text,
        };
        let mut parts = info.split('|');
        let key_text = parts.next().unwrap_or("").trim();
        if key_text.is_empty() {
            return Err(SdesError::MissingField("inline key"));
        }
        let mut key_salt = BASE64.decode(key_text).map_err(|_| SdesError::BadBase64)?;
        let expected = suite.key_salt_len();
        if key_salt.len() != expected {
            let actual = key_salt.len();
            key_salt.zeroize();
            return Err(SdesError::KeySaltLength {
                suite,
                expected,
                actual,
            });
        }
        let master = MasterKey::from_key_salt(suite, &key_salt);
        key_salt.zeroize();
        let mut key = Self::new(master?);
        for part in parts {
            let part = part.trim();
            if part.contains(':') {
                if key.master_key.mki().is_some() {
                    return Err(SdesError::BadMki(part.to_string()));
                }
                let mki = parse_mki(part)?;
                key.master_key = key.master_key.with_mki(mki);
            } else {
                if key.lifetime.is_some() || key.master_key.mki().is_some() {
                    return Err(SdesError::BadLifetime(part.to_string()));
                }
                key.lifetime = Some(parse_lifetime(part)?);
            }
        }
        Ok(key)
    }
}

impl fmt::Display for SdesKey {
    /// `inline:<base64>[|lifetime][|value:length]` (contains the secret key).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = [0u8; 64];
        let n = self.master_key.write_key_salt(&mut raw).unwrap_or(0);
        let mut text = [0u8; 96];
        let written = BASE64.encode_slice(&raw[..n], &mut text).unwrap_or(0);
        raw.zeroize();
        let encoded = core::str::from_utf8(&text[..written]).unwrap_or("");
        let result = (|| {
            write!(f, "inline:{encoded}")?;
            if let Some(lifetime) = self.lifetime {
                if lifetime.is_power_of_two() {
                    write!(f, "|2^{}", lifetime.trailing_zeros())?;
                } else {
                    write!(f, "|{lifetime}")?;
                }
            }
            if let Some(mki) = self.master_key.mki() {
                write!(f, "|{}:{}", mki_decimal(mki.as_bytes()), mki.len())?;
            }
            Ok(())
        })();
        text.zeroize();
        result
    }
}

fn looks_like_base64(s: &str) -> bool {
    s.len() >= 16
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

fn parse_lifetime(text: &str) -> Result<u64, SdesError> {
    let bad = || SdesError::BadLifetime(text.to_string());
    let value = if let Some(exp) = text.strip_prefix("2^") {
        let exp: u32 = digits(exp).ok_or_else(bad)?.parse().map_err(|_| bad())?;
        1u64.checked_shl(exp).filter(|_| exp < 64).ok_or_else(bad)?
    } else {
        digits(text).ok_or_else(bad)?.parse().map_err(|_| bad())?
    };
    if value == 0 || value > MAX_SRTP_PACKETS_PER_KEY {
        return Err(bad());
    }
    Ok(value)
}

pub(super) fn digits(s: &str) -> Option<&str> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}

pub(super) fn parse_mki(text: &str) -> Result<Mki, SdesError> {
    let bad = || SdesError::BadMki(text.to_string());
    let (value, len) = text.split_once(':').ok_or_else(bad)?;
    let len: usize = digits(len).ok_or_else(bad)?.parse().map_err(|_| bad())?;
    if len == 0 || len > MAX_MKI_LEN {
        return Err(bad());
    }
    let mut bytes = [0u8; MAX_MKI_LEN];
    for d in digits(value).ok_or_else(bad)?.bytes() {
        // bytes = bytes * 10 + d, big-endian over `len` bytes; overflow means too big.
        let mut carry = u16::from(d - b'0');
        for b in bytes[..len].iter_mut().rev() {
            let v = u16::from(*b) * 10 + carry;
            *b = v as u8;
            carry = v >> 8;
        }
        if carry != 0 {
            return Err(bad());
        }
    }
    Mki::new(&bytes[..len]).map_err(|_| bad())
}

/// Decimal digits of a big-endian unsigned integer of any length.
pub(super) fn mki_decimal(bytes: &[u8]) -> String {
    let mut n = bytes.to_vec();
    let mut digits = Vec::new();
    while n.iter().any(|&b| b != 0) {
        let mut rem = 0u16;
        for b in n.iter_mut() {
            let v = (rem << 8) | u16::from(*b);
            *b = (v / 10) as u8;
            rem = v % 10;
        }
        digits.push(b'0' + rem as u8);
    }
    if digits.is_empty() {
        digits.push(b'0');
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}
