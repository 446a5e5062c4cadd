//! Presence (issue 5 item 4), sans-IO: the documents a presence server sends and the rule
//! of who may watch whom.
//!
//! - [`pidf`]: RFC 3863 PIDF for `Event: presence`, basic open/closed from a user's
//!   registrations, with the RFC 4480 `on-the-phone` activity and a note while the user
//!   is in a conference;
//! - [`watcherinfo`]: RFC 3857/3858 watcher information for `Event: presence.winfo`, so a
//!   user can ask who watches it;
//! - [`rules`]: the authorization rule for presence subscriptions;
//! - [`xml`]: escaping for the few values these documents carry.
//!
//! The documents are small and fixed in shape, so they are written directly rather than
//! through an XML library; every value that comes from outside (user names, domains) goes
//! through [`xml::escape`].

pub mod pidf;
pub mod rules;
pub mod watcherinfo;
pub mod xml;

pub use pidf::{write_pidf, PresenceState};
pub use rules::may_watch_presence;
pub use watcherinfo::{write_watcherinfo, Watcher};
