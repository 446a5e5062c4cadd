//! Source descriptions (RFC 3550 sec. 6.5): per-source text items, above all the CNAME that
//! ties a participant's SSRCs together across sessions.

use super::{RtcpError, RtcpPacket, PT_SDES};
use crate::be::u32_at;

/// One SDES item: a type and its text (UTF-8 by the RFC, but not checked here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SdesItem<'a> {
    /// The item type, one of the associated constants (never [`SdesItem::END`] when read).
    pub kind: u8,
    /// The item text, at most 255 bytes.
    pub text: &'a [u8],
}

impl SdesItem<'_> {
    /// Item type 0: ends a chunk's item list.
    pub const END: u8 = 0;
    /// Canonical end-point identifier.
    pub const CNAME: u8 = 1;
    /// User name.
    pub const NAME: u8 = 2;
    /// E-mail address.
    pub const EMAIL: u8 = 3;
    /// Phone number.
    pub const PHONE: u8 = 4;
    /// Geographic location.
    pub const LOC: u8 = 5;
    /// Application or tool name.
    pub const TOOL: u8 = 6;
    /// Notice or status.
    pub const NOTE: u8 = 7;
    /// Private extension.
    pub const PRIV: u8 = 8;
}

/// One SDES chunk: a source and its items.
#[derive(Debug, Clone)]
pub struct SdesChunk<'a> {
    /// The source described.
    pub ssrc: u32,
    /// Its items, in order.
    pub items: SdesItems<'a>,
}

/// Iterator over the items of one chunk (the list was checked when the packet was).
#[derive(Debug, Clone)]
pub struct SdesItems<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for SdesItems<'a> {
    type Item = SdesItem<'a>;

    fn next(&mut self) -> Option<SdesItem<'a>> {
        match *self.rest {
            [kind, len, ref after @ ..] if kind != SdesItem::END => {
                let (text, rest) = after.split_at_checked(usize::from(len))?;
                self.rest = rest;
                Some(SdesItem { kind, text })
            }
            _ => None,
        }
    }
}

/// Measures the chunk at the start of `bytes`: SSRC, items, the null octet ending them, and
/// null padding to a 32-bit boundary. Returns the chunk's length, or `None` if malformed.
fn chunk_len(bytes: &[u8]) -> Option<usize> {
    let mut at = 4;
    if bytes.len() < at {
        return None;
    }
    loop {
        match *bytes.get(at)? {
            SdesItem::END => break,
            _ => at += 2 + usize::from(*bytes.get(at + 1)?),
        }
    }
    // The terminating null octet counts; the rest up to the boundary must exist too.
    let end = (at + 1).next_multiple_of(4);
    (end <= bytes.len()).then_some(end)
}

/// Iterator over the chunks of an SDES packet.
#[derive(Debug, Clone)]
pub struct SdesChunks<'a> {
    rest: &'a [u8],
    remaining: u8,
}

impl<'a> Iterator for SdesChunks<'a> {
    type Item = SdesChunk<'a>;

    fn next(&mut self) -> Option<SdesChunk<'a>> {
        if self.remaining == 0 {
            return None;
        }
        let len = chunk_len(self.rest)?;
        let (chunk, rest) = self.rest.split_at_checked(len)?;
        self.rest = rest;
        self.remaining -= 1;
        Some(SdesChunk {
            ssrc: u32_at(chunk, 0),
            items: SdesItems { rest: &chunk[4..] },
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::from(self.remaining);
        (n, Some(n))
    }
}

impl ExactSizeIterator for SdesChunks<'_> {}

/// A checked view over an SDES packet (packet type 202).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sdes<T: AsRef<[u8]>> {
    packet: RtcpPacket<T>,
}

impl<T: AsRef<[u8]>> Sdes<T> {
    /// Checks `buffer` as one SDES packet: common header, type 202, and every announced
    /// chunk complete with its terminating null octet and padding.
    pub fn new_checked(buffer: T) -> Result<Self, RtcpError> {
        Self::from_packet(RtcpPacket::new_checked(buffer)?)
    }

    /// Checks an already framed packet as SDES.
    pub fn from_packet(packet: RtcpPacket<T>) -> Result<Self, RtcpError> {
        if packet.packet_type() != PT_SDES {
            return Err(RtcpError::WrongPacketType(packet.packet_type()));
        }
        let mut rest = packet.body();
        for _ in 0..packet.count() {
            if rest.len() < 4 {
                return Err(RtcpError::BadCount);
            }
            let len = chunk_len(rest).ok_or(RtcpError::BadSdesChunk)?;
            rest = &rest[len..];
        }
        Ok(Self { packet })
    }

    /// The framed packet underneath.
    pub fn packet(&self) -> &RtcpPacket<T> {
        &self.packet
    }

    /// Number of chunks.
    pub fn chunk_count(&self) -> u8 {
        self.packet.count()
    }

    /// The chunks, in order.
    pub fn chunks(&self) -> SdesChunks<'_> {
        SdesChunks {
            rest: self.packet.body(),
            remaining: self.packet.count(),
        }
    }

    /// The CNAME of `ssrc`, if a chunk for it carries one.
    pub fn cname(&self, ssrc: u32) -> Option<&[u8]> {
        self.chunks()
            .filter(|chunk| chunk.ssrc == ssrc)
            .flat_map(|chunk| chunk.items)
            .find(|item| item.kind == SdesItem::CNAME)
            .map(|item| item.text)
    }
}
