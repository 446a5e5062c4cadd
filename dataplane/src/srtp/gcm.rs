//! The authentication half of AES-GCM (NIST SP 800-38D) as RFC 7714 uses it: GHASH over
//! the additional data and the ciphertext, masked with `E(K, J0)`.
//!
//! The counter-mode half runs in the batch keystream pass like AES-CM, so this module only
//! holds the GHASH key (prepared once per session key and cloned per packet) and builds
//! tags. RFC 7714's SRTCP additional data is split in the packet (header, then the E/index
//! word after the ciphertext), hence the two-part form.

use ghash::universal_hash::{KeyInit, UniversalHash};
use ghash::GHash;

use super::aes_block::{AesBlockCipher, BLOCK_LEN};
use super::suite::GCM_TAG_LEN;

/// GHASH keyed with `H = E(K, 0^128)`.
#[derive(Clone)]
pub(crate) struct GcmAuthenticator {
    ghash: GHash,
}

impl GcmAuthenticator {
    pub(crate) fn new(cipher: &AesBlockCipher) -> Self {
        let mut h = [0u8; BLOCK_LEN];
        cipher.encrypt_block(&mut h);
        let ghash = GHash::new(&h.into());
        zeroize::Zeroize::zeroize(&mut h);
        Self { ghash }
    }

    /// The GCM tag for additional data `aad || aad_suffix` (the suffix at most 16 bytes) and
    /// `ciphertext`, given the encrypted pre-counter block `E(K, J0)`.
    pub(crate) fn tag(
        &self,
        aad: &[u8],
        aad_suffix: &[u8],
        ciphertext: &[u8],
        encrypted_j0: &[u8],
    ) -> [u8; GCM_TAG_LEN] {
        let mut g = self.ghash.clone();
        let whole = aad.len() / BLOCK_LEN * BLOCK_LEN;
        g.update_padded(&aad[..whole]);
        let rest = &aad[whole..];
        let suffix = &aad_suffix[..aad_suffix.len().min(BLOCK_LEN)];
        let mut tail = [0u8; 2 * BLOCK_LEN];
        tail[..rest.len()].copy_from_slice(rest);
        tail[rest.len()..rest.len() + suffix.len()].copy_from_slice(suffix);
        g.update_padded(&tail[..rest.len() + suffix.len()]);
        g.update_padded(ciphertext);
        let aad_bits = ((aad.len() + suffix.len()) as u64) * 8;
        let ct_bits = (ciphertext.len() as u64) * 8;
        let mut lengths = [0u8; BLOCK_LEN];
        lengths[..8].copy_from_slice(&aad_bits.to_be_bytes());
        lengths[8..].copy_from_slice(&ct_bits.to_be_bytes());
        g.update_padded(&lengths);
        let s = g.finalize();
        let mut tag = [0u8; GCM_TAG_LEN];
        for ((t, x), m) in tag.iter_mut().zip(s.iter()).zip(encrypted_j0) {
            *t = x ^ m;
        }
        tag
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// NIST GCM spec test case 2 (McGrew/Viega): K = 0, P = 0^128, IV = 0^96.
    /// C = 0388dace60b6a392f328c2b971b2fe78, T = ab6e47d42cec13bdf53a67b21257bddf.
    #[test]
    fn gcm_spec_test_case_2() {
        let cipher = AesBlockCipher::new(&[0u8; 16]).unwrap();
        let auth = GcmAuthenticator::new(&cipher);
        let mut j0 = [0u8; 16];
        j0[15] = 1;
        let mut ctr = [0u8; 16];
        ctr[15] = 2;
        cipher.encrypt_block(&mut j0);
        cipher.encrypt_block(&mut ctr);
        assert_eq!(ctr.to_vec(), hex("0388dace60b6a392f328c2b971b2fe78"));
        let tag = auth.tag(&[], &[], &ctr, &j0);
        assert_eq!(tag.to_vec(), hex("ab6e47d42cec13bdf53a67b21257bddf"));
    }

    #[test]
    fn split_aad_equals_contiguous_aad() {
        let cipher = AesBlockCipher::new(&[9u8; 16]).unwrap();
        let auth = GcmAuthenticator::new(&cipher);
        let data: Vec<u8> = (0u8..60).collect();
        let j0 = [3u8; 16];
        for split in [0, 1, 15, 16, 17, 44, 56] {
            let (a, b) = data[..split + 4].split_at(split);
            assert_eq!(
                auth.tag(a, b, &data[20..], &j0),
                auth.tag(&data[..split + 4], &[], &data[20..], &j0)
            );
        }
    }
}
