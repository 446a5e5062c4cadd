//! End-to-end conference keys: one master key shared by every sender of a conference,
//! and the registry that keeps each sender on its own SSRC.
//!
//! SRTP's keystream depends only on the key, the SSRC and the packet index, so two senders
//! using the same SSRC under one key would encrypt with the same keystream (a two-time
//! pad). The server assigns each sender its SSRC; `ConferenceKey` records every SSRC ever
//! claimed under the current key and refuses a second claim, until the key is replaced.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::SrtpConfigError;
use super::policy::SrtpPolicy;
use super::session::SrtpSession;

static NEXT_KEY_ID: AtomicU64 = AtomicU64::new(1);

fn fresh_key_id() -> u64 {
    NEXT_KEY_ID.fetch_add(1, Ordering::Relaxed)
}

/// Proof that an SSRC was claimed for one sender under one conference key. Not `Clone`:
/// each claim makes one sender.
#[derive(Debug, PartialEq, Eq)]
pub struct SsrcClaim {
    ssrc: u32,
    key_id: u64,
}

impl SsrcClaim {
    /// The claimed SSRC, to tell the sender.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    pub(crate) fn key_id(&self) -> u64 {
        self.key_id
    }
}

/// A conference's shared master key with its SSRC registry.
#[derive(Debug)]
pub struct ConferenceKey {
    policy: SrtpPolicy,
    key_id: u64,
    used: HashSet<u32>,
}

impl ConferenceKey {
    /// A conference key with an empty registry.
    pub fn new(policy: SrtpPolicy) -> Self {
        Self {
            policy,
            key_id: fresh_key_id(),
            used: HashSet::new(),
        }
    }

    /// The policy (and master key) senders and receivers use.
    pub fn policy(&self) -> &SrtpPolicy {
        &self.policy
    }

    /// Claims `ssrc` for one sender; refuses an SSRC already claimed under this key.
    pub fn claim_ssrc(&mut self, ssrc: u32) -> Result<SsrcClaim, SrtpConfigError> {
        if !self.used.insert(ssrc) {
            return Err(SrtpConfigError::SsrcAlreadyUsed(ssrc));
        }
        Ok(SsrcClaim {
            ssrc,
            key_id: self.key_id,
        })
    }

    /// Claims the first unused SSRC among `candidates` (e.g. random values the caller
    /// draws; this crate never reads a random source itself).
    pub fn claim_unused_ssrc(
        &mut self,
        candidates: impl IntoIterator<Item = u32>,
    ) -> Result<SsrcClaim, SrtpConfigError> {
        candidates
            .into_iter()
            .find_map(|ssrc| self.claim_ssrc(ssrc).ok())
            .ok_or(SrtpConfigError::NoUnusedSsrc)
    }

    /// Whether `ssrc` was claimed under the current key.
    pub fn is_used(&self, ssrc: u32) -> bool {
        self.used.contains(&ssrc)
    }

    /// Number of SSRCs claimed under the current key.
    pub fn claimed_count(&self) -> usize {
        self.used.len()
    }

    /// A session that unprotects every member's packets (e.g. the mixer's input).
    pub fn receiver_session(&self) -> SrtpSession {
        SrtpSession::for_conference(None, Some(self.policy.clone()), self.key_id)
    }

    /// A session that protects only the claimed SSRCs under the conference key, and
    /// unprotects the other members' packets.
    pub fn sender_session(
        &self,
        claims: impl IntoIterator<Item = SsrcClaim>,
    ) -> Result<SrtpSession, SrtpConfigError> {
        let mut session = SrtpSession::for_conference(
            Some(self.policy.clone()),
            Some(self.policy.clone()),
            self.key_id,
        );
        for claim in claims {
            session.add_sender(claim)?;
        }
        Ok(session)
    }

    /// Replaces the master key. Every SSRC becomes free again (new keystreams), and claims
    /// and sessions made under the old key stop being accepted by [`SrtpSession::add_sender`].
    pub fn rekey(&mut self, policy: SrtpPolicy) {
        self.policy = policy;
        self.key_id = fresh_key_id();
        self.used.clear();
    }
}
