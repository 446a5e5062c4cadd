//! G.711 without tables, 8 samples per iteration.
//!
//! Encoding finds each magnitude's segment with count-leading-zeros and shifts its four
//! step bits down with a per-lane shift; decoding shifts each step back up by its segment.

use core::arch::aarch64::{
    int16x8_t, uint8x8_t, vabsq_s16, vaddq_s16, vandq_s16, vbslq_s16, vcltq_s16, vclzq_s16,
    vdupq_n_s16, veorq_s16, vminq_s16, vmovl_u8, vmovn_u16, vnegq_s16, vorrq_s16, vqaddq_s16,
    vreinterpretq_s16_u16, vreinterpretq_u16_s16, vshlq_n_s16, vshlq_s16, vshrq_n_s16, vsubq_s16,
    vtstq_s16,
};

use super::lanes::{load_i16x8, load_u8x8, store_i16x8, store_u8x8};

#[target_feature(enable = "neon")]
pub(super) fn ulaw_encode(out: &mut [u8], pcm: &[i16]) {
    let len = out.len().min(pcm.len());
    let (out, pcm) = (&mut out[..len], &pcm[..len]);
    let (codes, code_tail) = out.as_chunks_mut::<8>();
    let (samples, sample_tail) = pcm.as_chunks::<8>();
    for (codes, samples) in codes.iter_mut().zip(samples) {
        store_u8x8(codes, narrow_codes(ulaw_codes(load_i16x8(samples))));
    }
    crate::scalar::ulaw_encode(code_tail, sample_tail);
}

#[target_feature(enable = "neon")]
pub(super) fn alaw_encode(out: &mut [u8], pcm: &[i16]) {
    let len = out.len().min(pcm.len());
    let (out, pcm) = (&mut out[..len], &pcm[..len]);
    let (codes, code_tail) = out.as_chunks_mut::<8>();
    let (samples, sample_tail) = pcm.as_chunks::<8>();
    for (codes, samples) in codes.iter_mut().zip(samples) {
        store_u8x8(codes, narrow_codes(alaw_codes(load_i16x8(samples))));
    }
    crate::scalar::alaw_encode(code_tail, sample_tail);
}

#[target_feature(enable = "neon")]
pub(super) fn ulaw_decode(out: &mut [i16], codes: &[u8]) {
    let len = out.len().min(codes.len());
    let (out, codes) = (&mut out[..len], &codes[..len]);
    let (samples, sample_tail) = out.as_chunks_mut::<8>();
    let (code_vectors, code_tail) = codes.as_chunks::<8>();
    for (samples, codes) in samples.iter_mut().zip(code_vectors) {
        let inverted = veorq_s16(widen(load_u8x8(codes)), splat(0xFF));
        let segment = vandq_s16(vshrq_n_s16::<4>(inverted), splat(0x7));
        let step = vandq_s16(inverted, splat(0xF));
        let biased = vaddq_s16(vshlq_n_s16::<3>(step), splat(0x84));
        let magnitude = vsubq_s16(vshlq_s16(biased, segment), splat(0x84));
        let negative = vtstq_s16(inverted, splat(0x80));
        store_i16x8(
            samples,
            vbslq_s16(negative, vnegq_s16(magnitude), magnitude),
        );
    }
    crate::scalar::ulaw_decode(sample_tail, code_tail);
}

#[target_feature(enable = "neon")]
pub(super) fn alaw_decode(out: &mut [i16], codes: &[u8]) {
    let len = out.len().min(codes.len());
    let (out, codes) = (&mut out[..len], &codes[..len]);
    let (samples, sample_tail) = out.as_chunks_mut::<8>();
    let (code_vectors, code_tail) = codes.as_chunks::<8>();
    for (samples, codes) in samples.iter_mut().zip(code_vectors) {
        let toggled = veorq_s16(widen(load_u8x8(codes)), splat(0x55));
        let segment = vandq_s16(vshrq_n_s16::<4>(toggled), splat(0x7));
        let step = vandq_s16(toggled, splat(0xF));
        let centre = vaddq_s16(vshlq_n_s16::<4>(step), splat(8));
        // Segment s > 0 adds the segment's base and is shifted by s - 1.
        let upper_segment = vreinterpretq_s16_u16(vtstq_s16(segment, segment));
        let centre = vaddq_s16(centre, vandq_s16(upper_segment, splat(0x100)));
        // upper_segment is -1 exactly where segment > 0.
        let shift = vaddq_s16(segment, upper_segment);
        let magnitude = vshlq_s16(centre, shift);
        let positive = vtstq_s16(toggled, splat(0x80));
        store_i16x8(
            samples,
            vbslq_s16(positive, magnitude, vnegq_s16(magnitude)),
        );
    }
    crate::scalar::alaw_decode(sample_tail, code_tail);
}

/// Mu-law codes of 8 samples, one per 16-bit lane.
#[inline]
#[target_feature(enable = "neon")]
fn ulaw_codes(samples: int16x8_t) -> int16x8_t {
    // Round to 14 bits as SoX does; the saturating add clips the top values to 8191.
    let narrow = vshrq_n_s16::<2>(vqaddq_s16(samples, splat(2)));
    let negative = vshrq_n_s16::<15>(narrow);
    let magnitude = vminq_s16(vabsq_s16(narrow), splat(0x1FFF - 33));
    let biased = vaddq_s16(magnitude, splat(33));
    // biased is 33..=8191: its top bit is bit 15 - clz, from 5 (segment 0) to 12.
    let leading_zeros = vclzq_s16(biased);
    let segment = vsubq_s16(splat(10), leading_zeros);
    let step = vandq_s16(
        vshlq_s16(biased, vsubq_s16(leading_zeros, splat(11))),
        splat(0xF),
    );
    let codes = vorrq_s16(vshlq_n_s16::<4>(segment), step);
    let invert = veorq_s16(splat(0xFF), vandq_s16(negative, splat(0x80)));
    veorq_s16(codes, invert)
}

/// A-law codes of 8 samples, one per 16-bit lane.
#[inline]
#[target_feature(enable = "neon")]
fn alaw_codes(samples: int16x8_t) -> int16x8_t {
    // Round to 13 bits as SoX does; the saturating add clips the top values to 4095.
    let narrow = vshrq_n_s16::<3>(vqaddq_s16(samples, splat(4)));
    let negative = vshrq_n_s16::<15>(narrow);
    // Ones' complement of negative values: -1 - x.
    let magnitude = veorq_s16(narrow, negative);
    // For magnitudes from 32 up, the top bit is bit 15 - clz, from 5 (segment 1) to 11.
    let leading_zeros = vclzq_s16(magnitude);
    let segment = vsubq_s16(splat(11), leading_zeros);
    let step = vandq_s16(
        vshlq_s16(magnitude, vsubq_s16(leading_zeros, splat(11))),
        splat(0xF),
    );
    let segmented = vorrq_s16(vshlq_n_s16::<4>(segment), step);
    let first_segment = vcltq_s16(magnitude, splat(32));
    let codes = vbslq_s16(first_segment, vshrq_n_s16::<1>(magnitude), segmented);
    let invert = veorq_s16(splat(0xD5), vandq_s16(negative, splat(0x80)));
    veorq_s16(codes, invert)
}

/// The low byte of each 16-bit lane.
#[inline]
#[target_feature(enable = "neon")]
fn narrow_codes(codes: int16x8_t) -> uint8x8_t {
    vmovn_u16(vreinterpretq_u16_s16(codes))
}

#[inline]
#[target_feature(enable = "neon")]
fn widen(codes: uint8x8_t) -> int16x8_t {
    vreinterpretq_s16_u16(vmovl_u8(codes))
}

#[inline]
#[target_feature(enable = "neon")]
fn splat(value: i16) -> int16x8_t {
    vdupq_n_s16(value)
}
