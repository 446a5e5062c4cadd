//! One event loop per configured core, and the typed command channel to each.
//!
//! Core `i` runs pinned to CPU `i`, on glommio (io_uring) when the kernel allows it, or on a
//! plain pinned thread otherwise. The choice is made once at start-up and logged; with
//! `io_backend = "auto"` a refusal of io_uring (sysctl, seccomp, or too little locked memory)
//! falls back to threads instead of stopping the node. Each core owns its sockets
//! ([`medianode_netio::PacketIo`], io_uring or recvmmsg/sendmmsg by the same setting) and a
//! [`MediaCore`](medianode_dataplane::conference::MediaCore); the control side reaches it
//! only through [`CoreCommand`]s and hears from it only through [`NodeEvent`]s.

mod commands;
mod core_loop;
mod glommio_shell;
mod port_pool;
mod thread_shell;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use commands::{AddLegError, ConferenceView, CoreCommand, NodeEvent, Reply};
pub use core_loop::{CoreLoop, CoreSetup, LoopControl};
use medianode_netio::IoBackendChoice;

use crate::config::{Config, IoBackend};
use crate::metrics::{CoreBackend, CoreMetrics};

/// The running cores.
#[derive(Debug)]
pub struct Runtime {
    cores: Vec<CoreHandle>,
}

#[derive(Debug)]
struct CoreHandle {
    index: usize,
    commands: crossbeam_channel::Sender<CoreCommand>,
    thread: CoreThread,
}

enum CoreThread {
    IoUring(glommio::ExecutorJoinHandle<()>),
    Threads(std::thread::JoinHandle<()>),
}

impl fmt::Debug for CoreThread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CoreThread::IoUring(_) => "IoUring",
            CoreThread::Threads(_) => "Threads",
        })
    }
}

/// Why a shell could not start its core.
#[derive(Debug)]
enum ShellError {
    /// The event loop's executor or thread did not start.
    Executor(String),
    /// The core's socket layer could not be set up.
    PacketIo(std::io::Error),
}

/// Why the cores could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum RuntimeError {
    /// `io_backend = "io_uring"` was required and io_uring could not be set up.
    IoUringUnavailable {
        /// The core that failed.
        core: usize,
        /// What glommio reported.
        reason: String,
        /// The locked memory the configuration asks for, in KiB, for the hint.
        io_memory_kib: usize,
    },
    /// A thread could not be created.
    Spawn {
        /// The core that failed.
        core: usize,
        /// The OS error.
        source: std::io::Error,
    },
    /// The core's socket layer could not be set up (with `io_backend = "io_uring"`: io_uring
    /// was refused).
    PacketIo {
        /// The core that failed.
        core: usize,
        /// The socket layer's error, which says what to change.
        source: std::io::Error,
    },
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeError::IoUringUnavailable {
                core,
                reason,
                io_memory_kib,
            } => write!(
                f,
                "core {core}: io_uring is unavailable ({reason}); raise the locked-memory limit \
                 (`ulimit -l`, memlock in /etc/security/limits.conf or LimitMEMLOCK= in the \
                 systemd unit) to at least {} KiB, lower runtime.io_memory_kib, or set \
                 runtime.io_backend = \"threads\"",
                io_memory_kib + 512
            ),
            RuntimeError::Spawn { core, source } => {
                write!(f, "core {core}: cannot start its thread: {source}")
            }
            RuntimeError::PacketIo { core, source } => write!(
                f,
                "core {core}: cannot set up packet I/O: {source} (runtime.io_backend = \
                 \"threads\" avoids io_uring)"
            ),
        }
    }
}

impl std::error::Error for RuntimeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RuntimeError::Spawn { source, .. } | RuntimeError::PacketIo { source, .. } => {
                Some(source)
            }
            RuntimeError::IoUringUnavailable { .. } => None,
        }
    }
}

/// The socket layer backend an `io_backend` setting asks for.
fn packet_io_choice(backend: IoBackend) -> IoBackendChoice {
    match backend {
        IoBackend::Auto => IoBackendChoice::Auto,
        IoBackend::IoUring => IoBackendChoice::IoUring,
        IoBackend::Threads => IoBackendChoice::Mmsg,
    }
}

/// What every core's shell is started with, beyond its setup.
struct CoreChannels {
    metrics: Arc<CoreMetrics>,
    commands: crossbeam_channel::Receiver<CoreCommand>,
    events: crossbeam_channel::Sender<NodeEvent>,
}

impl Runtime {
    /// Starts `config.runtime.cores` event loops and returns once every one of them runs;
    /// their events go to `events`. On error the cores already started are stopped again.
    pub fn start(
        config: &Config,
        node_started: Instant,
        metrics: &[Arc<CoreMetrics>],
        events: crossbeam_channel::Sender<NodeEvent>,
    ) -> Result<Runtime, RuntimeError> {
        let runtime_config = &config.runtime;
        let period = Duration::from_millis(runtime_config.housekeeping_ms);
        let io_memory = runtime_config.io_memory_kib * 1024;
        let io_choice = packet_io_choice(runtime_config.io_backend);
        let mut use_io_uring = runtime_config.io_backend != IoBackend::Threads;
        let mut runtime = Runtime {
            cores: Vec::with_capacity(metrics.len()),
        };
        for (index, core_metrics) in metrics.iter().enumerate() {
            let setup = CoreSetup::new(
                index,
                metrics.len(),
                node_started,
                period,
                &config.media,
                io_choice,
            );
            let (tx, rx) = crossbeam_channel::unbounded();
            let channels = || CoreChannels {
                metrics: core_metrics.clone(),
                commands: rx.clone(),
                events: events.clone(),
            };
            let mut thread = None;
            if use_io_uring {
                match glommio_shell::spawn(setup.clone(), io_memory, channels()) {
                    Ok(handle) => thread = Some(CoreThread::IoUring(handle)),
                    Err(ShellError::Executor(reason))
                        if runtime_config.io_backend == IoBackend::Auto =>
                    {
                        tracing::warn!(
                            core = index,
                            %reason,
                            "io_uring is unavailable; falling back to plain pinned threads \
                             (set runtime.io_backend = \"threads\" to skip this attempt)"
                        );
                        use_io_uring = false;
                    }
                    Err(ShellError::Executor(reason)) => {
                        runtime.shutdown();
                        return Err(RuntimeError::IoUringUnavailable {
                            core: index,
                            reason,
                            io_memory_kib: runtime_config.io_memory_kib,
                        });
                    }
                    Err(ShellError::PacketIo(source)) => {
                        runtime.shutdown();
                        return Err(RuntimeError::PacketIo {
                            core: index,
                            source,
                        });
                    }
                }
            }
            let thread = match thread {
                Some(thread) => thread,
                None => match thread_shell::spawn(setup, channels()) {
                    Ok(handle) => CoreThread::Threads(handle),
                    Err(error) => {
                        runtime.shutdown();
                        return Err(match error {
                            ShellError::PacketIo(source) => RuntimeError::PacketIo {
                                core: index,
                                source,
                            },
                            ShellError::Executor(reason) => RuntimeError::Spawn {
                                core: index,
                                source: std::io::Error::other(reason),
                            },
                        });
                    }
                },
            };
            let backend = match thread {
                CoreThread::IoUring(_) => CoreBackend::IoUring,
                CoreThread::Threads(_) => CoreBackend::Threads,
            };
            let packet_io = core_metrics.packet_io().unwrap_or("none");
            if packet_io != "io_uring" && io_choice == IoBackendChoice::Auto {
                tracing::warn!(
                    core = index,
                    "io_uring is unavailable for packet I/O; using recvmmsg/sendmmsg"
                );
            }
            let ports = config.media.core_ports(index, metrics.len());
            tracing::info!(
                core = index,
                backend = backend.as_str(),
                packet_io,
                ports = %format_args!("{}..={}", ports.start(), ports.end()),
                "core started"
            );
            runtime.cores.push(CoreHandle {
                index,
                commands: tx,
                thread,
            });
        }
        Ok(runtime)
    }

    /// Number of running cores.
    pub fn core_count(&self) -> usize {
        self.cores.len()
    }

    /// Sends `command` to core `index`; false if that core is gone.
    pub fn send(&self, index: usize, command: CoreCommand) -> bool {
        self.cores
            .get(index)
            .is_some_and(|core| core.commands.send(command).is_ok())
    }

    /// The command channel of every core, by index, for the control side.
    pub fn command_senders(&self) -> Vec<crossbeam_channel::Sender<CoreCommand>> {
        self.cores
            .iter()
            .map(|core| core.commands.clone())
            .collect()
    }

    /// Stops every core and waits for each event loop to end.
    pub fn shutdown(&mut self) {
        for core in &self.cores {
            // A core that already ended has dropped its receiver; nothing to stop then.
            let _ = core.commands.send(CoreCommand::Shutdown);
        }
        for core in self.cores.drain(..) {
            let result = match core.thread {
                CoreThread::IoUring(handle) => handle.join().map_err(|e| e.to_string()),
                CoreThread::Threads(handle) => handle
                    .join()
                    .map_err(|_| "the core's thread panicked".to_owned()),
            };
            match result {
                Ok(()) => tracing::debug!(core = core.index, "core stopped"),
                Err(error) => tracing::error!(core = core.index, %error, "core ended badly"),
            }
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(n: usize) -> Vec<Arc<CoreMetrics>> {
        (0..n).map(|i| Arc::new(CoreMetrics::new(i))).collect()
    }

    fn config(io_backend: IoBackend) -> Config {
        let mut config = Config::default();
        config.runtime.cores = 1;
        config.runtime.io_backend = io_backend;
        config.runtime.housekeeping_ms = 5;
        config
    }

    fn start(io_backend: IoBackend, started: Instant, metrics: &[Arc<CoreMetrics>]) -> Runtime {
        let (events, _) = crossbeam_channel::bounded(16);
        Runtime::start(&config(io_backend), started, metrics, events).unwrap()
    }

    fn wait_for_heartbeats(core: &CoreMetrics, started: Instant, beats: u64) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if core.heartbeat_age(started.elapsed()).is_some() && core.housekeeping_runs() >= beats
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!("core did not reach {beats} housekeeping runs");
    }

    #[test]
    fn thread_cores_turn_and_stop_on_shutdown() {
        let started = Instant::now();
        let metrics = metrics(1);
        let mut runtime = start(IoBackend::Threads, started, &metrics);
        assert_eq!(metrics[0].backend(), Some(CoreBackend::Threads));
        assert_eq!(metrics[0].packet_io(), Some("mmsg"));
        wait_for_heartbeats(&metrics[0], started, 3);
        runtime.shutdown();
        let after = metrics[0].housekeeping_runs();
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(
            metrics[0].housekeeping_runs(),
            after,
            "core still turning after shutdown"
        );
        assert!(!runtime.send(0, CoreCommand::Shutdown));
    }

    #[test]
    fn auto_starts_a_core_whatever_the_kernel_allows() {
        let started = Instant::now();
        let metrics = metrics(1);
        let mut runtime = start(IoBackend::Auto, started, &metrics);
        assert!(metrics[0].backend().is_some());
        assert!(metrics[0].packet_io().is_some());
        wait_for_heartbeats(&metrics[0], started, 3);
        runtime.shutdown();
    }
}
