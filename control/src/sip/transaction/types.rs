//! The vocabulary of the transaction layer: peers, transmits, identifiers, events, errors,
//! and the timer configuration.

use core::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use crate::sip::{Message, ParseError};

/// The transport a message travels on. Reliable transports skip retransmissions and the
/// wait states that only absorb retransmissions (RFC 3261 sec. 17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// UDP: unreliable.
    Udp,
    /// TCP: reliable.
    Tcp,
    /// TLS over TCP: reliable.
    Tls,
}

impl TransportKind {
    /// True for TCP and TLS.
    pub fn is_reliable(self) -> bool {
        !matches!(self, TransportKind::Udp)
    }
}

/// The other end of a message: address and transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Peer {
    /// The remote address.
    pub addr: SocketAddr,
    /// The transport.
    pub transport: TransportKind,
}

/// Bytes to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send them. Responses go back to the source of their request (symmetric
    /// response routing, as RFC 3581 does for UDP and RFC 3261 sec. 18.2.2 for streams).
    pub peer: Peer,
    /// One whole message.
    pub bytes: Vec<u8>,
}

/// Names a client transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientTxId(pub(crate) u64);

/// Names a server transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerTxId(pub(crate) u64);

/// Either kind of transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransactionId {
    /// A client transaction.
    Client(ClientTxId),
    /// A server transaction.
    Server(ServerTxId),
}

/// What the transaction layer tells its user (the transaction user, TU).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransactionEvent {
    /// A new request (not a retransmission, not an ACK): answer it with
    /// [`super::TransactionLayer::respond`].
    Request {
        /// The server transaction created for it.
        transaction: ServerTxId,
        /// The request.
        request: Message<Vec<u8>>,
        /// Where it came from.
        peer: Peer,
    },
    /// An ACK that is not part of a non-2xx INVITE transaction: the ACK to a 2xx (it stops
    /// the 2xx retransmissions of `transaction`), or a stray one.
    Ack {
        /// The INVITE server transaction whose 2xx this acknowledges, if found.
        transaction: Option<ServerTxId>,
        /// The ACK.
        request: Message<Vec<u8>>,
        /// Where it came from.
        peer: Peer,
    },
    /// A response to a client transaction (retransmitted 2xx responses to INVITE included,
    /// so the TU can send its ACK again).
    Response {
        /// The client transaction.
        transaction: ClientTxId,
        /// The response.
        response: Message<Vec<u8>>,
    },
    /// No final response arrived in time (timer B or F): treat as 408.
    Timeout {
        /// The client transaction.
        transaction: ClientTxId,
    },
    /// A final response was never acknowledged: timer H (non-2xx) or L (2xx, RFC 6026).
    /// For a 2xx the TU should end the dialog with BYE (RFC 3261 sec. 13.3.1.4).
    AckTimeout {
        /// The INVITE server transaction.
        transaction: ServerTxId,
    },
    /// The transaction is gone; its identifier will not appear again.
    Terminated(TransactionId),
}

/// Why the transaction layer refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransactionError {
    /// The bytes handed in are not a well-formed message.
    Malformed(ParseError),
    /// A request was expected.
    NotARequest,
    /// A response was expected.
    NotAResponse,
    /// ACK is not sent through a client transaction (send it with `send_stateless`).
    AckIsNotATransaction,
    /// The request's top Via lacks an RFC 3261 branch (`z9hG4bK...`).
    NoBranch,
    /// A client transaction with this branch and method already exists.
    DuplicateTransaction,
    /// No such transaction (it may have terminated).
    UnknownTransaction,
    /// The transaction already sent its final response.
    AlreadyFinal,
}

impl fmt::Display for TransactionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(e) => write!(f, "malformed message: {e}"),
            Self::NotARequest => f.write_str("a request was expected"),
            Self::NotAResponse => f.write_str("a response was expected"),
            Self::AckIsNotATransaction => f.write_str("ACK does not start a transaction"),
            Self::NoBranch => f.write_str("top Via has no RFC 3261 branch"),
            Self::DuplicateTransaction => f.write_str("transaction already exists"),
            Self::UnknownTransaction => f.write_str("no such transaction"),
            Self::AlreadyFinal => f.write_str("final response already sent"),
        }
    }
}

impl std::error::Error for TransactionError {}

/// The RFC 3261 timer base values (sec. 17.1.1.1, table 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// RTT estimate; retransmission intervals start here. Default 500 ms.
    pub t1: Duration,
    /// Longest retransmission interval for non-INVITE requests and INVITE responses.
    /// Default 4 s.
    pub t2: Duration,
    /// How long the network may hold a message. Default 5 s.
    pub t4: Duration,
    /// How long a client INVITE transaction absorbs response retransmissions over an
    /// unreliable transport (timer D, at least 32 s).
    pub timer_d: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            timer_d: Duration::from_secs(32),
        }
    }
}

impl TimerConfig {
    /// 64*T1: timers B, F, H, J, L and M.
    pub fn transaction_timeout(&self) -> Duration {
        self.t1 * 64
    }
}
