//! The caller-owned list of datagrams the core wants sent. Its slots are allocated once;
//! the core fills them in place (copying, building RTCP, protecting SRTP) and never grows
//! the list: when it is full, further datagrams are dropped and counted.

use core::fmt;
use std::net::{Ipv4Addr, SocketAddr};

use crate::srtp::PacketBuffer;

/// Bytes each slot holds: an Ethernet MTU. A datagram that would not fit (with its SRTP
/// tag) is dropped and counted.
pub const OUT_DATAGRAM_CAPACITY: usize = 1500;

/// One datagram to send.
pub struct OutDatagram {
    local_port: u16,
    destination: SocketAddr,
    len: usize,
    buf: Box<[u8]>,
}

impl OutDatagram {
    fn empty() -> Self {
        Self {
            local_port: 0,
            destination: SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
            len: 0,
            buf: vec![0; OUT_DATAGRAM_CAPACITY].into_boxed_slice(),
        }
    }

    /// The core's port to send from.
    pub fn local_port(&self) -> u16 {
        self.local_port
    }

    /// Where to send it.
    pub fn destination(&self) -> SocketAddr {
        self.destination
    }

    /// The datagram.
    pub fn bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Readdresses the slot and gives its whole storage for writing; the length is reset.
    pub(crate) fn prepare(&mut self, local_port: u16, destination: SocketAddr) -> &mut [u8] {
        self.local_port = local_port;
        self.destination = destination;
        self.len = 0;
        &mut self.buf
    }
}

impl fmt::Debug for OutDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutDatagram")
            .field("local_port", &self.local_port)
            .field("destination", &self.destination)
            .field("len", &self.len)
            .finish()
    }
}

impl PacketBuffer for OutDatagram {
    fn storage(&self) -> &[u8] {
        &self.buf
    }
    fn storage_mut(&mut self) -> &mut [u8] {
        &mut self.buf
    }
    fn len(&self) -> usize {
        self.len
    }
    fn set_len(&mut self, len: usize) {
        self.len = len.min(self.buf.len());
    }
}

/// Why a datagram did not make it into the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutboxRefusal {
    /// Every slot is in use.
    Full,
    /// The datagram is larger than a slot.
    TooLarge,
}

/// Preallocated slots for outgoing datagrams.
pub struct Outbox {
    slots: Vec<OutDatagram>,
    used: usize,
    refused_full: u64,
}

impl Outbox {
    /// An outbox of `slots` datagrams of [`OUT_DATAGRAM_CAPACITY`] bytes each.
    pub fn new(slots: usize) -> Self {
        Self {
            slots: (0..slots).map(|_| OutDatagram::empty()).collect(),
            used: 0,
            refused_full: 0,
        }
    }

    /// How many datagrams it holds at most.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Datagrams waiting to be sent.
    pub fn len(&self) -> usize {
        self.used
    }

    /// Whether nothing waits to be sent.
    pub fn is_empty(&self) -> bool {
        self.used == 0
    }

    /// The datagrams to send, in the order the core produced them.
    pub fn datagrams(&self) -> &[OutDatagram] {
        self.slots.get(..self.used).unwrap_or(&[])
    }

    /// Empties the outbox once its datagrams are sent; the slots stay allocated.
    pub fn clear(&mut self) {
        self.used = 0;
    }

    /// Datagrams refused because the outbox was full, since it was made.
    pub fn refused_full(&self) -> u64 {
        self.refused_full
    }

    /// Takes the next free slot, addressed; its storage is the caller's to fill and
    /// [`PacketBuffer::set_len`] says how much was written.
    pub(crate) fn next_slot(
        &mut self,
        local_port: u16,
        destination: SocketAddr,
    ) -> Result<&mut OutDatagram, OutboxRefusal> {
        match self.slots.get_mut(self.used) {
            Some(slot) => {
                slot.prepare(local_port, destination);
                self.used += 1;
                Ok(slot)
            }
            None => {
                self.refused_full += 1;
                Err(OutboxRefusal::Full)
            }
        }
    }

    /// Appends a copy of `bytes`.
    pub(crate) fn push(
        &mut self,
        local_port: u16,
        destination: SocketAddr,
        bytes: &[u8],
    ) -> Result<(), OutboxRefusal> {
        if bytes.len() > OUT_DATAGRAM_CAPACITY {
            return Err(OutboxRefusal::TooLarge);
        }
        let slot = self.next_slot(local_port, destination)?;
        if let Some(out) = slot.buf.get_mut(..bytes.len()) {
            out.copy_from_slice(bytes);
        }
        slot.len = bytes.len();
        Ok(())
    }

    /// Appends a copy of the datagram at `index`, readdressed (one packet protected once,
    /// sent to several destinations).
    pub(crate) fn push_copy(
        &mut self,
        index: usize,
        local_port: u16,
        destination: SocketAddr,
    ) -> Result<(), OutboxRefusal> {
        let used = self.used;
        let Some((source, tail)) = self
            .slots
            .split_at_mut_checked(used)
            .and_then(|(head, tail)| Some((head.get(index)?, tail)))
        else {
            return Err(OutboxRefusal::TooLarge);
        };
        let Some(slot) = tail.first_mut() else {
            self.refused_full += 1;
            return Err(OutboxRefusal::Full);
        };
        let bytes = source.bytes();
        slot.prepare(local_port, destination);
        if let Some(out) = slot.buf.get_mut(..bytes.len()) {
            out.copy_from_slice(bytes);
        }
        slot.len = bytes.len();
        self.used += 1;
        Ok(())
    }

    /// The datagrams from `start` to the end, writable (to protect them in place).
    pub(crate) fn tail_mut(&mut self, start: usize) -> &mut [OutDatagram] {
        let used = self.used;
        self.slots.get_mut(start..used).unwrap_or(&mut [])
    }

    /// Keeps, among the datagrams from `start` on, those for which `keep(i)` holds (`i`
    /// counted from `start`), preserving their order; the others' slots are freed.
    pub(crate) fn retain_tail(&mut self, start: usize, mut keep: impl FnMut(usize) -> bool) {
        let end = self.used;
        let mut write = start;
        for read in start..end {
            if keep(read - start) {
                self.slots.swap(write, read);
                write += 1;
            }
        }
        self.used = write.min(end);
    }
}

impl fmt::Debug for Outbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbox")
            .field("len", &self.used)
            .field("capacity", &self.slots.len())
            .field("refused_full", &self.refused_full)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, port))
    }

    #[test]
    fn holds_copies_until_full_then_refuses_and_counts() {
        let mut outbox = Outbox::new(2);
        assert_eq!(outbox.push(10, addr(1), b"one"), Ok(()));
        assert_eq!(outbox.push(11, addr(2), b"two!"), Ok(()));
        assert_eq!(outbox.push(12, addr(3), b"three"), Err(OutboxRefusal::Full));
        assert_eq!(outbox.refused_full(), 1);
        let sent: Vec<(u16, SocketAddr, &[u8])> = outbox
            .datagrams()
            .iter()
            .map(|d| (d.local_port(), d.destination(), d.bytes()))
            .collect();
        assert_eq!(
            sent,
            vec![(10, addr(1), &b"one"[..]), (11, addr(2), &b"two!"[..])]
        );
        outbox.clear();
        assert!(outbox.is_empty());
        assert_eq!(outbox.capacity(), 2);
    }

    #[test]
    fn refuses_what_does_not_fit_a_slot() {
        let mut outbox = Outbox::new(1);
        let big = [0u8; OUT_DATAGRAM_CAPACITY + 1];
        assert_eq!(outbox.push(1, addr(1), &big), Err(OutboxRefusal::TooLarge));
        assert!(outbox.is_empty());
    }

    #[test]
    fn retain_tail_compacts_in_order() {
        let mut outbox = Outbox::new(5);
        for (i, text) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            outbox
                .push(i as u16, addr(1), text.as_bytes())
                .expect("room");
        }
        outbox.retain_tail(1, |i| i % 2 == 1);
        let left: Vec<&[u8]> = outbox.datagrams().iter().map(|d| d.bytes()).collect();
        assert_eq!(left, vec![&b"a"[..], b"c", b"e"]);
    }
}
