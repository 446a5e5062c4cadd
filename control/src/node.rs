//! A whole node: the per-core runtime, the thread that takes the cores' events, the
//! database of users and registrations, the operator HTTP listener (health, metrics,
//! admin API) and the SIP server, started and stopped as one.

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::admin::{events, AdminApi, CoreClient, Registry};
use crate::config::Config;
use crate::http::{HttpBindError, HttpServer};
use crate::metrics::{CoreMetrics, NodeMetrics};
use crate::runtime::{Runtime, RuntimeError};
use crate::sip_server::{SipAddresses, SipServer, SipStartError, Store, StoreError, UserDirectory};

/// Events a core may have queued for the control side before it starts dropping them.
const EVENT_QUEUE: usize = 16 * 1024;

/// A running node.
#[derive(Debug)]
pub struct Node {
    runtime: Runtime,
    http: HttpServer,
    sip: Option<SipServer>,
    events: Option<JoinHandle<()>>,
}

/// Why the node could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// The cores could not start.
    Runtime(RuntimeError),
    /// The HTTP listener could not bind.
    Http(HttpBindError),
    /// The events thread could not start.
    Events(std::io::Error),
    /// The database of users and registrations could not be opened.
    Store(StoreError),
    /// The SIP server could not start.
    Sip(SipStartError),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Runtime(e) => e.fmt(f),
            StartError::Http(e) => e.fmt(f),
            StartError::Events(e) => write!(f, "cannot start the events thread: {e}"),
            StartError::Store(e) => e.fmt(f),
            StartError::Sip(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Runtime(e) => Some(e),
            StartError::Http(e) => Some(e),
            StartError::Events(e) => Some(e),
            StartError::Store(e) => Some(e),
            StartError::Sip(e) => Some(e),
        }
    }
}

impl Node {
    /// Opens the database, then starts the cores, the events thread, the HTTP listener
    /// and the SIP server.
    pub fn start(config: &Config) -> Result<Node, StartError> {
        let started = Instant::now();
        let store = Store::open(&config.sip.database).map_err(StartError::Store)?;
        let store = Arc::new(Mutex::new(store));
        let users = UserDirectory::new(store.clone(), &config.sip.domain);
        users
            .sync_config(&config.users)
            .map_err(StartError::Store)?;
        let cores: Vec<Arc<CoreMetrics>> = (0..config.runtime.cores)
            .map(|i| Arc::new(CoreMetrics::new(i)))
            .collect();
        let simd = medianode_simd::backend_name();
        tracing::info!(simd, cores = cores.len(), "starting media cores");
        let (events_tx, events_rx) = crossbeam_channel::bounded(EVENT_QUEUE);
        let mut runtime =
            Runtime::start(config, started, &cores, events_tx).map_err(StartError::Runtime)?;
        let registry = Arc::new(Mutex::new(Registry::new(runtime.core_count())));
        let sip_slot = crate::admin::calls::SipSlot::default();
        let events = match events::spawn(events_rx, registry.clone(), sip_slot.clone()) {
            Ok(handle) => handle,
            Err(error) => {
                runtime.shutdown();
                return Err(StartError::Events(error));
            }
        };
        let client = CoreClient::new(
            runtime.command_senders(),
            Duration::from_millis(config.http.admin_timeout_ms),
        );
        let metrics = Arc::new(NodeMetrics::new(started, simd, cores));
        let admin = AdminApi::new(client.clone(), registry.clone())
            .with_users(users)
            .with_sip(sip_slot.clone())
            .with_token(
                config
                    .http
                    .admin_token
                    .as_deref()
                    .map(crate::admin::token::AdminToken::new),
            );
        let admin = match config.recording.open(&config.sip.database) {
            Ok(Some(recordings)) => admin.with_recordings(Arc::new(recordings)),
            Ok(None) => admin,
            Err(error) => {
                tracing::error!(%error, "recording is unavailable (recording.dir)");
                admin
            }
        };
        let mut http = match HttpServer::start(config.http.listen, metrics, admin) {
            Ok(http) => http,
            Err(error) => {
                runtime.shutdown();
                // The cores are gone, so the events channel is closed and the thread ends.
                let _ = events.join();
                return Err(StartError::Http(error));
            }
        };
        let sip = if config.sip.is_disabled() {
            tracing::info!("SIP server disabled (no sip.udp, sip.tcp or sip.tls address)");
            None
        } else {
            let sip_admin = AdminApi::new(client, registry.clone());
            let pstn = crate::sip::pstn::PstnRoute::from_config(&config.pstn);
            match SipServer::start(&config.sip, pstn, sip_admin, registry, store) {
                Ok(sip) => {
                    let _ = sip_slot.set(sip.sip_line());
                    Some(sip)
                }
                Err(error) => {
                    http.stop();
                    runtime.shutdown();
                    let _ = events.join();
                    return Err(StartError::Sip(error));
                }
            }
        };
        Ok(Node {
            runtime,
            http,
            sip,
            events: Some(events),
        })
    }

    /// Where the SIP server listens, if it runs.
    pub fn sip_addresses(&self) -> Option<&SipAddresses> {
        self.sip.as_ref().map(SipServer::addresses)
    }

    /// The address of `/healthz`, `/metrics` and the admin API.
    pub fn http_addr(&self) -> SocketAddr {
        self.http.local_addr()
    }

    /// Stops the SIP server, the HTTP listener, then every core, then the events thread.
    pub fn shutdown(mut self) {
        if let Some(sip) = self.sip.take() {
            sip.shutdown();
        }
        self.http.stop();
        self.runtime.shutdown();
        if let Some(events) = self.events.take() {
            if events.join().is_err() {
                tracing::error!("the events thread panicked");
            }
        }
    }
}
