//! Keystream XOR, 16 bytes per iteration.

use core::arch::aarch64::veorq_u8;

use super::lanes::{load_u8x16, store_u8x16};

#[target_feature(enable = "neon")]
pub(super) fn xor_in_place(data: &mut [u8], keystream: &[u8]) {
    let len = data.len().min(keystream.len());
    let (data, keystream) = (&mut data[..len], &keystream[..len]);
    let (vectors, data_tail) = data.as_chunks_mut::<16>();
    let (keys, key_tail) = keystream.as_chunks::<16>();
    for (vector, key) in vectors.iter_mut().zip(keys) {
        store_u8x16(vector, veorq_u8(load_u8x16(vector), load_u8x16(key)));
    }
    crate::scalar::xor_in_place(data_tail, key_tail);
}
