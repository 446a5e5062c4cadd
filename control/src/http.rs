//! The operator HTTP listener: `GET /healthz`, `GET /metrics`, the admin API under
//! `/v1/` ([`crate::admin`]), and the live page at `/` with the overview it polls
//! ([`crate::dashboard`]).
//!
//! It runs on its own thread, away from the media cores: metrics only read the counters
//! the cores publish, and admin requests reach the cores as commands. tiny_http is enough
//! here: a handful of requests per scrape interval, and admin calls at signalling rate.

use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use tiny_http::{Header, Method, Request, Response, Server};

use crate::admin::{AdminApi, ApiResponse, MAX_BODY_BYTES};
use crate::dashboard;
use crate::metrics::NodeMetrics;

/// The running listener.
pub struct HttpServer {
    server: Arc<Server>,
    thread: Option<JoinHandle<()>>,
    local_addr: SocketAddr,
}

impl std::fmt::Debug for HttpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpServer")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

/// The listener could not bind.
#[derive(Debug)]
pub struct HttpBindError {
    /// The address from `http.listen`.
    pub addr: SocketAddr,
    /// Why binding failed.
    pub reason: String,
}

impl std::fmt::Display for HttpBindError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot listen on http.listen = {}: {}",
            self.addr, self.reason
        )
    }
}

impl std::error::Error for HttpBindError {}

impl HttpServer {
    /// Binds `addr` and serves requests on a new thread.
    pub fn start(
        addr: SocketAddr,
        metrics: Arc<NodeMetrics>,
        admin: AdminApi,
    ) -> Result<HttpServer, HttpBindError> {
        let server = Server::http(addr).map_err(|e| HttpBindError {
            addr,
            reason: e.to_string(),
        })?;
        let local_addr = server.server_addr().to_ip().ok_or_else(|| HttpBindError {
            addr,
            reason: "listener has no IP address".to_owned(),
        })?;
        let server = Arc::new(server);
        let serving = server.clone();
        let thread = std::thread::Builder::new()
            .name("medianode-http".to_owned())
            .spawn(move || {
                for request in serving.incoming_requests() {
                    respond(request, &metrics, &admin);
                }
            })
            .map_err(|e| HttpBindError {
                addr,
                reason: e.to_string(),
            })?;
        Ok(HttpServer {
            server,
            thread: Some(thread),
            local_addr,
        })
    }

    /// The address actually bound (useful when the configured port was 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting requests and waits for the thread.
    pub fn stop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("the HTTP thread panicked");
            }
        }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn header(name: &str, value: &str) -> Header {
    // Both strings are ASCII constants of this module, which tiny_http always accepts.
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("constant ASCII header")
}

fn respond(mut request: Request, metrics: &NodeMetrics, admin: &AdminApi) {
    let path = request.url().split('?').next().unwrap_or("").to_owned();
    if let Some(response) = dashboard_response(request.method(), &path, metrics, admin) {
        send(request, response);
        return;
    }
    let authorization = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Authorization"))
        .map(|h| h.value.as_str().to_owned());
    if AdminApi::owns(&path) && !admin.authorizes(authorization.as_deref()) {
        metrics.admin().record(401);
        let response = Response::from_string(
            "{\"error\":\"the admin API needs Authorization: Bearer <http.admin_token>\"}\n",
        )
        .with_status_code(401)
        .with_header(header("Content-Type", "application/json"))
        .with_header(header("WWW-Authenticate", "Bearer realm=\"medianode\""));
        send(request, response);
        return;
    }
    if let Some(id) = crate::admin::recording_key_path(&path) {
        let answer = admin.recording_key(request.method(), id, authorization.as_deref());
        metrics.admin().record(answer.status);
        send(request, admin_response(&answer));
        return;
    }
    if AdminApi::owns(&path) {
        let answer = match read_body(&mut request) {
            Ok(body) => admin.handle(request.method(), &path, &body),
            Err(answer) => answer,
        };
        metrics.admin().record(answer.status);
        send(request, admin_response(&answer));
        return;
    }
    let known = matches!(path.as_str(), "/healthz" | "/metrics");
    let response = match (request.method(), path.as_str()) {
        (Method::Get | Method::Head, "/metrics") => {
            Response::from_string(metrics.render(Instant::now())).with_header(header(
                "Content-Type",
                "text/plain; version=0.0.4; charset=utf-8",
            ))
        }
        (Method::Get | Method::Head, "/healthz") => {
            let stale = metrics.unhealthy_cores(Instant::now());
            let cores = metrics.cores().len();
            let (status, body) = if stale.is_empty() {
                (200, format!("{{\"status\":\"ok\",\"cores\":{cores}}}\n"))
            } else {
                let list: Vec<String> = stale.iter().map(usize::to_string).collect();
                (
                    503,
                    format!(
                        "{{\"status\":\"unhealthy\",\"cores\":{cores},\"stale_cores\":[{}]}}\n",
                        list.join(",")
                    ),
                )
            };
            Response::from_string(body)
                .with_status_code(status)
                .with_header(header("Content-Type", "application/json"))
        }
        (_, _) if known => Response::from_string("method not allowed\n")
            .with_status_code(405)
            .with_header(header("Allow", "GET, HEAD")),
        _ => Response::from_string("not found\n").with_status_code(404),
    };
    send(request, response);
}

/// The live page's files and the overview it polls, or `None` for any other path.
fn dashboard_response(
    method: &Method,
    path: &str,
    metrics: &NodeMetrics,
    admin: &AdminApi,
) -> Option<Response<std::io::Cursor<Vec<u8>>>> {
    let asset = dashboard::asset(path);
    if asset.is_none() && path != dashboard::OVERVIEW_PATH {
        return None;
    }
    if !matches!(method, Method::Get | Method::Head) {
        return Some(
            Response::from_string("method not allowed\n")
                .with_status_code(405)
                .with_header(header("Allow", "GET, HEAD")),
        );
    }
    let (body, content_type) = match asset {
        Some((content, content_type)) => (content.to_owned(), content_type),
        None => {
            let overview = dashboard::overview(metrics, admin, Instant::now());
            (format!("{overview}\n"), "application/json")
        }
    };
    Some(
        Response::from_string(body)
            .with_header(header("Content-Type", content_type))
            .with_header(header("Cache-Control", "no-store")),
    )
}

fn send<R: Read>(request: Request, response: Response<R>) {
    if let Err(error) = request.respond(response) {
        tracing::debug!(%error, "HTTP client went away before the response was sent");
    }
}

/// Reads an admin request's body, refusing one over [`MAX_BODY_BYTES`] with 413.
fn read_body(request: &mut Request) -> Result<Vec<u8>, ApiResponse> {
    let mut body = Vec::new();
    let limit = MAX_BODY_BYTES as u64 + 1;
    let read = request.as_reader().take(limit).read_to_end(&mut body);
    let error = |status: u16, message: String| {
        let error = crate::admin::ApiError::with_status(status, message);
        ApiResponse {
            status,
            body: Some(error.body()),
            allow: None,
        }
    };
    match read {
        Ok(_) if body.len() > MAX_BODY_BYTES => Err(error(
            413,
            format!("the body is larger than {MAX_BODY_BYTES} bytes"),
        )),
        Ok(_) => Ok(body),
        Err(e) => Err(error(400, format!("cannot read the body: {e}"))),
    }
}

fn admin_response(answer: &ApiResponse) -> Response<std::io::Cursor<Vec<u8>>> {
    let body = answer
        .body
        .as_ref()
        .map(|json| format!("{json}\n"))
        .unwrap_or_default();
    let mut response = Response::from_string(body).with_status_code(answer.status);
    if answer.body.is_some() {
        response = response.with_header(header("Content-Type", "application/json"));
    }
    if let Some(allow) = answer.allow {
        response = response.with_header(header("Allow", allow));
    }
    response
}
