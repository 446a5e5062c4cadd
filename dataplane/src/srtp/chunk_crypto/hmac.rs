//! The HMAC-SHA1 suites (RFC 3711 sec. 4.2.1): AES-CM, AES-f8 or the NULL cipher, then a
//! tag over the authenticated portion and, for SRTP, the rollover counter.
//!
//! Per group: AES-CM keystream goes straight into the payloads in one kernel call, f8 packet
//! by packet; all tags come from one multi-buffer HMAC-SHA1 call. Protect is
//! encrypt-then-MAC; unprotect computes and checks every tag before decrypting.

use medianode_simd::crypto::{hmac_sha1_batch, CtrJob, HmacSha1Job, HmacSha1Key};

use super::super::aes_ctr::AesCtr;
use super::super::error::SrtpError;
use super::super::f8::{self, F8Cipher};
use super::super::master_key::MAX_SALT_LEN;
use super::super::packet_buffer::PacketBuffer;
use super::super::plan::PacketPlan;
use super::super::session_keys::PacketKind;
use super::{
    counter, crypt_header_extensions, for_each_ok_with, payload_mut, unused_job, verify_tag,
    write_tag, HeaderCrypto, GROUP_PACKETS,
};

/// HMAC-SHA1 output length (tags are a prefix of it).
const DIGEST_LEN: usize = 20;

/// The payload cipher of an HMAC-SHA1 suite.
pub(super) enum PayloadCipher<'a> {
    AesCm {
        cipher: &'a AesCtr,
        salt: &'a [u8; MAX_SALT_LEN],
    },
    AesF8 {
        cipher: &'a F8Cipher,
        kind: PacketKind,
    },
    Null,
}

/// The authentication key and how many bytes of the HMAC the packet carries.
pub(super) struct Authenticator<'a> {
    pub(super) key: &'a HmacSha1Key,
    pub(super) tag_len: usize,
}

/// Header extensions, payload cipher, then the tags.
pub(super) fn protect<P: PacketBuffer>(
    cipher: &PayloadCipher<'_>,
    auth: &Authenticator<'_>,
    header: Option<HeaderCrypto<'_>>,
    plans: &mut [PacketPlan],
    packets: &mut [P],
) {
    crypt_header_extensions(header, plans, packets);
    crypt_payloads(cipher, plans, packets);
    let mut tags = [[0u8; DIGEST_LEN]; GROUP_PACKETS];
    let count = authenticate(auth.key, plans, packets, &mut tags);
    for_each_ok_with(
        plans,
        packets,
        &tags[..count],
        |_, plan, packet, tag| match tag.get(..auth.tag_len) {
            Some(tag) => write_tag(plan, packet.storage_mut(), tag),
            None => plan.result = Err(SrtpError::MalformedHeader),
        },
    );
}

/// The tags checked, then payload cipher and header extensions of the packets that passed.
pub(super) fn unprotect<P: PacketBuffer>(
    cipher: &PayloadCipher<'_>,
    auth: &Authenticator<'_>,
    header: Option<HeaderCrypto<'_>>,
    plans: &mut [PacketPlan],
    packets: &mut [P],
) {
    let mut tags = [[0u8; DIGEST_LEN]; GROUP_PACKETS];
    let count = authenticate(auth.key, plans, packets, &mut tags);
    for_each_ok_with(
        plans,
        packets,
        &tags[..count],
        |_, plan, packet, tag| match tag.get(..auth.tag_len) {
            Some(tag) => verify_tag(plan, packet.storage(), tag),
            None => plan.result = Err(SrtpError::MalformedHeader),
        },
    );
    crypt_payloads(cipher, plans, packets);
    crypt_header_extensions(header, plans, packets);
}

/// The full HMAC of every successful plan, in order, into `tags`; returns how many. A plan
/// whose authenticated bytes are not in its buffer fails first.
fn authenticate<P: PacketBuffer>(
    key: &HmacSha1Key,
    plans: &mut [PacketPlan],
    packets: &[P],
    tags: &mut [[u8; DIGEST_LEN]; GROUP_PACKETS],
) -> usize {
    for (plan, packet) in plans.iter_mut().zip(packets) {
        if plan.result.is_ok() && packet.storage().get(..plan.auth_len).is_none() {
            plan.result = Err(SrtpError::MalformedHeader);
        }
    }
    let unused = HmacSha1Job {
        key,
        message: &[],
        suffix: &[],
    };
    let mut jobs = [unused; GROUP_PACKETS];
    let ok = plans.iter().zip(packets).filter(|(p, _)| p.result.is_ok());
    let mut count = 0;
    for ((plan, packet), job) in ok.zip(jobs.iter_mut()) {
        *job = HmacSha1Job {
            key,
            message: packet.storage().get(..plan.auth_len).unwrap_or_default(),
            suffix: plan.suffix(),
        };
        count += 1;
    }
    hmac_sha1_batch(&jobs[..count], &mut tags[..count]);
    count
}

/// Encrypts or decrypts the payload of every successful plan (both are the same XOR).
fn crypt_payloads<P: PacketBuffer>(
    cipher: &PayloadCipher<'_>,
    plans: &mut [PacketPlan],
    packets: &mut [P],
) {
    match *cipher {
        PayloadCipher::AesCm { cipher, salt } => {
            let mut jobs = [const { unused_job() }; GROUP_PACKETS];
            let mut count = 0;
            for (plan, packet) in plans.iter_mut().zip(packets.iter_mut()) {
                if plan.result.is_err() || plan.enc_len == 0 {
                    continue;
                }
                match (payload_mut(plan, packet.storage_mut()), jobs.get_mut(count)) {
                    (Some(data), Some(job)) => {
                        let counter = counter::aes_cm_iv(salt, plan.ssrc, plan.index);
                        *job = CtrJob { counter, data };
                        count += 1;
                    }
                    _ => plan.result = Err(SrtpError::MalformedHeader),
                }
            }
            cipher.apply_keystream_batch(&mut jobs[..count]);
        }
        PayloadCipher::AesF8 { cipher, kind } => {
            for (plan, packet) in plans.iter_mut().zip(packets.iter_mut()) {
                if plan.result.is_err() || plan.enc_len == 0 {
                    continue;
                }
                let iv = match kind {
                    PacketKind::Rtp => f8::rtp_iv(packet.storage(), (plan.index >> 16) as u32),
                    PacketKind::Rtcp => {
                        f8::rtcp_iv(packet.storage(), (1 << 31) | plan.index as u32)
                    }
                };
                match (iv, payload_mut(plan, packet.storage_mut())) {
                    (Some(iv), Some(data)) => cipher.apply(iv, data),
                    _ => plan.result = Err(SrtpError::MalformedHeader),
                }
            }
        }
        PayloadCipher::Null => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};
    use proptest::prelude::*;

    fn reference(key: &[u8], data: &[u8]) -> [u8; DIGEST_LEN] {
        let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(key).unwrap();
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// RFC 2202 test case 2 (key "Jefe"), with the message split into message and suffix
    /// the way SRTP passes the packet and its ROC.
    #[test]
    fn rfc2202_case_2() {
        let key = HmacSha1Key::new(b"Jefe");
        let job = HmacSha1Job {
            key: &key,
            message: b"what do ya want for not",
            suffix: b"hing?",
        };
        let mut tag = [[0u8; DIGEST_LEN]];
        hmac_sha1_batch(&[job], &mut tag);
        let hex: String = tag[0].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    }

    proptest! {
        /// The kernel as the engine calls it (a group of jobs, each message plus suffix)
        /// equals the `hmac` crate for any key, split and group size.
        #[test]
        fn equals_hmac_crate_for_any_split_and_group(
            key in proptest::collection::vec(any::<u8>(), 0..100),
            messages in proptest::collection::vec(
                (proptest::collection::vec(any::<u8>(), 0..300), 0usize..300),
                1..=GROUP_PACKETS,
            ),
        ) {
            let prepared = HmacSha1Key::new(&key);
            let jobs: Vec<HmacSha1Job<'_>> = messages
                .iter()
                .map(|(data, cut)| {
                    let (message, suffix) = data.split_at((*cut).min(data.len()));
                    HmacSha1Job { key: &prepared, message, suffix }
                })
                .collect();
            let mut tags = vec![[0u8; DIGEST_LEN]; jobs.len()];
            hmac_sha1_batch(&jobs, &mut tags);
            for ((data, _), tag) in messages.iter().zip(&tags) {
                prop_assert_eq!(*tag, reference(&key, data));
            }
        }
    }
}
