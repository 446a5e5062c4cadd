//! The crypto pass of one chunk of planned packets: cipher and authentication for every
//! packet whose header pass succeeded, in groups of packets so that each kernel call (AES
//! counter mode, multi-buffer HMAC-SHA1, GHASH) covers a whole group.
//!
//! One path per suite family: [`hmac`] for AES-CM, AES-f8 and the NULL cipher with
//! HMAC-SHA1, [`gcm`] for AES-GCM; NULL/NULL only lays the packet out. Protect encrypts,
//! then authenticates; unprotect verifies every tag (in constant time) before it decrypts
//! anything, so a packet that fails is left as it arrived. RFC 6904 header extension
//! encryption runs before the cipher on protect and after it on unprotect.
//!
//! Per-packet temporaries (`E(K, J0)` masks, GHASH outputs, full HMACs) live on the stack
//! and are not wiped: the keys they come from stay in memory for the session's life, the
//! kernels keep their own intermediates the same way, and wiping costs as much as the
//! cipher for a small packet.

mod counter;
mod gcm;
mod hmac;
#[cfg(test)]
mod tests;

use medianode_simd::crypto::CtrJob;

use super::batch::Operation;
use super::constant_time::tags_equal;
use super::error::SrtpError;
use super::header_encryption::{EncryptedExtensions, HeaderKeys};
use super::packet_buffer::PacketBuffer;
use super::plan::PacketPlan;
use super::session_keys::{PacketKind, SessionKeys};
use super::suite::SRTCP_TRAILER_LEN;

/// Packets per kernel call: one AVX-512 HMAC-SHA1 pass (16 lanes), and few enough that a
/// group's packets stay in L1 between the cipher and the authentication pass.
const GROUP_PACKETS: usize = 16;

/// The filler of a fixed-size array of counter-mode jobs, past the used ones.
const fn unused_job<'a>() -> CtrJob<'a> {
    CtrJob {
        counter: [0; 16],
        data: &mut [],
    }
}

/// What the crypto pass of one chunk applies.
#[derive(Clone, Copy)]
pub(crate) struct ChunkCrypto<'a> {
    pub(crate) keys: &'a SessionKeys,
    pub(crate) op: Operation,
    pub(crate) tag_len: usize,
    pub(crate) header_ids: &'a EncryptedExtensions,
}

/// Scratch bytes a packet of `len` bytes may need, known before its header pass. Only
/// AES-GCM SRTCP uses scratch: its additional data is split around the ciphertext and tag.
#[inline]
pub(crate) fn scratch_bound(gcm: bool, kind: PacketKind, len: usize) -> usize {
    if gcm && kind == PacketKind::Rtcp {
        len + SRTCP_TRAILER_LEN
    } else {
        0
    }
}

/// Scratch bytes `plan` uses (at most [`scratch_bound`] of its packet's length).
#[inline]
pub(crate) fn scratch_len(gcm: bool, plan: &PacketPlan) -> usize {
    if gcm && plan.result.is_ok() {
        gcm::gathered_aad_len(plan)
    } else {
        0
    }
}

/// Applies the cipher and the authentication of `crypto.keys` to every successful plan,
/// marking packets whose tag fails to verify. `scratch` holds each plan's
/// [`scratch_len`] bytes at its `scratch_offset`.
pub(crate) fn transform<P: PacketBuffer>(
    crypto: &ChunkCrypto<'_>,
    plans: &mut [PacketPlan],
    packets: &mut [P],
    scratch: &mut [u8],
) {
    let header = crypto.keys.header_keys().map(|keys| HeaderCrypto {
        keys,
        ids: crypto.header_ids,
    });
    let family = SuiteFamily::of(crypto);
    let protect = crypto.op.protects();
    let groups = plans
        .chunks_mut(GROUP_PACKETS)
        .zip(packets.chunks_mut(GROUP_PACKETS));
    for (plans, packets) in groups {
        match &family {
            SuiteFamily::Hmac(cipher, auth) if protect => {
                hmac::protect(cipher, auth, header, plans, packets);
            }
            SuiteFamily::Hmac(cipher, auth) => {
                hmac::unprotect(cipher, auth, header, plans, packets)
            }
            SuiteFamily::Gcm(keys) if protect => {
                gcm::protect(keys, header, plans, packets, scratch);
            }
            SuiteFamily::Gcm(keys) => gcm::unprotect(keys, header, plans, packets, scratch),
            SuiteFamily::Clear => {}
        }
    }
}

/// The path a chunk's packets take, with the keys it uses.
enum SuiteFamily<'a> {
    Hmac(hmac::PayloadCipher<'a>, hmac::Authenticator<'a>),
    Gcm(gcm::GcmKeys<'a>),
    /// NULL/NULL: nothing to encrypt or authenticate.
    Clear,
}

impl<'a> SuiteFamily<'a> {
    fn of(crypto: &ChunkCrypto<'a>) -> Self {
        let (cipher, key) = match crypto.keys {
            SessionKeys::AesCm {
                cipher, salt, mac, ..
            } => (hmac::PayloadCipher::AesCm { cipher, salt }, mac),
            SessionKeys::AesF8 { cipher, mac } => {
                let kind = crypto.op.kind();
                (hmac::PayloadCipher::AesF8 { cipher, kind }, mac)
            }
            SessionKeys::NullCipher { mac } => (hmac::PayloadCipher::Null, mac),
            SessionKeys::AesGcm {
                cipher,
                salt,
                ghash,
                ..
            } => {
                return Self::Gcm(gcm::GcmKeys {
                    cipher,
                    salt,
                    ghash,
                })
            }
            SessionKeys::NullNull => return Self::Clear,
        };
        let tag_len = crypto.tag_len;
        Self::Hmac(cipher, hmac::Authenticator { key, tag_len })
    }
}

/// RFC 6904 keys and the IDs they apply to.
#[derive(Clone, Copy)]
struct HeaderCrypto<'a> {
    keys: &'a HeaderKeys,
    ids: &'a EncryptedExtensions,
}

/// Encrypts (or, being an XOR, decrypts) the selected header extension elements of every
/// successful plan, when header extension encryption is on.
fn crypt_header_extensions<P: PacketBuffer>(
    header: Option<HeaderCrypto<'_>>,
    plans: &mut [PacketPlan],
    packets: &mut [P],
) {
    let Some(header) = header else {
        return;
    };
    for (plan, packet) in plans.iter_mut().zip(packets.iter_mut()) {
        let (Ok(()), Some(ext)) = (plan.result, plan.extension) else {
            continue;
        };
        let data = ext
            .data_start
            .checked_add(ext.data_len)
            .and_then(|end| packet.storage_mut().get_mut(ext.data_start..end));
        let outcome = match data {
            Some(data) => header
                .keys
                .apply(header.ids, plan.ssrc, plan.index, ext.profile, data),
            None => Err(SrtpError::MalformedHeader),
        };
        if let Err(e) = outcome {
            plan.result = Err(e);
        }
    }
}

/// The bytes `plan` encrypts.
#[inline]
fn payload<'s>(plan: &PacketPlan, storage: &'s [u8]) -> Option<&'s [u8]> {
    storage.get(plan.enc_start..plan.enc_start.checked_add(plan.enc_len)?)
}

/// The bytes `plan` encrypts, writable.
#[inline]
fn payload_mut<'s>(plan: &PacketPlan, storage: &'s mut [u8]) -> Option<&'s mut [u8]> {
    storage.get_mut(plan.enc_start..plan.enc_start.checked_add(plan.enc_len)?)
}

/// Calls `apply` for every successful plan, in order, with the next of `results`: those of
/// a kernel pass over the successful plans in that order. A successful plan the pass did
/// not reach fails rather than going unauthenticated.
fn for_each_ok_with<P, T>(
    plans: &mut [PacketPlan],
    packets: &mut [P],
    results: &[T],
    mut apply: impl FnMut(usize, &mut PacketPlan, &mut P, &T),
) {
    let mut results = results.iter();
    for (position, (plan, packet)) in plans.iter_mut().zip(packets.iter_mut()).enumerate() {
        if plan.result.is_err() {
            continue;
        }
        match results.next() {
            Some(result) => apply(position, plan, packet, result),
            None => plan.result = Err(SrtpError::MalformedHeader),
        }
    }
}

/// Writes `tag` where `plan` says the tag goes.
#[inline]
fn write_tag(plan: &mut PacketPlan, storage: &mut [u8], tag: &[u8]) {
    let slot = plan
        .tag_at
        .checked_add(tag.len())
        .and_then(|end| storage.get_mut(plan.tag_at..end));
    match slot {
        Some(slot) => slot.copy_from_slice(tag),
        None => plan.result = Err(SrtpError::MalformedHeader),
    }
}

/// Compares `tag` with the packet's, in constant time; a mismatch fails the plan.
#[inline]
fn verify_tag(plan: &mut PacketPlan, storage: &[u8], tag: &[u8]) {
    let received = plan
        .tag_at
        .checked_add(tag.len())
        .and_then(|end| storage.get(plan.tag_at..end));
    match received {
        Some(received) if tags_equal(tag, received) => {}
        Some(_) => plan.result = Err(SrtpError::AuthenticationFailed),
        None => plan.result = Err(SrtpError::MalformedHeader),
    }
}

/// Keystream of `len` bytes for packet `index` of `ssrc` under AES-CM `keys`, through the
/// same counter block and kernel as the packet path (for RFC 3711 B.2, whose segment is
/// longer than any packet).
#[cfg(test)]
pub(crate) fn cm_keystream(keys: &SessionKeys, ssrc: u32, index: u64, len: usize) -> Vec<u8> {
    let SessionKeys::AesCm { cipher, salt, .. } = keys else {
        return Vec::new();
    };
    let mut keystream = vec![0u8; len];
    cipher.apply_keystream_batch(&mut [CtrJob {
        counter: counter::aes_cm_iv(salt, ssrc, index),
        data: &mut keystream,
    }]);
    keystream
}
