//! The live page at `/`, in a real browser: headless Chromium (Debian `chromium`, a
//! required peer: the test fails without it) driven over the DevTools protocol while
//! `rtp-replay` runs three conferences through the real node. The page must load and
//! update with no console error, exception or failed request, list exactly the
//! conferences the admin API reports (the three the replay created), and show its packet
//! counters moving while traffic flows. A screenshot goes to `target/dashboard.png`.

mod replay_support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use medianode_pcap_tests::fixtures::scratch_dir;
use replay_support::{http_get, spawn_replay, target_dir, Node};
use serde_json::{json, Value};
use tungstenite::{Message, WebSocket};

/// Chromium, killed on drop.
struct Browser {
    child: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts headless Chromium with remote debugging on a free port; returns it and the
/// DevTools HTTP address.
fn start_browser(profile: &std::path::Path) -> (Browser, String) {
    let child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--remote-debugging-port=0",
            "--window-size=1280,1000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run chromium ({e}): install the Debian package `chromium`")
        });
    let mut browser = Browser { child };
    let stderr = browser.child.stderr.take().unwrap();
    let (found, listening) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(url) = line.split("DevTools listening on ").nth(1) {
                let _ = found.send(url.trim().to_owned());
            }
        }
    });
    let url = listening
        .recv_timeout(Duration::from_secs(30))
        .expect("chromium announces its DevTools address");
    // ws://127.0.0.1:PORT/devtools/browser/ID
    let authority = url
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    (browser, authority)
}

/// One DevTools session on a page: commands, and every event seen meanwhile.
struct DevTools {
    socket: WebSocket<TcpStream>,
    next_id: u64,
    events: Vec<Value>,
}

impl DevTools {
    fn connect(authority: &str) -> DevTools {
        let (status, list) = http_get(authority.parse().unwrap(), "/json/list").unwrap();
        assert_eq!(status, 200, "{list}");
        let targets: Value = serde_json::from_str(&list).unwrap();
        let page = targets
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["type"] == "page")
            .expect("a page target");
        let url = page["webSocketDebuggerUrl"].as_str().unwrap().to_owned();
        let stream = TcpStream::connect(authority).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let (socket, _) = tungstenite::client::client(url.as_str(), stream).unwrap();
        DevTools {
            socket,
            next_id: 1,
            events: Vec::new(),
        }
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let request = json!({ "id": id, "method": method, "params": params });
        self.socket
            .send(Message::text(request.to_string()))
            .unwrap();
        loop {
            let message = self.socket.read().unwrap();
            let Message::Text(text) = message else {
                continue;
            };
            let value: Value = serde_json::from_str(text.as_str()).unwrap();
            if value["id"] == id {
                assert!(value.get("error").is_none(), "{method}: {value}");
                return value["result"].clone();
            }
            if value.get("method").is_some() {
                self.events.push(value);
            }
        }
    }

    /// Evaluates `expression` in the page and returns its JSON value.
    fn evaluate(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true }),
        );
        assert!(result.get("exceptionDetails").is_none(), "{result}");
        result["result"]["value"].clone()
    }

    /// Console errors, uncaught exceptions and failed loads seen so far.
    fn errors(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|event| match event["method"].as_str() {
                Some("Runtime.exceptionThrown") => true,
                Some("Runtime.consoleAPICalled") => {
                    matches!(event["params"]["type"].as_str(), Some("error" | "assert"))
                }
                Some("Log.entryAdded") => event["params"]["entry"]["level"] == "error",
                _ => false,
            })
            .map(Value::to_string)
            .collect()
    }
}

/// What the page shows now (nulls while it is still loading).
const PAGE_STATE: &str = "(() => {\
    const text = id => { const e = document.getElementById(id); return e ? e.textContent : null; };\
    return JSON.stringify({\
      rows: Array.from(document.querySelectorAll('#conferences tbody tr')).map(r => r.dataset.id),\
      cores: document.querySelectorAll('#cores tbody tr').length,\
      packetsIn: Number(text('packets-in-total')),\
      packetsOut: Number(text('packets-out-total')),\
      rate: text('packets-in-rate'),\
      legs: Number(text('leg-count')),\
      status: text('status')});\
  })()";

/// A count as the page formats it: `950`, `12.5k`, `1.20M`.
fn shown_count(text: &str) -> f64 {
    let (number, scale) = match text.strip_suffix('k') {
        Some(n) => (n, 1e3),
        None => match text.strip_suffix('M') {
            Some(n) => (n, 1e6),
            None => (text, 1.0),
        },
    };
    number.parse::<f64>().map_or(0.0, |n| n * scale)
}

fn page_state(devtools: &mut DevTools) -> Value {
    let text = devtools.evaluate(PAGE_STATE);
    serde_json::from_str(text.as_str().unwrap()).unwrap()
}

fn admin_conference_ids(node: &Node) -> BTreeSet<String> {
    let (_, body) = http_get(node.http, "/v1/conferences").unwrap();
    let value: Value = serde_json::from_str(&body).unwrap();
    value["conferences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_live_page_shows_the_replayed_conferences_and_moving_counters_without_errors() {
    let node = Node::start("replay-dashboard");
    let mut replay = spawn_replay(
        &node,
        &[
            "--conferences",
            "3",
            "--participants",
            "4",
            "--duration",
            "15",
            "--loop",
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    while admin_conference_ids(&node).len() < 3 {
        assert!(
            Instant::now() < deadline,
            "the replay set up its conferences"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let profile = scratch_dir("replay-dashboard-chromium");
    let (_browser, authority) = start_browser(&profile);
    let mut devtools = DevTools::connect(&authority);
    for domain in ["Runtime.enable", "Log.enable", "Page.enable"] {
        devtools.call(domain, json!({}));
    }
    devtools.call(
        "Page.navigate",
        json!({ "url": format!("{}/", node.url()) }),
    );

    // Two polls at least, so that rates exist.
    let deadline = Instant::now() + Duration::from_secs(20);
    let first = loop {
        let state = page_state(&mut devtools);
        let ready = state["status"] == "live"
            && state["rows"].as_array().is_some_and(|r| r.len() == 3)
            && state["rate"] != "-";
        if ready {
            break state;
        }
        assert!(
            Instant::now() < deadline,
            "the page never showed the run: {state}"
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    let shown: BTreeSet<String> = first["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        shown,
        admin_conference_ids(&node),
        "the page lists the node's conferences"
    );
    assert_eq!(first["legs"], 12);
    assert!(first["cores"].as_u64().unwrap() >= 1);
    assert!(first["packetsIn"].as_f64().unwrap() > 0.0, "{first}");

    std::thread::sleep(Duration::from_millis(2500));
    let second = page_state(&mut devtools);
    assert!(
        second["packetsIn"].as_f64().unwrap() > first["packetsIn"].as_f64().unwrap(),
        "packets in move: {first} then {second}"
    );
    assert!(
        second["packetsOut"].as_f64().unwrap() > first["packetsOut"].as_f64().unwrap(),
        "packets out move: {first} then {second}"
    );
    let rate = shown_count(second["rate"].as_str().unwrap());
    assert!(rate > 0.0, "a packet rate is shown: {second}");

    let shot = devtools.call("Page.captureScreenshot", json!({ "format": "png" }));
    let png = base64::engine::general_purpose::STANDARD
        .decode(shot["data"].as_str().unwrap())
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    let path = target_dir().join("dashboard.png");
    std::fs::write(&path, &png).unwrap();

    let errors = devtools.errors();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    let _ = replay.kill();
    let _ = replay.wait();
}
