//! The parsed form of an RTP header (smoltcp's "Repr"): plain fields that can be built by
//! hand and emitted into a caller's buffer.

use super::packet::{RtpPacket, FIXED_HEADER_LEN, RTP_VERSION};
use super::RtpError;

/// Most CSRCs an RTP header can carry (the CC field is 4 bits).
pub const MAX_CSRCS: usize = 15;

/// Up to 15 contributing sources, stored inline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CsrcList {
    ids: [u32; MAX_CSRCS],
    len: u8,
}

impl CsrcList {
    /// An empty list.
    pub const fn new() -> Self {
        Self {
            ids: [0; MAX_CSRCS],
            len: 0,
        }
    }

    /// A list holding `ids`, or `None` when there are more than 15.
    pub fn from_slice(ids: &[u32]) -> Option<Self> {
        let mut list = Self::new();
        list.ids.get_mut(..ids.len())?.copy_from_slice(ids);
        list.len = ids.len() as u8;
        Some(list)
    }

    /// Appends `id`; returns `false` (and leaves the list alone) when it is full.
    pub fn push(&mut self, id: u32) -> bool {
        match self.ids.get_mut(usize::from(self.len)) {
            Some(slot) => {
                *slot = id;
                self.len += 1;
                true
            }
            None => false,
        }
    }

    /// The sources, in order.
    pub fn as_slice(&self) -> &[u32] {
        &self.ids[..usize::from(self.len)]
    }

    /// How many sources the list holds.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether the list holds no source.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A header extension block: the profile-defined 16 bits and the data words after them.
///
/// For RFC 8285 elements build one with [`super::extension::ExtensionWriter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExtensionBlock<'a> {
    /// The "defined by profile" field (0xBEDE for RFC 8285 one-byte elements).
    pub profile: u16,
    /// The extension data; its length must be a multiple of 4.
    pub data: &'a [u8],
}

/// An RTP header as plain values.
///
/// Padding is a property of the whole packet, not of the header, so it is not represented
/// here: [`RtpHeader::emit`] writes the P bit clear, and a caller that appends padding sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RtpHeader<'a> {
    /// The M bit.
    pub marker: bool,
    /// Payload type, 0..=127.
    pub payload_type: u8,
    /// Sequence number.
    pub sequence_number: u16,
    /// Media timestamp.
    pub timestamp: u32,
    /// Synchronisation source.
    pub ssrc: u32,
    /// Contributing sources.
    pub csrcs: CsrcList,
    /// Header extension, if any.
    pub extension: Option<ExtensionBlock<'a>>,
}

impl<'a> RtpHeader<'a> {
    /// Reads the header fields of a checked packet.
    pub fn parse<T: AsRef<[u8]>>(packet: &'a RtpPacket<T>) -> Self {
        let mut csrcs = CsrcList::new();
        for id in packet.csrcs() {
            csrcs.push(id);
        }
        let extension = match (packet.extension_profile(), packet.extension_data()) {
            (Some(profile), Some(data)) => Some(ExtensionBlock { profile, data }),
            _ => None,
        };
        Self {
            marker: packet.marker(),
            payload_type: packet.payload_type(),
            sequence_number: packet.sequence_number(),
            timestamp: packet.timestamp(),
            ssrc: packet.ssrc(),
            csrcs,
            extension,
        }
    }

    /// Bytes [`RtpHeader::emit`] writes: fixed header, CSRCs and extension.
    pub fn header_len(&self) -> usize {
        FIXED_HEADER_LEN + 4 * self.csrcs.len() + self.extension.map_or(0, |ext| 4 + ext.data.len())
    }

    /// Writes the header into the start of `buf` and returns its length. The payload goes
    /// after it, at `buf[len..]`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, RtpError> {
        if self.payload_type > 0x7f {
            return Err(RtpError::PayloadTypeOutOfRange(self.payload_type));
        }
        let ext_words = match self.extension {
            Some(ext) if ext.data.len() % 4 != 0 => return Err(RtpError::ExtensionNotAligned),
            Some(ext) => {
                Some(u16::try_from(ext.data.len() / 4).map_err(|_| RtpError::ExtensionTooLong)?)
            }
            None => None,
        };
        let len = self.header_len();
        let out = buf.get_mut(..len).ok_or(RtpError::BufferTooSmall(len))?;
        out[0] =
            (RTP_VERSION << 6) | (u8::from(self.extension.is_some()) << 4) | self.csrcs.len() as u8;
        out[1] = (u8::from(self.marker) << 7) | self.payload_type;
        out[2..4].copy_from_slice(&self.sequence_number.to_be_bytes());
        out[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        out[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        let mut at = FIXED_HEADER_LEN;
        for id in self.csrcs.as_slice() {
            out[at..at + 4].copy_from_slice(&id.to_be_bytes());
            at += 4;
        }
        if let (Some(ext), Some(words)) = (self.extension, ext_words) {
            out[at..at + 2].copy_from_slice(&ext.profile.to_be_bytes());
            out[at + 2..at + 4].copy_from_slice(&words.to_be_bytes());
            out[at + 4..].copy_from_slice(ext.data);
        }
        Ok(len)
    }
}
