//! PCM mixing: 16 (widening, narrowing) or 32 (gain) samples per iteration.

use core::arch::x86_64::{
    __m512i, _mm512_add_epi32, _mm512_castsi512_si256, _mm512_cmpeq_epi16_mask,
    _mm512_cvtepi16_epi32, _mm512_extracti64x4_epi64, _mm512_mask_mov_epi16, _mm512_max_epi32,
    _mm512_min_epi32, _mm512_mulhrs_epi16, _mm512_packs_epi32, _mm512_permutexvar_epi64,
    _mm512_set1_epi16, _mm512_set1_epi32, _mm512_setr_epi64, _mm512_sub_epi32,
};

use super::lanes::{
    load_i16x16, load_i16x16_partial, load_i16x32, load_i32x16, load_i32x16_pair,
    load_i32x16_partial, store_i16x16_saturated_partial, store_i16x32, store_i32x16,
    store_i32x16_partial,
};

/// Totals beyond this magnitude saturate whatever is subtracted from them, so clamping to
/// it first keeps the 32-bit subtraction from wrapping without changing any result.
const TOTAL_LIMIT: i32 = 1 << 20;

#[target_feature(enable = "avx2,avx512f,avx512bw")]
pub(super) fn accumulate(acc: &mut [i32], frame: &[i16]) {
    let len = acc.len().min(frame.len());
    // Peel the elements before the first 64-byte boundary of `acc`, so that every full-width
    // store stays within one cache line.
    let head = acc.as_ptr().align_offset(64).min(len);
    let (acc_head, acc) = acc[..len].split_at_mut(head);
    let (frame_head, frame) = frame[..len].split_at(head);
    accumulate_partial(acc_head, frame_head);
    let (sums, sum_tail) = acc.as_chunks_mut::<16>();
    let (samples, sample_tail) = frame.as_chunks::<16>();
    for (sum, sample) in sums.iter_mut().zip(samples) {
        let widened = _mm512_cvtepi16_epi32(load_i16x16(sample));
        store_i32x16(sum, _mm512_add_epi32(load_i32x16(sum), widened));
    }
    accumulate_partial(sum_tail, sample_tail);
}

/// `accumulate` for fewer than 16 elements (more go to the scalar reference).
#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
fn accumulate_partial(acc: &mut [i32], frame: &[i16]) {
    let len = acc.len().min(frame.len());
    if len >= 16 {
        crate::scalar::accumulate(acc, frame);
    } else if len > 0 {
        let (acc, frame) = (&mut acc[..len], &frame[..len]);
        let widened = _mm512_cvtepi16_epi32(load_i16x16_partial(frame));
        store_i32x16_partial(acc, _mm512_add_epi32(load_i32x16_partial(acc), widened));
    }
}

#[target_feature(enable = "avx2,avx512f,avx512bw")]
pub(super) fn mix_minus(out: &mut [i16], total: &[i32], own: &[i16]) {
    let len = out.len().min(total.len()).min(own.len());
    // Peel the elements before the first 64-byte boundary of `total`, so that every
    // full-width load stays within one cache line.
    let head = total.as_ptr().align_offset(64).min(len);
    let (out_head, out) = out[..len].split_at_mut(head);
    let (total_head, total) = total[..len].split_at(head);
    let (own_head, own) = own[..len].split_at(head);
    mix_minus_partial(out_head, total_head, own_head);
    let (outs, out_tail) = out.as_chunks_mut::<32>();
    let (totals, total_tail) = total.as_chunks::<32>();
    let (owns, own_tail) = own.as_chunks::<32>();
    for ((out, total), own) in outs.iter_mut().zip(totals).zip(owns) {
        let (total_first, total_second) = load_i32x16_pair(total);
        let own = load_i16x32(own);
        let own_first = _mm512_cvtepi16_epi32(_mm512_castsi512_si256(own));
        let own_second = _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64::<1>(own));
        let first = difference(total_first, own_first);
        let second = difference(total_second, own_second);
        store_i16x32(out, narrow_saturating(first, second));
    }
    mix_minus_partial(out_tail, total_tail, own_tail);
}

/// `mix_minus` for fewer than 32 elements (more go to the scalar reference).
#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
fn mix_minus_partial(out: &mut [i16], total: &[i32], own: &[i16]) {
    let len = out.len().min(total.len()).min(own.len());
    if len > 32 {
        crate::scalar::mix_minus(out, total, own);
        return;
    }
    let (out, total, own) = (&mut out[..len], &total[..len], &own[..len]);
    for ((out, total), own) in out.chunks_mut(16).zip(total.chunks(16)).zip(own.chunks(16)) {
        let own = _mm512_cvtepi16_epi32(load_i16x16_partial(own));
        let difference = difference(load_i32x16_partial(total), own);
        store_i16x16_saturated_partial(out, difference);
    }
}

/// `total - own` per 32-bit lane, exact wherever the result is then saturated to i16.
#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
fn difference(total: __m512i, own: __m512i) -> __m512i {
    let clamped = _mm512_min_epi32(
        _mm512_max_epi32(total, _mm512_set1_epi32(-TOTAL_LIMIT)),
        _mm512_set1_epi32(TOTAL_LIMIT),
    );
    _mm512_sub_epi32(clamped, own)
}

#[target_feature(enable = "avx2,avx512f,avx512bw")]
pub(super) fn saturate(out: &mut [i16], total: &[i32]) {
    let len = out.len().min(total.len());
    // Peel the elements before the first 64-byte boundary of `total`, as in `mix_minus`.
    let head = total.as_ptr().align_offset(64).min(len);
    let (out_head, out) = out[..len].split_at_mut(head);
    let (total_head, total) = total[..len].split_at(head);
    saturate_partial(out_head, total_head);
    let (outs, out_tail) = out.as_chunks_mut::<32>();
    let (totals, total_tail) = total.as_chunks::<32>();
    for (out, total) in outs.iter_mut().zip(totals) {
        let (first, second) = load_i32x16_pair(total);
        store_i16x32(out, narrow_saturating(first, second));
    }
    saturate_partial(out_tail, total_tail);
}

/// `saturate` for fewer than 32 elements (more go to the scalar reference).
#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
fn saturate_partial(out: &mut [i16], total: &[i32]) {
    let len = out.len().min(total.len());
    if len > 32 {
        crate::scalar::saturate(out, total);
        return;
    }
    for (out, total) in out[..len].chunks_mut(16).zip(total[..len].chunks(16)) {
        store_i16x16_saturated_partial(out, load_i32x16_partial(total));
    }
}

/// Narrows 16 + 16 sums to 32 saturated samples, in order.
#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
fn narrow_saturating(first: __m512i, second: __m512i) -> __m512i {
    // `packs` works per 128-bit lane, leaving 64-bit groups of four samples in the order
    // first 0, second 0, first 1, second 1, ...; the permutation restores it.
    let order = _mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7);
    _mm512_permutexvar_epi64(order, _mm512_packs_epi32(first, second))
}

#[target_feature(enable = "avx2,avx512f,avx512bw")]
pub(super) fn apply_gain_q15(frame: &mut [i16], gain_q15: i16) {
    let (vectors, tail) = frame.as_chunks_mut::<32>();
    let gain = _mm512_set1_epi16(gain_q15);
    let most_negative = _mm512_set1_epi16(i16::MIN);
    let most_positive = _mm512_set1_epi16(i16::MAX);
    // `mulhrs` computes (x * g + 0x4000) >> 15 but wraps the one overflowing product,
    // -32768 * -32768, to -32768; those lanes are set to 32767 instead.
    let overflow_possible: u32 = if gain_q15 == i16::MIN { u32::MAX } else { 0 };
    for vector in vectors.iter_mut() {
        let samples = load_i16x32(vector);
        let scaled = _mm512_mulhrs_epi16(samples, gain);
        let overflowed = _mm512_cmpeq_epi16_mask(samples, most_negative) & overflow_possible;
        store_i16x32(
            vector,
            _mm512_mask_mov_epi16(scaled, overflowed, most_positive),
        );
    }
    crate::scalar::apply_gain_q15(tail, gain_q15);
}
