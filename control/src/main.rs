//! `medianode`: runs the node on embedded defaults, or on `--config FILE`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use medianode_control::config::Config;
use medianode_control::node::Node;
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
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(config.log.filter.as_str()));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();

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
    node.shutdown();
    tracing::info!("medianode stopped cleanly");
    ExitCode::SUCCESS
}
