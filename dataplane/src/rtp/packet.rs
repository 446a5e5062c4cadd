//! The checked zero-copy view over one RTP packet (RFC 3550 sec. 5.1).
//!
//! `RtpPacket::new_checked` proves every length the accessors rely on (fixed header, CSRC
//! list, extension, padding) once, so the accessors index without further checks and cannot
//! panic.

use super::extension::{ExtensionElements, ExtensionForm};
use super::RtpError;
use crate::be::{u16_at, u32_at};

/// Length of the RTP fixed header.
pub const FIXED_HEADER_LEN: usize = 12;
/// The only RTP version in use.
pub const RTP_VERSION: u8 = 2;

/// A checked view over an RTP packet held in `T`.
///
/// Construct with [`RtpPacket::new_checked`]; afterwards every accessor is infallible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<T: AsRef<[u8]>> {
    buffer: T,
    header_len: usize,
    padding_len: usize,
}

/// Validates the header of `buf` (version, CSRC list, extension) and returns its length.
///
/// Unlike [`RtpPacket::new_checked`] this neither looks at padding nor at the payload type,
/// so it also accepts SRTP packets, whose padding count sits under the encryption.
pub fn header_len(buf: &[u8]) -> Result<usize, RtpError> {
    if buf.len() < FIXED_HEADER_LEN {
        return Err(RtpError::TooShort);
    }
    let version = buf[0] >> 6;
    if version != RTP_VERSION {
        return Err(RtpError::BadVersion(version));
    }
    let mut len = FIXED_HEADER_LEN + 4 * usize::from(buf[0] & 0x0f);
    if len > buf.len() {
        return Err(RtpError::BadCsrcLength);
    }
    if buf[0] & 0x10 != 0 {
        if len + 4 > buf.len() {
            return Err(RtpError::BadExtensionLength);
        }
        len += 4 + 4 * usize::from(u16_at(buf, len + 2));
        if len > buf.len() {
            return Err(RtpError::BadExtensionLength);
        }
    }
    Ok(len)
}

/// A cheap heuristic for "these bytes look like RTP": at least a fixed header, version 2,
/// and a payload type outside 72..=76, the range RTCP packet types occupy (RFC 5761 sec. 4).
pub fn is_plausible_rtp(buf: &[u8]) -> bool {
    buf.len() >= FIXED_HEADER_LEN
        && buf[0] >> 6 == RTP_VERSION
        && !(72..=76).contains(&(buf[1] & 0x7f))
}

impl<T: AsRef<[u8]>> RtpPacket<T> {
    /// Checks `buffer` as an RTP packet following RFC 3550 A.1: version 2, a payload type
    /// that is not 72 or 73 (those read as RTCP SR/RR), a CSRC list and extension inside the
    /// buffer, and when the P bit is set a nonzero padding count no larger than what follows
    /// the header.
    pub fn new_checked(buffer: T) -> Result<Self, RtpError> {
        let buf = buffer.as_ref();
        let header_len = header_len(buf)?;
        let pt = buf[1] & 0x7f;
        if pt == 72 || pt == 73 {
            return Err(RtpError::RtcpPayloadType(pt));
        }
        let padding_len = if buf[0] & 0x20 != 0 {
            let count = usize::from(buf[buf.len() - 1]);
            if count == 0 || count > buf.len() - header_len {
                return Err(RtpError::BadPadding);
            }
            count
        } else {
            0
        };
        Ok(Self {
            buffer,
            header_len,
            padding_len,
        })
    }

    /// Gives the underlying buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The whole packet, header, payload and padding.
    pub fn as_bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// The version field (always 2 for a checked packet).
    pub fn version(&self) -> u8 {
        self.as_bytes()[0] >> 6
    }

    /// The P bit: the packet ends in padding.
    pub fn padding(&self) -> bool {
        self.as_bytes()[0] & 0x20 != 0
    }

    /// The X bit: a header extension follows the CSRC list.
    pub fn extension(&self) -> bool {
        self.as_bytes()[0] & 0x10 != 0
    }

    /// The CC field: how many CSRCs follow the fixed header.
    pub fn csrc_count(&self) -> u8 {
        self.as_bytes()[0] & 0x0f
    }

    /// The M bit.
    pub fn marker(&self) -> bool {
        self.as_bytes()[1] & 0x80 != 0
    }

    /// The 7-bit payload type.
    pub fn payload_type(&self) -> u8 {
        self.as_bytes()[1] & 0x7f
    }

    /// The sequence number.
    pub fn sequence_number(&self) -> u16 {
        u16_at(self.as_bytes(), 2)
    }

    /// The media timestamp.
    pub fn timestamp(&self) -> u32 {
        u32_at(self.as_bytes(), 4)
    }

    /// The synchronisation source.
    pub fn ssrc(&self) -> u32 {
        u32_at(self.as_bytes(), 8)
    }

    /// The contributing sources, in order.
    pub fn csrcs(&self) -> Ssrcs<'_> {
        let end = FIXED_HEADER_LEN + 4 * usize::from(self.csrc_count());
        Ssrcs::from_bytes(&self.as_bytes()[FIXED_HEADER_LEN..end])
    }

    fn extension_start(&self) -> Option<usize> {
        self.extension()
            .then(|| FIXED_HEADER_LEN + 4 * usize::from(self.csrc_count()))
    }

    /// The 16-bit "defined by profile" field of the header extension, if there is one.
    pub fn extension_profile(&self) -> Option<u16> {
        let start = self.extension_start()?;
        Some(u16_at(self.as_bytes(), start))
    }

    /// The header extension's data (after its 4-byte preamble), if there is one.
    pub fn extension_data(&self) -> Option<&[u8]> {
        let start = self.extension_start()?;
        Some(&self.as_bytes()[start + 4..self.header_len])
    }

    /// The RFC 8285 elements of the header extension. Empty when the packet has no extension
    /// or its profile is neither the one-byte nor the two-byte form.
    pub fn extension_elements(&self) -> ExtensionElements<'_> {
        match (self.extension_profile(), self.extension_data()) {
            (Some(profile), Some(data)) => match ExtensionForm::from_profile(profile) {
                Some(form) => ExtensionElements::new(form, data),
                None => ExtensionElements::empty(),
            },
            _ => ExtensionElements::empty(),
        }
    }

    /// Length of fixed header, CSRC list and header extension.
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// Number of padding bytes at the end, including the count byte (0 without the P bit).
    pub fn padding_len(&self) -> usize {
        self.padding_len
    }

    /// The payload, without header and padding.
    pub fn payload(&self) -> &[u8] {
        let buf = self.as_bytes();
        &buf[self.header_len..buf.len() - self.padding_len]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> RtpPacket<T> {
    fn bytes_mut(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }

    /// Sets or clears the M bit.
    pub fn set_marker(&mut self, marker: bool) {
        let b = &mut self.bytes_mut()[1];
        *b = (*b & 0x7f) | (u8::from(marker) << 7);
    }

    /// Sets the payload type; only the low 7 bits of `payload_type` are used.
    pub fn set_payload_type(&mut self, payload_type: u8) {
        let b = &mut self.bytes_mut()[1];
        *b = (*b & 0x80) | (payload_type & 0x7f);
    }

    /// Sets the sequence number.
    pub fn set_sequence_number(&mut self, seq: u16) {
        self.bytes_mut()[2..4].copy_from_slice(&seq.to_be_bytes());
    }

    /// Sets the media timestamp.
    pub fn set_timestamp(&mut self, timestamp: u32) {
        self.bytes_mut()[4..8].copy_from_slice(&timestamp.to_be_bytes());
    }

    /// Sets the synchronisation source.
    pub fn set_ssrc(&mut self, ssrc: u32) {
        self.bytes_mut()[8..12].copy_from_slice(&ssrc.to_be_bytes());
    }

    /// The header extension's data, writable in place (for example to rewrite an audio
    /// level), if there is one.
    pub fn extension_data_mut(&mut self) -> Option<&mut [u8]> {
        let start = self.extension_start()?;
        let end = self.header_len;
        Some(&mut self.bytes_mut()[start + 4..end])
    }

    /// The payload, writable in place, without header and padding.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let (start, padding) = (self.header_len, self.padding_len);
        let buf = self.bytes_mut();
        let end = buf.len() - padding;
        &mut buf[start..end]
    }
}

/// Iterator over a list of 32-bit source identifiers: an RTP packet's CSRCs, or the sources
/// an RTCP BYE names.
#[derive(Debug, Clone)]
pub struct Ssrcs<'a> {
    bytes: &'a [u8],
}

impl<'a> Ssrcs<'a> {
    /// Iterates the big-endian words of `bytes`; a trailing partial word is ignored.
    pub(crate) fn from_bytes(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }
}

impl Iterator for Ssrcs<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let (word, rest) = self.bytes.split_first_chunk::<4>()?;
        self.bytes = rest;
        Some(u32::from_be_bytes(*word))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.bytes.len() / 4;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Ssrcs<'_> {}
