//! Why an RTP header could not be read or written.

use core::fmt;

/// A reason an RTP packet failed its checks, or a header could not be emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtpError {
    /// Shorter than the 12-byte fixed header.
    TooShort,
    /// The version field is not 2; carries the version found.
    BadVersion(u8),
    /// The CSRC list announced by the CC field runs past the end of the buffer.
    BadCsrcLength,
    /// The header extension (its 4-byte preamble or its announced words) runs past the end.
    BadExtensionLength,
    /// The P bit is set but the padding count is zero or larger than the payload.
    BadPadding,
    /// The payload type is 72 or 73, which with the marker bit set reads as RTCP SR/RR
    /// (RFC 3550 A.1); carries the payload type.
    RtcpPayloadType(u8),
    /// Emitting: the payload type does not fit in 7 bits; carries the value.
    PayloadTypeOutOfRange(u8),
    /// Emitting: extension data is not a whole number of 32-bit words.
    ExtensionNotAligned,
    /// Emitting: extension data is longer than 65535 words.
    ExtensionTooLong,
    /// Emitting: the output buffer is too small; carries the bytes needed.
    BufferTooSmall(usize),
}

impl fmt::Display for RtpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort => f.write_str("RTP packet shorter than the 12-byte fixed header"),
            Self::BadVersion(v) => write!(f, "RTP version {v}, expected 2"),
            Self::BadCsrcLength => f.write_str("RTP CSRC list runs past the end of the packet"),
            Self::BadExtensionLength => {
                f.write_str("RTP header extension runs past the end of the packet")
            }
            Self::BadPadding => f.write_str("RTP padding count is zero or exceeds the payload"),
            Self::RtcpPayloadType(pt) => {
                write!(f, "RTP payload type {pt} collides with RTCP SR/RR")
            }
            Self::PayloadTypeOutOfRange(pt) => write!(f, "RTP payload type {pt} exceeds 127"),
            Self::ExtensionNotAligned => {
                f.write_str("RTP header extension data is not a multiple of 4 bytes")
            }
            Self::ExtensionTooLong => f.write_str("RTP header extension exceeds 65535 words"),
            Self::BufferTooSmall(n) => write!(f, "output buffer too small, {n} bytes needed"),
        }
    }
}

impl std::error::Error for RtpError {}
