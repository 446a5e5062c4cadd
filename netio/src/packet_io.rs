//! [`PacketIo`]: one core's sockets behind whichever backend the kernel allows.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use medianode_dataplane::conference::{InDatagram, Outbox};

use crate::backend_choice::{ActiveBackend, IoBackendChoice};
use crate::counters::{IoCounters, SendReport};
use crate::mmsg::MmsgIo;
use crate::uring::UringIo;

/// The UDP sockets of one core and batched I/O over them.
///
/// One per core, used from that core's thread only; it holds no locks. Sockets are known
/// by their local port, which must be unique per `PacketIo`.
#[derive(Debug)]
pub struct PacketIo {
    backend: Backend,
}

// Both are large and made once per core; boxing one only moves the size around.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Backend {
    IoUring(UringIo),
    Mmsg(MmsgIo),
}

impl PacketIo {
    /// Sets up the backend `choice` asks for. With [`IoBackendChoice::Auto`], a failure
    /// to set up io_uring (disabled by sysctl or seccomp, too little locked memory, an old
    /// kernel) silently selects recvmmsg/sendmmsg; [`backend`](Self::backend) tells which
    /// one runs so the caller can log it. With [`IoBackendChoice::IoUring`] that failure
    /// is the error, and its text says what to change (its inner error is a
    /// [`UringSetupError`](crate::UringSetupError)).
    pub fn new(choice: IoBackendChoice) -> io::Result<PacketIo> {
        let backend = match choice {
            IoBackendChoice::Mmsg => Backend::Mmsg(MmsgIo::new()?),
            IoBackendChoice::IoUring => Backend::IoUring(UringIo::new()?),
            IoBackendChoice::Auto => match UringIo::new() {
                Ok(uring) => Backend::IoUring(uring),
                Err(_) => Backend::Mmsg(MmsgIo::new()?),
            },
        };
        Ok(PacketIo { backend })
    }

    /// The backend in use.
    pub fn backend(&self) -> ActiveBackend {
        match self.backend {
            Backend::IoUring(_) => ActiveBackend::IoUring,
            Backend::Mmsg(_) => ActiveBackend::Mmsg,
        }
    }

    /// Opens a leg's socket bound to `addr` (port 0: any free port) and returns the
    /// address it got. Fails with `AddrInUse` if this `PacketIo` already has a socket on
    /// that port (in either address family).
    pub fn bind(&mut self, addr: SocketAddr) -> io::Result<SocketAddr> {
        match &mut self.backend {
            Backend::IoUring(uring) => uring.bind(addr),
            Backend::Mmsg(mmsg) => mmsg.bind(addr),
        }
    }

    /// Closes the socket on `local_port`, if there is one. Datagrams it had received but
    /// not yet handed out are lost.
    pub fn close(&mut self, local_port: u16) {
        match &mut self.backend {
            Backend::IoUring(uring) => uring.close(local_port),
            Backend::Mmsg(mmsg) => mmsg.close(local_port),
        }
    }

    /// Waits up to `timeout` for datagrams on any bound socket and fills `batch` from
    /// index 0: each filled entry gets its `local_port`, `source` and `len`, the bytes at
    /// the start of its buffer. Returns how many were filled; never blocks past
    /// `timeout` (zero: only takes what is already there).
    ///
    /// Buffers should hold 1500 bytes or more: a datagram larger than its buffer is
    /// dropped and counted in [`IoCounters::truncated`]. Entries after the returned count
    /// may have been written to and are to be ignored.
    pub fn recv_batch<B: AsMut<[u8]> + AsRef<[u8]>>(
        &mut self,
        batch: &mut [InDatagram<B>],
        timeout: Duration,
    ) -> io::Result<usize> {
        match &mut self.backend {
            Backend::IoUring(uring) => uring.recv_batch(batch, timeout),
            Backend::Mmsg(mmsg) => mmsg.recv_batch(batch, timeout),
        }
    }

    /// Sends every datagram of `outbox` from the socket on its local port, batched per
    /// socket. A datagram that cannot go (no such socket, a full socket buffer, an
    /// unreachable destination) is counted in the report and skipped; the call returns
    /// once every datagram has been handed to the kernel or refused, so the caller may
    /// clear the outbox right after.
    pub fn send_outbox(&mut self, outbox: &Outbox) -> io::Result<SendReport> {
        match &mut self.backend {
            Backend::IoUring(uring) => uring.send_outbox(outbox),
            Backend::Mmsg(mmsg) => mmsg.send_outbox(outbox),
        }
    }

    /// Totals since this `PacketIo` was made.
    pub fn counters(&self) -> IoCounters {
        match &self.backend {
            Backend::IoUring(uring) => uring.counters(),
            Backend::Mmsg(mmsg) => mmsg.counters(),
        }
    }
}
