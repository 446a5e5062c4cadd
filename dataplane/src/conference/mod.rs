//! Conferences: which legs hear which talkers.
//!
//! [`MediaCore`] is the sans-IO conference core of one CPU core. The I/O shell feeds it
//! batches of received datagrams ([`InDatagram`]) with the current time and sends what it
//! leaves in an [`Outbox`]; the control plane drives it with commands (conferences, legs
//! as [`LegConfig`], selection policies, focus) and reads [`CoreEvent`]s and counters
//! back. Nothing here owns a socket or reads a clock.
//!
//! Per packet: leg lookup by local port, RFC 5761 demux, source check and latching
//! (symmetric RTP), a per-leg rate limit, SRTP unprotect for hop-by-hop legs (a batch per
//! leg), the talker's level (RFC 6464 extension, else G.711 energy, else a default) into
//! the conference's [`LoudestN`] selector, and then forwarding of selected talkers to the
//! conference's other legs, protected per destination for hop-by-hop legs. RTCP of plain
//! and hop-by-hop legs is terminated per leg, end-to-end RTCP is forwarded.
//!
//! Legs that take one stream ([`Receive::Mix`]) hear the conference's mixer instead of
//! forwarded packets: the selected talkers' audio feeds it, it ticks every 20 ms on the
//! core's deadlines, and its outputs go out as RTP streams of their own (`mixing`). A
//! recording taps the same mix (`recording_tap`).
//!
//! ```
//! use std::net::SocketAddr;
//! use std::time::Instant;
//! use medianode_dataplane::conference::{
//!     Codec, ConferenceId, CoreConfig, InDatagram, LegConfig, LegId, MediaCore, Outbox,
//!     PayloadTypes, SelectionPolicy,
//! };
//!
//! let now = Instant::now();
//! let mut core = MediaCore::new(CoreConfig::default(), now);
//! core.create_conference(ConferenceId(1), SelectionPolicy::all())?;
//! let pcmu = PayloadTypes::single(0, Codec::Pcmu)?;
//! let alice: SocketAddr = "127.0.0.1:40000".parse()?;
//! let bob: SocketAddr = "127.0.0.1:40002".parse()?;
//! let to_alice = LegConfig::new(20000, pcmu).with_remote(alice);
//! let to_bob = LegConfig::new(20002, pcmu).with_remote(bob);
//! core.add_leg(ConferenceId(1), LegId(1), to_alice, now)?;
//! core.add_leg(ConferenceId(1), LegId(2), to_bob, now)?;
//!
//! // Alice's PCMU packet arrives on her leg's port and leaves for Bob from his.
//! let mut packet = vec![0x80, 0, 0, 1, 0, 0, 0, 160, 0, 0, 0, 7];
//! packet.extend_from_slice(&[0xd5; 160]);
//! let len = packet.len();
//! let mut batch = [InDatagram::new(20000, alice, packet, len)];
//! let mut outbox = Outbox::new(64);
//! core.handle_datagrams(now, &mut batch, &mut outbox);
//! let sent = &outbox.datagrams()[0];
//! assert_eq!((sent.local_port(), sent.destination()), (20002, bob));
//! outbox.clear();
//! // Then sleep until `core.poll_timeout()`, call `handle_timeout`, drain `poll_event`.
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod codec;
mod commands;
mod conference_state;
mod core_config;
mod counters;
mod datagram;
mod deadlines;
mod egress;
mod error;
mod events;
mod focus;
mod ids;
mod ingress;
mod leg;
mod leg_config;
mod level;
mod loudest;
mod media_core;
mod mix_send;
mod mixer_keying;
mod mixing;
mod outbox;
mod recording_tap;
mod relaying;
mod rng;
mod routing;
mod rtcp_termination;
mod slab;
mod snapshots;
mod timers;
mod token_bucket;

pub use codec::{Codec, PayloadTypes};
pub use conference_state::ConferenceSnapshot;
pub use core_config::CoreConfig;
pub use counters::{CoreCounters, DropCounters, DropReason};
pub use datagram::InDatagram;
pub use error::ConferenceError;
pub use events::CoreEvent;
pub use ids::{ConferenceId, LegId, ParticipantId};
pub use leg::LegStats;
pub use leg_config::{LegConfig, MediaMode, RateLimit, Receive};
pub use loudest::{LoudestN, SelectionChange, SelectionMode, SelectionPolicy};
pub use media_core::MediaCore;
pub use mixer_keying::{MixerKey, MAX_SHARED_SSRCS};
pub use mixing::MixingCounters;
pub use outbox::{OutDatagram, Outbox, OUT_DATAGRAM_CAPACITY};
pub use recording_tap::{RecordedFrame, RecordingId};
