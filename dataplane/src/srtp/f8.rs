//! AES in f8 mode (RFC 3711 sec. 4.1.2), the UMTS-derived alternative to counter mode that
//! `F8_128_HMAC_SHA1_80` (RFC 4568) uses.
//!
//! Each keystream block depends on the previous one, so a packet's keystream is produced
//! block after block with the `aes` crate and XORed straight into the payload, rather than
//! by the batch counter-mode kernel; this suite trades speed for completeness.

use medianode_simd::xor_in_place;
use zeroize::Zeroize;

use super::aes_block::{AesBlockCipher, BLOCK_LEN};
use super::master_key::MAX_KEY_LEN;

/// The two AES keys of f8: `k_e`, and `k_e XOR m` with `m = k_s || 0x55...` (RFC 3711
/// sec. 4.1.2.1) that encrypts the IV into `IV'`.
pub(crate) struct F8Cipher {
    cipher: AesBlockCipher,
    iv_cipher: AesBlockCipher,
}

impl F8Cipher {
    /// From session key `k_e` and session salt `k_s`; `None` if the key is not an AES key.
    pub(crate) fn new(key: &[u8], salt: &[u8]) -> Option<Self> {
        let mut masked = [0x55u8; MAX_KEY_LEN];
        for (m, s) in masked.iter_mut().zip(salt) {
            *m = *s;
        }
        for (m, k) in masked.iter_mut().zip(key) {
            *m ^= k;
        }
        let iv_cipher = AesBlockCipher::new(masked.get(..key.len()).unwrap_or_default());
        masked.zeroize();
        Some(Self {
            cipher: AesBlockCipher::new(key)?,
            iv_cipher: iv_cipher?,
        })
    }

    /// XORs the f8 keystream for `iv` into `data`:
    /// `IV' = E(k_e XOR m, IV)`, `S(j) = E(k_e, IV' XOR j XOR S(j-1))`, `S(-1) = 0`.
    pub(crate) fn apply(&self, iv: [u8; BLOCK_LEN], data: &mut [u8]) {
        let mut iv_prime = iv;
        self.iv_cipher.encrypt_block(&mut iv_prime);
        let mut previous = [0u8; BLOCK_LEN];
        for (j, chunk) in data.chunks_mut(BLOCK_LEN).enumerate() {
            let counter = (j as u128).to_be_bytes();
            let mut s = [0u8; BLOCK_LEN];
            for (i, byte) in s.iter_mut().enumerate() {
                *byte = iv_prime[i] ^ counter[i] ^ previous[i];
            }
            self.cipher.encrypt_block(&mut s);
            xor_in_place(chunk, &s);
            previous = s;
        }
    }
}

/// `IV` for an SRTP packet: `0x00 || M || PT || SEQ || TS || SSRC || ROC`
/// (the header's bytes 1 to 11 carry M through SSRC).
pub(crate) fn rtp_iv(header: &[u8], roc: u32) -> Option<[u8; BLOCK_LEN]> {
    let mut iv = [0u8; BLOCK_LEN];
    iv[1..12].copy_from_slice(header.get(1..12)?);
    iv[12..].copy_from_slice(&roc.to_be_bytes());
    Some(iv)
}

/// `IV` for an SRTCP packet: `0^32 || E || SRTCP index || V..SSRC` (the first 8 bytes).
pub(crate) fn rtcp_iv(header: &[u8], e_and_index: u32) -> Option<[u8; BLOCK_LEN]> {
    let mut iv = [0u8; BLOCK_LEN];
    iv[4..8].copy_from_slice(&e_and_index.to_be_bytes());
    iv[8..].copy_from_slice(header.get(..8)?);
    Some(iv)
}
