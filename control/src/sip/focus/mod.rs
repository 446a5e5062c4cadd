//! The conference focus (issue 5 item 3, the call flow of DESIGN.md), sans-IO.
//!
//! - An INVITE to the factory URI `sip:<factory_user>@<domain>` creates a conference on a
//!   core and answers `302 Moved Temporarily` with the conference URI
//!   `sip:conf-<id>@<host>` in Contact. A factory URI with `;keying=e2e` creates an
//!   end-to-end conference: its key and the caller's SSRC come back in the 302's
//!   [`CONFERENCE_KEY_HEADER`] (below).
//! - An INVITE to a conference URI with an SDP offer joins: a leg is added on the
//!   conference's core and the 200 carries the answer (the leg's address and port, the
//!   codec, the audio level extension if offered, the node's SDES key). ACK completes it;
//!   BYE leaves. Anyone may leave, the creator too; the conference ends when its last
//!   participant has left (or when nobody joined it in time).
//! - A re-INVITE changes the leg: another address, codec or key replaces it; hold
//!   (sendonly, inactive, or the 0.0.0.0 address) takes it off the core until a
//!   re-INVITE resumes.
//! - Inviting others (`invitation.rs`): a REFER to the conference URI with `Refer-To:` the
//!   invitee (202, then NOTIFYs with `message/sipfrag` bodies), or an INVITE to the
//!   conference URI naming the invitee in the [`INVITEE_HEADER`],
//!   `Invitee: <sip:bob@example.com>` (the inviter joins when the invitee has, and gets
//!   the invitee's failure otherwise). The focus calls every registered contact of the
//!   invitee and reports 200, 486, 603, 408 (nobody answered within
//!   [`Focus::set_ring_timeout`], [`RING_TIMEOUT`] by default),
//!   404 (not registered) or 403 (a room that does not admit the invitee).
//! - Text conferences (`text.rs`): a MESSAGE to a conference URI is copied to every other
//!   participant, naming its author in From's display name; failures come back to the
//!   author; a MESSAGE of type [`SPAWN_CONTENT_TYPE`] spawns a voice conference with the
//!   same members.
//! - Persistent conferences (`room.rs`): the factory URI with `;persistent` creates a room
//!   `sip:room-<n>@host` owned by the caller, kept in the database, re-created at start,
//!   managed by its owner with MESSAGEs of type [`ROOM_CONTROL_CONTENT_TYPE`] (allow and
//!   block lists, loudest-N, re-key by re-INVITE, delete with BYE).
//!
//! End-to-end keys (DESIGN.md, "End-to-end keys, concretely"): in SDES each side announces
//! the key it sends with, so a participant must know the conference key before it offers.
//! The focus hands it over in a 302, in the header
//!
//! ```text
//! Conference-Key: <SDES suite> inline:<base64 key||salt>;ssrc=<decimal SSRC>
//! ```
//!
//! e.g. `Conference-Key: AES_CM_128_HMAC_SHA1_80 inline:WVNf...;ssrc=3735928559`. The
//! participant's INVITE to the conference URI then offers RTP/SAVP with
//! `a=crypto:<tag> <suite> inline:<that key>` and `a=ssrc:<that SSRC>`; any other key or
//! SSRC gets 488. Each SSRC is drawn at random, claimed under the key (never handed out
//! twice, so no two senders share a keystream) and joins once. An offer without any key
//! to an end-to-end conference gets the key the same way (a 302 to the conference itself),
//! once per user; the answer to a join carries the conference key. The header only
//! travels over TLS unless the operator allows plain transports (`sip.allow_plain_keys`).
//!
//! The focus reads no clock, draws no randomness of its own ([`Entropy`]) and touches no
//! core: it asks for media changes as [`MediaJob`]s, which the I/O shell runs (through
//! the admin API's one path for conferences and legs) and reports back with
//! [`Focus::on_media_done`]. Responses come out of [`Focus::poll_output`], and so do the
//! focus's own requests ([`FocusOutput::Send`], whose outcomes come back through
//! [`Focus::on_outgoing_result`]) and the rooms to store ([`FocusOutput::StoreRoom`]).

mod call;
mod conference;
mod invitation;
mod join;
mod media_timeout;
mod outgoing;
mod rekey;
mod responses;
mod room;
mod text;
mod trunk_call;
mod update;

#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::{Duration, Instant};

use medianode_dataplane::conference::{ConferenceId, LegId, MixerKey, SelectionPolicy};
use medianode_dataplane::srtp::SrtpSuite;

use crate::admin::leg_request::LegRequest;
use crate::admin::{AddedLeg, ApiError};
use crate::sip::dialog::DialogId;
use crate::sip::policy::Policy;
use crate::sip::transaction::outgoing::{OutgoingId, OutgoingRequest};
use crate::sip::transaction::{Peer, ServerTxId, TransportKind};

pub use conference::{Keying, CONFERENCE_KEY_HEADER};
pub use invitation::{invitee_of, INVITEE_HEADER, RING_TIMEOUT};
pub use room::{Room, ROOM_CONTROL_CONTENT_TYPE, ROOM_USER_PREFIX};
pub use text::SPAWN_CONTENT_TYPE;

use call::Call;
use conference::FocusConference;
use invitation::{Invitation, InvitationId, PendingInvited};
use join::PendingJoin;
use outgoing::Sent;
use text::{Delivery, DeliveryId, PendingSpawn};
use update::PendingUpdate;

/// The user part prefix of conference URIs: `conf-<id>`.
pub const CONFERENCE_USER_PREFIX: &str = "conf-";

/// Random bytes, from the caller: the OS in the node, a fixed sequence in tests.
pub trait Entropy {
    /// Fills `bytes` with random bytes.
    fn fill(&mut self, bytes: &mut [u8]);

    /// A random `u64`.
    fn next_u64(&mut self) -> u64 {
        let mut bytes = [0u8; 8];
        self.fill(&mut bytes);
        u64::from_le_bytes(bytes)
    }

    /// A random tag or identifier: 16 lowercase hex digits.
    fn hex_id(&mut self) -> String {
        format!("{:016x}", self.next_u64())
    }
}

/// How the focus behaves.
#[derive(Debug, Clone)]
pub struct FocusConfig {
    /// The factory URI's user part.
    pub factory_user: String,
    /// Who may create and join.
    pub policy: Policy,
    /// Whether SDES keys may travel over UDP and TCP.
    pub allow_plain_keys: bool,
    /// The suite of end-to-end conference keys.
    pub conference_suite: SrtpSuite,
    /// How long a new conference waits for its first participant.
    pub empty_conference: Duration,
    /// The talker selection of conferences the factory creates.
    pub selection: SelectionPolicy,
}

/// Where a request arrived: the peer, and how the node is reached back on that transport
/// (the host and port its Contact names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    /// The sender.
    pub peer: Peer,
    /// `host:port` of the node on the transport the request came over (IPv6 in brackets).
    pub host: String,
}

impl Arrival {
    /// Whether the request came over TLS, so keys may travel in its answer.
    pub fn is_secure(&self) -> bool {
        self.peer.transport == TransportKind::Tls
    }
}

/// Names one media job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub u64);

/// A change the focus needs on the media cores.
#[derive(Debug)]
#[non_exhaustive]
pub enum MediaWork {
    /// Create a conference.
    CreateConference {
        /// Its talker selection.
        policy: SelectionPolicy,
        /// An end-to-end conference's key for the node's mixer.
        mixer_key: Option<Box<MixerKey>>,
    },
    /// Hand a conference's core a new key for its mixer (a re-key).
    SetMixerKey {
        /// The conference.
        conference: ConferenceId,
        /// The key.
        key: Box<MixerKey>,
    },
    /// Add a leg.
    AddLeg {
        /// The conference.
        conference: ConferenceId,
        /// The leg.
        request: Box<LegRequest>,
    },
    /// Remove leg `old` and add a leg in its place (a changed address, codec or key).
    ReplaceLeg {
        /// The leg to remove.
        old: LegId,
        /// The conference.
        conference: ConferenceId,
        /// The new leg.
        request: Box<LegRequest>,
    },
    /// Change a leg in place (same id and socket): an offered leg takes its answer.
    ChangeLeg {
        /// The leg.
        leg: LegId,
        /// What it becomes.
        request: Box<LegRequest>,
    },
    /// Remove a leg.
    RemoveLeg {
        /// The leg.
        leg: LegId,
    },
    /// Remove a conference with its legs.
    RemoveConference {
        /// The conference.
        conference: ConferenceId,
    },
    /// Change a conference's talker selection.
    SetSelection {
        /// The conference.
        conference: ConferenceId,
        /// The new selection.
        policy: SelectionPolicy,
    },
}

/// A media change to run, with the id its outcome is reported under.
#[derive(Debug)]
pub struct MediaJob {
    /// Report the outcome with this id.
    pub id: JobId,
    /// What to do.
    pub work: MediaWork,
}

/// How a media job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaOutcome {
    /// The conference was created.
    Created(ConferenceId),
    /// The leg was added (or replaced).
    Added(AddedLeg),
    /// The leg or conference was removed.
    Removed,
    /// The conference's selection was changed.
    Changed,
    /// The change failed; nothing was changed (a replaced leg may be gone).
    Failed(ApiError),
}

/// What the focus asks the shell to do.
#[derive(Debug)]
#[non_exhaustive]
pub enum FocusOutput {
    /// Send `response` on server transaction `transaction`.
    Respond {
        /// The INVITE, BYE or CANCEL transaction.
        transaction: ServerTxId,
        /// The whole response.
        response: Vec<u8>,
    },
    /// Run a media job and report back.
    Media(MediaJob),
    /// Send a request of the node's own (an INVITE to an invitee, its ACK, a NOTIFY, a
    /// MESSAGE copy); report what became of it with [`Focus::on_outgoing_result`].
    Send(OutgoingRequest),
    /// CANCEL the INVITE sent as this request, if it has no final response yet (RFC 3261
    /// sec. 9.1; the shell builds the CANCEL from the INVITE it sent).
    Cancel(OutgoingId),
    /// Keep this persistent conference (new or changed) in the database.
    StoreRoom(Room),
    /// Forget the persistent conference with this number.
    ForgetRoom(u32),
}

/// Work in flight, by job.
#[derive(Debug)]
enum Pending {
    /// A factory INVITE waits for its conference.
    Factory(Box<join::PendingFactory>),
    /// A joining INVITE waits for its leg.
    Join(Box<PendingJoin>),
    /// A re-INVITE waits for its leg change.
    Update(Box<PendingUpdate>),
    /// An invitee's 200 waits for its leg.
    Invited(Box<PendingInvited>),
    /// A text conference's spawn request waits for its voice conference.
    Spawn(Box<PendingSpawn>),
    /// A stored room waits for its conference (at start), with its key if end-to-end.
    Restore(Box<(Room, Keying)>),
    /// A call to a phone number waits for its leg.
    Trunk(trunk_call::TrunkJob),
    /// A removal nobody waits for.
    Cleanup,
}

/// The conference focus of one node.
#[derive(Debug)]
pub struct Focus {
    config: FocusConfig,
    conferences: HashMap<ConferenceId, FocusConference>,
    calls: HashMap<DialogId, Call>,
    pending: HashMap<JobId, Pending>,
    /// When conferences nobody joined expire.
    expiries: BTreeSet<(Instant, ConferenceId)>,
    next_job: u64,
    out: VecDeque<FocusOutput>,
    /// Requests the focus sent, by id, while their answers matter.
    sent: HashMap<OutgoingId, Sent>,
    next_outgoing: u64,
    invitations: HashMap<InvitationId, Invitation>,
    /// When unanswered invitations end with 408.
    ring_deadlines: BTreeSet<(Instant, InvitationId)>,
    next_invitation: u64,
    /// Text messages being copied to participants.
    deliveries: HashMap<DeliveryId, Delivery>,
    next_delivery: u64,
    /// Rooms, by number, and the conference each runs as.
    rooms: HashMap<u32, ConferenceId>,
    next_room: u32,
    /// How long invitees may ring.
    ring_timeout: Duration,
    /// What SIP legs receive (`sip.receive`).
    receive: crate::config::SipReceive,
    /// Calls to phone numbers through the PSTN trunk.
    trunk: trunk_call::TrunkCalls,
}

impl Focus {
    /// A focus with no conferences.
    pub fn new(config: FocusConfig) -> Focus {
        Focus {
            config,
            conferences: HashMap::new(),
            calls: HashMap::new(),
            pending: HashMap::new(),
            expiries: BTreeSet::new(),
            next_job: 0,
            out: VecDeque::new(),
            sent: HashMap::new(),
            next_outgoing: 0,
            invitations: HashMap::new(),
            ring_deadlines: BTreeSet::new(),
            next_invitation: 0,
            deliveries: HashMap::new(),
            next_delivery: 0,
            rooms: HashMap::new(),
            next_room: 1,
            ring_timeout: RING_TIMEOUT,
            receive: crate::config::SipReceive::Auto,
            trunk: trunk_call::TrunkCalls::default(),
        }
    }

    /// How long an invitee's phones may ring before the invitation ends with 408
    /// (`sip.invite_timeout_secs`).
    pub fn set_ring_timeout(&mut self, timeout: Duration) {
        self.ring_timeout = timeout;
    }

    /// What SIP legs receive (`sip.receive`; `auto` until set).
    pub fn set_receive(&mut self, receive: crate::config::SipReceive) {
        self.receive = receive;
    }

    /// The next thing to do.
    pub fn poll_output(&mut self) -> Option<FocusOutput> {
        self.out.pop_front()
    }

    /// When [`Focus::handle_timeout`] (and [`Focus::expire_invitations`]) must next run.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let empty = self.expiries.first().map(|&(when, _)| when);
        let ring = self.ring_deadlines.first().map(|&(when, _)| when);
        let trunk = self.trunk.next_deadline();
        empty.into_iter().chain(ring).chain(trunk).min()
    }

    /// Ends conferences whose first participant did not come in time.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(&(when, id)) = self.expiries.first() {
            if when > now {
                break;
            }
            self.expiries.remove(&(when, id));
            let unused = self
                .conferences
                .get(&id)
                .is_some_and(|c| c.members == 0 && c.empty_deadline == Some(when));
            if unused {
                tracing::info!(
                    conference = id.0,
                    "nobody joined the conference in time; ending it"
                );
                self.end_conference(id);
            }
        }
    }

    /// Conferences the focus runs.
    pub fn conference_count(&self) -> usize {
        self.conferences.len()
    }

    /// Calls (participants with a dialog) the focus holds.
    pub fn call_count(&self) -> usize {
        self.calls.len()
    }

    /// The participants' user names of a conference, sorted (a user with two devices
    /// appears twice).
    pub fn participants(&self, conference: ConferenceId) -> Vec<String> {
        let mut names: Vec<String> = self
            .calls
            .values()
            .filter(|call| call.conference == conference)
            .map(|call| call.user.clone())
            .collect();
        names.sort();
        names
    }

    /// The conference id named by a conference URI user part (`conf-<id>`).
    pub fn conference_of_user_part(user: &str) -> Option<ConferenceId> {
        let digits = user.strip_prefix(CONFERENCE_USER_PREFIX)?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().map(ConferenceId)
    }

    /// Whether the focus runs `conference`.
    pub fn knows(&self, conference: ConferenceId) -> bool {
        self.conferences.contains_key(&conference)
    }

    /// Takes over a conference created elsewhere (the admin API) so SIP users can join
    /// it: hop-by-hop keying, no codec yet, no expiry.
    pub fn adopt(&mut self, conference: ConferenceId) {
        self.conferences
            .entry(conference)
            .or_insert_with(FocusConference::adopted);
    }

    fn start_job(&mut self, work: MediaWork, pending: Pending) -> JobId {
        self.next_job += 1;
        let id = JobId(self.next_job);
        self.pending.insert(id, pending);
        self.out
            .push_back(FocusOutput::Media(MediaJob { id, work }));
        id
    }

    fn respond(&mut self, transaction: ServerTxId, response: Vec<u8>) {
        self.out.push_back(FocusOutput::Respond {
            transaction,
            response,
        });
    }

    /// Reports a media job's outcome.
    pub fn on_media_done(
        &mut self,
        job: JobId,
        outcome: MediaOutcome,
        now: Instant,
        entropy: &mut dyn Entropy,
    ) {
        match self.pending.remove(&job) {
            Some(Pending::Factory(pending)) => self.factory_done(*pending, outcome, now, entropy),
            Some(Pending::Join(pending)) => self.join_done(*pending, outcome),
            Some(Pending::Update(pending)) => self.update_done(*pending, outcome),
            Some(Pending::Invited(pending)) => self.invited_done(*pending, outcome, entropy),
            Some(Pending::Spawn(pending)) => self.spawn_done(*pending, outcome, now, entropy),
            Some(Pending::Restore(restored)) => {
                let (room, keying) = *restored;
                self.restore_done(room, keying, outcome);
            }
            Some(Pending::Trunk(job)) => self.trunk_media_done(job, outcome, entropy),
            Some(Pending::Cleanup) => {
                if let MediaOutcome::Failed(error) = outcome {
                    // Already gone (e.g. removed through the admin API) is the usual cause.
                    tracing::debug!(%error, "media cleanup failed");
                }
            }
            None => tracing::warn!(job = job.0, "outcome of an unknown media job"),
        }
    }

    /// One member fewer; the conference ends with its last member.
    fn leave_conference(&mut self, id: ConferenceId) {
        let empty = match self.conferences.get_mut(&id) {
            Some(conference) => {
                conference.members = conference.members.saturating_sub(1);
                conference.members == 0
            }
            None => false,
        };
        if !empty {
            return;
        }
        if let Some(room) = self.conferences.get_mut(&id).filter(|c| c.room.is_some()) {
            // Nobody speaks the old codec any more: the next participant chooses again.
            room.lock = None;
            // Its phones are hung up: nobody is left to hear them (the room itself stays).
            self.hang_up_phones_of(id);
            tracing::info!(
                conference = id.0,
                "the last participant left a room; it stays"
            );
            return;
        }
        if self.conferences.get(&id).is_some_and(|c| c.created_here) {
            tracing::info!(
                conference = id.0,
                "the last participant left; ending the conference"
            );
            self.end_conference(id);
        } else {
            // Adopted from the admin API: its other legs are not the focus's to end.
            self.conferences.remove(&id);
        }
    }

    fn end_conference(&mut self, id: ConferenceId) {
        self.hang_up_trunk_calls(id);
        if let Some(conference) = self.conferences.remove(&id) {
            if let Some(deadline) = conference.empty_deadline {
                self.expiries.remove(&(deadline, id));
            }
            self.start_job(
                MediaWork::RemoveConference { conference: id },
                Pending::Cleanup,
            );
        }
    }
}
