//! Asking a core something from the control side: send a command carrying a one-slot reply
//! channel and wait for the answer, but never longer than the admin timeout, so a stuck or
//! overloaded core turns into a 503 instead of a hung request.

use std::time::Duration;

use crate::runtime::{CoreCommand, Reply};

use super::error::ApiError;

/// The command channels of every core and how long to wait for answers.
#[derive(Debug, Clone)]
pub struct CoreClient {
    cores: Vec<crossbeam_channel::Sender<CoreCommand>>,
    timeout: Duration,
}

impl CoreClient {
    /// A client over the cores' command channels, by core index.
    pub fn new(cores: Vec<crossbeam_channel::Sender<CoreCommand>>, timeout: Duration) -> Self {
        CoreClient { cores, timeout }
    }

    /// Number of cores.
    pub fn cores(&self) -> usize {
        self.cores.len()
    }

    /// Sends the command `make` builds around a reply channel to `core` and waits for the
    /// answer; 503 if the core is gone or does not answer in time.
    pub fn ask<T>(
        &self,
        core: usize,
        make: impl FnOnce(Reply<T>) -> CoreCommand,
    ) -> Result<T, ApiError> {
        let (reply, answer) = crossbeam_channel::bounded(1);
        self.tell(core, make(reply))?;
        answer
            .recv_timeout(self.timeout)
            .map_err(|error| match error {
                crossbeam_channel::RecvTimeoutError::Timeout => ApiError::unavailable(format!(
                    "core {core} did not answer within {} ms",
                    self.timeout.as_millis()
                )),
                crossbeam_channel::RecvTimeoutError::Disconnected => {
                    ApiError::unavailable(format!("core {core} dropped the request"))
                }
            })
    }

    /// Sends a command without waiting for its answer.
    pub fn tell(&self, core: usize, command: CoreCommand) -> Result<(), ApiError> {
        let sender = self
            .cores
            .get(core)
            .ok_or_else(|| ApiError::internal(format!("no core {core}")))?;
        sender
            .send(command)
            .map_err(|_| ApiError::unavailable(format!("core {core} is not running")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use medianode_dataplane::conference::ConferenceId;

    #[test]
    fn a_core_that_does_not_answer_is_a_503_and_a_gone_one_too() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let client = CoreClient::new(vec![tx], Duration::from_millis(20));
        let err = client
            .ask(0, |reply| CoreCommand::Snapshot {
                conference: ConferenceId(1),
                reply,
            })
            .unwrap_err();
        assert_eq!(err.status, 503);
        assert!(err.message.contains("did not answer"), "{err}");
        drop(rx);
        let err = client
            .ask(0, |reply| CoreCommand::Snapshot {
                conference: ConferenceId(1),
                reply,
            })
            .unwrap_err();
        assert_eq!(err.status, 503);
        assert!(err.message.contains("not running"), "{err}");
    }

    #[test]
    fn an_answer_comes_back() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let client = CoreClient::new(vec![tx], Duration::from_secs(5));
        let core = std::thread::spawn(move || {
            if let Ok(CoreCommand::Snapshot { reply, .. }) = rx.recv() {
                reply.send(None).unwrap();
            }
        });
        let answer = client
            .ask(0, |reply| CoreCommand::Snapshot {
                conference: ConferenceId(9),
                reply,
            })
            .unwrap();
        assert!(answer.is_none());
        core.join().unwrap();
    }
}
