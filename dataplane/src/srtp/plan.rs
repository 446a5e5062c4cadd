//! What the batch pipeline knows about one packet after its header pass: the outcome so
//! far, stream and index, the byte ranges to encrypt and authenticate, and where the tag
//! and any scratch bytes go. Every range in a successful plan was checked against the
//! buffer.

use super::error::SrtpError;
use super::header::ExtensionBlock;

/// Largest packet the engine accepts: a maximal UDP payload plus SRTP overhead.
pub(crate) const MAX_PACKET_LEN: usize = 65_535 + 64;

/// The header pass's result for one packet.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PacketPlan {
    pub(crate) result: Result<(), SrtpError>,
    /// Stream slot, or `None` for an inbound SSRC not yet in the table.
    pub(crate) slot: Option<usize>,
    pub(crate) ssrc: u32,
    /// 48-bit SRTP packet index or 31-bit SRTCP index.
    pub(crate) index: u64,
    /// Start of the encrypted range.
    pub(crate) enc_start: usize,
    /// Length of the encrypted range (0 when nothing is encrypted).
    pub(crate) enc_len: usize,
    /// HMAC suites: bytes `[..auth_len]` are authenticated. GCM: they are the additional data.
    pub(crate) auth_len: usize,
    /// Authenticated bytes that follow `[..auth_len]` logically: the ROC for SRTP HMAC,
    /// the E/index word for SRTCP GCM.
    pub(crate) suffix: [u8; 4],
    pub(crate) suffix_len: usize,
    /// Where the tag is (unprotect) or goes (protect).
    pub(crate) tag_at: usize,
    /// Packet length after the transform.
    pub(crate) new_len: usize,
    /// Where this packet's bytes in the chunk's scratch buffer start (AES-GCM SRTCP gathers
    /// its additional data there).
    pub(crate) scratch_offset: usize,
    /// RTP header extension, for RFC 6904 header encryption.
    pub(crate) extension: Option<ExtensionBlock>,
}

impl PacketPlan {
    pub(crate) fn failed(error: SrtpError) -> Self {
        Self {
            result: Err(error),
            slot: None,
            ssrc: 0,
            index: 0,
            enc_start: 0,
            enc_len: 0,
            auth_len: 0,
            suffix: [0; 4],
            suffix_len: 0,
            tag_at: 0,
            new_len: 0,
            scratch_offset: 0,
            extension: None,
        }
    }

    pub(crate) fn suffix(&self) -> &[u8] {
        &self.suffix[..self.suffix_len.min(4)]
    }
}

/// Checks the packet length against its storage and the engine maximum.
pub(crate) fn checked_len(len: usize, storage_len: usize) -> Result<usize, SrtpError> {
    if len > storage_len {
        return Err(SrtpError::LengthExceedsBuffer);
    }
    if len > MAX_PACKET_LEN {
        return Err(SrtpError::PacketTooLong);
    }
    Ok(len)
}

/// Checks that a protected packet of `needed` bytes fits the storage.
pub(crate) fn check_capacity(needed: usize, storage_len: usize) -> Result<(), SrtpError> {
    if needed > storage_len {
        Err(SrtpError::InsufficientCapacity { needed })
    } else {
        Ok(())
    }
}
