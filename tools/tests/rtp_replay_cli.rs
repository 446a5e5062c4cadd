//! `rtp-replay` as a command, against a stand-in node written here: a tiny admin API and a
//! forwarder that sends each participant's packets to the others (`all` mode), with faults
//! it injects and counts itself: copies dropped, copies sent twice, and pairs of copies
//! swapped. The replay's report must find exactly those faults, so its loss, duplicate and
//! reordering counts are checked against a truth the replay never sees. Also: the help
//! says how calls are set up, and failures to set up exit with status 2.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rtp-replay");

/// Faults the forwarder injected, per kind.
#[derive(Debug, Default, Clone, Copy)]
struct Injected {
    dropped: u64,
    duplicated: u64,
    swapped: u64,
    forwarded: u64,
}

struct Leg {
    socket: UdpSocket,
    remote: SocketAddr,
}

/// The stand-in node: admin API on a TCP port, legs on UDP sockets.
struct FakeNode {
    http: SocketAddr,
    stop: Arc<AtomicBool>,
    injected: Arc<Mutex<Injected>>,
    threads: Vec<JoinHandle<()>>,
}

impl FakeNode {
    fn start() -> FakeNode {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let http = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let legs: Arc<Mutex<Vec<Leg>>> = Arc::default();
        let injected: Arc<Mutex<Injected>> = Arc::default();
        let api = {
            let (stop, legs) = (stop.clone(), legs.clone());
            std::thread::spawn(move || serve_api(&listener, &stop, &legs))
        };
        let forwarder = {
            let (stop, legs, injected) = (stop.clone(), legs.clone(), injected.clone());
            std::thread::spawn(move || forward(&stop, &legs, &injected))
        };
        FakeNode {
            http,
            stop,
            injected,
            threads: vec![api, forwarder],
        }
    }

    fn finish(mut self) -> Injected {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            thread.join().unwrap();
        }
        *self.injected.lock().unwrap()
    }
}

fn serve_api(listener: &TcpListener, stop: &AtomicBool, legs: &Mutex<Vec<Leg>>) {
    while !stop.load(Ordering::Relaxed) {
        let Ok((mut stream, _)) = listener.accept() else {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        };
        stream.set_nonblocking(false).unwrap();
        let mut request = Vec::new();
        let mut chunk = [0u8; 4096];
        // The replay sends the whole request and closes nothing: read the head, then the
        // body by its Content-Length.
        let (head, body) = loop {
            let n = stream.read(&mut chunk).unwrap();
            request.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&request).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if body.len() >= length {
                    break (head.to_owned(), body.to_owned());
                }
            }
        };
        let line = head.lines().next().unwrap().to_owned();
        let (status, answer) = if line.starts_with("POST /v1/conferences/1/legs") {
            let leg: Value = serde_json::from_str(&body).unwrap();
            let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
            socket.set_nonblocking(true).unwrap();
            let local = socket.local_addr().unwrap();
            let remote = leg["remote"].as_str().unwrap().parse().unwrap();
            let mut legs = legs.lock().unwrap();
            legs.push(Leg { socket, remote });
            (
                201,
                json!({"leg": legs.len().to_string(), "local": local.to_string(), "mode": "plain"}),
            )
        } else if line.starts_with("POST /v1/conferences") {
            (
                201,
                json!({"id": "1", "core": 0, "policy": {"mode": "all", "loudest_n": 3, "hold_ms": 1500, "smoothing_ms": 300}}),
            )
        } else if line.starts_with("DELETE /v1/conferences/1") {
            (204, Value::Null)
        } else {
            (404, json!({"error": "no such path"}))
        };
        let body = if answer.is_null() {
            String::new()
        } else {
            answer.to_string()
        };
        write!(
            stream,
            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
    }
}

/// Forwards every datagram to every other leg's remote, from that leg's socket. Copy n
/// (counted over all copies) is dropped when n % 50 == 7, sent twice when n % 50 == 19,
/// and held back to go after the next copy of the same sender to the same leg when
/// n % 50 == 33.
fn forward(stop: &AtomicBool, legs: &Mutex<Vec<Leg>>, injected: &Mutex<Injected>) {
    let mut copy = 0u64;
    let mut held: HashMap<(usize, usize), Vec<u8>> = HashMap::new();
    let mut buf = [0u8; 2048];
    while !stop.load(Ordering::Relaxed) {
        let legs = legs.lock().unwrap();
        let mut idle = true;
        for from in 0..legs.len() {
            let Ok(n) = legs[from].socket.recv(&mut buf) else {
                continue;
            };
            idle = false;
            let packet = &buf[..n];
            for to in (0..legs.len()).filter(|&to| to != from) {
                let leg = &legs[to];
                let mut counts = injected.lock().unwrap();
                copy += 1;
                match copy % 50 {
                    7 => {
                        counts.dropped += 1;
                        continue;
                    }
                    19 => {
                        counts.duplicated += 1;
                        leg.socket.send_to(packet, leg.remote).unwrap();
                    }
                    33 => {
                        counts.swapped += 1;
                        held.insert((from, to), packet.to_vec());
                        continue;
                    }
                    _ => {}
                }
                counts.forwarded += 1;
                leg.socket.send_to(packet, leg.remote).unwrap();
                if let Some(late) = held.remove(&(from, to)) {
                    leg.socket.send_to(&late, leg.remote).unwrap();
                }
            }
        }
        drop(legs);
        if idle {
            std::thread::sleep(Duration::from_micros(500));
        }
    }
}

#[test]
fn the_report_finds_exactly_the_faults_the_forwarder_injected() {
    let node = FakeNode::start();
    let dir = std::env::temp_dir().join(format!("rtp-replay-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let report_path = dir.join("report.json");
    let output = Command::new(BIN)
        .args([
            "--synthetic",
            "3",
            "--all",
            "--levels",
            "keep",
            "--participants",
            "3",
        ])
        .args(["--duration", "2", "--drain", "300ms", "--quiet"])
        .arg("--node")
        .arg(format!("http://{}", node.http))
        .arg("--report")
        .arg(&report_path)
        .args(["--max-loss", "0"])
        .output()
        .unwrap();
    let injected = node.finish();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "loss over 0 fails the run: {stdout}\n{stderr}"
    );
    assert!(stderr.contains("FAIL: loss"), "{stderr}");
    assert!(
        injected.dropped > 5 && injected.duplicated > 5 && injected.swapped > 5,
        "{injected:?}"
    );

    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    let total = &report["total"];
    // 3 participants x 2 s of 20 ms packets, each to the 2 others.
    assert_eq!(total["sent"], 300, "{total}");
    assert_eq!(total["expected"], 600);
    assert_eq!(total["lost"], injected.dropped, "{total} vs {injected:?}");
    assert_eq!(total["duplicates"], injected.duplicated);
    assert_eq!(total["reordered"], injected.swapped);
    assert_eq!(
        total["received"].as_u64().unwrap(),
        injected.forwarded + injected.swapped
    );
    assert_eq!(total["corrupted"], 0);
    assert_eq!(report["conferences"][0]["talkers"]["mismatched"], 0);
    assert!(stdout.contains("total"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn help_says_how_calls_are_set_up_and_setup_failures_exit_2() {
    let help = Command::new(BIN).arg("--help").output().unwrap();
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("admin API"), "{text}");
    assert!(
        text.contains("--sip") && text.contains("INVITEs the factory"),
        "{text}"
    );
    assert!(text.contains("--receive"), "{text}");

    // The mix is set up through the admin API, and its talkers are not read from packets.
    for (args, why) in [
        (
            &["--receive", "mix", "--sip", "127.0.0.1:9"][..],
            "--receive mix is set up through the admin API",
        ),
        (
            &["--receive", "mix", "--check-talkers"][..],
            "--check-talkers reads forwarded packets",
        ),
    ] {
        let refused = Command::new(BIN)
            .args(["--synthetic", "1", "--node", "127.0.0.1:9", "--quiet"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(refused.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(why), "{args:?}: {stderr}");
    }

    let missing = Command::new(BIN).arg("/nonexistent.pcap").output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent.pcap"));

    // Nothing listens on port 9 (discard) on loopback.
    let unreachable = Command::new(BIN)
        .args(["--synthetic", "1", "--node", "127.0.0.1:9", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(unreachable.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unreachable.stderr);
    assert!(stderr.contains("admin API unreachable"), "{stderr}");
}
