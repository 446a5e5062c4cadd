//! Sum of squares, 16 samples per iteration into four 64-bit accumulators.

use core::arch::x86_64::{
    _mm256_add_epi64, _mm256_and_si256, _mm256_madd_epi16, _mm256_set1_epi64x,
    _mm256_setzero_si256, _mm256_srli_epi64,
};

use super::lanes::{load_i16x16, store_u64x4};

#[target_feature(enable = "avx2")]
pub(super) fn sum_of_squares(frame: &[i16]) -> u64 {
    let (vectors, tail) = frame.as_chunks::<16>();
    let low_halves = _mm256_set1_epi64x(0xFFFF_FFFF);
    let mut sums = _mm256_setzero_si256();
    for vector in vectors {
        let samples = load_i16x16(vector);
        // Each 32-bit lane is x0^2 + x1^2 <= 2^31: exact read as unsigned, though `madd`
        // calls it signed. Widen both halves of every 64-bit lane before adding.
        let pairs = _mm256_madd_epi16(samples, samples);
        let low = _mm256_and_si256(pairs, low_halves);
        let high = _mm256_srli_epi64::<32>(pairs);
        sums = _mm256_add_epi64(sums, _mm256_add_epi64(low, high));
    }
    let mut lanes = [0u64; 4];
    store_u64x4(&mut lanes, sums);
    lanes
        .iter()
        .fold(crate::scalar::sum_of_squares(tail), |sum, &lane| {
            sum.wrapping_add(lane)
        })
}
