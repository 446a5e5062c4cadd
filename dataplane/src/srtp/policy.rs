//! What one direction of a session is configured with: master key (and so suite and MKI),
//! replay window, key-derivation rate, key lifetime and the most streams it will hold.

use super::error::SrtpConfigError;
use super::header_encryption::EncryptedExtensions;
use super::kdf::KeyDerivationRate;
use super::master_key::MasterKey;
use super::replay::{DEFAULT_REPLAY_WINDOW, MAX_REPLAY_WINDOW, MIN_REPLAY_WINDOW};
use super::suite::{CipherKind, SrtpSuite};

/// Most SRTP packets one master key may protect (RFC 3711 sec. 9.2).
pub const MAX_SRTP_PACKETS_PER_KEY: u64 = 1 << 48;
/// Most SRTCP packets one master key may protect (RFC 3711 sec. 9.2).
pub const MAX_SRTCP_PACKETS_PER_KEY: u64 = 1 << 31;
/// Streams a direction holds unless configured otherwise.
pub const DEFAULT_MAX_STREAMS: usize = 1024;

/// Configuration of one direction of an [`SrtpSession`](super::SrtpSession).
#[derive(Clone, Debug)]
pub struct SrtpPolicy {
    pub(crate) master_key: MasterKey,
    pub(crate) replay_window: usize,
    pub(crate) kdr: KeyDerivationRate,
    pub(crate) rtp_lifetime: u64,
    pub(crate) rtcp_lifetime: u64,
    pub(crate) max_streams: usize,
    pub(crate) encrypted_extensions: EncryptedExtensions,
}

impl SrtpPolicy {
    /// Policy for `master_key` with the defaults: 128-packet replay window, key-derivation
    /// rate 0, the RFC 3711 key lifetimes, up to 1024 streams.
    pub fn new(master_key: MasterKey) -> Self {
        Self {
            master_key,
            replay_window: DEFAULT_REPLAY_WINDOW,
            kdr: KeyDerivationRate::ZERO,
            rtp_lifetime: MAX_SRTP_PACKETS_PER_KEY,
            rtcp_lifetime: MAX_SRTCP_PACKETS_PER_KEY,
            max_streams: DEFAULT_MAX_STREAMS,
            encrypted_extensions: EncryptedExtensions::NONE,
        }
    }

    /// Replay window in packets, 64 to 1024.
    pub fn with_replay_window(mut self, packets: usize) -> Result<Self, SrtpConfigError> {
        if !(MIN_REPLAY_WINDOW..=MAX_REPLAY_WINDOW).contains(&packets) {
            return Err(SrtpConfigError::ReplayWindow(packets));
        }
        self.replay_window = packets;
        Ok(self)
    }

    /// Key-derivation rate (RFC 3711 sec. 4.3.1).
    pub fn with_key_derivation_rate(mut self, kdr: KeyDerivationRate) -> Self {
        self.kdr = kdr;
        self
    }

    /// Master key lifetime in packets (SDES `|2^n` lifetime), applied to SRTP and SRTCP
    /// separately and capped at 2^48 and 2^31 respectively.
    pub fn with_key_lifetime(mut self, packets: u64) -> Result<Self, SrtpConfigError> {
        if packets == 0 || packets > MAX_SRTP_PACKETS_PER_KEY {
            return Err(SrtpConfigError::KeyLifetime(packets));
        }
        self.rtp_lifetime = packets;
        self.rtcp_lifetime = packets.min(MAX_SRTCP_PACKETS_PER_KEY);
        Ok(self)
    }

    /// Most SSRCs this direction tracks; a new inbound SSRC beyond it is refused.
    pub fn with_max_streams(mut self, streams: usize) -> Result<Self, SrtpConfigError> {
        if streams == 0 {
            return Err(SrtpConfigError::MaxStreams);
        }
        self.max_streams = streams;
        Ok(self)
    }

    /// Encrypts the RTP header extension elements with these IDs (RFC 6904; negotiated
    /// with `urn:ietf:params:rtp-hdrext:encrypt` in `a=extmap`). AES-CM and AES-GCM
    /// suites only.
    pub fn with_encrypted_header_extensions(mut self, ids: &[u8]) -> Result<Self, SrtpConfigError> {
        let set = EncryptedExtensions::new(ids)?;
        let header_capable = matches!(
            self.suite().cipher(),
            CipherKind::AesCm | CipherKind::AesGcm
        );
        if !set.is_empty() && !header_capable {
            return Err(SrtpConfigError::HeaderEncryptionUnsupported(self.suite()));
        }
        self.encrypted_extensions = set;
        Ok(self)
    }

    /// The suite, from the master key.
    pub fn suite(&self) -> SrtpSuite {
        self.master_key.suite()
    }

    /// The master key.
    pub fn master_key(&self) -> &MasterKey {
        &self.master_key
    }

    /// Replay window in packets.
    pub fn replay_window(&self) -> usize {
        self.replay_window
    }

    /// Key-derivation rate.
    pub fn key_derivation_rate(&self) -> KeyDerivationRate {
        self.kdr
    }
}
