//! Who may do what (issue 5 item 7): create conferences, join them, invite others, watch
//! participants and presence. Each action names the users allowed, or every authenticated
//! user. Authentication comes first; the policy only ever sees a verified user name.

use std::collections::HashSet;

use crate::config::PolicyConfig;

/// An action the policy rules on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Create a conference through the factory URI.
    Create,
    /// Join an existing conference.
    Join,
    /// Invite someone into a conference.
    Invite,
    /// Watch a conference's participants or a user's presence.
    Watch,
}

impl Action {
    /// The action's name, as in `[sip.policy]`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Join => "join",
            Action::Invite => "invite",
            Action::Watch => "watch",
        }
    }
}

/// Who an action is allowed to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Allowed {
    Everyone,
    Only(HashSet<String>),
}

impl Allowed {
    fn from_names(names: &[String]) -> Allowed {
        if names.iter().any(|n| n == "*") {
            Allowed::Everyone
        } else {
            Allowed::Only(names.iter().cloned().collect())
        }
    }

    fn admits(&self, user: &str) -> bool {
        match self {
            Allowed::Everyone => true,
            Allowed::Only(names) => names.contains(user),
        }
    }
}

/// The node's policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    create: Allowed,
    join: Allowed,
    invite: Allowed,
    watch: Allowed,
}

impl Default for Policy {
    /// Every authenticated user may do everything.
    fn default() -> Self {
        Policy::from_config(&PolicyConfig::default())
    }
}

impl Policy {
    /// The policy `[sip.policy]` describes.
    pub fn from_config(config: &PolicyConfig) -> Policy {
        Policy {
            create: Allowed::from_names(&config.create),
            join: Allowed::from_names(&config.join),
            invite: Allowed::from_names(&config.invite),
            watch: Allowed::from_names(&config.watch),
        }
    }

    /// Whether authenticated `user` may do `action`.
    pub fn allows(&self, action: Action, user: &str) -> bool {
        match action {
            Action::Create => self.create.admits(user),
            Action::Join => self.join.admits(user),
            Action::Invite => self.invite.admits(user),
            Action::Watch => self.watch.admits(user),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_admit_their_names_and_a_star_admits_everyone() {
        let config = PolicyConfig {
            create: vec!["alice".to_owned()],
            join: vec!["bob".to_owned(), "*".to_owned()],
            watch: Vec::new(),
            ..PolicyConfig::default()
        };
        let policy = Policy::from_config(&config);
        assert!(policy.allows(Action::Create, "alice"));
        assert!(!policy.allows(Action::Create, "bob"));
        assert!(policy.allows(Action::Join, "carol"));
        assert!(policy.allows(Action::Invite, "carol"));
        assert!(!policy.allows(Action::Watch, "alice"));
        assert_eq!(Action::Watch.as_str(), "watch");
    }
}
