//! The 49 RFC 4475 torture messages (fixtures/rfc4475) sent to the real server over UDP:
//! each gets exactly the answer the SIP core computes for it (the same bytes for a
//! rejection, nothing for a dropped message, a final answer from the registrar or focus
//! for an admitted request), and the server keeps answering OPTIONS throughout.

mod sip_support;
mod support;

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use medianode_control::sip::admission::{admit, Admission};
use medianode_control::sip::router::server_profile;
use sip_support::*;
use support::*;

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", "rfc4475"]
        .iter()
        .collect();
    let mut all: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let path = e.ok()?.path();
            let name = path.file_name()?.to_str()?.strip_suffix(".dat")?.to_owned();
            Some((name, std::fs::read(&path).ok()?))
        })
        .collect();
    all.sort();
    all
}

/// What the server should do with a message.
#[derive(Debug)]
enum Expect {
    /// Exactly these bytes back.
    Bytes(Vec<u8>),
    /// Nothing.
    Silence,
    /// A final response (any status) from the application.
    Final,
}

fn options_probe(socket: &UdpSocket, server: SocketAddr, n: usize) -> String {
    let call_id = format!("probe-{n}-{}", random_hex(4));
    let local = socket.local_addr().unwrap();
    let text = format!(
        "OPTIONS sip:probe@medianode.test SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKprobe{n}\r\n\
         Max-Forwards: 70\r\nTo: <sip:probe@medianode.test>\r\nFrom: <sip:test@medianode.test>;tag=p\r\n\
         Call-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    );
    socket.send_to(text.as_bytes(), server).unwrap();
    call_id
}

/// Every datagram up to the 200 answering probe `call_id`.
fn until_probe_answer(socket: &UdpSocket, call_id: &str, name: &str) -> Vec<Vec<u8>> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut before = Vec::new();
    let mut buf = vec![0u8; 65536];
    loop {
        assert!(
            Instant::now() < deadline,
            "{name}: the server stopped answering OPTIONS"
        );
        socket
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let Ok(n) = socket.recv(&mut buf) else {
            continue;
        };
        let datagram = buf[..n].to_vec();
        let text = String::from_utf8_lossy(&datagram);
        if text.contains(&format!("Call-ID: {call_id}\r\n")) {
            assert!(
                text.starts_with("SIP/2.0 200 OK\r\n"),
                "{name}: probe got {text}"
            );
            return before;
        }
        before.push(datagram);
    }
}

#[test]
fn every_torture_message_gets_the_cores_answer_from_the_running_server() {
    let dir = scratch_dir("sip-torture");
    let setup = SipNodeSetup {
        dir: &dir,
        users: &[("alice", "wonderland")],
        algorithms: "[\"SHA-256\", \"MD5\"]",
        media_ports: (36060, 36069),
        tls: None,
        // No retransmission of a 401 within the test: answers stay attributable.
        extra_sip: "t1_ms = 20000\nt2_ms = 40000\n",
    };
    let node = SipNode::start(&setup);
    let profile = server_profile();
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let messages = fixtures();
    assert_eq!(messages.len(), 49);
    let mut counts = [0usize; 3];
    for (n, (name, bytes)) in messages.iter().enumerate() {
        let is_request_needing_answer =
            |b: &[u8]| !b.starts_with(b"SIP/2.0") && !b.starts_with(b"ACK ");
        let expect = match admit(bytes, &profile) {
            Admission::Reject(rejection) => Expect::Bytes(rejection.bytes),
            Admission::Drop(_) => Expect::Silence,
            Admission::Accept(_) if is_request_needing_answer(bytes) => Expect::Final,
            Admission::Accept(_) => Expect::Silence,
        };
        socket.send_to(bytes, node.sip).unwrap();
        let probe = options_probe(&socket, node.sip, n);
        let answers = until_probe_answer(&socket, &probe, name);
        match expect {
            Expect::Bytes(expected) => {
                counts[0] += 1;
                assert_eq!(answers.len(), 1, "{name}: {answers:?}");
                assert_eq!(
                    String::from_utf8_lossy(&answers[0]),
                    String::from_utf8_lossy(&expected),
                    "{name}: the server's answer differs from the core's"
                );
            }
            Expect::Silence => {
                counts[1] += 1;
                assert!(
                    answers.is_empty(),
                    "{name}: expected silence, got {answers:?}"
                );
            }
            Expect::Final => {
                counts[2] += 1;
                let finals: Vec<u16> = answers
                    .iter()
                    .filter_map(|a| SipText::parse(&String::from_utf8_lossy(a)))
                    .map(|a| a.status())
                    .filter(|&s| s >= 200)
                    .collect();
                assert_eq!(finals.len(), 1, "{name}: {answers:?}");
                assert!(
                    matches!(finals[0], 200 | 401 | 404 | 481),
                    "{name}: unexpected {}",
                    finals[0]
                );
            }
        }
    }
    assert!(
        counts.iter().all(|&c| c > 0),
        "each kind of outcome was exercised: {counts:?}"
    );
    let (status, log) = node.process.stop();
    assert!(status.success(), "{log}");
}
