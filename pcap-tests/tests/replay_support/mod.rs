//! What the replay tests share: the real `medianode` and `rtp-replay` binaries found in
//! the target directory (and refused when older than the library they are built from, so
//! a stale binary never passes for the code under test), a node started on its own ports,
//! a minimal HTTP GET, and the fixture's RTP payloads.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use medianode_pcap_tests::fixtures::{fixture, scratch_dir};
use medianode_tools::capture::CaptureReader;

/// The SIPp G.711 A-law capture every replay test plays.
pub const CAPTURE: &str = "sipp/g711a.pcap";

/// `target/<profile>`, where cargo put this test and the workspace's binaries.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test>-<hash>
    exe.parent()
        .and_then(Path::parent)
        .expect("the test runs from target/<profile>/deps")
        .to_path_buf()
}

/// `target/`, for artifacts a person should find (screenshots).
pub fn target_dir() -> PathBuf {
    let profile = profile_dir();
    profile.parent().map_or(profile.clone(), Path::to_path_buf)
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time of the files under `dir` (directories' own times change
/// when entries come and go, which rebuilds nothing).
fn newest_under(dir: &Path) -> Option<SystemTime> {
    let mut newest = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let time = if path.is_dir() {
            newest_under(&path)
        } else {
            modified(&path)
        };
        newest = newest.max(time);
    }
    newest
}

/// The binary `name` (override with the environment variable `env`), built from the
/// workspace crates `crates`. Panics when it is missing or older than any of their sources
/// or manifests: `cargo test --workspace` builds it; after `cargo test -p` alone, build it.
pub fn binary(name: &str, env: &str, crates: &[&str]) -> PathBuf {
    if let Some(path) = std::env::var_os(env) {
        return PathBuf::from(path);
    }
    let path = profile_dir().join(name);
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace holds this crate");
    let hint = format!(
        "{} is missing or older than its sources; build it first (`cargo test --workspace` \
         does, or `cargo build --bins`), or set {env}",
        path.display()
    );
    let built = modified(&path).unwrap_or_else(|| panic!("{hint}"));
    let newest_source = crates
        .iter()
        .flat_map(|krate| {
            let dir = workspace.join(krate);
            [
                newest_under(&dir.join("src")),
                modified(&dir.join("Cargo.toml")),
            ]
        })
        .flatten()
        .max();
    if let Some(source) = newest_source {
        assert!(built >= source, "{hint}");
    }
    path
}

/// The `medianode` binary.
pub fn medianode_bin() -> PathBuf {
    binary(
        "medianode",
        "MEDIANODE_BIN",
        &["control", "dataplane", "simd", "netio", "tools"],
    )
}

/// The `rtp-replay` binary.
pub fn rtp_replay_bin() -> PathBuf {
    binary(
        "rtp-replay",
        "RTP_REPLAY_BIN",
        &["tools", "dataplane", "simd"],
    )
}

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A running node, killed on drop; its log goes to a file in the scratch directory.
pub struct Node {
    child: Child,
    /// Its HTTP address.
    pub http: SocketAddr,
    /// Where its log is.
    pub log: PathBuf,
    /// Its SIP UDP address, when started with SIP.
    pub sip: Option<SocketAddr>,
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

impl Node {
    /// The log so far, without colours.
    pub fn log_text(&self) -> String {
        plain_log(&std::fs::read_to_string(&self.log).unwrap_or_default())
    }

    /// Starts the node with SIP on a free UDP port of 127.0.0.1 (domain `medianode.test`,
    /// users in memory): `sip` is more of its `[sip]` section and `users` its `[[users]]`
    /// as (name, password). Waits until it logs where SIP listens.
    pub fn start_with_sip(test: &str, sip: &str, users: &[(&str, &str)]) -> Node {
        let mut section = format!(
            "\n[sip]\nudp = [\"127.0.0.1:0\"]\ntcp = []\ntls = []\ndatabase = \":memory:\"\n\
             domain = \"medianode.test\"\n{sip}"
        );
        for (name, password) in users {
            section.push_str(&format!(
                "[[users]]\nname = \"{name}\"\npassword = \"{password}\"\n"
            ));
        }
        let mut node = Node::start_configured(test, &section, "info");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = node.log_text();
            let listening = log
                .lines()
                .find(|l| l.contains("SIP server listening"))
                .and_then(|line| {
                    let at = line.find("udp=[")? + 5;
                    let rest = &line[at..];
                    rest[..rest.find([']', ','])?].trim().parse().ok()
                });
            if let Some(address) = listening {
                node.sip = Some(address);
                return node;
            }
            assert!(Instant::now() < deadline, "SIP never listened: {log}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the node on two cores (or one), its own HTTP port and a media port range of
    /// its own, and waits until `/healthz` answers 200.
    pub fn start(test: &str) -> Node {
        // These tests use the admin API only: the SIP server stays off (so parallel nodes do
        // not compete for its port) and keeps nothing on disk. A build whose configuration
        // has no [sip] section yet refuses the key, and gets the rest.
        let without_sip = "\n[sip]\nudp = []\ntcp = []\ntls = []\ndatabase = \":memory:\"\n";
        Node::start_configured(test, without_sip, "warn")
    }

    /// Starts the node with `sip_section` (tried without it if the build refuses it) and
    /// log filter `filter`.
    fn start_configured(test: &str, sip_section: &str, filter: &str) -> Node {
        let dir = scratch_dir(test);
        let http_port = free_port();
        // A media range per node, derived from its HTTP port, so parallel tests do not
        // compete for ports.
        let base = 20_000 + (u32::from(http_port) % 40) * 1_000;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(2));
        let config = dir.join("medianode.toml");
        let base_config = format!(
            "[runtime]\ncores = {cores}\n\n[media]\nport_min = {base}\nport_max = {}\n\n\
             [http]\nlisten = \"127.0.0.1:{http_port}\"\n\n[log]\nfilter = \"{filter}\"\n",
            base + 999
        );
        std::fs::write(&config, format!("{base_config}{sip_section}")).expect("write the config");
        let valid = Command::new(medianode_bin())
            .arg("--config")
            .arg(&config)
            .arg("--check-config")
            .output()
            .is_ok_and(|o| o.status.success());
        if !valid {
            std::fs::write(&config, &base_config).expect("write the config");
        }
        let log = dir.join("medianode.log");
        let child = Command::new(medianode_bin())
            .arg("--config")
            .arg(&config)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).expect("log file"))
            .spawn()
            .expect("start medianode");
        let node = Node {
            child,
            http: SocketAddr::from(([127, 0, 0, 1], http_port)),
            log,
            sip: None,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok((200, _)) = http_get(node.http, "/healthz") {
                return node;
            }
            assert!(
                Instant::now() < deadline,
                "medianode did not become healthy: {}",
                std::fs::read_to_string(&node.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.http)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// GET `path`; status and body (read to its Content-Length, or to the end).
pub fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut received = Vec::new();
    let mut chunk = [0u8; 8192];
    let (head_len, body_len) = loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            break (received.len(), None);
        }
        received.extend_from_slice(&chunk[..n]);
        if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&received[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            break (end + 4, length);
        }
    };
    match body_len {
        Some(len) => {
            while received.len() < head_len + len {
                let n = stream.read(&mut chunk)?;
                if n == 0 {
                    break;
                }
                received.extend_from_slice(&chunk[..n]);
            }
        }
        None => {
            stream.read_to_end(&mut received)?;
        }
    }
    let text = String::from_utf8_lossy(&received).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .get(head_len.min(text.len())..)
        .unwrap_or("")
        .to_owned();
    Ok((status, body))
}

/// Runs `rtp-replay` against `node` with `args`, the fixture capture first.
pub fn replay(node: &Node, args: &[&str]) -> Output {
    let capture = fixture(CAPTURE);
    Command::new(rtp_replay_bin())
        .arg(&capture)
        .args(["--node", &node.url(), "--quiet"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run rtp-replay")
}

/// Starts `rtp-replay` in the background.
pub fn spawn_replay(node: &Node, args: &[&str]) -> Child {
    Command::new(rtp_replay_bin())
        .arg(fixture(CAPTURE))
        .args(["--node", &node.url(), "--quiet"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rtp-replay")
}

/// Panics with the replay's output unless it exited 0.
pub fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "rtp-replay failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The RTP payloads (after the 12-byte header: the capture has no CSRC or extension) of
/// the fixture capture.
pub fn fixture_payloads() -> HashSet<Vec<u8>> {
    let mut reader = CaptureReader::new(File::open(fixture(CAPTURE)).unwrap()).unwrap();
    let mut payloads = HashSet::new();
    while let Some(datagram) = reader.next_datagram() {
        let datagram = datagram.unwrap();
        assert_eq!(datagram.payload[0], 0x80, "plain RTP without extension");
        payloads.insert(datagram.payload[12..].to_vec());
    }
    assert!(payloads.len() > 100);
    payloads
}

/// The fields of an RTP packet built independently of the code under test: sequence
/// number, SSRC, the RFC 6464 level of extension `id` if present, and the payload.
pub fn rtp_parts(packet: &[u8], level_id: u8) -> Option<(u16, u32, Option<u8>, &[u8])> {
    if packet.len() < 12 || packet[0] >> 6 != 2 {
        return None;
    }
    let csrcs = usize::from(packet[0] & 0x0f);
    let mut at = 12 + 4 * csrcs;
    let seq = u16::from_be_bytes([packet[2], packet[3]]);
    let ssrc = u32::from_be_bytes(packet[8..12].try_into().ok()?);
    let mut level = None;
    if packet[0] & 0x10 != 0 {
        let profile = u16::from_be_bytes(packet.get(at..at + 2)?.try_into().ok()?);
        let words = usize::from(u16::from_be_bytes(
            packet.get(at + 2..at + 4)?.try_into().ok()?,
        ));
        let data = packet.get(at + 4..at + 4 + 4 * words)?;
        if profile == 0xBEDE {
            let mut i = 0;
            while i < data.len() {
                let id = data[i] >> 4;
                let len = usize::from(data[i] & 0x0f) + 1;
                if id == 0 {
                    i += 1;
                    continue;
                }
                if id == 15 {
                    break;
                }
                if id == level_id {
                    level = data.get(i + 1).map(|b| b & 0x7f);
                }
                i += 1 + len;
            }
        }
        at += 4 + 4 * words;
    }
    Some((seq, ssrc, level, packet.get(at..)?))
}
