//! One event loop per configured core, and the typed command channel to each.
//!
//! Core `i` runs pinned to CPU `i`, on glommio (io_uring) when the kernel allows it, or on a
//! plain pinned thread otherwise. The choice is made once at start-up and logged; with
//! `io_backend = "auto"` a refusal of io_uring (sysctl, seccomp, or too little locked memory)
//! falls back to threads instead of stopping the node.

mod core_loop;
mod glommio_shell;
mod thread_shell;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use core_loop::{CoreCommand, CoreLoop, LoopControl};

use crate::config::{IoBackend, RuntimeConfig};
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
        }
    }
}

impl std::error::Error for RuntimeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RuntimeError::Spawn { source, .. } => Some(source),
            RuntimeError::IoUringUnavailable { .. } => None,
        }
    }
}

impl Runtime {
    /// Starts `config.cores` event loops and returns once every one of them runs. On error
    /// the cores already started are stopped again.
    pub fn start(
        config: &RuntimeConfig,
        node_started: Instant,
        metrics: &[Arc<CoreMetrics>],
    ) -> Result<Runtime, RuntimeError> {
        let period = Duration::from_millis(config.housekeeping_ms);
        let io_memory = config.io_memory_kib * 1024;
        let mut use_io_uring = config.io_backend != IoBackend::Threads;
        let mut runtime = Runtime {
            cores: Vec::with_capacity(metrics.len()),
        };
        for (index, core_metrics) in metrics.iter().enumerate() {
            let (tx, rx) = crossbeam_channel::unbounded();
            let mut thread = None;
            if use_io_uring {
                match glommio_shell::spawn(
                    index,
                    io_memory,
                    period,
                    node_started,
                    core_metrics.clone(),
                    rx.clone(),
                ) {
                    Ok(handle) => thread = Some(CoreThread::IoUring(handle)),
                    Err(reason) if config.io_backend == IoBackend::Auto => {
                        tracing::warn!(
                            core = index,
                            %reason,
                            "io_uring is unavailable; falling back to plain pinned threads \
                             (set runtime.io_backend = \"threads\" to skip this attempt)"
                        );
                        use_io_uring = false;
                    }
                    Err(reason) => {
                        runtime.shutdown();
                        return Err(RuntimeError::IoUringUnavailable {
                            core: index,
                            reason,
                            io_memory_kib: config.io_memory_kib,
                        });
                    }
                }
            }
            let thread = match thread {
                Some(thread) => thread,
                None => {
                    match thread_shell::spawn(index, period, node_started, core_metrics.clone(), rx)
                    {
                        Ok(handle) => CoreThread::Threads(handle),
                        Err(source) => {
                            runtime.shutdown();
                            return Err(RuntimeError::Spawn {
                                core: index,
                                source,
                            });
                        }
                    }
                }
            };
            let backend = match thread {
                CoreThread::IoUring(_) => CoreBackend::IoUring,
                CoreThread::Threads(_) => CoreBackend::Threads,
            };
            tracing::info!(core = index, backend = backend.as_str(), "core started");
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

    fn config(io_backend: IoBackend) -> RuntimeConfig {
        RuntimeConfig {
            cores: 1,
            io_backend,
            io_memory_kib: 512,
            housekeeping_ms: 5,
        }
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
        let mut runtime = Runtime::start(&config(IoBackend::Threads), started, &metrics).unwrap();
        assert_eq!(metrics[0].backend(), Some(CoreBackend::Threads));
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
        let mut runtime = Runtime::start(&config(IoBackend::Auto), started, &metrics).unwrap();
        assert!(metrics[0].backend().is_some());
        wait_for_heartbeats(&metrics[0], started, 3);
        runtime.shutdown();
    }
}
