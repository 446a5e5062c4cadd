//! RFC 4575 conference-info documents for `Event: conference`: the first notification on
//! a subscription carries the full participant list, later ones only what changed since
//! the last one sent (`state="partial"`), each with the next `version`.
//!
//! Each participant is a user; a user in the conference from two devices is one user
//! element, on hold only when every device is. Who is talking (the dataplane's
//! active-speaker selection) has no element in RFC 4575; it travels in an extension
//! element [`SPEAKING_ELEMENT`] of namespace [`MEDIANODE_NS`] inside the endpoint.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::sip::presence::xml::escape;

/// The content type of a conference-info document.
pub const CONFERENCE_INFO_CONTENT_TYPE: &str = "application/conference-info+xml";
/// The namespace of medianode's extension elements.
pub const MEDIANODE_NS: &str = "urn:x-medianode:params:xml:ns:conference-info";
/// The extension element saying whether a participant is an active speaker.
pub const SPEAKING_ELEMENT: &str = "mn:speaking";

/// One participant as the documents describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Participant {
    /// Every device of the user is on hold.
    pub on_hold: bool,
    /// The dataplane selected one of the user's legs as a talker.
    pub speaking: bool,
}

/// A conference's participants by user name.
pub type Roster = BTreeMap<String, Participant>;

/// What names the conference in the documents.
#[derive(Debug, Clone, Copy)]
pub struct ConferenceNames<'a> {
    /// The conference URI (`sip:conf-7@host`).
    pub uri: &'a str,
    /// The domain of the participants' addresses.
    pub domain: &'a str,
}

fn open_document(names: ConferenceNames<'_>, state: &str, version: u32, out: &mut String) {
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n\
         <conference-info xmlns=\"urn:ietf:params:xml:ns:conference-info\" \
         xmlns:mn=\"{MEDIANODE_NS}\" entity=\"{}\" state=\"{state}\" version=\"{version}\">\r\n",
        escape(names.uri)
    );
}

fn write_state(roster: &Roster, out: &mut String) {
    let _ = write!(
        out,
        "<conference-state><user-count>{}</user-count><active>{}</active></conference-state>\r\n",
        roster.len(),
        !roster.is_empty()
    );
}

/// The entity of a roster key: a user of the node's domain, or a full URI as it is (a
/// phone the node called through the PSTN trunk).
fn entity(names: ConferenceNames<'_>, user: &str) -> String {
    if ["sip:", "sips:", "tel:"]
        .iter()
        .any(|s| user.starts_with(s))
    {
        escape(user).to_string()
    } else {
        format!("sip:{}@{}", escape(user), escape(names.domain))
    }
}

fn write_user(names: ConferenceNames<'_>, user: &str, p: Participant, out: &mut String) {
    let (status, media) = if p.on_hold {
        ("on-hold", "inactive")
    } else {
        ("connected", "sendrecv")
    };
    let (name, entity) = (escape(user), entity(names, user));
    let _ = write!(
        out,
        "<user entity=\"{entity}\" state=\"full\"><display-text>{name}</display-text>\
         <endpoint entity=\"{entity}\" state=\"full\"><status>{status}</status>\
         <media id=\"audio\"><type>audio</type><status>{media}</status></media>\
         <{SPEAKING_ELEMENT}>{}</{SPEAKING_ELEMENT}></endpoint></user>\r\n",
        p.speaking
    );
}

fn write_deleted(names: ConferenceNames<'_>, user: &str, out: &mut String) {
    let _ = write!(
        out,
        "<user entity=\"{}\" state=\"deleted\"/>\r\n",
        entity(names, user)
    );
}

/// Writes document `version` with every participant of `roster`.
pub fn write_full(names: ConferenceNames<'_>, version: u32, roster: &Roster, out: &mut String) {
    open_document(names, "full", version, out);
    let _ = write!(
        out,
        "<conference-description><display-text>{}</display-text></conference-description>\r\n",
        escape(names.uri)
    );
    write_state(roster, out);
    out.push_str("<users>\r\n");
    for (user, &p) in roster {
        write_user(names, user, p, out);
    }
    out.push_str("</users>\r\n</conference-info>\r\n");
}

/// Writes document `version` with what changed from `before` to `after`: users who came
/// or changed in full, users who left as deleted. Writes nothing and returns false when
/// nothing changed.
pub fn write_partial(
    names: ConferenceNames<'_>,
    version: u32,
    before: &Roster,
    after: &Roster,
    out: &mut String,
) -> bool {
    if before == after {
        return false;
    }
    open_document(names, "partial", version, out);
    write_state(after, out);
    out.push_str("<users state=\"partial\">\r\n");
    for (user, &p) in after {
        if before.get(user) != Some(&p) {
            write_user(names, user, p, out);
        }
    }
    for user in before.keys().filter(|u| !after.contains_key(*u)) {
        write_deleted(names, user, out);
    }
    out.push_str("</users>\r\n</conference-info>\r\n");
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: ConferenceNames<'static> = ConferenceNames {
        uri: "sip:conf-7@127.0.0.1:5060",
        domain: "example.com",
    };

    fn roster(entries: &[(&str, bool, bool)]) -> Roster {
        entries
            .iter()
            .map(|&(u, on_hold, speaking)| (u.to_owned(), Participant { on_hold, speaking }))
            .collect()
    }

    #[test]
    fn full_state_lists_every_participant() {
        let mut out = String::new();
        write_full(
            NAMES,
            1,
            &roster(&[("alice", false, true), ("bob", true, false)]),
            &mut out,
        );
        assert!(out.contains("entity=\"sip:conf-7@127.0.0.1:5060\" state=\"full\" version=\"1\""));
        assert!(out.contains("<user-count>2</user-count>"), "{out}");
        assert!(out.contains("<user entity=\"sip:alice@example.com\" state=\"full\">"));
        assert!(out.contains("<status>on-hold</status>"), "{out}");
        assert!(out.contains("<mn:speaking>true</mn:speaking>"), "{out}");
        assert_eq!(out.matches("<user ").count(), 2);

        out.clear();
        write_full(NAMES, 1, &Roster::new(), &mut out);
        assert!(out.contains("<user-count>0</user-count><active>false</active>"));
        assert!(!out.contains("<user "));
    }

    #[test]
    fn partial_state_carries_only_changes() {
        let before = roster(&[("alice", false, false), ("bob", false, false)]);
        let after = roster(&[("bob", true, false), ("carol", false, false)]);
        let mut out = String::new();
        assert!(write_partial(NAMES, 4, &before, &after, &mut out));
        assert!(out.contains("state=\"partial\" version=\"4\""), "{out}");
        assert!(out.contains("<user entity=\"sip:alice@example.com\" state=\"deleted\"/>"));
        assert!(out.contains("<user entity=\"sip:bob@example.com\" state=\"full\">"));
        assert!(out.contains("<user entity=\"sip:carol@example.com\" state=\"full\">"));
        assert_eq!(out.matches("<user ").count(), 3);

        let mut nothing = String::new();
        assert!(!write_partial(NAMES, 5, &after, &after, &mut nothing));
        assert!(nothing.is_empty());
    }

    #[test]
    fn a_phone_is_listed_by_the_uri_it_was_called_at() {
        let phone = "sip:+15550100@trunk.example;user=phone";
        let mut out = String::new();
        write_full(
            NAMES,
            1,
            &roster(&[("alice", false, false), (phone, false, true)]),
            &mut out,
        );
        let user = format!("<user entity=\"{phone}\" state=\"full\">");
        assert!(out.contains(&user), "{out}");
        assert!(
            out.contains(&format!("<endpoint entity=\"{phone}\"")),
            "{out}"
        );
        assert!(!out.contains("sip:sip:"), "{out}");

        let before = roster(&[(phone, false, false)]);
        let mut out = String::new();
        assert!(write_partial(NAMES, 2, &before, &Roster::new(), &mut out));
        assert!(
            out.contains(&format!("<user entity=\"{phone}\" state=\"deleted\"/>")),
            "{out}"
        );
    }
}
