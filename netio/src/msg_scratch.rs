//! The message headers `recvmmsg`/`sendmmsg` read and write, allocated once and reused,
//! and the two calls over them.
//!
//! The headers point into caller buffers only for the duration of one call: they are
//! rebuilt before every call, so no pointer outlives the memory it points to.

use std::io;
use std::mem;
use std::net::SocketAddr;
use std::os::fd::RawFd;

use crate::sockaddr::{self, RawSockAddr};

/// Most datagrams one `recvmmsg`/`sendmmsg` handles (the kernel's `UIO_MAXIOV`).
pub(crate) const MAX_MESSAGES_PER_CALL: usize = 1024;

/// What one received message came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Received {
    /// Bytes written into the buffer.
    pub(crate) len: usize,
    /// The sender, if the kernel gave an IPv4 or IPv6 address.
    pub(crate) source: Option<SocketAddr>,
    /// The datagram was larger than the buffer; its tail is lost.
    pub(crate) truncated: bool,
}

/// Reusable `mmsghdr`s with their `iovec`s and address buffers.
pub(crate) struct MsgScratch {
    headers: Vec<libc::mmsghdr>,
    iovecs: Vec<libc::iovec>,
    addrs: Vec<RawSockAddr>,
}

// SAFETY: the raw pointers inside the headers are only written and read by the calls
// below, which rebuild them from live borrows first; between calls they are stale values
// nobody dereferences, so moving the scratch to another thread is harmless.
unsafe impl Send for MsgScratch {}

impl core::fmt::Debug for MsgScratch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MsgScratch")
            .field("capacity", &self.headers.len())
            .finish()
    }
}

impl MsgScratch {
    /// Scratch for `capacity` messages per call (at most [`MAX_MESSAGES_PER_CALL`]).
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.clamp(1, MAX_MESSAGES_PER_CALL);
        let iovec = libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0,
        };
        Self {
            // SAFETY: mmsghdr is plain old data (integers and raw pointers); all-zero is a
            // valid value (null pointers, zero lengths).
            headers: (0..capacity).map(|_| unsafe { mem::zeroed() }).collect(),
            iovecs: vec![iovec; capacity],
            addrs: (0..capacity).map(|_| sockaddr::empty()).collect(),
        }
    }

    /// Messages per call.
    pub(crate) fn capacity(&self) -> usize {
        self.headers.len()
    }

    /// Receives into `buffers` (at most [`capacity`](Self::capacity) of them) without
    /// blocking; returns how many messages arrived (0 if none was waiting). Read each
    /// with [`received`](Self::received).
    pub(crate) fn recv<'a>(
        &mut self,
        fd: RawFd,
        buffers: impl Iterator<Item = &'a mut [u8]>,
    ) -> io::Result<usize> {
        let mut count = 0;
        for (((buffer, header), iovec), addr) in buffers
            .zip(self.headers.iter_mut())
            .zip(self.iovecs.iter_mut())
            .zip(self.addrs.iter_mut())
        {
            iovec.iov_base = buffer.as_mut_ptr().cast();
            iovec.iov_len = buffer.len();
            header.msg_hdr.msg_name = (addr as *mut RawSockAddr).cast();
            header.msg_hdr.msg_namelen = mem::size_of::<RawSockAddr>() as libc::socklen_t;
            header.msg_hdr.msg_iov = iovec;
            header.msg_hdr.msg_iovlen = 1;
            header.msg_hdr.msg_control = std::ptr::null_mut();
            header.msg_hdr.msg_controllen = 0;
            header.msg_hdr.msg_flags = 0;
            header.msg_len = 0;
            count += 1;
        }
        if count == 0 {
            return Ok(0);
        }
        loop {
            // SAFETY: the first `count` headers were just pointed at live, writable
            // buffers (borrowed for 'a, beyond this call) and at this scratch's address
            // buffers and iovecs, with their true lengths; the kernel writes within those.
            let n = unsafe {
                libc::recvmmsg(
                    fd,
                    self.headers.as_mut_ptr(),
                    count as libc::c_uint,
                    libc::MSG_DONTWAIT,
                    std::ptr::null_mut(),
                )
            };
            if n >= 0 {
                return Ok(n as usize);
            }
            let err = io::Error::last_os_error();
            match err.kind() {
                io::ErrorKind::Interrupted => continue,
                io::ErrorKind::WouldBlock => return Ok(0),
                _ => return Err(err),
            }
        }
    }

    /// The `index`-th message of the last [`recv`](Self::recv).
    pub(crate) fn received(&self, index: usize) -> Option<Received> {
        let header = self.headers.get(index)?;
        let addr = self.addrs.get(index)?;
        Some(Received {
            len: header.msg_len as usize,
            source: sockaddr::read(addr, header.msg_hdr.msg_namelen),
            truncated: header.msg_hdr.msg_flags & libc::MSG_TRUNC != 0,
        })
    }

    /// Sends `messages` (bytes and destination; the first [`capacity`](Self::capacity)
    /// of them) on `fd` without blocking, in as few `sendmmsg` calls as errors allow: a
    /// message the kernel refuses is counted and skipped, the rest go on. An ICMP error
    /// pending on the socket (reported instead of sending) is counted and the message
    /// tried once more.
    pub(crate) fn send<'a>(
        &mut self,
        fd: RawFd,
        messages: impl Iterator<Item = (&'a [u8], SocketAddr)>,
    ) -> SendTally {
        let count = self.prepare_send(messages);
        let mut tally = SendTally::default();
        let mut next = 0;
        let mut retried = usize::MAX;
        while next < count {
            match self.send_prepared(fd, next, count) {
                Ok(n) => {
                    tally.sent += n;
                    next += n;
                }
                Err(err) if is_icmp_error(&err) => {
                    tally.icmp_errors += 1;
                    if retried == next {
                        tally.failed += 1;
                        next += 1;
                    } else {
                        retried = next;
                    }
                }
                Err(_) => {
                    tally.failed += 1;
                    next += 1;
                }
            }
        }
        tally
    }

    /// Points the first headers at `messages` and returns how many it took.
    fn prepare_send<'a>(
        &mut self,
        messages: impl Iterator<Item = (&'a [u8], SocketAddr)>,
    ) -> usize {
        let mut count = 0;
        for (index, (bytes, destination)) in messages.take(self.capacity()).enumerate() {
            if self.prepare_one(index, bytes, destination).is_none() {
                break;
            }
            count += 1;
        }
        count
    }

    /// Points header `index` at `bytes` to be sent to `destination` and returns the
    /// address of its `msghdr`; `None` past the capacity.
    ///
    /// The header holds a pointer to `bytes`: whoever hands the returned `msghdr` to the
    /// kernel must keep `bytes` alive until the kernel is done with it.
    fn prepare_one(
        &mut self,
        index: usize,
        bytes: &[u8],
        destination: SocketAddr,
    ) -> Option<*const libc::msghdr> {
        let header = self.headers.get_mut(index)?;
        let iovec = self.iovecs.get_mut(index)?;
        let addr = self.addrs.get_mut(index)?;
        // The kernel only reads through a send's iovec; the cast to *mut is what the C
        // type wants.
        iovec.iov_base = bytes.as_ptr().cast_mut().cast();
        iovec.iov_len = bytes.len();
        header.msg_hdr.msg_namelen = sockaddr::write(destination, addr);
        header.msg_hdr.msg_name = (addr as *mut RawSockAddr).cast();
        header.msg_hdr.msg_iov = iovec;
        header.msg_hdr.msg_iovlen = 1;
        header.msg_hdr.msg_control = std::ptr::null_mut();
        header.msg_hdr.msg_controllen = 0;
        header.msg_hdr.msg_flags = 0;
        header.msg_len = 0;
        Some(&header.msg_hdr)
    }

    /// One `sendmmsg` of the prepared headers `start..end`: how many went out (at least
    /// one), or the first one's error.
    fn send_prepared(&mut self, fd: RawFd, start: usize, end: usize) -> io::Result<usize> {
        let Some(headers) = self.headers.get_mut(start..end) else {
            return Err(io::Error::from(io::ErrorKind::InvalidInput));
        };
        loop {
            // SAFETY: only `send` calls this, right after `prepare_send` pointed these
            // headers at message bytes borrowed for the whole of `send`, and at this
            // scratch's own iovecs and addresses; the kernel only reads them.
            let n = unsafe {
                libc::sendmmsg(
                    fd,
                    headers.as_mut_ptr(),
                    headers.len() as libc::c_uint,
                    libc::MSG_DONTWAIT,
                )
            };
            if n > 0 {
                return Ok(n as usize);
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
        }
    }
}

/// Counts of one [`MsgScratch::send`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct SendTally {
    /// Messages the kernel accepted.
    pub(crate) sent: usize,
    /// Messages refused (and skipped).
    pub(crate) failed: usize,
    /// ICMP errors the socket reported meanwhile.
    pub(crate) icmp_errors: usize,
}

/// Whether `err` is an ICMP error the kernel queued on the socket (the peer's port or
/// host was unreachable) rather than a fault of the call.
pub(crate) fn is_icmp_error(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(libc::ECONNREFUSED | libc::EHOSTUNREACH | libc::ENETUNREACH | libc::EHOSTDOWN)
    )
}
