//! Who may watch whose presence.
//!
//! The rule: a user may always watch itself; otherwise a user may watch another only when
//! the other's buddy list names it (a user's buddy list is the people it wants to see and
//! lets see it), and the node's `[sip.policy] watch` list admits the watcher. Watcher
//! information about a user (`presence.winfo`) is only for that user.

/// Whether `watcher` may subscribe to the presence of `target`, whose buddy list is
/// `target_buddies`, given whether the node's policy lets `watcher` watch at all.
pub fn may_watch_presence(
    watcher: &str,
    target: &str,
    target_buddies: &[String],
    policy_allows: bool,
) -> bool {
    if watcher == target {
        return true;
    }
    policy_allows && target_buddies.iter().any(|b| b == watcher)
}

/// Whether `watcher` may learn who watches `target`.
pub fn may_watch_watchers(watcher: &str, target: &str) -> bool {
    watcher == target
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buddies_may_watch_and_strangers_may_not() {
        let buddies = vec!["bob".to_owned()];
        assert!(may_watch_presence("bob", "alice", &buddies, true));
        assert!(!may_watch_presence("bob", "alice", &buddies, false));
        assert!(!may_watch_presence("carol", "alice", &buddies, true));
        assert!(may_watch_presence("alice", "alice", &[], false));
        assert!(may_watch_watchers("alice", "alice"));
        assert!(!may_watch_watchers("bob", "alice"));
    }
}
