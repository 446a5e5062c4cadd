//! The admin API against a real one-core runtime (threads, loopback sockets): what each
//! request answers and what it changes on the core.

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use medianode_dataplane::srtp::{SdesKey, SrtpSuite};
use serde_json::{json, Value};

use super::*;
use crate::config::{Config, IoBackend};
use crate::metrics::CoreMetrics;
use crate::runtime::Runtime;

struct TestNode {
    api: AdminApi,
    runtime: Runtime,
}

impl Drop for TestNode {
    fn drop(&mut self) {
        self.runtime.shutdown();
    }
}

fn node(port_min: u16, port_max: u16) -> TestNode {
    let mut config = Config::default();
    config.runtime.cores = 1;
    config.runtime.io_backend = IoBackend::Threads;
    config.runtime.housekeeping_ms = 5;
    config.media.port_min = port_min;
    config.media.port_max = port_max;
    let metrics = vec![Arc::new(CoreMetrics::new(0))];
    let (events_tx, events_rx) = crossbeam_channel::bounded(1024);
    let runtime = Runtime::start(&config, Instant::now(), &metrics, events_tx).unwrap();
    let registry = Arc::new(Mutex::new(Registry::new(1)));
    events::spawn(
        events_rx,
        registry.clone(),
        super::calls::SipSlot::default(),
    )
    .unwrap();
    let client = CoreClient::new(runtime.command_senders(), Duration::from_secs(2));
    TestNode {
        api: AdminApi::new(client, registry),
        runtime,
    }
}

fn call(api: &AdminApi, method: Method, path: &str, body: Value) -> (u16, Value) {
    let text = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let answer = api.handle(&method, path, text.as_bytes());
    (answer.status, answer.body.unwrap_or(Value::Null))
}

fn create(api: &AdminApi, body: Value) -> String {
    let (status, answer) = call(api, Method::Post, "/v1/conferences", body);
    assert_eq!(status, 201, "{answer}");
    answer["id"].as_str().unwrap().to_owned()
}

fn add_leg(api: &AdminApi, conference: &str, body: Value) -> Value {
    let path = format!("/v1/conferences/{conference}/legs");
    let (status, answer) = call(api, Method::Post, &path, body);
    assert_eq!(status, 201, "{answer}");
    answer
}

fn assert_bad_field(api: &AdminApi, method: Method, path: &str, body: Value, field: &str) {
    let (status, answer) = call(api, method, path, body.clone());
    assert_eq!(status, 400, "{body} -> {answer}");
    assert_eq!(answer["field"], field, "{body} -> {answer}");
    let message = answer["error"].as_str().unwrap();
    assert!(message.contains(field), "{message}");
}

#[test]
fn conferences_are_created_listed_changed_and_removed() {
    let node = node(31000, 31019);
    let api = &node.api;
    let id = create(api, json!({ "loudest_n": 3 }));
    let other = create(api, Value::Null);
    assert_ne!(id, other);

    let (status, list) = call(api, Method::Get, "/v1/conferences", Value::Null);
    assert_eq!(status, 200);
    let ids: Vec<&str> = list["conferences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![id.as_str(), other.as_str()]);

    let path = format!("/v1/conferences/{id}");
    let (status, patched) = call(api, Method::Patch, &path, json!({ "loudest_n": 2 }));
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["policy"]["loudest_n"], 2);
    assert_eq!(patched["policy"]["mode"], "loudest");
    let (_, detail) = call(api, Method::Get, &path, Value::Null);
    assert_eq!(
        detail["policy"]["loudest_n"], 2,
        "the core's policy: {detail}"
    );

    let (status, patched) = call(api, Method::Patch, &path, json!({ "mode": "all" }));
    assert_eq!(status, 200);
    let (_, detail) = call(api, Method::Get, &path, Value::Null);
    assert_eq!(detail["policy"]["mode"], "all", "{detail}");
    assert_eq!(patched["policy"]["mode"], "all");
    assert_bad_field(api, Method::Patch, &path, json!({}), "body");
    assert_bad_field(api, Method::Patch, &path, json!({ "mode": "loud" }), "mode");

    let (status, _) = call(api, Method::Delete, &path, Value::Null);
    assert_eq!(status, 204);
    let (status, answer) = call(api, Method::Get, &path, Value::Null);
    assert_eq!(status, 404, "{answer}");
    let (status, _) = call(api, Method::Delete, &path, Value::Null);
    assert_eq!(status, 404);
}

#[test]
fn bad_conference_requests_name_the_field() {
    let node = node(31020, 31029);
    let api = &node.api;
    for (body, field) in [
        (json!({ "loudest_n": "three" }), "loudest_n"),
        (json!({ "loudest_n": 0 }), "loudest_n"),
        (json!({ "loudest_n": 65 }), "loudest_n"),
        (json!({ "mode": 7 }), "mode"),
        (json!({ "loudest": 3 }), "loudest"),
        (json!([1, 2]), "body"),
    ] {
        assert_bad_field(api, Method::Post, "/v1/conferences", body, field);
    }
    let answer = api.handle(&Method::Post, "/v1/conferences", b"{\"loudest_n\": ");
    assert_eq!(answer.status, 400);
    assert_eq!(answer.body.unwrap()["field"], "body");
}

#[test]
fn unknown_paths_ids_and_methods() {
    let node = node(31030, 31039);
    let api = &node.api;
    for path in [
        "/v1/nope",
        "/v1/conferences/42",
        "/v1/conferences/x",
        "/v1/conferences/42/legs/1",
        "/v1/conferences/1/2/3/4/5",
    ] {
        let (status, _) = call(api, Method::Get, path, Value::Null);
        assert_eq!(status, 404, "{path}");
    }
    let (status, _) = call(
        api,
        Method::Post,
        "/v1/conferences/42/legs",
        json!({ "codec": "PCMU" }),
    );
    assert_eq!(status, 404);
    for (method, path, allow) in [
        (Method::Put, "/v1/conferences", "GET, POST"),
        (Method::Post, "/v1/conferences/1", "GET, PATCH, DELETE"),
        (Method::Get, "/v1/conferences/1/legs", "POST"),
        (Method::Patch, "/v1/conferences/1/legs/1", "GET, DELETE"),
        (Method::Get, "/v1/participants/alice/focus", "POST, DELETE"),
    ] {
        let answer = api.handle(&method, path, b"");
        assert_eq!(answer.status, 405, "{method} {path}");
        assert_eq!(answer.allow, Some(allow), "{method} {path}");
    }
}

#[test]
fn legs_get_a_port_of_the_core_and_keys_when_hop_by_hop() {
    let node = node(31040, 31049);
    let api = &node.api;
    let id = create(api, json!({ "loudest_n": 3 }));
    let plain = add_leg(
        api,
        &id,
        json!({ "codec": "PCMU", "remote": "127.0.0.1:40000", "audio_level_id": 1 }),
    );
    let local: std::net::SocketAddr = plain["local"].as_str().unwrap().parse().unwrap();
    assert!((31040..=31049).contains(&local.port()), "{local}");
    assert_eq!(plain["mode"], "plain");
    assert!(plain.get("srtp").is_none());

    let suite = SrtpSuite::AesCm128HmacSha1_80;
    let rx = super::srtp_keys::generate_key(suite).unwrap().to_string();
    let hbh = add_leg(
        api,
        &id,
        json!({ "codec": "PCMA", "srtp": { "suite": "AES_CM_128_HMAC_SHA1_80", "rx_key": rx } }),
    );
    assert_eq!(hbh["mode"], "hop_by_hop");
    let tx = hbh["srtp"]["tx_key"].as_str().unwrap();
    assert!(tx.starts_with("inline:"), "{tx}");
    assert_ne!(tx, rx, "the node's key is its own");
    SdesKey::parse(suite, tx).expect("a valid key for the suite");
    let hbh2 = add_leg(
        api,
        &id,
        json!({ "codec": "PCMA", "srtp": { "suite": "AES_CM_128_HMAC_SHA1_80", "rx_key": rx } }),
    );
    assert_ne!(hbh2["srtp"]["tx_key"], hbh["srtp"]["tx_key"]);
    let chosen = super::srtp_keys::generate_key(suite).unwrap().to_string();
    let given = add_leg(
        api,
        &id,
        json!({ "codec": "PCMU", "srtp": { "suite": "AES_CM_128_HMAC_SHA1_80",
                "rx_key": rx, "tx_key": chosen } }),
    );
    assert_eq!(given["srtp"]["tx_key"], chosen.as_str());
    let e2e = add_leg(api, &id, json!({ "codec": "opus", "mode": "end_to_end" }));
    assert_eq!(e2e["mode"], "end_to_end");
    assert_eq!(e2e["receive"], "streams", "streams by default");
    let mixed = add_leg(api, &id, json!({ "codec": "PCMU", "receive": "mix" }));
    assert_eq!(mixed["receive"], "mix");

    let (status, detail) = call(
        api,
        Method::Get,
        &format!("/v1/conferences/{id}"),
        Value::Null,
    );
    assert_eq!(status, 200);
    let legs = detail["legs"].as_array().unwrap();
    assert_eq!(legs.len(), 6);
    assert_eq!(legs[0]["remote"], "127.0.0.1:40000");
    assert_eq!(legs[1]["suite"], "AES_CM_128_HMAC_SHA1_80");
    assert_eq!(legs[4]["codec"], "opus");
    assert_eq!(legs[4]["receive"], "streams");
    assert_eq!(legs[5]["receive"], "mix");
    assert_eq!(detail["mixing"], true, "a mix leg starts the mixer");
    assert!(
        !detail.to_string().contains(tx),
        "keys stay out of reads: {detail}"
    );

    // Removing the leg closes its socket: the port can be bound again.
    let leg = plain["leg"].as_str().unwrap();
    let (status, _) = call(
        api,
        Method::Delete,
        &format!("/v1/conferences/{id}/legs/{leg}"),
        Value::Null,
    );
    assert_eq!(status, 204);
    UdpSocket::bind(local).expect("the removed leg's port is free");
    let (status, _) = call(
        api,
        Method::Get,
        &format!("/v1/conferences/{id}/legs/{leg}"),
        Value::Null,
    );
    assert_eq!(status, 404);
    let e2e_leg = e2e["leg"].as_str().unwrap();
    let (status, one) = call(
        api,
        Method::Get,
        &format!("/v1/conferences/{id}/legs/{e2e_leg}"),
        Value::Null,
    );
    assert_eq!(status, 200);
    assert_eq!(one["mode"], "end_to_end");
}

#[test]
fn bad_leg_requests_name_the_field_and_never_echo_keys() {
    let node = node(31050, 31059);
    let api = &node.api;
    let id = create(api, Value::Null);
    let path = format!("/v1/conferences/{id}/legs");
    let suite = SrtpSuite::AeadAes128Gcm;
    let good = super::srtp_keys::generate_key(suite).unwrap().to_string();
    // A 128-bit CM key is the wrong length for the GCM suite's 28 bytes.
    let short = super::srtp_keys::generate_key(SrtpSuite::AesCm128HmacSha1_80)
        .unwrap()
        .to_string();
    for (body, field) in [
        (json!({}), "codec"),
        (json!({ "codec": "G729" }), "codec"),
        (json!({ "codec": 0 }), "codec"),
        (json!({ "codec": "PCMU", "remote": "somewhere" }), "remote"),
        (
            json!({ "codec": "PCMU", "remote": "127.0.0.1:0" }),
            "remote",
        ),
        (
            json!({ "codec": "PCMU", "payload_type": 72 }),
            "payload_type",
        ),
        (
            json!({ "codec": "PCMU", "telephone_event": 0 }),
            "telephone_event",
        ),
        (
            json!({ "codec": "PCMU", "audio_level_id": 0 }),
            "audio_level_id",
        ),
        (json!({ "codec": "PCMU", "mode": "sideways" }), "mode"),
        (json!({ "codec": "PCMU", "mode": "hop_by_hop" }), "srtp"),
        (
            json!({ "codec": "PCMU", "participant": "a b" }),
            "participant",
        ),
        (json!({ "codec": "PCMU", "colour": "blue" }), "colour"),
        (json!({ "codec": "PCMU", "receive": "both" }), "receive"),
        (json!({ "codec": "PCMU", "receive": true }), "receive"),
        (
            json!({ "codec": "opus", "mode": "end_to_end", "receive": "mix" }),
            "receive",
        ),
        (json!({ "codec": "PCMU", "srtp": "yes" }), "srtp"),
        (json!({ "codec": "PCMU", "srtp": {} }), "srtp.suite"),
        (
            json!({ "codec": "PCMU", "srtp": { "suite": "AES_CM_64" } }),
            "srtp.suite",
        ),
        (
            json!({ "codec": "PCMU", "srtp": { "suite": "AEAD_AES_128_GCM" } }),
            "srtp.rx_key",
        ),
        (
            json!({ "codec": "PCMU", "srtp": { "suite": "AEAD_AES_128_GCM", "rx_key": short } }),
            "srtp.rx_key",
        ),
        (
            json!({ "codec": "PCMU", "srtp": { "suite": "AEAD_AES_128_GCM", "rx_key": good,
                    "tx_key": "inline:%%%" } }),
            "srtp.tx_key",
        ),
        (
            json!({ "codec": "PCMU", "mode": "end_to_end",
                    "srtp": { "suite": "AEAD_AES_128_GCM", "rx_key": good } }),
            "srtp",
        ),
        (
            json!({ "codec": "PCMU", "mode": "plain",
                    "srtp": { "suite": "AEAD_AES_128_GCM", "rx_key": good } }),
            "mode",
        ),
    ] {
        let (status, answer) = call(api, Method::Post, &path, body.clone());
        assert_eq!(status, 400, "{body} -> {answer}");
        assert_eq!(answer["field"], field, "{body} -> {answer}");
        let text = answer.to_string();
        let secret = |key: &str| key.trim_start_matches("inline:").to_owned();
        assert!(!text.contains(&secret(&good)), "{text}");
        assert!(!text.contains(&secret(&short)), "{text}");
    }
}

#[test]
fn focus_suppresses_the_participants_other_legs_until_unfocused() {
    let node = node(31060, 31069);
    let api = &node.api;
    let a = create(api, json!({ "mode": "all" }));
    let b = create(api, json!({ "mode": "all" }));
    let c = create(api, json!({ "mode": "all" }));
    let in_a = add_leg(api, &a, json!({ "codec": "PCMU", "participant": "alice" }));
    let in_b = add_leg(api, &b, json!({ "codec": "PCMU", "participant": "alice" }));
    let (status, _) = call(
        api,
        Method::Post,
        &format!("/v1/conferences/{a}/legs"),
        json!({ "codec": "PCMU", "participant": "alice" }),
    );
    assert_eq!(status, 409, "one leg per participant and conference");

    let focus = "/v1/participants/alice/focus";
    let (status, answer) = call(api, Method::Post, focus, json!({ "conference": a }));
    assert_eq!(status, 200, "{answer}");
    let suppressed = |conference: &str, leg: &Value| {
        let (_, detail) = call(
            api,
            Method::Get,
            &format!(
                "/v1/conferences/{conference}/legs/{}",
                leg["leg"].as_str().unwrap()
            ),
            Value::Null,
        );
        detail["suppressed"].as_bool().unwrap()
    };
    assert!(!suppressed(&a, &in_a));
    assert!(suppressed(&b, &in_b));

    let (status, _) = call(api, Method::Post, focus, json!({ "conference": c }));
    assert_eq!(status, 409, "alice has no leg in c");
    let (status, _) = call(api, Method::Post, focus, json!({ "conference": "99" }));
    assert_eq!(status, 404);
    let (status, _) = call(
        api,
        Method::Post,
        "/v1/participants/bob/focus",
        json!({ "conference": a }),
    );
    assert_eq!(status, 404);
    assert_bad_field(api, Method::Post, focus, json!({}), "conference");

    let (status, _) = call(api, Method::Delete, focus, Value::Null);
    assert_eq!(status, 204);
    assert!(!suppressed(&b, &in_b));
    let (status, _) = call(api, Method::Delete, focus, Value::Null);
    assert_eq!(status, 404, "no focus left to remove");
}

#[test]
fn a_full_port_range_is_a_503_and_a_silent_core_too() {
    let node = node(31070, 31071);
    let api = &node.api;
    let id = create(api, Value::Null);
    add_leg(api, &id, json!({ "codec": "PCMU" }));
    add_leg(api, &id, json!({ "codec": "PCMU" }));
    let (status, answer) = call(
        api,
        Method::Post,
        &format!("/v1/conferences/{id}/legs"),
        json!({ "codec": "PCMU" }),
    );
    assert_eq!(status, 503, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("media.port_max"));

    let (silent_tx, _silent_rx) = crossbeam_channel::unbounded();
    let registry = Arc::new(Mutex::new(Registry::new(1)));
    let api = AdminApi::new(
        CoreClient::new(vec![silent_tx], Duration::from_millis(30)),
        registry.clone(),
    );
    let (status, answer) = call(&api, Method::Post, "/v1/conferences", Value::Null);
    assert_eq!(status, 503, "{answer}");
    assert_eq!(
        registry.lock().unwrap().conferences().count(),
        0,
        "a conference the core never confirmed is not listed"
    );
}

/// A G.711 mu-law byte of `sample` (ITU-T G.711: bias 0x84, segment search).
fn ulaw(sample: i16) -> u8 {
    let sign = if sample < 0 { 0x80 } else { 0 };
    let magnitude = (i32::from(sample).abs().min(32635) + 0x84) as u32;
    let exponent = (31 - magnitude.leading_zeros()).saturating_sub(7).min(7);
    let mantissa = (magnitude >> (exponent + 3)) & 0x0f;
    !(sign | (exponent << 4) as u8 | mantissa as u8)
}

/// The amplitude of `hz` in `pcm` (one DFT bin and its neighbours, Hann window).
fn tone_amplitude(pcm: &[i16], rate: u32, hz: f64) -> f64 {
    use std::f64::consts::PI;
    let n = pcm.len();
    let bin = (hz * n as f64 / f64::from(rate)).round() as usize;
    let power: f64 = (bin - 1..=bin + 1)
        .map(|k| {
            let (mut re, mut im) = (0.0, 0.0);
            for (i, &s) in pcm.iter().enumerate() {
                let w = 0.5 - 0.5 * (2.0 * PI * i as f64 / n as f64).cos();
                let angle = 2.0 * PI * (k * i) as f64 / n as f64;
                re += f64::from(s) * w * angle.cos();
                im -= f64::from(s) * w * angle.sin();
            }
            re * re + im * im
        })
        .sum();
    (power / 1.5).sqrt() * 4.0 / n as f64
}

/// The 16-bit samples of a WAV file's `data` chunk.
fn wav_samples(bytes: &[u8]) -> Vec<i16> {
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        let body = &bytes[at + 8..(at + 8 + len).min(bytes.len())];
        if id == b"data" {
            return body
                .chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]]))
                .collect();
        }
        at += 8 + len + (len & 1);
    }
    panic!("no data chunk");
}

#[test]
fn a_recording_is_sealed_and_plays_back_with_the_key_from_the_api() {
    use std::process::Command;

    let dir = std::env::temp_dir().join(format!("medianode-recording-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let token = "recording-token-for-tests";
    let recordings = Arc::new(
        crate::recording::Recordings::open(dir.join("files"), ":memory:", token)
            .expect("recordings open"),
    );
    let mut node = node(31190, 31199);
    node.api = AdminApi::new(node.api.client.clone(), node.api.registry.clone())
        .with_recordings(recordings.clone());
    let api = &node.api;
    let id = create(api, json!({ "loudest_n": 3 }));
    let talker = UdpSocket::bind("127.0.0.1:0").unwrap();
    let leg = add_leg(
        api,
        &id,
        json!({ "codec": "PCMU", "remote": talker.local_addr().unwrap().to_string() }),
    );
    let local: std::net::SocketAddr = leg["local"].as_str().unwrap().parse().unwrap();
    let path = format!("/v1/conferences/{id}/recording");
    let (status, started) = call(api, Method::Post, &path, Value::Null);
    assert_eq!(status, 201, "{started}");
    let (status, _) = call(api, Method::Post, &path, Value::Null);
    assert_eq!(status, 409, "one recording at a time");

    // 1.5 s of a 400 Hz tone, paced at 20 ms.
    let start = Instant::now();
    for round in 0..75u32 {
        let mut packet = vec![0x80, 0];
        packet.extend_from_slice(&(round as u16).to_be_bytes());
        packet.extend_from_slice(&(round * 160).to_be_bytes());
        packet.extend_from_slice(&0x4242u32.to_be_bytes());
        packet.extend((0..160).map(|i| {
            let t = f64::from(round * 160 + i) / 8000.0;
            ulaw((8000.0 * (2.0 * std::f64::consts::PI * 400.0 * t).sin()) as i16)
        }));
        talker.send_to(&packet, local).unwrap();
        let next = start + Duration::from_millis(20 * u64::from(round + 1));
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    let (status, stopped) = call(api, Method::Delete, &path, Value::Null);
    assert_eq!(status, 200, "{stopped}");
    // A loaded machine may make the core skip a few ticks; most must be there.
    assert!(stopped["frames"].as_u64().unwrap() >= 50, "{stopped}");
    let (status, _) = call(api, Method::Delete, &path, Value::Null);
    assert_eq!(status, 404, "nothing left to stop");

    let recording = started["recording"].as_str().unwrap();
    let file = std::path::PathBuf::from(started["file"].as_str().unwrap());
    let refused = api.recording_key(&Method::Get, recording, None);
    assert_eq!(refused.status, 401);
    let refused = api.recording_key(&Method::Get, recording, Some("Bearer wrong"));
    assert_eq!(refused.status, 401);
    assert_eq!(
        api.recording_key(&Method::Get, "999", Some(&format!("Bearer {token}")))
            .status,
        404
    );
    let answer = api.recording_key(&Method::Get, recording, Some(&format!("Bearer {token}")));
    assert_eq!(answer.status, 200);
    // The admin API's own token serves as well.
    let guarded = AdminApi::new(api.client.clone(), api.registry.clone())
        .with_recordings(recordings)
        .with_token(Some(token::AdminToken::new("admin-secret")));
    let by_admin = guarded.recording_key(&Method::Get, recording, Some("Bearer admin-secret"));
    assert_eq!(by_admin.status, 200);
    assert_eq!(
        by_admin.body.as_ref().unwrap()["key"],
        answer.body.as_ref().unwrap()["key"]
    );
    assert_eq!(
        guarded
            .recording_key(&Method::Get, recording, Some("Bearer wrong"))
            .status,
        401
    );
    let hex = answer.body.unwrap()["key"].as_str().unwrap().to_owned();
    let key: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let key: [u8; crate::recording::KEY_LEN] = key.try_into().unwrap();

    let sealed = std::fs::read(&file).unwrap();
    assert!(
        !sealed.windows(4).any(|w| w == b"OggS"),
        "no Ogg page in the clear"
    );
    let rejected = Command::new("opusdec")
        .arg(&file)
        .arg(dir.join("sealed.wav"))
        .output()
        .expect("opusdec (Debian opus-tools) must be installed");
    assert!(!rejected.status.success(), "opusdec read the sealed file");
    let ogg = crate::recording::open_sealed(&sealed, &key).expect("opens with the key");
    let clear = dir.join("clear.opus");
    std::fs::write(&clear, &ogg).unwrap();
    let info = Command::new("opusinfo")
        .arg(&clear)
        .output()
        .expect("opusinfo (Debian opus-tools) must be installed");
    let report = String::from_utf8_lossy(&info.stdout);
    assert!(info.status.success(), "{report}");
    assert!(report.contains("Channels: 1"), "{report}");
    assert!(!report.to_lowercase().contains("warning"), "{report}");
    let wav = dir.join("clear.wav");
    let decoded = Command::new("opusdec")
        .args(["--rate", "48000"])
        .arg(&clear)
        .arg(&wav)
        .output()
        .expect("opusdec");
    assert!(
        decoded.status.success(),
        "{}",
        String::from_utf8_lossy(&decoded.stderr)
    );
    let pcm = wav_samples(&std::fs::read(&wav).unwrap());
    assert!(pcm.len() >= 50 * 960, "{} samples", pcm.len());
    // 400 ms from the middle: the tone at its level, nothing at an unrelated frequency.
    let middle = &pcm[pcm.len() / 2 - 9600..pcm.len() / 2 + 9600];
    let tone = tone_amplitude(middle, 48_000, 400.0);
    let db = 20.0 * (tone / 8000.0).log10();
    assert!(db.abs() <= 1.0, "400 Hz at {tone:.0} ({db:+.2} dB)");
    assert!(tone_amplitude(middle, 48_000, 1100.0) < 80.0);
    std::fs::remove_dir_all(&dir).unwrap();
}
