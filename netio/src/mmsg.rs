//! The portable backend: non-blocking sockets, epoll for readiness, `recvmmsg` and
//! `sendmmsg` for batches. Works wherever UDP sockets do, including where io_uring is
//! disabled.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use medianode_dataplane::conference::{InDatagram, Outbox};

use crate::counters::{IoCounters, SendReport};
use crate::epoll::Epoll;
use crate::msg_scratch::{is_icmp_error, MsgScratch, MAX_MESSAGES_PER_CALL};
use crate::port_groups::PortGroups;
use crate::socket_table::SocketTable;
use crate::timeout::millis_rounded_up;

/// Ready sockets one epoll wait reports at most.
const MAX_READY_PER_WAIT: usize = 256;

/// The recvmmsg/sendmmsg backend of one core.
#[derive(Debug)]
pub(crate) struct MmsgIo {
    sockets: SocketTable,
    epoll: Epoll,
    /// Ready ports of the last wait, not yet drained.
    ready: Vec<u16>,
    recv_scratch: MsgScratch,
    send_scratch: MsgScratch,
    groups: PortGroups,
    counters: IoCounters,
}

impl MmsgIo {
    pub(crate) fn new() -> io::Result<Self> {
        Ok(Self {
            sockets: SocketTable::default(),
            epoll: Epoll::new(MAX_READY_PER_WAIT)?,
            ready: Vec::with_capacity(MAX_READY_PER_WAIT),
            recv_scratch: MsgScratch::new(MAX_MESSAGES_PER_CALL),
            send_scratch: MsgScratch::new(MAX_MESSAGES_PER_CALL),
            groups: PortGroups::default(),
            counters: IoCounters::default(),
        })
    }

    pub(crate) fn bind(&mut self, addr: SocketAddr) -> io::Result<SocketAddr> {
        let (socket, local) = self.sockets.open(addr)?;
        use std::os::fd::AsRawFd;
        self.epoll
            .add(socket.as_raw_fd(), u64::from(local.port()))?;
        self.sockets.insert(local.port(), socket);
        Ok(local)
    }

    pub(crate) fn close(&mut self, local_port: u16) {
        if let Some(socket) = self.sockets.remove(local_port) {
            use std::os::fd::AsRawFd;
            // Closing the descriptor would unregister it as well; removing first keeps
            // the epoll set exact even if a duplicate of the descriptor lived on.
            let _ = self.epoll.remove(socket.as_raw_fd());
        }
        self.ready.retain(|&port| port != local_port);
    }

    pub(crate) fn counters(&self) -> IoCounters {
        self.counters
    }

    pub(crate) fn recv_batch<B: AsMut<[u8]> + AsRef<[u8]>>(
        &mut self,
        batch: &mut [InDatagram<B>],
        timeout: Duration,
    ) -> io::Result<usize> {
        if batch.is_empty() {
            return Ok(0);
        }
        let deadline = Instant::now().checked_add(timeout);
        // Sockets left ready by the last call first (a full batch left them unread); if
        // they give nothing, one wait, then what the ready sockets hold. Sockets that
        // became ready meanwhile are found by the next call's wait: one wait per call
        // keeps the system calls per batch at three (wait, recvmmsg, sendmmsg).
        let mut filled = self.drain_ready(batch)?;
        while filled == 0 {
            let remaining = match deadline {
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                None => timeout,
            };
            self.ready.clear();
            self.ready.extend(
                self.epoll
                    .wait(millis_rounded_up(remaining))?
                    .map(|token| token as u16),
            );
            filled += self.drain_ready(batch)?;
            if remaining.is_zero() {
                break;
            }
        }
        self.counters.received += filled as u64;
        Ok(filled)
    }

    /// Receives from the ready sockets into `batch` until it is full or they are empty;
    /// a socket that still has data stays on the ready list.
    fn drain_ready<B: AsMut<[u8]> + AsRef<[u8]>>(
        &mut self,
        batch: &mut [InDatagram<B>],
    ) -> io::Result<usize> {
        let mut filled = 0;
        while let Some(&port) = self.ready.last() {
            let Some(room) = batch.get_mut(filled..).filter(|room| !room.is_empty()) else {
                break;
            };
            let Some(fd) = self.sockets.fd(port) else {
                self.ready.pop();
                continue;
            };
            let wanted = room.len().min(self.recv_scratch.capacity());
            let got = match self
                .recv_scratch
                .recv(fd, room.iter_mut().take(wanted).map(|d| d.buf.as_mut()))
            {
                Ok(got) => got,
                Err(err) if is_icmp_error(&err) => {
                    self.counters.icmp_errors += 1;
                    continue;
                }
                Err(err) => return Err(err),
            };
            if got < wanted {
                self.ready.pop();
            }
            filled += self.keep_received(port, room, got);
        }
        Ok(filled)
    }

    /// Sets the fields of the first `got` entries of `room` from the scratch, moving
    /// truncated datagrams and ones without an IP source out of the way; returns how many
    /// remain at the front.
    fn keep_received<B: AsMut<[u8]> + AsRef<[u8]>>(
        &mut self,
        port: u16,
        room: &mut [InDatagram<B>],
        got: usize,
    ) -> usize {
        let mut kept = 0;
        for index in 0..got {
            let Some(received) = self.recv_scratch.received(index) else {
                break;
            };
            let source = match received.source {
                Some(source) if !received.truncated => source,
                _ => {
                    self.counters.truncated += u64::from(received.truncated);
                    continue;
                }
            };
            room.swap(kept, index);
            if let Some(datagram) = room.get_mut(kept) {
                datagram.local_port = port;
                datagram.source = source;
                datagram.len = received.len;
            }
            kept += 1;
        }
        kept
    }

    pub(crate) fn send_outbox(&mut self, outbox: &Outbox) -> io::Result<SendReport> {
        let mut report = SendReport::default();
        let Self {
            sockets,
            send_scratch,
            groups,
            counters,
            ..
        } = self;
        let capacity = send_scratch.capacity();
        groups.for_each(outbox.datagrams(), |port, group| {
            let Some(fd) = sockets.fd(port) else {
                report.failed += group.count();
                return;
            };
            loop {
                let tally = send_scratch.send(
                    fd,
                    (&mut *group)
                        .take(capacity)
                        .map(|d| (d.bytes(), d.destination())),
                );
                report.sent += tally.sent;
                report.failed += tally.failed;
                counters.icmp_errors += tally.icmp_errors as u64;
                if tally.sent + tally.failed < capacity {
                    break;
                }
            }
        });
        counters.sent += report.sent as u64;
        counters.send_failed += report.failed as u64;
        Ok(report)
    }
}
