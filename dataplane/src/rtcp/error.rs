//! Why an RTCP packet could not be read or written.

use core::fmt;

/// A reason an RTCP packet failed its checks, or could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtcpError {
    /// Fewer bytes than the 4-byte common header, or than the body of the packet type needs.
    TooShort,
    /// The version field is not 2; carries the version found.
    BadVersion(u8),
    /// The length field announces more bytes than the buffer holds.
    BadLength,
    /// The P bit is set but the padding count is zero or larger than the body.
    BadPadding,
    /// A packet other than the last of a compound packet has the P bit set.
    PaddingNotLast,
    /// The count field announces more report blocks, chunks or sources than the body holds.
    BadCount,
    /// An SDES chunk's items run past the body or lack their terminating null octet.
    BadSdesChunk,
    /// A BYE reason's length runs past the body.
    BadByeReason,
    /// A typed view was asked to read a packet of another type; carries the type found.
    WrongPacketType(u8),
    /// Compound check (RFC 3550 A.2): the first packet is not SR or RR; carries its type.
    FirstNotReport(u8),
    /// Compound check (RFC 3550 A.2): the first packet has the P bit set.
    FirstPadded,
    /// Building: more than 31 report blocks, chunks or sources for one packet.
    TooManyEntries,
    /// Building: an SDES item or BYE reason longer than 255 bytes.
    TextTooLong,
    /// Building: the packet would exceed the 65536 words its length field can describe.
    PacketTooLong,
    /// Building: the output buffer is too small; carries the total bytes needed.
    BufferTooSmall(usize),
}

impl fmt::Display for RtcpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort => f.write_str("RTCP packet too short"),
            Self::BadVersion(v) => write!(f, "RTCP version {v}, expected 2"),
            Self::BadLength => f.write_str("RTCP length field runs past the end of the datagram"),
            Self::BadPadding => f.write_str("RTCP padding count is zero or exceeds the body"),
            Self::PaddingNotLast => {
                f.write_str("RTCP padding on a packet that is not last in the compound")
            }
            Self::BadCount => f.write_str("RTCP count field exceeds the packet body"),
            Self::BadSdesChunk => f.write_str("RTCP SDES chunk malformed"),
            Self::BadByeReason => f.write_str("RTCP BYE reason runs past the packet body"),
            Self::WrongPacketType(pt) => write!(f, "unexpected RTCP packet type {pt}"),
            Self::FirstNotReport(pt) => {
                write!(
                    f,
                    "compound RTCP starts with packet type {pt}, not SR or RR"
                )
            }
            Self::FirstPadded => f.write_str("first packet of compound RTCP is padded"),
            Self::TooManyEntries => f.write_str("more than 31 entries in one RTCP packet"),
            Self::TextTooLong => f.write_str("RTCP text longer than 255 bytes"),
            Self::PacketTooLong => f.write_str("RTCP packet longer than 65536 words"),
            Self::BufferTooSmall(n) => write!(f, "output buffer too small, {n} bytes needed"),
        }
    }
}

impl std::error::Error for RtcpError {}
