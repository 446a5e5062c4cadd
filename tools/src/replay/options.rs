//! Everything a run is configured with, independent of the command line that fills it
//! (the `rtp-replay` binary and `medianode demo` both do).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::keys::SrtpMode;
use super::plan::{LevelSource, Timing};
use super::signalling::SipTarget;
use super::source::SourceStream;

/// The selection a replay asks the node for on each conference it creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyRequest {
    /// Loudest N.
    Loudest(usize),
    /// Everyone forwarded.
    All,
}

/// A run.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// The node's HTTP address (`http://127.0.0.1:9100`).
    pub node: String,
    /// The node's `http.admin_token`, if it has one.
    pub admin_token: Option<String>,
    /// Set calls up through the node's SIP instead of the admin API (which then only
    /// tells each conference's policy).
    pub sip: Option<SipTarget>,
    /// The replay's socket: where the node sends media back. Port 0 picks one.
    pub bind: SocketAddr,
    /// The streams participants play, round robin by position.
    pub streams: Vec<Arc<SourceStream>>,
    /// Conferences to create.
    pub conferences: usize,
    /// Participants per conference.
    pub participants: usize,
    /// Pacing, looping and duration.
    pub timing: Timing,
    /// Legs set up per second at most (`None`: as fast as the node answers).
    pub ramp_up: Option<f64>,
    /// The selection asked for.
    pub policy: PolicyRequest,
    /// Where levels come from.
    pub levels: LevelSource,
    /// The RFC 6464 extension id written and announced to the node.
    pub level_id: u8,
    /// SRTP, if any.
    pub srtp: Option<SrtpMode>,
    /// Participants receive the node's mix instead of the selected talkers' packets
    /// (admin API only).
    pub receive_mix: bool,
    /// Margin around modelled selection changes inside which packets need not arrive.
    pub margin: Duration,
    /// How long to keep receiving after the last packet was sent.
    pub drain: Duration,
    /// Where to write what was received.
    pub record: Option<PathBuf>,
    /// Where to write the SRTP keys (secret!) for decrypting the recording.
    pub keylog: Option<PathBuf>,
    /// Leave the conferences on the node at the end.
    pub keep: bool,
    /// Prefix of participant names on the node.
    pub participant_prefix: String,
}

impl ReplayOptions {
    /// A run of `conferences` x `participants` playing `streams` against `node`, with the
    /// defaults of the command line: loudest 3, slot levels of 2 s, one pass, no SRTP.
    pub fn new(
        node: &str,
        streams: Vec<SourceStream>,
        conferences: usize,
        participants: usize,
    ) -> ReplayOptions {
        ReplayOptions {
            node: node.to_owned(),
            admin_token: None,
            sip: None,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            streams: streams.into_iter().map(Arc::new).collect(),
            conferences,
            participants,
            timing: Timing {
                speed: 1.0,
                looping: false,
                duration_ns: None,
            },
            ramp_up: None,
            policy: PolicyRequest::Loudest(3),
            levels: LevelSource::Slots {
                slot_ns: 2_000_000_000,
            },
            level_id: 1,
            srtp: None,
            receive_mix: false,
            margin: Duration::from_millis(300),
            drain: Duration::from_millis(500),
            record: None,
            keylog: None,
            keep: false,
            participant_prefix: "replay".to_owned(),
        }
    }
}
