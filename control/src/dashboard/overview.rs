//! `GET /v1/overview`: one JSON document with everything the live page draws, built from
//! the node's own `/metrics` text (per core: packets, bytes, drops, conferences, legs,
//! talkers, backends), the admin API's conference list (legs and talkers per conference)
//! and each core's CPU time. Counters are totals; the page derives rates from two polls.

use std::collections::BTreeMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};
use tiny_http::Method;

use super::prometheus_text::{samples, Sample};
use super::thread_cpu::core_cpu_seconds;
use crate::admin::AdminApi;
use crate::metrics::NodeMetrics;

/// Conferences listed at most (the page shows a table, not a database).
pub const MAX_LISTED_CONFERENCES: usize = 500;

/// Per-core counters copied from `/metrics`, by family name and the key in the JSON.
const CORE_FAMILIES: [(&str, &str); 9] = [
    ("medianode_core_packets_in_total", "packets_in"),
    ("medianode_core_packets_out_total", "packets_out"),
    ("medianode_core_bytes_in_total", "bytes_in"),
    ("medianode_core_bytes_out_total", "bytes_out"),
    ("medianode_core_send_failures_total", "send_failures"),
    ("medianode_core_rtcp_reports_sent_total", "rtcp_sent"),
    ("medianode_conferences", "conferences"),
    ("medianode_legs", "legs"),
    ("medianode_active_talkers", "active_talkers"),
];

/// The overview at `now`.
pub fn overview(metrics: &NodeMetrics, admin: &AdminApi, now: Instant) -> Value {
    let text = metrics.render(now);
    let samples = samples(&text);
    let core_count = metrics.cores().len();
    let mut cores: Vec<Map<String, Value>> = (0..core_count)
        .map(|core| {
            let mut entry = Map::new();
            entry.insert("core".into(), Value::from(core));
            entry
        })
        .collect();
    let mut drops_by_reason: BTreeMap<String, f64> = BTreeMap::new();
    let mut build = (String::new(), String::new());
    let mut uptime = 0.0;
    for sample in &samples {
        match sample.name {
            "medianode_build_info" => {
                build = (
                    sample.label("version").unwrap_or("").to_owned(),
                    sample.label("simd").unwrap_or("").to_owned(),
                )
            }
            "medianode_uptime_seconds" => uptime = sample.value,
            "medianode_core_up" => {
                if let Some(entry) = core_entry(&mut cores, sample) {
                    entry.insert("up".into(), Value::from(sample.value >= 1.0));
                    let backend = sample.label("backend").unwrap_or("none");
                    entry.insert("backend".into(), Value::from(backend));
                }
            }
            "medianode_core_packet_io" => {
                let backend = sample.label("backend").unwrap_or("none").to_owned();
                if let Some(entry) = core_entry(&mut cores, sample) {
                    entry.insert("packet_io".into(), Value::from(backend));
                }
            }
            "medianode_core_drops_total" => {
                let reason = sample.label("reason").unwrap_or("other").to_owned();
                *drops_by_reason.entry(reason).or_default() += sample.value;
                if let Some(entry) = core_entry(&mut cores, sample) {
                    let total = entry.get("drops").and_then(Value::as_f64).unwrap_or(0.0);
                    entry.insert("drops".into(), number(total + sample.value));
                }
            }
            name => {
                if let Some(&(_, key)) = CORE_FAMILIES.iter().find(|(family, _)| *family == name) {
                    if let Some(entry) = core_entry(&mut cores, sample) {
                        entry.insert(key.into(), number(sample.value));
                    }
                }
            }
        }
    }
    for (entry, seconds) in cores.iter_mut().zip(core_cpu_seconds(core_count)) {
        entry.insert(
            "cpu_seconds".into(),
            seconds.map_or(Value::Null, Value::from),
        );
    }
    let listed = admin.handle(&Method::Get, "/v1/conferences", b"");
    let all_conferences = listed
        .body
        .as_ref()
        .and_then(|body| body.get("conferences"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let sum = |key: &str| -> f64 {
        cores
            .iter()
            .filter_map(|c| c.get(key).and_then(Value::as_f64))
            .sum()
    };
    let legs: usize = all_conferences
        .iter()
        .map(|c| c.get("legs").and_then(Value::as_array).map_or(0, Vec::len))
        .sum();
    let talkers: usize = all_conferences
        .iter()
        .map(|c| {
            c.get("talkers")
                .and_then(Value::as_array)
                .map_or(0, Vec::len)
        })
        .sum();
    let totals = json!({
        "conferences": all_conferences.len(),
        "legs": legs,
        "talkers": talkers,
        "packets_in": number(sum("packets_in")),
        "packets_out": number(sum("packets_out")),
        "bytes_in": number(sum("bytes_in")),
        "bytes_out": number(sum("bytes_out")),
        "drops": number(sum("drops")),
    });
    let time_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    json!({
        "version": build.0,
        "simd": build.1,
        "uptime_s": uptime,
        "time_ms": time_ms,
        "cores": cores,
        "totals": totals,
        "drops_by_reason": drops_by_reason.into_iter().map(|(k, v)| (k, number(v))).collect::<Map<_, _>>(),
        "conferences": all_conferences.into_iter().take(MAX_LISTED_CONFERENCES).collect::<Vec<_>>(),
    })
}

fn core_entry<'a>(
    cores: &'a mut [Map<String, Value>],
    sample: &Sample<'_>,
) -> Option<&'a mut Map<String, Value>> {
    let core: usize = sample.label("core")?.parse().ok()?;
    cores.get_mut(core)
}

/// Counters are integers; keep them so in JSON.
fn number(value: f64) -> Value {
    if value.fract() == 0.0 && (0.0..9.0e15).contains(&value) {
        Value::from(value as u64)
    } else {
        Value::from(value)
    }
}
