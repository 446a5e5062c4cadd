//! The provided-buffer ring: receive buffers the kernel picks from as datagrams arrive,
//! and the ring through which they are handed back once their bytes are copied out.
//!
//! Both the ring and the buffers are anonymous mappings owned here; the kernel writes into
//! a buffer only while it sits in the ring, and a buffer is read here only between the
//! completion that names it and its return.

use std::io;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU16, Ordering};

use io_uring::types::BufRingEntry;

/// An anonymous, page-aligned, zeroed mapping.
#[derive(Debug)]
struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain memory owned by this value; nothing about it is tied to a
// thread.
unsafe impl Send for Mapping {}

impl Mapping {
    fn new(len: usize) -> io::Result<Self> {
        // SAFETY: an anonymous private mapping at an address of the kernel's choosing
        // touches no existing memory; the result is checked.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr =
            NonNull::new(ptr.cast::<u8>()).ok_or_else(|| io::Error::other("mmap gave null"))?;
        Ok(Self { ptr, len })
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are exactly what mmap returned, unmapped once here; the
        // owner drops the io_uring (the only other user) before this.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// A registered buffer ring of `count` buffers of `buffer_len` bytes.
#[derive(Debug)]
pub(crate) struct BufRing {
    ring: Mapping,
    data: Mapping,
    count: u16,
    buffer_len: usize,
    /// The tail as written here; published to the kernel by [`publish`](Self::publish).
    tail: u16,
}

impl BufRing {
    /// Maps a ring of `count` entries (a power of two, at most 32768) and its buffers,
    /// every buffer in the ring (not yet published).
    pub(crate) fn new(count: u16, buffer_len: usize) -> io::Result<Self> {
        if !count.is_power_of_two() || count > 1 << 15 || buffer_len == 0 {
            return Err(io::Error::from(io::ErrorKind::InvalidInput));
        }
        let ring = Mapping::new(usize::from(count) * std::mem::size_of::<BufRingEntry>())?;
        let data = Mapping::new(usize::from(count) * buffer_len)?;
        let mut ring = Self {
            ring,
            data,
            count,
            buffer_len,
            tail: 0,
        };
        for bid in 0..count {
            ring.push(bid);
        }
        Ok(ring)
    }

    /// The ring's address, for registration.
    pub(crate) fn ring_addr(&self) -> u64 {
        self.ring.ptr.as_ptr() as u64
    }

    /// Entries of the ring.
    pub(crate) fn count(&self) -> u16 {
        self.count
    }

    /// Puts buffer `bid` back in the ring (seen by the kernel after
    /// [`publish`](Self::publish)). Ids outside the ring are ignored.
    pub(crate) fn push(&mut self, bid: u16) {
        if bid >= self.count {
            return;
        }
        let slot = usize::from(self.tail & (self.count - 1));
        let base = self.ring.ptr.as_ptr().cast::<BufRingEntry>();
        // SAFETY: `slot` < count, so the entry lies inside the ring mapping, which is
        // aligned for entries; the kernel reads only entries between its head and the
        // published tail, and this one is at or after the published tail, so no one else
        // accesses it now.
        let entry = unsafe { &mut *base.add(slot) };
        // SAFETY: `bid` < count, so the buffer lies inside the data mapping.
        let addr = unsafe {
            self.data
                .ptr
                .as_ptr()
                .add(usize::from(bid) * self.buffer_len)
        };
        entry.set_addr(addr as u64);
        entry.set_len(self.buffer_len as u32);
        entry.set_bid(bid);
        self.tail = self.tail.wrapping_add(1);
    }

    /// Makes the pushed buffers visible to the kernel.
    pub(crate) fn publish(&self) {
        let base = self.ring.ptr.as_ptr().cast::<BufRingEntry>();
        // SAFETY: the ring's first entry is initialized (zeroed, then written) and its
        // tail field is a u16 shared with the kernel, aligned as u16, alive as long as
        // the mapping; the kernel only reads it, so an atomic store is the right access.
        unsafe {
            let tail = BufRingEntry::tail(base).cast_mut();
            AtomicU16::from_ptr(tail).store(self.tail, Ordering::Release);
        }
    }

    /// The bytes of buffer `bid`.
    ///
    /// # Safety
    ///
    /// `bid` was named by a completion and has not been [pushed](Self::push) back since,
    /// so the kernel is not writing into it; the slice must be gone before it is pushed.
    pub(crate) unsafe fn buffer(&self, bid: u16) -> Option<&[u8]> {
        if bid >= self.count {
            return None;
        }
        // SAFETY: the buffer lies inside the data mapping (bid < count) and, by the
        // caller's promise, nobody writes it while the slice lives.
        Some(unsafe {
            std::slice::from_raw_parts(
                self.data
                    .ptr
                    .as_ptr()
                    .add(usize::from(bid) * self.buffer_len),
                self.buffer_len,
            )
        })
    }
}
