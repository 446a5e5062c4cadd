//! The conference mixer: one audio stream for endpoints that take one.
//!
//! Phones behind a PSTN gateway and most plain SIP phones cannot receive several streams,
//! so for them the node decodes the selected talkers, mixes and encodes. This module is
//! that engine, sans-IO like the rest of the core: [`ConferenceMixer`] takes packets with
//! their arrival time and a 20 ms tick with the current time, and returns encoded
//! payloads; it never reads a clock or touches a socket. Wiring it to legs, SRTP and
//! sockets is the media core's job.
//!
//! Per leg on the way in: a [`JitterBuffer`] adaptive to the measured jitter, a decoder
//! (libopus at 48 kHz with PLC and in-band FEC; G.711 through the `simd` kernels with a
//! fade-out concealment) and, for 8 kHz legs, a rubato resampler to the 48 kHz mix.
//! Telephone-events (RFC 4733) never enter the mix; they come back for forwarding.
//!
//! Selection: only the loudest N talkers ([`LoudestN`]) are decoded and mixed. The others
//! are still watched for level, at no decoding cost where the level is known without
//! decoding: from the RFC 6464 extension (every WebRTC endpoint sends it), or, for G.711,
//! from the payload (tens of nanoseconds per packet with the `simd` kernels). An Opus leg
//! without the extension is decoded every tick, because no cheaper estimate is reliable
//! (the packet size of a CBR stream says nothing, and DTX is optional); such a leg costs
//! as much as a talker on the way in. Negotiating the extension is what makes large mixed
//! conferences cheap.
//!
//! A selected talker silent past a short hangover leaves the sum; where its packets carry
//! their level it is not even decoded until the level of a packet about to play says it
//! talks again, so in conversation only the current speaker is decoded.
//!
//! Out: the talkers in the mix are summed in 32 bits. Each of them gets the sum minus its
//! own voice; every other leg gets the full sum, encoded once per codec and packet time
//! and shared by index (a talker in silence or not yet buffered listens to the shared mix
//! too). A talker alone in the sum would hear digital silence: it gets a silent packet
//! encoded once when its output was made, on its own stream, and no encode. Every output
//! passes a look-ahead limiter before it narrows to 16 bits, so four full-scale talkers
//! neither wrap nor clip hard. A leg that moves between its mix-minus
//! and the shared mix changes Opus encoder state, which its decoder hears as a short
//! discontinuity, as at any talker change in an MCU.
//!
//! Latency added: the jitter buffer's delay, 1 ms of limiter look-ahead, the encoder's, and
//! for 8 kHz legs 10 ms per resampling (in and out).
//!
//! [`LoudestN`]: crate::conference::LoudestN

mod conference_mixer;
mod config;
mod decoder;
mod encoder;
mod error;
mod g711_concealment;
pub mod jitter;
mod leg;
mod limiter;
mod opus_packet;
mod output;
mod relay;
mod resampler;
mod stats;

pub use conference_mixer::ConferenceMixer;
pub use config::{
    JitterConfig, MixLegConfig, MixerConfig, OpusEncoding, MAX_PACKET_MS, MIX_RATE,
    QUIET_HANGOVER_TICKS, SILENCE_LEVEL, TICK, TICK_SAMPLES,
};
pub use encoder::{MAX_OUTPUT_PAYLOAD, MAX_PACKETS_PER_TICK};
pub use error::MixerError;
pub use jitter::{JitterBuffer, JitterStats};
pub use output::{Delivery, MixOutput, MixedTick, OutputIndex, OutputKind};
pub use stats::{LegMixStats, MixerCounters};

use crate::conference::SelectionChange;

/// What became of a packet pushed into the mixer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PushOutcome {
    /// Buffered for mixing.
    Buffered,
    /// A telephone-event: it does not enter the mix; forward it as it is.
    PassThrough,
    /// Dropped, and counted in the leg's statistics.
    Dropped(DropCause),
}

/// Why a pushed packet was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DropCause {
    /// Not a valid RTP packet.
    Malformed,
    /// Neither the leg's audio nor its telephone-event payload type; carries it.
    UnknownPayloadType(u8),
    /// An empty, unparsable or over-long (beyond 120 ms) payload.
    BadPayload,
    /// Its audio was already played or concealed.
    Late,
    /// Already buffered.
    Duplicate,
    /// Its sequence number jumped out of the stream's window.
    OutOfWindow,
}
