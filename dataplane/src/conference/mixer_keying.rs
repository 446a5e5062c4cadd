//! The conference key of an end-to-end conference, held for its mixer alone.
//!
//! End-to-end legs send under one conference key and the core forwards their ciphertext
//! untouched. Legs that take one stream need the mix, so the focus, which made the key,
//! may hand it to the core together with SSRCs it claimed under that key for the mixer.
//! The core then
//!
//! - unprotects a *copy* of each selected end-to-end talker's packet for the mixer (the
//!   forwarded packet stays as it arrived), with replay and tamper checks per sender;
//! - sends the mix as a sender of its own: the shared mix of one codec, packet time and
//!   payload type goes out under one of the focus's SSRCs, protected once and copied to
//!   every end-to-end listener of it; a talker's mix-minus goes out under the SSRC the
//!   focus claimed for that leg, protected for that leg alone;
//! - relays a talker that is not end-to-end (a PSTN phone) to the end-to-end listeners
//!   under the SSRC the focus claimed for that talker, protected once (`relaying`).
//!
//! SRTP keystreams depend on key, SSRC and packet index only, so the core must never
//! protect two streams under one SSRC. Its own [`ConferenceKey`] registry claims every
//! SSRC it sends under, and its sender session protects nothing else; an SSRC once used
//! is never handed to another stream, not even after the stream ends.

use core::fmt;
use std::collections::HashMap;

use super::leg::MixRtp;
use super::{Codec, ConferenceError, LegId};
use crate::srtp::{ConferenceKey, PacketBuf, SrtpError, SrtpPolicy, SrtpSession, MAX_OVERHEAD};

/// Most SSRCs the focus may hand over for shared streams.
pub const MAX_SHARED_SSRCS: usize = 32;

/// The largest packet copied for the mixer: an Ethernet MTU.
const MAX_PACKET: usize = 1500;

/// What the focus hands a core so it can mix an end-to-end conference: the conference key
/// and SSRCs claimed under it for the mix's shared streams.
#[derive(Clone)]
pub struct MixerKey {
    policy: SrtpPolicy,
    shared_ssrcs: Vec<u32>,
}

impl MixerKey {
    /// The key (as every participant uses it) and the SSRCs the mix's shared streams may
    /// use, each claimed under the key and never given to a participant; at most
    /// [`MAX_SHARED_SSRCS`] are kept.
    pub fn new(policy: SrtpPolicy, mut shared_ssrcs: Vec<u32>) -> Self {
        shared_ssrcs.truncate(MAX_SHARED_SSRCS);
        Self {
            policy,
            shared_ssrcs,
        }
    }

    /// The SSRCs for the mix's shared streams.
    pub fn shared_ssrcs(&self) -> &[u32] {
        &self.shared_ssrcs
    }
}

impl fmt::Debug for MixerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MixerKey")
            .field("suite", &self.policy.suite())
            .field("shared_ssrcs", &self.shared_ssrcs)
            .finish_non_exhaustive()
    }
}

/// One end-to-end stream of the mixer protected once per tick and copied to each
/// listener: the shared mix, or a relayed talker, of one codec, packet size and payload
/// type.
#[derive(Debug)]
pub(crate) struct SharedStream {
    /// The relayed talker; `None` for the shared mix.
    pub(crate) source: Option<LegId>,
    pub(crate) codec: Codec,
    pub(crate) samples_per_packet: u32,
    pub(crate) payload_type: u8,
    pub(crate) ssrc: u32,
    /// Its sequence numbers and timestamps.
    pub(crate) stream: MixRtp,
    /// The core's mix tick that last sealed it, and where in the outbox its packets are.
    pub(crate) sealed: Option<SealedRun>,
}

/// Where one tick's protected packets of a shared stream sit in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SealedRun {
    pub(crate) tick: u64,
    pub(crate) first: usize,
    pub(crate) count: usize,
}

/// An end-to-end conference's key as its core holds it.
pub(crate) struct ConferenceKeying {
    /// What the core sends under: every SSRC it protects is claimed here first.
    claims: ConferenceKey,
    /// Protects the mix streams (claimed SSRCs only).
    pub(crate) sender: SrtpSession,
    /// Unprotects copies of talkers' packets for the mixer.
    receiver: SrtpSession,
    /// SSRCs for shared streams not used yet.
    spare: Vec<u32>,
    pub(crate) shared: Vec<SharedStream>,
    /// The SSRC each leg that ever had one was given: an end-to-end leg's mix-minus, or
    /// the relay of a talker that is not end-to-end.
    leg_ssrcs: HashMap<u32, LegId>,
    /// A talker's packet, unprotected for the mixer.
    plain: Vec<u8>,
}

impl fmt::Debug for ConferenceKeying {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConferenceKeying")
            .field("spare", &self.spare.len())
            .field("shared", &self.shared)
            .field("leg_ssrcs", &self.leg_ssrcs.len())
            .finish_non_exhaustive()
    }
}

impl ConferenceKeying {
    pub(crate) fn new(key: MixerKey) -> Result<Self, ConferenceError> {
        let mut claims = ConferenceKey::new(key.policy);
        let mut sender = claims
            .sender_session(std::iter::empty())
            .map_err(|_| ConferenceError::EndToEndMixUnkeyed)?;
        let mut spare = Vec::with_capacity(key.shared_ssrcs.len());
        for ssrc in key.shared_ssrcs {
            let claim = claims
                .claim_ssrc(ssrc)
                .map_err(|_| ConferenceError::MixSsrcTaken(ssrc))?;
            sender
                .add_sender(claim)
                .map_err(|_| ConferenceError::MixSsrcTaken(ssrc))?;
            spare.push(ssrc);
        }
        // Shared streams are taken from the end.
        spare.reverse();
        Ok(Self {
            receiver: claims.receiver_session(),
            claims,
            sender,
            spare,
            shared: Vec::new(),
            leg_ssrcs: HashMap::new(),
            plain: vec![0; MAX_PACKET + MAX_OVERHEAD],
        })
    }

    /// Lets the core send `leg`'s mix-minus or relay under `ssrc`: claimed now, or
    /// already the leg's own.
    pub(crate) fn claim_leg_ssrc(&mut self, leg: LegId, ssrc: u32) -> Result<(), ConferenceError> {
        match self.leg_ssrcs.get(&ssrc) {
            Some(&owner) if owner == leg => return Ok(()),
            Some(_) => return Err(ConferenceError::MixSsrcTaken(ssrc)),
            None => {}
        }
        let claim = self
            .claims
            .claim_ssrc(ssrc)
            .map_err(|_| ConferenceError::MixSsrcTaken(ssrc))?;
        self.sender
            .add_sender(claim)
            .map_err(|_| ConferenceError::MixSsrcTaken(ssrc))?;
        self.leg_ssrcs.insert(ssrc, leg);
        Ok(())
    }

    /// Authenticates and decrypts a copy of a talker's SRTP packet; `packet` is left as it
    /// is, for forwarding.
    pub(crate) fn unprotect_copy(&mut self, packet: &[u8]) -> Result<&[u8], SrtpError> {
        let len = packet.len();
        let Some(copy) = self.plain.get_mut(..len) else {
            return Err(SrtpError::LengthExceedsBuffer);
        };
        copy.copy_from_slice(packet);
        let mut buf = PacketBuf::new(&mut self.plain, len);
        let plain_len = self.receiver.unprotect(&mut buf)?;
        Ok(self.plain.get(..plain_len).unwrap_or(&[]))
    }

    /// The stream of `source` (the shared mix for `None`) in `codec`, packet size and
    /// payload type, started on first use: a relayed talker's under the SSRC claimed for
    /// it (`relay_ssrc`, once: a second format of the same talker gets `None`), the shared
    /// mix under one of the spare SSRCs (`None` when none is left). `fresh` draws a new
    /// stream's first sequence number and timestamp.
    pub(crate) fn stream(
        &mut self,
        source: Option<LegId>,
        relay_ssrc: Option<u32>,
        format: (Codec, u32, u8),
        fresh: impl FnOnce() -> MixRtp,
    ) -> Option<&mut SharedStream> {
        let (codec, samples_per_packet, payload_type) = format;
        let existing = self.shared.iter().position(|s| {
            s.source == source
                && s.codec == codec
                && s.samples_per_packet == samples_per_packet
                && s.payload_type == payload_type
        });
        let index = match existing {
            Some(index) => index,
            None => {
                let ssrc = match (source, relay_ssrc) {
                    (None, _) => self.spare.pop()?,
                    (Some(leg), Some(ssrc)) => {
                        let owned = self.leg_ssrcs.get(&ssrc) == Some(&leg);
                        let in_use = self.shared.iter().any(|s| s.ssrc == ssrc);
                        if !owned || in_use {
                            return None;
                        }
                        ssrc
                    }
                    (Some(_), None) => return None,
                };
                let stream = fresh();
                self.shared.push(SharedStream {
                    source,
                    codec,
                    samples_per_packet,
                    payload_type,
                    ssrc,
                    stream,
                    sealed: None,
                });
                self.shared.len() - 1
            }
        };
        self.shared.get_mut(index)
    }
}
