//! `srtp-pcap decrypt|encrypt --suite SUITE --key BASE64 --in A.pcap --out B.pcap
//! [--ssrc HEX] [--keep-going]`: rewrites the RTP/RTCP in a capture's UDP payloads with an
//! SDES key, keeping every other frame, timestamp and address. Prints one summary line;
//! exits 1 if a packet failed, unless `--keep-going` (failed packets are then copied
//! unchanged).

#[path = "../srtp_pcap/mod.rs"]
mod srtp_pcap;

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, Context};
use clap::{Parser, ValueEnum};
use medianode_dataplane::srtp::{SdesKey, SrtpSuite};

use srtp_pcap::{convert, Mode, Options};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Command {
    /// SRTP/SRTCP to RTP/RTCP.
    Decrypt,
    /// RTP/RTCP to SRTP/SRTCP.
    Encrypt,
}

/// Protect or unprotect the RTP and RTCP of a capture with an SDES key.
#[derive(Debug, Parser)]
#[command(name = "srtp-pcap", version, about)]
struct Args {
    /// What to do.
    command: Command,
    /// Crypto suite by its SDES name, e.g. AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM.
    #[arg(long)]
    suite: String,
    /// Master key and salt in base64, with or without `inline:` (and `|lifetime|MKI:len`).
    #[arg(long)]
    key: String,
    /// Capture to read (pcap or pcapng).
    #[arg(long = "in", value_name = "FILE")]
    input: PathBuf,
    /// Capture to write (same format as the input).
    #[arg(long = "out", value_name = "FILE")]
    output: PathBuf,
    /// Only convert packets of this SSRC (hex, with or without 0x).
    #[arg(long, value_parser = parse_ssrc)]
    ssrc: Option<u32>,
    /// Copy packets that fail unchanged and continue; exit 0 anyway.
    #[arg(long)]
    keep_going: bool,
}

fn parse_ssrc(text: &str) -> Result<u32, String> {
    let digits = text.trim_start_matches("0x").trim_start_matches("0X");
    u32::from_str_radix(digits, 16).map_err(|e| format!("SSRC {text:?} is not hex: {e}"))
}

fn run() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let suite = SrtpSuite::from_sdes_name(&args.suite)
        .ok_or_else(|| anyhow!("unknown or unsupported suite {:?}", args.suite))?;
    let key = SdesKey::parse(suite, &args.key).context("--key")?;
    let options = Options {
        mode: match args.command {
            Command::Decrypt => Mode::Decrypt,
            Command::Encrypt => Mode::Encrypt,
        },
        key,
        ssrc: args.ssrc,
        keep_going: args.keep_going,
    };
    let input =
        File::open(&args.input).with_context(|| format!("opening {}", args.input.display()))?;
    let output = File::create(&args.output)
        .with_context(|| format!("creating {}", args.output.display()))?;
    let outcome = convert(BufReader::new(input), BufWriter::new(output), &options)
        .with_context(|| format!("converting {}", args.input.display()))?;
    println!("{}", outcome.summary);
    if let Some(failure) = outcome.stopped_at {
        eprintln!(
            "srtp-pcap: stopped at frame {}: {} (use --keep-going to continue past failures)",
            failure.frame_number, failure.error
        );
    }
    Ok(if outcome.summary.failed() > 0 && !args.keep_going {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("srtp-pcap: {e:#}");
            ExitCode::FAILURE
        }
    }
}
