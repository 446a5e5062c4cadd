//! The send half of the io_uring backend: each datagram of an outbox is copied into a
//! send slot of the backend's and becomes a `Send` entry with a destination address
//! (`sendto`, not `sendmsg`: the kernel then copies no `msghdr` or `iovec` per datagram);
//! the call returns once every one has completed, so the report is exact.

use std::io;

use io_uring::{opcode, types};
use medianode_dataplane::conference::{OutDatagram, Outbox};

use super::fixed_files::FileRef;
use super::user_data::Token;
use super::UringIo;
use crate::counters::SendReport;
use crate::msg_scratch::is_icmp_error;

impl UringIo {
    pub(crate) fn send_outbox(&mut self, outbox: &Outbox) -> io::Result<SendReport> {
        let sent_before = self.counters.sent;
        let failed_before = self.counters.send_failed;
        let mut last: Option<(u16, Option<FileRef>)> = None;
        for datagram in outbox.datagrams() {
            let port = datagram.local_port();
            let file = match last {
                Some((last_port, file)) if last_port == port => file,
                _ => {
                    let file = self.ports.get(&port).map(|open| open.file);
                    last = Some((port, file));
                    file
                }
            };
            let Some(file) = file else {
                self.counters.send_failed += 1;
                continue;
            };
            let slot = loop {
                if let Some(slot) = self.send_slots.take() {
                    break slot;
                }
                self.wait_for_send()?;
            };
            if !self.queue_send(file, slot, datagram)? {
                self.send_slots.give_back(slot);
                self.counters.send_failed += 1;
            }
        }
        while !self.send_slots.all_free() {
            self.wait_for_send()?;
        }
        Ok(SendReport {
            sent: (self.counters.sent - sent_before) as usize,
            failed: (self.counters.send_failed - failed_before) as usize,
        })
    }

    /// Copies `datagram` into send slot `slot` and queues its send on `file`; false if it
    /// does not fit.
    fn queue_send(&mut self, file: FileRef, slot: u16, datagram: &OutDatagram) -> io::Result<bool> {
        let Some(prepared) =
            self.send_slots
                .prepare(slot, datagram.bytes(), datagram.destination())
        else {
            return Ok(false);
        };
        let entry = match file {
            FileRef::Fixed(index) => {
                opcode::Send::new(types::Fixed(index), prepared.bytes, prepared.len)
            }
            FileRef::Raw(fd) => opcode::Send::new(types::Fd(fd), prepared.bytes, prepared.len),
        }
        .dest_addr(prepared.addr)
        .dest_addr_len(prepared.addr_len)
        // A full socket buffer fails the send at once instead of parking it in the ring.
        .flags(libc::MSG_DONTWAIT)
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

    /// Books the completion of the send from slot `slot` and frees the slot.
    pub(super) fn sent(&mut self, slot: u16, result: i32) {
        if result >= 0 {
            self.counters.sent += 1;
        } else {
            self.counters.send_failed += 1;
            if is_icmp_error(&io::Error::from_raw_os_error(-result)) {
                self.counters.icmp_errors += 1;
            }
        }
        self.send_slots.give_back(slot);
    }
}
