//! The `[recording]` section of the node's configuration: where recordings go, and a
//! bearer token for fetching their keys besides the admin API's own. Recording is off
//! without `dir`.

use core::fmt;

use serde::Deserialize;

use super::{RecordingError, Recordings};

/// `[recording]`: `dir = "/var/lib/medianode/recordings"`, `key_token = "..."`.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct RecordingConfig {
    /// The directory recording files are written to (created if missing).
    pub dir: Option<String>,
    /// A token `GET /v1/recordings/{id}/key` accepts as `Authorization: Bearer`, besides
    /// the admin API's `http.admin_token`.
    pub key_token: Option<String>,
}

impl fmt::Debug for RecordingConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordingConfig")
            .field("dir", &self.dir)
            .field("key_token", &self.key_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl RecordingConfig {
    /// The node's recordings, keys kept in the database at `database`; `None` when
    /// recording is not configured.
    pub fn open(&self, database: &str) -> Result<Option<Recordings>, RecordingError> {
        match &self.dir {
            Some(dir) if !dir.is_empty() => {
                let token = self.key_token.as_deref().unwrap_or("");
                Recordings::open(dir, database, token).map(Some)
            }
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recording_is_off_without_a_directory_and_the_token_stays_out_of_debug() {
        let off = RecordingConfig::default();
        assert!(off.open(":memory:").unwrap().is_none());
        let dir = std::env::temp_dir().join(format!("medianode-rec-cfg-{}", std::process::id()));
        let on = RecordingConfig {
            dir: Some(dir.to_string_lossy().into_owned()),
            key_token: Some("very-secret".to_owned()),
        };
        assert!(on.open(":memory:").unwrap().is_some());
        assert!(!format!("{on:?}").contains("very-secret"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
