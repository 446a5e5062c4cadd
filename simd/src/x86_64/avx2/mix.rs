//! PCM mixing: 8 (accumulate) or 16 (narrowing, gain) samples per iteration.

use core::arch::x86_64::{
    __m256i, _mm256_add_epi32, _mm256_and_si256, _mm256_castsi256_si128, _mm256_cmpeq_epi16,
    _mm256_cvtepi16_epi32, _mm256_extracti128_si256, _mm256_max_epi32, _mm256_min_epi32,
    _mm256_mulhrs_epi16, _mm256_packs_epi32, _mm256_permute4x64_epi64, _mm256_set1_epi16,
    _mm256_set1_epi32, _mm256_sub_epi32, _mm256_xor_si256,
};

use super::lanes::{
    load_i16x16, load_i16x8, load_i32x8, load_i32x8_pair, store_i16x16, store_i32x8,
};

/// Totals beyond this magnitude saturate whatever is subtracted from them, so clamping to
/// it first keeps the 32-bit subtraction from wrapping without changing any result.
const TOTAL_LIMIT: i32 = 1 << 20;

#[target_feature(enable = "avx2")]
pub(super) fn accumulate(acc: &mut [i32], frame: &[i16]) {
    let len = acc.len().min(frame.len());
    // Peel the elements before the first 32-byte boundary of `acc`, so that every
    // full-width store stays within one cache line.
    let head = acc.as_ptr().align_offset(32).min(len);
    let (acc_head, acc) = acc[..len].split_at_mut(head);
    let (frame_head, frame) = frame[..len].split_at(head);
    crate::scalar::accumulate(acc_head, frame_head);
    let (sums, sum_tail) = acc.as_chunks_mut::<8>();
    let (samples, sample_tail) = frame.as_chunks::<8>();
    for (sum, sample) in sums.iter_mut().zip(samples) {
        let widened = _mm256_cvtepi16_epi32(load_i16x8(sample));
        store_i32x8(sum, _mm256_add_epi32(load_i32x8(sum), widened));
    }
    crate::scalar::accumulate(sum_tail, sample_tail);
}

#[target_feature(enable = "avx2")]
pub(super) fn mix_minus(out: &mut [i16], total: &[i32], own: &[i16]) {
    let len = out.len().min(total.len()).min(own.len());
    // Peel the elements before the first 32-byte boundary of `total`, so that every
    // full-width load stays within one cache line.
    let head = total.as_ptr().align_offset(32).min(len);
    let (out_head, out) = out[..len].split_at_mut(head);
    let (total_head, total) = total[..len].split_at(head);
    let (own_head, own) = own[..len].split_at(head);
    crate::scalar::mix_minus(out_head, total_head, own_head);
    let (outs, out_tail) = out.as_chunks_mut::<16>();
    let (totals, total_tail) = total.as_chunks::<16>();
    let (owns, own_tail) = own.as_chunks::<16>();
    let (low, high) = (
        _mm256_set1_epi32(-TOTAL_LIMIT),
        _mm256_set1_epi32(TOTAL_LIMIT),
    );
    for ((out, total), own) in outs.iter_mut().zip(totals).zip(owns) {
        let (total_first, total_second) = load_i32x8_pair(total);
        let own = load_i16x16(own);
        let own_first = _mm256_cvtepi16_epi32(_mm256_castsi256_si128(own));
        let own_second = _mm256_cvtepi16_epi32(_mm256_extracti128_si256::<1>(own));
        let first = _mm256_min_epi32(_mm256_max_epi32(total_first, low), high);
        let second = _mm256_min_epi32(_mm256_max_epi32(total_second, low), high);
        let first = _mm256_sub_epi32(first, own_first);
        let second = _mm256_sub_epi32(second, own_second);
        store_i16x16(out, narrow_saturating(first, second));
    }
    crate::scalar::mix_minus(out_tail, total_tail, own_tail);
}

#[target_feature(enable = "avx2")]
pub(super) fn saturate(out: &mut [i16], total: &[i32]) {
    let len = out.len().min(total.len());
    // Peel the elements before the first 32-byte boundary of `total`, as in `mix_minus`.
    let head = total.as_ptr().align_offset(32).min(len);
    let (out_head, out) = out[..len].split_at_mut(head);
    let (total_head, total) = total[..len].split_at(head);
    crate::scalar::saturate(out_head, total_head);
    let (outs, out_tail) = out.as_chunks_mut::<16>();
    let (totals, total_tail) = total.as_chunks::<16>();
    for (out, total) in outs.iter_mut().zip(totals) {
        let (first, second) = load_i32x8_pair(total);
        store_i16x16(out, narrow_saturating(first, second));
    }
    crate::scalar::saturate(out_tail, total_tail);
}

#[target_feature(enable = "avx2")]
pub(super) fn apply_gain_q15(frame: &mut [i16], gain_q15: i16) {
    let (vectors, tail) = frame.as_chunks_mut::<16>();
    let gain = _mm256_set1_epi16(gain_q15);
    let most_negative = _mm256_set1_epi16(i16::MIN);
    // `mulhrs` computes (x * g + 0x4000) >> 15 but wraps the one overflowing product,
    // -32768 * -32768, to -32768; flipping every bit of those lanes gives 32767.
    let overflow_possible = _mm256_set1_epi16(if gain_q15 == i16::MIN { -1 } else { 0 });
    for vector in vectors.iter_mut() {
        let samples = load_i16x16(vector);
        let scaled = _mm256_mulhrs_epi16(samples, gain);
        let overflowed = _mm256_and_si256(
            _mm256_cmpeq_epi16(samples, most_negative),
            overflow_possible,
        );
        store_i16x16(vector, _mm256_xor_si256(scaled, overflowed));
    }
    crate::scalar::apply_gain_q15(tail, gain_q15);
}

/// Narrows 8 + 8 sums to 16 saturated samples, in order.
#[inline]
#[target_feature(enable = "avx2")]
fn narrow_saturating(first: __m256i, second: __m256i) -> __m256i {
    // `packs` interleaves 128-bit lanes: [first 0..4, second 0..4, first 4..8, second 4..8];
    // the permutation restores the order.
    _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packs_epi32(first, second))
}
