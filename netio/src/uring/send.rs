//! The send half of the io_uring backend: each datagram of an outbox is copied into a
//! send buffer of the backend's and becomes a `SendMsg` entry; the call returns once
//! every one has completed, so the report is exact.

use std::io;
use std::os::fd::RawFd;

use io_uring::{opcode, types};
use medianode_dataplane::conference::{OutDatagram, Outbox};

use super::user_data::Token;
use super::UringIo;
use crate::counters::SendReport;
use crate::msg_scratch::is_icmp_error;

impl UringIo {
    pub(crate) fn send_outbox(&mut self, outbox: &Outbox) -> io::Result<SendReport> {
        let sent_before = self.counters.sent;
        let failed_before = self.counters.send_failed;
        let mut last: Option<(u16, Option<RawFd>)> = None;
        for datagram in outbox.datagrams() {
            let port = datagram.local_port();
            let fd = match last {
                Some((last_port, fd)) if last_port == port => fd,
                _ => {
                    let fd = self.sockets.fd(port);
                    last = Some((port, fd));
                    fd
                }
            };
            let Some(fd) = fd else {
                self.counters.send_failed += 1;
                continue;
            };
            let slot = loop {
                if let Some(slot) = self.free_send_buffers.pop() {
                    break slot;
                }
                self.wait_for_send()?;
            };
            if !self.queue_send(fd, slot, datagram)? {
                self.free_send_buffers.push(slot);
                self.counters.send_failed += 1;
            }
        }
        while self.free_send_buffers.len() < self.send_buffers.len() {
            self.wait_for_send()?;
        }
        Ok(SendReport {
            sent: (self.counters.sent - sent_before) as usize,
            failed: (self.counters.send_failed - failed_before) as usize,
        })
    }

    /// Copies `datagram` into send buffer `slot` and queues its send on `fd`; false if it
    /// does not fit.
    fn queue_send(&mut self, fd: RawFd, slot: u16, datagram: &OutDatagram) -> io::Result<bool> {
        let bytes = datagram.bytes();
        let Some(buffer) = self.send_buffers.get_mut(usize::from(slot)) else {
            return Ok(false);
        };
        let Some(copy) = buffer.get_mut(..bytes.len()) else {
            return Ok(false);
        };
        copy.copy_from_slice(bytes);
        let copy: &[u8] = copy;
        let Some(header) =
            self.send_scratch
                .prepare_one(usize::from(slot), copy, datagram.destination())
        else {
            return Ok(false);
        };
        let entry = opcode::SendMsg::new(types::Fd(fd), header)
            .flags(libc::MSG_DONTWAIT as u32)
            .build()
            .user_data(Token::Send { slot }.encode());
        self.push(&entry)?;
        Ok(true)
    }

    /// Submits what is queued and waits for at least one completion, taking every
    /// completion there is (receive completions are held for the receive path).
    fn wait_for_send(&mut self) -> io::Result<()> {
        match self.ring.submit_and_wait(1) {
            Ok(_) => {}
            Err(err) if matches!(err.raw_os_error(), Some(libc::EINTR | libc::EBUSY)) => {}
            Err(err) => return Err(err),
        }
        self.take_completions(|_| false);
        Ok(())
    }

    /// Books the completion of the send from buffer `slot` and frees the buffer.
    pub(super) fn sent(&mut self, slot: u16, result: i32) {
        if result >= 0 {
            self.counters.sent += 1;
        } else {
            self.counters.send_failed += 1;
            if is_icmp_error(&io::Error::from_raw_os_error(-result)) {
                self.counters.icmp_errors += 1;
            }
        }
        if usize::from(slot) < self.send_buffers.len() {
            self.free_send_buffers.push(slot);
        }
    }
}
