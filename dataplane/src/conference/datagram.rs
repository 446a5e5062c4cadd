//! A received datagram as the I/O shell hands it to the core: the port it arrived on, who
//! sent it, and the caller's buffer holding it. The core works on the buffer in place
//! (hop-by-hop SRTP is decrypted where it lies) and carries its per-packet verdict along
//! in the datagram, so a batch needs no side tables.

use std::net::SocketAddr;

use super::{Codec, DropReason};
use crate::demux::PacketKind;
use crate::srtp::PacketBuffer;

/// One received datagram in a caller-owned buffer `B` (a `Vec<u8>`, a `Box<[u8]>`, a
/// `&mut [u8]` into a receive ring...).
///
/// [`MediaCore::handle_datagrams`](super::MediaCore::handle_datagrams) regroups a batch in
/// place (per conference and leg, keeping each leg's order) and decrypts hop-by-hop SRTP in
/// the buffer, setting `len` to the plaintext length.
#[derive(Debug)]
pub struct InDatagram<B> {
    /// The core's port it arrived on.
    pub local_port: u16,
    /// Its source address.
    pub source: SocketAddr,
    /// The buffer; the datagram is `buf[..len]`.
    pub buf: B,
    /// The datagram's length.
    pub len: usize,
    pub(crate) meta: Meta,
}

impl<B: AsRef<[u8]>> InDatagram<B> {
    /// Wraps a datagram of `len` bytes at the start of `buf`.
    pub fn new(local_port: u16, source: SocketAddr, buf: B, len: usize) -> Self {
        Self {
            local_port,
            source,
            buf,
            len,
            meta: Meta::fresh(),
        }
    }

    /// The datagram's bytes (empty if `len` exceeds the buffer).
    pub fn bytes(&self) -> &[u8] {
        self.buf.as_ref().get(..self.len).unwrap_or(&[])
    }

    /// The reason the last batch dropped this datagram, if it did.
    pub fn drop_reason(&self) -> Option<DropReason> {
        match self.meta.stage {
            Stage::Dropped(reason) => Some(reason),
            _ => None,
        }
    }
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> PacketBuffer for InDatagram<B> {
    fn storage(&self) -> &[u8] {
        self.buf.as_ref()
    }
    fn storage_mut(&mut self) -> &mut [u8] {
        self.buf.as_mut()
    }
    fn len(&self) -> usize {
        self.len
    }
    fn set_len(&mut self, len: usize) {
        self.len = len;
    }
}

/// Where a datagram is in the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Dropped, and counted under the reason.
    Dropped(DropReason),
    /// Passed port, source and rate checks; awaits decryption and parsing.
    Admitted,
    /// Media to forward if its talker is selected, or regardless (`bypass_selection`:
    /// telephone-events, end-to-end RTCP).
    Forward { bypass_selection: bool },
    /// RTCP the core terminated.
    Consumed,
}

/// The core's per-datagram bookkeeping during one batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Meta {
    /// Groups the batch: conference slot, leg slot, kind, then arrival order.
    pub(crate) sort_key: u128,
    pub(crate) leg_slot: u32,
    pub(crate) conference_slot: u32,
    pub(crate) kind: PacketKind,
    pub(crate) stage: Stage,
    /// The source leg is end-to-end (its bytes only go to end-to-end legs).
    pub(crate) end_to_end: bool,
    /// An accepted RTP packet's codec, by its source leg's payload types.
    pub(crate) codec: Option<Codec>,
}

impl Meta {
    pub(crate) fn fresh() -> Self {
        Self {
            sort_key: u128::MAX,
            leg_slot: u32::MAX,
            conference_slot: u32::MAX,
            kind: PacketKind::Other,
            stage: Stage::Dropped(DropReason::Malformed),
            end_to_end: false,
            codec: None,
        }
    }

    /// Marks a dropped datagram; dropped ones sort after every conference.
    pub(crate) fn drop_with(&mut self, reason: DropReason) {
        self.stage = Stage::Dropped(reason);
        self.sort_key = u128::MAX;
    }

    /// Marks an admitted datagram of `leg_slot` in `conference_slot`, `index`-th in the
    /// batch.
    pub(crate) fn admit(
        &mut self,
        conference_slot: u32,
        leg_slot: u32,
        kind: PacketKind,
        index: usize,
    ) {
        let kind_bit: u128 = match kind {
            PacketKind::Rtcp => 1,
            _ => 0,
        };
        self.stage = Stage::Admitted;
        self.conference_slot = conference_slot;
        self.leg_slot = leg_slot;
        self.kind = kind;
        self.sort_key = (u128::from(conference_slot) << 96)
            | (u128::from(leg_slot) << 64)
            | (kind_bit << 32)
            | (index as u128 & 0xffff_ffff);
    }
}
