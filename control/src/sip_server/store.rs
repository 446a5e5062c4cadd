//! The node's SQLite database (`sip.database`): users with their digest HA1 values, and
//! registrations, so both survive restarts.
//!
//! One connection, shared behind a mutex by the SIP thread (registrations, credential
//! look-ups) and the HTTP thread (the users admin API). WAL journaling with
//! `synchronous = NORMAL`: a commit is a write to the log, not an fsync, which keeps a
//! REGISTER in the tens of microseconds; a power cut may lose the last registrations,
//! which clients renew anyway. HA1 values are stored with the realm they were computed
//! for, and only used while the realm is the same.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rusqlite::config::DbConfig;
use rusqlite::{params, Connection, OptionalExtension};

use crate::config::IN_MEMORY_DATABASE;
use crate::sip::digest::DigestAlgorithm;
use crate::sip::registrar::{Binding, BindingChange};

/// The schema version this code writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    name       TEXT PRIMARY KEY NOT NULL,
    realm      TEXT NOT NULL,
    ha1_md5    TEXT,
    ha1_sha256 TEXT,
    source     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS bindings (
    aor        TEXT NOT NULL,
    contact    TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    call_id    TEXT NOT NULL,
    cseq       INTEGER NOT NULL,
    q          INTEGER,
    source     TEXT NOT NULL,
    PRIMARY KEY (aor, contact)
);
";

/// Where a user was provisioned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSource {
    /// `[[users]]` in the config file: replaced at every start, not changeable by the API.
    Config,
    /// The admin API.
    Admin,
}

impl UserSource {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            UserSource::Config => "config",
            UserSource::Admin => "admin",
        }
    }

    fn parse(text: &str) -> UserSource {
        if text == "config" {
            UserSource::Config
        } else {
            UserSource::Admin
        }
    }
}

/// A user as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// The user name.
    pub name: String,
    /// The realm the HA1 values were computed for.
    pub realm: String,
    /// `MD5(name:realm:password)`, hex.
    pub ha1_md5: Option<String>,
    /// `SHA-256(name:realm:password)`, hex.
    pub ha1_sha256: Option<String>,
    /// Where it was provisioned.
    pub source: UserSource,
}

impl fmt::Debug for UserRecord {
    /// Everything but the HA1 values (password equivalents).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserRecord")
            .field("name", &self.name)
            .field("realm", &self.realm)
            .field("algorithms", &self.algorithms())
            .field("source", &self.source)
            .finish()
    }
}

impl UserRecord {
    /// The base algorithms the user can authenticate with.
    pub fn algorithms(&self) -> Vec<&'static str> {
        let mut list = Vec::new();
        if self.ha1_sha256.is_some() {
            list.push(DigestAlgorithm::Sha256.as_str());
        }
        if self.ha1_md5.is_some() {
            list.push(DigestAlgorithm::Md5.as_str());
        }
        list
    }
}

/// A database failure.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// The database could not be opened or set up.
    Open {
        /// The `sip.database` value.
        path: String,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The file was written by a newer medianode.
    NewerSchema(i64),
    /// A statement failed.
    Sql(rusqlite::Error),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Open { path, source } => {
                write!(f, "cannot open sip.database = {path:?}: {source}")
            }
            StoreError::NewerSchema(v) => write!(
                f,
                "the database has schema version {v}, newer than this medianode ({SCHEMA_VERSION})"
            ),
            StoreError::Sql(e) => write!(f, "database error: {e}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Open { source, .. } | StoreError::Sql(source) => Some(source),
            StoreError::NewerSchema(_) => None,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Sql(error)
    }
}

/// The database, shared by the SIP and HTTP threads.
pub type SharedStore = Arc<Mutex<Store>>;

/// Locks a shared store; a panic elsewhere while holding it left the connection usable.
pub fn lock(store: &SharedStore) -> MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The open database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

fn user_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<UserRecord> {
    Ok(UserRecord {
        name: row.get(0)?,
        realm: row.get(1)?,
        ha1_md5: row.get(2)?,
        ha1_sha256: row.get(3)?,
        source: UserSource::parse(&row.get::<_, String>(4)?),
    })
}

impl Store {
    /// Opens (creating if needed) the database at `path`, or an in-memory one for
    /// `:memory:`.
    pub fn open(path: &str) -> Result<Store, StoreError> {
        let open_error = |source| StoreError::Open {
            path: path.to_owned(),
            source,
        };
        let conn = if path == IN_MEMORY_DATABASE {
            Connection::open_in_memory()
        } else {
            Connection::open(path)
        }
        .map_err(open_error)?;
        if path != IN_MEMORY_DATABASE {
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(open_error)?;
            conn.pragma_update(None, "synchronous", "NORMAL")
                .map_err(open_error)?;
        }
        conn.busy_timeout(std::time::Duration::from_secs(2))
            .map_err(open_error)?;
        // Query planner stability: the plans of the cached statements stay as prepared.
        // Without it SQLite re-prepares a statement whenever a bound value it may plan on
        // changes (the registrar's `expires_at > now` does every second, the AOR every
        // REGISTER), which cost about a quarter of the SIP thread under load.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(open_error)?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(open_error)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema(version));
        }
        conn.execute_batch(SCHEMA).map_err(open_error)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(open_error)?;
        Ok(Store { conn })
    }

    /// The HA1 of `name` for `algorithm`'s base, if the user exists, has one, and it was
    /// computed for `realm`.
    pub fn ha1(
        &self,
        name: &str,
        realm: &str,
        algorithm: DigestAlgorithm,
    ) -> Result<Option<String>, StoreError> {
        let column = match algorithm.base() {
            DigestAlgorithm::Sha256 => "ha1_sha256",
            _ => "ha1_md5",
        };
        let sql = format!("SELECT {column} FROM users WHERE name = ?1 AND realm = ?2");
        let mut statement = self.conn.prepare_cached(&sql)?;
        let found: Option<Option<String>> = statement
            .query_row(params![name, realm], |row| row.get(0))
            .optional()?;
        Ok(found.flatten())
    }

    /// One user.
    pub fn user(&self, name: &str) -> Result<Option<UserRecord>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT name, realm, ha1_md5, ha1_sha256, source FROM users WHERE name = ?1",
        )?;
        Ok(statement
            .query_row(params![name], user_from_row)
            .optional()?)
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT name, realm, ha1_md5, ha1_sha256, source FROM users ORDER BY name",
        )?;
        let rows = statement.query_map([], user_from_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Adds or replaces a user; returns whether it is new.
    pub fn put_user(&self, user: &UserRecord) -> Result<bool, StoreError> {
        let existed = self.user(&user.name)?.is_some();
        self.conn
            .prepare_cached(
                "INSERT INTO users (name, realm, ha1_md5, ha1_sha256, source) \
                 VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT(name) DO UPDATE SET realm = excluded.realm, \
                 ha1_md5 = excluded.ha1_md5, ha1_sha256 = excluded.ha1_sha256, \
                 source = excluded.source",
            )?
            .execute(params![
                user.name,
                user.realm,
                user.ha1_md5,
                user.ha1_sha256,
                user.source.as_str()
            ])?;
        Ok(!existed)
    }

    /// Removes a user and its registrations; returns whether it existed.
    pub fn delete_user(&mut self, name: &str) -> Result<bool, StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM bindings WHERE aor = ?1", params![name])?;
        let removed = tx.execute("DELETE FROM users WHERE name = ?1", params![name])?;
        tx.commit()?;
        Ok(removed > 0)
    }

    /// Makes the config-provisioned users exactly `users` (others from an earlier config
    /// go, with their registrations); a config user replaces an API user of the same name.
    pub fn replace_config_users(&mut self, users: &[UserRecord]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let old: Vec<String> = {
            let mut statement = tx.prepare("SELECT name FROM users WHERE source = 'config'")?;
            let rows = statement.query_map([], |row| row.get(0))?;
            rows.collect::<Result<Vec<String>, _>>()?
        };
        for name in old.iter().filter(|n| !users.iter().any(|u| &u.name == *n)) {
            tx.execute("DELETE FROM bindings WHERE aor = ?1", params![name])?;
            tx.execute("DELETE FROM users WHERE name = ?1", params![name])?;
        }
        for user in users {
            tx.execute(
                "INSERT INTO users (name, realm, ha1_md5, ha1_sha256, source) \
                 VALUES (?1, ?2, ?3, ?4, 'config') \
                 ON CONFLICT(name) DO UPDATE SET realm = excluded.realm, \
                 ha1_md5 = excluded.ha1_md5, ha1_sha256 = excluded.ha1_sha256, \
                 source = 'config'",
                params![user.name, user.realm, user.ha1_md5, user.ha1_sha256],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The bindings of `aor` still in force at `now` (Unix seconds), oldest first.
    pub fn bindings(&self, aor: &str, now: u64) -> Result<Vec<Binding>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT contact, expires_at, call_id, cseq, q, source FROM bindings \
             WHERE aor = ?1 AND expires_at > ?2 ORDER BY rowid",
        )?;
        let rows = statement.query_map(params![aor, now as i64], |row| {
            Ok(Binding {
                contact: row.get(0)?,
                expires_at: row.get::<_, i64>(1)?.max(0) as u64,
                call_id: row.get(2)?,
                cseq: row.get::<_, i64>(3)?.clamp(0, i64::from(u32::MAX)) as u32,
                q: row
                    .get::<_, Option<i64>>(4)?
                    .map(|q| q.clamp(0, 1000) as u16),
                source: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Applies a registrar's changes to `aor`'s bindings in one transaction.
    pub fn apply(&mut self, aor: &str, changes: &[BindingChange]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        for change in changes {
            match change {
                BindingChange::Put(b) => {
                    tx.prepare_cached(
                        "INSERT INTO bindings (aor, contact, expires_at, call_id, cseq, q, source) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                         ON CONFLICT(aor, contact) DO UPDATE SET expires_at = excluded.expires_at, \
                         call_id = excluded.call_id, cseq = excluded.cseq, q = excluded.q, \
                         source = excluded.source",
                    )?
                    .execute(params![
                        aor,
                        b.contact,
                        b.expires_at as i64,
                        b.call_id,
                        i64::from(b.cseq),
                        b.q.map(i64::from),
                        b.source
                    ])?;
                }
                BindingChange::Remove(contact) => {
                    tx.prepare_cached("DELETE FROM bindings WHERE aor = ?1 AND contact = ?2")?
                        .execute(params![aor, contact])?;
                }
                BindingChange::RemoveAll => {
                    tx.prepare_cached("DELETE FROM bindings WHERE aor = ?1")?
                        .execute(params![aor])?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Deletes bindings expired at `now`; returns how many.
    pub fn purge_expired(&self, now: u64) -> Result<usize, StoreError> {
        Ok(self.conn.execute(
            "DELETE FROM bindings WHERE expires_at <= ?1",
            params![now as i64],
        )?)
    }

    /// The connection, for the tables other modules keep in the same database (buddy
    /// lists: [`super::presence_store`]).
    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, source: UserSource) -> UserRecord {
        UserRecord {
            name: name.to_owned(),
            realm: "r".to_owned(),
            ha1_md5: Some("00".repeat(16)),
            ha1_sha256: None,
            source,
        }
    }

    fn binding(contact: &str, expires_at: u64) -> Binding {
        Binding {
            contact: contact.to_owned(),
            expires_at,
            call_id: "c".to_owned(),
            cseq: 1,
            q: Some(500),
            source: "udp:127.0.0.1:5062".to_owned(),
        }
    }

    #[test]
    fn users_bindings_and_config_sync_survive_reopening() {
        let dir = std::env::temp_dir().join(format!("medianode-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.sqlite");
        let _ = std::fs::remove_file(&path);
        let path = path.to_str().unwrap().to_owned();
        {
            let mut store = Store::open(&path).unwrap();
            store
                .replace_config_users(&[
                    user("alice", UserSource::Config),
                    user("old", UserSource::Config),
                ])
                .unwrap();
            assert!(store.put_user(&user("bob", UserSource::Admin)).unwrap());
            assert!(!store.put_user(&user("bob", UserSource::Admin)).unwrap());
            store
                .apply(
                    "alice",
                    &[
                        BindingChange::Put(binding("sip:a@h", 200)),
                        BindingChange::Put(binding("sip:b@h", 50)),
                    ],
                )
                .unwrap();
            store
                .apply("old", &[BindingChange::Put(binding("sip:o@h", 200))])
                .unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        assert_eq!(
            store.ha1("alice", "r", DigestAlgorithm::Md5).unwrap(),
            Some("00".repeat(16))
        );
        assert_eq!(
            store.ha1("alice", "other", DigestAlgorithm::Md5).unwrap(),
            None
        );
        assert_eq!(
            store
                .ha1("alice", "r", DigestAlgorithm::Sha256Sess)
                .unwrap(),
            None
        );
        assert_eq!(
            store.bindings("alice", 100).unwrap(),
            vec![binding("sip:a@h", 200)]
        );
        store
            .replace_config_users(&[user("alice", UserSource::Config)])
            .unwrap();
        let names: Vec<String> = store.users().unwrap().into_iter().map(|u| u.name).collect();
        assert_eq!(names, vec!["alice", "bob"]);
        assert!(store.bindings("old", 100).unwrap().is_empty());
        assert_eq!(store.purge_expired(100).unwrap(), 1);
        store.apply("alice", &[BindingChange::RemoveAll]).unwrap();
        assert!(store.bindings("alice", 0).unwrap().is_empty());
        assert!(store.delete_user("bob").unwrap());
        assert!(!store.delete_user("bob").unwrap());
        assert!(!format!("{:?}", store.user("alice").unwrap()).contains("0000"));
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
