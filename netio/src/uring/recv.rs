//! The receive half of the io_uring backend: completions of the multishot receives are
//! copied into the caller's batch and their buffers handed straight back to the kernel.

use std::io;
use std::time::{Duration, Instant};

use io_uring::{cqueue, types};
use medianode_dataplane::conference::InDatagram;

use super::user_data::Token;
use super::{Completion, UringIo, COMPLETIONS_PER_PASS};
use crate::msg_scratch::is_icmp_error;
use crate::sockaddr;

impl UringIo {
    pub(crate) fn recv_batch<B: AsMut<[u8]> + AsRef<[u8]>>(
        &mut self,
        batch: &mut [InDatagram<B>],
        timeout: Duration,
    ) -> io::Result<usize> {
        let deadline = Instant::now().checked_add(timeout);
        let mut filled = self.handle_held(batch);
        filled += self.handle_ring(batch.get_mut(filled..).unwrap_or(&mut []));
        // Re-arms go out with the next enter, whichever call makes it.
        while let Some(port) = self.rearm.pop() {
            self.arm(port)?;
        }
        // What the ring already holds is returned without a system call; otherwise one
        // enter submits, runs the receive task work and waits.
        while filled == 0 && !batch.is_empty() {
            let remaining = match deadline {
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                None => timeout,
            };
            if remaining.is_zero() {
                self.ring.submit()?;
                filled += self.handle_ring(batch);
                break;
            }
            let timespec = types::Timespec::from(remaining);
            let args = types::SubmitArgs::new().timespec(&timespec);
            match self.ring.submitter().submit_with_args(1, &args) {
                Ok(_) => {}
                Err(err) if matches!(err.raw_os_error(), Some(libc::ETIME | libc::EINTR)) => {}
                Err(err) => return Err(err),
            }
            filled += self.handle_ring(batch);
        }
        self.counters.received += filled as u64;
        Ok(filled)
    }

    /// Handles held receive completions into `batch`; returns how many it filled.
    fn handle_held<B: AsMut<[u8]> + AsRef<[u8]>>(&mut self, batch: &mut [InDatagram<B>]) -> usize {
        let mut filled = 0;
        while filled < batch.len() {
            let Some(completion) = self.held.pop_front() else {
                break;
            };
            if let Some(datagram) = batch.get_mut(filled) {
                filled += usize::from(self.handle_recv(completion, datagram));
            }
        }
        self.buffers.publish();
        filled
    }

    /// Takes completions off the ring while `batch` has room; returns how many datagrams
    /// it filled.
    fn handle_ring<B: AsMut<[u8]> + AsRef<[u8]>>(&mut self, batch: &mut [InDatagram<B>]) -> usize {
        let mut filled = 0;
        let mut taken = [Completion::EMPTY; COMPLETIONS_PER_PASS];
        loop {
            let room = batch.len() - filled;
            if room == 0 {
                break;
            }
            let want = room.min(COMPLETIONS_PER_PASS);
            let mut count = 0;
            for (slot, cqe) in taken.iter_mut().zip(self.ring.completion().take(want)) {
                *slot = Completion::from(&cqe);
                count += 1;
            }
            for &completion in taken.iter().take(count) {
                match Token::decode(completion.user_data) {
                    Token::Recv { .. } => {
                        if let Some(datagram) = batch.get_mut(filled) {
                            filled += usize::from(self.handle_recv(completion, datagram));
                        }
                    }
                    Token::Send { slot } => self.sent(slot, completion.result),
                    Token::Cancel | Token::Unknown => {}
                }
            }
            if count < want {
                break;
            }
        }
        self.buffers.publish();
        filled
    }

    /// Handles one receive completion, filling `datagram` if it carries a datagram of a
    /// current socket; returns whether it did. The buffer goes back to the ring (published
    /// by the caller).
    fn handle_recv<B: AsMut<[u8]> + AsRef<[u8]>>(
        &mut self,
        completion: Completion,
        datagram: &mut InDatagram<B>,
    ) -> bool {
        let Token::Recv { port, generation } = Token::decode(completion.user_data) else {
            return false;
        };
        let current = self
            .ports
            .get(&port)
            .is_some_and(|open| open.generation == generation);
        if current && !cqueue::more(completion.flags) {
            self.rearm.push(port);
        }
        let bid = cqueue::buffer_select(completion.flags);
        let filled = match (completion.result, bid) {
            (result, Some(bid)) if result >= 0 && current => {
                self.copy_out(port, bid, result as usize, datagram)
            }
            (result, _) if result == -libc::ENOBUFS => {
                self.counters.buffers_exhausted += 1;
                false
            }
            (result, _) if result < 0 && is_icmp_error(&io::Error::from_raw_os_error(-result)) => {
                self.counters.icmp_errors += 1;
                false
            }
            _ => false,
        };
        if let Some(bid) = bid {
            self.buffers.push(bid);
        }
        filled
    }

    /// Copies the datagram in buffer `bid` (`len` bytes written) into `datagram`.
    fn copy_out<B: AsMut<[u8]> + AsRef<[u8]>>(
        &mut self,
        port: u16,
        bid: u16,
        len: usize,
        datagram: &mut InDatagram<B>,
    ) -> bool {
        // SAFETY: `bid` comes from this completion and is pushed back to the ring only
        // after this function returns, when the slice is gone.
        let Some(buffer) = (unsafe { self.buffers.buffer(bid) }) else {
            return false;
        };
        let Some(written) = buffer.get(..len) else {
            return false;
        };
        let Ok(message) = types::RecvMsgOut::parse(written, self.recv_header.get()) else {
            return false;
        };
        let source = sockaddr::read_unaligned(message.name_data());
        let payload = message.payload_data();
        let target = datagram.buf.as_mut();
        match (source, target.get_mut(..payload.len())) {
            (Some(source), Some(room)) if !message.is_payload_truncated() => {
                room.copy_from_slice(payload);
                datagram.local_port = port;
                datagram.source = source;
                datagram.len = payload.len();
                true
            }
            _ => {
                self.counters.truncated += 1;
                false
            }
        }
    }
}
