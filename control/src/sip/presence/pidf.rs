//! RFC 3863 PIDF documents for `Event: presence`.
//!
//! One tuple says whether the user can be reached (`open` while it has a registration,
//! `closed` otherwise). While the user is in a conference, an RFC 4480 person element
//! carries the `on-the-phone` activity and the document a note, which clients that know
//! no RPID still show.

use std::fmt::Write;

use super::xml::escape;

/// The content type of a PIDF document.
pub const PIDF_CONTENT_TYPE: &str = "application/pidf+xml";

/// What the server knows of a user's presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PresenceState {
    /// The user has at least one live registration.
    pub registered: bool,
    /// The user is in a conference.
    pub in_conference: bool,
}

/// The note shown while a user is in a conference.
pub const BUSY_NOTE: &str = "On the phone";

/// Writes the PIDF document of `user@domain` in `state` to `out`.
pub fn write_pidf(user: &str, domain: &str, state: PresenceState, out: &mut String) {
    let basic = if state.registered { "open" } else { "closed" };
    let (user, domain) = (escape(user), escape(domain));
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n\
         <presence xmlns=\"urn:ietf:params:xml:ns:pidf\" \
         xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" \
         xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" \
         entity=\"sip:{user}@{domain}\">\r\n\
         <tuple id=\"t-{user}\"><status><basic>{basic}</basic></status>\
         <contact>sip:{user}@{domain}</contact></tuple>\r\n"
    );
    if state.in_conference {
        let _ = write!(
            out,
            "<note>{BUSY_NOTE}</note>\r\n\
             <dm:person id=\"p-{user}\"><rpid:activities><rpid:on-the-phone/>\
             </rpid:activities></dm:person>\r\n"
        );
    }
    out.push_str("</presence>\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_closed_and_busy() {
        let mut out = String::new();
        let closed = PresenceState {
            registered: false,
            in_conference: false,
        };
        write_pidf("alice", "example.com", closed, &mut out);
        assert!(out.contains("entity=\"sip:alice@example.com\""), "{out}");
        assert!(out.contains("<basic>closed</basic>"), "{out}");
        assert!(!out.contains("on-the-phone"), "{out}");
        assert!(out.trim_end().ends_with("</presence>"));

        out.clear();
        let busy = PresenceState {
            registered: true,
            in_conference: true,
        };
        write_pidf("bob", "example.com", busy, &mut out);
        assert!(out.contains("<basic>open</basic>"), "{out}");
        assert!(out.contains("<rpid:on-the-phone/>"), "{out}");
        assert!(out.contains("<note>On the phone</note>"), "{out}");
        // The note comes before extension elements, as the PIDF schema orders them.
        assert!(out.find("<note>") < out.find("<dm:person"));
    }

    #[test]
    fn names_are_escaped() {
        let mut out = String::new();
        let state = PresenceState {
            registered: true,
            in_conference: false,
        };
        write_pidf("a\"b", "x<y", state, &mut out);
        assert!(out.contains("sip:a&quot;b@x&lt;y"), "{out}");
        assert!(!out.contains("a\"b"));
    }
}
