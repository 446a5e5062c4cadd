//! Sum of squares, 8 samples per iteration into two 64-bit accumulators.

use core::arch::aarch64::{
    vaddvq_s64, vdupq_n_s64, vget_low_s16, vmull_high_s16, vmull_s16, vpadalq_s32,
};

use super::lanes::load_i16x8;

#[target_feature(enable = "neon")]
pub(super) fn sum_of_squares(frame: &[i16]) -> u64 {
    let (vectors, tail) = frame.as_chunks::<8>();
    let mut sums = vdupq_n_s64(0);
    for vector in vectors {
        let samples = load_i16x8(vector);
        // Each square is at most 2^30, so the 32-bit products are exact and non-negative.
        let first = vmull_s16(vget_low_s16(samples), vget_low_s16(samples));
        let second = vmull_high_s16(samples, samples);
        sums = vpadalq_s32(vpadalq_s32(sums, first), second);
    }
    // The lanes hold non-negative sums; reading their wrapping total as u64 is exact.
    let vector_sum = vaddvq_s64(sums) as u64;
    vector_sum.wrapping_add(crate::scalar::sum_of_squares(tail))
}
