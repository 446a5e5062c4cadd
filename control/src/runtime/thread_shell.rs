//! The portable shell: a plain thread pinned to one CPU runs a [`CoreLoop`], for kernels or
//! sandboxes where io_uring is disabled (Docker's default seccomp profile blocks it).

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::core_loop::{CoreLoop, CoreSetup, LoopControl};
use super::{CoreChannels, ShellError};
use crate::metrics::CoreBackend;

/// How long a new thread may take to set up its core before start-up gives up on it.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts core `setup.index` on a thread pinned to CPU `setup.index` and waits until its
/// loop runs.
pub(super) fn spawn(
    setup: CoreSetup,
    channels: CoreChannels,
) -> Result<JoinHandle<()>, ShellError> {
    let index = setup.index;
    let (ready_tx, ready_rx) = crossbeam_channel::bounded::<std::io::Result<()>>(1);
    let handle = std::thread::Builder::new()
        .name(format!("medianode-core-{index}"))
        .spawn(move || {
            let CoreChannels {
                metrics,
                commands,
                events,
            } = channels;
            if !core_affinity::set_for_current(core_affinity::CoreId { id: index }) {
                tracing::warn!(core = index, "could not pin the core's thread to its CPU");
            }
            metrics.set_backend(CoreBackend::Threads);
            let mut core = match CoreLoop::new(setup, metrics, events) {
                Ok(core) => core,
                Err(error) => {
                    // The receiver waits for this; if it has gone, start-up already failed.
                    let _ = ready_tx.send(Err(error));
                    return;
                }
            };
            core.housekeeping(Instant::now());
            let _ = ready_tx.send(Ok(()));
            while core.turn(&commands) == LoopControl::Continue {}
        })
        .map_err(|e| ShellError::Executor(e.to_string()))?;
    match ready_rx.recv_timeout(START_TIMEOUT) {
        Ok(Ok(())) => Ok(handle),
        Ok(Err(error)) => {
            // The thread ends right after reporting; its result adds nothing.
            let _ = handle.join();
            Err(ShellError::PacketIo(error))
        }
        Err(crossbeam_channel::RecvTimeoutError::Disconnected) => Err(ShellError::Executor(
            "the core's thread ended before it started".to_owned(),
        )),
        Err(crossbeam_channel::RecvTimeoutError::Timeout) => Err(ShellError::Executor(format!(
            "the core's thread did not start within {START_TIMEOUT:?}"
        ))),
    }
}
