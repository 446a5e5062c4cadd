//! The Grafana dashboard in `tools/dashboards/medianode.json` is built on names the node
//! really exports: every metric its queries use is declared on `/metrics` of a running
//! node (a histogram's `_bucket`, `_sum` and `_count` through its family), and every label
//! a query matches on is carried by that metric's samples, with the exact values it asks
//! for. Both files are parsed here, independently of the node's own code.

mod replay_support;

use std::collections::{BTreeMap, BTreeSet};

use replay_support::{http_get, Node};
use serde_json::Value;

const DASHBOARD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tools/dashboards/medianode.json"
);
/// Labels Prometheus adds at scrape time, not in the exposition.
const TARGET_LABELS: [&str; 2] = ["instance", "job"];

/// Every PromQL text in the dashboard: panel targets and variable queries.
fn queries(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("expr" | "definition" | "query", Value::String(text)) => {
                        out.push(text.clone())
                    }
                    _ => queries(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| queries(item, out)),
        _ => {}
    }
}

/// A metric used in a query, with the label matchers right after it (`name{a="x",b=~"y"}`):
/// (label, operator, value).
type Use = (String, Vec<(String, String, String)>);

fn uses(query: &str) -> Vec<Use> {
    let bytes = query.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b':';
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !ident(bytes[i]) || (i > 0 && ident(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && ident(bytes[i]) {
            i += 1;
        }
        let name = &query[start..i];
        if !name.starts_with("medianode_") {
            continue;
        }
        let mut matchers = Vec::new();
        if query[i..].starts_with('{') {
            let close = query[i..].find('}').map_or(query.len(), |c| i + c);
            for part in query[i + 1..close].split(',') {
                let part = part.trim();
                let Some(op_at) = part.find(['=', '!']) else {
                    continue;
                };
                let label = part[..op_at].trim().to_owned();
                let rest = &part[op_at..];
                let op_len =
                    if rest.starts_with("=~") || rest.starts_with("!~") || rest.starts_with("!=") {
                        2
                    } else {
                        1
                    };
                let value = rest[op_len..].trim().trim_matches('"').to_owned();
                matchers.push((label, rest[..op_len].to_owned(), value));
            }
            i = close;
        }
        found.push((name.to_owned(), matchers));
    }
    found
}

/// `/metrics`: declared families with their type, and the labels (name -> values) of each
/// family's samples.
struct Exposition {
    types: BTreeMap<String, String>,
    labels: BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
}

fn exposition(text: &str) -> Exposition {
    let mut types = BTreeMap::new();
    let mut labels: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split_whitespace();
            if let (Some(name), Some(kind)) = (parts.next(), parts.next()) {
                types.insert(name.to_owned(), kind.to_owned());
            }
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let name_end = line.find(['{', ' ']).unwrap();
        let name = &line[..name_end];
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .filter(|base| types.get(*base).is_some_and(|k| k == "histogram"))
            .unwrap_or(name);
        let entry = labels.entry(family.to_owned()).or_default();
        if line[name_end..].starts_with('{') {
            let close = line.find('}').unwrap();
            for pair in line[name_end + 1..close].split(',') {
                let (key, value) = pair.split_once('=').unwrap();
                entry
                    .entry(key.to_owned())
                    .or_default()
                    .insert(value.trim_matches('"').to_owned());
            }
        }
    }
    Exposition { types, labels }
}

#[test]
fn every_metric_and_label_the_grafana_dashboard_queries_exists_on_metrics() {
    let dashboard: Value =
        serde_json::from_str(&std::fs::read_to_string(DASHBOARD).unwrap()).unwrap();
    assert_eq!(dashboard["title"], "medianode");
    let mut texts = Vec::new();
    queries(&dashboard, &mut texts);
    let used: Vec<Use> = texts.iter().flat_map(|q| uses(q)).collect();
    let names: BTreeSet<&str> = used.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.len() >= 15,
        "the dashboard covers the node: {names:?}"
    );

    let node = Node::start("replay-grafana");
    let (status, text) = http_get(node.http, "/metrics").unwrap();
    assert_eq!(status, 200);
    let exposed = exposition(&text);

    let mut missing = Vec::new();
    for (name, matchers) in &used {
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .filter(|base| exposed.types.get(*base).is_some_and(|k| k == "histogram"))
            .unwrap_or(name);
        if !exposed.types.contains_key(family) {
            missing.push(format!("metric {name}"));
            continue;
        }
        let labels = exposed.labels.get(family).cloned().unwrap_or_default();
        for (label, op, value) in matchers {
            if TARGET_LABELS.contains(&label.as_str()) {
                continue;
            }
            match labels.get(label) {
                None => missing.push(format!("label {label} on {name}")),
                Some(values) if op == "=" && !values.contains(value) => {
                    missing.push(format!("{name}{{{label}=\"{value}\"}}"))
                }
                Some(_) => {}
            }
        }
    }
    assert!(missing.is_empty(), "not on /metrics: {missing:?}");
}

#[test]
fn the_query_scanner_finds_metrics_and_their_matchers() {
    let found = uses(
        "sum by (reason) (rate(medianode_core_drops_total{instance=~\"$i\", reason=\"srtp_auth\"}[5m])) \
         / medianode_cores",
    );
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].0, "medianode_core_drops_total");
    assert_eq!(
        found[0].1[1],
        ("reason".to_owned(), "=".to_owned(), "srtp_auth".to_owned())
    );
    assert_eq!(found[1], ("medianode_cores".to_owned(), Vec::new()));
}
