//! Comparing rtp-stats' analysis of a capture with tshark's `rtp,streams` on the same
//! file: same streams, same packets and loss, jitter within 5 %.

use std::path::Path;

use medianode_tools::rtp_streams::{analyze_capture, AnalysisOptions, StreamReport};

use crate::close_enough;
use crate::tshark::{rtp_streams, TsharkStream};

/// Relative jitter tolerance the brief sets.
pub const JITTER_TOLERANCE: f64 = 0.05;
/// tshark prints jitter with three decimals; half of the last digit is rounding.
pub const JITTER_PRINT_SLACK_MS: f64 = 0.0005;

/// Every way our streams and tshark's differ for `capture`; empty when they agree.
pub fn disagreements(
    capture: &Path,
    tshark_extra: &[&str],
    options: AnalysisOptions,
) -> Vec<String> {
    let file = std::fs::File::open(capture).expect("open capture");
    let ours = analyze_capture(std::io::BufReader::new(file), options)
        .unwrap_or_else(|e| panic!("{}: {e}", capture.display()));
    let theirs = rtp_streams(capture, tshark_extra);
    compare(&ours.streams, &theirs)
}

/// Compares two stream lists, matched by source, destination and SSRC.
pub fn compare(ours: &[StreamReport], theirs: &[TsharkStream]) -> Vec<String> {
    let mut problems = Vec::new();
    if ours.len() != theirs.len() {
        problems.push(format!(
            "{} streams here, {} in tshark",
            ours.len(),
            theirs.len()
        ));
    }
    for t in theirs {
        let Some(o) = ours
            .iter()
            .find(|o| o.src == t.src && o.dst == t.dst && o.ssrc == t.ssrc)
        else {
            problems.push(format!(
                "tshark stream {} -> {} 0x{:08X} not found",
                t.src, t.dst, t.ssrc
            ));
            continue;
        };
        let name = format!("{} -> {} 0x{:08X}", t.src, t.dst, t.ssrc);
        if o.packets != t.packets {
            problems.push(format!(
                "{name}: {} packets here, {} in tshark",
                o.packets, t.packets
            ));
        }
        if o.lost != t.lost {
            problems.push(format!(
                "{name}: {} lost here, {} in tshark",
                o.lost, t.lost
            ));
        }
        // tshark prints 0.000 where it has no clock rate; so do we, as "no jitter".
        let mean = o.mean_jitter_ms.unwrap_or(0.0);
        let max = o.max_jitter_ms.unwrap_or(0.0);
        if !close_enough(
            mean,
            t.mean_jitter_ms,
            JITTER_TOLERANCE,
            JITTER_PRINT_SLACK_MS,
        ) {
            problems.push(format!(
                "{name}: mean jitter {mean:.4} ms here, {} in tshark",
                t.mean_jitter_ms
            ));
        }
        if !close_enough(
            max,
            t.max_jitter_ms,
            JITTER_TOLERANCE,
            JITTER_PRINT_SLACK_MS,
        ) {
            problems.push(format!(
                "{name}: max jitter {max:.4} ms here, {} in tshark",
                t.max_jitter_ms
            ));
        }
    }
    problems
}
