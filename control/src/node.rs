//! A whole node: the per-core runtime plus the operator HTTP listener, started and stopped
//! as one.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use crate::config::Config;
use crate::http::{HttpBindError, HttpServer};
use crate::metrics::{CoreMetrics, NodeMetrics};
use crate::runtime::{Runtime, RuntimeError};

/// A running node.
#[derive(Debug)]
pub struct Node {
    runtime: Runtime,
    http: HttpServer,
}

/// Why the node could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// The cores could not start.
    Runtime(RuntimeError),
    /// The HTTP listener could not bind.
    Http(HttpBindError),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Runtime(e) => e.fmt(f),
            StartError::Http(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Runtime(e) => Some(e),
            StartError::Http(e) => Some(e),
        }
    }
}

impl Node {
    /// Starts the cores, then the HTTP listener.
    pub fn start(config: &Config) -> Result<Node, StartError> {
        let started = Instant::now();
        let cores: Vec<Arc<CoreMetrics>> = (0..config.runtime.cores)
            .map(|i| Arc::new(CoreMetrics::new(i)))
            .collect();
        let simd = medianode_simd::backend_name();
        tracing::info!(simd, cores = cores.len(), "starting media cores");
        let runtime =
            Runtime::start(&config.runtime, started, &cores).map_err(StartError::Runtime)?;
        let metrics = Arc::new(NodeMetrics::new(started, simd, cores));
        let http = HttpServer::start(config.http.listen, metrics).map_err(StartError::Http)?;
        Ok(Node { runtime, http })
    }

    /// The address of `/healthz` and `/metrics`.
    pub fn http_addr(&self) -> SocketAddr {
        self.http.local_addr()
    }

    /// Stops the HTTP listener, then every core.
    pub fn shutdown(mut self) {
        self.http.stop();
        self.runtime.shutdown();
    }
}
