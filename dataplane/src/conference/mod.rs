//! Conferences: which legs hear which talkers.
//!
//! The sans-IO conference core lives here: identifiers, talker selection and (with the
//! dataplane issue) routing between legs. Nothing here owns a socket or reads a clock.

mod loudest;

pub use loudest::{LoudestN, SelectionChange, SelectionMode, SelectionPolicy};

/// One participant's media leg inside a conference, unique on its core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LegId(pub u32);
