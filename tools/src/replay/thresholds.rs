//! Pass or fail: the limits given on the command line (`--max-loss 0.1%`,
//! `--max-p99-delay 5ms`, `--check-talkers`) and the faults that fail a run whatever the
//! limits (misrouted, corrupted or undecryptable packets: a media server never produces
//! them).

use std::time::Duration;

use super::report::RunReport;

/// The limits a run is held to.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Thresholds {
    /// Largest loss ratio (0.001 = 0.1 %) over the packets that had to arrive.
    pub max_loss: Option<f64>,
    /// Largest 99th percentile of one-way delay.
    pub max_p99_delay: Option<Duration>,
    /// Fail when a participant heard talkers the policy does not explain.
    pub check_talkers: bool,
}

/// Reads a ratio: `0.1%` or `0.001`.
pub fn parse_ratio(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let (number, scale) = match text.strip_suffix('%') {
        Some(number) => (number, 100.0),
        None => (text, 1.0),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a ratio (e.g. 0.1% or 0.001)"))?;
    let ratio = value / scale;
    if !(0.0..=1.0).contains(&ratio) {
        return Err(format!("{text:?} is not between 0 and 100%"));
    }
    Ok(ratio)
}

/// Reads a duration: a number with `s`, `ms`, `us` (or `µs`) or `ns`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (e.g. 5ms, 800us, 0.2s)"))?;
    let seconds = match unit.trim() {
        "s" => value,
        "ms" => value / 1e3,
        "us" | "µs" => value / 1e6,
        "ns" => value / 1e9,
        other => {
            return Err(format!(
                "{text:?}: unknown unit {other:?} (s, ms, us or ns)"
            ))
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("{text:?} is out of range"))
}

/// Everything the run broke; empty when it passed.
pub fn violations(report: &RunReport, thresholds: &Thresholds) -> Vec<String> {
    let total = &report.total;
    let mut found = Vec::new();
    for (count, what) in [
        (total.misrouted, "packets reached the wrong participant"),
        (
            total.corrupted,
            "packets arrived with bytes other than those sent",
        ),
        (total.srtp_failures, "packets failed SRTP unprotection"),
    ] {
        if count > 0 {
            found.push(format!("{count} {what}"));
        }
    }
    if let Some(max) = thresholds.max_loss {
        match total.loss_ratio {
            Some(loss) if loss > max => found.push(format!(
                "loss {:.4}% is over the limit of {:.4}% ({} of {} packets)",
                loss * 100.0,
                max * 100.0,
                total.lost,
                total.expected
            )),
            Some(_) => {}
            None => found.push(
                "loss cannot be measured: no packet had to arrive (use --levels slots or \
                 --policy all)"
                    .to_owned(),
            ),
        }
    }
    if let Some(max) = thresholds.max_p99_delay {
        let limit_ms = max.as_secs_f64() * 1e3;
        match total.delay_ms.p99 {
            Some(p99) if p99 > limit_ms => found.push(format!(
                "p99 one-way delay {p99:.3} ms is over the limit of {limit_ms:.3} ms"
            )),
            Some(_) => {}
            None => found.push("no packet came back to measure delay on".to_owned()),
        }
    }
    if thresholds.check_talkers {
        let mismatched: usize = report
            .conferences
            .iter()
            .map(|c| c.talkers.mismatched)
            .sum();
        let unchecked = report.conferences.iter().any(|c| !c.talkers.checked);
        if mismatched > 0 {
            found.push(format!(
                "{mismatched} participants heard talkers the conference policy does not explain"
            ));
        }
        if unchecked {
            found.push(
                "talkers cannot be checked: the levels the node sees are unknown here".to_owned(),
            );
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_and_durations_read_as_operators_write_them() {
        assert!((parse_ratio("0.1%").unwrap() - 0.001).abs() < 1e-12);
        assert_eq!(parse_ratio("0.25"), Ok(0.25));
        assert_eq!(parse_ratio("0"), Ok(0.0));
        assert!(parse_ratio("150%").is_err());
        assert!(parse_ratio("lots").is_err());
        assert_eq!(parse_duration("5ms"), Ok(Duration::from_millis(5)));
        assert_eq!(parse_duration("800us"), Ok(Duration::from_micros(800)));
        assert_eq!(parse_duration("800µs"), Ok(Duration::from_micros(800)));
        assert_eq!(parse_duration("0.2s"), Ok(Duration::from_millis(200)));
        assert_eq!(parse_duration("1500ns"), Ok(Duration::from_nanos(1500)));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5 minutes").is_err());
    }
}
