//! The SIP thread: one mio poller over the UDP sockets, the TCP and TLS listeners and
//! their connections, and a waker for media job outcomes. Each turn reads what arrived,
//! runs it through admission (RFC 4475 answers), the transaction layer and the transaction
//! user (registrar, focus), fires due timers, and writes what came out.
//!
//! Everything here is I/O and plumbing; the decisions live in the sans-IO core
//! ([`crate::sip`]). [`transport`] holds the socket work, [`requests`] the hand-off of
//! each request to the part of the core it belongs to.

mod call_orders;
mod notify;
mod outgoing;
mod requests;
mod transport;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mio::net::{TcpListener, UdpSocket};
use mio::{Events, Poll, Token};
use rustls::ServerConfig;

use super::connection::Connection;
use super::entropy::OsEntropy;
use super::store::{lock, SharedStore};
use crate::admin::SharedRegistry;
use crate::sip::admission::{admit, Admission, UasProfile};
use crate::sip::focus::{Arrival, Focus, FocusOutput, JobId, MediaJob, MediaOutcome};
use crate::sip::gate::AuthGate;
use crate::sip::registrar::ExpiryLimits;
use crate::sip::router::server_profile;
use crate::sip::transaction::{
    ClientTxId, Peer, TransactionEvent, TransactionLayer, TransportKind,
};

pub use outgoing::Origin;

/// The waker's token.
pub const WAKER: Token = Token(0);
/// Largest UDP datagram read.
const MAX_DATAGRAM: usize = 65_535;
/// How often expired registrations are deleted from the database.
const PURGE_PERIOD: Duration = Duration::from_secs(60);

/// A UDP socket and how the node is reached on it.
#[derive(Debug)]
pub struct UdpEndpoint {
    /// The socket.
    pub socket: UdpSocket,
    /// `host:port` for Contact.
    pub host: String,
}

/// A TCP listener, plain or TLS.
#[derive(Debug)]
pub struct StreamListener {
    /// The socket.
    pub listener: TcpListener,
    /// Whether connections speak TLS.
    pub tls: bool,
}

/// Everything the thread starts from.
#[derive(Debug)]
pub struct EngineParts {
    /// The poller, with the waker and every socket registered.
    pub poll: Poll,
    /// UDP sockets, registered as `Token(1 + i)`.
    pub udp: Vec<UdpEndpoint>,
    /// Listeners, registered after the UDP sockets.
    pub listeners: Vec<StreamListener>,
    /// The TLS configuration, when there are TLS listeners.
    pub tls: Option<Arc<ServerConfig>>,
    /// Most connections at once.
    pub max_connections: usize,
    /// The transaction layer.
    pub transactions: TransactionLayer,
    /// Digest authentication.
    pub gate: AuthGate,
    /// The realm, for HA1 look-ups.
    pub realm: String,
    /// Registration lengths.
    pub limits: ExpiryLimits,
    /// Users and bindings.
    pub store: SharedStore,
    /// The conference focus.
    pub focus: Focus,
    /// Conferences the admin API created (the focus adopts them when joined).
    pub registry: SharedRegistry,
    /// Media jobs out.
    pub jobs: crossbeam_channel::Sender<MediaJob>,
    /// Their outcomes in.
    pub outcomes: crossbeam_channel::Receiver<(JobId, MediaOutcome)>,
    /// Calls to phone numbers the admin API orders, and its removals.
    pub admin_orders: crossbeam_channel::Receiver<crate::admin::calls::SipOrder>,
    /// Set to stop.
    pub stop: Arc<AtomicBool>,
    /// SUBSCRIBE/NOTIFY: conference state, presence, watcher information.
    pub subscriptions: crate::sip_server::subscriptions::Subscriptions,
}

/// The running thread's state.
#[derive(Debug)]
pub struct Engine {
    parts: EngineParts,
    connections: HashMap<Token, Connection>,
    by_peer: HashMap<Peer, Token>,
    /// Who waits for each client transaction's results.
    outgoing: HashMap<ClientTxId, outgoing::Sender>,
    next_token: usize,
    entropy: OsEntropy,
    profile: UasProfile,
    next_purge: Instant,
    refused_connections: u64,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `host:port` with IPv6 in brackets.
pub fn host_port(addr: SocketAddr) -> String {
    addr.to_string()
}

fn transport_name(kind: TransportKind) -> &'static str {
    match kind {
        TransportKind::Udp => "udp",
        TransportKind::Tcp => "tcp",
        TransportKind::Tls => "tls",
    }
}

impl Engine {
    /// The thread's state from its parts.
    pub fn new(parts: EngineParts) -> Engine {
        let next_token = 1 + parts.udp.len() + parts.listeners.len();
        Engine {
            parts,
            connections: HashMap::new(),
            by_peer: HashMap::new(),
            outgoing: HashMap::new(),
            next_token,
            entropy: OsEntropy::default(),
            profile: server_profile(),
            next_purge: Instant::now(),
            refused_connections: 0,
        }
    }

    /// Runs until the stop flag is set.
    pub fn run(mut self) {
        let mut events = Events::with_capacity(512);
        let mut scratch = vec![0u8; MAX_DATAGRAM];
        while !self.parts.stop.load(Ordering::Acquire) {
            let now = Instant::now();
            let wake = [
                self.parts.transactions.poll_timeout(),
                self.parts.focus.poll_timeout(),
                self.parts.subscriptions.poll_timeout(),
                Some(self.next_purge),
            ]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(now + PURGE_PERIOD);
            let timeout = wake.saturating_duration_since(now);
            if let Err(error) = self.parts.poll.poll(&mut events, Some(timeout)) {
                if error.kind() != std::io::ErrorKind::Interrupted {
                    tracing::error!(%error, "SIP poller failed");
                    std::thread::sleep(Duration::from_millis(10));
                }
                continue;
            }
            for event in events.iter() {
                let token = event.token();
                let udp_count = self.parts.udp.len();
                let listener_count = self.parts.listeners.len();
                match token.0 {
                    0 => {}
                    n if n <= udp_count => self.read_udp(n - 1, &mut scratch),
                    n if n <= udp_count + listener_count => self.accept(n - 1 - udp_count),
                    _ => self.on_connection(
                        token,
                        event.is_readable(),
                        event.is_writable(),
                        &mut scratch,
                    ),
                }
            }
            self.drain_outcomes();
            self.take_admin_orders(Instant::now());
            let now = Instant::now();
            self.parts.transactions.handle_timeout(now);
            self.dispatch(None, now);
            self.parts.focus.handle_timeout(now);
            self.parts.focus.expire_invitations(now, &mut self.entropy);
            if now >= self.next_purge {
                self.purge_registrations();
                self.next_purge = now + PURGE_PERIOD;
            }
            self.pump(now);
        }
        tracing::info!("SIP server stopped");
    }

    /// One message (a datagram, or one framed out of a stream).
    fn on_bytes(&mut self, bytes: &[u8], peer: Peer, host: &str) {
        let now = Instant::now();
        match admit(bytes, &self.profile) {
            Admission::Accept(message) => {
                self.parts.transactions.handle_message(&message, peer, now);
                let arrival = Arrival {
                    peer,
                    host: host.to_owned(),
                };
                self.dispatch(Some(&arrival), now);
            }
            Admission::Reject(rejection) => {
                tracing::debug!(peer = %peer.addr, status = rejection.status, "malformed or refused request");
                self.parts
                    .transactions
                    .send_stateless(rejection.bytes, peer);
            }
            Admission::Drop(error) => {
                tracing::debug!(peer = %peer.addr, %error, "dropped an unanswerable message");
            }
        }
        self.pump(now);
    }

    /// Hands the transaction layer's events to the transaction user.
    fn dispatch(&mut self, arrival: Option<&Arrival>, now: Instant) {
        while let Some(event) = self.parts.transactions.poll_event() {
            match event {
                TransactionEvent::Request {
                    transaction,
                    request,
                    peer,
                } => {
                    let arrival = arrival.cloned().unwrap_or_else(|| Arrival {
                        peer,
                        host: self
                            .parts
                            .udp
                            .first()
                            .map(|u| u.host.clone())
                            .unwrap_or_default(),
                    });
                    self.on_request(transaction, request, arrival, now);
                }
                TransactionEvent::AckTimeout { transaction } => {
                    self.parts.focus.on_ack_timeout(transaction);
                }
                other => {
                    let _ = self.on_client_event(other, now);
                }
            }
        }
    }

    fn drain_outcomes(&mut self) {
        let now = Instant::now();
        while let Ok((job, outcome)) = self.parts.outcomes.try_recv() {
            self.parts
                .focus
                .on_media_done(job, outcome, now, &mut self.entropy);
        }
    }

    /// Moves the focus's output and the transaction layer's transmits out.
    fn pump(&mut self, now: Instant) {
        while let Some(output) = self.parts.focus.poll_output() {
            match output {
                FocusOutput::Respond {
                    transaction,
                    response,
                } => self.respond(transaction, response, now),
                FocusOutput::Media(job) => {
                    if self.parts.jobs.send(job).is_err() {
                        tracing::error!("the media workers are gone");
                    }
                }
                FocusOutput::Send(request) => self.send_outgoing(Origin::Focus, request, now),
                FocusOutput::Cancel(id) => self.cancel_outgoing(Origin::Focus, id, now),
                FocusOutput::StoreRoom(room) => {
                    if let Err(error) = lock(&self.parts.store).put_room(&room) {
                        tracing::error!(%error, room = room.number, "cannot store a room");
                    }
                }
                FocusOutput::ForgetRoom(number) => {
                    if let Err(error) = lock(&self.parts.store).delete_room(number) {
                        tracing::error!(%error, room = number, "cannot delete a room");
                    }
                }
            }
        }
        self.update_subscriptions(now);
        while let Some(transmit) = self.parts.transactions.poll_transmit() {
            self.transmit(transmit);
        }
    }
}
