//! The AES-GCM suites (RFC 7714): counter-mode encryption from `inc32(J0)`, and a GHASH tag
//! over the additional data and the ciphertext, masked with `E(K, J0)`.
//!
//! Per group, protect makes one AES pass that writes the `E(K, J0)` masks and encrypts the
//! payloads in place, then one GHASH pass. Unprotect makes the masks and GHASH pass, checks
//! every tag, and only then decrypts the packets that passed in a second AES pass.
//!
//! SRTCP's additional data is split in the packet (header, then the E/index word after the
//! ciphertext and tag; RFC 7714 sec. 9), so it is gathered into the chunk's scratch buffer.

use medianode_simd::crypto::{CtrJob, GhashInput};

use super::super::aes_block::BLOCK_LEN;
use super::super::aes_ctr::AesCtr;
use super::super::error::SrtpError;
use super::super::ghash::Ghash;
use super::super::master_key::MAX_SALT_LEN;
use super::super::packet_buffer::PacketBuffer;
use super::super::plan::PacketPlan;
use super::{
    counter, crypt_header_extensions, for_each_ok_with, payload, payload_mut, unused_job,
    verify_tag, write_tag, HeaderCrypto, GROUP_PACKETS,
};

/// The session's AES-GCM state.
pub(super) struct GcmKeys<'a> {
    pub(super) cipher: &'a AesCtr,
    pub(super) salt: &'a [u8; MAX_SALT_LEN],
    pub(super) ghash: &'a Ghash,
}

/// Scratch bytes a plan's gathered additional data takes (none when it is contiguous).
#[inline]
pub(super) fn gathered_aad_len(plan: &PacketPlan) -> usize {
    if plan.suffix_len == 0 {
        0
    } else {
        plan.auth_len + plan.suffix().len()
    }
}

/// Which counter-mode jobs one AES pass runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AesPass {
    /// `E(K, J0)` into the masks and the payloads in place (protect).
    MasksAndPayloads,
    /// Only the masks (unprotect, before verification).
    Masks,
    /// Only the payloads (unprotect, after verification).
    Payloads,
}

type Blocks = [[u8; BLOCK_LEN]; GROUP_PACKETS];

/// Header extensions, masks and payload encryption, then GHASH and the tags.
pub(super) fn protect<P: PacketBuffer>(
    keys: &GcmKeys<'_>,
    header: Option<HeaderCrypto<'_>>,
    plans: &mut [PacketPlan],
    packets: &mut [P],
    scratch: &mut [u8],
) {
    crypt_header_extensions(header, plans, packets);
    let mut masks: Blocks = [[0; BLOCK_LEN]; GROUP_PACKETS];
    aes_pass(keys, AesPass::MasksAndPayloads, plans, packets, &mut masks);
    let mut hashes: Blocks = [[0; BLOCK_LEN]; GROUP_PACKETS];
    let count = hash(keys.ghash, plans, packets, scratch, &mut hashes);
    for_each_ok_with(
        plans,
        packets,
        &hashes[..count],
        |at, plan, packet, s| match masks.get(at) {
            Some(mask) => write_tag(plan, packet.storage_mut(), &masked(s, mask)),
            None => plan.result = Err(SrtpError::MalformedHeader),
        },
    );
}

/// Masks and GHASH, the tags checked, then payload decryption and header extensions of the
/// packets that passed.
pub(super) fn unprotect<P: PacketBuffer>(
    keys: &GcmKeys<'_>,
    header: Option<HeaderCrypto<'_>>,
    plans: &mut [PacketPlan],
    packets: &mut [P],
    scratch: &mut [u8],
) {
    let mut masks: Blocks = [[0; BLOCK_LEN]; GROUP_PACKETS];
    aes_pass(keys, AesPass::Masks, plans, packets, &mut masks);
    let mut hashes: Blocks = [[0; BLOCK_LEN]; GROUP_PACKETS];
    let count = hash(keys.ghash, plans, packets, scratch, &mut hashes);
    for_each_ok_with(
        plans,
        packets,
        &hashes[..count],
        |at, plan, packet, s| match masks.get(at) {
            Some(mask) => verify_tag(plan, packet.storage(), &masked(s, mask)),
            None => plan.result = Err(SrtpError::MalformedHeader),
        },
    );
    aes_pass(keys, AesPass::Payloads, plans, packets, &mut masks);
    crypt_header_extensions(header, plans, packets);
}

/// The tag: GHASH output XOR `E(K, J0)`.
#[inline]
fn masked(s: &[u8; BLOCK_LEN], mask: &[u8; BLOCK_LEN]) -> [u8; BLOCK_LEN] {
    let mut tag = *s;
    for (t, m) in tag.iter_mut().zip(mask) {
        *t ^= m;
    }
    tag
}

/// One counter-mode kernel call over the group; `masks[i]` (zero on entry) receives
/// `E(K, J0)` of plan `i`.
fn aes_pass<P: PacketBuffer>(
    keys: &GcmKeys<'_>,
    pass: AesPass,
    plans: &mut [PacketPlan],
    packets: &mut [P],
    masks: &mut Blocks,
) {
    let mut jobs = [const { unused_job() }; 2 * GROUP_PACKETS];
    let mut count = 0;
    let with_masks = pass != AesPass::Payloads;
    let with_payloads = pass != AesPass::Masks;
    let group = plans
        .iter_mut()
        .zip(packets.iter_mut())
        .zip(masks.iter_mut());
    for ((plan, packet), mask) in group {
        if plan.result.is_err() {
            continue;
        }
        let (j0, first) = counter::gcm_counters(keys.salt, plan.ssrc, plan.index);
        if with_masks {
            match jobs.get_mut(count) {
                Some(job) => {
                    *job = CtrJob {
                        counter: j0,
                        data: mask,
                    };
                    count += 1;
                }
                None => plan.result = Err(SrtpError::MalformedHeader),
            }
        }
        if with_payloads && plan.enc_len > 0 {
            match (payload_mut(plan, packet.storage_mut()), jobs.get_mut(count)) {
                (Some(data), Some(job)) => {
                    *job = CtrJob {
                        counter: first,
                        data,
                    };
                    count += 1;
                }
                _ => plan.result = Err(SrtpError::MalformedHeader),
            }
        }
    }
    keys.cipher.apply_keystream_batch(&mut jobs[..count]);
}

/// GHASH of every successful plan, in order, into `out`; returns how many. Split
/// additional data is gathered into `scratch` first; a plan whose bytes are not where it
/// says fails.
fn hash<P: PacketBuffer>(
    ghash: &Ghash,
    plans: &mut [PacketPlan],
    packets: &[P],
    scratch: &mut [u8],
    out: &mut Blocks,
) -> usize {
    for (plan, packet) in plans.iter_mut().zip(packets) {
        if plan.result.is_ok() && !gather_aad(plan, packet.storage(), scratch) {
            plan.result = Err(SrtpError::MalformedHeader);
        }
    }
    let scratch: &[u8] = scratch;
    let mut inputs = [GhashInput {
        aad: &[],
        text: &[],
    }; GROUP_PACKETS];
    let mut count = 0;
    for (plan, packet) in plans.iter_mut().zip(packets) {
        if plan.result.is_err() {
            continue;
        }
        let storage = packet.storage();
        match (
            aad(plan, storage, scratch),
            payload(plan, storage),
            inputs.get_mut(count),
        ) {
            (Some(aad), Some(text), Some(input)) => {
                *input = GhashInput { aad, text };
                count += 1;
            }
            _ => plan.result = Err(SrtpError::MalformedHeader),
        }
    }
    ghash.hash_batch(&inputs[..count], &mut out[..count]);
    count
}

/// Copies split additional data (`storage[..auth_len]`, then the suffix) to the plan's
/// scratch bytes; false if either range is out of bounds.
fn gather_aad(plan: &PacketPlan, storage: &[u8], scratch: &mut [u8]) -> bool {
    let len = gathered_aad_len(plan);
    if len == 0 {
        return true;
    }
    let region = plan
        .scratch_offset
        .checked_add(len)
        .and_then(|end| scratch.get_mut(plan.scratch_offset..end))
        .and_then(|region| region.split_at_mut_checked(plan.auth_len));
    match (region, storage.get(..plan.auth_len)) {
        (Some((head, tail)), Some(bytes)) => {
            head.copy_from_slice(bytes);
            tail.copy_from_slice(plan.suffix());
            true
        }
        _ => false,
    }
}

/// The additional data of `plan`: in the packet, or gathered in the scratch buffer.
#[inline]
fn aad<'a>(plan: &PacketPlan, storage: &'a [u8], scratch: &'a [u8]) -> Option<&'a [u8]> {
    match gathered_aad_len(plan) {
        0 => storage.get(..plan.auth_len),
        len => scratch.get(plan.scratch_offset..plan.scratch_offset.checked_add(len)?),
    }
}
