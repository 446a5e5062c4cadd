//! What the end-to-end tests share: the real `medianode` binary started on a config, a
//! minimal HTTP/1.1 client for its admin API and metrics, and RTP packets built by hand
//! (independently of the node's own builders) with an RFC 6464 audio level.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_medianode");

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn cores_to_use() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(2)
}

/// A directory every user can read, so the node can run as `nobody`.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("medianode-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// Writes `medianode.toml` into `dir`. A body without a `[sip]` section gets one that turns
/// the SIP server off and keeps the user database in memory: tests run several nodes at
/// once, which cannot all listen on the default SIP port 5060, nor write the default
/// `medianode.sqlite` into the working directory (or, as `nobody`, anywhere).
pub fn write_config(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("medianode.toml");
    let body = if body.contains("[sip]") {
        body.to_owned()
    } else {
        format!("{body}\n[sip]\nudp = []\ntcp = []\ndatabase = \":memory:\"\n")
    };
    std::fs::write(&path, body).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    path
}

/// One HTTP response.
#[derive(Debug)]
pub struct HttpAnswer {
    pub status: u16,
    pub headers: String,
    pub body: String,
}

impl HttpAnswer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }
}

/// Sends one HTTP/1.1 request with an optional body.
pub fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> std::io::Result<HttpAnswer> {
    http_with_headers(addr, method, path, "", body)
}

/// Sends one HTTP/1.1 request with extra header lines (each ending in CRLF).
pub fn http_with_headers(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &str,
    body: &str,
) -> std::io::Result<HttpAnswer> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let (headers, body) = response
        .split_once("\r\n\r\n")
        .map(|(h, b)| (h.to_owned(), b.to_owned()))
        .unwrap_or_default();
    Ok(HttpAnswer {
        status,
        headers,
        body,
    })
}

/// A running `medianode` whose stderr is collected on a thread (so a chatty log can never
/// fill the pipe and stall the node).
pub struct NodeProcess {
    child: Child,
    pub http: SocketAddr,
    stderr: Arc<Mutex<String>>,
    reader: Option<JoinHandle<()>>,
}

impl NodeProcess {
    /// Runs `command` (the binary, or a shell that execs it) and waits for `/healthz`.
    pub fn spawn(mut command: Command, http_port: u16, log: &str) -> NodeProcess {
        let mut child = command
            .env("RUST_LOG", log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        let reader = std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&chunk[..n]));
            }
        });
        let mut node = NodeProcess {
            child,
            http: ([127, 0, 0, 1], http_port).into(),
            stderr,
            reader: Some(reader),
        };
        node.wait_healthy();
        node
    }

    /// Starts the binary on a config file.
    pub fn start(config: &Path, http_port: u16) -> NodeProcess {
        let mut command = Command::new(BIN);
        command.arg("--config").arg(config);
        NodeProcess::spawn(command, http_port, "info")
    }

    fn wait_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let log = self.finish_log();
                panic!("medianode exited early with {status}: {log}");
            }
            if let Ok(answer) = http(self.http, "GET", "/healthz", "") {
                if answer.status == 200 {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "medianode never became healthy");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn request(&self, method: &str, path: &str, body: &str) -> HttpAnswer {
        http(self.http, method, path, body).unwrap()
    }

    /// POSTs `body` and expects `201`, returning the JSON answer.
    pub fn create(&self, path: &str, body: &Value) -> Value {
        let answer = self.request("POST", path, &body.to_string());
        assert_eq!(answer.status, 201, "POST {path} {body}: {}", answer.body);
        answer.json()
    }

    pub fn get_json(&self, path: &str) -> Value {
        let answer = self.request("GET", path, "");
        assert_eq!(answer.status, 200, "GET {path}: {}", answer.body);
        answer.json()
    }

    pub fn metrics(&self) -> String {
        let answer = self.request("GET", "/metrics", "");
        assert_eq!(answer.status, 200);
        answer.body
    }

    /// The log so far.
    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn finish_log(&mut self) -> String {
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        self.log()
    }

    /// Sends SIGTERM and waits for the exit; returns the status and the whole log.
    pub fn stop(self) -> (ExitStatus, String) {
        self.stop_with("TERM")
    }

    /// Sends signal `name` (`TERM`, `INT`) and waits for the exit.
    pub fn stop_with(mut self, name: &str) -> (ExitStatus, String) {
        signal(&self.child, name);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let log = self.finish_log();
                return (status, log);
            }
            if Instant::now() > deadline {
                self.child.kill().unwrap();
                panic!("medianode did not stop within 10 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        // A test that failed half-way must not leave its node running.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

/// Sums the samples of metric `name` whose labels contain every one of `labels`.
pub fn metric_sum(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| line.split(['{', ' ']).next() == Some(name))
        .filter(|line| labels.iter().all(|label| line.contains(label)))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// An RTP packet (RFC 3550) with one RFC 6464 audio-level element (one-byte header form,
/// RFC 8285) under extension id `ext_id`: voice activity set, `level` in -dBov.
pub fn rtp_with_level(
    payload_type: u8,
    seq: u16,
    timestamp: u32,
    ssrc: u32,
    ext_id: u8,
    level: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut packet = vec![0x90, payload_type & 0x7f];
    packet.extend_from_slice(&seq.to_be_bytes());
    packet.extend_from_slice(&timestamp.to_be_bytes());
    packet.extend_from_slice(&ssrc.to_be_bytes());
    // Extension header: profile 0xBEDE, one 32-bit word of elements.
    packet.extend_from_slice(&[0xbe, 0xde, 0x00, 0x01]);
    // Element: id, length - 1 = 0; then V bit and level; two bytes of padding.
    packet.extend_from_slice(&[ext_id << 4, 0x80 | (level & 0x7f), 0, 0]);
    packet.extend_from_slice(payload);
    packet
}

/// The RTP header fields a test checks: (sequence, timestamp, SSRC), if `packet` is RTP
/// and not RTCP (RFC 5761: packet types 192..=223 in the second byte are RTCP).
pub fn rtp_fields(packet: &[u8]) -> Option<(u16, u32, u32)> {
    if packet.len() < 12 || packet[0] >> 6 != 2 || (192..=223).contains(&packet[1]) {
        return None;
    }
    let seq = u16::from_be_bytes([packet[2], packet[3]]);
    let ts = u32::from_be_bytes([packet[4], packet[5], packet[6], packet[7]]);
    let ssrc = u32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]]);
    Some((seq, ts, ssrc))
}

/// Whether `packet` is RTCP (RFC 5761 demultiplexing).
pub fn is_rtcp(packet: &[u8]) -> bool {
    packet.len() >= 8 && packet[0] >> 6 == 2 && (192..=223).contains(&packet[1])
}

/// A UDP socket standing for one endpoint, on loopback.
pub fn endpoint() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_nonblocking(true).unwrap();
    socket
}

/// Every datagram waiting on `socket` now.
pub fn drain(socket: &UdpSocket, into: &mut Vec<Vec<u8>>) {
    let mut buf = [0u8; 2048];
    loop {
        match socket.recv(&mut buf) {
            Ok(n) => into.push(buf[..n].to_vec()),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
            // ICMP errors from earlier sends surface here; they are not datagrams.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {}
            Err(e) => panic!("receive failed: {e}"),
        }
    }
}

/// `len` random bytes from the OS.
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).unwrap();
    bytes
}

/// SDES `inline:` text (RFC 4568) for raw key||salt bytes.
pub fn inline_key(key_salt: &[u8]) -> String {
    use base64::Engine;
    format!(
        "inline:{}",
        base64::engine::general_purpose::STANDARD.encode(key_salt)
    )
}

/// Raw key||salt bytes of SDES `inline:` text.
pub fn key_bytes(inline: &str) -> Vec<u8> {
    use base64::Engine;
    let text = inline.strip_prefix("inline:").unwrap_or(inline);
    let text = text.split('|').next().unwrap();
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}
