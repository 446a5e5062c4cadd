//! `rtp-replay`: load-tests a medianode by replaying RTP from a capture (or generated
//! voices) as many synthetic participants, and measures what comes back.
//!
//! A run creates `N` conferences of `K` participants through the node's admin API, or
//! through its SIP like telephones would ([`sip`], [`signalling`]). Each
//! participant plays a captured stream with its own SSRC, sequence numbers and timestamps
//! ([`plan`]), optionally under SRTP with fresh keys ([`keys`]) and with an RFC 6464 audio
//! level from the payload or from a pattern where participant k talks in slot k. One
//! thread sends everything due in `sendmmsg` batches ([`sender`]), another takes what the
//! node sends back in `recvmmsg` batches ([`receiver`]); all participants share one
//! socket, and the node's leg port says which participant a datagram is for.
//!
//! Loss is counted against what the node *must* forward: a model of the conference's
//! loudest-N selection, fed the same levels at the same times ([`expectation`]), marks
//! each packet whose sender is certainly selected. Loss, duplicates, reordering, jitter,
//! one-way delay (from per-packet send times, [`send_log`]) and the talkers each
//! participant heard go into a [`RunReport`] ([`report`]), checked against the limits in
//! [`Thresholds`].

pub mod admin_client;
pub mod batch_socket;
pub mod demo;
pub mod expectation;
pub mod histogram;
pub mod keys;
pub mod live;
pub mod mix_stream;
pub mod options;
pub mod pair_stats;
pub mod plan;
pub mod progress;
pub mod receiver;
pub mod record;
pub mod report;
mod run;
pub mod send_log;
pub mod sender;
pub mod signalling;
pub mod sip;
pub mod source;
pub mod synthetic;
pub mod thresholds;

pub use keys::SrtpMode;
pub use live::LiveStatus;
pub use options::{PolicyRequest, ReplayOptions};
pub use plan::{LevelSource, Timing};
pub use report::RunReport;
pub use run::{run, ReplayError};
pub use signalling::SipTarget;
pub use source::{load_capture, AudioCodec, SourceError, SourceStream, StreamFilter};
pub use synthetic::synthetic_voices;
pub use thresholds::{violations, Thresholds};
