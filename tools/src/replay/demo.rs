//! What `medianode demo` runs against the node it starts: a few conferences of generated
//! talkers (no capture needed), looping until stopped, taking turns in 2-second slots so
//! the loudest-N set visibly moves; and the summary line it prints every couple of
//! seconds, with each conference's current talkers as the node reports them.

use std::time::Duration;

use serde_json::Value;

use super::admin_client::AdminClient;
use super::live::LiveStatus;
use super::options::{PolicyRequest, ReplayOptions};
use super::plan::{LevelSource, Timing};
use super::synthetic::synthetic_voices;

/// Distinct generated voices; participants beyond this reuse them at other offsets.
const VOICES: usize = 5;
/// How often the summary line is printed.
const SUMMARY_EVERY: Duration = Duration::from_secs(2);

/// The demo's replay: `conferences` x `participants` generated voices against the node at
/// `node` (its HTTP address), taking turns in 2-second slots under loudest 2, for
/// `duration` or until stopped.
pub fn demo_options(
    node: &str,
    conferences: usize,
    participants: usize,
    duration: Option<Duration>,
) -> ReplayOptions {
    let mut options = ReplayOptions::new(
        node,
        synthetic_voices(participants.clamp(1, VOICES)),
        conferences,
        participants,
    );
    options.timing = Timing {
        speed: 1.0,
        looping: true,
        duration_ns: duration.map(|d| d.as_nanos() as u64),
    };
    options.policy = PolicyRequest::Loudest(2);
    options.levels = LevelSource::Slots {
        slot_ns: 2_000_000_000,
    };
    options.ramp_up = Some(20.0);
    options.participant_prefix = "demo".to_owned();
    options
}

/// Prints the demo's progress: one line every two seconds.
#[derive(Debug)]
pub struct DemoSummary {
    admin: Option<AdminClient>,
    last: Option<LiveStatus>,
}

impl DemoSummary {
    /// A summary that asks the node at `node` for talkers.
    pub fn new(node: &str) -> DemoSummary {
        DemoSummary {
            admin: AdminClient::new(node).ok(),
            last: None,
        }
    }

    /// The line to print for `status`, when one is due.
    pub fn line(&mut self, status: &LiveStatus) -> Option<String> {
        let (sent_rate, received_rate) = match self.last {
            Some(last) if status.elapsed < last.elapsed + SUMMARY_EVERY => return None,
            Some(last) => {
                let seconds = (status.elapsed - last.elapsed).as_secs_f64();
                (
                    (status.sent - last.sent.min(status.sent)) as f64 / seconds,
                    (status.received - last.received.min(status.received)) as f64 / seconds,
                )
            }
            None => (0.0, 0.0),
        };
        self.last = Some(*status);
        Some(format!(
            "[{:>5.0} s] {} conferences, {} legs | {:.0} packets/s sent, {:.0} received | talkers {}",
            status.elapsed.as_secs_f64(),
            status.conferences.0,
            status.legs,
            sent_rate,
            received_rate,
            self.talkers()
        ))
    }

    /// `1:[3,5] 2:[8]`: each conference's selected legs, as the node reports them.
    fn talkers(&self) -> String {
        let Some(admin) = &self.admin else {
            return "?".to_owned();
        };
        let Ok((200, body)) = admin.request("GET", "/v1/conferences", None) else {
            return "?".to_owned();
        };
        let conferences = body
            .get("conferences")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let text: Vec<String> = conferences
            .iter()
            .map(|c| {
                let id = c.get("id").and_then(Value::as_str).unwrap_or("?");
                let talkers: Vec<&str> = c
                    .get("talkers")
                    .and_then(Value::as_array)
                    .map(|t| t.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                format!("{id}:[{}]", talkers.join(","))
            })
            .collect();
        text.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_loops_generated_voices_and_summarises_every_two_seconds() {
        let options = demo_options("127.0.0.1:9", 3, 4, Some(Duration::from_secs(10)));
        assert_eq!(options.streams.len(), 4);
        assert!(options.timing.looping);
        assert_eq!(options.timing.duration_ns, Some(10_000_000_000));
        let mut summary = DemoSummary::new("127.0.0.1:9");
        let mut status = LiveStatus {
            conferences: (3, 3),
            legs: 12,
            ..LiveStatus::default()
        };
        assert!(summary.line(&status).is_some(), "the first line at once");
        status.elapsed = Duration::from_secs(1);
        assert!(summary.line(&status).is_none());
        status.elapsed = Duration::from_secs(2);
        status.sent = 500;
        let line = summary.line(&status).unwrap();
        assert!(line.contains("3 conferences, 12 legs"), "{line}");
        assert!(line.contains("250 packets/s sent"), "{line}");
        assert!(
            line.ends_with("talkers ?"),
            "nothing listens on port 9: {line}"
        );
    }
}
