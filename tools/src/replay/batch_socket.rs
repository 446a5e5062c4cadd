//! The replay's UDP socket, with one system call per batch: `sendmmsg` for everything due
//! at once (to many legs' ports; runs to one port as one segmentation-offload message) and
//! `recvmmsg` for what the node sent back. Every
//! participant shares the socket: the node tells legs apart by its own port, and so does
//! the replay (a datagram's source port is the leg that sent it).
//!
//! The calls go through `nix`, which keeps this crate free of `unsafe`.

use std::io::{self, IoSlice, IoSliceMut};
use std::net::{SocketAddr, SocketAddrV4, SocketAddrV6, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::socket::{
    recvmmsg, sendmmsg, setsockopt, sockopt, ControlMessage, MsgFlags, MultiHeaders,
    SockaddrStorage,
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

/// Most datagrams one segmentation-offload send carries (the kernel's UDP_MAX_SEGMENTS is
/// 64 on older kernels, 128 on newer).
const GSO_MAX_SEGMENTS: usize = 64;
/// Most bytes one segmentation-offload send carries (an IP datagram's limit, with room).
const GSO_MAX_BYTES: usize = 60_000;

/// One message of a `sendmmsg` call: datagrams `first..first + count` of the batch, all to
/// `to`; more than one only with segmentation offload, each then `segment` bytes except
/// the last, which may be shorter.
#[derive(Debug, Clone, Copy)]
struct Message {
    to: SocketAddr,
    first: usize,
    count: usize,
    segment: usize,
}

impl Message {
    /// The `UDP_SEGMENT` size of a message of several datagrams; `None` for one.
    fn gso(&self) -> Option<u16> {
        (self.count > 1).then(|| u16::try_from(self.segment).unwrap_or(u16::MAX))
    }
}

/// Reusable state for sending batches.
///
/// Runs of datagrams to the same destination (a capture replayed to one address at top
/// speed, or a burst of one participant) go out as one UDP segmentation offload message
/// each (`UDP_SEGMENT`, Linux 4.18+): the kernel walks its UDP and IP send path once per
/// run instead of once per datagram. Where the kernel refuses that, the sender says so
/// once and sends datagram by datagram from then on.
#[derive(Debug)]
pub struct BatchSender {
    headers: MultiHeaders<SockaddrStorage>,
    gso_headers: MultiHeaders<SockaddrStorage>,
    addresses: Vec<Option<SockaddrStorage>>,
    messages: Vec<Message>,
    capacity: usize,
    gso: bool,
}

impl BatchSender {
    /// Whether runs to one destination still go out as one offload message each (false
    /// once the kernel refused it).
    pub fn offloads(&self) -> bool {
        self.gso
    }

    /// A sender for batches of up to `capacity` datagrams per call.
    pub fn new(capacity: usize) -> BatchSender {
        let capacity = capacity.clamp(1, 1024);
        BatchSender {
            headers: MultiHeaders::preallocate(capacity, None),
            gso_headers: MultiHeaders::preallocate(capacity, Some(nix::cmsg_space!(u16))),
            addresses: Vec::with_capacity(capacity),
            messages: Vec::with_capacity(capacity),
            capacity,
            gso: true,
        }
    }

    /// Sends every datagram (destination, bytes), in calls of up to the capacity. A
    /// datagram the kernel refuses is skipped and counted.
    pub fn send(&mut self, socket: &BatchSocket, datagrams: &[(SocketAddr, &[u8])]) -> SendOutcome {
        let mut outcome = SendOutcome::default();
        self.plan(datagrams);
        let mut next = 0;
        while next < self.messages.len() {
            // One call: messages of one kind (plain, or offload of one segment size), in
            // order, so that no destination's datagrams overtake each other.
            let kind = self.messages[next].gso();
            let end = self.messages[next..]
                .iter()
                .take(self.capacity)
                .position(|m| m.gso() != kind)
                .map_or_else(
                    || (next + self.capacity).min(self.messages.len()),
                    |p| next + p,
                );
            let call = &self.messages[next..end];
            self.addresses.clear();
            self.addresses
                .extend(call.iter().map(|m| Some(SockaddrStorage::from(m.to))));
            // A call's messages cover consecutive datagrams: one buffer of their slices,
            // and per message its part of it.
            let base = call.first().map_or(0, |m| m.first);
            let end = call.last().map_or(base, |m| m.first + m.count);
            let flat: Vec<IoSlice<'_>> = datagrams[base..end]
                .iter()
                .map(|(_, bytes)| IoSlice::new(bytes))
                .collect();
            let slices: Vec<&[IoSlice<'_>]> = call
                .iter()
                .map(|m| &flat[m.first - base..m.first - base + m.count])
                .collect();
            outcome.calls += 1;
            let result = match kind {
                None => sendmmsg(
                    socket.socket.as_raw_fd(),
                    &mut self.headers,
                    &slices,
                    &self.addresses,
                    [],
                    MsgFlags::empty(),
                )
                .map(|results| results.count()),
                Some(segment) => sendmmsg(
                    socket.socket.as_raw_fd(),
                    &mut self.gso_headers,
                    &slices,
                    &self.addresses,
                    [ControlMessage::UdpGsoSegments(&segment)],
                    MsgFlags::empty(),
                )
                .map(|results| results.count()),
            };
            match result {
                Ok(n) if n > 0 => {
                    outcome.sent += call[..n.min(call.len())]
                        .iter()
                        .map(|m| m.count)
                        .sum::<usize>();
                    next += n.min(call.len());
                }
                Err(Errno::EINVAL | Errno::ENOPROTOOPT | Errno::EOPNOTSUPP | Errno::EIO)
                    if kind.is_some() =>
                {
                    self.gso = false;
                    let rest_from = self.messages[next].first;
                    let sent = self.send(socket, &datagrams[rest_from..]);
                    outcome.sent += sent.sent;
                    outcome.failed += sent.failed;
                    outcome.calls += sent.calls;
                    return outcome;
                }
                _ => {
                    // The call's first message was refused; skip it and go on.
                    outcome.failed += self.messages[next].count;
                    next += 1;
                }
            }
        }
        outcome
    }

    /// Cuts `datagrams` into messages: runs to one destination of one size (the last may
    /// be shorter) when offload is on, single datagrams otherwise.
    fn plan(&mut self, datagrams: &[(SocketAddr, &[u8])]) {
        self.messages.clear();
        for (i, (to, bytes)) in datagrams.iter().enumerate() {
            if let Some(last) = self.messages.last_mut() {
                let joins = self.gso
                    && last.to == *to
                    && last.count < GSO_MAX_SEGMENTS
                    && (last.count + 1) * last.segment <= GSO_MAX_BYTES
                    && bytes.len() <= last.segment
                    && !bytes.is_empty()
                    // Only the last segment may be shorter: one shorter ends the run.
                    && datagrams[i - 1].1.len() == last.segment;
                if joins {
                    last.count += 1;
                    continue;
                }
            }
            self.messages.push(Message {
                to: *to,
                first: i,
                count: 1,
                segment: bytes.len(),
            });
        }
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
        // Every datagram a different size: no run to offload, one plain call.
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

    #[test]
    fn runs_to_one_destination_arrive_as_the_datagrams_they_were() {
        let timeout = Duration::from_millis(200);
        let a = BatchSocket::bind("127.0.0.1:0".parse().unwrap(), timeout).unwrap();
        let b = BatchSocket::bind("127.0.0.1:0".parse().unwrap(), timeout).unwrap();
        let c = BatchSocket::bind("127.0.0.1:0".parse().unwrap(), timeout).unwrap();
        let (to_b, to_c) = (b.local_addr().unwrap(), c.local_addr().unwrap());
        // 150 equal datagrams to b (three offload messages of at most 64), a short one
        // that ends the last run, then c, then b again.
        let mut payloads: Vec<(SocketAddr, Vec<u8>)> =
            (0..150u8).map(|i| (to_b, vec![i; 172])).collect();
        payloads.push((to_b, vec![0xee; 20]));
        payloads.push((to_c, vec![0xcc; 172]));
        payloads.push((to_b, vec![0xbb; 172]));
        let datagrams: Vec<(SocketAddr, &[u8])> =
            payloads.iter().map(|(to, p)| (*to, p.as_slice())).collect();
        let mut sender = BatchSender::new(256);
        let outcome = sender.send(&a, &datagrams);
        assert_eq!((outcome.sent, outcome.failed), (153, 0));
        if sender.offloads() {
            assert!(outcome.calls <= 4, "{outcome:?}");
        }

        let mut receiver = BatchReceiver::new(64);
        let mut at_b = Vec::new();
        while at_b.len() < 152 {
            let n = receiver.recv(&b).unwrap();
            assert!(n > 0, "timed out after {}", at_b.len());
            for i in 0..n {
                let (_, bytes, len) = receiver.datagram_mut(i).unwrap();
                at_b.push(bytes[..len].to_vec());
            }
        }
        let sent_to_b: Vec<Vec<u8>> = payloads
            .iter()
            .filter(|(to, _)| *to == to_b)
            .map(|(_, p)| p.clone())
            .collect();
        assert_eq!(at_b, sent_to_b, "datagram boundaries and order kept");
        assert_eq!(receiver.recv(&c).unwrap(), 1);
    }
}
