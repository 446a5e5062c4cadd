//! The per-core event loop's logic, with no I/O and no clock of its own.
//!
//! Both shells ([`super::glommio_shell`] and [`super::thread_shell`]) drive the same
//! [`CoreLoop`]: they hand it commands and the current time and obey what it returns. The
//! media path (issue: dataplane) plugs in here; keeping it sans-IO is what lets tests drive a
//! core deterministically.

use std::sync::Arc;
use std::time::Instant;

use crate::metrics::CoreMetrics;

/// A command from the control side to one core.
#[derive(Debug)]
#[non_exhaustive]
pub enum CoreCommand {
    /// Finish what is in hand and end the event loop.
    Shutdown,
}

/// What the shell does after handing the loop a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopControl {
    /// Keep running.
    Continue,
    /// End the event loop.
    Stop,
}

/// One core's state.
#[derive(Debug)]
pub struct CoreLoop {
    node_started: Instant,
    metrics: Arc<CoreMetrics>,
}

impl CoreLoop {
    /// A loop for the core whose counters are `metrics`, in a node started at `node_started`.
    pub fn new(node_started: Instant, metrics: Arc<CoreMetrics>) -> CoreLoop {
        CoreLoop {
            node_started,
            metrics,
        }
    }

    /// Handles one control command.
    pub fn handle(&mut self, command: CoreCommand) -> LoopControl {
        self.metrics.record_command();
        match command {
            CoreCommand::Shutdown => LoopControl::Stop,
        }
    }

    /// Periodic work: publishes the heartbeat that `/healthz` checks.
    pub fn housekeeping(&mut self, now: Instant) {
        self.metrics
            .record_housekeeping(now.saturating_duration_since(self.node_started));
    }

    /// Drains every pending command from `commands`, then runs housekeeping at `now`.
    /// A closed channel means the control side is gone, which also stops the core.
    pub fn turn(
        &mut self,
        commands: &crossbeam_channel::Receiver<CoreCommand>,
        now: Instant,
    ) -> LoopControl {
        loop {
            match commands.try_recv() {
                Ok(command) => {
                    if self.handle(command) == LoopControl::Stop {
                        return LoopControl::Stop;
                    }
                }
                Err(crossbeam_channel::TryRecvError::Empty) => break,
                Err(crossbeam_channel::TryRecvError::Disconnected) => return LoopControl::Stop,
            }
        }
        self.housekeeping(now);
        LoopControl::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_turn_publishes_the_heartbeat_and_shutdown_stops() {
        let start = Instant::now();
        let metrics = Arc::new(CoreMetrics::new(0));
        let mut core = CoreLoop::new(start, metrics.clone());
        let (tx, rx) = crossbeam_channel::unbounded();

        assert_eq!(
            core.turn(&rx, start + Duration::from_millis(20)),
            LoopControl::Continue
        );
        assert_eq!(
            metrics.heartbeat_age(Duration::from_millis(25)),
            Some(Duration::from_millis(5))
        );

        tx.send(CoreCommand::Shutdown).unwrap();
        assert_eq!(
            core.turn(&rx, start + Duration::from_millis(30)),
            LoopControl::Stop
        );
    }

    #[test]
    fn a_closed_command_channel_stops_the_core() {
        let metrics = Arc::new(CoreMetrics::new(0));
        let mut core = CoreLoop::new(Instant::now(), metrics);
        let (tx, rx) = crossbeam_channel::unbounded::<CoreCommand>();
        drop(tx);
        assert_eq!(core.turn(&rx, Instant::now()), LoopControl::Stop);
    }
}
