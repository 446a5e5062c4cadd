//! One direction (outbound or inbound) of a session: the master key, the session keys
//! derived from it for RTP and RTCP, the per-SSRC streams and the key's packet count.

use super::error::SrtpError;
use super::header_encryption::EncryptedExtensions;
use super::kdf::KeyDerivationRate;
use super::key_usage::KeyUsage;
use super::master_key::MasterKey;
use super::policy::SrtpPolicy;
use super::session_keys::{PacketKind, SessionKeys};
use super::stream::{StreamContext, StreamTable};
use super::suite::SrtpSuite;

/// Which SSRCs an outbound direction may protect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SenderAdmission {
    /// Any SSRC: a stream is created on first use (the master key is this session's alone).
    AnySsrc,
    /// Only SSRCs added explicitly (a shared conference key: each claimed once).
    ClaimedOnly,
}

/// Keys derived for one packet kind, and the `r` they were derived at.
pub(crate) struct DerivedKeys {
    pub(crate) keys: SessionKeys,
    r: u64,
}

/// State of one direction.
pub(crate) struct Direction {
    pub(crate) master: MasterKey,
    pub(crate) kdr: KeyDerivationRate,
    pub(crate) window: usize,
    pub(crate) rtp: DerivedKeys,
    pub(crate) rtcp: DerivedKeys,
    pub(crate) streams: StreamTable,
    pub(crate) admission: SenderAdmission,
    pub(crate) usage: KeyUsage,
    pub(crate) encrypted_extensions: EncryptedExtensions,
}

impl Direction {
    pub(crate) fn new(policy: SrtpPolicy, admission: SenderAdmission) -> Self {
        let header_encryption = !policy.encrypted_extensions.is_empty();
        let derive = |kind| DerivedKeys {
            keys: SessionKeys::derive(&policy.master_key, policy.kdr, kind, 0, header_encryption),
            r: 0,
        };
        Self {
            rtp: derive(PacketKind::Rtp),
            rtcp: derive(PacketKind::Rtcp),
            kdr: policy.kdr,
            window: policy.replay_window,
            streams: StreamTable::new(policy.max_streams),
            admission,
            usage: KeyUsage::new(policy.rtp_lifetime, policy.rtcp_lifetime),
            encrypted_extensions: policy.encrypted_extensions,
            master: policy.master_key,
        }
    }

    pub(crate) fn suite(&self) -> SrtpSuite {
        self.master.suite()
    }

    pub(crate) fn mki_len(&self) -> usize {
        self.master.mki().map_or(0, |m| m.len())
    }

    /// The slot and stream of sending SSRC `ssrc`, created on first use when any SSRC may
    /// send with this key, refused when only claimed SSRCs may.
    pub(crate) fn sender_stream(
        &mut self,
        ssrc: u32,
    ) -> Result<(usize, &mut StreamContext), SrtpError> {
        let slot = match (self.streams.slot(ssrc), self.admission) {
            (Some(slot), _) => slot,
            (None, SenderAdmission::AnySsrc) => self
                .streams
                .insert(ssrc, StreamContext::new(self.window, 0))?,
            (None, SenderAdmission::ClaimedOnly) => return Err(SrtpError::UnknownSenderSsrc(ssrc)),
        };
        let stream = self
            .streams
            .get_mut(slot)
            .ok_or(SrtpError::UnknownSenderSsrc(ssrc))?;
        Ok((slot, stream))
    }

    /// Keys for `kind` valid at packet (or SRTCP) `index`, re-derived when the
    /// key-derivation rate says `index` is in a new period. With rate 0 this is free.
    pub(crate) fn keys_at(&mut self, kind: PacketKind, index: u64) -> &SessionKeys {
        let r = self.kdr.r(index);
        let slot = match kind {
            PacketKind::Rtp => &mut self.rtp,
            PacketKind::Rtcp => &mut self.rtcp,
        };
        if slot.r != r {
            let header_encryption = !self.encrypted_extensions.is_empty();
            slot.keys = SessionKeys::derive(&self.master, self.kdr, kind, r, header_encryption);
            slot.r = r;
        }
        &slot.keys
    }

    /// Replaces the master key, keeping every stream's ROC, replay state and SRTCP index.
    pub(crate) fn rekey(&mut self, policy: SrtpPolicy) {
        let streams = core::mem::replace(&mut self.streams, StreamTable::new(1));
        let admission = self.admission;
        *self = Self::new(policy, admission);
        self.streams = streams;
    }

    /// The stream for `ssrc`, created with `roc` if absent.
    pub(crate) fn stream_or_insert(
        &mut self,
        ssrc: u32,
        roc: u32,
    ) -> Result<&mut StreamContext, SrtpError> {
        let slot = match self.streams.slot(ssrc) {
            Some(slot) => slot,
            None => self
                .streams
                .insert(ssrc, StreamContext::new(self.window, roc))?,
        };
        self.streams.get_mut(slot).ok_or(SrtpError::TooManyStreams)
    }
}
