//! `rtp-replay`: replays RTP from a capture (or generated voices) into a medianode as
//! many synthetic participants and measures what comes back. Exit status 0 when the run
//! passed, 1 when a limit was exceeded (or packets were misrouted, altered or failed
//! SRTP), 2 when the run could not be made.

use std::fs::File;
use std::io::BufReader;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use clap::{Parser, ValueEnum};
use medianode_dataplane::srtp::SrtpSuite;
use medianode_tools::replay::progress::ProgressLine;
use medianode_tools::replay::thresholds::{parse_duration, parse_ratio};
use medianode_tools::replay::{
    load_capture, run, synthetic_voices, violations, LevelSource, PolicyRequest, ReplayOptions,
    SipTarget, SrtpMode, StreamFilter, Thresholds, Timing,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ReceiveMode {
    /// The selected talkers' packets, forwarded.
    Streams,
    /// One stream mixed by the node (G.711 or Opus); loss is read from its sequence
    /// numbers, talkers are not checked (their presence is in the mix's content).
    Mix,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Levels {
    /// Write no level; keep the capture's header extension (the node measures G.711 itself).
    Keep,
    /// Write the level of each decoded G.711 payload.
    Payload,
    /// Participant k talks in slots k, k+K, ... (see --slot), silent otherwise.
    Slots,
}

/// Load-test a medianode by replaying RTP as many conference participants.
#[derive(Debug, Parser)]
#[command(
    name = "rtp-replay",
    version,
    about,
    after_help = "Calls are set up through the node's admin API (POST /v1/conferences, \
                  /legs), or with --sip through the node's SIP: the first participant of a \
                  conference INVITEs the factory and follows the 302, the others INVITE the \
                  conference URI, each offering SDP (RTP/SAVP with an SDES key under \
                  --srtp), and BYE at the end. Over SIP the node's [sip] loudest_n sets the \
                  policy (--loudest and --all do not apply), --node is still read for it, \
                  and --e2e is not available.\n\n\
                  Exit status: 0 passed, 1 a limit was exceeded or packets were misrouted, \
                  altered or failed SRTP, 2 the run could not be made."
)]
struct Args {
    /// Capture to replay (pcap or pcapng); its RTP streams are played round robin.
    #[arg(required_unless_present = "synthetic", conflicts_with = "synthetic")]
    capture: Option<PathBuf>,
    /// Play N generated voices (PCMU) instead of a capture.
    #[arg(long, value_name = "N")]
    synthetic: Option<usize>,
    /// Only streams with this SSRC (hex; repeatable).
    #[arg(long, value_parser = parse_ssrc)]
    ssrc: Vec<u32>,
    /// Only datagrams from or to this UDP port (repeatable).
    #[arg(long)]
    port: Vec<u16>,
    /// Only packets of this payload type (repeatable).
    #[arg(long = "pt")]
    payload_type: Vec<u8>,
    /// The node's HTTP address (admin API).
    #[arg(long, default_value = "http://127.0.0.1:9100")]
    node: String,
    /// The node's admin API token (`http.admin_token`), sent as a bearer token.
    #[arg(long, value_name = "TOKEN")]
    admin_token: Option<String>,
    /// Set calls up through the node's SIP at this UDP address instead of the admin API.
    #[arg(long, value_name = "HOST:PORT", conflicts_with = "e2e")]
    sip: Option<SocketAddr>,
    /// With --sip: the SIP domain (the factory URI is `sip:<factory>@<domain>`).
    #[arg(long, requires = "sip", default_value = "localhost")]
    sip_domain: String,
    /// With --sip: the conference factory's user part.
    #[arg(long, requires = "sip", default_value = "conference")]
    sip_factory: String,
    /// With --sip: the user to call as (digest username).
    #[arg(long, requires = "sip", default_value = "rtp-replay")]
    sip_user: String,
    /// With --sip: the digest password (none: the node must not ask).
    #[arg(long, requires = "sip")]
    sip_password: Option<String>,
    /// The replay's UDP address, where the node sends media back.
    #[arg(long, default_value = "127.0.0.1:0")]
    bind: SocketAddr,
    /// Conferences to create.
    #[arg(long, default_value_t = 1)]
    conferences: usize,
    /// Participants per conference.
    #[arg(long, default_value_t = 3)]
    participants: usize,
    /// Seconds of media per conference (default: one pass of the capture, or until
    /// Ctrl-C with --loop).
    #[arg(long, value_name = "SECONDS")]
    duration: Option<f64>,
    /// Play the capture again from the start when it ends.
    #[arg(long = "loop")]
    looping: bool,
    /// Pacing: 2.0 plays twice as fast as captured.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Legs set up per second at most (default: as fast as the node answers).
    #[arg(long, value_name = "LEGS_PER_SECOND")]
    ramp_up: Option<f64>,
    /// Loudest-N selection with this N.
    #[arg(long, default_value_t = 3, conflicts_with = "all")]
    loudest: usize,
    /// Forward every participant (no selection).
    #[arg(long)]
    all: bool,
    /// What participants receive (admin API only for mix).
    #[arg(long, value_enum, default_value = "streams")]
    receive: ReceiveMode,
    /// Where RFC 6464 audio levels come from.
    #[arg(long, value_enum, default_value = "slots")]
    levels: Levels,
    /// Slot length of --levels slots.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    slot: Duration,
    /// The audio level header extension id.
    #[arg(long, default_value_t = 1)]
    level_id: u8,
    /// Protect media with SRTP in this suite (e.g. AES_CM_128_HMAC_SHA1_80,
    /// AEAD_AES_256_GCM), fresh keys per participant (hop-by-hop).
    #[arg(long, value_name = "SUITE")]
    srtp: Option<String>,
    /// With --srtp: one fresh key per conference, end-to-end (the node forwards ciphertext).
    #[arg(long, requires = "srtp")]
    e2e: bool,
    /// Packets closer than this to a modelled selection change need not arrive.
    #[arg(long, default_value = "300ms", value_parser = parse_duration)]
    margin: Duration,
    /// Keep receiving this long after the last packet.
    #[arg(long, default_value = "500ms", value_parser = parse_duration)]
    drain: Duration,
    /// Write the report as JSON.
    #[arg(long, value_name = "FILE.json")]
    report: Option<PathBuf>,
    /// Write every datagram received (as received, SRTP encrypted) to a pcap.
    #[arg(long, value_name = "FILE.pcap")]
    record: Option<PathBuf>,
    /// Write each leg's SRTP keys (secret!) to decrypt the recording.
    #[arg(long, value_name = "FILE")]
    keylog: Option<PathBuf>,
    /// Fail when the loss exceeds this (e.g. 0.1% or 0.001).
    #[arg(long, value_parser = parse_ratio)]
    max_loss: Option<f64>,
    /// Fail when the 99th percentile of one-way delay exceeds this (e.g. 5ms).
    #[arg(long, value_parser = parse_duration)]
    max_p99_delay: Option<Duration>,
    /// Fail when a participant heard talkers the conference policy does not explain.
    #[arg(long)]
    check_talkers: bool,
    /// Leave the conferences on the node at the end.
    #[arg(long)]
    keep: bool,
    /// No progress line.
    #[arg(long)]
    quiet: bool,
}

fn parse_ssrc(text: &str) -> Result<u32, String> {
    let digits = text.trim_start_matches("0x").trim_start_matches("0X");
    u32::from_str_radix(digits, 16).map_err(|e| format!("SSRC {text:?} is not hex: {e}"))
}

fn options(args: &Args) -> anyhow::Result<ReplayOptions> {
    let streams = match (&args.capture, args.synthetic) {
        (Some(path), _) => {
            let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
            let filter = StreamFilter {
                ssrcs: args.ssrc.clone(),
                ports: args.port.clone(),
                payload_types: args.payload_type.clone(),
            };
            load_capture(BufReader::new(file), &filter)
                .with_context(|| format!("reading {}", path.display()))?
        }
        (None, Some(count)) => synthetic_voices(count),
        (None, None) => return Err(anyhow!("give a capture or --synthetic N")),
    };
    let mut options = ReplayOptions::new(&args.node, streams, args.conferences, args.participants);
    options.bind = args.bind;
    options.sip = args.sip.map(|server| SipTarget {
        server,
        domain: args.sip_domain.clone(),
        factory: args.sip_factory.clone(),
        user: args.sip_user.clone(),
        password: args.sip_password.clone(),
    });
    options.timing = Timing {
        speed: args.speed,
        looping: args.looping,
        duration_ns: args
            .duration
            .map(|s| Duration::try_from_secs_f64(s).map(|d| d.as_nanos() as u64))
            .transpose()
            .map_err(|_| anyhow!("--duration must be a positive number of seconds"))?,
    };
    options.ramp_up = args.ramp_up;
    options.policy = if args.all {
        PolicyRequest::All
    } else {
        PolicyRequest::Loudest(args.loudest)
    };
    options.levels = match args.levels {
        Levels::Keep => LevelSource::Keep,
        Levels::Payload => LevelSource::Payload,
        Levels::Slots => LevelSource::Slots {
            slot_ns: args.slot.as_nanos() as u64,
        },
    };
    options.level_id = args.level_id;
    options.srtp = match &args.srtp {
        Some(name) => {
            let suite = SrtpSuite::from_sdes_name(name)
                .ok_or_else(|| anyhow!("unknown SRTP suite {name:?}"))?;
            Some(if args.e2e {
                SrtpMode::EndToEnd(suite)
            } else {
                SrtpMode::HopByHop(suite)
            })
        }
        None => None,
    };
    options.receive_mix = args.receive == ReceiveMode::Mix;
    options.admin_token = args.admin_token.clone();
    if options.receive_mix && args.check_talkers {
        return Err(anyhow!(
            "--check-talkers reads forwarded packets; with --receive mix check the recording"
        ));
    }
    options.margin = args.margin;
    options.drain = args.drain;
    options.record = args.record.clone();
    options.keylog = args.keylog.clone();
    options.keep = args.keep;
    Ok(options)
}

fn main() -> ExitCode {
    let args = Args::parse();
    match replay(&args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("rtp-replay: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn replay(args: &Args) -> anyhow::Result<ExitCode> {
    let options = options(args)?;
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second signal while stopping ends the process at once.
        signal_hook::flag::register_conditional_shutdown(signal, 130, stop.clone())?;
        signal_hook::flag::register(signal, stop.clone())?;
    }
    let mut progress = (!args.quiet).then(ProgressLine::new);
    let report = run(&options, &stop, &mut |status| {
        if let Some(line) = progress.as_mut() {
            line.update(status);
        }
    });
    if let Some(line) = &progress {
        line.finish();
    }
    let report = report?;
    print!("{}", report.to_table());
    if let Some(path) = &args.report {
        let json = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    let thresholds = Thresholds {
        max_loss: args.max_loss,
        max_p99_delay: args.max_p99_delay,
        check_talkers: args.check_talkers,
    };
    let failed = violations(&report, &thresholds);
    for violation in &failed {
        eprintln!("rtp-replay: FAIL: {violation}");
    }
    Ok(if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
