//! The encrypted container of a recording file (the format is described in the
//! [module documentation](super)): AES-256-GCM per chunk, each chunk's nonce its index,
//! its header bound in as associated data, and the last chunk marked so that a cut-off
//! file is detected.

use core::fmt;
use std::io::{self, Write};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};

/// The file's first 8 bytes: `MNREC`, a zero, format version 1, a zero.
pub const RECORDING_MAGIC: [u8; 8] = *b"MNREC\x00\x01\x00";
/// Bytes of a recording key.
pub const KEY_LEN: usize = 32;
/// The flag of the last chunk.
const FINAL: u8 = 0x01;
/// Flag byte and length word before each chunk's ciphertext.
const CHUNK_HEADER: usize = 5;
/// The GCM tag after each chunk's ciphertext.
const TAG_LEN: usize = 16;

/// Why a recording file did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealError {
    /// It does not start with [`RECORDING_MAGIC`].
    NotARecording,
    /// A chunk's header or ciphertext runs past the end.
    Truncated,
    /// A chunk did not authenticate under the key (wrong key, or altered bytes).
    Authentication,
    /// No chunk is marked last: the file was cut short.
    Unfinished,
    /// Bytes follow the last chunk.
    TrailingData,
}

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SealError::NotARecording => "not a medianode recording",
            SealError::Truncated => "a chunk runs past the end of the file",
            SealError::Authentication => "a chunk does not authenticate under this key",
            SealError::Unfinished => "the recording has no final chunk (cut short)",
            SealError::TrailingData => "bytes follow the final chunk",
        })
    }
}

impl std::error::Error for SealError {}

fn nonce(index: u64) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[4..].copy_from_slice(&index.to_be_bytes());
    nonce
}

fn associated_data(flags: u8, index: u64) -> [u8; 17] {
    let mut aad = [0u8; 17];
    aad[..8].copy_from_slice(&RECORDING_MAGIC);
    aad[8] = flags;
    aad[9..].copy_from_slice(&index.to_be_bytes());
    aad
}

/// Writes chunks of a recording, sealed under its key.
pub(crate) struct Sealer<W: Write> {
    out: W,
    cipher: Aes256Gcm,
    index: u64,
}

impl<W: Write> fmt::Debug for Sealer<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealer")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl<W: Write> Sealer<W> {
    /// Writes the magic to `out`.
    pub(crate) fn new(mut out: W, key: &[u8; KEY_LEN]) -> io::Result<Sealer<W>> {
        out.write_all(&RECORDING_MAGIC)?;
        let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key));
        Ok(Sealer {
            out,
            cipher,
            index: 0,
        })
    }

    /// Seals and writes one chunk; `last` marks the end of the recording.
    pub(crate) fn chunk(&mut self, plain: &[u8], last: bool) -> io::Result<()> {
        let flags = if last { FINAL } else { 0 };
        let aad = associated_data(flags, self.index);
        let sealed = self
            .cipher
            .encrypt(
                &Nonce::from(nonce(self.index)),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| io::Error::other("AES-GCM refused the chunk"))?;
        let len = u32::try_from(sealed.len()).map_err(|_| io::Error::other("chunk too large"))?;
        self.out.write_all(&[flags])?;
        self.out.write_all(&len.to_be_bytes())?;
        self.out.write_all(&sealed)?;
        self.index += 1;
        Ok(())
    }

    /// Flushes and returns the writer.
    pub(crate) fn into_inner(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Decrypts a whole recording file with its key: the Ogg Opus stream inside.
pub fn open_sealed(file: &[u8], key: &[u8; KEY_LEN]) -> Result<Vec<u8>, SealError> {
    let rest = file
        .strip_prefix(&RECORDING_MAGIC[..])
        .ok_or(SealError::NotARecording)?;
    let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key));
    let mut plain = Vec::with_capacity(rest.len());
    let mut at = 0usize;
    let mut index = 0u64;
    loop {
        if at == rest.len() {
            return Err(SealError::Unfinished);
        }
        let header = rest
            .get(at..at + CHUNK_HEADER)
            .ok_or(SealError::Truncated)?;
        let flags = header[0];
        let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
        let start = at + CHUNK_HEADER;
        let end = start.checked_add(len).ok_or(SealError::Truncated)?;
        let sealed = rest.get(start..end).ok_or(SealError::Truncated)?;
        if sealed.len() < TAG_LEN {
            return Err(SealError::Truncated);
        }
        let aad = associated_data(flags, index);
        let chunk = cipher
            .decrypt(
                &Nonce::from(nonce(index)),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Authentication)?;
        plain.extend_from_slice(&chunk);
        at = end;
        index += 1;
        if flags & FINAL != 0 {
            return if at == rest.len() {
                Ok(plain)
            } else {
                Err(SealError::TrailingData)
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed(key: &[u8; KEY_LEN], chunks: &[&[u8]]) -> Vec<u8> {
        let mut sealer = Sealer::new(Vec::new(), key).unwrap();
        for (i, chunk) in chunks.iter().enumerate() {
            sealer.chunk(chunk, i + 1 == chunks.len()).unwrap();
        }
        sealer.into_inner().unwrap()
    }

    #[test]
    fn opens_with_the_key_and_nothing_else() {
        let key = [7u8; KEY_LEN];
        let file = sealed(&key, &[b"OggS first", b"second", b"third"]);
        assert_eq!(open_sealed(&file, &key).unwrap(), b"OggS firstsecondthird");
        assert!(!file.windows(4).any(|w| w == b"OggS"), "no clear text");
        assert_eq!(
            open_sealed(&file, &[8u8; KEY_LEN]),
            Err(SealError::Authentication)
        );
    }

    #[test]
    fn cut_reordered_or_altered_files_are_refused() {
        let key = [1u8; KEY_LEN];
        let file = sealed(&key, &[b"one", b"two"]);
        let first_chunk_end = RECORDING_MAGIC.len() + CHUNK_HEADER + 3 + TAG_LEN;
        assert_eq!(
            open_sealed(&file[..first_chunk_end], &key),
            Err(SealError::Unfinished)
        );
        assert_eq!(
            open_sealed(&file[..file.len() - 1], &key),
            Err(SealError::Truncated)
        );
        let mut flipped = file.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(open_sealed(&flipped, &key), Err(SealError::Authentication));
        // Marking the first chunk final changes its associated data.
        let mut marked = file.clone();
        marked[RECORDING_MAGIC.len()] = FINAL;
        assert_eq!(open_sealed(&marked, &key), Err(SealError::Authentication));
        assert_eq!(open_sealed(b"OggS", &key), Err(SealError::NotARecording));
        let mut longer = file;
        longer.push(0);
        assert_eq!(open_sealed(&longer, &key), Err(SealError::TrailingData));
    }
}
