//! Keystream XOR, 256 bytes per iteration, the last partial vector with masked accesses.

use core::arch::x86_64::{_mm512_mask_storeu_epi8, _mm512_maskz_loadu_epi8, _mm512_xor_si512};

use super::lanes::{load_u8x64, store_u8x64};

#[target_feature(enable = "avx2,avx512f,avx512bw")]
pub(super) fn xor_in_place(data: &mut [u8], keystream: &[u8]) {
    let len = data.len().min(keystream.len());
    let (data, keystream) = (&mut data[..len], &keystream[..len]);
    let (blocks, data_tail) = data.as_chunks_mut::<256>();
    let (key_blocks, key_tail) = keystream.as_chunks::<256>();
    for (block, key_block) in blocks.iter_mut().zip(key_blocks) {
        let (vectors, _) = block.as_chunks_mut::<64>();
        let (keys, _) = key_block.as_chunks::<64>();
        for (vector, key) in vectors.iter_mut().zip(keys) {
            store_u8x64(
                vector,
                _mm512_xor_si512(load_u8x64(vector), load_u8x64(key)),
            );
        }
    }
    let (vectors, data_tail) = data_tail.as_chunks_mut::<64>();
    let (keys, key_tail) = key_tail.as_chunks::<64>();
    for (vector, key) in vectors.iter_mut().zip(keys) {
        store_u8x64(
            vector,
            _mm512_xor_si512(load_u8x64(vector), load_u8x64(key)),
        );
    }
    // Both tails have the same length, below 64.
    let remaining = data_tail.len().min(key_tail.len());
    if remaining > 0 {
        let mask = u64::MAX >> (64 - remaining);
        // SAFETY: the mask selects bytes 0..remaining, which both tails hold; AVX-512 masked
        // loads and stores neither read nor write (nor fault on) bytes whose bit is clear.
        unsafe {
            let value = _mm512_maskz_loadu_epi8(mask, data_tail.as_ptr().cast());
            let key = _mm512_maskz_loadu_epi8(mask, key_tail.as_ptr().cast());
            _mm512_mask_storeu_epi8(
                data_tail.as_mut_ptr().cast(),
                mask,
                _mm512_xor_si512(value, key),
            );
        }
    }
}
