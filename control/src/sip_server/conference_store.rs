//! Persistent conferences ("rooms", [`crate::sip::focus::Room`]) in the node's SQLite
//! database, so they are re-created when the node starts again. Their own table in the
//! same database and connection as users and registrations ([`super::store`]); the
//! focus decides, this only keeps what it says.

use rusqlite::params;

use super::store::{Store, StoreError};
use crate::sip::focus::Room;

const ROOMS_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS rooms (
    number     INTEGER PRIMARY KEY NOT NULL,
    owner      TEXT NOT NULL,
    end_to_end INTEGER NOT NULL,
    loudest_n  INTEGER NOT NULL,
    allow_list TEXT NOT NULL,
    block_list TEXT NOT NULL
);
";

/// A list of user names as stored: space separated (names hold no spaces).
fn join_names(names: &[String]) -> String {
    names.join(" ")
}

fn split_names(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

impl Store {
    /// Creates the rooms table if this database has none yet.
    pub fn prepare_rooms(&self) -> Result<(), StoreError> {
        self.connection().execute_batch(ROOMS_SCHEMA)?;
        Ok(())
    }

    /// Every stored room, by number.
    pub fn rooms(&self) -> Result<Vec<Room>, StoreError> {
        self.prepare_rooms()?;
        let mut statement = self.connection().prepare_cached(
            "SELECT number, owner, end_to_end, loudest_n, allow_list, block_list \
             FROM rooms ORDER BY number",
        )?;
        let rows = statement.query_map([], |row| {
            let loudest: i64 = row.get(3)?;
            Ok(Room {
                number: row.get(0)?,
                owner: row.get(1)?,
                end_to_end: row.get::<_, i64>(2)? != 0,
                loudest_n: usize::try_from(loudest).unwrap_or(1),
                allow: split_names(&row.get::<_, String>(4)?),
                block: split_names(&row.get::<_, String>(5)?),
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Adds or replaces `room`.
    pub fn put_room(&self, room: &Room) -> Result<(), StoreError> {
        self.prepare_rooms()?;
        self.connection().execute(
            "INSERT OR REPLACE INTO rooms \
             (number, owner, end_to_end, loudest_n, allow_list, block_list) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                room.number,
                room.owner,
                i64::from(room.end_to_end),
                i64::try_from(room.loudest_n).unwrap_or(i64::MAX),
                join_names(&room.allow),
                join_names(&room.block),
            ],
        )?;
        Ok(())
    }

    /// Removes room `number`; whether it existed.
    pub fn delete_room(&self, number: u32) -> Result<bool, StoreError> {
        self.prepare_rooms()?;
        let removed = self
            .connection()
            .execute("DELETE FROM rooms WHERE number = ?1", params![number])?;
        Ok(removed > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::IN_MEMORY_DATABASE;

    #[test]
    fn rooms_are_stored_replaced_and_deleted() {
        let store = Store::open(IN_MEMORY_DATABASE).unwrap();
        assert!(store.rooms().unwrap().is_empty());
        let mut room = Room {
            number: 3,
            owner: "alice".to_owned(),
            end_to_end: true,
            loudest_n: 2,
            allow: vec!["bob".to_owned(), "carol".to_owned()],
            block: Vec::new(),
        };
        store.put_room(&room).unwrap();
        room.block = vec!["mallory".to_owned()];
        room.loudest_n = 4;
        store.put_room(&room).unwrap();
        let other = Room {
            number: 1,
            owner: "bob".to_owned(),
            end_to_end: false,
            loudest_n: 3,
            allow: Vec::new(),
            block: Vec::new(),
        };
        store.put_room(&other).unwrap();
        assert_eq!(store.rooms().unwrap(), [other, room]);
        assert!(store.delete_room(3).unwrap());
        assert!(!store.delete_room(3).unwrap());
        assert_eq!(store.rooms().unwrap().len(), 1);
    }
}
