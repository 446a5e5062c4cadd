//! Recording a conference's mix: the core taps its mixer's shared Opus output (48 kHz,
//! 20 ms; encoded at every tick while a recording runs, even with nobody listening) and
//! queues each frame for the I/O shell, which hands it to a writer off the core. The core
//! never writes a file; the queue is bounded, and frames beyond it are dropped and
//! counted ([`MixingCounters::recording_dropped`](super::MixingCounters)).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::media_core::MediaCore;
use super::{Codec, ConferenceError, ConferenceId};
use crate::mixer::{MixLegConfig, OutputIndex};

/// Frames the core holds for its shell: 5 s of one recording's 20 ms frames.
const MAX_QUEUED_FRAMES: usize = 256;

/// The id the control side gives a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordingId(pub u64);

/// One encoded frame of a recorded mix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedFrame {
    /// The recording it belongs to.
    pub recording: RecordingId,
    /// An Opus packet (mono, 48 kHz).
    pub payload: Vec<u8>,
    /// Samples at 48 kHz the packet covers.
    pub samples: u32,
}

/// A running recording of one conference.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecordingTap {
    pub(crate) id: RecordingId,
    pub(crate) output: OutputIndex,
}

/// Recorded frames waiting for the shell.
#[derive(Debug, Default)]
pub(crate) struct RecordedQueue {
    frames: VecDeque<RecordedFrame>,
}

impl RecordedQueue {
    /// Queues a copy of `payload`; `false` (and nothing queued) when full.
    pub(crate) fn push(&mut self, recording: RecordingId, payload: &[u8], samples: u32) -> bool {
        if self.frames.len() >= MAX_QUEUED_FRAMES {
            return false;
        }
        self.frames.push_back(RecordedFrame {
            recording,
            payload: payload.to_vec(),
            samples,
        });
        true
    }
}

impl MediaCore {
    /// Starts recording a conference's mix under `recording`; the conference mixes from
    /// now on if it did not already. Frames come out of [`Self::poll_recorded`].
    pub fn start_recording(
        &mut self,
        id: ConferenceId,
        recording: RecordingId,
        now: Instant,
    ) -> Result<(), ConferenceError> {
        let slot = self.conference_slot(id)?;
        let (running, had_mixer) = self.conferences.get(slot).map_or((false, false), |c| {
            (c.recording.is_some(), c.mixer.is_some())
        });
        if running {
            return Err(ConferenceError::AlreadyRecording(id));
        }
        self.start_mixer(slot, now)?;
        let Some(conference) = self.conferences.get_mut(slot) else {
            return Err(ConferenceError::UnknownConference(id));
        };
        let Some(state) = conference.mixer.as_deref_mut() else {
            return Err(ConferenceError::UnknownConference(id));
        };
        let tap = MixLegConfig::new(Codec::Opus, 111).with_ptime(Duration::from_millis(20));
        match state.mixer.add_tap(tap) {
            Ok(output) => {
                state.listeners += 1;
                conference.recording = Some(RecordingTap {
                    id: recording,
                    output,
                });
                Ok(())
            }
            Err(error) => {
                if !had_mixer {
                    self.drop_mixer(slot);
                }
                Err(ConferenceError::Mixer(error))
            }
        }
    }

    /// Stops a conference's recording and returns its id; the mixer stops too if nobody
    /// else listens to it. Frames already queued stay in [`Self::poll_recorded`].
    pub fn stop_recording(&mut self, id: ConferenceId) -> Result<RecordingId, ConferenceError> {
        let slot = self.conference_slot(id)?;
        let conference = self
            .conferences
            .get_mut(slot)
            .ok_or(ConferenceError::UnknownConference(id))?;
        let tap = conference
            .recording
            .take()
            .ok_or(ConferenceError::NotRecording(id))?;
        if let Some(state) = conference.mixer.as_deref_mut() {
            state.mixer.remove_tap(tap.output);
        }
        self.release_listener(slot);
        Ok(tap.id)
    }

    /// The next recorded frame for the shell to hand to its writer.
    pub fn poll_recorded(&mut self) -> Option<RecordedFrame> {
        self.recorded.frames.pop_front()
    }
}
