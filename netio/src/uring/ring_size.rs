//! How big one core's io_uring is, chosen so that many cores fit the default 8 MiB
//! locked-memory limit of a non-root user.
//!
//! What counts against that limit: on kernels before 5.12 the submission and completion
//! rings themselves; on every kernel the pinned provided-buffer ring. The receive buffers
//! are ordinary memory the kernel writes into, not pinned, so they do not count.

/// Submission queue entries: sends are pushed in chunks of this many at most.
pub(crate) const SQ_ENTRIES: u32 = 512;

/// Completion queue entries: room for every receive buffer and every send in flight.
pub(crate) const CQ_ENTRIES: u32 = 8192;

/// Receive buffers in the provided-buffer ring (a power of two): about 20 ms of a busy
/// core's input (200 000 packets per second), so that a core that was held up for a
/// moment, with thousands of legs, finds a buffer for every datagram waiting. When they
/// run out, every socket's multishot receive ends and has to be armed again.
pub(crate) const RECV_BUFFERS: u16 = 4096;

/// Bytes per receive buffer: the kernel's 16-byte `io_uring_recvmsg_out`, the source
/// address (an IPv6 one, 28 bytes), then the datagram, so an Ethernet-MTU datagram fits.
pub(crate) const RECV_BUFFER_BYTES: usize = 2048;

/// Datagrams in flight on the send side at most: each is copied into a send buffer of
/// its own (an Ethernet MTU, 1.5 MB in all; ordinary memory, not locked).
pub(crate) const SEND_BUFFERS: u16 = 1024;

/// Bytes the rings may count against `RLIMIT_MEMLOCK`, rounded to pages: 64-byte SQEs,
/// 16-byte CQEs, the SQ index array and the 16-byte buffer-ring entries. About 230 KiB,
/// so 32 cores stay under 8 MiB; on Linux 5.12 and later only the buffer ring's 64 KiB
/// count.
pub(crate) const LOCKED_BYTES: usize = pages(SQ_ENTRIES as usize * 64)
    + pages(CQ_ENTRIES as usize * 16 + SQ_ENTRIES as usize * 4 + 64)
    + pages(RECV_BUFFERS as usize * 16);

const fn pages(bytes: usize) -> usize {
    bytes.div_ceil(4096) * 4096
}
