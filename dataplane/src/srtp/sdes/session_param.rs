//! Session parameters of an `a=crypto` attribute (RFC 4568 sec. 6.3): the ones with a
//! meaning here are parsed, any other is kept verbatim.

use core::fmt;

use super::super::kdf::KeyDerivationRate;
use super::super::replay::MIN_REPLAY_WINDOW;
use super::key::digits;
use super::SdesError;

/// A session parameter of an `a=crypto` attribute (RFC 4568 sec. 6.3).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SdesSessionParam {
    /// `KDR=n`: key-derivation rate 2^n.
    KeyDerivationRate(KeyDerivationRate),
    /// `UNENCRYPTED_SRTP`.
    UnencryptedSrtp,
    /// `UNENCRYPTED_SRTCP`.
    UnencryptedSrtcp,
    /// `UNAUTHENTICATED_SRTP`.
    UnauthenticatedSrtp,
    /// `WSH=n`: replay window size hint in packets.
    WindowSizeHint(u32),
    /// Any other parameter (e.g. `FEC_ORDER=`), kept verbatim.
    Other(String),
}

impl SdesSessionParam {
    pub(super) fn parse(text: &str) -> Result<Self, SdesError> {
        let bad = || SdesError::BadSessionParam(text.to_string());
        Ok(match text.split_once('=') {
            Some(("KDR", n)) => {
                let n: u8 = digits(n).ok_or_else(bad)?.parse().map_err(|_| bad())?;
                Self::KeyDerivationRate(KeyDerivationRate::from_exponent(n).map_err(|_| bad())?)
            }
            Some(("WSH", n)) => {
                let n: u32 = digits(n).ok_or_else(bad)?.parse().map_err(|_| bad())?;
                if n < MIN_REPLAY_WINDOW as u32 {
                    return Err(bad());
                }
                Self::WindowSizeHint(n)
            }
            _ => match text {
                "UNENCRYPTED_SRTP" => Self::UnencryptedSrtp,
                "UNENCRYPTED_SRTCP" => Self::UnencryptedSrtcp,
                "UNAUTHENTICATED_SRTP" => Self::UnauthenticatedSrtp,
                _ if text.is_empty() || text.bytes().any(|b| b.is_ascii_control()) => {
                    return Err(bad())
                }
                _ => Self::Other(text.to_string()),
            },
        })
    }
}

impl fmt::Display for SdesSessionParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::KeyDerivationRate(kdr) => write!(f, "KDR={}", kdr.exponent().unwrap_or(0)),
            Self::UnencryptedSrtp => f.write_str("UNENCRYPTED_SRTP"),
            Self::UnencryptedSrtcp => f.write_str("UNENCRYPTED_SRTCP"),
            Self::UnauthenticatedSrtp => f.write_str("UNAUTHENTICATED_SRTP"),
            Self::WindowSizeHint(n) => write!(f, "WSH={n}"),
            Self::Other(s) => f.write_str(s),
        }
    }
}
