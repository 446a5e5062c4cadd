//! The crypto pass of one chunk: counter blocks for every packet, one AES call that turns
//! them into keystream, then per packet the XOR, header extension encryption (RFC 6904) and
//! the HMAC-SHA1 or GHASH tag, in encrypt-then-MAC order (or verify-then-decrypt).

use medianode_simd::xor_in_place;

use super::aes_block::{AesBlockCipher, BLOCK_LEN};
use super::batch::Operation;
use super::constant_time::tags_equal;
use super::error::SrtpError;
use super::f8;
use super::gcm::GcmAuthenticator;
use super::header_encryption::{EncryptedExtensions, HeaderKeys};
use super::hmac_sha1::HmacSha1;
use super::packet_buffer::PacketBuffer;
use super::plan::PacketPlan;
use super::session_keys::{PacketKind, SessionKeys};

/// Keystream bytes `plan` uses under `keys`.
pub(crate) fn keystream_len(
    keys_are_gcm: bool,
    keys_have_cipher: bool,
    plan: &PacketPlan,
) -> usize {
    if plan.result.is_err() || !keys_have_cipher {
        return 0;
    }
    let data = plan.enc_len.div_ceil(BLOCK_LEN) * BLOCK_LEN;
    if keys_are_gcm {
        data + BLOCK_LEN
    } else {
        data
    }
}

/// Writes each successful plan's counter blocks at its keystream offset; returns the end of
/// the last one. CM: `salt*2^16 XOR ssrc*2^64 XOR index*2^16`, block counter in the low 16
/// bits (RFC 3711 sec. 4.1.1). GCM: `salt XOR (0^16 || ssrc || index48)` followed by a
/// 32-bit counter starting at 1 for J0 (RFC 7714 sec. 8.1 and 9.1).
fn write_counters(plans: &[PacketPlan], salt: &[u8], gcm: bool, ks: &mut [u8]) -> usize {
    let mut end = 0;
    for plan in plans.iter().filter(|p| p.result.is_ok()) {
        let mut iv = [0u8; BLOCK_LEN];
        let (salt_len, ssrc_at) = if gcm { (12, 2) } else { (14, 4) };
        iv[..salt_len].copy_from_slice(&salt[..salt_len]);
        for (d, s) in iv[ssrc_at..ssrc_at + 4]
            .iter_mut()
            .zip(plan.ssrc.to_be_bytes())
        {
            *d ^= s;
        }
        let index = &plan.index.to_be_bytes()[2..];
        for (d, s) in iv[ssrc_at + 4..ssrc_at + 10].iter_mut().zip(index) {
            *d ^= s;
        }
        let blocks = keystream_len(gcm, true, plan) / BLOCK_LEN;
        let Some(region) = ks.get_mut(plan.ks_offset..plan.ks_offset + blocks * BLOCK_LEN) else {
            continue;
        };
        for (j, block) in region.chunks_exact_mut(BLOCK_LEN).enumerate() {
            block.copy_from_slice(&iv);
            if gcm {
                block[12..].copy_from_slice(&(j as u32 + 1).to_be_bytes());
            } else {
                block[14..].copy_from_slice(&(j as u16).to_be_bytes());
            }
        }
        end = plan.ks_offset + blocks * BLOCK_LEN;
    }
    end
}

/// The ranges a plan names, borrowed from the packet storage and keystream buffer. `None`
/// only if a plan were inconsistent with its buffer, which the header pass rules out.
struct Regions<'a> {
    storage: &'a mut [u8],
    keystream: &'a [u8],
    header: Option<HeaderCrypto<'a>>,
}

/// RFC 6904 keys and the IDs they apply to.
#[derive(Clone, Copy)]
struct HeaderCrypto<'a> {
    keys: &'a HeaderKeys,
    ids: &'a EncryptedExtensions,
}

impl Regions<'_> {
    /// Encrypts or decrypts the selected header extension elements, if any.
    fn header_extension(&mut self, plan: &PacketPlan) -> Option<Result<(), SrtpError>> {
        let (Some(header), Some(ext)) = (self.header, plan.extension) else {
            return Some(Ok(()));
        };
        let data = self
            .storage
            .get_mut(ext.data_start..ext.data_start.checked_add(ext.data_len)?)?;
        Some(
            header
                .keys
                .apply(header.ids, plan.ssrc, plan.index, ext.profile, data),
        )
    }

    fn encrypt_range(&self, plan: &PacketPlan) -> Option<core::ops::Range<usize>> {
        let r = plan.enc_start..plan.enc_start.checked_add(plan.enc_len)?;
        (r.end <= self.storage.len()).then_some(r)
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

/// Applies the cipher and the authentication of `keys` to every successful plan, marking
/// packets whose tag fails to verify.
pub(crate) fn transform<P: PacketBuffer>(
    crypto: &ChunkCrypto<'_>,
    plans: &mut [PacketPlan],
    packets: &mut [P],
    keystream: &mut [u8],
) {
    let ChunkCrypto {
        keys,
        op,
        tag_len,
        header_ids,
    } = *crypto;
    let (kind, protect) = (op.kind(), op.protects());
    match keys {
        SessionKeys::AesCm { cipher, salt, .. } | SessionKeys::AesGcm { cipher, salt, .. } => {
            let gcm = matches!(keys, SessionKeys::AesGcm { .. });
            let used = write_counters(plans, salt, gcm, keystream);
            cipher.encrypt_blocks(&mut keystream[..used]);
        }
        SessionKeys::AesF8 {
            cipher, iv_cipher, ..
        } => f8_keystreams(cipher, iv_cipher, kind, plans, packets, keystream),
        SessionKeys::NullCipher { .. } | SessionKeys::NullNull => {}
    }
    let header = keys.header_keys().map(|keys| HeaderCrypto {
        keys,
        ids: header_ids,
    });
    for (plan, packet) in plans.iter_mut().zip(packets.iter_mut()) {
        if plan.result.is_err() {
            continue;
        }
        let mut regions = Regions {
            storage: packet.storage_mut(),
            keystream,
            header,
        };
        let outcome = match keys {
            SessionKeys::AesCm { mac, .. }
            | SessionKeys::AesF8 { mac, .. }
            | SessionKeys::NullCipher { mac } => {
                let cipher = !matches!(keys, SessionKeys::NullCipher { .. });
                hmac_packet(&mut regions, plan, protect, tag_len, cipher, mac)
            }
            SessionKeys::AesGcm { auth, .. } => gcm_packet(&mut regions, plan, protect, auth),
            SessionKeys::NullNull => Some(Ok(())),
        };
        plan.result = outcome.unwrap_or(Err(SrtpError::MalformedHeader));
    }
}

/// Writes each successful plan's f8 keystream at its keystream offset.
fn f8_keystreams<P: PacketBuffer>(
    cipher: &AesBlockCipher,
    iv_cipher: &AesBlockCipher,
    kind: PacketKind,
    plans: &mut [PacketPlan],
    packets: &mut [P],
    keystream: &mut [u8],
) {
    for (plan, packet) in plans.iter_mut().zip(packets.iter()) {
        if plan.result.is_err() || plan.enc_len == 0 {
            continue;
        }
        let iv = match kind {
            PacketKind::Rtp => f8::rtp_iv(packet.storage(), (plan.index >> 16) as u32),
            PacketKind::Rtcp => f8::rtcp_iv(packet.storage(), (1 << 31) | plan.index as u32),
        };
        let len = keystream_len(false, true, plan);
        match (iv, keystream.get_mut(plan.ks_offset..plan.ks_offset + len)) {
            (Some(iv), Some(out)) => f8::keystream(cipher, iv_cipher, iv, out),
            _ => plan.result = Err(SrtpError::MalformedHeader),
        }
    }
}

/// AES-CM or AES-f8 (or NULL) with HMAC-SHA1: encrypt-then-MAC, or verify-then-decrypt.
fn hmac_packet(
    r: &mut Regions<'_>,
    plan: &PacketPlan,
    protect: bool,
    tag_len: usize,
    cipher: bool,
    mac: &HmacSha1,
) -> Option<Result<(), SrtpError>> {
    let enc = r.encrypt_range(plan)?;
    let ks = r
        .keystream
        .get(plan.ks_offset..plan.ks_offset + plan.enc_len)?;
    let tag_range = plan.tag_at..plan.tag_at.checked_add(tag_len)?;
    if protect {
        if let Err(e) = r.header_extension(plan)? {
            return Some(Err(e));
        }
        if cipher {
            xor_in_place(r.storage.get_mut(enc)?, ks);
        }
        let tag = mac.mac(&[r.storage.get(..plan.auth_len)?, plan.suffix()]);
        r.storage
            .get_mut(tag_range)?
            .copy_from_slice(tag.get(..tag_len)?);
    } else {
        let tag = mac.mac(&[r.storage.get(..plan.auth_len)?, plan.suffix()]);
        if !tags_equal(tag.get(..tag_len)?, r.storage.get(tag_range)?) {
            return Some(Err(SrtpError::AuthenticationFailed));
        }
        if cipher {
            xor_in_place(r.storage.get_mut(enc)?, ks);
        }
        return r.header_extension(plan);
    }
    Some(Ok(()))
}

/// AES-GCM: counter-mode encryption from J0+1 and a GHASH tag masked with E(K, J0).
fn gcm_packet(
    r: &mut Regions<'_>,
    plan: &PacketPlan,
    protect: bool,
    auth: &GcmAuthenticator,
) -> Option<Result<(), SrtpError>> {
    let enc = r.encrypt_range(plan)?;
    let j0 = r
        .keystream
        .get(plan.ks_offset..plan.ks_offset + BLOCK_LEN)?;
    let ks_start = plan.ks_offset + BLOCK_LEN;
    let ks = r.keystream.get(ks_start..ks_start + plan.enc_len)?;
    let tag_range = plan.tag_at..plan.tag_at.checked_add(super::suite::GCM_TAG_LEN)?;
    if protect {
        if let Err(e) = r.header_extension(plan)? {
            return Some(Err(e));
        }
        xor_in_place(r.storage.get_mut(enc.clone())?, ks);
        let tag = auth.tag(
            r.storage.get(..plan.auth_len)?,
            plan.suffix(),
            r.storage.get(enc)?,
            j0,
        );
        r.storage.get_mut(tag_range)?.copy_from_slice(&tag);
    } else {
        let tag = auth.tag(
            r.storage.get(..plan.auth_len)?,
            plan.suffix(),
            r.storage.get(enc.clone())?,
            j0,
        );
        if !tags_equal(&tag, r.storage.get(tag_range)?) {
            return Some(Err(SrtpError::AuthenticationFailed));
        }
        xor_in_place(r.storage.get_mut(enc)?, ks);
        return r.header_extension(plan);
    }
    Some(Ok(()))
}

/// Keystream of `len` bytes for packet `index` of `ssrc` under AES-CM `keys`, through the
/// same counter-block writer and AES pass as the batch path (for RFC 3711 B.2, whose
/// segment is longer than any packet).
#[cfg(test)]
pub(crate) fn cm_keystream(keys: &SessionKeys, ssrc: u32, index: u64, len: usize) -> Vec<u8> {
    let SessionKeys::AesCm { cipher, salt, .. } = keys else {
        return Vec::new();
    };
    let mut plan = PacketPlan::failed(SrtpError::PacketTooShort);
    plan.result = Ok(());
    plan.ssrc = ssrc;
    plan.index = index;
    plan.enc_len = len;
    let mut ks = vec![0u8; len.div_ceil(BLOCK_LEN) * BLOCK_LEN];
    let used = write_counters(core::slice::from_ref(&plan), salt, false, &mut ks);
    cipher.encrypt_blocks(&mut ks[..used]);
    ks.truncate(len);
    ks
}
