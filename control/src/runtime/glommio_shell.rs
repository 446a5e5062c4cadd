//! The io_uring shell: a glommio `LocalExecutor` pinned to one CPU runs a [`CoreLoop`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use glommio::{LocalExecutorBuilder, Placement};

use super::core_loop::{CoreCommand, CoreLoop, LoopControl};
use crate::metrics::{CoreBackend, CoreMetrics};

/// How long a new executor may take to come up before start-up gives up on it.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts core `index` on CPU `index` and waits until its executor runs.
///
/// On failure the error text is glommio's (for example the io_uring setup error or the
/// memlock limit it found).
pub(super) fn spawn(
    index: usize,
    io_memory: usize,
    period: Duration,
    node_started: Instant,
    metrics: Arc<CoreMetrics>,
    commands: crossbeam_channel::Receiver<CoreCommand>,
) -> Result<glommio::ExecutorJoinHandle<()>, String> {
    let (ready_tx, ready_rx) = crossbeam_channel::bounded::<()>(1);
    let handle = LocalExecutorBuilder::new(Placement::Fixed(index))
        .name(&format!("medianode-core-{index}"))
        .io_memory(io_memory)
        .spawn(move || async move {
            metrics.set_backend(CoreBackend::IoUring);
            let mut core = CoreLoop::new(node_started, metrics);
            core.housekeeping(Instant::now());
            // The receiver waits for this; if it has gone, start-up already failed.
            let _ = ready_tx.send(());
            while core.turn(&commands, Instant::now()) == LoopControl::Continue {
                glommio::timer::sleep(period).await;
            }
        })
        .map_err(|e| e.to_string())?;
    match ready_rx.recv_timeout(START_TIMEOUT) {
        Ok(()) => Ok(handle),
        Err(crossbeam_channel::RecvTimeoutError::Disconnected) => match handle.join() {
            Ok(()) => Err("the executor ended before it started".to_owned()),
            Err(e) => Err(e.to_string()),
        },
        Err(crossbeam_channel::RecvTimeoutError::Timeout) => Err(format!(
            "the executor did not start within {START_TIMEOUT:?}"
        )),
    }
}
