//! AES in f8 mode (RFC 3711 sec. 4.1.2), the UMTS-derived alternative to counter mode that
//! `F8_128_HMAC_SHA1_80` (RFC 4568) uses.
//!
//! Each keystream block depends on the previous one, so a packet's keystream is produced
//! block after block rather than in the batch-wide AES pass; this suite trades the batch
//! pipeline's speed for completeness.

use super::aes_block::{AesBlockCipher, BLOCK_LEN};

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

/// Fills `out` (whole blocks) with the f8 keystream for `iv`:
/// `IV' = E(k_e XOR m, IV)`, `S(j) = E(k_e, IV' XOR j XOR S(j-1))`, `S(-1) = 0`.
pub(crate) fn keystream(
    cipher: &AesBlockCipher,
    iv_cipher: &AesBlockCipher,
    iv: [u8; BLOCK_LEN],
    out: &mut [u8],
) {
    let mut iv_prime = iv;
    iv_cipher.encrypt_block(&mut iv_prime);
    let mut previous = [0u8; BLOCK_LEN];
    for (j, block) in out.chunks_exact_mut(BLOCK_LEN).enumerate() {
        let counter = (j as u128).to_be_bytes();
        let mut s = [0u8; BLOCK_LEN];
        for (i, byte) in s.iter_mut().enumerate() {
            *byte = iv_prime[i] ^ counter[i] ^ previous[i];
        }
        cipher.encrypt_block(&mut s);
        block.copy_from_slice(&s);
        previous = s;
    }
}
