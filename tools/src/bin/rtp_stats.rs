//! `rtp-stats`: one row per RTP stream in a capture (pcap or pcapng), with packets,
//! sequence range, loss, duplicates and jitter, in the manner of
//! `tshark -q -z rtp,streams`; `--json` for machines.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use medianode_tools::rtp_streams::{analyze_capture, AnalysisOptions};

/// Per-stream RTP statistics from a capture file.
#[derive(Debug, Parser)]
#[command(name = "rtp-stats", version, about)]
struct Args {
    /// The capture to read (pcap or pcapng).
    file: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Treat UDP datagrams to or from this port as RTP without the heuristic (repeatable).
    #[arg(long = "port", value_name = "N")]
    ports: Vec<u16>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let file =
        File::open(&args.file).with_context(|| format!("opening {}", args.file.display()))?;
    let options = AnalysisOptions {
        forced_ports: args.ports,
        ..AnalysisOptions::default()
    };
    let report = analyze_capture(BufReader::new(file), options)
        .with_context(|| format!("reading {}", args.file.display()))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_table());
    }
    if report.truncated_file {
        eprintln!(
            "warning: {} ends in the middle of a packet record",
            args.file.display()
        );
    }
    Ok(())
}
