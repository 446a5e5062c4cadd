//! Recording keys in the node's SQLite database: one row per recording, with its
//! conference, its file and its key. A table of its own (`recording_keys`) beside the SIP
//! tables, opened on its own connection.

use core::fmt;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension};
use zeroize::Zeroizing;

use super::sealed::KEY_LEN;

/// A recording key, wiped from memory when dropped.
pub type RecordingKey = Zeroizing<[u8; KEY_LEN]>;

/// What the store keeps of one recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingRow {
    /// Its id.
    pub id: u64,
    /// The conference it recorded.
    pub conference: u32,
    /// Its file.
    pub file: String,
}

/// The key store could not be opened, read or written.
#[derive(Debug)]
pub struct StoreError(rusqlite::Error);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "recording key store: {}", self.0)
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError(error)
    }
}

/// The `recording_keys` table.
#[derive(Debug)]
pub struct KeyStore {
    connection: Connection,
}

impl KeyStore {
    /// Opens (and if needed creates) the table in the database at `path`; `:memory:` is a
    /// private in-memory database.
    pub fn open(path: &str) -> Result<KeyStore, StoreError> {
        let connection = if path == ":memory:" {
            Connection::open_in_memory()?
        } else {
            Connection::open(Path::new(path))?
        };
        connection.busy_timeout(std::time::Duration::from_secs(2))?;
        connection.execute_batch(
            "CREATE TABLE IF NOT EXISTS recording_keys (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                conference INTEGER NOT NULL,
                file TEXT NOT NULL,
                key BLOB NOT NULL,
                started_unix INTEGER NOT NULL
            );",
        )?;
        Ok(KeyStore { connection })
    }

    /// Stores a new recording's key; returns the recording's id.
    pub fn insert(
        &self,
        conference: u32,
        file: &str,
        key: &[u8; KEY_LEN],
    ) -> Result<u64, StoreError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.connection.execute(
            "INSERT INTO recording_keys (conference, file, key, started_unix)
             VALUES (?1, ?2, ?3, ?4)",
            params![conference, file, &key[..], now as i64],
        )?;
        Ok(self.connection.last_insert_rowid() as u64)
    }

    /// A recording and its key, if the store has it.
    pub fn get(&self, id: u64) -> Result<Option<(RecordingRow, RecordingKey)>, StoreError> {
        let Ok(rowid) = i64::try_from(id) else {
            return Ok(None);
        };
        let row = self
            .connection
            .query_row(
                "SELECT conference, file, key FROM recording_keys WHERE id = ?1",
                params![rowid],
                |row| {
                    let conference: u32 = row.get(0)?;
                    let file: String = row.get(1)?;
                    let key: Zeroizing<Vec<u8>> = Zeroizing::new(row.get(2)?);
                    Ok((conference, file, key))
                },
            )
            .optional()?;
        Ok(row.and_then(|(conference, file, bytes)| {
            let key: [u8; KEY_LEN] = bytes.as_slice().try_into().ok()?;
            Some((
                RecordingRow {
                    id,
                    conference,
                    file,
                },
                Zeroizing::new(key),
            ))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_back_by_id_and_survive_reopening() {
        let dir = std::env::temp_dir().join(format!("medianode-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("node.sqlite");
        let path = path.to_str().unwrap();
        let first = {
            let store = KeyStore::open(path).unwrap();
            let a = store.insert(3, "/r/a.mnrec", &[1; KEY_LEN]).unwrap();
            let b = store.insert(4, "/r/b.mnrec", &[2; KEY_LEN]).unwrap();
            assert_ne!(a, b);
            a
        };
        let store = KeyStore::open(path).unwrap();
        let (row, key) = store.get(first).unwrap().expect("kept");
        assert_eq!(row.conference, 3);
        assert_eq!(row.file, "/r/a.mnrec");
        assert_eq!(*key, [1; KEY_LEN]);
        assert!(store.get(first + 100).unwrap().is_none());
        assert!(store.get(u64::MAX).unwrap().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
