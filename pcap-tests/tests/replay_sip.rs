//! `rtp-replay --sip` against the real `medianode`: calls are set up through the node's
//! SIP with digest credentials (the first participant of each conference INVITEs the
//! factory and follows the 302, the others INVITE the conference URI), two runs at once,
//! one plain RTP and one SRTP with SDES keys from the SDP exchange. Each run is 2
//! conferences of 3 participants under the loudest-2 selection the node's `[sip]` section
//! sets, participant k talking in 2-second slot k for 4 s: no loss, and participants 0
//! and 1 hear each other while participant 2, who never talks, hears both. The node's log
//! shows every join came through SIP, and after the BYEs no conference is left. The node's
//! `/metrics` carries the conferences while they run, and afterwards the SIP transactions
//! by method and status and the legs' jitter and loss histograms.

mod replay_support;

use std::collections::BTreeSet;
use std::process::Child;
use std::time::{Duration, Instant};

use medianode_pcap_tests::fixtures::scratch_dir;
use replay_support::{http_get, spawn_replay, Node};
use serde_json::Value;

const CONFERENCES: usize = 2;
const PARTICIPANTS: usize = 3;
const USER: &str = "replay";
const PASSWORD: &str = "s3cret";

/// Waits for a replay process; its report, after checking it exited 0.
fn finish(child: Child, report: &std::path::Path) -> Value {
    let output = child.wait_with_output().expect("rtp-replay ran");
    assert!(
        output.status.success(),
        "rtp-replay failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap()
}

fn as_strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

fn check_report(report: &Value, srtp: bool) {
    let conferences = report["conferences"].as_array().unwrap();
    assert_eq!(conferences.len(), CONFERENCES, "{report}");
    assert_eq!(report["srtp"].is_null(), !srtp, "{}", report["srtp"]);
    for conference in conferences {
        let id = &conference["id"];
        assert_eq!(
            conference["policy"], "loudest 2",
            "{id}: the node's [sip] policy"
        );
        assert!(
            conference["expected"].as_u64().unwrap() > 200,
            "{id}: {conference}"
        );
        assert_eq!(conference["lost"], 0, "{id}");
        for field in ["misrouted", "corrupted", "duplicates", "srtp_failures"] {
            assert_eq!(conference[field], 0, "{id}: {field}");
        }
        let heard: Vec<BTreeSet<u64>> = conference["talkers"]["heard"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                h.as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_u64().unwrap())
                    .collect()
            })
            .collect();
        let expected = [
            BTreeSet::from([1]),
            BTreeSet::from([0]),
            BTreeSet::from([0, 1]),
        ];
        assert_eq!(heard, expected, "conference {id}");
    }
}

#[test]
fn conferences_set_up_over_sip_lose_nothing_and_forward_the_slot_talkers() {
    let node = Node::start_with_sip(
        "replay-sip",
        "loudest_n = 2\ndigest_algorithms = [\"SHA-256\", \"MD5\"]\n",
        &[(USER, PASSWORD)],
    );
    let sip = node.sip.expect("SIP listens").to_string();
    let dir = scratch_dir("replay-sip");
    let reports = [dir.join("plain.json"), dir.join("srtp.json")];
    let common = |report: &std::path::Path| -> Vec<String> {
        [
            "--sip",
            &sip,
            "--sip-domain",
            "medianode.test",
            "--sip-user",
            USER,
            "--sip-password",
            PASSWORD,
            "--conferences",
            &CONFERENCES.to_string(),
            "--participants",
            &PARTICIPANTS.to_string(),
            "--duration",
            "4",
            "--loop",
            "--levels",
            "slots",
            "--slot",
            "2s",
            "--max-loss",
            "0",
            "--check-talkers",
            "--report",
            report.to_str().unwrap(),
        ]
        .map(str::to_owned)
        .to_vec()
    };
    let plain_args = common(&reports[0]);
    let mut srtp_args = common(&reports[1]);
    srtp_args.extend(["--srtp".to_owned(), "AES_CM_128_HMAC_SHA1_80".to_owned()]);
    let plain = spawn_replay(&node, &as_strs(&plain_args));
    let srtp = spawn_replay(&node, &as_strs(&srtp_args));

    // While the replays run: one series per conference, with its three legs and traffic.
    let deadline = Instant::now() + Duration::from_secs(4);
    let running = loop {
        let text = metrics(&node);
        let legs: Vec<(String, f64)> = samples(&text, "medianode_conference_legs");
        let flowing = samples(&text, "medianode_conference_packets_in_total")
            .iter()
            .filter(|(_, packets)| *packets > 0.0)
            .count();
        if legs.len() == 2 * CONFERENCES && flowing == 2 * CONFERENCES {
            break legs;
        }
        assert!(
            Instant::now() < deadline,
            "conference series never showed: {text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(running.iter().all(|(_, legs)| *legs == 3.0), "{running:?}");
    check_report(&finish(plain, &reports[0]), false);
    check_report(&finish(srtp, &reports[1]), true);

    // Every participant joined through SIP, SRTP ones with SDES.
    let log = node.log_text();
    let joins: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("participant joined"))
        .collect();
    assert_eq!(joins.len(), 2 * CONFERENCES * PARTICIPANTS, "{log}");
    let secure = joins.iter().filter(|l| l.contains("secure=true")).count();
    assert_eq!(secure, CONFERENCES * PARTICIPANTS, "{log}");
    let created = log
        .lines()
        .filter(|l| l.contains("conference created through the factory"))
        .count();
    assert_eq!(created, 2 * CONFERENCES, "{log}");

    // Everyone said BYE: the node ended every conference.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = http_get(node.http, "/v1/conferences").unwrap();
        assert_eq!(status, 200);
        let list: Value = serde_json::from_str(&body).unwrap();
        if list["conferences"].as_array().is_some_and(Vec::is_empty) {
            break;
        }
        assert!(Instant::now() < deadline, "conferences left: {list}");
        std::thread::sleep(Duration::from_millis(50));
    }

    // The conference series go with the next publication (once a second); then the SIP
    // transactions the runs made, as the node counted them.
    let deadline = Instant::now() + Duration::from_secs(3);
    let text = loop {
        let text = metrics(&node);
        if samples(&text, "medianode_conference_legs").is_empty() {
            break text;
        }
        assert!(Instant::now() < deadline, "conference series left: {text}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let count = |role: &str, method: &str, status: u16| {
        let labels = format!("{{role=\"{role}\",method=\"{method}\",status=\"{status}\"}}");
        samples(&text, "medianode_sip_transactions_total")
            .into_iter()
            .find(|(l, _)| *l == labels)
            .map_or(0.0, |(_, v)| v)
    };
    let joins = (2 * CONFERENCES * PARTICIPANTS) as f64;
    assert_eq!(count("server", "INVITE", 200), joins, "{text}");
    assert_eq!(count("server", "INVITE", 302), (2 * CONFERENCES) as f64);
    assert!(count("server", "INVITE", 401) >= (2 * CONFERENCES) as f64);
    assert_eq!(count("server", "BYE", 200), joins);
    let observed: f64 = samples(&text, "medianode_leg_jitter_ms_count")
        .iter()
        .map(|(_, v)| v)
        .sum();
    assert!(observed >= joins, "every leg's jitter observed: {text}");
}

fn metrics(node: &Node) -> String {
    let (status, text) = http_get(node.http, "/metrics").unwrap();
    assert_eq!(status, 200);
    text
}

/// The samples of `name` in a Prometheus text: (label set as written, value).
fn samples(text: &str, name: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(name)?;
            let (labels, value) = rest.rsplit_once(' ')?;
            (labels.is_empty() || labels.starts_with('{'))
                .then(|| (labels.to_owned(), value.parse().ok()))
                .and_then(|(l, v)| Some((l, v?)))
        })
        .collect()
}
