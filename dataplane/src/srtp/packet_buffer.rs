//! Caller-owned packet buffers the SRTP engine transforms in place.
//!
//! A buffer is storage plus the length of the packet at its start. Protect grows the
//! packet into the spare capacity behind it, so storage must have room for the suite's
//! overhead: [`SrtpSuite::rtp_overhead`](super::SrtpSuite::rtp_overhead) (tag + MKI) for
//! RTP, [`SrtpSuite::rtcp_overhead`](super::SrtpSuite::rtcp_overhead) (tag + MKI + 4-byte
//! E/index word) for RTCP. [`MAX_OVERHEAD`] covers every suite with an MKI of up to 16 bytes.

/// Spare capacity that is always enough: 16-byte GCM tag, 4-byte SRTCP word, 16-byte MKI.
pub const MAX_OVERHEAD: usize = 16 + 4 + 16;

/// A packet the engine can transform in place: the I/O layer implements this for its own
/// receive/send buffers, or uses [`PacketBuf`].
pub trait PacketBuffer {
    /// The whole storage; the packet occupies `[..len()]`, the rest is spare capacity.
    fn storage(&self) -> &[u8];
    /// The whole storage, writable.
    fn storage_mut(&mut self) -> &mut [u8];
    /// Length of the packet at the start of the storage.
    fn len(&self) -> usize;
    /// Sets the packet length; the engine only sets lengths within the storage.
    fn set_len(&mut self, len: usize);
    /// The packet bytes (empty if the length is out of range).
    fn packet(&self) -> &[u8] {
        self.storage().get(..self.len()).unwrap_or(&[])
    }
    /// True when the packet is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A packet in a borrowed slice: `storage[..len]` is the packet.
#[derive(Debug)]
pub struct PacketBuf<'a> {
    storage: &'a mut [u8],
    len: usize,
}

impl<'a> PacketBuf<'a> {
    /// Wraps `storage` holding a packet of `len` bytes. A `len` beyond the storage is
    /// reported per packet by the engine (`SrtpError::LengthExceedsBuffer`), not here.
    pub fn new(storage: &'a mut [u8], len: usize) -> Self {
        Self { storage, len }
    }

    /// The storage back, for reuse.
    pub fn into_storage(self) -> &'a mut [u8] {
        self.storage
    }
}

impl PacketBuffer for PacketBuf<'_> {
    fn storage(&self) -> &[u8] {
        self.storage
    }
    fn storage_mut(&mut self) -> &mut [u8] {
        self.storage
    }
    fn len(&self) -> usize {
        self.len
    }
    fn set_len(&mut self, len: usize) {
        self.len = len;
    }
}

impl<P: PacketBuffer + ?Sized> PacketBuffer for &mut P {
    fn storage(&self) -> &[u8] {
        (**self).storage()
    }
    fn storage_mut(&mut self) -> &mut [u8] {
        (**self).storage_mut()
    }
    fn len(&self) -> usize {
        (**self).len()
    }
    fn set_len(&mut self, len: usize) {
        (**self).set_len(len)
    }
}
