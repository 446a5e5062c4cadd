//! Per-conference recording: the conference mix written to an Ogg Opus file, encrypted at
//! rest under a key of its own that the node keeps in its database.
//!
//! The core taps its mixer's shared Opus output (see the dataplane's `recording_tap`) and
//! its event loop hands each frame to a bounded queue; a writer thread per recording pages
//! the frames as Ogg Opus (RFC 7845), seals the pages and writes them. A core never waits
//! on the disk: when the queue is full the frame is dropped and counted
//! (`medianode_recording_frames_dropped_total`).
//!
//! # File format (`.mnrec`, version 1)
//!
//! ```text
//! file   = magic chunk* final-chunk
//! magic  = "MNREC" 0x00 0x01 0x00                      (8 bytes)
//! chunk  = flags:u8 length:u32be sealed[length]
//! sealed = AES-256-GCM(key, nonce, aad, plain) || tag    (tag: 16 bytes)
//! nonce  = 0x00000000 || index:u64be                     (index: 0, 1, 2 ... per chunk)
//! aad    = magic || flags || index:u64be
//! flags  = 0x01 on the final chunk, else 0x00
//! ```
//!
//! The plaintexts, in order, are one Ogg Opus stream (mono, 48 kHz): the first chunk holds
//! the `OpusHead` and `OpusTags` pages, each later chunk one audio page. The key (32
//! bytes, random per recording) is stored with the recording's id in the `recording_keys`
//! table; the nonce never repeats under a key because every recording has its own key.
//! Binding the index and the final flag into the associated data makes reordered,
//! dropped, or cut-off chunks fail to open ([`open_sealed`]). Without the key the file is
//! ciphertext after the magic: not Ogg.
//!
//! The key leaves the node only through `GET /v1/recordings/{id}/key`, to a caller with
//! `Authorization: Bearer <token>`: the admin API's token (`http.admin_token`) when the
//! node has one, or the recording key token (`[recording] key_token`). With neither, no
//! key is handed out.

mod config;
mod ogg_opus;
mod sealed;
pub mod store;
mod writer;

use core::fmt;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::thread::JoinHandle;

use medianode_dataplane::conference::{ConferenceId, RecordedFrame, RecordingId};
use zeroize::Zeroizing;

pub use config::RecordingConfig;
pub use sealed::{open_sealed, SealError, KEY_LEN, RECORDING_MAGIC};
pub use store::{KeyStore, RecordingKey, RecordingRow, StoreError};

/// Frames a recording's queue holds (10 s of 20 ms frames) before frames are dropped.
pub const QUEUE_FRAMES: usize = 500;

/// Why a recording could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum RecordingError {
    /// The conference is being recorded already.
    AlreadyRecording(ConferenceId),
    /// The file, or the writer thread, could not be created.
    Io(std::io::Error),
    /// The key could not be stored.
    Store(StoreError),
    /// The system's random source failed.
    Random,
}

impl fmt::Display for RecordingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordingError::AlreadyRecording(id) => write!(f, "{id} is already being recorded"),
            RecordingError::Io(e) => write!(f, "recording file: {e}"),
            RecordingError::Store(e) => e.fmt(f),
            RecordingError::Random => f.write_str("no randomness for a recording key"),
        }
    }
}

impl std::error::Error for RecordingError {}

/// Why a key was not handed out.
#[derive(Debug)]
#[non_exhaustive]
pub enum KeyRefusal {
    /// No or the wrong bearer token.
    Unauthorized,
    /// No recording has this id.
    Unknown,
    /// The store could not be read.
    Store(StoreError),
}

/// A recording that started: the core gets `frames`.
#[derive(Debug)]
pub struct StartedRecording {
    /// Its id (also the key's).
    pub id: RecordingId,
    /// Its file.
    pub file: PathBuf,
    /// Where the core sends the mix's frames; dropping it ends the recording.
    pub frames: crossbeam_channel::Sender<RecordedFrame>,
}

/// A recording that ended.
#[derive(Debug)]
pub struct FinishedRecording {
    /// Its id.
    pub id: RecordingId,
    /// Its file.
    pub file: PathBuf,
    /// Frames written, or why writing failed.
    pub frames: std::io::Result<u64>,
}

struct Running {
    id: RecordingId,
    file: PathBuf,
    writer: JoinHandle<std::io::Result<u64>>,
}

/// The node's recordings: where files go, the key store, the token guarding keys, and the
/// writers running now.
pub struct Recordings {
    dir: PathBuf,
    store: Mutex<KeyStore>,
    token: Zeroizing<String>,
    running: Mutex<HashMap<ConferenceId, Running>>,
}

impl fmt::Debug for Recordings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recordings")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Recordings {
    /// Recordings written into `dir` (created if missing), keys kept in the database at
    /// `database`, handed out to callers presenting `token` (none if empty) or admitted
    /// by the admin API's token.
    pub fn open(
        dir: impl Into<PathBuf>,
        database: &str,
        token: &str,
    ) -> Result<Recordings, RecordingError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(RecordingError::Io)?;
        Ok(Recordings {
            dir,
            store: Mutex::new(KeyStore::open(database).map_err(RecordingError::Store)?),
            token: Zeroizing::new(token.to_owned()),
            running: Mutex::new(HashMap::new()),
        })
    }

    /// Creates a recording of `conference`: its key, its file and its writer.
    pub fn begin(&self, conference: ConferenceId) -> Result<StartedRecording, RecordingError> {
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        if running.contains_key(&conference) {
            return Err(RecordingError::AlreadyRecording(conference));
        }
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        getrandom::fill(&mut key[..]).map_err(|_| RecordingError::Random)?;
        let serial = getrandom::u32().map_err(|_| RecordingError::Random)?;
        let file = self
            .dir
            .join(format!("conference-{}-{serial:08x}.mnrec", conference.0));
        let handle = std::fs::File::create(&file).map_err(RecordingError::Io)?;
        let id = self
            .store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(conference.0, &file.to_string_lossy(), &key)
            .map_err(RecordingError::Store)?;
        let (frames, queue) = crossbeam_channel::bounded(QUEUE_FRAMES);
        let writer = writer::spawn(handle, key, serial, queue).map_err(RecordingError::Io)?;
        let id = RecordingId(id);
        running.insert(
            conference,
            Running {
                id,
                file: file.clone(),
                writer,
            },
        );
        Ok(StartedRecording { id, file, frames })
    }

    /// Waits for the writer of `conference`'s recording once the core has let go of its
    /// queue; `None` if none runs.
    pub fn finish(&self, conference: ConferenceId) -> Option<FinishedRecording> {
        let running = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&conference)?;
        let frames = running
            .writer
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the recording writer panicked")));
        Some(FinishedRecording {
            id: running.id,
            file: running.file,
            frames,
        })
    }

    /// Whether `conference` is being recorded.
    pub fn is_recording(&self, conference: ConferenceId) -> bool {
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(&conference)
    }

    /// The key of recording `id` for a caller whose `Authorization` header is
    /// `authorization`, or who the admin API already authenticated (`admitted`).
    pub fn key(
        &self,
        id: u64,
        authorization: Option<&str>,
        admitted: bool,
    ) -> Result<(RecordingRow, RecordingKey), KeyRefusal> {
        let presented = authorization
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or("");
        let own_token =
            !self.token.is_empty() && same_secret(presented.as_bytes(), self.token.as_bytes());
        if !admitted && !own_token {
            return Err(KeyRefusal::Unauthorized);
        }
        self.store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .map_err(KeyRefusal::Store)?
            .ok_or(KeyRefusal::Unknown)
    }
}

/// Compares secrets in time independent of where they differ.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
