//! The admin API over HTTP on the real binary: the lifecycle of a conference and its legs,
//! and the errors an operator's client must be able to act on (400 naming the field, 404,
//! 405 with `Allow`, 413), counted in `/metrics`.

mod support;

use serde_json::json;
use support::*;

fn start(name: &str, ports: (u16, u16)) -> NodeProcess {
    let http_port = free_port();
    let dir = scratch_dir(name);
    let config = write_config(
        &dir,
        &format!(
            "[runtime]\ncores = 1\nio_backend = \"threads\"\nhousekeeping_ms = 5\n\
             [media]\nport_min = {}\nport_max = {}\n\
             [http]\nlisten = \"127.0.0.1:{http_port}\"\n",
            ports.0, ports.1
        ),
    );
    NodeProcess::start(&config, http_port)
}

#[test]
fn bad_requests_name_the_field_unknown_ids_are_404_and_wrong_methods_405() {
    let node = start("admin-errors", (33300, 33309));
    let id = node.create("/v1/conferences", &json!({ "loudest_n": 3 }))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let legs = format!("/v1/conferences/{id}/legs");

    for (path, body, field) in [
        ("/v1/conferences", r#"{"loudest_n": "3"}"#, "loudest_n"),
        ("/v1/conferences", r#"{"loudest_n": 3,"#, "body"),
        (legs.as_str(), r#"{"remote": "127.0.0.1:4000"}"#, "codec"),
        (
            legs.as_str(),
            r#"{"codec": "PCMU", "remote": "nowhere"}"#,
            "remote",
        ),
        (
            legs.as_str(),
            r#"{"codec": "PCMU", "srtp": {"suite": "AES_CM_128_HMAC_SHA1_80", "rx_key": "inline:short"}}"#,
            "srtp.rx_key",
        ),
    ] {
        let answer = node.request("POST", path, body);
        assert_eq!(answer.status, 400, "{body}: {}", answer.body);
        assert_eq!(answer.header("Content-Type"), Some("application/json"));
        let json = answer.json();
        assert_eq!(json["field"], field, "{body}: {json}");
        assert!(
            json["error"].as_str().unwrap().contains(field),
            "the message names {field}: {json}"
        );
    }
    let answer = node.request(
        "PATCH",
        &format!("/v1/conferences/{id}"),
        r#"{"loudest_n": 0}"#,
    );
    assert_eq!(answer.status, 400);
    assert_eq!(answer.json()["field"], "loudest_n");

    for (method, path) in [
        ("GET", "/v1/conferences/999"),
        ("DELETE", "/v1/conferences/999"),
        ("GET", "/v1/conferences/abc"),
        ("POST", "/v1/conferences/999/legs"),
        ("DELETE", &format!("/v1/conferences/{id}/legs/999") as &str),
        ("DELETE", "/v1/participants/nobody/focus"),
        ("GET", "/v1/nothing-here"),
    ] {
        let answer = node.request(method, path, r#"{"codec": "PCMU"}"#);
        assert_eq!(answer.status, 404, "{method} {path}: {}", answer.body);
        assert!(answer.json()["error"].is_string());
    }

    for (method, path, allow) in [
        ("PUT", "/v1/conferences", "GET, POST"),
        ("DELETE", "/v1/conferences", "GET, POST"),
        (
            "POST",
            &format!("/v1/conferences/{id}") as &str,
            "GET, PATCH, DELETE",
        ),
        ("GET", legs.as_str(), "POST"),
        ("GET", "/v1/participants/alice/focus", "POST, DELETE"),
    ] {
        let answer = node.request(method, path, "");
        assert_eq!(answer.status, 405, "{method} {path}: {}", answer.body);
        assert_eq!(answer.header("Allow"), Some(allow), "{method} {path}");
    }

    let huge = format!(r#"{{"codec": "{}"}}"#, "x".repeat(70 * 1024));
    assert_eq!(node.request("POST", &legs, &huge).status, 413);

    let metrics = node.metrics();
    assert!(
        metric_sum(&metrics, "medianode_admin_requests_total", &["4xx"]) >= 19.0,
        "{metrics}"
    );
    let (exit, log) = node.stop();
    assert!(exit.success(), "{log}");
}

#[test]
fn conferences_and_legs_live_and_die_through_the_api() {
    let node = start("admin-lifecycle", (33310, 33319));
    let created = node.create("/v1/conferences", &json!({ "loudest_n": 3 }));
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["policy"]["loudest_n"], 3);
    let legs = format!("/v1/conferences/{id}/legs");
    let a = node.create(&legs, &json!({ "codec": "PCMU", "participant": "alice" }));
    let b = node.create(&legs, &json!({ "codec": "PCMA", "remote": "127.0.0.1:9" }));
    let local: std::net::SocketAddr = a["local"].as_str().unwrap().parse().unwrap();
    assert!((33310..=33319).contains(&local.port()), "{a}");
    assert_eq!(local.ip().to_string(), "127.0.0.1");

    let answer = node.request(
        "PATCH",
        &format!("/v1/conferences/{id}"),
        r#"{"loudest_n": 2}"#,
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["policy"]["loudest_n"], 2);
    let detail = node.get_json(&format!("/v1/conferences/{id}"));
    assert_eq!(detail["policy"]["loudest_n"], 2);
    assert_eq!(detail["legs"].as_array().unwrap().len(), 2);
    assert_eq!(detail["legs"][0]["participant"], "alice");
    assert_eq!(detail["legs"][1]["remote"], "127.0.0.1:9");

    let b_leg = b["leg"].as_str().unwrap();
    let answer = node.request("DELETE", &format!("{legs}/{b_leg}"), "");
    assert_eq!(answer.status, 204);
    let detail = node.get_json(&format!("/v1/conferences/{id}"));
    assert_eq!(detail["legs"].as_array().unwrap().len(), 1);

    let answer = node.request("DELETE", &format!("/v1/conferences/{id}"), "");
    assert_eq!(answer.status, 204);
    std::net::UdpSocket::bind(local).expect("the conference's sockets are closed");
    let list = node.get_json("/v1/conferences");
    assert!(list["conferences"].as_array().unwrap().is_empty(), "{list}");
    // Cores publish their gauges at housekeeping, a few milliseconds after the change.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while metric_sum(&node.metrics(), "medianode_legs", &[]) != 0.0 {
        assert!(std::time::Instant::now() < deadline, "{}", node.metrics());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let (exit, log) = node.stop();
    assert!(exit.success(), "{log}");
    assert!(log.contains("conference removed"), "{log}");
}

#[test]
fn a_configured_token_guards_the_admin_api_but_not_health_or_metrics() {
    let http_port = free_port();
    let dir = scratch_dir("admin-token");
    let token = "a-long-enough-admin-token-42";
    let config = write_config(
        &dir,
        &format!(
            "[runtime]\ncores = 1\nio_backend = \"threads\"\nhousekeeping_ms = 5\n\
             [media]\nport_min = 33320\nport_max = 33329\n\
             [http]\nlisten = \"127.0.0.1:{http_port}\"\nadmin_token = \"{token}\"\n"
        ),
    );
    let node = NodeProcess::start(&config, http_port);
    let addr: std::net::SocketAddr = format!("127.0.0.1:{http_port}").parse().unwrap();
    let body = r#"{"loudest_n": 2}"#;

    for headers in [
        String::new(),
        "Authorization: Bearer wrong-token-of-the-same-size\r\n".to_owned(),
        format!("Authorization: Basic {token}\r\n"),
    ] {
        let answer = http_with_headers(addr, "POST", "/v1/conferences", &headers, body).unwrap();
        assert_eq!(answer.status, 401, "{headers:?}: {}", answer.body);
        assert!(answer
            .header("WWW-Authenticate")
            .is_some_and(|v| v.starts_with("Bearer")));
        assert!(answer.json()["error"]
            .as_str()
            .unwrap()
            .contains("http.admin_token"));
    }
    let listed = node.request("GET", "/v1/conferences", "");
    assert_eq!(listed.status, 401, "{}", listed.body);

    let bearer = format!("Authorization: Bearer {token}\r\n");
    let created = http_with_headers(addr, "POST", "/v1/conferences", &bearer, body).unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let listed = http_with_headers(addr, "GET", "/v1/conferences", &bearer, "").unwrap();
    assert_eq!(listed.status, 200);
    assert_eq!(
        listed.json()["conferences"].as_array().map(Vec::len),
        Some(1),
        "{}",
        listed.body
    );

    assert_eq!(node.request("GET", "/healthz", "").status, 200);
    let metrics = node.metrics();
    assert!(
        metrics.contains("medianode_admin_requests_total{status=\"4xx\"} 4"),
        "the four refusals are counted: {metrics}"
    );
}
