//! Keystream XOR, 128 bytes per iteration.

use core::arch::x86_64::_mm256_xor_si256;

use super::lanes::{load_u8x32, store_u8x32};

#[target_feature(enable = "avx2")]
pub(super) fn xor_in_place(data: &mut [u8], keystream: &[u8]) {
    let len = data.len().min(keystream.len());
    let (data, keystream) = (&mut data[..len], &keystream[..len]);
    let (blocks, data_tail) = data.as_chunks_mut::<128>();
    let (key_blocks, key_tail) = keystream.as_chunks::<128>();
    for (block, key_block) in blocks.iter_mut().zip(key_blocks) {
        let (vectors, _) = block.as_chunks_mut::<32>();
        let (keys, _) = key_block.as_chunks::<32>();
        for (vector, key) in vectors.iter_mut().zip(keys) {
            let mixed = _mm256_xor_si256(load_u8x32(vector), load_u8x32(key));
            store_u8x32(vector, mixed);
        }
    }
    let (vectors, data_tail) = data_tail.as_chunks_mut::<32>();
    let (keys, key_tail) = key_tail.as_chunks::<32>();
    for (vector, key) in vectors.iter_mut().zip(keys) {
        store_u8x32(
            vector,
            _mm256_xor_si256(load_u8x32(vector), load_u8x32(key)),
        );
    }
    crate::scalar::xor_in_place(data_tail, key_tail);
}
