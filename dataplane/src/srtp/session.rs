//! `SrtpSession`: the owner of both directions of one SRTP association (a leg, or a
//! conference member), and the entry point for protecting and unprotecting batches.

use core::fmt;

use super::batch::{self, BatchScratch, Operation};
use super::direction::{Direction, SenderAdmission};
use super::error::{SrtpConfigError, SrtpError};
use super::key_usage::KeyStatus;
use super::packet_buffer::PacketBuffer;
use super::policy::SrtpPolicy;
use super::stream::MAX_SRTCP_INDEX;

/// Which way packets flow through a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StreamDirection {
    /// Packets this node protects and sends.
    Outbound,
    /// Packets this node receives and unprotects.
    Inbound,
}

/// Observable state of one stream (SSRC) in one direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamState {
    /// Rollover counter.
    pub roc: u32,
    /// Highest RTP sequence number accepted, if any packet was.
    pub highest_sequence: Option<u16>,
    /// Highest SRTP packet index accepted, if any.
    pub highest_index: Option<u64>,
    /// Outbound: SRTCP index the next RTCP packet gets.
    pub next_srtcp_index: u32,
    /// Inbound: highest SRTCP index accepted, if any.
    pub highest_srtcp_index: Option<u32>,
}

/// Both directions of an SRTP association: per direction a master key, the session keys
/// derived from it, and a context per SSRC.
///
/// Inbound contexts are created when a packet from a new SSRC authenticates. Outbound
/// contexts are created on first use, except in sessions made by
/// [`ConferenceKey::sender_session`](super::ConferenceKey::sender_session), which protect
/// only the SSRCs claimed under the shared key.
pub struct SrtpSession {
    outbound: Option<Direction>,
    inbound: Option<Direction>,
    /// Set when the outbound key is a conference key: claims must come from it.
    conference_id: Option<u64>,
    scratch: BatchScratch,
}

impl SrtpSession {
    /// A session with the given policies; a direction without a policy refuses packets
    /// with [`SrtpError::DirectionNotConfigured`].
    pub fn new(outbound: Option<SrtpPolicy>, inbound: Option<SrtpPolicy>) -> Self {
        Self {
            outbound: outbound.map(|p| Direction::new(p, SenderAdmission::AnySsrc)),
            inbound: inbound.map(|p| Direction::new(p, SenderAdmission::AnySsrc)),
            conference_id: None,
            scratch: BatchScratch::default(),
        }
    }

    /// A session that only protects.
    pub fn sender(policy: SrtpPolicy) -> Self {
        Self::new(Some(policy), None)
    }

    /// A session that only unprotects.
    pub fn receiver(policy: SrtpPolicy) -> Self {
        Self::new(None, Some(policy))
    }

    pub(crate) fn for_conference(
        outbound: Option<SrtpPolicy>,
        inbound: Option<SrtpPolicy>,
        conference_id: u64,
    ) -> Self {
        Self {
            outbound: outbound.map(|p| Direction::new(p, SenderAdmission::ClaimedOnly)),
            inbound: inbound.map(|p| Direction::new(p, SenderAdmission::AnySsrc)),
            conference_id: Some(conference_id),
            scratch: BatchScratch::default(),
        }
    }

    fn direction(&self, which: StreamDirection) -> Option<&Direction> {
        match which {
            StreamDirection::Outbound => self.outbound.as_ref(),
            StreamDirection::Inbound => self.inbound.as_ref(),
        }
    }

    fn direction_mut(&mut self, which: StreamDirection) -> Option<&mut Direction> {
        match which {
            StreamDirection::Outbound => self.outbound.as_mut(),
            StreamDirection::Inbound => self.inbound.as_mut(),
        }
    }

    fn run<P: PacketBuffer>(
        &mut self,
        op: Operation,
        packets: &mut [P],
        results: &mut [Result<usize, SrtpError>],
    ) -> usize {
        let dir = match op {
            Operation::ProtectRtp | Operation::ProtectRtcp => self.outbound.as_mut(),
            Operation::UnprotectRtp | Operation::UnprotectRtcp => self.inbound.as_mut(),
        };
        match dir {
            Some(dir) => batch::run(op, dir, &mut self.scratch, packets, results),
            None => {
                let n = packets.len().min(results.len());
                results[..n].fill(Err(SrtpError::DirectionNotConfigured));
                n
            }
        }
    }

    /// Protects RTP packets in place: each grows by the tag and MKI
    /// ([`SrtpSuite::rtp_overhead`](super::SrtpSuite::rtp_overhead)) into its spare
    /// capacity. Writes `results[i]` for packet `i` (its new length or the error) over
    /// `min(packets.len(), results.len())` packets and returns that count. A failed packet
    /// is left for the caller to drop; its bytes are unspecified.
    pub fn protect_batch<P: PacketBuffer>(
        &mut self,
        packets: &mut [P],
        results: &mut [Result<usize, SrtpError>],
    ) -> usize {
        self.run(Operation::ProtectRtp, packets, results)
    }

    /// Authenticates and decrypts SRTP packets in place (see [`Self::protect_batch`] for
    /// the result convention). Stream state only moves for packets that authenticate.
    pub fn unprotect_batch<P: PacketBuffer>(
        &mut self,
        packets: &mut [P],
        results: &mut [Result<usize, SrtpError>],
    ) -> usize {
        self.run(Operation::UnprotectRtp, packets, results)
    }

    /// Protects RTCP compound packets in place; each grows by
    /// [`SrtpSuite::rtcp_overhead`](super::SrtpSuite::rtcp_overhead).
    pub fn protect_rtcp_batch<P: PacketBuffer>(
        &mut self,
        packets: &mut [P],
        results: &mut [Result<usize, SrtpError>],
    ) -> usize {
        self.run(Operation::ProtectRtcp, packets, results)
    }

    /// Authenticates and decrypts SRTCP packets in place.
    pub fn unprotect_rtcp_batch<P: PacketBuffer>(
        &mut self,
        packets: &mut [P],
        results: &mut [Result<usize, SrtpError>],
    ) -> usize {
        self.run(Operation::UnprotectRtcp, packets, results)
    }

    fn one<P: PacketBuffer>(&mut self, op: Operation, packet: &mut P) -> Result<usize, SrtpError> {
        let mut result = [Err(SrtpError::PacketTooShort)];
        self.run(op, core::slice::from_mut(packet), &mut result);
        result[0]
    }

    /// Protects one RTP packet (a batch of one); returns its new length.
    pub fn protect<P: PacketBuffer>(&mut self, packet: &mut P) -> Result<usize, SrtpError> {
        self.one(Operation::ProtectRtp, packet)
    }

    /// Unprotects one SRTP packet; returns its new length.
    pub fn unprotect<P: PacketBuffer>(&mut self, packet: &mut P) -> Result<usize, SrtpError> {
        self.one(Operation::UnprotectRtp, packet)
    }

    /// Protects one RTCP compound packet; returns its new length.
    pub fn protect_rtcp<P: PacketBuffer>(&mut self, packet: &mut P) -> Result<usize, SrtpError> {
        self.one(Operation::ProtectRtcp, packet)
    }

    /// Unprotects one SRTCP packet; returns its new length.
    pub fn unprotect_rtcp<P: PacketBuffer>(&mut self, packet: &mut P) -> Result<usize, SrtpError> {
        self.one(Operation::UnprotectRtcp, packet)
    }

    /// Replaces the derived session keys of a direction (vectors that give session keys).
    #[cfg(test)]
    pub(crate) fn set_session_keys(
        &mut self,
        which: StreamDirection,
        rtp: super::session_keys::SessionKeys,
        rtcp: super::session_keys::SessionKeys,
    ) {
        if let Some(dir) = self.direction_mut(which) {
            dir.rtp.keys = rtp;
            dir.rtcp.keys = rtcp;
        }
    }

    /// Adds an outbound stream for a claimed SSRC (conference sessions only).
    pub fn add_sender(&mut self, claim: super::SsrcClaim) -> Result<(), SrtpConfigError> {
        if self.conference_id != Some(claim.key_id()) {
            return Err(SrtpConfigError::ForeignClaim(claim.ssrc()));
        }
        let dir = self
            .outbound
            .as_mut()
            .ok_or(SrtpConfigError::ForeignClaim(claim.ssrc()))?;
        dir.stream_or_insert(claim.ssrc(), 0)
            .map_err(|_| SrtpConfigError::MaxStreams)?;
        Ok(())
    }

    /// Sets the rollover counter of a stream, creating the stream if needed: for joining a
    /// stream whose ROC is known out of band, or resuming one. Outbound in a conference
    /// session, only claimed SSRCs can be set.
    pub fn set_roc(
        &mut self,
        which: StreamDirection,
        ssrc: u32,
        roc: u32,
    ) -> Result<(), SrtpError> {
        let dir = self
            .direction_mut(which)
            .ok_or(SrtpError::DirectionNotConfigured)?;
        if dir.admission == SenderAdmission::ClaimedOnly && dir.streams.slot(ssrc).is_none() {
            return Err(SrtpError::UnknownSenderSsrc(ssrc));
        }
        dir.stream_or_insert(ssrc, roc)?.rtp.set_roc(roc);
        Ok(())
    }

    /// Sets the SRTCP index the next protected RTCP packet of `ssrc` uses (outbound).
    pub fn set_next_srtcp_index(&mut self, ssrc: u32, index: u32) -> Result<(), SrtpError> {
        if index > MAX_SRTCP_INDEX {
            return Err(SrtpError::SrtcpIndexExhausted);
        }
        let dir = self
            .outbound
            .as_mut()
            .ok_or(SrtpError::DirectionNotConfigured)?;
        if dir.admission == SenderAdmission::ClaimedOnly && dir.streams.slot(ssrc).is_none() {
            return Err(SrtpError::UnknownSenderSsrc(ssrc));
        }
        dir.stream_or_insert(ssrc, 0)?.next_srtcp_index = index;
        Ok(())
    }

    /// State of the stream `ssrc` in one direction, if it exists.
    pub fn stream_state(&self, which: StreamDirection, ssrc: u32) -> Option<StreamState> {
        let dir = self.direction(which)?;
        let stream = dir.streams.get(dir.streams.slot(ssrc)?)?;
        Some(StreamState {
            roc: stream.rtp.roc(),
            highest_sequence: stream.rtp.highest_seq(),
            highest_index: stream.rtp_seen.highest(),
            next_srtcp_index: stream.next_srtcp_index,
            highest_srtcp_index: stream.rtcp_seen.highest().map(|i| i as u32),
        })
    }

    /// Number of streams (SSRCs) a direction holds.
    pub fn stream_count(&self, which: StreamDirection) -> usize {
        self.direction(which).map_or(0, |d| d.streams.len())
    }

    /// How close a direction's master key is to its lifetime; `None` if not configured.
    pub fn key_status(&self, which: StreamDirection) -> Option<KeyStatus> {
        self.direction(which).map(|d| d.usage.status())
    }

    /// Replaces a direction's master key (and policy), keeping each stream's ROC, replay
    /// state and SRTCP index, and resetting the key's packet count. In a conference
    /// session use [`ConferenceKey::rekey`](super::ConferenceKey::rekey) and new sessions.
    pub fn rekey(&mut self, which: StreamDirection, policy: SrtpPolicy) {
        match self.direction_mut(which) {
            Some(dir) => dir.rekey(policy),
            None => {
                let dir = Some(Direction::new(policy, SenderAdmission::AnySsrc));
                match which {
                    StreamDirection::Outbound => self.outbound = dir,
                    StreamDirection::Inbound => self.inbound = dir,
                }
            }
        }
    }
}

impl fmt::Debug for SrtpSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let describe = |d: &Option<Direction>| {
            d.as_ref()
                .map(|d| (d.suite(), d.streams.len(), d.usage.status()))
        };
        f.debug_struct("SrtpSession")
            .field("outbound", &describe(&self.outbound))
            .field("inbound", &describe(&self.inbound))
            .field("conference", &self.conference_id.is_some())
            .finish()
    }
}
