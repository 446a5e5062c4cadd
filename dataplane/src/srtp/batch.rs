//! The batch pipeline: a header pass over every packet of a chunk, the crypto pass (cipher
//! and authentication kernels over groups of the chunk's packets, see `chunk_crypto`), then
//! (for received packets) a commit pass that advances stream state in packet order.
//!
//! Chunks hold up to 64 packets. The session's scratch buffer (used only by AES-GCM SRTCP)
//! is allocated on first use and grows only when a single packet needs more than every one
//! before it: steady-state traffic allocates nothing. With a non-zero key-derivation rate,
//! chunks hold one packet so each can be processed under the keys of its own derivation
//! period.

use super::chunk_crypto::{scratch_bound, scratch_len, transform, ChunkCrypto};
use super::direction::Direction;
use super::error::SrtpError;
use super::packet_buffer::PacketBuffer;
use super::plan::PacketPlan;
use super::session_keys::PacketKind;
use super::{rtcp_plan, rtp_plan};

/// Packets per chunk.
const MAX_CHUNK_PACKETS: usize = 64;
/// Scratch a session allocates on first use: the gathered additional data of a chunk of
/// typical SRTCP packets.
const MIN_SCRATCH_BYTES: usize = 4 * 1024;

/// What a batch does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operation {
    ProtectRtp,
    UnprotectRtp,
    ProtectRtcp,
    UnprotectRtcp,
}

impl Operation {
    pub(crate) fn protects(self) -> bool {
        matches!(self, Self::ProtectRtp | Self::ProtectRtcp)
    }

    pub(crate) fn kind(self) -> PacketKind {
        match self {
            Self::ProtectRtp | Self::UnprotectRtp => PacketKind::Rtp,
            Self::ProtectRtcp | Self::UnprotectRtcp => PacketKind::Rtcp,
        }
    }
}

/// Reusable per-session buffers of the pipeline.
#[derive(Debug)]
pub(crate) struct BatchScratch {
    /// Per-packet bytes of the crypto pass, at each plan's `scratch_offset`.
    bytes: Vec<u8>,
    plans: Vec<PacketPlan>,
    trackers: rtp_plan::ChunkTrackers,
}

impl Default for BatchScratch {
    fn default() -> Self {
        Self {
            bytes: Vec::new(),
            plans: Vec::with_capacity(MAX_CHUNK_PACKETS),
            trackers: Vec::with_capacity(MAX_CHUNK_PACKETS),
        }
    }
}

/// Runs `op` over `packets`, writing one result per packet (the new length, or why it
/// failed). Processes `min(packets.len(), results.len())` packets and returns that count.
pub(crate) fn run<P: PacketBuffer>(
    op: Operation,
    dir: &mut Direction,
    scratch: &mut BatchScratch,
    packets: &mut [P],
    results: &mut [Result<usize, SrtpError>],
) -> usize {
    let n = packets.len().min(results.len());
    let chunk_limit = if dir.kdr.rate() == 0 {
        MAX_CHUNK_PACKETS
    } else {
        1
    };
    let is_gcm = dir.suite().cipher() == super::suite::CipherKind::AesGcm;
    let mut start = 0;
    while start < n {
        scratch.plans.clear();
        scratch.trackers.clear();
        let mut scratch_used = 0;
        let mut end = start;
        while end < n && end - start < chunk_limit {
            let packet = &mut packets[end];
            let stored_len = packet.len().min(packet.storage().len());
            let bound = scratch_bound(is_gcm, op.kind(), stored_len);
            if scratch_used + bound > scratch.bytes.len() {
                if end > start {
                    break;
                }
                scratch.bytes.resize(bound.max(MIN_SCRATCH_BYTES), 0);
            }
            let len = packet.len();
            let mut plan = match op {
                Operation::ProtectRtp => rtp_plan::plan_protect(dir, packet.storage_mut(), len),
                Operation::UnprotectRtp => {
                    let trackers = &mut scratch.trackers;
                    match rtp_plan::plan_unprotect(dir, trackers, packet.storage(), len) {
                        Some(plan) => plan,
                        None => break,
                    }
                }
                Operation::ProtectRtcp => rtcp_plan::plan_protect(dir, packet.storage_mut(), len),
                Operation::UnprotectRtcp => rtcp_plan::plan_unprotect(dir, packet.storage(), len),
            };
            plan.scratch_offset = scratch_used;
            scratch_used += scratch_len(is_gcm, &plan);
            scratch.plans.push(plan);
            end += 1;
        }

        let chunk = &mut packets[start..end];
        if let Some(first_ok) = scratch.plans.iter().find(|p| p.result.is_ok()) {
            let tag_len = tag_len(dir, op);
            let header_ids = dir.encrypted_extensions;
            let keys = dir.keys_at(op.kind(), first_ok.index);
            let crypto = ChunkCrypto {
                keys,
                op,
                tag_len,
                header_ids: &header_ids,
            };
            transform(&crypto, &mut scratch.plans, chunk, &mut scratch.bytes);
        }

        for ((plan, packet), result) in scratch
            .plans
            .iter()
            .zip(chunk.iter_mut())
            .zip(results[start..end].iter_mut())
        {
            *result = plan.result.and_then(|()| match op {
                Operation::ProtectRtp | Operation::ProtectRtcp => Ok(plan.new_len),
                Operation::UnprotectRtp => rtp_plan::commit_unprotect(dir, plan),
                Operation::UnprotectRtcp => rtcp_plan::commit_unprotect(dir, plan),
            });
            if let Ok(len) = result {
                packet.set_len(*len);
            }
        }
        start = end;
    }
    n
}

fn tag_len(dir: &Direction, op: Operation) -> usize {
    match op.kind() {
        PacketKind::Rtp => dir.suite().rtp_tag_len(),
        PacketKind::Rtcp => dir.suite().rtcp_tag_len(),
    }
}
