//! What a tick produces: encoded outputs, and which output each leg receives. A shared
//! output is encoded once and referenced by every leg that listens to it; the payload
//! is never copied per leg.

use core::fmt;
use std::time::Duration;

use super::encoder::OutputEncoder;
use super::limiter::Limiter;
use super::SelectionChange;
use crate::conference::{Codec, LegId};

/// An index into this conference's outputs, valid for the tick that returned it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OutputIndex(pub(crate) usize);

/// What an output carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    /// The full mix, shared by every listener of one codec and packet time.
    Shared,
    /// The mix minus one talker's own voice, for that talker.
    MixMinus(LegId),
    /// One talker's voice alone, for listeners forwarding cannot reach (see `relay`).
    Relay(LegId),
}

/// One encoded output stream.
pub struct MixOutput {
    pub(crate) kind: OutputKind,
    pub(crate) ptime: Duration,
    pub(crate) encoder: OutputEncoder,
    pub(crate) limiter: Limiter,
}

impl fmt::Debug for MixOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MixOutput")
            .field("kind", &self.kind)
            .field("codec", &self.encoder.codec())
            .field("ptime", &self.ptime)
            .finish()
    }
}

impl MixOutput {
    /// Shared mix or a talker's mix-minus.
    pub fn kind(&self) -> OutputKind {
        self.kind
    }

    /// The codec of its packets.
    pub fn codec(&self) -> Codec {
        self.encoder.codec()
    }

    /// The duration of each packet.
    pub fn ptime(&self) -> Duration {
        self.ptime
    }

    /// RTP timestamp units each packet advances the stream by.
    pub fn samples_per_packet(&self) -> u32 {
        self.encoder.packet_samples()
    }

    /// The payloads completed this tick, in order: none, one, or (at 10 ms) two.
    pub fn packets(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.encoder.packets()
    }
}

/// A leg and the output it receives this tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// The receiving leg.
    pub leg: LegId,
    /// The output whose packets it gets.
    pub output: OutputIndex,
}

/// The result of one tick, borrowed from the mixer until the next call into it.
#[derive(Debug, Clone, Copy)]
pub struct MixedTick<'a> {
    pub(crate) deliveries: &'a [Delivery],
    pub(crate) outputs: &'a [Option<MixOutput>],
    pub(crate) changes: &'a [SelectionChange],
}

impl<'a> MixedTick<'a> {
    /// Every leg and the output it receives, in ascending leg order.
    pub fn deliveries(&self) -> &'a [Delivery] {
        self.deliveries
    }

    /// An output by index.
    pub fn output(&self, index: OutputIndex) -> Option<&'a MixOutput> {
        self.outputs.get(index.0).and_then(Option::as_ref)
    }

    /// The output `leg` receives, if it is in the mix.
    pub fn output_for(&self, leg: LegId) -> Option<&'a MixOutput> {
        let i = self.deliveries.binary_search_by_key(&leg, |d| d.leg).ok()?;
        self.output(self.deliveries.get(i)?.output)
    }

    /// How the talker selection changed at this tick.
    pub fn selection_changes(&self) -> &'a [SelectionChange] {
        self.changes
    }
}
