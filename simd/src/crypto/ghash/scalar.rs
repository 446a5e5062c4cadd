//! The GHASH reference: NIST SP 800-38D section 6.3, one bit at a time, with masks instead of
//! branches so that its timing does not depend on the key or the data.
//!
//! It defines what the vector paths must compute, and computes the key's powers for them.

/// Multiplies two elements of GCM's field, both in GCM's bit order (the first bit of the
/// block is the coefficient of x^0), as big-endian `u128`s.
pub(crate) fn gf_mul(x: u128, y: u128) -> u128 {
    const R: u128 = 0xe1 << 120;
    let mut z = 0u128;
    let mut v = y;
    for i in 0..128 {
        let bit = (x >> (127 - i)) & 1;
        z ^= v & bit.wrapping_neg();
        let lsb = v & 1;
        v = (v >> 1) ^ (R & lsb.wrapping_neg());
    }
    z
}

/// Absorbs `data` zero-padded to whole blocks into the GHASH state `y` with key `h`.
fn absorb(mut y: u128, h: u128, data: &[u8]) -> u128 {
    for chunk in data.chunks(16) {
        let mut block = [0u8; 16];
        block[..chunk.len()].copy_from_slice(chunk);
        y = gf_mul(y ^ u128::from_be_bytes(block), h);
    }
    y
}

/// GHASH of `aad` and `text`, each zero-padded, followed by the block of their bit lengths.
pub(crate) fn ghash(h: u128, aad: &[u8], text: &[u8]) -> [u8; 16] {
    let y = absorb(0, h, aad);
    let y = absorb(y, h, text);
    let y = gf_mul(y ^ super::length_block(aad.len(), text.len()), h);
    y.to_be_bytes()
}
