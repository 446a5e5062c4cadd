//! The end of a run: per conference and in total, what was sent, what had to arrive, what
//! arrived, loss, duplicates, reordering, jitter, one-way delay percentiles and which
//! talkers each participant heard; as a human table and as JSON (`--report`).

use std::fmt::Write as _;
use std::sync::Arc;

use serde::Serialize;

use super::histogram::DelayHistogram;
use super::mix_stream::MixStream;
use super::pair_stats::PairStats;
use super::receiver::{ConferenceCounts, ConferenceReceipt};
use super::send_log::SendLog;

/// One-way delay percentiles in milliseconds (`None` when nothing arrived).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct DelayReport {
    /// Median.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// Largest.
    pub max: Option<f64>,
}

impl DelayReport {
    fn of(histogram: &DelayHistogram) -> DelayReport {
        let ms = |us: Option<u64>| us.map(|us| us as f64 / 1e3);
        DelayReport {
            p50: ms(histogram.quantile(0.5)),
            p90: ms(histogram.quantile(0.9)),
            p99: ms(histogram.quantile(0.99)),
            max: ms((histogram.count() > 0).then(|| histogram.max())),
        }
    }
}

/// Traffic numbers, per conference or in total.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TrafficReport {
    /// Packets the participants sent.
    pub sent: u64,
    /// Copies that had to arrive: each packet that had to reach the others, times the
    /// others.
    pub expected: u64,
    /// Copies received (first copies, whether they had to arrive or not).
    pub received: u64,
    /// Of the copies that had to arrive, those that did.
    pub received_expected: u64,
    /// `expected - received_expected`.
    pub lost: u64,
    /// `lost / expected`; `None` when nothing had to arrive.
    pub loss_ratio: Option<f64>,
    /// Copies received twice or more.
    pub duplicates: u64,
    /// Copies that arrived after a later packet of the same sender.
    pub reordered: u64,
    /// Packets from another conference or the receiver's own.
    pub misrouted: u64,
    /// Packets whose bytes were not those sent.
    pub corrupted: u64,
    /// Packets that failed SRTP unprotection.
    pub srtp_failures: u64,
    /// Packets that could not be matched to a send time.
    pub unmatched: u64,
    /// RTCP compounds received from the node.
    pub rtcp_received: u64,
    /// RFC 3550 interarrival jitter, mean over (receiver, sender) pairs, in ms.
    pub jitter_ms: Option<f64>,
    /// The largest pair's jitter, in ms.
    pub jitter_ms_max: Option<f64>,
    /// One-way delay percentiles.
    pub delay_ms: DelayReport,
}

/// Who each participant heard, against what the policy explains.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TalkerReport {
    /// Whether the model could say who must and who may be heard.
    pub checked: bool,
    /// Participants whose heard set is not between the two.
    pub mismatched: usize,
    /// By participant position: the positions it heard.
    pub heard: Vec<Vec<usize>>,
    /// By participant position: the positions it had to hear.
    pub expected: Vec<Vec<usize>>,
}

/// One conference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConferenceReport {
    /// The node's id.
    pub id: String,
    /// Participants.
    pub participants: usize,
    /// `loudest N` or `all`.
    pub policy: String,
    /// Its traffic.
    #[serde(flatten)]
    pub traffic: TrafficReport,
    /// Its talkers.
    pub talkers: TalkerReport,
}

/// The sender's own health.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SenderReport {
    /// `sendmmsg` calls.
    pub send_calls: u64,
    /// Datagrams the kernel refused.
    pub send_failures: u64,
    /// Packets that could not be built or protected.
    pub build_failures: u64,
    /// Packets sent over 5 ms late (the replay host was too busy).
    pub late: u64,
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    /// The streams played.
    pub source: Vec<String>,
    /// Conferences asked for.
    pub conferences_planned: usize,
    /// Participants per conference.
    pub participants: usize,
    /// How levels were made.
    pub levels: String,
    /// SRTP, if used.
    pub srtp: Option<String>,
    /// Wall time from start to the end of the drain, in seconds.
    pub elapsed_s: f64,
    /// Whether every stream played to its end (no interruption).
    pub completed: bool,
    /// Datagrams from addresses that were no leg.
    pub unknown_source: u64,
    /// Datagrams written to `--record`.
    pub recorded: u64,
    /// The sender's health.
    pub sender: SenderReport,
    /// Per conference.
    pub conferences: Vec<ConferenceReport>,
    /// Over all conferences.
    pub total: TrafficReport,
}

/// What the report is built from, per conference.
#[derive(Debug)]
pub struct ConferenceInputs<'a> {
    /// The node's id.
    pub id: &'a str,
    /// `loudest N` or `all`.
    pub policy: String,
    /// Send logs by position.
    pub logs: &'a [Arc<SendLog>],
    /// Whether the model could predict selection.
    pub modelled: bool,
    /// By position: whether the model ever selected it.
    pub ever_selected: &'a [bool],
    /// What arrived.
    pub receipt: Option<&'a ConferenceReceipt>,
}

/// The jitter of every (receiver, sender) pair, or of every mix stream received.
fn jitters(receipt: &ConferenceReceipt) -> Vec<f64> {
    match &receipt.mix {
        Some(mix) => mix
            .iter()
            .flatten()
            .map(|stream| &stream.stats)
            .filter(|s| s.received > 1)
            .map(PairStats::jitter_ms)
            .collect(),
        None => receipt
            .pairs
            .iter()
            .flatten()
            .filter(|p| p.received > 1)
            .map(PairStats::jitter_ms)
            .collect(),
    }
}

fn finish_traffic(traffic: &mut TrafficReport, jitter: &[f64], delays: &DelayHistogram) {
    traffic.lost = traffic.expected.saturating_sub(traffic.received_expected);
    traffic.loss_ratio =
        (traffic.expected > 0).then(|| traffic.lost as f64 / traffic.expected as f64);
    traffic.jitter_ms =
        (!jitter.is_empty()).then(|| jitter.iter().sum::<f64>() / jitter.len() as f64);
    traffic.jitter_ms_max = jitter.iter().copied().reduce(f64::max);
    traffic.delay_ms = DelayReport::of(delays);
}

fn add_counts(traffic: &mut TrafficReport, counts: &ConferenceCounts) {
    traffic.misrouted += counts.misrouted;
    traffic.corrupted += counts.corrupted;
    traffic.srtp_failures += counts.srtp_failures;
    traffic.unmatched += counts.unmatched;
    traffic.rtcp_received += counts.rtcp;
}

/// One conference's report.
pub fn conference_report(inputs: &ConferenceInputs<'_>) -> ConferenceReport {
    let count = inputs.logs.len();
    let mut traffic = TrafficReport::default();
    for log in inputs.logs {
        traffic.sent += log.sent();
        traffic.expected += log.must_sent() * count.saturating_sub(1) as u64;
    }
    // With the mix nobody's packets are forwarded: loss is the mix streams' own, and who
    // is in the mix is a matter of its content.
    let mix = inputs.receipt.and_then(|r| r.mix.as_ref());
    let modelled = inputs.modelled && mix.is_none();
    let mut talkers = TalkerReport {
        checked: modelled,
        ..TalkerReport::default()
    };
    let empty = DelayHistogram::default();
    let mut jitter = Vec::new();
    let delays = inputs.receipt.map_or(&empty, |r| &r.delays);
    if let Some(receipt) = inputs.receipt {
        if let Some(mix) = mix {
            traffic.expected = mix.iter().flatten().map(MixStream::expected).sum();
        }
        let counted = match mix {
            Some(mix) => mix.iter().flatten().map(|s| &s.stats).collect::<Vec<_>>(),
            None => receipt.pairs.iter().flatten().collect(),
        };
        for pair in counted {
            traffic.received += pair.received;
            traffic.received_expected += pair.received_must;
            traffic.duplicates += pair.duplicates;
            traffic.reordered += pair.reordered;
        }
        add_counts(&mut traffic, &receipt.counts);
        jitter = jitters(receipt);
    }
    for receiver in 0..count {
        let heard: Vec<usize> = (0..count)
            .filter(|&s| {
                inputs
                    .receipt
                    .and_then(|r| r.pairs.get(receiver))
                    .and_then(|row| row.get(s))
                    .is_some_and(|p| p.received > 0)
            })
            .collect();
        let expected: Vec<usize> = (0..count)
            .filter(|&s| s != receiver && inputs.logs.get(s).is_some_and(|l| l.must_sent() > 0))
            .collect();
        let allowed = |s: &usize| inputs.ever_selected.get(*s).copied().unwrap_or(false);
        let explained = expected.iter().all(|s| heard.contains(s)) && heard.iter().all(allowed);
        if modelled && !explained {
            talkers.mismatched += 1;
        }
        talkers.heard.push(heard);
        talkers.expected.push(expected);
    }
    finish_traffic(&mut traffic, &jitter, delays);
    ConferenceReport {
        id: inputs.id.to_owned(),
        participants: count,
        policy: inputs.policy.clone(),
        traffic,
        talkers,
    }
}

/// The totals over conferences.
pub fn total(conferences: &[ConferenceReport], receipts: &[ConferenceReceipt]) -> TrafficReport {
    let mut total = TrafficReport::default();
    for c in conferences {
        let t = &c.traffic;
        total.sent += t.sent;
        total.expected += t.expected;
        total.received += t.received;
        total.received_expected += t.received_expected;
        total.duplicates += t.duplicates;
        total.reordered += t.reordered;
        total.misrouted += t.misrouted;
        total.corrupted += t.corrupted;
        total.srtp_failures += t.srtp_failures;
        total.unmatched += t.unmatched;
        total.rtcp_received += t.rtcp_received;
    }
    let mut delays = DelayHistogram::default();
    let mut jitter = Vec::new();
    for receipt in receipts {
        delays.merge(&receipt.delays);
        jitter.extend(jitters(receipt));
    }
    finish_traffic(&mut total, &jitter, &delays);
    total
}

fn opt(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
}

fn row(out: &mut String, name: &str, legs: usize, policy: &str, t: &TrafficReport, talkers: &str) {
    let loss = t
        .loss_ratio
        .map_or_else(|| "n/a".to_owned(), |r| format!("{:.3}%", r * 100.0));
    let delay = format!(
        "{}/{}/{}",
        opt(t.delay_ms.p50, 2),
        opt(t.delay_ms.p90, 2),
        opt(t.delay_ms.p99, 2)
    );
    let _ = writeln!(
        out,
        "{name:>6} {legs:>5} {policy:>10} {:>9} {:>10} {:>10} {:>7} {loss:>8} {:>5} {:>6} {:>9} {delay:>20} {talkers:>8}",
        t.sent,
        t.expected,
        t.received,
        t.lost,
        t.duplicates,
        t.reordered,
        opt(t.jitter_ms, 3),
    );
}

impl RunReport {
    /// The human table: one row per conference, then the total and anything abnormal.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:>6} {:>5} {:>10} {:>9} {:>10} {:>10} {:>7} {:>8} {:>5} {:>6} {:>9} {:>20} {:>8}",
            "conf",
            "legs",
            "policy",
            "sent",
            "expected",
            "received",
            "lost",
            "loss",
            "dups",
            "reord",
            "jitter",
            "delay p50/p90/p99",
            "talkers"
        );
        for c in &self.conferences {
            let talkers = if !c.talkers.checked {
                "n/a".to_owned()
            } else if c.talkers.mismatched == 0 {
                "ok".to_owned()
            } else {
                format!("{} bad", c.talkers.mismatched)
            };
            row(
                &mut out,
                &c.id,
                c.participants,
                &c.policy,
                &c.traffic,
                &talkers,
            );
        }
        let legs = self.conferences.iter().map(|c| c.participants).sum();
        let mismatched: usize = self.conferences.iter().map(|c| c.talkers.mismatched).sum();
        let unchecked = self
            .conferences
            .iter()
            .filter(|c| !c.talkers.checked)
            .count();
        let talkers = if mismatched > 0 {
            format!("{mismatched} bad")
        } else if unchecked == self.conferences.len() {
            "n/a".to_owned()
        } else {
            "ok".to_owned()
        };
        row(&mut out, "total", legs, "", &self.total, &talkers);
        let _ = writeln!(
            out,
            "(jitter and delay in ms; expected = copies that had to arrive under the policy)"
        );
        if unchecked > 0 {
            let _ = writeln!(
                out,
                "note: in {unchecked} conferences the selection could not be predicted (talkers \
                 of near-equal loudness competed, or levels are unknown): talkers are not \
                 checked, and loss counts only packets sent while the selection was certain"
            );
        }
        let t = &self.total;
        for (count, what) in [
            (t.misrouted, "misrouted packets"),
            (t.corrupted, "packets with altered bytes"),
            (t.srtp_failures, "SRTP failures"),
            (t.unmatched, "packets without a send time"),
            (self.unknown_source, "datagrams from unknown addresses"),
            (self.sender.send_failures, "send failures"),
            (
                self.sender.build_failures,
                "packets that could not be built",
            ),
            (
                self.sender.late,
                "packets sent over 5 ms late (replay host too busy)",
            ),
        ] {
            if count > 0 {
                let _ = writeln!(out, "warning: {count} {what}");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logs(sent: &[(u64, u64)]) -> Vec<Arc<SendLog>> {
        sent.iter()
            .map(|&(all, must)| {
                let log = SendLog::default();
                for i in 0..all {
                    log.record(i, i * 20_000, i < must);
                }
                Arc::new(log)
            })
            .collect()
    }

    #[test]
    fn loss_counts_only_what_had_to_arrive_and_talkers_are_checked_both_ways() {
        // Three participants; 0 talks (10 packets, 8 of them must arrive), 1 and 2 never.
        let logs = logs(&[(10, 8), (10, 0), (10, 0)]);
        let mut pairs: Vec<Vec<PairStats>> = (0..3)
            .map(|_| (0..3).map(|_| PairStats::new(8000)).collect())
            .collect();
        // Participant 1 gets all ten from 0; participant 2 only the 8 that had to arrive,
        // minus one, plus one packet from 1 that the policy never selected.
        for i in 0..10 {
            pairs[1][0].on_packet(i, 0, i * 20_000_000, i < 8);
        }
        for i in 0..7 {
            pairs[2][0].on_packet(i, 0, i * 20_000_000, true);
        }
        pairs[2][1].on_packet(0, 0, 0, false);
        let mut delays = DelayHistogram::default();
        delays.record(250);
        let receipt = ConferenceReceipt {
            index: 0,
            pairs,
            delays,
            counts: ConferenceCounts::default(),
            mix: None,
        };
        let report = conference_report(&ConferenceInputs {
            id: "7",
            policy: "loudest 1".into(),
            logs: &logs,
            modelled: true,
            ever_selected: &[true, false, false],
            receipt: Some(&receipt),
        });
        let t = &report.traffic;
        assert_eq!((t.sent, t.expected, t.received), (30, 16, 18));
        assert_eq!((t.received_expected, t.lost), (15, 1));
        assert!((t.loss_ratio.unwrap() - 1.0 / 16.0).abs() < 1e-9);
        assert_eq!(t.delay_ms.p50, Some(0.25));
        assert_eq!(report.talkers.heard, vec![vec![], vec![0], vec![0, 1]]);
        assert_eq!(report.talkers.expected, vec![vec![], vec![0], vec![0]]);
        // Participant 2 heard 1, whom the policy never selected.
        assert_eq!(report.talkers.mismatched, 1);

        let total = total(
            std::slice::from_ref(&report),
            std::slice::from_ref(&receipt),
        );
        assert_eq!((total.expected, total.lost), (16, 1));
        let run = RunReport {
            source: vec!["s".into()],
            conferences_planned: 1,
            participants: 3,
            levels: "slots".into(),
            srtp: None,
            elapsed_s: 1.0,
            completed: true,
            unknown_source: 0,
            recorded: 0,
            sender: SenderReport::default(),
            conferences: vec![report],
            total,
        };
        let table = run.to_table();
        assert!(table.contains("6.250%"), "{table}");
        assert!(table.contains("1 bad"), "{table}");
        let json = serde_json::to_value(&run).unwrap();
        assert_eq!(json["conferences"][0]["lost"], 1);
        assert_eq!(json["conferences"][0]["delay_ms"]["p99"], 0.25);
    }
}
