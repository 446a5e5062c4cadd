//! Loads and stores between fixed-size arrays and AVX2 registers.
//!
//! Taking array references proves every access in bounds, so these are the backend's only
//! memory intrinsics and its only `unsafe` code.

use core::arch::x86_64::{
    __m128i, __m256i, _mm256_loadu_si256, _mm256_storeu_si256, _mm_loadu_si128,
};

#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn load_u8x16(src: &[u8; 16]) -> __m128i {
    // SAFETY: `src` is 16 readable bytes; the load has no alignment requirement.
    unsafe { _mm_loadu_si128(src.as_ptr().cast()) }
}

#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn load_u8x32(src: &[u8; 32]) -> __m256i {
    // SAFETY: `src` is 32 readable bytes; the load has no alignment requirement.
    unsafe { _mm256_loadu_si256(src.as_ptr().cast()) }
}

#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn store_u8x32(dst: &mut [u8; 32], value: __m256i) {
    // SAFETY: `dst` is 32 writable bytes; the store has no alignment requirement.
    unsafe { _mm256_storeu_si256(dst.as_mut_ptr().cast(), value) }
}

#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn load_i16x8(src: &[i16; 8]) -> __m128i {
    // SAFETY: `src` is 16 readable bytes; the load has no alignment requirement.
    unsafe { _mm_loadu_si128(src.as_ptr().cast()) }
}

#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn load_i16x16(src: &[i16; 16]) -> __m256i {
    // SAFETY: `src` is 32 readable bytes; the load has no alignment requirement.
    unsafe { _mm256_loadu_si256(src.as_ptr().cast()) }
}

/// Loads 32 samples as two vectors of 16: `[0..16]` and `[16..32]`.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn load_i16x16_pair(src: &[i16; 32]) -> (__m256i, __m256i) {
    let first = src.as_ptr();
    // SAFETY: `src` is 64 readable bytes, so both 32-byte halves are in bounds; the loads
    // have no alignment requirement.
    unsafe {
        (
            _mm256_loadu_si256(first.cast()),
            _mm256_loadu_si256(first.add(16).cast()),
        )
    }
}

#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn store_i16x16(dst: &mut [i16; 16], value: __m256i) {
    // SAFETY: `dst` is 32 writable bytes; the store has no alignment requirement.
    unsafe { _mm256_storeu_si256(dst.as_mut_ptr().cast(), value) }
}

#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn load_i32x8(src: &[i32; 8]) -> __m256i {
    // SAFETY: `src` is 32 readable bytes; the load has no alignment requirement.
    unsafe { _mm256_loadu_si256(src.as_ptr().cast()) }
}

/// Loads 16 sums as two vectors of 8: `[0..8]` and `[8..16]`.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn load_i32x8_pair(src: &[i32; 16]) -> (__m256i, __m256i) {
    let first = src.as_ptr();
    // SAFETY: `src` is 64 readable bytes, so both 32-byte halves are in bounds; the loads
    // have no alignment requirement.
    unsafe {
        (
            _mm256_loadu_si256(first.cast()),
            _mm256_loadu_si256(first.add(8).cast()),
        )
    }
}

#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn store_i32x8(dst: &mut [i32; 8], value: __m256i) {
    // SAFETY: `dst` is 32 writable bytes; the store has no alignment requirement.
    unsafe { _mm256_storeu_si256(dst.as_mut_ptr().cast(), value) }
}

#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn store_u64x4(dst: &mut [u64; 4], value: __m256i) {
    // SAFETY: `dst` is 32 writable bytes; the store has no alignment requirement.
    unsafe { _mm256_storeu_si256(dst.as_mut_ptr().cast(), value) }
}
