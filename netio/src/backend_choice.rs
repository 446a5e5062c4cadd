//! Which packet I/O backend the caller asks for and which one it got.

use core::fmt;

/// The backend a [`PacketIo`](crate::PacketIo) is asked to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IoBackendChoice {
    /// io_uring when the kernel and its limits allow it, else `recvmmsg`/`sendmmsg`.
    #[default]
    Auto,
    /// io_uring only: fail (saying what to change) when it cannot be set up.
    IoUring,
    /// `recvmmsg`/`sendmmsg` with epoll readiness.
    Mmsg,
}

/// The backend a [`PacketIo`](crate::PacketIo) runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActiveBackend {
    /// io_uring: multishot receive over a provided-buffer ring, batched sends.
    IoUring,
    /// `recvmmsg`/`sendmmsg` with epoll readiness.
    Mmsg,
}

impl fmt::Display for ActiveBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::IoUring => "io_uring",
            Self::Mmsg => "recvmmsg/sendmmsg",
        })
    }
}
