//! The UDP sockets of one core, one per local port.
//!
//! Datagrams name their socket by local port alone (that is how the media core knows a
//! leg), so two sockets on one port, say IPv4 and IPv6, are refused.

use std::collections::HashMap;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::{AsRawFd, RawFd};

use crate::socket_buffers::{set_socket_buffers, DEFAULT_SOCKET_BUFFER_BYTES};

/// Open sockets by local port.
#[derive(Debug, Default)]
pub(crate) struct SocketTable {
    sockets: HashMap<u16, UdpSocket>,
}

impl SocketTable {
    /// Binds a non-blocking socket to `addr` and returns it with its local address; it is
    /// not in the table until [`insert`](Self::insert).
    pub(crate) fn open(&self, addr: SocketAddr) -> io::Result<(UdpSocket, SocketAddr)> {
        if addr.port() != 0 && self.sockets.contains_key(&addr.port()) {
            return Err(port_taken(addr.port()));
        }
        let socket = UdpSocket::bind(addr)?;
        socket.set_nonblocking(true)?;
        // Smaller buffers only mean more drops under bursts.
        let _ = set_socket_buffers(&socket, DEFAULT_SOCKET_BUFFER_BYTES);
        let local = socket.local_addr()?;
        if self.sockets.contains_key(&local.port()) {
            return Err(port_taken(local.port()));
        }
        Ok((socket, local))
    }

    /// Adds a socket from [`open`](Self::open) under its port.
    pub(crate) fn insert(&mut self, port: u16, socket: UdpSocket) {
        self.sockets.insert(port, socket);
    }

    /// Takes the socket of `port` out of the table.
    pub(crate) fn remove(&mut self, port: u16) -> Option<UdpSocket> {
        self.sockets.remove(&port)
    }

    /// The descriptor of the socket on `port`.
    pub(crate) fn fd(&self, port: u16) -> Option<RawFd> {
        self.sockets.get(&port).map(AsRawFd::as_raw_fd)
    }
}

fn port_taken(port: u16) -> io::Error {
    io::Error::new(
        io::ErrorKind::AddrInUse,
        format!("local port {port} already has a socket on this core"),
    )
}
