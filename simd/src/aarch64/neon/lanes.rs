//! Loads and stores between fixed-size arrays and NEON registers.
//!
//! Taking array references proves every access in bounds, so these are the backend's only
//! memory intrinsics and its only `unsafe` code.

use core::arch::aarch64::{
    int16x8_t, int32x4_t, uint8x16_t, uint8x8_t, vld1_u8, vld1q_s16, vld1q_s32, vld1q_u8, vst1_u8,
    vst1q_s16, vst1q_s32, vst1q_u8,
};

#[inline]
#[target_feature(enable = "neon")]
pub(super) fn load_u8x16(src: &[u8; 16]) -> uint8x16_t {
    // SAFETY: `src` is 16 readable bytes; the load has no alignment requirement.
    unsafe { vld1q_u8(src.as_ptr()) }
}

#[inline]
#[target_feature(enable = "neon")]
pub(super) fn store_u8x16(dst: &mut [u8; 16], value: uint8x16_t) {
    // SAFETY: `dst` is 16 writable bytes; the store has no alignment requirement.
    unsafe { vst1q_u8(dst.as_mut_ptr(), value) }
}

#[inline]
#[target_feature(enable = "neon")]
pub(super) fn load_u8x8(src: &[u8; 8]) -> uint8x8_t {
    // SAFETY: `src` is 8 readable bytes; the load has no alignment requirement.
    unsafe { vld1_u8(src.as_ptr()) }
}

#[inline]
#[target_feature(enable = "neon")]
pub(super) fn store_u8x8(dst: &mut [u8; 8], value: uint8x8_t) {
    // SAFETY: `dst` is 8 writable bytes; the store has no alignment requirement.
    unsafe { vst1_u8(dst.as_mut_ptr(), value) }
}

#[inline]
#[target_feature(enable = "neon")]
pub(super) fn load_i16x8(src: &[i16; 8]) -> int16x8_t {
    // SAFETY: `src` is 16 readable bytes; the load has no alignment requirement.
    unsafe { vld1q_s16(src.as_ptr()) }
}

#[inline]
#[target_feature(enable = "neon")]
pub(super) fn store_i16x8(dst: &mut [i16; 8], value: int16x8_t) {
    // SAFETY: `dst` is 16 writable bytes; the store has no alignment requirement.
    unsafe { vst1q_s16(dst.as_mut_ptr(), value) }
}

/// Loads 8 sums as two vectors of 4: `[0..4]` and `[4..8]`.
#[inline]
#[target_feature(enable = "neon")]
pub(super) fn load_i32x4_pair(src: &[i32; 8]) -> (int32x4_t, int32x4_t) {
    let first = src.as_ptr();
    // SAFETY: `src` is 32 readable bytes, so both 16-byte halves are in bounds; the loads
    // have no alignment requirement.
    unsafe { (vld1q_s32(first), vld1q_s32(first.add(4))) }
}

/// Stores two vectors of 4 sums as `[0..4]` and `[4..8]`.
#[inline]
#[target_feature(enable = "neon")]
pub(super) fn store_i32x4_pair(dst: &mut [i32; 8], first: int32x4_t, second: int32x4_t) {
    let start = dst.as_mut_ptr();
    // SAFETY: `dst` is 32 writable bytes, so both 16-byte halves are in bounds; the stores
    // have no alignment requirement.
    unsafe {
        vst1q_s32(start, first);
        vst1q_s32(start.add(4), second);
    }
}
