//! The live progress line of `rtp-replay` on a terminal (hidden when stderr is not one):
//! elapsed time, conferences and legs up, packets sent and received with their rates, and
//! any SRTP failure or misrouting as it happens.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::live::LiveStatus;

/// The progress line.
#[derive(Debug)]
pub struct ProgressLine {
    bar: ProgressBar,
    last: Option<LiveStatus>,
}

impl Default for ProgressLine {
    fn default() -> Self {
        Self::new()
    }
}

impl ProgressLine {
    /// A spinner line on stderr.
    pub fn new() -> ProgressLine {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(200));
        ProgressLine { bar, last: None }
    }

    /// Shows `status`, with rates since the previous one.
    pub fn update(&mut self, status: &LiveStatus) {
        let rate = |now: u64, before: u64| match self.last {
            Some(last) if status.elapsed > last.elapsed => {
                (now - before.min(now)) as f64 / (status.elapsed - last.elapsed).as_secs_f64()
            }
            _ => 0.0,
        };
        let (sent_rate, received_rate) = match self.last {
            Some(last) => (
                rate(status.sent, last.sent),
                rate(status.received, last.received),
            ),
            None => (0.0, 0.0),
        };
        self.bar
            .set_message(summary(status, sent_rate, received_rate));
        self.last = Some(*status);
    }

    /// Removes the line.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// One line: conferences, legs, packets and rates, faults.
pub fn summary(status: &LiveStatus, sent_rate: f64, received_rate: f64) -> String {
    let mut line = format!(
        "conferences {}/{}  legs {}  sent {} ({:.1}k/s)  received {} ({:.1}k/s)",
        status.conferences.0,
        status.conferences.1,
        status.legs,
        status.sent,
        sent_rate / 1e3,
        status.received,
        received_rate / 1e3,
    );
    if status.srtp_failures > 0 {
        line.push_str(&format!("  SRTP failures {}", status.srtp_failures));
    }
    if status.misrouted > 0 {
        line.push_str(&format!("  misrouted {}", status.misrouted));
    }
    line
}
