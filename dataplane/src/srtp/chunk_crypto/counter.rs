//! The first counter block of a packet's keystream in each counter-mode construction,
//! from the session salt, the SSRC and the packet (or SRTCP) index.
//!
//! Blocks are computed as big-endian `u128`s: byte-wise assembly would leave the kernels'
//! 16-byte loads waiting on many small stores.

use super::super::aes_block::BLOCK_LEN;
use super::super::master_key::MAX_SALT_LEN;

/// Length of AES-GCM's IV (and of its session salt).
const GCM_IV_LEN: usize = 12;
/// SRTP packet indices are 48 bits (SRTCP indices 31).
const INDEX_MASK: u64 = (1 << 48) - 1;

/// The salt's first `len` bytes, zero-padded to a block, as a big-endian integer.
#[inline]
fn salt_block(salt: &[u8; MAX_SALT_LEN], len: usize) -> u128 {
    let mut block = [0u8; BLOCK_LEN];
    for (b, s) in block.iter_mut().zip(&salt[..len]) {
        *b = *s;
    }
    u128::from_be_bytes(block)
}

/// AES-CM (RFC 3711 sec. 4.1.1): `IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16)`,
/// whose low 16 bits, the block counter, are zero.
#[inline]
pub(super) fn aes_cm_iv(salt: &[u8; MAX_SALT_LEN], ssrc: u32, index: u64) -> [u8; BLOCK_LEN] {
    let iv = salt_block(salt, MAX_SALT_LEN)
        ^ (u128::from(ssrc) << 64)
        ^ (u128::from(index & INDEX_MASK) << 16);
    iv.to_be_bytes()
}

/// AES-GCM (RFC 7714 sec. 8.1 and 9.1): `IV = (0^16 || SSRC || index48) XOR salt`. Returns
/// the pre-counter block `J0 = IV || 0^31 || 1`, whose encryption masks the tag, and
/// `inc32(J0)`, the counter of the payload's first block.
#[inline]
pub(super) fn gcm_counters(
    salt: &[u8; MAX_SALT_LEN],
    ssrc: u32,
    index: u64,
) -> ([u8; BLOCK_LEN], [u8; BLOCK_LEN]) {
    let iv = salt_block(salt, GCM_IV_LEN)
        ^ (u128::from(ssrc) << 80)
        ^ (u128::from(index & INDEX_MASK) << 32);
    ((iv | 1).to_be_bytes(), (iv | 2).to_be_bytes())
}

#[cfg(test)]
mod tests {
    use super::super::super::vector_tests::{hex, hex_field};
    use super::*;

    const RFC7714: &str = include_str!("../vectors/rfc7714_aes_gcm_srtp.txt");
    const RFC3711: &str = include_str!("../vectors/rfc3711_appendix_B.txt");

    /// RFC 7714 sec. 16: salt "Quid pro quo", SSRC 5501a0b2, ROC 0, SEQ f17b give the IV
    /// printed in the vector file.
    #[test]
    fn gcm_iv_of_rfc7714_section_16() {
        let mut salt = [0u8; MAX_SALT_LEN];
        salt[..GCM_IV_LEN].copy_from_slice(&hex_field(RFC7714, "salt (12 B)"));
        let (j0, first) = gcm_counters(&salt, 0x5501_a0b2, 0xf17b);
        assert_eq!(j0[..GCM_IV_LEN], hex_field(RFC7714, "IV           :")[..]);
        assert_eq!(j0[GCM_IV_LEN..], [0, 0, 0, 1]);
        assert_eq!(first[..GCM_IV_LEN], j0[..GCM_IV_LEN]);
        assert_eq!(first[GCM_IV_LEN..], [0, 0, 0, 2]);
    }

    /// RFC 3711 B.2: the salt lands above the 16-bit block counter.
    #[test]
    fn aes_cm_iv_of_rfc3711_b2() {
        let section = &RFC3711[RFC3711.find("B.2.").unwrap()..];
        let shifted = hex_field(section, "Session Salt:");
        let salt: [u8; MAX_SALT_LEN] = shifted[..MAX_SALT_LEN].try_into().unwrap();
        let first_row = section
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("F0F1"))
            .unwrap();
        let counter = hex(first_row.split_whitespace().next().unwrap());
        assert_eq!(aes_cm_iv(&salt, 0, 0).to_vec(), counter);
    }
}
