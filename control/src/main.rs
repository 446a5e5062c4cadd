//! `medianode`: runs the node on embedded defaults, or on `--config FILE`; `medianode demo`
//! runs it with a built-in replay of generated talkers and points at the live page.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use clap::{Parser, Subcommand};
use medianode_control::config::Config;
use medianode_control::node::Node;
use medianode_tools::replay::demo::{demo_options, DemoSummary};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use tracing_subscriber::EnvFilter;

/// medianode: a thread-per-core media server for conferences (RTP routing, loudest-N, mixing,
/// SRTP) under a small SIP control plane.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// TOML configuration file; every key is optional (see medianode.example.toml).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Validate the configuration and exit.
    #[arg(long)]
    check_config: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the node with a built-in replay: a few conferences of generated talkers, a live
    /// summary every two seconds, and the address of the dashboard. Stops after --duration,
    /// or at Ctrl-C.
    Demo(DemoArgs),
}

#[derive(Debug, clap::Args)]
struct DemoArgs {
    /// Seconds of talk (default: until Ctrl-C).
    #[arg(long, value_name = "SECONDS")]
    duration: Option<f64>,
    /// Conferences to create.
    #[arg(long, default_value_t = 3)]
    conferences: usize,
    /// Talkers per conference.
    #[arg(long, default_value_t = 4)]
    participants: usize,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let config = match &args.config {
        Some(path) => Config::from_file(path),
        None => Ok(Config::default()),
    };
    let config = match config {
        Ok(config) => config,
        Err(error) => {
            eprintln!("medianode: {error}");
            return ExitCode::from(2);
        }
    };
    if args.check_config {
        println!("medianode: configuration is valid");
        return ExitCode::SUCCESS;
    }
    // The demo's own summary is the output; the node's log stays at warnings.
    let default_filter = match args.command {
        Some(Command::Demo(_)) => "warn",
        None => config.log.filter.as_str(),
    };
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    if let Some(Command::Demo(demo)) = &args.command {
        return run_demo(&config, demo);
    }

    // Registered before the cores start so that a signal during start-up is not lost.
    let mut signals = match Signals::new([SIGINT, SIGTERM]) {
        Ok(signals) => signals,
        Err(error) => {
            eprintln!("medianode: cannot install signal handlers: {error}");
            return ExitCode::FAILURE;
        }
    };
    let node = match Node::start(&config) {
        Ok(node) => node,
        Err(error) => {
            eprintln!("medianode: {error}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(
        http = %node.http_addr(),
        "medianode ready: /healthz, /metrics and the admin API (/v1/) on http://{}",
        node.http_addr()
    );
    if let Some(signal) = signals.forever().next() {
        let name = if signal == SIGINT {
            "SIGINT"
        } else {
            "SIGTERM"
        };
        tracing::info!(signal = name, "stopping");
    }
    match stop_within(node, SHUTDOWN_GRACE, &mut signals) {
        Stopped::Cleanly => {
            tracing::info!("medianode stopped cleanly");
            ExitCode::SUCCESS
        }
        Stopped::GraceOver => {
            tracing::error!(
                grace_s = SHUTDOWN_GRACE.as_secs(),
                "the node did not stop in time (a core or the SIP thread is stuck); exiting anyway"
            );
            ExitCode::FAILURE
        }
        Stopped::SecondSignal => {
            tracing::warn!("second signal while stopping; exiting without waiting");
            ExitCode::FAILURE
        }
        Stopped::Panicked => {
            tracing::error!("stopping the node panicked");
            ExitCode::FAILURE
        }
    }
}

/// How long a stop may take before the process exits without it.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// How [`stop_within`] ended.
enum Stopped {
    /// Every thread of the node ended.
    Cleanly,
    /// The grace period passed first.
    GraceOver,
    /// Another SIGINT or SIGTERM came first.
    SecondSignal,
    /// The shutdown thread panicked.
    Panicked,
}

/// Stops `node` on a thread of its own so that a stuck core (or a second Ctrl-C) cannot
/// keep the process alive: returning from `main` ends the process whatever still runs.
fn stop_within(node: Node, grace: Duration, signals: &mut Signals) -> Stopped {
    let (done_tx, done_rx) = mpsc::channel();
    let stopper = std::thread::Builder::new()
        .name("shutdown".to_owned())
        .spawn(move || {
            node.shutdown();
            let _ = done_tx.send(());
        });
    if let Err(error) = stopper {
        tracing::error!(%error, "cannot start the shutdown thread");
        return Stopped::GraceOver;
    }
    let deadline = std::time::Instant::now() + grace;
    loop {
        match done_rx.recv_timeout(Duration::from_millis(50)) {
            Ok(()) => return Stopped::Cleanly,
            Err(mpsc::RecvTimeoutError::Disconnected) => return Stopped::Panicked,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if signals.pending().next().is_some() {
            return Stopped::SecondSignal;
        }
        if std::time::Instant::now() >= deadline {
            return Stopped::GraceOver;
        }
    }
}

/// `medianode demo`: the node, the replay of generated talkers against it, a summary line
/// every two seconds, the report at the end.
fn run_demo(config: &Config, demo: &DemoArgs) -> ExitCode {
    let duration = match demo.duration.map(Duration::try_from_secs_f64) {
        None => None,
        Some(Ok(duration)) if !duration.is_zero() => Some(duration),
        Some(_) => {
            eprintln!("medianode demo: --duration must be a positive number of seconds");
            return ExitCode::from(2);
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        if let Err(error) = signal_hook::flag::register(signal, stop.clone()) {
            eprintln!("medianode: cannot install signal handlers: {error}");
            return ExitCode::FAILURE;
        }
    }
    let node = match Node::start(config) {
        Ok(node) => node,
        Err(error) => {
            eprintln!("medianode: {error}");
            return ExitCode::FAILURE;
        }
    };
    let url = format!("http://{}", node.http_addr());
    println!("medianode demo: the node is up; open {url}/ for the live dashboard");
    println!(
        "medianode demo: {} conferences of {} generated talkers, loudest 2 selected; {}",
        demo.conferences,
        demo.participants,
        duration.map_or_else(
            || "Ctrl-C stops".to_owned(),
            |d| format!("{} s", d.as_secs_f64())
        )
    );
    let options = demo_options(&url, demo.conferences, demo.participants, duration);
    let mut summary = DemoSummary::new(&url);
    let result = medianode_tools::replay::run(&options, &stop, &mut |status| {
        if let Some(line) = summary.line(status) {
            println!("{line}");
        }
    });
    let code = match result {
        Ok(report) => {
            print!("{}", report.to_table());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("medianode demo: {error}");
            ExitCode::FAILURE
        }
    };
    node.shutdown();
    code
}
