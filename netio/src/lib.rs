//! The socket layer of one media core: it owns the core's UDP sockets (one per leg) and
//! moves datagrams between them and the sans-IO [`MediaCore`] in batches.
//!
//! The media core never touches a socket; this crate is the thin shell around it. A
//! [`PacketIo`] receives a batch of datagrams from all its sockets into caller-owned
//! [`InDatagram`] buffers and sends a whole [`Outbox`] at once, so the per-packet cost is
//! the kernel's, not a system call per packet. Two backends do the work:
//!
//! - io_uring ([`ActiveBackend::IoUring`]): a multishot `RecvMsgMulti` per socket over a
//!   provided-buffer ring, and batched `Send` submissions (each with its destination
//!   address), the sockets registered with the ring;
//! - `recvmmsg`/`sendmmsg` with epoll readiness ([`ActiveBackend::Mmsg`]), which works
//!   everywhere, including containers whose seccomp profile blocks io_uring.
//!
//! [`IoBackendChoice::Auto`] takes io_uring when the kernel allows it and falls back to
//! the other otherwise; [`PacketIo::backend`] says which one runs, for the caller's log.
//! [`reflector`] is the bare recvmmsg/sendmmsg echo that forwarding benchmarks measure the
//! node against; [`affinity`] pins a core's thread to its CPU, and
//! [`set_socket_buffers`] sizes a socket's buffers as `PacketIo` does.
//!
//! This crate and `medianode-simd` are the only ones allowed `unsafe`: here for system
//! calls that the kernel reads or writes through raw pointers into our memory.
//!
//! [`MediaCore`]: medianode_dataplane::conference::MediaCore
//! [`InDatagram`]: medianode_dataplane::conference::InDatagram
//! [`Outbox`]: medianode_dataplane::conference::Outbox

pub mod affinity;
mod backend_choice;
mod counters;
mod epoll;
mod mmsg;
mod msg_scratch;
mod packet_io;
mod port_groups;
pub mod reflector;
mod sockaddr;
mod socket_buffers;
mod socket_table;
mod timeout;
mod uring;

pub use backend_choice::{ActiveBackend, IoBackendChoice};
pub use counters::{IoCounters, SendReport};
pub use packet_io::PacketIo;
pub use socket_buffers::{set_socket_buffers, DEFAULT_SOCKET_BUFFER_BYTES};
pub use uring::UringSetupError;
