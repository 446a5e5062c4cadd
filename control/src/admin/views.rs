//! The JSON the admin API answers with. Ids are strings (they are opaque to clients);
//! counters are numbers; keys never appear here except the one `tx_key` a leg's creation
//! returns (built by the caller, not by these views).

use medianode_dataplane::conference::{
    ConferenceId, LegId, LegStats, SelectionMode, SelectionPolicy,
};
use serde_json::{json, Value};

use super::leg_request::receive_name;
use super::registry::{ConferenceRecord, LegRecord};
use crate::runtime::ConferenceView;

/// A policy: `{"mode": "loudest", "loudest_n": 3}` or `{"mode": "all", ...}`.
pub fn policy(policy: &SelectionPolicy) -> Value {
    let mode = match policy.mode {
        SelectionMode::All => "all",
        _ => "loudest",
    };
    json!({
        "mode": mode,
        "loudest_n": policy.max_talkers,
        "hold_ms": policy.hold.as_millis() as u64,
        "smoothing_ms": policy.smoothing.as_millis() as u64,
    })
}

/// Leg ids as strings.
pub fn leg_ids(legs: &[LegId]) -> Value {
    Value::from(legs.iter().map(|l| l.0.to_string()).collect::<Vec<_>>())
}

/// A conference in the list: where it is, its policy, how many legs, its latest talkers.
pub fn conference_summary(id: ConferenceId, record: &ConferenceRecord) -> Value {
    let legs: Vec<LegId> = record.legs.iter().copied().collect();
    json!({
        "id": id.0.to_string(),
        "core": record.core,
        "policy": policy(&record.policy),
        "legs": leg_ids(&legs),
        "talkers": leg_ids(&record.talkers),
    })
}

/// A conference in full: its core's view with every leg's counters.
pub fn conference_detail(
    id: ConferenceId,
    core: usize,
    view: &ConferenceView,
    leg_record: impl Fn(LegId) -> Option<LegRecord>,
) -> Value {
    let legs: Vec<Value> = view
        .legs
        .iter()
        .map(|stats| leg_detail(stats, leg_record(stats.leg).as_ref()))
        .collect();
    json!({
        "id": id.0.to_string(),
        "core": core,
        "policy": policy(&view.conference.policy),
        "talkers": leg_ids(&view.conference.talkers),
        "mixing": view.conference.mixing,
        "legs": legs,
    })
}

/// One leg: how it was set up and its counters now.
pub fn leg_detail(stats: &LegStats, record: Option<&LegRecord>) -> Value {
    json!({
        "leg": stats.leg.0.to_string(),
        "conference": stats.conference.0.to_string(),
        "local": record.map(|r| r.local.to_string()),
        "remote": stats.remote.map(|r| r.to_string()),
        "latched": stats.latched,
        "codec": record.map(|r| r.codec),
        "payload_type": record.map(|r| r.payload_type),
        "mode": record.map(|r| r.mode),
        "receive": receive_name(stats.receive),
        "suite": record.and_then(|r| r.suite).map(|s| s.sdes_name()),
        "participant": record.and_then(|r| r.participant.clone()),
        "selected": stats.selected,
        "suppressed": stats.suppressed,
        "media_timed_out": stats.media_timed_out,
        "packets_in": stats.packets_in,
        "bytes_in": stats.bytes_in,
        "packets_out": stats.packets_out,
        "bytes_out": stats.bytes_out,
        "dropped": stats.dropped,
        "ssrc": stats.ssrc,
        "packets_received": stats.packets_received,
        "packets_lost": stats.packets_lost,
        "jitter_ms": stats.jitter_ms,
        "rtcp_received": stats.rtcp_received,
        "rtcp_sent": stats.rtcp_sent,
        "remote_fraction_lost": stats.remote_fraction_lost,
        "remote_jitter": stats.remote_jitter,
    })
}
