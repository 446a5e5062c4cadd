//! Per-SSRC state of one direction: RTP index tracking, replay windows, and the sender's
//! SRTCP index; plus the SSRC-keyed table that holds them without per-packet allocation.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::error::SrtpError;
use super::replay::ReplayWindow;
use super::rtp_index::RtpIndexTracker;

/// Largest SRTCP index (31 bits).
pub(crate) const MAX_SRTCP_INDEX: u32 = (1 << 31) - 1;

/// Cryptographic state of one SSRC in one direction (RFC 3711 sec. 3.2.3, less the keys,
/// which a direction shares across its SSRCs).
#[derive(Clone, Debug)]
pub(crate) struct StreamContext {
    pub(crate) rtp: RtpIndexTracker,
    /// RTP indices used: received ones, or (sender) ones already protected.
    pub(crate) rtp_seen: ReplayWindow,
    /// SRTCP indices received.
    pub(crate) rtcp_seen: ReplayWindow,
    /// Sender: the SRTCP index the next protected RTCP packet gets.
    pub(crate) next_srtcp_index: u32,
}

impl StreamContext {
    pub(crate) fn new(window: usize, roc: u32) -> Self {
        Self {
            rtp: RtpIndexTracker::starting_at(roc),
            rtp_seen: ReplayWindow::clamped(window),
            rtcp_seen: ReplayWindow::clamped(window),
            next_srtcp_index: 0,
        }
    }

    /// Takes the next SRTCP index for sending, refusing to wrap past 2^31 - 1.
    pub(crate) fn take_srtcp_index(&mut self) -> Result<u32, SrtpError> {
        let index = self.next_srtcp_index;
        if index > MAX_SRTCP_INDEX {
            return Err(SrtpError::SrtcpIndexExhausted);
        }
        self.next_srtcp_index = index + 1;
        Ok(index)
    }
}

/// Multiplicative hash for SSRCs (only authenticated or configured SSRCs are inserted, so
/// flooding the table with chosen collisions needs the key).
#[derive(Default)]
pub(crate) struct SsrcHasher(u64);

impl Hasher for SsrcHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u32(u32::from(b) ^ (self.0 as u32));
        }
    }
    fn write_u32(&mut self, n: u32) {
        let m = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = m ^ (m >> 29);
    }
}

/// Streams of one direction, by SSRC.
#[derive(Debug)]
pub(crate) struct StreamTable {
    streams: Vec<StreamContext>,
    slots: HashMap<u32, usize, BuildHasherDefault<SsrcHasher>>,
    max_streams: usize,
}

impl StreamTable {
    pub(crate) fn new(max_streams: usize) -> Self {
        Self {
            streams: Vec::new(),
            slots: HashMap::default(),
            max_streams,
        }
    }

    pub(crate) fn slot(&self, ssrc: u32) -> Option<usize> {
        self.slots.get(&ssrc).copied()
    }

    pub(crate) fn get(&self, slot: usize) -> Option<&StreamContext> {
        self.streams.get(slot)
    }

    pub(crate) fn get_mut(&mut self, slot: usize) -> Option<&mut StreamContext> {
        self.streams.get_mut(slot)
    }

    pub(crate) fn len(&self) -> usize {
        self.streams.len()
    }

    /// Adds a stream for `ssrc` (which must not be present), or reports the table full.
    pub(crate) fn insert(&mut self, ssrc: u32, stream: StreamContext) -> Result<usize, SrtpError> {
        if let Some(slot) = self.slot(ssrc) {
            return Ok(slot);
        }
        if self.streams.len() >= self.max_streams {
            return Err(SrtpError::TooManyStreams);
        }
        let slot = self.streams.len();
        self.streams.push(stream);
        self.slots.insert(ssrc, slot);
        Ok(slot)
    }
}
