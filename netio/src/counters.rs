//! What happened to the datagrams a [`PacketIo`](crate::PacketIo) handled, beyond what
//! its calls return.

/// The outcome of one [`PacketIo::send_outbox`](crate::PacketIo::send_outbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SendReport {
    /// Datagrams the kernel accepted.
    pub sent: usize,
    /// Datagrams not sent: no socket on their local port, a full socket buffer, or an
    /// error for that datagram (unreachable destination, bad address).
    pub failed: usize,
}

/// Running totals of a [`PacketIo`](crate::PacketIo) since it was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct IoCounters {
    /// Datagrams received and handed out.
    pub received: u64,
    /// Datagrams the kernel accepted for sending.
    pub sent: u64,
    /// Datagrams not sent (see [`SendReport::failed`]).
    pub send_failed: u64,
    /// ICMP errors (port unreachable and the like) the kernel reported on a socket; each
    /// is counted and the socket goes on.
    pub icmp_errors: u64,
    /// Received datagrams larger than the buffer, dropped.
    pub truncated: u64,
    /// Times the receive buffers of the io_uring backend ran out (the kernel dropped or
    /// held datagrams until buffers were returned).
    pub buffers_exhausted: u64,
}
