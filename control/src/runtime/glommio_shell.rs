//! The io_uring shell: a glommio `LocalExecutor` pinned to one CPU runs a [`CoreLoop`].
//!
//! The loop blocks in its socket layer between turns (never longer than the next deadline
//! or housekeeping), so the executor runs exactly one task and never needs to yield.

use std::time::{Duration, Instant};

use glommio::{LocalExecutorBuilder, Placement};

use super::core_loop::{CoreLoop, CoreSetup, LoopControl};
use super::{CoreChannels, ShellError};
use crate::metrics::CoreBackend;

/// How long a new executor may take to come up before start-up gives up on it.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts core `setup.index` on CPU `setup.index` and waits until its loop runs.
///
/// An executor failure carries glommio's text (for example the io_uring setup error or the
/// memlock limit it found).
pub(super) fn spawn(
    setup: CoreSetup,
    io_memory: usize,
    channels: CoreChannels,
) -> Result<glommio::ExecutorJoinHandle<()>, ShellError> {
    let index = setup.index;
    let (ready_tx, ready_rx) = crossbeam_channel::bounded::<std::io::Result<()>>(1);
    let handle = LocalExecutorBuilder::new(Placement::Fixed(index))
        .name(&format!("medianode-core-{index}"))
        .io_memory(io_memory)
        .spawn(move || async move {
            let CoreChannels {
                metrics,
                commands,
                events,
            } = channels;
            metrics.set_backend(CoreBackend::IoUring);
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
            // The executor ends right after reporting; its result adds nothing.
            let _ = handle.join();
            Err(ShellError::PacketIo(error))
        }
        Err(crossbeam_channel::RecvTimeoutError::Disconnected) => match handle.join() {
            Ok(()) => Err(ShellError::Executor(
                "the executor ended before it started".to_owned(),
            )),
            Err(e) => Err(ShellError::Executor(e.to_string())),
        },
        Err(crossbeam_channel::RecvTimeoutError::Timeout) => Err(ShellError::Executor(format!(
            "the executor did not start within {START_TIMEOUT:?}"
        ))),
    }
}
