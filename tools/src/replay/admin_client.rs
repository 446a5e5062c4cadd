//! The node's admin API as the replay uses it: create a conference, add a leg, remove a
//! conference. One short HTTP/1.1 exchange per call over a fresh connection (the calls
//! are few, and a connection per call never meets a server that closed an idle one).

use std::fmt;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use serde_json::{json, Value};

use super::expectation::NodePolicy;

/// Longest an admin answer may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Largest answer read.
const MAX_ANSWER: u64 = 1 << 20;

/// Why an admin call failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum AdminError {
    /// The node could not be reached or the exchange broke.
    Io(std::io::Error),
    /// The node's address could not be resolved.
    Address(String),
    /// The answer was not HTTP, or not the JSON expected.
    BadAnswer(String),
    /// The node refused the request.
    Refused {
        /// What was asked.
        request: String,
        /// The HTTP status.
        status: u16,
        /// The node's explanation.
        message: String,
    },
}

impl fmt::Display for AdminError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdminError::Io(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                write!(
                    f,
                    "the admin API did not answer within {} s",
                    TIMEOUT.as_secs()
                )
            }
            AdminError::Io(e) => write!(f, "admin API unreachable: {e}"),
            AdminError::Address(a) => write!(f, "cannot resolve the node address {a:?}"),
            AdminError::BadAnswer(what) => write!(f, "unexpected admin API answer: {what}"),
            AdminError::Refused {
                request,
                status,
                message,
            } => write!(f, "{request}: the node answered {status}: {message}"),
        }
    }
}

// Display already includes the inner error, so it is not repeated as a source.
impl std::error::Error for AdminError {}

impl From<std::io::Error> for AdminError {
    fn from(e: std::io::Error) -> Self {
        AdminError::Io(e)
    }
}

/// A conference the node created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedConference {
    /// Its id.
    pub id: String,
    /// The policy the node applies.
    pub policy: NodePolicy,
}

/// A leg the node added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedLeg {
    /// Its id.
    pub id: String,
    /// The node's address for it: where the participant sends, and where its media comes
    /// from.
    pub local: SocketAddr,
    /// For a hop-by-hop leg, the SDES key the node sends with.
    pub tx_key: Option<String>,
}

/// The admin API of one node.
#[derive(Debug, Clone)]
pub struct AdminClient {
    addr: SocketAddr,
    /// The node's `http.admin_token`, sent as a bearer token (kept out of Debug).
    token: Option<AdminToken>,
}

/// A bearer token, printed as `..`.
#[derive(Clone)]
struct AdminToken(String);

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminToken(..)")
    }
}

impl AdminClient {
    /// A client for the node at `url` (`http://host:port`, or `host:port`).
    pub fn new(url: &str) -> Result<AdminClient, AdminError> {
        let authority = url
            .trim()
            .trim_start_matches("http://")
            .trim_end_matches('/');
        let addr = authority
            .to_socket_addrs()
            .map_err(|_| AdminError::Address(url.to_owned()))?
            .next()
            .ok_or_else(|| AdminError::Address(url.to_owned()))?;
        Ok(AdminClient { addr, token: None })
    }

    /// Sending `Authorization: Bearer <token>` with every request (a node with
    /// `http.admin_token`).
    pub fn with_token(mut self, token: Option<&str>) -> AdminClient {
        self.token = token.map(|t| AdminToken(t.to_owned()));
        self
    }

    /// The node's HTTP address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sends one request; returns the status and the JSON body (`Null` when empty).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), AdminError> {
        let mut stream = TcpStream::connect_timeout(&self.addr, TIMEOUT)?;
        stream.set_read_timeout(Some(TIMEOUT))?;
        stream.set_write_timeout(Some(TIMEOUT))?;
        let body = body.map(Value::to_string).unwrap_or_default();
        let authorization = self
            .token
            .as_ref()
            .map(|t| format!("Authorization: Bearer {}\r\n", t.0))
            .unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n{authorization}\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        stream.write_all(request.as_bytes())?;
        let mut answer = Vec::new();
        stream.take(MAX_ANSWER).read_to_end(&mut answer)?;
        parse_answer(&answer)
    }

    fn call_expecting(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        want: u16,
    ) -> Result<Value, AdminError> {
        let (status, value) = self.request(method, path, body)?;
        if status != want {
            let message = value
                .get("error")
                .and_then(Value::as_str)
                .map_or_else(|| value.to_string(), str::to_owned);
            return Err(AdminError::Refused {
                request: format!("{method} {path}"),
                status,
                message,
            });
        }
        Ok(value)
    }

    /// Creates a conference: loudest `n`, or everyone with `all`.
    pub fn create_conference(
        &self,
        loudest_n: usize,
        all: bool,
    ) -> Result<CreatedConference, AdminError> {
        let body = if all {
            json!({ "mode": "all" })
        } else {
            json!({ "loudest_n": loudest_n })
        };
        let value = self.call_expecting("POST", "/v1/conferences", Some(&body), 201)?;
        let id = value
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| AdminError::BadAnswer(format!("no conference id in {value}")))?;
        Ok(CreatedConference {
            id: id.to_owned(),
            policy: policy_of(&value)?,
        })
    }

    /// The policy the node applies to `conference`.
    pub fn conference_policy(&self, conference: &str) -> Result<NodePolicy, AdminError> {
        let path = format!("/v1/conferences/{conference}");
        let value = self.call_expecting("GET", &path, None, 200)?;
        policy_of(&value)
    }

    /// Adds a leg described by `body` (the admin API's leg object) to `conference`.
    pub fn add_leg(&self, conference: &str, body: &Value) -> Result<AddedLeg, AdminError> {
        let path = format!("/v1/conferences/{conference}/legs");
        let value = self.call_expecting("POST", &path, Some(body), 201)?;
        let text = |name: &str| value.get(name).and_then(Value::as_str);
        let id = text("leg")
            .ok_or_else(|| AdminError::BadAnswer(format!("no leg id in {value}")))?
            .to_owned();
        let local = text("local")
            .and_then(|l| l.parse().ok())
            .ok_or_else(|| AdminError::BadAnswer(format!("no local address in {value}")))?;
        let tx_key = value
            .get("srtp")
            .and_then(|s| s.get("tx_key"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(AddedLeg { id, local, tx_key })
    }

    /// Removes a conference and its legs.
    pub fn delete_conference(&self, conference: &str) -> Result<(), AdminError> {
        self.call_expecting(
            "DELETE",
            &format!("/v1/conferences/{conference}"),
            None,
            204,
        )
        .map(|_| ())
    }
}

/// The `policy` object of a conference answer.
fn policy_of(value: &Value) -> Result<NodePolicy, AdminError> {
    let policy = value
        .get("policy")
        .ok_or_else(|| AdminError::BadAnswer(format!("no policy in {value}")))?;
    let number = |name: &str| {
        policy
            .get(name)
            .and_then(Value::as_u64)
            .ok_or_else(|| AdminError::BadAnswer(format!("no policy.{name} in {value}")))
    };
    Ok(NodePolicy {
        all: policy.get("mode").and_then(Value::as_str) == Some("all"),
        loudest_n: number("loudest_n")? as usize,
        hold_ms: number("hold_ms")?,
        smoothing_ms: number("smoothing_ms")?,
    })
}

/// Splits an HTTP/1.1 answer into status and JSON body (the connection was closed, so the
/// body is the rest; a chunked body is joined).
fn parse_answer(answer: &[u8]) -> Result<(u16, Value), AdminError> {
    let text = String::from_utf8_lossy(answer);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| AdminError::BadAnswer("no HTTP header".to_owned()))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| AdminError::BadAnswer(format!("no status in {head:?}")))?;
    let chunked = head.lines().any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("transfer-encoding")
                && value.trim().eq_ignore_ascii_case("chunked")
        })
    });
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    let value = if body.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body.trim())
            .map_err(|e| AdminError::BadAnswer(format!("body is not JSON ({e}): {body:?}")))?
    };
    Ok((status, value))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_split_into_status_and_json_plain_or_chunked() {
        let plain = b"HTTP/1.1 201 Created\r\nContent-Length: 9\r\n\r\n{\"a\": 1}\n";
        assert_eq!(parse_answer(plain).unwrap(), (201, json!({"a": 1})));
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"b\"\r\n3\r\n:2}\r\n0\r\n\r\n";
        assert_eq!(parse_answer(chunked).unwrap(), (200, json!({"b": 2})));
        assert_eq!(
            parse_answer(b"HTTP/1.1 204 No Content\r\n\r\n").unwrap(),
            (204, Value::Null)
        );
        assert!(matches!(
            parse_answer(b"garbage"),
            Err(AdminError::BadAnswer(_))
        ));
        assert!(AdminClient::new("http://127.0.0.1:9100/").is_ok());
        assert!(matches!(
            AdminClient::new("no such host:x"),
            Err(AdminError::Address(_))
        ));
    }

    #[test]
    fn a_token_goes_along_as_a_bearer_and_stays_out_of_debug() {
        use std::net::TcpListener;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = stream.read(&mut buf).unwrap();
                assert!(n > 0);
                request.extend_from_slice(&buf[..n]);
            }
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
                .unwrap();
            String::from_utf8(request).unwrap()
        });
        let client = AdminClient::new(&addr.to_string())
            .unwrap()
            .with_token(Some("sekrit-token"));
        assert!(!format!("{client:?}").contains("sekrit"));
        let (status, _) = client.request("GET", "/v1/conferences", None).unwrap();
        assert_eq!(status, 200);
        let request = server.join().unwrap();
        assert!(
            request.contains("\r\nAuthorization: Bearer sekrit-token\r\n"),
            "{request}"
        );
    }
}
