//! The checked view over one RTCP packet's common header (RFC 3550 sec. 6.4), the part every
//! packet type shares; the typed views in the sibling modules build on it.

use super::RtcpError;
use crate::be::u16_at;

/// Length of the common header (V, P, count, packet type, length).
pub const COMMON_HEADER_LEN: usize = 4;
/// The only RTCP version in use.
pub const RTCP_VERSION: u8 = 2;

/// A checked view over one RTCP packet at the start of `T`.
///
/// The packet spans the bytes its length field announces; anything after them in the buffer
/// (the rest of a compound packet) is not part of this view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtcpPacket<T: AsRef<[u8]>> {
    buffer: T,
    packet_len: usize,
    padding_len: usize,
}

impl<T: AsRef<[u8]>> RtcpPacket<T> {
    /// Checks the common header: version 2, a length field inside the buffer, and when the
    /// P bit is set a nonzero padding count no larger than the body.
    pub fn new_checked(buffer: T) -> Result<Self, RtcpError> {
        let buf = buffer.as_ref();
        if buf.len() < COMMON_HEADER_LEN {
            return Err(RtcpError::TooShort);
        }
        let version = buf[0] >> 6;
        if version != RTCP_VERSION {
            return Err(RtcpError::BadVersion(version));
        }
        let packet_len = (usize::from(u16_at(buf, 2)) + 1) * 4;
        if packet_len > buf.len() {
            return Err(RtcpError::BadLength);
        }
        let padding_len = if buf[0] & 0x20 != 0 {
            let count = usize::from(buf[packet_len - 1]);
            if count == 0 || count > packet_len - COMMON_HEADER_LEN {
                return Err(RtcpError::BadPadding);
            }
            count
        } else {
            0
        };
        Ok(Self {
            buffer,
            packet_len,
            padding_len,
        })
    }

    /// Gives the underlying buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// This packet's bytes: header, body and padding, nothing after.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buffer.as_ref()[..self.packet_len]
    }

    /// The version field (always 2 for a checked packet).
    pub fn version(&self) -> u8 {
        self.as_bytes()[0] >> 6
    }

    /// The P bit.
    pub fn padding(&self) -> bool {
        self.as_bytes()[0] & 0x20 != 0
    }

    /// The 5-bit count field: report count, source count, APP subtype or feedback FMT.
    pub fn count(&self) -> u8 {
        self.as_bytes()[0] & 0x1f
    }

    /// The packet type (200 SR, 201 RR, 202 SDES, 203 BYE, 204 APP, ...).
    pub fn packet_type(&self) -> u8 {
        self.as_bytes()[1]
    }

    /// The raw length field: the packet's length in 32-bit words minus one.
    pub fn length_field(&self) -> u16 {
        u16_at(self.as_bytes(), 2)
    }

    /// The packet's length in bytes, padding included.
    pub fn packet_len(&self) -> usize {
        self.packet_len
    }

    /// Number of padding bytes at the end, including the count byte (0 without the P bit).
    pub fn padding_len(&self) -> usize {
        self.padding_len
    }

    /// What follows the common header, without padding.
    pub fn body(&self) -> &[u8] {
        &self.buffer.as_ref()[COMMON_HEADER_LEN..self.packet_len - self.padding_len]
    }
}
