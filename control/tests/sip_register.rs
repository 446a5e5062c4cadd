//! The registrar through the real binary: SIPp REGISTER with a digest challenge over UDP
//! and TCP (401, then 200), a wrong password (403), bindings that survive a restart
//! (SQLite), and users provisioned through the admin API.

mod sip_support;
mod support;

use std::process::Output;

use serde_json::{json, Value};
use sip_support::*;
use support::*;

fn sipp_register(
    node: &SipNode,
    dir: &std::path::Path,
    scenario_file: &str,
    user: &str,
    password: &str,
    tcp: bool,
) -> Output {
    let server = if tcp { node.tcp } else { node.sip }.to_string();
    let port = free_port().to_string();
    let mut args = vec![
        server.as_str(),
        "-sf",
        scenario_file,
        "-s",
        user,
        "-au",
        user,
        "-ap",
        password,
        "-m",
        "1",
        "-i",
        "127.0.0.1",
        "-p",
        &port,
        "-nostdin",
        "-timeout",
        "15",
        "-timeout_error",
    ];
    if tcp {
        args.extend(["-t", "t1"]);
    }
    sipp(&args, dir)
}

fn assert_sipp_ok(output: &Output, what: &str, node: &SipNode) {
    assert!(
        output.status.success(),
        "{what}: sipp failed ({})\nstdout: {}\nstderr: {}\nnode log: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        node.process.log()
    );
}

fn bindings(node: &SipNode, user: &str) -> Vec<Value> {
    node.process.get_json(&format!("/v1/users/{user}"))["bindings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

const USERS: &[(&str, &str)] = &[("alice", "wonderland"), ("bob", "builder")];

#[test]
fn sipp_registers_with_digest_a_wrong_password_gets_403_and_bindings_survive_a_restart() {
    let dir = scratch_dir("sip-register");
    let setup = SipNodeSetup {
        dir: &dir,
        users: USERS,
        algorithms: "[\"MD5\"]",
        media_ports: (36000, 36019),
        tls: None,
        extra_sip: "",
    };
    let node = SipNode::start(&setup);
    let register = scenario("register.xml");
    let output = sipp_register(&node, &dir, &register, "alice", "wonderland", false);
    assert_sipp_ok(&output, "alice over UDP", &node);
    let output = sipp_register(&node, &dir, &register, "bob", "builder", true);
    assert_sipp_ok(&output, "bob over TCP", &node);
    let wrong = scenario("register_wrong_password.xml");
    let output = sipp_register(&node, &dir, &wrong, "alice", "not-the-password", false);
    assert_sipp_ok(&output, "a wrong password gets 403", &node);

    let alice = bindings(&node, "alice");
    assert_eq!(alice.len(), 1, "{alice:?}");
    assert!(alice[0]["contact"]
        .as_str()
        .unwrap()
        .starts_with("sip:alice@127.0.0.1:"));
    assert!(alice[0]["source"]
        .as_str()
        .unwrap()
        .starts_with("udp:127.0.0.1:"));
    let left = alice[0]["expires_in"].as_u64().unwrap();
    assert!((290..=300).contains(&left), "{left}");
    assert!(bindings(&node, "bob")[0]["source"]
        .as_str()
        .unwrap()
        .starts_with("tcp:"));

    // A restart keeps the registrations.
    let (status, log) = node.process.stop();
    assert!(status.success(), "{log}");
    assert!(log.contains("registered"), "{log}");
    let http_port = free_port();
    let config = std::fs::read_to_string(&node.config).unwrap();
    let old_http = config
        .lines()
        .find(|l| l.starts_with("listen = "))
        .unwrap()
        .to_owned();
    let config = config.replace(&old_http, &format!("listen = \"127.0.0.1:{http_port}\""));
    let path = write_config(&dir, &config);
    let node = SipNode::attach(NodeProcess::start(&path, http_port), path);
    let alice = bindings(&node, "alice");
    assert_eq!(alice.len(), 1, "after the restart: {alice:?}");
    assert!(alice[0]["expires_in"].as_u64().unwrap() <= left);
    assert_eq!(bindings(&node, "bob").len(), 1);

    // The registrar itself lists them too: a REGISTER without Contact is a query.
    let mut uac = Uac::udp(node.sip, "alice", "wonderland");
    let mut call = ClientCall::new("sip:alice@medianode.test");
    let uri = "sip:medianode.test";
    call.cseq = 1;
    let branch = new_branch();
    uac.send(
        &call
            .request(&uac, "REGISTER", uri, &branch, "", "")
            .replace("Contact: ", "X-No-Contact: "),
    );
    let challenge = uac.final_response("REGISTER");
    assert_eq!(challenge.status(), 401);
    call.cseq = 2;
    let auth = format!(
        "Authorization: {}\r\n",
        authorization(&challenge, "MD5", &uac, "REGISTER", uri)
    );
    uac.send(
        &call
            .request(&uac, "REGISTER", uri, &new_branch(), &auth, "")
            .replace("Contact: ", "X-No-Contact: "),
    );
    let ok = uac.final_response("REGISTER");
    assert_eq!(ok.status(), 200, "{ok:?}");
    let listed: Vec<&str> = ok.headers_named("Contact").collect();
    assert_eq!(listed.len(), 1, "{ok:?}");
    assert!(listed[0].starts_with("<sip:alice@127.0.0.1:"), "{listed:?}");
    let (status, log) = node.process.stop();
    assert!(status.success(), "{log}");
}

#[test]
fn admin_api_users_register_and_config_users_are_read_only() {
    let dir = scratch_dir("sip-users");
    let setup = SipNodeSetup {
        dir: &dir,
        users: USERS,
        algorithms: "[\"MD5\"]",
        media_ports: (36020, 36039),
        tls: None,
        extra_sip: "",
    };
    let node = SipNode::start(&setup);
    let p = &node.process;
    let answer = p.request(
        "PUT",
        "/v1/users/carol",
        &json!({ "password": "s3cret-pw" }).to_string(),
    );
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(answer.json()["algorithms"], json!(["SHA-256", "MD5"]));
    let register = scenario("register.xml");
    let output = sipp_register(&node, &dir, &register, "carol", "s3cret-pw", false);
    assert_sipp_ok(&output, "carol from the admin API", &node);
    assert_eq!(
        p.request("PUT", "/v1/users/carol", r#"{"password": "other"}"#)
            .status,
        200
    );
    let output = sipp_register(&node, &dir, &register, "carol", "s3cret-pw", false);
    assert!(!output.status.success(), "the old password still works");

    let list = p.get_json("/v1/users");
    let names: Vec<&str> = list["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["alice", "bob", "carol"]);
    let text = list.to_string();
    assert!(
        !text.contains("wonderland") && !text.contains("ha1"),
        "{text}"
    );
    assert_eq!(list["users"][0]["source"], "config");

    let conflict = p.request("PUT", "/v1/users/alice", r#"{"password": "x"}"#);
    assert_eq!(conflict.status, 409, "{}", conflict.body);
    assert_eq!(p.request("DELETE", "/v1/users/alice", "").status, 409);
    let bad = p.request("PUT", "/v1/users/dave", r#"{"ha1_md5": "zz"}"#);
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["field"], "ha1_md5");
    assert_eq!(
        p.request("PUT", "/v1/users/a%20b", r#"{"password": "x"}"#)
            .status,
        400
    );
    assert_eq!(p.request("POST", "/v1/users", "{}").status, 405);
    assert_eq!(p.request("GET", "/v1/users/nobody", "").status, 404);

    assert_eq!(p.request("DELETE", "/v1/users/carol", "").status, 204);
    assert_eq!(p.request("DELETE", "/v1/users/carol", "").status, 404);
    let wrong = scenario("register_wrong_password.xml");
    let output = sipp_register(&node, &dir, &wrong, "carol", "other", false);
    assert_sipp_ok(&output, "a removed user gets 403", &node);
    let (status, log) = node.process.stop();
    assert!(status.success(), "{log}");
    assert!(!log.contains("s3cret-pw"), "a password reached the log");
}
