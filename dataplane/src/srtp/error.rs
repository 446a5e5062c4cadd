//! Why a packet or a configuration was refused.
//!
//! Per-packet errors (`SrtpError`) are small `Copy` values so a batch can carry one per
//! packet without allocation; setup errors (`SrtpConfigError`) describe what is wrong with
//! a key, policy or SSRC claim.

use core::fmt;

use super::suite::SrtpSuite;

/// Why one packet could not be protected or unprotected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SrtpError {
    /// Shorter than the fixed header plus trailer the suite needs.
    PacketTooShort,
    /// Not version 2, or the CSRC list / header extension runs past the end.
    MalformedHeader,
    /// The packet length given is larger than its buffer.
    LengthExceedsBuffer,
    /// Longer than any UDP datagram can carry (65,535 bytes plus SRTP overhead).
    PacketTooLong,
    /// The buffer lacks spare capacity for the trailer (tag, MKI, SRTCP index).
    InsufficientCapacity {
        /// Total buffer size the protected packet needs.
        needed: usize,
    },
    /// The authentication tag did not verify.
    AuthenticationFailed,
    /// The packet index was already seen (replay, or a sender reusing an index).
    Replayed,
    /// The packet index lies behind the replay window.
    TooOld,
    /// The MKI in the packet is not the configured one.
    MkiMismatch,
    /// Protect was asked for an SSRC that is not a configured sender of this session.
    UnknownSenderSsrc(u32),
    /// The session has no policy for this direction.
    DirectionNotConfigured,
    /// The master key reached its packet limit (2^48 SRTP / 2^31 SRTCP or the configured
    /// lifetime): re-key before sending or accepting more.
    KeyLifetimeExhausted,
    /// The stream's SRTP packet index (ROC and sequence number) would wrap.
    PacketIndexExhausted,
    /// The sender's 31-bit SRTCP index would wrap.
    SrtcpIndexExhausted,
    /// A new inbound SSRC authenticated but the session already holds its maximum of streams.
    TooManyStreams,
}

impl fmt::Display for SrtpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PacketTooShort => f.write_str("packet too short for SRTP"),
            Self::MalformedHeader => f.write_str("malformed RTP/RTCP header"),
            Self::LengthExceedsBuffer => f.write_str("packet length exceeds its buffer"),
            Self::PacketTooLong => f.write_str("packet longer than a UDP datagram"),
            Self::InsufficientCapacity { needed } => {
                write!(f, "buffer too small: protected packet needs {needed} bytes")
            }
            Self::AuthenticationFailed => f.write_str("authentication failed"),
            Self::Replayed => f.write_str("packet index already used (replay)"),
            Self::TooOld => f.write_str("packet index behind the replay window"),
            Self::MkiMismatch => f.write_str("MKI does not match the configured master key"),
            Self::UnknownSenderSsrc(ssrc) => {
                write!(f, "SSRC {ssrc:#010x} is not a configured sender")
            }
            Self::DirectionNotConfigured => f.write_str("no SRTP policy for this direction"),
            Self::KeyLifetimeExhausted => f.write_str("master key lifetime exhausted; re-key"),
            Self::PacketIndexExhausted => f.write_str("SRTP packet index would wrap"),
            Self::SrtcpIndexExhausted => f.write_str("SRTCP index would wrap"),
            Self::TooManyStreams => f.write_str("too many SRTP streams in this session"),
        }
    }
}

impl std::error::Error for SrtpError {}

/// Why a key, policy or SSRC claim was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SrtpConfigError {
    /// The master key has the wrong length for the suite.
    KeyLength {
        /// The suite the key was meant for.
        suite: SrtpSuite,
        /// Required length in bytes.
        expected: usize,
        /// Length given.
        actual: usize,
    },
    /// The master salt has the wrong length for the suite.
    SaltLength {
        /// The suite the salt was meant for.
        suite: SrtpSuite,
        /// Required length in bytes.
        expected: usize,
        /// Length given.
        actual: usize,
    },
    /// MKI length outside 1..=128 bytes (RFC 4568 sec. 9.1), or a value that does not fit.
    MkiLength(usize),
    /// Key-derivation rate that is neither 0 nor a power of two up to 2^24 (RFC 3711 4.3.1).
    KeyDerivationRate(u64),
    /// Replay window outside 64..=1024 packets.
    ReplayWindow(usize),
    /// Key lifetime of zero or above the suite maximum (2^48 SRTP, 2^31 SRTCP).
    KeyLifetime(u64),
    /// Maximum stream count of zero.
    MaxStreams,
    /// The SSRC was already used by a sender under this master key: a second sender with it
    /// would reuse the keystream (two-time pad).
    SsrcAlreadyUsed(u32),
    /// An SSRC claim made under a different (or since re-keyed) conference key.
    ForeignClaim(u32),
    /// No unused SSRC was found in the candidates offered.
    NoUnusedSsrc,
    /// Header extension ID 0 is padding and cannot be encrypted.
    HeaderExtensionId(u8),
    /// Header extension encryption (RFC 6904) needs an AES suite.
    HeaderEncryptionUnsupported(SrtpSuite),
}

impl fmt::Display for SrtpConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::KeyLength {
                suite,
                expected,
                actual,
            } => write!(
                f,
                "{suite} needs a {expected}-byte master key, got {actual} bytes"
            ),
            Self::SaltLength {
                suite,
                expected,
                actual,
            } => write!(
                f,
                "{suite} needs a {expected}-byte master salt, got {actual} bytes"
            ),
            Self::MkiLength(len) => write!(f, "MKI length {len} outside 1..=128 bytes"),
            Self::KeyDerivationRate(rate) => write!(
                f,
                "key derivation rate {rate} is not 0 or a power of two up to 2^24"
            ),
            Self::ReplayWindow(size) => {
                write!(f, "replay window of {size} packets outside 64..=1024")
            }
            Self::KeyLifetime(n) => write!(f, "key lifetime {n} outside the suite's range"),
            Self::MaxStreams => f.write_str("maximum stream count must be at least 1"),
            Self::SsrcAlreadyUsed(ssrc) => write!(
                f,
                "SSRC {ssrc:#010x} already used under this master key (would reuse keystream)"
            ),
            Self::ForeignClaim(ssrc) => write!(
                f,
                "claim for SSRC {ssrc:#010x} was made under another or older conference key"
            ),
            Self::NoUnusedSsrc => f.write_str("no unused SSRC among the candidates"),
            Self::HeaderExtensionId(id) => {
                write!(f, "header extension ID {id} cannot be encrypted")
            }
            Self::HeaderEncryptionUnsupported(suite) => {
                write!(f, "{suite} cannot encrypt header extensions")
            }
        }
    }
}

impl std::error::Error for SrtpConfigError {}
