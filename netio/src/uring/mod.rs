//! The io_uring backend: one ring per core, a multishot `RecvMsg` per socket drawing on
//! one provided-buffer ring, and sends pushed as batches of `Send` entries.
//!
//! Received bytes are copied from the ring's buffer into the caller's batch and the buffer
//! goes straight back to the kernel, so the caller owns its buffers as with the portable
//! backend. A send batch is complete when [`UringIo::send_outbox`] returns: it waits for
//! every send's completion, since the outbox's bytes are only borrowed. Receive
//! completions that show up meanwhile are kept for the next receive.

mod buf_ring;
mod fixed_files;
mod recv;
mod ring_size;
mod send;
mod send_slots;
mod setup;
mod setup_error;
mod user_data;

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use io_uring::{cqueue, opcode, types, IoUring};
use medianode_dataplane::conference::OUT_DATAGRAM_CAPACITY;

use crate::counters::IoCounters;
use crate::socket_table::SocketTable;
use buf_ring::BufRing;
use fixed_files::{FileRef, FixedFiles};
use ring_size::{RECV_BUFFERS, SEND_BUFFERS};
use send_slots::SendSlots;
pub use setup_error::UringSetupError;
use user_data::Token;

/// The provided-buffer group every receive draws from.
const BUFFER_GROUP: u16 = 0;

/// Completions taken from the ring per pass.
const COMPLETIONS_PER_PASS: usize = 64;

/// The `msghdr` every multishot receive is armed with: the kernel reads only its name and
/// control lengths, which lay out each buffer as header, source address, payload.
struct RecvHeader(Box<libc::msghdr>);

// SAFETY: the header's pointers are all null (only its lengths are used); it is plain
// data that may move between threads.
unsafe impl Send for RecvHeader {}

impl RecvHeader {
    fn new() -> Self {
        // SAFETY: msghdr is plain old data; all-zero is a valid value (null pointers).
        let mut header: Box<libc::msghdr> = Box::new(unsafe { std::mem::zeroed() });
        header.msg_namelen = std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t;
        Self(header)
    }

    fn as_ptr(&self) -> *const libc::msghdr {
        &*self.0
    }

    fn get(&self) -> &libc::msghdr {
        &self.0
    }
}

impl std::fmt::Debug for RecvHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecvHeader")
            .field("msg_namelen", &self.0.msg_namelen)
            .finish()
    }
}

/// A completion taken off the ring and not yet handled.
#[derive(Debug, Clone, Copy)]
struct Completion {
    user_data: u64,
    result: i32,
    flags: u32,
}

impl Completion {
    const EMPTY: Self = Self {
        user_data: 0,
        result: 0,
        flags: 0,
    };
}

impl From<&cqueue::Entry> for Completion {
    fn from(cqe: &cqueue::Entry) -> Self {
        Self {
            user_data: cqe.user_data(),
            result: cqe.result(),
            flags: cqe.flags(),
        }
    }
}

/// A bound socket as the ring knows it.
#[derive(Debug, Clone, Copy)]
struct OpenPort {
    /// The generation of its armed receive.
    generation: u32,
    /// How entries name it.
    file: FileRef,
}

/// The io_uring backend of one core.
pub(crate) struct UringIo {
    // Field order is drop order: the ring goes first, so the kernel has stopped using the
    // buffers and headers below before they are freed.
    ring: IoUring,
    buffers: BufRing,
    recv_header: RecvHeader,
    sockets: SocketTable,
    /// Which sockets the ring's registered file table holds.
    files: FixedFiles,
    /// Each open port's receive generation and file.
    ports: HashMap<u16, OpenPort>,
    next_generation: u32,
    /// Ports whose multishot receive ended and must be armed again.
    rearm: Vec<u16>,
    /// Receive completions taken off the ring while waiting for sends.
    held: VecDeque<Completion>,
    /// Copies of the datagrams being sent and their addresses, owned by each send
    /// until its completion.
    send_slots: SendSlots,
    counters: IoCounters,
}

impl std::fmt::Debug for UringIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UringIo")
            .field("buffers", &self.buffers)
            .field("sockets", &self.sockets)
            .field("held", &self.held.len())
            .field("counters", &self.counters)
            .finish_non_exhaustive()
    }
}

impl UringIo {
    pub(crate) fn new() -> io::Result<Self> {
        Self::set_up().map_err(io::Error::from)
    }

    fn set_up() -> Result<Self, UringSetupError> {
        let (mut ring, buffers) = setup::ring_with_buffers()?;
        let recv_header = RecvHeader::new();
        setup::check_multishot_recv(&mut ring, &recv_header)?;
        let files = FixedFiles::register(&ring);
        Ok(Self {
            ring,
            buffers,
            recv_header,
            sockets: SocketTable::default(),
            files,
            ports: HashMap::new(),
            next_generation: 0,
            rearm: Vec::new(),
            held: VecDeque::with_capacity(usize::from(RECV_BUFFERS) + COMPLETIONS_PER_PASS),
            send_slots: SendSlots::new(SEND_BUFFERS, OUT_DATAGRAM_CAPACITY),
            counters: IoCounters::default(),
        })
    }

    pub(crate) fn bind(&mut self, addr: SocketAddr) -> io::Result<SocketAddr> {
        let (socket, local) = self.sockets.open(addr)?;
        let port = local.port();
        let file = self.files.install(&self.ring, socket.as_raw_fd());
        self.sockets.insert(port, socket);
        let generation = self.next_generation;
        self.next_generation = self.next_generation.wrapping_add(1);
        self.ports.insert(port, OpenPort { generation, file });
        if let Err(err) = self.arm(port).and_then(|()| self.ring.submit().map(drop)) {
            self.ports.remove(&port);
            self.files.remove(&self.ring, file);
            self.sockets.remove(port);
            return Err(err);
        }
        Ok(local)
    }

    /// Queues the multishot receive of `port`'s socket.
    fn arm(&mut self, port: u16) -> io::Result<()> {
        let Some(&OpenPort { generation, file }) = self.ports.get(&port) else {
            return Ok(());
        };
        let header = self.recv_header.as_ptr();
        let entry = match file {
            FileRef::Fixed(index) => {
                opcode::RecvMsgMulti::new(types::Fixed(index), header, BUFFER_GROUP)
            }
            FileRef::Raw(fd) => opcode::RecvMsgMulti::new(types::Fd(fd), header, BUFFER_GROUP),
        }
        .build()
        .user_data(Token::Recv { port, generation }.encode());
        self.push(&entry)
    }

    /// Pushes `entry`, submitting what is queued first if the queue is full.
    fn push(&mut self, entry: &io_uring::squeue::Entry) -> io::Result<()> {
        loop {
            // SAFETY: every entry pushed here points at memory that outlives its
            // operation: the receive header lives as long as the ring; a send's address
            // and bytes live in its send slot, which is not reused before the send's
            // completion has been taken; sockets are closed only after their receive is
            // cancelled, and a send holds its own reference to its socket.
            if unsafe { self.ring.submission().push(entry) }.is_ok() {
                return Ok(());
            }
            self.ring.submit()?;
        }
    }

    pub(crate) fn close(&mut self, local_port: u16) {
        let Some(OpenPort { generation, file }) = self.ports.remove(&local_port) else {
            return;
        };
        let target = Token::Recv {
            port: local_port,
            generation,
        }
        .encode();
        let cancel = opcode::AsyncCancel::new(target)
            .build()
            .user_data(Token::Cancel.encode());
        // Wait for the cancellation, so the kernel has let go of the socket and its port
        // can be bound again at once.
        if self.push(&cancel).is_ok() {
            let deadline = Instant::now() + Duration::from_secs(1);
            while Instant::now() < deadline {
                if self.ring.submit_and_wait(1).is_err() {
                    break;
                }
                if self.take_completions(|completion| {
                    completion.user_data == target && !cqueue::more(completion.flags)
                }) {
                    break;
                }
            }
        }
        self.files.remove(&self.ring, file);
        self.sockets.remove(local_port);
        self.rearm.retain(|&port| port != local_port);
    }

    /// Moves completions off the ring: sends are counted, everything else is held for
    /// the receive path. Returns whether one matched `wanted`.
    fn take_completions(&mut self, mut wanted: impl FnMut(&Completion) -> bool) -> bool {
        let mut found = false;
        let mut taken = [Completion::EMPTY; COMPLETIONS_PER_PASS];
        loop {
            let mut count = 0;
            for (slot, cqe) in taken.iter_mut().zip(self.ring.completion()) {
                *slot = Completion::from(&cqe);
                count += 1;
            }
            for &completion in taken.iter().take(count) {
                found |= wanted(&completion);
                match Token::decode(completion.user_data) {
                    Token::Send { slot } => self.sent(slot, completion.result),
                    Token::Recv { .. } => self.held.push_back(completion),
                    Token::Cancel | Token::Unknown => {}
                }
            }
            if count < COMPLETIONS_PER_PASS {
                return found;
            }
        }
    }

    pub(crate) fn counters(&self) -> IoCounters {
        self.counters
    }
}
