//! Users as the node provisions them (issue 5 item 7): from `[[users]]` at start-up and
//! through the admin API, kept in the database as digest HA1 values for the realm (never
//! as passwords).

use std::fmt;

use crate::config::UserConfig;
use crate::sip::digest::{ha1, DigestAlgorithm};
use crate::sip::registrar::Binding;

use super::store::{lock, SharedStore, StoreError, UserRecord, UserSource};

/// What proves a user's identity, as given to the node.
#[derive(Clone, PartialEq, Eq)]
pub enum UserSecret {
    /// A password: the node derives both HA1 values and forgets it.
    Password(String),
    /// Stored HA1 values for the node's realm.
    Ha1 {
        /// `MD5(name:realm:password)`, hex.
        md5: Option<String>,
        /// `SHA-256(name:realm:password)`, hex.
        sha256: Option<String>,
    },
}

impl fmt::Debug for UserSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UserSecret::Password(_) => "Password(<redacted>)",
            UserSecret::Ha1 { .. } => "Ha1(<redacted>)",
        })
    }
}

/// Why a user change was refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum UserError {
    /// The user comes from the config file; change it there.
    ProvisionedInConfig,
    /// The database failed.
    Store(StoreError),
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UserError::ProvisionedInConfig => f.write_str(
                "the user is provisioned in the config file ([[users]]); change it there",
            ),
            UserError::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for UserError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            UserError::Store(e) => Some(e),
            UserError::ProvisionedInConfig => None,
        }
    }
}

impl From<StoreError> for UserError {
    fn from(error: StoreError) -> Self {
        UserError::Store(error)
    }
}

/// The users of one realm.
#[derive(Debug, Clone)]
pub struct UserDirectory {
    store: SharedStore,
    realm: String,
}

impl UserDirectory {
    /// The users of `realm` in `store`.
    pub fn new(store: SharedStore, realm: &str) -> UserDirectory {
        UserDirectory {
            store,
            realm: realm.to_owned(),
        }
    }

    /// The realm.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The database the users live in (buddy lists share it).
    pub fn store(&self) -> &SharedStore {
        &self.store
    }

    /// The record `secret` gives `name`.
    pub fn record(&self, name: &str, secret: &UserSecret, source: UserSource) -> UserRecord {
        let (ha1_md5, ha1_sha256) = match secret {
            UserSecret::Password(password) => (
                Some(ha1(DigestAlgorithm::Md5, name, &self.realm, password)),
                Some(ha1(DigestAlgorithm::Sha256, name, &self.realm, password)),
            ),
            UserSecret::Ha1 { md5, sha256 } => (
                md5.as_ref().map(|h| h.to_ascii_lowercase()),
                sha256.as_ref().map(|h| h.to_ascii_lowercase()),
            ),
        };
        UserRecord {
            name: name.to_owned(),
            realm: self.realm.clone(),
            ha1_md5,
            ha1_sha256,
            source,
        }
    }

    /// Makes the config-provisioned users those of `[[users]]`.
    pub fn sync_config(&self, users: &[UserConfig]) -> Result<(), StoreError> {
        let records: Vec<UserRecord> = users
            .iter()
            .map(|user| {
                let secret = match &user.password {
                    Some(password) => UserSecret::Password(password.clone()),
                    None => UserSecret::Ha1 {
                        md5: user.ha1_md5.clone(),
                        sha256: user.ha1_sha256.clone(),
                    },
                };
                self.record(&user.name, &secret, UserSource::Config)
            })
            .collect();
        lock(&self.store).replace_config_users(&records)
    }

    /// Every user with its number of bindings in force at `now`.
    pub fn list(&self, now: u64) -> Result<Vec<(UserRecord, usize)>, StoreError> {
        let store = lock(&self.store);
        store
            .users()?
            .into_iter()
            .map(|user| {
                let bindings = store.bindings(&user.name, now)?.len();
                Ok((user, bindings))
            })
            .collect()
    }

    /// One user with its bindings in force at `now`.
    pub fn get(
        &self,
        name: &str,
        now: u64,
    ) -> Result<Option<(UserRecord, Vec<Binding>)>, StoreError> {
        let store = lock(&self.store);
        match store.user(name)? {
            Some(user) => {
                let bindings = store.bindings(name, now)?;
                Ok(Some((user, bindings)))
            }
            None => Ok(None),
        }
    }

    /// Adds or replaces a user through the admin API; returns whether it is new.
    pub fn put(&self, name: &str, secret: &UserSecret) -> Result<bool, UserError> {
        let store = lock(&self.store);
        if store
            .user(name)?
            .is_some_and(|u| u.source == UserSource::Config)
        {
            return Err(UserError::ProvisionedInConfig);
        }
        Ok(store.put_user(&self.record(name, secret, UserSource::Admin))?)
    }

    /// Removes a user added through the admin API, with its registrations; returns
    /// whether it existed.
    pub fn delete(&self, name: &str) -> Result<bool, UserError> {
        let mut store = lock(&self.store);
        if store
            .user(name)?
            .is_some_and(|u| u.source == UserSource::Config)
        {
            return Err(UserError::ProvisionedInConfig);
        }
        Ok(store.delete_user(name)?)
    }
}
