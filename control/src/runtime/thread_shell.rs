//! The portable shell: a plain thread pinned to one CPU runs a [`CoreLoop`], for kernels or
//! sandboxes where io_uring is disabled (Docker's default seccomp profile blocks it).

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::core_loop::{CoreCommand, CoreLoop, LoopControl};
use crate::metrics::{CoreBackend, CoreMetrics};

/// Starts core `index` on a thread pinned to CPU `index`.
pub(super) fn spawn(
    index: usize,
    period: Duration,
    node_started: Instant,
    metrics: Arc<CoreMetrics>,
    commands: crossbeam_channel::Receiver<CoreCommand>,
) -> std::io::Result<JoinHandle<()>> {
    metrics.set_backend(CoreBackend::Threads);
    std::thread::Builder::new()
        .name(format!("medianode-core-{index}"))
        .spawn(move || {
            if !core_affinity::set_for_current(core_affinity::CoreId { id: index }) {
                tracing::warn!(core = index, "could not pin the core's thread to its CPU");
            }
            let mut core = CoreLoop::new(node_started, metrics);
            while core.turn(&commands, Instant::now()) == LoopControl::Continue {
                // Waiting on the command channel doubles as the housekeeping timer.
                match commands.recv_timeout(period) {
                    Ok(command) => {
                        if core.handle(command) == LoopControl::Stop {
                            break;
                        }
                    }
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                    Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
                }
            }
        })
}
