//! Loads and stores between fixed-size arrays and AVX-512 registers.
//!
//! Taking array references proves every access in bounds, so these (and the masked tail of
//! the keystream XOR) are the backend's only memory intrinsics and its only `unsafe` code.

use core::arch::x86_64::{
    __m128i, __m256i, __m512i, _mm256_loadu_si256, _mm512_castsi512_si256, _mm512_loadu_si512,
    _mm512_mask_cvtsepi32_storeu_epi16, _mm512_mask_storeu_epi32, _mm512_maskz_loadu_epi16,
    _mm512_maskz_loadu_epi32, _mm512_storeu_si512, _mm_storeu_si128,
};

#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
pub(super) fn load_u8x32(src: &[u8; 32]) -> __m256i {
    // SAFETY: `src` is 32 readable bytes; the load has no alignment requirement.
    unsafe { _mm256_loadu_si256(src.as_ptr().cast()) }
}

#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
pub(super) fn load_u8x64(src: &[u8; 64]) -> __m512i {
    // SAFETY: `src` is 64 readable bytes; the load has no alignment requirement.
    unsafe { _mm512_loadu_si512(src.as_ptr().cast()) }
}

#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
pub(super) fn store_u8x64(dst: &mut [u8; 64], value: __m512i) {
    // SAFETY: `dst` is 64 writable bytes; the store has no alignment requirement.
    unsafe { _mm512_storeu_si512(dst.as_mut_ptr().cast(), value) }
}

#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
pub(super) fn store_u8x16(dst: &mut [u8; 16], value: __m128i) {
    // SAFETY: `dst` is 16 writable bytes; the store has no alignment requirement.
    unsafe { _mm_storeu_si128(dst.as_mut_ptr().cast(), value) }
}

#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
pub(super) fn load_i16x16(src: &[i16; 16]) -> __m256i {
    // SAFETY: `src` is 32 readable bytes; the load has no alignment requirement.
    unsafe { _mm256_loadu_si256(src.as_ptr().cast()) }
}

#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
pub(super) fn load_i16x32(src: &[i16; 32]) -> __m512i {
    // SAFETY: `src` is 64 readable bytes; the load has no alignment requirement.
    unsafe { _mm512_loadu_si512(src.as_ptr().cast()) }
}

#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
pub(super) fn store_i16x32(dst: &mut [i16; 32], value: __m512i) {
    // SAFETY: `dst` is 64 writable bytes; the store has no alignment requirement.
    unsafe { _mm512_storeu_si512(dst.as_mut_ptr().cast(), value) }
}

#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
pub(super) fn load_i32x16(src: &[i32; 16]) -> __m512i {
    // SAFETY: `src` is 64 readable bytes; the load has no alignment requirement.
    unsafe { _mm512_loadu_si512(src.as_ptr().cast()) }
}

/// Loads 32 sums as two vectors of 16: `[0..16]` and `[16..32]`.
#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
pub(super) fn load_i32x16_pair(src: &[i32; 32]) -> (__m512i, __m512i) {
    let first = src.as_ptr();
    // SAFETY: `src` is 128 readable bytes, so both 64-byte halves are in bounds; the loads
    // have no alignment requirement.
    unsafe {
        (
            _mm512_loadu_si512(first.cast()),
            _mm512_loadu_si512(first.add(16).cast()),
        )
    }
}

#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
pub(super) fn store_i32x16(dst: &mut [i32; 16], value: __m512i) {
    // SAFETY: `dst` is 64 writable bytes; the store has no alignment requirement.
    unsafe { _mm512_storeu_si512(dst.as_mut_ptr().cast(), value) }
}

/// A mask of the first `len` lanes of 16; all 16 when `len` is 16 or more.
#[inline]
fn first_lanes(len: usize) -> u16 {
    ((1u32 << len.min(16)) - 1) as u16
}

/// Loads the first `min(src.len(), 16)` sums into the low lanes, zeroing the others.
#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
pub(super) fn load_i32x16_partial(src: &[i32]) -> __m512i {
    let mask = first_lanes(src.len());
    // SAFETY: the mask selects only elements inside `src`; masked loads neither read nor
    // fault on lanes whose bit is clear, and have no alignment requirement.
    unsafe { _mm512_maskz_loadu_epi32(mask, src.as_ptr()) }
}

/// Stores the low `min(dst.len(), 16)` lanes of `value` into `dst`.
#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
pub(super) fn store_i32x16_partial(dst: &mut [i32], value: __m512i) {
    let mask = first_lanes(dst.len());
    // SAFETY: the mask selects only elements inside `dst`; masked stores neither write nor
    // fault on lanes whose bit is clear, and have no alignment requirement.
    unsafe { _mm512_mask_storeu_epi32(dst.as_mut_ptr(), mask, value) }
}

/// Loads the first `min(src.len(), 16)` samples into the low lanes, zeroing the others.
#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
pub(super) fn load_i16x16_partial(src: &[i16]) -> __m256i {
    let mask = u32::from(first_lanes(src.len()));
    // SAFETY: the mask selects only elements inside `src`; masked loads neither read nor
    // fault on lanes whose bit is clear, and have no alignment requirement.
    let wide = unsafe { _mm512_maskz_loadu_epi16(mask, src.as_ptr()) };
    _mm512_castsi512_si256(wide)
}

/// Saturates the 32-bit lanes of `value` to i16 and stores the low `min(dst.len(), 16)`.
#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
pub(super) fn store_i16x16_saturated_partial(dst: &mut [i16], value: __m512i) {
    let mask = first_lanes(dst.len());
    // SAFETY: the mask selects only elements inside `dst`; masked stores neither write nor
    // fault on lanes whose bit is clear, and have no alignment requirement.
    unsafe { _mm512_mask_cvtsepi32_storeu_epi16(dst.as_mut_ptr(), mask, value) }
}
