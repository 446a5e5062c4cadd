//! RFC 3858 watcher information documents for `Event: presence.winfo` (RFC 3857): who
//! watches a user's presence. Every notification carries the full list, with a version
//! that counts the documents sent on the subscription.

use std::fmt::Write;

use super::xml::escape;

/// The content type of a watcher information document.
pub const WATCHERINFO_CONTENT_TYPE: &str = "application/watcherinfo+xml";

/// One watcher of a user's presence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Watcher {
    /// An identifier of the watcher's subscription, stable while it lasts.
    pub id: String,
    /// The watcher's user name.
    pub user: String,
    /// Whether the subscription is allowed (`active`) or refused (`terminated`).
    pub active: bool,
}

/// Writes the watcher list of `user@domain` as document `version` to `out`.
pub fn write_watcherinfo(
    user: &str,
    domain: &str,
    version: u32,
    watchers: &[Watcher],
    out: &mut String,
) {
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n\
         <watcherinfo xmlns=\"urn:ietf:params:xml:ns:watcherinfo\" version=\"{version}\" \
         state=\"full\">\r\n\
         <watcher-list resource=\"sip:{}@{}\" package=\"presence\">\r\n",
        escape(user),
        escape(domain)
    );
    for watcher in watchers {
        let (status, event) = if watcher.active {
            ("active", "subscribe")
        } else {
            ("terminated", "rejected")
        };
        let _ = write!(
            out,
            "<watcher id=\"{}\" event=\"{event}\" status=\"{status}\">sip:{}@{}</watcher>\r\n",
            escape(&watcher.id),
            escape(&watcher.user),
            escape(domain)
        );
    }
    out.push_str("</watcher-list>\r\n</watcherinfo>\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_each_watcher_with_its_status() {
        let watchers = [
            Watcher {
                id: "w1".to_owned(),
                user: "bob".to_owned(),
                active: true,
            },
            Watcher {
                id: "w2".to_owned(),
                user: "mallory".to_owned(),
                active: false,
            },
        ];
        let mut out = String::new();
        write_watcherinfo("alice", "example.com", 3, &watchers, &mut out);
        assert!(out.contains("version=\"3\" state=\"full\""), "{out}");
        assert!(out.contains("resource=\"sip:alice@example.com\""), "{out}");
        assert!(out.contains(
            "<watcher id=\"w1\" event=\"subscribe\" status=\"active\">sip:bob@example.com</watcher>"
        ));
        assert!(out.contains("status=\"terminated\">sip:mallory@example.com<"));

        out.clear();
        write_watcherinfo("alice", "example.com", 0, &[], &mut out);
        assert!(!out.contains("<watcher "), "{out}");
    }
}
