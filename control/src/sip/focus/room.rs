//! Persistent conferences, "rooms" (issue 5 item 6): a conference with an owner that
//! outlives its participants and node restarts.
//!
//! - Creating one: an authenticated user INVITEs the factory URI with the `;persistent`
//!   parameter (`sip:conference@example.com;persistent`, `;keying=e2e` may come too). The
//!   302 names the room's URI, `sip:room-<n>@host`, which stays the same across restarts
//!   (the core's conference behind it changes; the focus maps one to the other).
//! - The focus emits [`FocusOutput::StoreRoom`](super::FocusOutput::StoreRoom) whenever a
//!   room is created or changed and [`FocusOutput::ForgetRoom`](super::FocusOutput::ForgetRoom)
//!   when it is deleted; the shell keeps them in SQLite and hands them back on start to
//!   [`Focus::restore_rooms`], which re-creates each conference. A room's members leaving
//!   does not end it.
//! - The owner manages it with a MESSAGE to the room URI whose body has the type
//!   [`ROOM_CONTROL_CONTENT_TYPE`] and one command per line:
//!
//! ```text
//! allow alice bob      only these users (and the owner) may join; "allow" alone: anyone
//! block mallory        these users may not join (nor be invited); "block" alone: nobody
//! loudest 2            the loudest-N talker selection
//! rekey                end-to-end rooms: a new conference key, by re-INVITE to everyone
//! delete               BYE to every participant, then the room is gone
//! ```
//!
//!   Each request is answered 200 when every line was applied, 400 (with a Warning) at the
//!   first line that was not, 403 for anybody but the owner.

use medianode_dataplane::conference::{ConferenceId, SelectionPolicy};

use super::conference::{FocusConference, Keying};
use super::responses::without_body;
use super::{Entropy, Focus, FocusOutput, MediaOutcome, MediaWork, Pending};
use crate::sip::transaction::ServerTxId;
use crate::sip::{Message, Method};

/// The user part prefix of room URIs: `room-<n>`.
pub const ROOM_USER_PREFIX: &str = "room-";

/// The body type of an owner's commands to a room.
pub const ROOM_CONTROL_CONTENT_TYPE: &str = "application/vnd.medianode.room";

/// Most talkers `loudest` accepts.
const MAX_LOUDEST: usize = 16;

/// A persistent conference as it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Room {
    /// Its number, the `<n>` of `sip:room-<n>@host`.
    pub number: u32,
    /// The user who created it and may manage it.
    pub owner: String,
    /// Whether it is keyed end to end.
    pub end_to_end: bool,
    /// Its loudest-N talker selection.
    pub loudest_n: usize,
    /// Who may join besides the owner; empty: anyone.
    pub allow: Vec<String>,
    /// Who may not join.
    pub block: Vec<String>,
}

impl Room {
    /// Whether `user` may join (or be invited).
    pub fn admits(&self, user: &str) -> bool {
        if self.block.iter().any(|b| b == user) {
            return false;
        }
        user == self.owner || self.allow.is_empty() || self.allow.iter().any(|a| a == user)
    }
}

/// A room command that changed nothing, and why.
#[derive(Debug)]
struct CommandError(String);

impl Focus {
    /// The user part of a conference's URI: `room-<n>` for a room, else `conf-<id>`.
    pub(super) fn conference_user(&self, id: ConferenceId) -> String {
        match self.conferences.get(&id).and_then(|c| c.room.as_ref()) {
            Some(room) => format!("{ROOM_USER_PREFIX}{}", room.number),
            None => format!("{}{}", super::CONFERENCE_USER_PREFIX, id.0),
        }
    }

    /// The conference a URI user part names, if the focus runs it: `conf-<id>` or
    /// `room-<n>`.
    pub fn resolve(&self, user: &str) -> Option<ConferenceId> {
        if let Some(digits) = user.strip_prefix(ROOM_USER_PREFIX) {
            let number: u32 = digits.parse().ok()?;
            return self.rooms.get(&number).copied();
        }
        Focus::conference_of_user_part(user).filter(|id| self.knows(*id))
    }

    /// Rooms the focus runs, by number.
    pub fn rooms(&self) -> Vec<Room> {
        let mut rooms: Vec<Room> = self
            .rooms
            .values()
            .filter_map(|id| self.conferences.get(id)?.room.as_deref().cloned())
            .collect();
        rooms.sort_by_key(|r| r.number);
        rooms
    }

    /// Re-creates stored rooms (at start): one conference each, URIs unchanged; an
    /// end-to-end room gets a new key.
    pub fn restore_rooms(&mut self, rooms: Vec<Room>, entropy: &mut dyn Entropy) {
        for room in rooms {
            self.next_room = self.next_room.max(room.number.saturating_add(1));
            let policy = SelectionPolicy::loudest(room.loudest_n);
            let Some((keying, mixer_key)) = self.new_keying(room.end_to_end, entropy) else {
                tracing::error!(
                    room = room.number,
                    "no key could be drawn for a stored room"
                );
                continue;
            };
            self.start_job(
                MediaWork::CreateConference { policy, mixer_key },
                Pending::Restore(Box::new((room, keying))),
            );
        }
    }

    pub(super) fn restore_done(&mut self, room: Room, keying: Keying, outcome: MediaOutcome) {
        let MediaOutcome::Created(id) = outcome else {
            tracing::error!(
                room = room.number,
                ?outcome,
                "a stored room could not be re-created"
            );
            return;
        };
        tracing::info!(
            room = room.number,
            conference = id.0,
            owner = room.owner.as_str(),
            "stored room re-created"
        );
        self.install_room(id, room, keying);
    }

    /// Makes conference `id` the room `room` (no expiry; members leaving keep it).
    pub(super) fn install_room(&mut self, id: ConferenceId, room: Room, keying: Keying) {
        self.next_room = self.next_room.max(room.number.saturating_add(1));
        self.rooms.insert(room.number, id);
        let mut conference = FocusConference::new(keying, None);
        conference.room = Some(Box::new(room));
        self.conferences.insert(id, conference);
    }

    /// A new room number.
    pub(super) fn allocate_room(&mut self) -> u32 {
        let number = self.next_room.max(1);
        self.next_room = number.saturating_add(1);
        number
    }

    fn store_room(&mut self, id: ConferenceId) {
        if let Some(room) = self.conferences.get(&id).and_then(|c| c.room.as_deref()) {
            self.out.push_back(FocusOutput::StoreRoom(room.clone()));
        }
    }

    /// A MESSAGE of type [`ROOM_CONTROL_CONTENT_TYPE`] from `user` to conference `id`.
    pub(super) fn on_room_command(
        &mut self,
        tx: ServerTxId,
        request: &Message<Vec<u8>>,
        id: ConferenceId,
        user: &str,
        to_tag: &str,
        entropy: &mut dyn Entropy,
    ) {
        let owner = self
            .conferences
            .get(&id)
            .and_then(|c| c.room.as_ref())
            .map(|r| r.owner.clone());
        let Some(owner) = owner else {
            let why = "not a persistent conference";
            let answer = without_body(request, 400, "Bad Request", to_tag, Some(why));
            return self.respond(tx, answer);
        };
        if owner != user {
            let why = "only the room's owner may manage it";
            let answer = without_body(request, 403, "Forbidden", to_tag, Some(why));
            return self.respond(tx, answer);
        }
        let text = String::from_utf8_lossy(request.body()).into_owned();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if let Err(CommandError(why)) = self.room_command(id, line, entropy) {
                let answer = without_body(request, 400, "Bad Request", to_tag, Some(&why));
                return self.respond(tx, answer);
            }
        }
        let answer = without_body(request, 200, "OK", to_tag, None);
        self.respond(tx, answer);
    }

    fn room_command(
        &mut self,
        id: ConferenceId,
        line: &str,
        entropy: &mut dyn Entropy,
    ) -> Result<(), CommandError> {
        let mut words = line.split_whitespace();
        let verb = words.next().unwrap_or("");
        let names: Vec<String> = words.map(str::to_owned).collect();
        let gone = || CommandError("the room is gone".to_owned());
        match verb {
            "allow" | "block" => {
                let room = self
                    .conferences
                    .get_mut(&id)
                    .and_then(|c| c.room.as_mut())
                    .ok_or_else(gone)?;
                if verb == "allow" {
                    room.allow = names;
                } else {
                    room.block = names;
                }
                self.store_room(id);
                Ok(())
            }
            "loudest" => {
                let n: usize = match names.as_slice() {
                    [n] => n.parse().ok(),
                    _ => None,
                }
                .filter(|n| (1..=MAX_LOUDEST).contains(n))
                .ok_or_else(|| {
                    CommandError(format!("loudest takes one number from 1 to {MAX_LOUDEST}"))
                })?;
                let room = self
                    .conferences
                    .get_mut(&id)
                    .and_then(|c| c.room.as_mut())
                    .ok_or_else(gone)?;
                room.loudest_n = n;
                self.store_room(id);
                self.start_job(
                    MediaWork::SetSelection {
                        conference: id,
                        policy: SelectionPolicy::loudest(n),
                    },
                    Pending::Cleanup,
                );
                Ok(())
            }
            "delete" => {
                self.delete_room(id);
                Ok(())
            }
            "rekey" => self.rekey(id, entropy).map_err(CommandError),
            other => Err(CommandError(format!("unknown room command {other:?}"))),
        }
    }

    /// Ends a room: BYE to every participant, the conference removed, the record forgotten.
    fn delete_room(&mut self, id: ConferenceId) {
        let dialogs: Vec<_> = self
            .calls
            .iter()
            .filter(|(_, call)| call.conference == id)
            .map(|(dialog, _)| dialog.clone())
            .collect();
        for dialog in dialogs {
            let Some(mut call) = self.calls.remove(&dialog) else {
                continue;
            };
            let mut bye = Vec::new();
            call.dialog
                .write_request_without_via(Method::Bye, &mut bye)
                .finish(b"");
            self.send(call.peer, bye, super::outgoing::Sent::Notice);
            if let Some(leg) = call.leg {
                self.start_job(MediaWork::RemoveLeg { leg }, Pending::Cleanup);
            }
        }
        if let Some(conference) = self.conferences.get(&id) {
            if let Some(room) = conference.room.as_deref() {
                tracing::info!(room = room.number, "room deleted by its owner");
                self.rooms.remove(&room.number);
                self.out.push_back(FocusOutput::ForgetRoom(room.number));
            }
        }
        self.end_conference(id);
    }
}
