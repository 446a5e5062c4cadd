//! Sum of squares, 32 samples per iteration into eight 64-bit accumulators.

use core::arch::x86_64::{
    _mm512_add_epi64, _mm512_and_si512, _mm512_madd_epi16, _mm512_reduce_add_epi64,
    _mm512_set1_epi64, _mm512_setzero_si512, _mm512_srli_epi64,
};

use super::lanes::load_i16x32;

#[target_feature(enable = "avx2,avx512f,avx512bw")]
pub(super) fn sum_of_squares(frame: &[i16]) -> u64 {
    let (vectors, tail) = frame.as_chunks::<32>();
    let low_halves = _mm512_set1_epi64(0xFFFF_FFFF);
    let mut sums = _mm512_setzero_si512();
    for vector in vectors {
        let samples = load_i16x32(vector);
        // Each 32-bit lane is x0^2 + x1^2 <= 2^31: exact read as unsigned, though `madd`
        // calls it signed. Widen both halves of every 64-bit lane before adding.
        let pairs = _mm512_madd_epi16(samples, samples);
        let low = _mm512_and_si512(pairs, low_halves);
        let high = _mm512_srli_epi64::<32>(pairs);
        sums = _mm512_add_epi64(sums, _mm512_add_epi64(low, high));
    }
    // The lanes hold non-negative sums; reading their wrapping total as u64 is exact.
    let vector_sum = _mm512_reduce_add_epi64(sums) as u64;
    vector_sum.wrapping_add(crate::scalar::sum_of_squares(tail))
}
