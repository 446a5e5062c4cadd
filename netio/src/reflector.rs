//! A bare UDP reflector: datagrams go straight back out, received and sent in batches
//! with `recvmmsg`/`sendmmsg`, nothing looked at.
//!
//! It does the least a forwarder can do per packet, so its packets per second are the
//! ceiling that forwarding benchmarks measure the media path against, on the same
//! machine in the same run. [`run`] echoes to each sender; [`relay`] sends every datagram
//! to a fixed list of destinations, which is what a media forwarder does (one or many
//! listeners per talker).

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::msg_scratch::{is_icmp_error, MsgScratch, MAX_MESSAGES_PER_CALL};
use crate::socket_buffers::{set_socket_buffers, DEFAULT_SOCKET_BUFFER_BYTES};

/// Datagrams received per system call at most.
pub const BATCH: usize = 64;

/// How long one wait for input lasts before the stop flag is looked at again.
const POLL_INTERVAL_MS: libc::c_int = 20;

/// Bytes per receive buffer: larger datagrams are dropped.
const BUFFER_BYTES: usize = 2048;

/// What a reflector did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ReflectorStats {
    /// Datagrams received.
    pub received: u64,
    /// Datagrams sent.
    pub sent: u64,
    /// Datagrams that could not be sent.
    pub failed: u64,
}

/// Sends each datagram arriving on `socket` back to its sender until `stop` is set
/// (looked at least every 20 ms). The socket is switched to non-blocking mode.
pub fn run(socket: &UdpSocket, stop: &AtomicBool) -> io::Result<ReflectorStats> {
    reflect(socket, &[], stop)
}

/// Sends each datagram arriving on `socket` to every one of `destinations` (from
/// `socket`), until `stop` is set (looked at least every 20 ms). The socket is switched
/// to non-blocking mode. With no destinations it behaves as [`run`].
pub fn relay(
    socket: &UdpSocket,
    destinations: &[SocketAddr],
    stop: &AtomicBool,
) -> io::Result<ReflectorStats> {
    reflect(socket, destinations, stop)
}

fn reflect(
    socket: &UdpSocket,
    destinations: &[SocketAddr],
    stop: &AtomicBool,
) -> io::Result<ReflectorStats> {
    socket.set_nonblocking(true)?;
    // The same buffers a PacketIo socket gets, so both lose (or not) alike under bursts.
    let _ = set_socket_buffers(socket, DEFAULT_SOCKET_BUFFER_BYTES);
    let fd = socket.as_raw_fd();
    let mut buffers: Vec<Box<[u8]>> = (0..BATCH)
        .map(|_| vec![0u8; BUFFER_BYTES].into_boxed_slice())
        .collect();
    // (buffer index, length, sender) of each datagram of the last receive.
    let mut received: Vec<(usize, usize, SocketAddr)> = Vec::with_capacity(BATCH);
    let mut recv_scratch = MsgScratch::new(BATCH);
    let fan_out = destinations.len().max(1);
    let mut send_scratch = MsgScratch::new((BATCH * fan_out).min(MAX_MESSAGES_PER_CALL));
    let mut stats = ReflectorStats::default();
    while !stop.load(Ordering::Relaxed) {
        let n = match recv_scratch.recv(fd, buffers.iter_mut().map(|b| &mut b[..])) {
            Ok(n) => n,
            Err(err) if is_icmp_error(&err) => continue,
            Err(err) => return Err(err),
        };
        if n == 0 {
            wait_readable(fd)?;
            continue;
        }
        stats.received += n as u64;
        received.clear();
        received.extend((0..n).filter_map(|i| {
            let message = recv_scratch.received(i)?;
            let source = message.source.filter(|_| !message.truncated)?;
            Some((i, message.len, source))
        }));
        let mut messages = received.iter().flat_map(|&(i, len, source)| {
            let bytes = buffers.get(i).and_then(|b| b.get(..len)).unwrap_or(&[]);
            let to_source = destinations.is_empty().then_some(source);
            to_source
                .into_iter()
                .chain(destinations.iter().copied())
                .map(move |destination| (bytes, destination))
        });
        let wanted = received.len() * fan_out;
        let mut done = 0;
        while done < wanted {
            let tally = send_scratch.send(fd, messages.by_ref());
            if tally.sent + tally.failed == 0 {
                break;
            }
            done += tally.sent + tally.failed;
            stats.sent += tally.sent as u64;
            stats.failed += tally.failed as u64;
        }
    }
    Ok(stats)
}

/// Waits until `fd` is readable or [`POLL_INTERVAL_MS`] pass.
fn wait_readable(fd: RawFd) -> io::Result<()> {
    let mut pollfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one live pollfd, and the count passed is one.
    let rc = unsafe { libc::poll(&mut pollfd, 1, POLL_INTERVAL_MS) };
    if rc < 0 {
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    Ok(())
}
