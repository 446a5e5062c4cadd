//! The memory a send owns while the kernel may read it: a copy of the datagram and its
//! destination address, one slot per send in flight.
//!
//! A `Send` entry carries only pointers, so what they point at must stay put and
//! unchanged until the send's completion; copying into these slots means nothing the
//! kernel may still read is ever borrowed from the caller's outbox.

use std::net::SocketAddr;

use crate::sockaddr::{self, RawSockAddr};

/// Where the kernel finds one prepared send.
#[derive(Debug, Clone, Copy)]
pub(super) struct PreparedSend {
    /// The datagram's bytes.
    pub(super) bytes: *const u8,
    /// Their length.
    pub(super) len: u32,
    /// The destination address.
    pub(super) addr: *const libc::sockaddr,
    /// The address's length.
    pub(super) addr_len: libc::socklen_t,
}

/// `count` send slots of `capacity` bytes each, and which are free.
pub(super) struct SendSlots {
    bytes: Box<[u8]>,
    addrs: Box<[RawSockAddr]>,
    capacity: usize,
    free: Vec<u16>,
}

// SAFETY: the slots are plain owned memory; the raw pointers handed out by `prepare`
// are only dereferenced by the kernel, on behalf of the ring that lives on the same
// thread as this value.
unsafe impl Send for SendSlots {}

impl std::fmt::Debug for SendSlots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendSlots")
            .field("count", &self.addrs.len())
            .field("free", &self.free.len())
            .finish()
    }
}

impl SendSlots {
    /// `count` free slots of `capacity` bytes.
    pub(super) fn new(count: u16, capacity: usize) -> Self {
        Self {
            bytes: vec![0u8; usize::from(count) * capacity].into_boxed_slice(),
            addrs: (0..count).map(|_| sockaddr::empty()).collect(),
            capacity,
            free: (0..count).rev().collect(),
        }
    }

    /// Takes a free slot, if there is one.
    pub(super) fn take(&mut self) -> Option<u16> {
        self.free.pop()
    }

    /// Gives `slot` back: its send has completed (or was never queued). Ids outside the
    /// slots are ignored.
    pub(super) fn give_back(&mut self, slot: u16) {
        if usize::from(slot) < self.addrs.len() {
            self.free.push(slot);
        }
    }

    /// Whether every slot is free: no send is in flight.
    pub(super) fn all_free(&self) -> bool {
        self.free.len() == self.addrs.len()
    }

    /// Copies `bytes` and `destination` into `slot` (taken, not yet queued) and returns
    /// where the kernel finds them; `None` if the datagram is larger than a slot or the
    /// slot does not exist.
    ///
    /// The pointers stay valid as long as this value, and what they point at unchanged
    /// until the slot is prepared again, which its owner does only after the send's
    /// completion.
    pub(super) fn prepare(
        &mut self,
        slot: u16,
        bytes: &[u8],
        destination: SocketAddr,
    ) -> Option<PreparedSend> {
        let start = usize::from(slot).checked_mul(self.capacity)?;
        let end = start.checked_add(self.capacity)?;
        let room = self.bytes.get_mut(start..end)?;
        let copy = room.get_mut(..bytes.len())?;
        copy.copy_from_slice(bytes);
        let addr = self.addrs.get_mut(usize::from(slot))?;
        let addr_len = sockaddr::write(destination, addr);
        Some(PreparedSend {
            bytes: copy.as_ptr(),
            len: u32::try_from(bytes.len()).ok()?,
            addr: (addr as *const RawSockAddr).cast(),
            addr_len,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_taken_and_given_back() {
        let mut slots = SendSlots::new(2, 16);
        let a = slots.take().expect("first slot");
        let b = slots.take().expect("second slot");
        assert_ne!(a, b);
        assert!(slots.take().is_none());
        assert!(!slots.all_free());
        slots.give_back(a);
        slots.give_back(7);
        assert_eq!(slots.take(), Some(a));
        slots.give_back(a);
        slots.give_back(b);
        assert!(slots.all_free());
    }

    #[test]
    fn prepare_copies_bytes_and_address() {
        let mut slots = SendSlots::new(2, 16);
        let destination: SocketAddr = "127.0.0.1:4000".parse().expect("address");
        let prepared = slots.prepare(1, b"datagram", destination).expect("fits");
        assert_eq!(prepared.len, 8);
        // SAFETY: `prepare` returned a pointer to 8 initialized bytes inside `slots`,
        // which is alive and not written meanwhile.
        let copied = unsafe { std::slice::from_raw_parts(prepared.bytes, 8) };
        assert_eq!(copied, b"datagram");
        // SAFETY: the address pointer points at the slot's sockaddr_storage.
        let raw = unsafe { &*prepared.addr.cast::<RawSockAddr>() };
        assert_eq!(sockaddr::read(raw, prepared.addr_len), Some(destination));
        assert!(slots.prepare(1, &[0u8; 17], destination).is_none());
        assert!(slots.prepare(2, b"x", destination).is_none());
    }
}
