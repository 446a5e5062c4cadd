//! Buddy lists in the node's database: for each user, the users it wants to watch and
//! lets watch it (the rule is in [`crate::sip::presence::rules`]). They share the
//! connection of [`super::store`] and survive restarts with it; their table is created on
//! first use, so a database from before presence opens unchanged.
//!
//! Entries name users without requiring them to exist: a buddy may be provisioned later,
//! and removing a user leaves the lists that name it as they are.

use rusqlite::params;

use super::store::{Store, StoreError};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS buddies (
    owner TEXT NOT NULL,
    buddy TEXT NOT NULL,
    PRIMARY KEY (owner, buddy)
);
";

fn ensure_schema(store: &Store) -> Result<(), StoreError> {
    Ok(store.connection().execute_batch(SCHEMA)?)
}

/// The buddy list of `owner`, sorted.
pub fn buddies(store: &Store, owner: &str) -> Result<Vec<String>, StoreError> {
    ensure_schema(store)?;
    let mut statement = store
        .connection()
        .prepare_cached("SELECT buddy FROM buddies WHERE owner = ?1 ORDER BY buddy")?;
    let rows = statement.query_map(params![owner], |row| row.get(0))?;
    Ok(rows.collect::<Result<Vec<String>, _>>()?)
}

/// Whether `buddy` is on the list of `owner`.
pub fn has_buddy(store: &Store, owner: &str, buddy: &str) -> Result<bool, StoreError> {
    ensure_schema(store)?;
    let mut statement = store
        .connection()
        .prepare_cached("SELECT 1 FROM buddies WHERE owner = ?1 AND buddy = ?2")?;
    Ok(statement.exists(params![owner, buddy])?)
}

/// Puts `buddy` on the list of `owner`; returns whether it was not there yet.
pub fn add_buddy(store: &Store, owner: &str, buddy: &str) -> Result<bool, StoreError> {
    ensure_schema(store)?;
    let added = store.connection().execute(
        "INSERT OR IGNORE INTO buddies (owner, buddy) VALUES (?1, ?2)",
        params![owner, buddy],
    )?;
    Ok(added > 0)
}

/// Takes `buddy` off the list of `owner`; returns whether it was there.
pub fn remove_buddy(store: &Store, owner: &str, buddy: &str) -> Result<bool, StoreError> {
    ensure_schema(store)?;
    let removed = store.connection().execute(
        "DELETE FROM buddies WHERE owner = ?1 AND buddy = ?2",
        params![owner, buddy],
    )?;
    Ok(removed > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::IN_MEMORY_DATABASE;

    #[test]
    fn lists_are_per_owner_and_entries_unique() {
        let store = Store::open(IN_MEMORY_DATABASE).unwrap();
        assert!(buddies(&store, "alice").unwrap().is_empty());
        assert!(add_buddy(&store, "alice", "carol").unwrap());
        assert!(add_buddy(&store, "alice", "bob").unwrap());
        assert!(!add_buddy(&store, "alice", "bob").unwrap());
        assert!(add_buddy(&store, "bob", "alice").unwrap());
        assert_eq!(buddies(&store, "alice").unwrap(), ["bob", "carol"]);
        assert!(has_buddy(&store, "alice", "bob").unwrap());
        assert!(!has_buddy(&store, "bob", "carol").unwrap());
        assert!(remove_buddy(&store, "alice", "bob").unwrap());
        assert!(!remove_buddy(&store, "alice", "bob").unwrap());
        assert_eq!(buddies(&store, "alice").unwrap(), ["carol"]);
        assert_eq!(buddies(&store, "bob").unwrap(), ["alice"]);
    }

    #[test]
    fn lists_survive_reopening_the_file() {
        let dir = std::env::temp_dir().join(format!("medianode-buddies-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("node.db");
        let path = path.to_str().unwrap();
        {
            let store = Store::open(path).unwrap();
            add_buddy(&store, "alice", "bob").unwrap();
        }
        let store = Store::open(path).unwrap();
        assert_eq!(buddies(&store, "alice").unwrap(), ["bob"]);
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
