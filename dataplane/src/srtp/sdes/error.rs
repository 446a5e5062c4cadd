//! Why an `a=crypto` attribute was refused: each variant names the part that is wrong,
//! and none repeats key material.

use core::fmt;

use super::super::error::SrtpConfigError;
use super::super::suite::SrtpSuite;

/// What is wrong with an `a=crypto` attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SdesError {
    /// The text is not a crypto attribute.
    NotCryptoAttribute,
    /// A required field is missing (names it).
    MissingField(&'static str),
    /// The tag is not 1 to 9 decimal digits.
    BadTag(String),
    /// The crypto suite name is not registered.
    UnknownSuite(String),
    /// The crypto suite exists but cannot be negotiated (`NULL_NULL`: no authentication).
    UnsupportedSuite(String),
    /// A key method other than `inline`.
    UnsupportedKeyMethod(String),
    /// The key is not valid base64 (the key text is not repeated here).
    BadBase64,
    /// The decoded key and salt have the wrong length for the suite.
    KeySaltLength {
        /// The suite of the attribute.
        suite: SrtpSuite,
        /// Bytes the suite needs.
        expected: usize,
        /// Bytes decoded.
        actual: usize,
    },
    /// The lifetime is not `2^n` or a decimal count of 1 to 2^48 packets.
    BadLifetime(String),
    /// The MKI is not `value:length` with length 1..=128 and the value fitting the length.
    BadMki(String),
    /// Several keys, but not every one has an MKI of the same length (RFC 4568 sec. 6.1).
    InconsistentMki,
    /// A session parameter is malformed.
    BadSessionParam(String),
    /// A session parameter this engine cannot honour (e.g. `UNENCRYPTED_SRTP`).
    UnsupportedSessionParam(String),
    /// The key, lifetime or window was refused by the engine's own checks.
    Config(SrtpConfigError),
}

impl fmt::Display for SdesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotCryptoAttribute => f.write_str("not an a=crypto attribute"),
            Self::MissingField(field) => write!(f, "a=crypto: missing {field}"),
            Self::BadTag(tag) => write!(f, "a=crypto: tag {tag:?} is not 1 to 9 digits"),
            Self::UnknownSuite(s) => write!(f, "a=crypto: unknown crypto suite {s:?}"),
            Self::UnsupportedSuite(s) => write!(f, "a=crypto: crypto suite {s} not supported"),
            Self::UnsupportedKeyMethod(m) => {
                write!(f, "a=crypto: key method {m:?} not supported (only inline)")
            }
            Self::BadBase64 => f.write_str("a=crypto: inline key is not valid base64"),
            Self::KeySaltLength {
                suite,
                expected,
                actual,
            } => write!(
                f,
                "a=crypto: {suite} needs {expected} bytes of key and salt, inline key has {actual}"
            ),
            Self::BadLifetime(s) => write!(f, "a=crypto: bad key lifetime {s:?}"),
            Self::BadMki(s) => write!(f, "a=crypto: bad MKI {s:?} (want value:length, 1..=128)"),
            Self::InconsistentMki => {
                f.write_str("a=crypto: with several keys each needs an MKI of the same length")
            }
            Self::BadSessionParam(s) => write!(f, "a=crypto: bad session parameter {s:?}"),
            Self::UnsupportedSessionParam(s) => {
                write!(f, "a=crypto: session parameter {s} not supported")
            }
            Self::Config(e) => write!(f, "a=crypto: {e}"),
        }
    }
}

impl std::error::Error for SdesError {}

impl From<SrtpConfigError> for SdesError {
    fn from(e: SrtpConfigError) -> Self {
        Self::Config(e)
    }
}
