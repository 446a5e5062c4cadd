//! The replay's UDP socket, with one system call per batch: `sendmmsg` for everything due
//! at once (to many legs' ports) and `recvmmsg` for what the node sent back. Every
//! participant shares the socket: the node tells legs apart by its own port, and so does
//! the replay (a datagram's source port is the leg that sent it).
//!
//! The calls go through `nix`, which keeps this crate free of `unsafe`.

use std::io::{self, IoSlice, IoSliceMut};
use std::net::{SocketAddr, SocketAddrV4, SocketAddrV6, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::Duration;

use nix::sys::socket::{
    recvmmsg, sendmmsg, setsockopt, sockopt, MsgFlags, MultiHeaders, SockaddrStorage,
};

/// Largest datagram received; anything longer is cut (and fails its checks).
pub const MAX_DATAGRAM: usize = 2048;
/// Socket buffer asked for, in bytes: bursts of a few thousand datagrams.
const SOCKET_BUFFER: usize = 8 << 20;

/// The socket shared by every participant of a run.
#[derive(Debug)]
pub struct BatchSocket {
    socket: UdpSocket,
}

impl BatchSocket {
    /// Binds `addr`, with large buffers and a receive timeout of `recv_timeout` (so the
    /// receiving thread can look at its stop flag).
    pub fn bind(addr: SocketAddr, recv_timeout: Duration) -> io::Result<BatchSocket> {
        let socket = UdpSocket::bind(addr)?;
        // A privileged process may go past net.core.rmem_max; others get what the cap
        // allows, which is not an error.
        if setsockopt(&socket, sockopt::RcvBufForce, &SOCKET_BUFFER).is_err() {
            let _ = setsockopt(&socket, sockopt::RcvBuf, &SOCKET_BUFFER);
        }
        if setsockopt(&socket, sockopt::SndBufForce, &SOCKET_BUFFER).is_err() {
            let _ = setsockopt(&socket, sockopt::SndBuf, &SOCKET_BUFFER);
        }
        socket.set_read_timeout(Some(recv_timeout))?;
        Ok(BatchSocket { socket })
    }

    /// The address the node sends to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// A second handle on the same socket, for the other thread.
    pub fn try_clone(&self) -> io::Result<BatchSocket> {
        Ok(BatchSocket {
            socket: self.socket.try_clone()?,
        })
    }
}

/// What one [`BatchSender::send`] achieved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendOutcome {
    /// Datagrams handed to the kernel.
    pub sent: usize,
    /// Datagrams refused (skipped after an error).
    pub failed: usize,
    /// `sendmmsg` calls made.
    pub calls: usize,
}

/// Reusable state for sending batches.
#[derive(Debug)]
pub struct BatchSender {
    headers: MultiHeaders<SockaddrStorage>,
    addresses: Vec<Option<SockaddrStorage>>,
    capacity: usize,
}

impl BatchSender {
    /// A sender for batches of up to `capacity` datagrams per call.
    pub fn new(capacity: usize) -> BatchSender {
        let capacity = capacity.clamp(1, 1024);
        BatchSender {
            headers: MultiHeaders::preallocate(capacity, None),
            addresses: Vec::with_capacity(capacity),
            capacity,
        }
    }

    /// Sends every datagram (destination, bytes), in calls of up to the capacity. A
    /// datagram the kernel refuses is skipped and counted.
    pub fn send(&mut self, socket: &BatchSocket, datagrams: &[(SocketAddr, &[u8])]) -> SendOutcome {
        let mut outcome = SendOutcome::default();
        let mut rest = datagrams;
        while !rest.is_empty() {
            let chunk = &rest[..rest.len().min(self.capacity)];
            self.addresses.clear();
            self.addresses
                .extend(chunk.iter().map(|(to, _)| Some(SockaddrStorage::from(*to))));
            let slices: Vec<[IoSlice<'_>; 1]> = chunk
                .iter()
                .map(|(_, bytes)| [IoSlice::new(bytes)])
                .collect();
            outcome.calls += 1;
            let result = sendmmsg(
                socket.socket.as_raw_fd(),
                &mut self.headers,
                &slices,
                &self.addresses,
                [],
                MsgFlags::empty(),
            )
            .map(|results| results.count());
            match result {
                Ok(0) | Err(_) => {
                    // The first datagram of the chunk was refused; skip it and go on.
                    outcome.failed += 1;
                    rest = &rest[1..];
                }
                Ok(n) => {
                    outcome.sent += n;
                    rest = &rest[n.min(rest.len())..];
                }
            }
        }
        outcome
    }
}

/// Reusable buffers for receiving batches.
#[derive(Debug)]
pub struct BatchReceiver {
    headers: MultiHeaders<SockaddrStorage>,
    buffers: Vec<Vec<u8>>,
    received: Vec<(usize, Option<SocketAddr>)>,
}

impl BatchReceiver {
    /// Buffers for `capacity` datagrams per call.
    pub fn new(capacity: usize) -> BatchReceiver {
        let capacity = capacity.clamp(1, 1024);
        BatchReceiver {
            headers: MultiHeaders::preallocate(capacity, None),
            buffers: (0..capacity).map(|_| vec![0u8; MAX_DATAGRAM]).collect(),
            received: Vec::with_capacity(capacity),
        }
    }

    /// Waits (up to the socket's receive timeout) for at least one datagram and takes as
    /// many as are there; returns how many (0 on timeout).
    pub fn recv(&mut self, socket: &BatchSocket) -> io::Result<usize> {
        self.received.clear();
        let mut slices: Vec<[IoSliceMut<'_>; 1]> = self
            .buffers
            .iter_mut()
            .map(|b| [IoSliceMut::new(&mut b[..])])
            .collect();
        let result = recvmmsg(
            socket.socket.as_raw_fd(),
            &mut self.headers,
            slices.iter_mut(),
            MsgFlags::MSG_WAITFORONE,
            None,
        );
        match result {
            Ok(results) => {
                for message in results {
                    let from = message.address.and_then(|a| to_socket_addr(&a));
                    self.received.push((message.bytes, from));
                }
            }
            Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(io::Error::from(e)),
        }
        Ok(self.received.len())
    }

    /// Datagram `i` of the last batch: its source and its bytes (writable, for in-place
    /// decryption), with the length.
    pub fn datagram_mut(&mut self, i: usize) -> Option<(SocketAddr, &mut [u8], usize)> {
        let &(len, from) = self.received.get(i)?;
        let buffer = self.buffers.get_mut(i)?;
        Some((from?, &mut buffer[..], len.min(MAX_DATAGRAM)))
    }
}

fn to_socket_addr(address: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = address.as_sockaddr_in() {
        return Some(SocketAddr::V4(SocketAddrV4::from(*v4)));
    }
    address
        .as_sockaddr_in6()
        .map(|v6| SocketAddr::V6(SocketAddrV6::from(*v6)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_goes_out_in_one_call_and_comes_back_with_its_sources() {
        let timeout = Duration::from_millis(200);
        let a = BatchSocket::bind("127.0.0.1:0".parse().unwrap(), timeout).unwrap();
        let b = BatchSocket::bind("127.0.0.1:0".parse().unwrap(), timeout).unwrap();
        let to = b.local_addr().unwrap();
        let payloads: Vec<Vec<u8>> = (0..40u8).map(|i| vec![i; 10 + usize::from(i)]).collect();
        let datagrams: Vec<(SocketAddr, &[u8])> =
            payloads.iter().map(|p| (to, p.as_slice())).collect();
        let mut sender = BatchSender::new(64);
        let outcome = sender.send(&a, &datagrams);
        assert_eq!((outcome.sent, outcome.failed, outcome.calls), (40, 0, 1));

        let mut receiver = BatchReceiver::new(16);
        let mut got = Vec::new();
        while got.len() < 40 {
            let n = receiver.recv(&b).unwrap();
            assert!(n > 0, "timed out after {}", got.len());
            assert!(n <= 16);
            for i in 0..n {
                let (from, bytes, len) = receiver.datagram_mut(i).unwrap();
                assert_eq!(from, a.local_addr().unwrap());
                got.push(bytes[..len].to_vec());
            }
        }
        assert_eq!(got, payloads);
        // Nothing more: a timeout is an empty batch, not an error.
        assert_eq!(receiver.recv(&b).unwrap(), 0);
    }
}
