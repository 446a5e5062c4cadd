//! Media through the real binary, set up over its admin API: three conferences of five legs
//! (plain RTP, hop-by-hop SRTP, end-to-end SRTP), each selecting its loudest 2 talkers while
//! 2 endpoints are loud and 3 quiet (RFC 6464 levels). Every leg must receive exactly the
//! other loud talkers of its own conference: hop-by-hop legs under the key the API returned
//! for them (checked by libsrtp2), end-to-end legs byte for byte what was sent. Run on each
//! I/O backend.

mod support;

use std::collections::{BTreeSet, HashMap};
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use libsrtp2_peer::{Direction, Libsrtp2Session, SessionConfig, Suite};
use serde_json::{json, Value};
use support::*;

const ROUNDS: u16 = 40;
/// Loud and quiet levels in -dBov (RFC 6464): the node counts 70 and quieter as silence.
const LOUD: u8 = 10;
const QUIET: u8 = 90;
const LEVEL_EXT_ID: u8 = 1;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Plain,
    HopByHop,
    EndToEnd,
}

struct Endpoint {
    socket: UdpSocket,
    leg: String,
    local: SocketAddr,
    ssrc: u32,
    loud: bool,
    /// Protects what the endpoint sends (its own key, or the conference key).
    sender: Option<Libsrtp2Session>,
    /// Unprotects what it receives (the node's key for it, or the conference key).
    receiver: Option<Libsrtp2Session>,
    received: Vec<Vec<u8>>,
}

struct Conference {
    kind: Kind,
    id: String,
    endpoints: Vec<Endpoint>,
    /// (SSRC, sequence) to the packet in clear and as sent on the wire.
    sent: HashMap<(u32, u16), (Vec<u8>, Vec<u8>)>,
    /// Every key that went over the API, to check none reaches the log.
    keys: Vec<String>,
}

fn session(suite: Suite, key: &[u8], direction: Direction) -> Libsrtp2Session {
    Libsrtp2Session::new(&SessionConfig::new(suite, key, direction))
        .expect("libsrtp2 takes the key")
}

fn suite_for(index: usize) -> (Suite, &'static str) {
    if index.is_multiple_of(2) {
        (Suite::AesCm128HmacSha1_80, "AES_CM_128_HMAC_SHA1_80")
    } else {
        (Suite::AeadAes128Gcm, "AEAD_AES_128_GCM")
    }
}

fn set_up(node: &NodeProcess, kind: Kind, first_ssrc: u32) -> Conference {
    let id = node.create("/v1/conferences", &json!({ "loudest_n": 2 }))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let conference_key = random_bytes(Suite::AesCm128HmacSha1_80.master_key_and_salt_len());
    let mut keys = vec![inline_key(&conference_key)];
    let mut endpoints = Vec::new();
    for i in 0..5usize {
        let socket = endpoint();
        let mut body = json!({ "codec": "PCMU", "audio_level_id": LEVEL_EXT_ID });
        // Even legs are told their endpoint's address; odd ones latch onto it.
        if i.is_multiple_of(2) {
            body["remote"] = Value::from(socket.local_addr().unwrap().to_string());
        }
        let (suite, suite_name) = suite_for(i);
        let mut sender = None;
        match kind {
            Kind::Plain => {}
            Kind::HopByHop => {
                let rx = random_bytes(suite.master_key_and_salt_len());
                body["srtp"] = json!({ "suite": suite_name, "rx_key": inline_key(&rx) });
                keys.push(inline_key(&rx));
                if i == 0 {
                    let tx = inline_key(&random_bytes(suite.master_key_and_salt_len()));
                    body["srtp"]["tx_key"] = Value::from(tx);
                }
                sender = Some(session(suite, &rx, Direction::Outbound));
            }
            Kind::EndToEnd => {
                body["mode"] = Value::from("end_to_end");
                let suite = Suite::AesCm128HmacSha1_80;
                sender = Some(session(suite, &conference_key, Direction::Outbound));
            }
        }
        let answer = node.create(&format!("/v1/conferences/{id}/legs"), &body);
        let receiver = match kind {
            Kind::Plain => None,
            Kind::HopByHop => {
                let tx = answer["srtp"]["tx_key"].as_str().expect("a tx_key");
                if let Some(chosen) = body["srtp"]["tx_key"].as_str() {
                    assert_eq!(tx, chosen, "a chosen tx_key is kept");
                }
                keys.push(tx.to_owned());
                Some(session(suite, &key_bytes(tx), Direction::Inbound))
            }
            Kind::EndToEnd => {
                assert!(answer.get("srtp").is_none(), "{answer}");
                let suite = Suite::AesCm128HmacSha1_80;
                Some(session(suite, &conference_key, Direction::Inbound))
            }
        };
        endpoints.push(Endpoint {
            socket,
            leg: answer["leg"].as_str().unwrap().to_owned(),
            local: answer["local"].as_str().unwrap().parse().unwrap(),
            ssrc: first_ssrc + i as u32,
            loud: i < 2,
            sender,
            receiver,
            received: Vec::new(),
        });
    }
    Conference {
        kind,
        id,
        endpoints,
        sent: HashMap::new(),
        keys,
    }
}

fn send_round(conference: &mut Conference, round: u16) {
    for endpoint in &mut conference.endpoints {
        let level = if endpoint.loud { LOUD } else { QUIET };
        let payload: Vec<u8> = (0..160)
            .map(|i| (endpoint.ssrc as u8) ^ (round as u8) ^ (i as u8))
            .collect();
        let seq = 1000 + round;
        let clear = rtp_with_level(
            0,
            seq,
            u32::from(round) * 160,
            endpoint.ssrc,
            LEVEL_EXT_ID,
            level,
            &payload,
        );
        let mut wire = clear.clone();
        if let Some(sender) = &mut endpoint.sender {
            sender.protect_rtp(&mut wire).unwrap();
        }
        endpoint.socket.send_to(&wire, endpoint.local).unwrap();
        conference.sent.insert((endpoint.ssrc, seq), (clear, wire));
    }
}

/// Checks what every endpoint of `conference` received.
fn check_received(conference: &mut Conference) {
    let loud: BTreeSet<u32> = conference
        .endpoints
        .iter()
        .filter(|e| e.loud)
        .map(|e| e.ssrc)
        .collect();
    let kind = conference.kind;
    for endpoint in &mut conference.endpoints {
        let expected: BTreeSet<u32> = loud
            .iter()
            .copied()
            .filter(|&s| s != endpoint.ssrc)
            .collect();
        let mut per_source: HashMap<u32, usize> = HashMap::new();
        for packet in &endpoint.received {
            if is_rtcp(packet) {
                let mut report = packet.clone();
                match kind {
                    Kind::HopByHop => endpoint
                        .receiver
                        .as_mut()
                        .unwrap()
                        .unprotect_rtcp(&mut report)
                        .expect("the node's SRTCP unprotects with the leg's key"),
                    Kind::Plain => {}
                    Kind::EndToEnd => panic!("the node sent its own RTCP to an end-to-end leg"),
                }
                continue;
            }
            let mut clear = packet.clone();
            if let Some(receiver) = &mut endpoint.receiver {
                receiver
                    .unprotect_rtp(&mut clear)
                    .unwrap_or_else(|e| panic!("{kind:?} leg {}: {e}", endpoint.leg));
            }
            let (seq, _, ssrc) = rtp_fields(&clear).expect("RTP");
            assert!(
                expected.contains(&ssrc),
                "{kind:?} leg {} (ssrc {:#x}) got ssrc {ssrc:#x}; only {expected:x?} may reach it",
                endpoint.leg,
                endpoint.ssrc
            );
            let (sent_clear, sent_wire) = &conference.sent[&(ssrc, seq)];
            assert_eq!(&clear, sent_clear, "payload and header intact");
            if kind == Kind::EndToEnd {
                assert_eq!(
                    packet, sent_wire,
                    "end-to-end bytes are forwarded untouched"
                );
            }
            *per_source.entry(ssrc).or_default() += 1;
        }
        let got: BTreeSet<u32> = per_source.keys().copied().collect();
        assert_eq!(got, expected, "{kind:?} leg {}", endpoint.leg);
        for (ssrc, count) in per_source {
            // A latching leg misses what was sent before its own first packet.
            assert!(
                count >= usize::from(ROUNDS) - 2,
                "{kind:?} leg {} got {count} packets of {ssrc:#x}",
                endpoint.leg
            );
        }
    }
}

fn three_conferences_of_five(backend: &str, http_port: u16, ports: (u16, u16)) -> NodeProcess {
    let dir = scratch_dir(&format!("media-{backend}"));
    let config = write_config(
        &dir,
        &format!(
            "[runtime]\ncores = {}\nio_backend = \"{backend}\"\nhousekeeping_ms = 5\n\
             [media]\nport_min = {}\nport_max = {}\n\
             [http]\nlisten = \"127.0.0.1:{http_port}\"\n",
            cores_to_use(),
            ports.0,
            ports.1
        ),
    );
    let node = NodeProcess::start(&config, http_port);
    let mut conferences = vec![
        set_up(&node, Kind::Plain, 0x1000_0000),
        set_up(&node, Kind::HopByHop, 0x2000_0000),
        set_up(&node, Kind::EndToEnd, 0x3000_0000),
    ];
    for round in 0..ROUNDS {
        for conference in &mut conferences {
            send_round(conference, round);
        }
        std::thread::sleep(Duration::from_millis(20));
        for endpoint in conferences.iter_mut().flat_map(|c| c.endpoints.iter_mut()) {
            drain(&endpoint.socket, &mut endpoint.received);
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    for endpoint in conferences.iter_mut().flat_map(|c| c.endpoints.iter_mut()) {
        drain(&endpoint.socket, &mut endpoint.received);
    }
    for conference in &mut conferences {
        check_received(conference);
    }

    // The API shows the same talkers and counters.
    let list = node.get_json("/v1/conferences");
    assert_eq!(list["conferences"].as_array().unwrap().len(), 3, "{list}");
    for conference in &conferences {
        let loud: BTreeSet<&str> = conference
            .endpoints
            .iter()
            .filter(|e| e.loud)
            .map(|e| e.leg.as_str())
            .collect();
        let detail = node.get_json(&format!("/v1/conferences/{}", conference.id));
        let talkers: BTreeSet<&str> = detail["talkers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert_eq!(talkers, loud, "{detail}");
        for leg in detail["legs"].as_array().unwrap() {
            assert_eq!(leg["packets_received"], ROUNDS, "{leg}");
            assert_eq!(leg["packets_lost"], 0, "{leg}");
        }
        let listed = list["conferences"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == conference.id.as_str())
            .unwrap();
        let listed_talkers: BTreeSet<&str> = listed["talkers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert_eq!(
            listed_talkers, loud,
            "talker events reached the control side"
        );
    }
    let metrics = node.metrics();
    let packets_in = metric_sum(&metrics, "medianode_core_packets_in_total", &[]);
    assert!(packets_in >= f64::from(15 * ROUNDS), "{metrics}");
    let not_selected = metric_sum(
        &metrics,
        "medianode_core_drops_total",
        &["reason=\"not_selected\""],
    );
    assert!(not_selected >= f64::from(9 * (ROUNDS - 1)), "{metrics}");
    let auth = metric_sum(
        &metrics,
        "medianode_core_drops_total",
        &["reason=\"srtp_auth\""],
    );
    assert_eq!(auth, 0.0, "{metrics}");
    let batches = metric_sum(&metrics, "medianode_core_recv_batch_size_count", &[]);
    assert!(batches > 0.0, "{metrics}");

    let keys: Vec<String> = conferences.iter().flat_map(|c| c.keys.clone()).collect();
    let log = node.log();
    for key in keys {
        let secret = key.trim_start_matches("inline:");
        assert!(!log.contains(secret), "a key reached the log");
    }
    node
}

#[test]
fn three_conferences_of_five_legs_on_the_default_backend() {
    let node = three_conferences_of_five("auto", free_port(), (33000, 33099));
    let (exit, log) = node.stop();
    assert!(exit.success(), "{log}");
    assert!(log.contains("leg added"), "{log}");
}

#[test]
fn three_conferences_of_five_legs_without_io_uring() {
    let node = three_conferences_of_five("threads", free_port(), (33100, 33199));
    let metrics = node.metrics();
    for core in 0..cores_to_use() {
        let shell = format!("medianode_core_up{{core=\"{core}\",backend=\"threads\"}} 1");
        let io = format!("medianode_core_packet_io{{core=\"{core}\",backend=\"mmsg\"}} 1");
        assert!(metrics.contains(&shell), "{metrics}");
        assert!(metrics.contains(&io), "{metrics}");
    }
    let (exit, log) = node.stop();
    assert!(exit.success(), "{log}");
}
