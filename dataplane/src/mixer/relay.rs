//! Relays: one talker's own voice, re-encoded for listeners that forwarding cannot reach.
//!
//! A selected talker's packets go to the legs that receive streams as they arrived. That
//! works when the listener decodes the talker's codec under the same payload type and
//! protection: a PSTN phone's G.711 does not reach a WebRTC-style Opus listener that way,
//! nor does a hop-by-hop talker reach an end-to-end listener (or the reverse). For those the
//! mixer keeps a relay: the talker's decoded frame alone, through a limiter and an encoder
//! of the listener's codec and packet time, encoded once per tick while the talker is in
//! the mix, however many listeners take it. The media core decides which relays exist.

use super::conference_mixer::ConferenceMixer;
use super::output::{MixOutput, OutputIndex, OutputKind};
use super::{MixLegConfig, MixerError};
use crate::conference::LegId;

/// One relay: whose voice, and the output it is encoded into.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Relay {
    pub(crate) leg: LegId,
    pub(crate) output: usize,
}

impl ConferenceMixer {
    /// Keeps `leg`'s voice encoded alone in `listener`'s codec and packet time while it is
    /// in the mix; returns the output (the existing one if there is one already).
    pub fn add_relay(
        &mut self,
        leg: LegId,
        listener: MixLegConfig,
    ) -> Result<OutputIndex, MixerError> {
        listener.validate()?;
        self.position(leg)
            .map_err(|_| MixerError::UnknownLeg(leg))?;
        let existing = self.relays.iter().find(|r| {
            r.leg == leg
                && self
                    .outputs
                    .get(r.output)
                    .and_then(Option::as_ref)
                    .is_some_and(|o| o.codec() == listener.codec && o.ptime() == listener.ptime)
        });
        if let Some(relay) = existing {
            return Ok(OutputIndex(relay.output));
        }
        let output = MixOutput {
            kind: OutputKind::Relay(leg),
            ptime: listener.ptime,
            encoder: super::encoder::OutputEncoder::new(
                listener.codec,
                listener.ptime_ms(),
                &self.config.opus,
            )?,
            limiter: super::limiter::Limiter::new(),
        };
        let output = self.place_output(output);
        self.relays.push(Relay { leg, output });
        Ok(OutputIndex(output))
    }

    /// Ends a relay (from [`Self::add_relay`]); relays also end with their leg.
    pub fn remove_relay(&mut self, output: OutputIndex) {
        if let Some(at) = self.relays.iter().position(|r| r.output == output.0) {
            self.relays.swap_remove(at);
            if let Some(slot) = self.outputs.get_mut(output.0) {
                *slot = None;
            }
        }
    }

    /// The relays of this conference, as `(talker, output)`.
    pub fn relays(&self) -> impl Iterator<Item = (LegId, OutputIndex)> + '_ {
        self.relays.iter().map(|r| (r.leg, OutputIndex(r.output)))
    }

    /// Encodes each relay whose talker is in this tick's mix.
    pub(super) fn encode_relays(&mut self) {
        for relay in &self.relays {
            let Ok(position) = self.position(relay.leg) else {
                continue;
            };
            let Some(Some(output)) = self.outputs.get_mut(relay.output) else {
                continue;
            };
            let Some(leg) = self.legs.get(position) else {
                continue;
            };
            if !leg.contributing {
                output.encoder.skip_tick();
                continue;
            }
            for (wide, &sample) in self.minus.iter_mut().zip(&leg.frame) {
                *wide = i32::from(sample);
            }
            output.limiter.process(&self.minus, &mut self.talker_pcm);
            self.counters.relay_encodes += 1;
            if !output.encoder.encode_tick(&self.talker_pcm) {
                self.counters.encode_errors += 1;
            }
        }
    }
}
