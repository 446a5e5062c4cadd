//! What the SIP tests share: a node with SIP listeners on free ports, a small SIP user
//! agent client over UDP, TCP or TLS written from RFC 3261 (it does not use the node's
//! parser), digest answers computed with the hash crates directly, and SIPp.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use md5::Md5;
use sha2::{Digest, Sha256};

use crate::support::{free_port, random_bytes, write_config, NodeProcess};

mod baresip;
mod peers;
#[allow(unused_imports)]
pub use baresip::*;
#[allow(unused_imports)]
pub use peers::*;

/// How to start a node with SIP.
pub struct SipNodeSetup<'a> {
    /// Scratch directory (config, database).
    pub dir: &'a Path,
    /// `[[users]]` as (name, password).
    pub users: &'a [(&'a str, &'a str)],
    /// Digest algorithms offered, as TOML (e.g. `["MD5"]`).
    pub algorithms: &'a str,
    /// The node's media port range.
    pub media_ports: (u16, u16),
    /// TLS certificate and key files, to listen on TLS too.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// More `[sip]` keys, as TOML lines.
    pub extra_sip: &'a str,
}

/// A running node with SIP.
pub struct SipNode {
    pub process: NodeProcess,
    /// UDP listens here.
    pub sip: SocketAddr,
    /// TCP listens here.
    pub tcp: SocketAddr,
    /// TLS listens here, when configured.
    pub tls: Option<SocketAddr>,
    pub config: PathBuf,
}

/// The config text of a node with SIP on any free ports (the node logs which).
pub fn sip_config(setup: &SipNodeSetup<'_>, http_port: u16) -> String {
    let mut text = format!(
        "[runtime]\ncores = 1\nio_backend = \"threads\"\nhousekeeping_ms = 2\n\
         [media]\nport_min = {}\nport_max = {}\n\
         [http]\nlisten = \"127.0.0.1:{http_port}\"\n\
         [sip]\nudp = [\"127.0.0.1:0\"]\ntcp = [\"127.0.0.1:0\"]\n\
         domain = \"medianode.test\"\ndatabase = \"{}\"\ndigest_algorithms = {}\n\
         media_workers = 2\n{}",
        setup.media_ports.0,
        setup.media_ports.1,
        setup.dir.join("medianode.sqlite").display(),
        setup.algorithms,
        setup.extra_sip,
    );
    if let Some((cert, key)) = &setup.tls {
        text.push_str(&format!(
            "tls = [\"127.0.0.1:0\"]\ntls_certificate = \"{}\"\ntls_private_key = \"{}\"\n",
            cert.display(),
            key.display()
        ));
    }
    for (name, password) in setup.users {
        text.push_str(&format!(
            "[[users]]\nname = \"{name}\"\npassword = \"{password}\"\n"
        ));
    }
    text
}

/// The log without ANSI colour sequences.
fn plain_log(log: &str) -> String {
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for end in chars.by_ref() {
                if end == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The first address in the `key=[...]` list of a log line.
fn logged_address(line: &str, key: &str) -> Option<SocketAddr> {
    let at = line.find(&format!("{key}=["))? + key.len() + 2;
    let rest = &line[at..];
    rest[..rest.find([']', ','])?].trim().parse().ok()
}

impl SipNode {
    /// Starts the binary with SIP on free ports.
    pub fn start(setup: &SipNodeSetup<'_>) -> SipNode {
        let http_port = free_port();
        let config = write_config(setup.dir, &sip_config(setup, http_port));
        let process = NodeProcess::start(&config, http_port);
        SipNode::attach(process, config)
    }

    /// A started node, with the SIP addresses it logged.
    pub fn attach(process: NodeProcess, config: PathBuf) -> SipNode {
        let deadline = Instant::now() + Duration::from_secs(10);
        let line = loop {
            let log = plain_log(&process.log());
            if let Some(line) = log.lines().find(|l| l.contains("SIP server listening")) {
                break line.to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "the SIP server never listened: {log}"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let udp = logged_address(&line, "udp").expect("a UDP listener");
        let tcp = logged_address(&line, "tcp").expect("a TCP listener");
        SipNode {
            process,
            sip: udp,
            tcp,
            tls: logged_address(&line, "tls"),
            config,
        }
    }
}

/// A hex string of `len` random bytes.
pub fn random_hex(len: usize) -> String {
    random_bytes(len)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One response (or request) as read off the wire.
#[derive(Debug, Clone)]
pub struct SipText {
    pub start: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl SipText {
    /// Parses one whole message.
    pub fn parse(text: &str) -> Option<SipText> {
        let (head, body) = text.split_once("\r\n\r\n")?;
        let mut lines = head.split("\r\n");
        let start = lines.next()?.to_owned();
        let headers = lines
            .filter_map(|line| {
                let (name, value) = line.split_once(':')?;
                Some((name.trim().to_owned(), value.trim().to_owned()))
            })
            .collect();
        Some(SipText {
            start,
            headers,
            body: body.to_owned(),
        })
    }

    /// The status code of a response (0 for a request).
    pub fn status(&self) -> u16 {
        if !self.start.starts_with("SIP/2.0 ") {
            return 0;
        }
        self.start
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0)
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name`.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The tag of To.
    pub fn to_tag(&self) -> Option<String> {
        let to = self.header("To")?;
        to.split(";tag=")
            .nth(1)
            .map(|t| t.split(';').next().unwrap_or(t).to_owned())
    }

    /// The URI inside `<...>` of the first Contact.
    pub fn contact_uri(&self) -> Option<String> {
        let contact = self.header("Contact")?;
        let start = contact.find('<')? + 1;
        let end = contact.find('>')?;
        Some(contact[start..end].to_owned())
    }

    /// The CSeq method.
    pub fn cseq_method(&self) -> String {
        self.header("CSeq")
            .and_then(|c| c.split_whitespace().nth(1))
            .unwrap_or("")
            .to_owned()
    }
}

/// Length of the message at the start of `buf` (head plus Content-Length), if complete.
fn message_len(buf: &[u8]) -> Option<usize> {
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&buf[..head_end]);
    let body_len = head
        .split("\r\n")
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            let name = name.trim();
            (name.eq_ignore_ascii_case("Content-Length") || name == "l")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    (buf.len() >= head_end + body_len).then_some(head_end + body_len)
}

/// The transport under a user agent.
pub enum Wire {
    Udp(UdpSocket, SocketAddr),
    Tcp(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

/// A minimal SIP user agent client.
pub struct Uac {
    wire: Wire,
    buffer: Vec<u8>,
    pub user: String,
    pub password: String,
}

impl Uac {
    pub fn udp(server: SocketAddr, user: &str, password: &str) -> Uac {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        Uac::new(Wire::Udp(socket, server), user, password)
    }

    pub fn tcp(server: SocketAddr, user: &str, password: &str) -> Uac {
        let stream = TcpStream::connect(server).unwrap();
        Uac::new(Wire::Tcp(stream), user, password)
    }

    /// TLS to `server`, trusting `ca_der` for the name `localhost`.
    pub fn tls(server: SocketAddr, ca_der: &[u8], user: &str, password: &str) -> Uac {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(rustls::pki_types::CertificateDer::from(ca_der.to_vec()))
            .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
        let stream = TcpStream::connect(server).unwrap();
        Uac::new(
            Wire::Tls(Box::new(rustls::StreamOwned::new(connection, stream))),
            user,
            password,
        )
    }

    fn new(wire: Wire, user: &str, password: &str) -> Uac {
        Uac {
            wire,
            buffer: Vec::new(),
            user: user.to_owned(),
            password: password.to_owned(),
        }
    }

    /// `transport`, address and port for Via and Contact.
    pub fn local(&self) -> (&'static str, SocketAddr) {
        match &self.wire {
            Wire::Udp(s, _) => ("UDP", s.local_addr().unwrap()),
            Wire::Tcp(s) => ("TCP", s.local_addr().unwrap()),
            Wire::Tls(s) => ("TLS", s.sock.local_addr().unwrap()),
        }
    }

    pub fn send(&mut self, text: &str) {
        match &mut self.wire {
            Wire::Udp(s, to) => {
                s.send_to(text.as_bytes(), *to).unwrap();
            }
            Wire::Tcp(s) => s.write_all(text.as_bytes()).unwrap(),
            Wire::Tls(s) => {
                s.write_all(text.as_bytes()).unwrap();
                s.flush().unwrap();
            }
        }
    }

    /// The next message, or `None` after `timeout`.
    pub fn recv(&mut self, timeout: Duration) -> Option<SipText> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(len) = message_len(&self.buffer) {
                let text: Vec<u8> = self.buffer.drain(..len).collect();
                return SipText::parse(&String::from_utf8_lossy(&text));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            let mut chunk = vec![0u8; 65536];
            let read = match &mut self.wire {
                Wire::Udp(s, _) => {
                    s.set_read_timeout(Some(left)).unwrap();
                    s.recv(&mut chunk)
                }
                Wire::Tcp(s) => {
                    s.set_read_timeout(Some(left)).unwrap();
                    s.read(&mut chunk)
                }
                Wire::Tls(s) => {
                    s.sock.set_read_timeout(Some(left)).unwrap();
                    s.read(&mut chunk)
                }
            };
            match read {
                Ok(0) => return None,
                Ok(n) => {
                    if matches!(self.wire, Wire::Udp(..)) {
                        // A datagram is one message whatever its Content-Length says.
                        return SipText::parse(&String::from_utf8_lossy(&chunk[..n]));
                    }
                    self.buffer.extend_from_slice(&chunk[..n]);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => panic!("SIP receive failed: {e}"),
            }
        }
    }

    /// The final response to `method` (provisional ones and other methods' are skipped).
    pub fn final_response(&mut self, method: &str) -> SipText {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = self
                .recv(left)
                .unwrap_or_else(|| panic!("no final response to {method}"));
            if message.status() >= 200 && message.cseq_method() == method {
                return message;
            }
        }
    }
}

/// `H(text)` in lowercase hex, with MD5 or SHA-256.
fn digest_hash(algorithm: &str, text: &str) -> String {
    let bytes: Vec<u8> = if algorithm == "SHA-256" {
        Sha256::digest(text.as_bytes()).to_vec()
    } else {
        Md5::digest(text.as_bytes()).to_vec()
    };
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A quoted or bare parameter of a challenge.
fn challenge_param(challenge: &str, name: &str) -> Option<String> {
    let at = challenge.find(&format!("{name}="))? + name.len() + 1;
    let rest = &challenge[at..];
    if let Some(quoted) = rest.strip_prefix('"') {
        Some(quoted[..quoted.find('"')?].to_owned())
    } else {
        Some(rest.split([',', ' ']).next().unwrap_or("").to_owned())
    }
}

/// The Authorization answering the challenge of `algorithm` in `response`.
pub fn authorization(
    response: &SipText,
    algorithm: &str,
    uac: &Uac,
    method: &str,
    uri: &str,
) -> String {
    let challenge = response
        .headers_named("WWW-Authenticate")
        .find(|c| challenge_param(c, "algorithm").as_deref() == Some(algorithm))
        .unwrap_or_else(|| panic!("no {algorithm} challenge in {response:?}"));
    let realm = challenge_param(challenge, "realm").unwrap();
    let nonce = challenge_param(challenge, "nonce").unwrap();
    let cnonce = random_hex(8);
    // RFC 7616 sec. 3.4.1 with qop=auth.
    let ha1 = digest_hash(algorithm, &format!("{}:{realm}:{}", uac.user, uac.password));
    let ha2 = digest_hash(algorithm, &format!("{method}:{uri}"));
    let digest = digest_hash(
        algorithm,
        &format!("{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}"),
    );
    format!(
        "Digest username=\"{}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", \
         response=\"{digest}\", algorithm={algorithm}, cnonce=\"{cnonce}\", qop=auth, nc=00000001",
        uac.user
    )
}

/// A dialog as the client sees it.
pub struct ClientCall {
    pub call_id: String,
    pub from_tag: String,
    pub cseq: u32,
    pub to_uri: String,
    pub to_tag: Option<String>,
    pub target: String,
}

impl ClientCall {
    pub fn new(to_uri: &str) -> ClientCall {
        ClientCall {
            call_id: format!("{}@test", random_hex(8)),
            from_tag: random_hex(4),
            cseq: 0,
            to_uri: to_uri.to_owned(),
            to_tag: None,
            target: to_uri.to_owned(),
        }
    }

    /// A request in this call; `branch` is fresh unless given (ACK to a non-2xx).
    pub fn request(
        &self,
        uac: &Uac,
        method: &str,
        uri: &str,
        branch: &str,
        extra: &str,
        body: &str,
    ) -> String {
        let (transport, local) = uac.local();
        let to_tag = self
            .to_tag
            .as_ref()
            .map_or(String::new(), |t| format!(";tag={t}"));
        let content_type = if body.is_empty() {
            ""
        } else {
            "Content-Type: application/sdp\r\n"
        };
        format!(
            "{method} {uri} SIP/2.0\r\nVia: SIP/2.0/{transport} {local};branch={branch};rport\r\n\
             Max-Forwards: 70\r\nFrom: <sip:{user}@medianode.test>;tag={}\r\nTo: <{}>{to_tag}\r\n\
             Call-ID: {}\r\nCSeq: {} {method}\r\nContact: <sip:{user}@{local}>\r\n{extra}\
             {content_type}Content-Length: {}\r\n\r\n{body}",
            self.from_tag,
            self.to_uri,
            self.call_id,
            self.cseq,
            body.len(),
            user = uac.user,
        )
    }
}

pub fn new_branch() -> String {
    format!("z9hG4bK{}", random_hex(8))
}

/// INVITE `uri` (authenticating after a 401 with `algorithm`); the final response. Non-2xx
/// finals are acknowledged on the INVITE's branch, 2xx ones on a new branch to Contact.
pub fn invite(
    uac: &mut Uac,
    call: &mut ClientCall,
    uri: &str,
    sdp: &str,
    algorithm: &str,
) -> SipText {
    call.to_uri = uri.to_owned();
    call.to_tag = None;
    let mut authorization_line = String::new();
    for _ in 0..2 {
        call.cseq += 1;
        let branch = new_branch();
        let text = call.request(uac, "INVITE", uri, &branch, &authorization_line, sdp);
        uac.send(&text);
        let response = uac.final_response("INVITE");
        if response.status() >= 300 {
            let ack_call = ClientCall {
                to_tag: response.to_tag(),
                call_id: call.call_id.clone(),
                from_tag: call.from_tag.clone(),
                cseq: call.cseq,
                to_uri: call.to_uri.clone(),
                target: uri.to_owned(),
            };
            uac.send(&ack_call.request(uac, "ACK", uri, &branch, "", ""));
        }
        if response.status() == 401 && authorization_line.is_empty() {
            authorization_line = format!(
                "Authorization: {}\r\n",
                authorization(&response, algorithm, uac, "INVITE", uri)
            );
            continue;
        }
        if (200..300).contains(&response.status()) {
            call.to_tag = response.to_tag();
            call.target = response.contact_uri().unwrap_or_else(|| uri.to_owned());
            let ack = call.request(uac, "ACK", &call.target, &new_branch(), "", "");
            uac.send(&ack);
        }
        return response;
    }
    unreachable!("the loop returns")
}

/// BYE in `call`; the final response.
pub fn bye(uac: &mut Uac, call: &mut ClientCall) -> SipText {
    call.cseq += 1;
    let text = call.request(uac, "BYE", &call.target.clone(), &new_branch(), "", "");
    uac.send(&text);
    uac.final_response("BYE")
}

/// An SDP offer for one audio stream.
pub fn sdp_offer(media: SocketAddr, profile: &str, formats: &str, extra: &str) -> String {
    format!(
        "v=0\r\no=test 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
         m=audio {port} {profile} {formats}\r\n{extra}",
        ip = media.ip(),
        port = media.port()
    )
}

/// The address of the audio stream of an SDP answer.
pub fn answer_media(sdp: &str) -> SocketAddr {
    let ip = sdp
        .lines()
        .find_map(|l| l.strip_prefix("c=IN IP4 "))
        .expect("c= in the answer")
        .trim();
    let port = sdp
        .lines()
        .find_map(|l| l.strip_prefix("m=audio "))
        .and_then(|l| l.split(' ').next())
        .expect("m=audio in the answer");
    format!("{ip}:{port}").parse().unwrap()
}

/// Runs SIPp (Debian `sip-tester`) with `args`; it must be installed.
pub fn sipp(args: &[&str], dir: &Path) -> Output {
    Command::new("sipp")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("sipp (Debian package sip-tester) must be installed")
}

/// The path of a scenario in `tests/sipp`.
pub fn scenario(name: &str) -> String {
    format!("{}/tests/sipp/{name}", env!("CARGO_MANIFEST_DIR"))
}
