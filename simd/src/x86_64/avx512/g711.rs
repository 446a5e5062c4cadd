//! G.711 without tables: encode through the float exponent, decode by variable shifts.
//!
//! Encoding works on 32-bit lanes: converting a magnitude to `f32` puts its segment (the
//! top bit's position) in the exponent and its step (the four bits below) at the top of the
//! mantissa, so `(bits >> 19) - offset` is `segment << 4 | step`. Decoding works on 16-bit
//! lanes with AVX-512 BW's per-lane shifts.

use core::arch::x86_64::{
    __m256i, __m512i, _mm512_abs_epi32, _mm512_add_epi16, _mm512_add_epi32, _mm512_and_si512,
    _mm512_castps_si512, _mm512_cmplt_epi32_mask, _mm512_cvtepi16_epi32, _mm512_cvtepi32_epi8,
    _mm512_cvtepi32_ps, _mm512_cvtepu8_epi16, _mm512_mask_add_epi16, _mm512_mask_blend_epi32,
    _mm512_mask_sub_epi16, _mm512_min_epi32, _mm512_set1_epi16, _mm512_set1_epi32,
    _mm512_setzero_si512, _mm512_slli_epi16, _mm512_sllv_epi16, _mm512_srai_epi32,
    _mm512_srli_epi16, _mm512_srli_epi32, _mm512_sub_epi16, _mm512_sub_epi32, _mm512_subs_epu16,
    _mm512_test_epi16_mask, _mm512_testn_epi16_mask, _mm512_xor_si512,
};

use super::lanes::{load_i16x16, load_u8x32, store_i16x32, store_u8x16};

/// `(f32 bits >> 19)` of 2^5 is `(127 + 5) << 4`: mu-law segment 0 starts at biased 32.
const ULAW_EXPONENT_OFFSET: i32 = (127 + 5) << 4;
/// A-law segment 1 starts at magnitude 2^5; segment 0 is handled apart.
const ALAW_EXPONENT_OFFSET: i32 = (127 + 4) << 4;

#[target_feature(enable = "avx2,avx512f,avx512bw")]
pub(super) fn ulaw_encode(out: &mut [u8], pcm: &[i16]) {
    let len = out.len().min(pcm.len());
    let (out, pcm) = (&mut out[..len], &pcm[..len]);
    let (codes, code_tail) = out.as_chunks_mut::<16>();
    let (samples, sample_tail) = pcm.as_chunks::<16>();
    for (codes, samples) in codes.iter_mut().zip(samples) {
        store_u8x16(
            codes,
            _mm512_cvtepi32_epi8(ulaw_codes(load_i16x16(samples))),
        );
    }
    crate::scalar::ulaw_encode(code_tail, sample_tail);
}

#[target_feature(enable = "avx2,avx512f,avx512bw")]
pub(super) fn alaw_encode(out: &mut [u8], pcm: &[i16]) {
    let len = out.len().min(pcm.len());
    let (out, pcm) = (&mut out[..len], &pcm[..len]);
    let (codes, code_tail) = out.as_chunks_mut::<16>();
    let (samples, sample_tail) = pcm.as_chunks::<16>();
    for (codes, samples) in codes.iter_mut().zip(samples) {
        store_u8x16(
            codes,
            _mm512_cvtepi32_epi8(alaw_codes(load_i16x16(samples))),
        );
    }
    crate::scalar::alaw_encode(code_tail, sample_tail);
}

#[target_feature(enable = "avx2,avx512f,avx512bw")]
pub(super) fn ulaw_decode(out: &mut [i16], codes: &[u8]) {
    let len = out.len().min(codes.len());
    let (out, codes) = (&mut out[..len], &codes[..len]);
    let (samples, sample_tail) = out.as_chunks_mut::<32>();
    let (code_vectors, code_tail) = codes.as_chunks::<32>();
    let zero = _mm512_setzero_si512();
    for (samples, codes) in samples.iter_mut().zip(code_vectors) {
        let inverted = _mm512_xor_si512(_mm512_cvtepu8_epi16(load_u8x32(codes)), splat(0xFF));
        let segment = _mm512_and_si512(_mm512_srli_epi16::<4>(inverted), splat(0x7));
        let step = _mm512_and_si512(inverted, splat(0xF));
        let biased = _mm512_add_epi16(_mm512_slli_epi16::<3>(step), splat(0x84));
        let magnitude = _mm512_sub_epi16(_mm512_sllv_epi16(biased, segment), splat(0x84));
        let negative = _mm512_test_epi16_mask(inverted, splat(0x80));
        store_i16x32(
            samples,
            _mm512_mask_sub_epi16(magnitude, negative, zero, magnitude),
        );
    }
    crate::scalar::ulaw_decode(sample_tail, code_tail);
}

#[target_feature(enable = "avx2,avx512f,avx512bw")]
pub(super) fn alaw_decode(out: &mut [i16], codes: &[u8]) {
    let len = out.len().min(codes.len());
    let (out, codes) = (&mut out[..len], &codes[..len]);
    let (samples, sample_tail) = out.as_chunks_mut::<32>();
    let (code_vectors, code_tail) = codes.as_chunks::<32>();
    let zero = _mm512_setzero_si512();
    for (samples, codes) in samples.iter_mut().zip(code_vectors) {
        let toggled = _mm512_xor_si512(_mm512_cvtepu8_epi16(load_u8x32(codes)), splat(0x55));
        let segment = _mm512_and_si512(_mm512_srli_epi16::<4>(toggled), splat(0x7));
        let step = _mm512_and_si512(toggled, splat(0xF));
        let centre = _mm512_add_epi16(_mm512_slli_epi16::<4>(step), splat(8));
        // Segment s > 0 adds the segment's base and is shifted by s - 1.
        let upper_segment = _mm512_test_epi16_mask(segment, segment);
        let centre = _mm512_mask_add_epi16(centre, upper_segment, centre, splat(0x100));
        let shift = _mm512_subs_epu16(segment, splat(1));
        let magnitude = _mm512_sllv_epi16(centre, shift);
        let negative = _mm512_testn_epi16_mask(toggled, splat(0x80));
        store_i16x32(
            samples,
            _mm512_mask_sub_epi16(magnitude, negative, zero, magnitude),
        );
    }
    crate::scalar::alaw_decode(sample_tail, code_tail);
}

/// Mu-law codes of 16 samples, one per 32-bit lane.
#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
fn ulaw_codes(samples: __m256i) -> __m512i {
    let wide = _mm512_cvtepi16_epi32(samples);
    // Round to 14 bits as SoX does, clipping the top values to 8191.
    let narrow = _mm512_srai_epi32::<2>(_mm512_add_epi32(wide, _mm512_set1_epi32(2)));
    let narrow = _mm512_min_epi32(narrow, _mm512_set1_epi32(0x1FFF));
    let magnitude = _mm512_min_epi32(_mm512_abs_epi32(narrow), _mm512_set1_epi32(0x1FFF - 33));
    let biased = _mm512_add_epi32(magnitude, _mm512_set1_epi32(33));
    let codes = float_code(biased, ULAW_EXPONENT_OFFSET);
    let negative = _mm512_srai_epi32::<31>(narrow);
    let invert = _mm512_xor_si512(
        _mm512_set1_epi32(0xFF),
        _mm512_and_si512(negative, _mm512_set1_epi32(0x80)),
    );
    _mm512_xor_si512(codes, invert)
}

/// A-law codes of 16 samples, one per 32-bit lane.
#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
fn alaw_codes(samples: __m256i) -> __m512i {
    let wide = _mm512_cvtepi16_epi32(samples);
    // Round to 13 bits as SoX does, clipping the top values to 4095.
    let narrow = _mm512_srai_epi32::<3>(_mm512_add_epi32(wide, _mm512_set1_epi32(4)));
    let narrow = _mm512_min_epi32(narrow, _mm512_set1_epi32(0xFFF));
    let negative = _mm512_srai_epi32::<31>(narrow);
    // Ones' complement of negative values: -1 - x.
    let magnitude = _mm512_xor_si512(narrow, negative);
    let segmented = float_code(magnitude, ALAW_EXPONENT_OFFSET);
    let first_segment = _mm512_cmplt_epi32_mask(magnitude, _mm512_set1_epi32(32));
    let codes =
        _mm512_mask_blend_epi32(first_segment, segmented, _mm512_srli_epi32::<1>(magnitude));
    let invert = _mm512_xor_si512(
        _mm512_set1_epi32(0xD5),
        _mm512_and_si512(negative, _mm512_set1_epi32(0x80)),
    );
    _mm512_xor_si512(codes, invert)
}

#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
fn float_code(magnitude: __m512i, exponent_offset: i32) -> __m512i {
    let bits = _mm512_castps_si512(_mm512_cvtepi32_ps(magnitude));
    _mm512_sub_epi32(
        _mm512_srli_epi32::<19>(bits),
        _mm512_set1_epi32(exponent_offset),
    )
}

#[inline]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
fn splat(value: i16) -> __m512i {
    _mm512_set1_epi16(value)
}
