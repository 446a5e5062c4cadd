//! PCM mixing, 8 samples per iteration.

use core::arch::aarch64::{
    vaddw_high_s16, vaddw_s16, vdupq_n_s32, vget_low_s16, vmaxq_s32, vminq_s32, vqmovn_high_s32,
    vqmovn_s32, vqrdmulhq_n_s16, vsubw_high_s16, vsubw_s16,
};

use super::lanes::{load_i16x8, load_i32x4_pair, store_i16x8, store_i32x4_pair};

/// Totals beyond this magnitude saturate whatever is subtracted from them, so clamping to
/// it first keeps the 32-bit subtraction from wrapping without changing any result.
const TOTAL_LIMIT: i32 = 1 << 20;

#[target_feature(enable = "neon")]
pub(super) fn accumulate(acc: &mut [i32], frame: &[i16]) {
    let len = acc.len().min(frame.len());
    let (acc, frame) = (&mut acc[..len], &frame[..len]);
    let (sums, sum_tail) = acc.as_chunks_mut::<8>();
    let (samples, sample_tail) = frame.as_chunks::<8>();
    for (sum, samples) in sums.iter_mut().zip(samples) {
        let samples = load_i16x8(samples);
        let (first, second) = load_i32x4_pair(sum);
        let first = vaddw_s16(first, vget_low_s16(samples));
        let second = vaddw_high_s16(second, samples);
        store_i32x4_pair(sum, first, second);
    }
    crate::scalar::accumulate(sum_tail, sample_tail);
}

#[target_feature(enable = "neon")]
pub(super) fn mix_minus(out: &mut [i16], total: &[i32], own: &[i16]) {
    let len = out.len().min(total.len()).min(own.len());
    let (out, total, own) = (&mut out[..len], &total[..len], &own[..len]);
    let (outs, out_tail) = out.as_chunks_mut::<8>();
    let (totals, total_tail) = total.as_chunks::<8>();
    let (owns, own_tail) = own.as_chunks::<8>();
    let (low, high) = (vdupq_n_s32(-TOTAL_LIMIT), vdupq_n_s32(TOTAL_LIMIT));
    for ((out, total), own) in outs.iter_mut().zip(totals).zip(owns) {
        let own = load_i16x8(own);
        let (first, second) = load_i32x4_pair(total);
        let first = vsubw_s16(vminq_s32(vmaxq_s32(first, low), high), vget_low_s16(own));
        let second = vsubw_high_s16(vminq_s32(vmaxq_s32(second, low), high), own);
        store_i16x8(out, vqmovn_high_s32(vqmovn_s32(first), second));
    }
    crate::scalar::mix_minus(out_tail, total_tail, own_tail);
}

#[target_feature(enable = "neon")]
pub(super) fn saturate(out: &mut [i16], total: &[i32]) {
    let len = out.len().min(total.len());
    let (out, total) = (&mut out[..len], &total[..len]);
    let (outs, out_tail) = out.as_chunks_mut::<8>();
    let (totals, total_tail) = total.as_chunks::<8>();
    for (out, total) in outs.iter_mut().zip(totals) {
        let (first, second) = load_i32x4_pair(total);
        store_i16x8(out, vqmovn_high_s32(vqmovn_s32(first), second));
    }
    crate::scalar::saturate(out_tail, total_tail);
}

#[target_feature(enable = "neon")]
pub(super) fn apply_gain_q15(frame: &mut [i16], gain_q15: i16) {
    let (vectors, tail) = frame.as_chunks_mut::<8>();
    for vector in vectors.iter_mut() {
        // sqrdmulh is (2 * x * g + 2^15) >> 16, saturated: exactly the reference's rounding.
        store_i16x8(vector, vqrdmulhq_n_s16(load_i16x8(vector), gain_q15));
    }
    crate::scalar::apply_gain_q15(tail, gain_q15);
}
