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
    events::spawn(events_rx, registry.clone()).unwrap();
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

    let (status, detail) = call(
        api,
        Method::Get,
        &format!("/v1/conferences/{id}"),
        Value::Null,
    );
    assert_eq!(status, 200);
    let legs = detail["legs"].as_array().unwrap();
    assert_eq!(legs.len(), 5);
    assert_eq!(legs[0]["remote"], "127.0.0.1:40000");
    assert_eq!(legs[1]["suite"], "AES_CM_128_HMAC_SHA1_80");
    assert_eq!(legs[4]["codec"], "opus");
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
