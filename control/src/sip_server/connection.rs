//! One TCP or TLS connection of the SIP server: non-blocking reads cut into messages by
//! the stream deframer (RFC 3261 sec. 18.3 Content-Length framing, RFC 5626 keep-alives),
//! and writes that queue what the socket cannot take yet.
//!
//! A framing error is fatal for a stream (the next message cannot be found reliably): the
//! connection answers the broken request if its header section was complete, flushes,
//! and closes.

use std::io::{self, Read, Write};

use mio::net::TcpStream;
use rustls::ServerConnection;

use crate::sip::admission::error_response;
use crate::sip::framing::{Frame, FramingLimits, StreamDeframer};
use crate::sip::transaction::Peer;

/// Most bytes a connection may have waiting to be written before it is dropped as stuck.
const MAX_PENDING_OUTPUT: usize = 4 * 1024 * 1024;

/// Why a connection ends.
#[derive(Debug)]
pub enum ConnectionEnd {
    /// The peer closed it.
    Closed,
    /// A socket error.
    Io(io::Error),
    /// The TLS session failed (bad handshake, bad record).
    Tls(rustls::Error),
    /// The peer does not read what the node sends.
    Stuck,
}

impl std::fmt::Display for ConnectionEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Closed => f.write_str("closed by the peer"),
            Self::Io(e) => write!(f, "socket error: {e}"),
            Self::Tls(e) => write!(f, "TLS error: {e}"),
            Self::Stuck => f.write_str("the peer does not read its responses"),
        }
    }
}

/// Whether the socket still holds bytes (peeking, without consuming).
fn has_more(stream: &TcpStream) -> bool {
    let mut probe = [0u8; 1];
    matches!(stream.peek(&mut probe), Ok(n) if n > 0)
}

/// A stream connection.
#[derive(Debug)]
pub struct Connection {
    stream: TcpStream,
    /// The peer, as the transaction layer names it.
    pub peer: Peer,
    /// `host:port` of the node's end, for Contact.
    pub host: String,
    tls: Option<Box<ServerConnection>>,
    deframer: StreamDeframer,
    /// Plain TCP bytes not yet written.
    outgoing: Vec<u8>,
    /// Close once everything is written.
    pub closing: bool,
    /// Whether the poller watches the socket for writability.
    pub writable_interest: bool,
}

impl Connection {
    /// A connection over `stream`, with TLS when `tls` is given.
    pub fn new(
        stream: TcpStream,
        peer: Peer,
        host: String,
        tls: Option<ServerConnection>,
        limits: FramingLimits,
    ) -> Connection {
        Connection {
            stream,
            peer,
            host,
            tls: tls.map(Box::new),
            deframer: StreamDeframer::new(limits),
            outgoing: Vec::new(),
            closing: false,
            writable_interest: false,
        }
    }

    /// The socket, for registering with the poller.
    pub fn stream_mut(&mut self) -> &mut TcpStream {
        &mut self.stream
    }

    /// Reads everything available and appends the complete messages to `messages`.
    /// A framing error queues the answer to the broken request and marks the connection
    /// closing.
    pub fn read(
        &mut self,
        scratch: &mut [u8],
        messages: &mut Vec<Vec<u8>>,
    ) -> Result<(), ConnectionEnd> {
        let mut closed = false;
        match &mut self.tls {
            None => loop {
                match self.stream.read(scratch) {
                    Ok(0) => {
                        closed = true;
                        break;
                    }
                    Ok(n) => self.deframer.push(scratch.get(..n).unwrap_or(&[])),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(ConnectionEnd::Io(e)),
                }
            },
            Some(tls) => loop {
                match tls.read_tls(&mut self.stream) {
                    Ok(0) => closed = true,
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(ConnectionEnd::Io(e)),
                }
                if let Err(error) = tls.process_new_packets() {
                    // Send the alert rustls prepared, then give up.
                    let _ = tls.write_tls(&mut self.stream);
                    return Err(ConnectionEnd::Tls(error));
                }
                loop {
                    match tls.reader().read(scratch) {
                        Ok(0) => {
                            closed = true;
                            break;
                        }
                        Ok(n) => self.deframer.push(scratch.get(..n).unwrap_or(&[])),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => return Err(ConnectionEnd::Io(e)),
                    }
                }
                // read_tls reads one buffer's worth at most; go on until the socket is dry.
                if closed || !has_more(&self.stream) {
                    break;
                }
            },
        }
        self.take_frames(messages)?;
        if closed {
            return Err(ConnectionEnd::Closed);
        }
        self.flush()
    }

    fn take_frames(&mut self, messages: &mut Vec<Vec<u8>>) -> Result<(), ConnectionEnd> {
        let mut pong = false;
        loop {
            match self.deframer.next_frame() {
                Ok(Some(Frame::Message(bytes))) => messages.push(bytes.to_vec()),
                Ok(Some(Frame::KeepAlivePing)) => pong = true,
                Ok(Some(Frame::KeepAlivePong)) => {}
                Ok(None) => break,
                Err(error) => {
                    tracing::debug!(peer = %self.peer.addr, %error, "stream framing failed; closing");
                    let answer = self.deframer.failed_head().and_then(|head| {
                        error_response(head, error.status(), "Bad Request", &error.to_string())
                    });
                    if let Some(answer) = answer {
                        self.queue(&answer.bytes)?;
                    }
                    self.closing = true;
                    break;
                }
            }
        }
        if pong {
            self.queue(b"\r\n")?;
        }
        Ok(())
    }

    fn queue(&mut self, bytes: &[u8]) -> Result<(), ConnectionEnd> {
        match &mut self.tls {
            None => {
                if self.outgoing.len() + bytes.len() > MAX_PENDING_OUTPUT {
                    return Err(ConnectionEnd::Stuck);
                }
                self.outgoing.extend_from_slice(bytes);
            }
            Some(tls) => {
                tls.writer().write_all(bytes).map_err(ConnectionEnd::Io)?;
            }
        }
        Ok(())
    }

    /// Sends one message (queued if the socket is full).
    pub fn send(&mut self, bytes: &[u8]) -> Result<(), ConnectionEnd> {
        self.queue(bytes)?;
        self.flush()
    }

    /// Writes what is queued, as far as the socket takes it.
    pub fn flush(&mut self) -> Result<(), ConnectionEnd> {
        match &mut self.tls {
            None => {
                while !self.outgoing.is_empty() {
                    match self.stream.write(&self.outgoing) {
                        Ok(0) => return Err(ConnectionEnd::Closed),
                        Ok(n) => {
                            self.outgoing.drain(..n);
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(ConnectionEnd::Io(e)),
                    }
                }
            }
            Some(tls) => {
                while tls.wants_write() {
                    match tls.write_tls(&mut self.stream) {
                        Ok(0) => return Err(ConnectionEnd::Closed),
                        Ok(_) => {}
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(ConnectionEnd::Io(e)),
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether bytes wait for the socket to become writable.
    pub fn wants_write(&self) -> bool {
        match &self.tls {
            None => !self.outgoing.is_empty(),
            Some(tls) => tls.wants_write(),
        }
    }

    /// Whether a closing connection has written everything.
    pub fn finished(&self) -> bool {
        self.closing && !self.wants_write()
    }
}
