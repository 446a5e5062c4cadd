//! The SIP server's I/O shell: UDP, TCP and TLS transports on their own thread (never on
//! a media core), the sans-IO SIP core ([`crate::sip`]) driven by them, the workers that
//! carry conference and leg changes to the cores, and the SQLite store of users and
//! registrations.
//!
//! [`SipServer::start`] binds every configured address before it returns, so a port in use
//! or a bad certificate stops the node at start-up with the key at fault.

mod conference_store;
mod connection;
mod engine;
mod entropy;
mod media_workers;
pub mod presence_store;
pub mod store;
pub mod subscriptions;
mod tls;
mod users;

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use medianode_dataplane::conference::SelectionPolicy;
use medianode_netio::{set_socket_buffers, DEFAULT_SOCKET_BUFFER_BYTES};
use mio::net::{TcpListener, UdpSocket};
use mio::{Interest, Poll, Token, Waker};

use crate::admin::{AdminApi, SharedRegistry};
use crate::config::SipConfig;
use crate::sip::digest::{AuthRole, DigestAlgorithm, DigestAuthenticator, NonceIssuer, NonceKey};
use crate::sip::focus::{Focus, FocusConfig};
use crate::sip::gate::AuthGate;
use crate::sip::ids::random_bytes;
use crate::sip::policy::Policy;
use crate::sip::registrar::ExpiryLimits;
use crate::sip::transaction::{TimerConfig, TransactionLayer};

pub use store::{SharedStore, Store, StoreError, UserRecord, UserSource};
pub use tls::TlsSetupError;
pub use users::{UserDirectory, UserError, UserSecret};

use engine::{host_port, Engine, EngineParts, StreamListener, UdpEndpoint, WAKER};

/// The addresses the server listens on (actual ports, when the config said 0).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SipAddresses {
    /// UDP.
    pub udp: Vec<SocketAddr>,
    /// TCP.
    pub tcp: Vec<SocketAddr>,
    /// TLS.
    pub tls: Vec<SocketAddr>,
}

/// Why the SIP server could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum SipStartError {
    /// An address could not be bound.
    Bind {
        /// The config key: `sip.udp`, `sip.tcp` or `sip.tls`.
        key: &'static str,
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The TLS certificate or key is unusable.
    Tls(TlsSetupError),
    /// The poller, the waker or a thread could not be set up.
    Setup(std::io::Error),
    /// The OS random source failed.
    Random(String),
}

impl fmt::Display for SipStartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bind { key, addr, source } => {
                write!(f, "cannot listen on {key} = {addr}: {source}")
            }
            Self::Tls(e) => e.fmt(f),
            Self::Setup(e) => write!(f, "cannot start the SIP server: {e}"),
            Self::Random(e) => write!(f, "cannot start the SIP server: {e}"),
        }
    }
}

impl std::error::Error for SipStartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Bind { source, .. } | Self::Setup(source) => Some(source),
            Self::Tls(e) => Some(e),
            Self::Random(_) => None,
        }
    }
}

/// The running SIP server.
#[derive(Debug)]
pub struct SipServer {
    stop: Arc<AtomicBool>,
    waker: Arc<Waker>,
    thread: Option<JoinHandle<()>>,
    workers: Vec<JoinHandle<()>>,
    addresses: SipAddresses,
    admin_line: crate::admin::calls::SipLine,
}

fn digest_algorithms(names: &[String]) -> Vec<DigestAlgorithm> {
    names
        .iter()
        .filter_map(|name| DigestAlgorithm::parse(Some(name)))
        .collect()
}

/// How the node is reached on a socket bound to `local`: the address itself, or the
/// domain when bound to every interface.
fn advertised_host(local: SocketAddr, domain: &str) -> String {
    if local.ip().is_unspecified() {
        format!("{domain}:{}", local.port())
    } else {
        host_port(local)
    }
}

impl SipServer {
    /// Binds every listener of `config` and starts the SIP thread and media workers.
    /// `pstn` routes phone numbers to a trunk, `admin` is the path to the cores, `registry`
    /// the conferences it keeps, `store` the database.
    pub fn start(
        config: &SipConfig,
        pstn: Option<crate::sip::pstn::PstnRoute>,
        admin: AdminApi,
        registry: SharedRegistry,
        store: SharedStore,
    ) -> Result<SipServer, SipStartError> {
        let poll = Poll::new().map_err(SipStartError::Setup)?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER).map_err(SipStartError::Setup)?);
        let mut addresses = SipAddresses::default();
        let mut token = 1;
        let mut udp = Vec::new();
        for &addr in &config.udp {
            let bind_error = |source| SipStartError::Bind {
                key: "sip.udp",
                addr,
                source,
            };
            let mut socket = UdpSocket::bind(addr).map_err(bind_error)?;
            let local = socket.local_addr().map_err(bind_error)?;
            // Requests arrive in bursts under load; the kernel's ~200 KiB default drops
            // them whenever the thread is briefly off the CPU, and every drop costs a
            // retransmission 500 ms later.
            if let Err(error) = set_socket_buffers(&socket, DEFAULT_SOCKET_BUFFER_BYTES) {
                tracing::warn!(%error, %local, "cannot enlarge the SIP socket's buffers");
            }
            poll.registry()
                .register(&mut socket, Token(token), Interest::READABLE)
                .map_err(SipStartError::Setup)?;
            token += 1;
            addresses.udp.push(local);
            udp.push(UdpEndpoint {
                socket,
                host: advertised_host(local, &config.domain),
            });
        }
        let tls_config = match (&config.tls_certificate, &config.tls_private_key) {
            (Some(cert), Some(key)) if !config.tls.is_empty() => {
                Some(tls::server_config(cert, key).map_err(SipStartError::Tls)?)
            }
            _ => None,
        };
        let mut listeners = Vec::new();
        let streams = config
            .tcp
            .iter()
            .map(|a| (*a, false, "sip.tcp"))
            .chain(config.tls.iter().map(|a| (*a, true, "sip.tls")));
        for (addr, is_tls, key) in streams {
            let bind_error = |source| SipStartError::Bind { key, addr, source };
            let mut listener = TcpListener::bind(addr).map_err(bind_error)?;
            let local = listener.local_addr().map_err(bind_error)?;
            poll.registry()
                .register(&mut listener, Token(token), Interest::READABLE)
                .map_err(SipStartError::Setup)?;
            token += 1;
            if is_tls {
                addresses.tls.push(local);
            } else {
                addresses.tcp.push(local);
            }
            listeners.push(StreamListener {
                listener,
                tls: is_tls,
            });
        }
        let nonce_key = random_bytes::<32>().map_err(|e| SipStartError::Random(e.to_string()))?;
        let issuer = NonceIssuer::new(
            NonceKey::from_bytes(nonce_key),
            &config.domain,
            config.nonce_lifetime_secs,
        );
        let authenticator = DigestAuthenticator::new(issuer, &config.domain, AuthRole::Server)
            .with_algorithms(digest_algorithms(&config.digest_algorithms))
            .accepting_host_uri();
        let allow_plain_keys = config.plain_keys_allowed();
        if allow_plain_keys {
            tracing::warn!(
                "SDES keys may travel over UDP and TCP in clear (sip.allow_plain_keys, or a \
                 loopback-only server); use TLS for anything but tests"
            );
        }
        let mut focus = Focus::new(FocusConfig {
            factory_user: config.factory_user.clone(),
            policy: Policy::from_config(&config.policy),
            allow_plain_keys,
            conference_suite: config.conference_suite(),
            empty_conference: Duration::from_secs(config.empty_conference_secs),
            selection: SelectionPolicy::loudest(config.loudest_n),
        });
        focus.set_pstn_route(pstn);
        focus.set_ring_timeout(Duration::from_secs(config.invite_timeout_secs));
        focus.set_receive(config.receive);
        // Persistent conferences come back first, so their URIs work from the start.
        match store::lock(&store).rooms() {
            Ok(rooms) => {
                if !rooms.is_empty() {
                    tracing::info!(rooms = rooms.len(), "re-creating persistent conferences");
                }
                focus.restore_rooms(rooms, &mut entropy::OsEntropy::default());
            }
            Err(error) => tracing::error!(%error, "cannot read the persistent conferences"),
        }
        let timers = TimerConfig {
            t1: Duration::from_millis(config.t1_ms),
            t2: Duration::from_millis(config.t2_ms),
            t4: Duration::from_millis(config.t4_ms),
            ..TimerConfig::default()
        };
        let (jobs_tx, jobs_rx) = crossbeam_channel::unbounded();
        let (outcomes_tx, outcomes_rx) = crossbeam_channel::unbounded();
        let (orders_tx, orders_rx) = crossbeam_channel::bounded(64);
        let stop = Arc::new(AtomicBool::new(false));
        let parts = EngineParts {
            poll,
            udp,
            listeners,
            tls: tls_config,
            max_connections: config.max_connections,
            transactions: TransactionLayer::new(timers),
            gate: AuthGate::new(authenticator).with_open_register(config.register_without_auth),
            realm: config.domain.clone(),
            limits: ExpiryLimits {
                min: config.min_expires,
                max: config.max_expires,
                default: config.default_expires,
            },
            store,
            focus,
            registry,
            jobs: jobs_tx,
            outcomes: outcomes_rx,
            admin_orders: orders_rx,
            stop: stop.clone(),
            subscriptions: subscriptions::Subscriptions::new(&config.domain, &config.policy),
        };
        let workers = media_workers::spawn(
            config.media_workers,
            Arc::new(admin),
            jobs_rx,
            outcomes_tx,
            waker.clone(),
        )
        .map_err(SipStartError::Setup)?;
        let engine = Engine::new(parts);
        let thread = std::thread::Builder::new()
            .name("medianode-sip".to_owned())
            .spawn(move || engine.run())
            .map_err(SipStartError::Setup)?;
        tracing::info!(
            udp = ?addresses.udp,
            tcp = ?addresses.tcp,
            tls = ?addresses.tls,
            domain = config.domain.as_str(),
            factory = %format!("sip:{}@{}", config.factory_user, config.domain),
            "SIP server listening"
        );
        Ok(SipServer {
            stop,
            admin_line: crate::admin::calls::SipLine::new(orders_tx, waker.clone()),
            waker,
            thread: Some(thread),
            workers,
            addresses,
        })
    }

    /// The admin API's line to this server: calls to phone numbers, removals.
    pub fn sip_line(&self) -> crate::admin::calls::SipLine {
        self.admin_line.clone()
    }

    /// Where the server listens.
    pub fn addresses(&self) -> &SipAddresses {
        &self.addresses
    }

    /// Stops the SIP thread, then the media workers.
    pub fn shutdown(mut self) {
        self.stop_threads();
    }

    fn stop_threads(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Err(error) = self.waker.wake() {
            tracing::error!(%error, "cannot wake the SIP thread to stop it");
        }
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("the SIP thread panicked");
            }
        }
        // The SIP thread owned the job queue; its end lets the workers finish.
        for worker in self.workers.drain(..) {
            if worker.join().is_err() {
                tracing::error!("a SIP media worker panicked");
            }
        }
    }
}

impl Drop for SipServer {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.stop_threads();
        }
    }
}
