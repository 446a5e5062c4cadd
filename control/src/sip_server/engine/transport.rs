//! The engine's sockets: reading UDP datagrams, accepting TCP and TLS connections and
//! reading them, and writing what the transaction layer sends, on the transport and
//! connection its peer is on.

use std::net::SocketAddr;

use mio::{Interest, Token};
use rustls::ServerConnection;

use super::{host_port, transport_name, Engine, UdpEndpoint};
use crate::sip::framing::FramingLimits;
use crate::sip::transaction::{Peer, Transmit, TransportKind};
use crate::sip_server::connection::Connection;

impl Engine {
    pub(super) fn read_udp(&mut self, index: usize, scratch: &mut [u8]) {
        loop {
            let Some(endpoint) = self.parts.udp.get(index) else {
                return;
            };
            let (len, source) = match endpoint.socket.recv_from(scratch) {
                Ok(received) => received,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                // ICMP errors from earlier sends surface here; they are not datagrams.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => continue,
                Err(error) => {
                    tracing::warn!(%error, "UDP receive failed");
                    return;
                }
            };
            let host = endpoint.host.clone();
            let peer = Peer {
                addr: source,
                transport: TransportKind::Udp,
            };
            let datagram = scratch.get(..len).unwrap_or(&[]);
            self.on_bytes(datagram, peer, &host);
        }
    }

    pub(super) fn accept(&mut self, index: usize) {
        loop {
            let Some(listener) = self.parts.listeners.get(index) else {
                return;
            };
            let (mut stream, addr) = match listener.listener.accept() {
                Ok(accepted) => accepted,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    tracing::warn!(%error, "accepting a SIP connection failed");
                    return;
                }
            };
            let tls = listener.tls;
            if self.connections.len() >= self.parts.max_connections {
                self.refused_connections += 1;
                if self.refused_connections.is_power_of_two() {
                    tracing::warn!(
                        refused = self.refused_connections,
                        limit = self.parts.max_connections,
                        "too many SIP connections (sip.max_connections); refusing"
                    );
                }
                continue;
            }
            let session = match (&self.parts.tls, tls) {
                (Some(config), true) => match ServerConnection::new(config.clone()) {
                    Ok(session) => Some(session),
                    Err(error) => {
                        tracing::warn!(%error, "cannot start a TLS session");
                        continue;
                    }
                },
                _ => None,
            };
            let host = stream
                .local_addr()
                .map(host_port)
                .unwrap_or_else(|_| host_port(addr));
            let token = Token(self.next_token);
            self.next_token += 1;
            if let Err(error) =
                self.parts
                    .poll
                    .registry()
                    .register(&mut stream, token, Interest::READABLE)
            {
                tracing::warn!(%error, "cannot watch a SIP connection");
                continue;
            }
            let transport = if tls {
                TransportKind::Tls
            } else {
                TransportKind::Tcp
            };
            let peer = Peer { addr, transport };
            tracing::debug!(%addr, transport = transport_name(transport), "SIP connection");
            let connection = Connection::new(stream, peer, host, session, FramingLimits::default());
            if let Some(old) = self.by_peer.insert(peer, token) {
                self.close(old);
            }
            self.connections.insert(token, connection);
        }
    }

    pub(super) fn on_connection(
        &mut self,
        token: Token,
        readable: bool,
        writable: bool,
        scratch: &mut [u8],
    ) {
        let mut messages = Vec::new();
        let (peer, host, result) = {
            let Some(connection) = self.connections.get_mut(&token) else {
                return;
            };
            let mut result = Ok(());
            if readable {
                result = connection.read(scratch, &mut messages);
            }
            if writable && result.is_ok() {
                result = connection.flush();
            }
            (connection.peer, connection.host.clone(), result)
        };
        for message in &messages {
            self.on_bytes(message, peer, &host);
        }
        if let Err(end) = result {
            tracing::debug!(peer = %peer.addr, %end, "SIP connection ended");
            self.close(token);
            return;
        }
        self.update_interest(token);
    }

    fn update_interest(&mut self, token: Token) {
        let Some(connection) = self.connections.get_mut(&token) else {
            return;
        };
        if connection.finished() {
            self.close(token);
            return;
        }
        let wants = connection.wants_write();
        if wants == connection.writable_interest {
            return;
        }
        let interest = if wants {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        connection.writable_interest = wants;
        if let Err(error) =
            self.parts
                .poll
                .registry()
                .reregister(connection.stream_mut(), token, interest)
        {
            tracing::warn!(%error, "cannot watch a SIP connection");
            self.close(token);
        }
    }

    fn close(&mut self, token: Token) {
        if let Some(mut connection) = self.connections.remove(&token) {
            let _ = self
                .parts
                .poll
                .registry()
                .deregister(connection.stream_mut());
            if self.by_peer.get(&connection.peer) == Some(&token) {
                self.by_peer.remove(&connection.peer);
            }
        }
    }

    pub(super) fn transmit(&mut self, transmit: Transmit) {
        let Transmit { peer, bytes } = transmit;
        match peer.transport {
            TransportKind::Udp => {
                let Some(endpoint) = self.udp_for(peer.addr) else {
                    return;
                };
                if let Err(error) = endpoint.socket.send_to(&bytes, peer.addr) {
                    tracing::debug!(%error, to = %peer.addr, "UDP send failed");
                }
            }
            TransportKind::Tcp | TransportKind::Tls => {
                let Some(&token) = self.by_peer.get(&peer) else {
                    tracing::debug!(to = %peer.addr, "no connection to send on");
                    return;
                };
                let failed = match self.connections.get_mut(&token) {
                    Some(connection) => connection.send(&bytes).err(),
                    None => return,
                };
                match failed {
                    Some(end) => {
                        tracing::debug!(peer = %peer.addr, %end, "SIP connection ended");
                        self.close(token);
                    }
                    None => self.update_interest(token),
                }
            }
        }
    }

    /// The UDP socket to answer `to` from: the first of its address family.
    pub(super) fn udp_for(&self, to: SocketAddr) -> Option<&UdpEndpoint> {
        self.parts
            .udp
            .iter()
            .find(|u| {
                u.socket
                    .local_addr()
                    .is_ok_and(|local| local.is_ipv4() == to.is_ipv4())
            })
            .or_else(|| self.parts.udp.first())
    }
}
