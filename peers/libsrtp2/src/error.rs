//! Errors of the libsrtp2 binding: libsrtp's own status codes plus the argument checks this
//! wrapper makes before handing a buffer to C.

use std::fmt;

/// Why a libsrtp2 call was refused or failed.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Libsrtp2Error {
    /// The master key and salt has the wrong length for the suite.
    KeyLength {
        /// Length the suite needs.
        expected: usize,
        /// Length given.
        actual: usize,
    },
    /// The replay window is outside libsrtp's range (64 to 32767 packets).
    ReplayWindow(u32),
    /// The packet is shorter than a fixed RTP (12 bytes) or RTCP (8 bytes) header.
    PacketTooShort(usize),
    /// The packet is too long for libsrtp's `int` length.
    PacketTooLong(usize),
    /// The buffer has no room for the bytes protect appends.
    NoHeadroom {
        /// Bytes the buffer must hold.
        needed: usize,
        /// Bytes it holds.
        available: usize,
    },
    /// libsrtp returned this `srtp_err_status_t` (7 auth_fail, 9 replay_fail, 10 replay_old, ...).
    Status(i32),
}

impl Libsrtp2Error {
    /// libsrtp's status code, if libsrtp itself reported the error.
    pub fn status(&self) -> Option<i32> {
        match self {
            Libsrtp2Error::Status(code) => Some(*code),
            _ => None,
        }
    }
}

impl fmt::Display for Libsrtp2Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Libsrtp2Error::KeyLength { expected, actual } => {
                write!(
                    f,
                    "master key and salt is {actual} bytes, suite needs {expected}"
                )
            }
            Libsrtp2Error::ReplayWindow(size) => {
                write!(f, "replay window {size} is outside libsrtp's 64..=32767")
            }
            Libsrtp2Error::PacketTooShort(len) => write!(f, "packet of {len} bytes is too short"),
            Libsrtp2Error::PacketTooLong(len) => write!(f, "packet of {len} bytes is too long"),
            Libsrtp2Error::NoHeadroom { needed, available } => {
                write!(f, "buffer holds {available} bytes, protect needs {needed}")
            }
            Libsrtp2Error::Status(code) => write!(f, "libsrtp2 returned status {code}"),
        }
    }
}

impl std::error::Error for Libsrtp2Error {}
