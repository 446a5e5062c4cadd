//! G.711 without tables: encode through the float exponent, decode by shift-multiply.
//!
//! Encoding needs the position of a magnitude's top bit (the segment) and the four bits
//! below it (the step). Converting the magnitude to `f32` puts exactly those in the float's
//! exponent and the top of its mantissa, so `(bits >> 19) - offset` is `segment << 4 | step`
//! for every lane at once. Decoding shifts each step by its segment; AVX2 has no 16-bit
//! variable shift, so it multiplies by a power of two looked up with `pshufb`.

use core::arch::x86_64::{
    __m256i, _mm256_abs_epi16, _mm256_add_epi16, _mm256_adds_epi16, _mm256_and_si256,
    _mm256_andnot_si256, _mm256_blendv_epi8, _mm256_castps_si256, _mm256_cmpeq_epi16,
    _mm256_cmpgt_epi16, _mm256_cvtepi32_ps, _mm256_cvtepu8_epi16, _mm256_min_epi16,
    _mm256_mullo_epi16, _mm256_or_si256, _mm256_packus_epi16, _mm256_packus_epi32,
    _mm256_permute4x64_epi64, _mm256_set1_epi16, _mm256_set1_epi32, _mm256_setr_epi8,
    _mm256_setzero_si256, _mm256_shuffle_epi8, _mm256_slli_epi16, _mm256_srai_epi16,
    _mm256_srli_epi16, _mm256_srli_epi32, _mm256_sub_epi16, _mm256_sub_epi32,
    _mm256_unpackhi_epi16, _mm256_unpacklo_epi16, _mm256_xor_si256,
};

use super::lanes::{load_i16x16_pair, load_u8x16, store_i16x16, store_u8x32};

/// `(f32 bits >> 19)` of 2^5 is `(127 + 5) << 4`: mu-law segment 0 starts at biased 32.
const ULAW_EXPONENT_OFFSET: i32 = (127 + 5) << 4;
/// A-law segment 1 starts at magnitude 2^5; segment 0 is handled apart.
const ALAW_EXPONENT_OFFSET: i32 = (127 + 4) << 4;

#[target_feature(enable = "avx2")]
pub(super) fn ulaw_encode(out: &mut [u8], pcm: &[i16]) {
    let len = out.len().min(pcm.len());
    let (out, pcm) = (&mut out[..len], &pcm[..len]);
    let (codes, code_tail) = out.as_chunks_mut::<32>();
    let (samples, sample_tail) = pcm.as_chunks::<32>();
    for (codes, samples) in codes.iter_mut().zip(samples) {
        let (first, second) = load_i16x16_pair(samples);
        store_u8x32(codes, narrow_codes(ulaw_codes(first), ulaw_codes(second)));
    }
    crate::scalar::ulaw_encode(code_tail, sample_tail);
}

#[target_feature(enable = "avx2")]
pub(super) fn alaw_encode(out: &mut [u8], pcm: &[i16]) {
    let len = out.len().min(pcm.len());
    let (out, pcm) = (&mut out[..len], &pcm[..len]);
    let (codes, code_tail) = out.as_chunks_mut::<32>();
    let (samples, sample_tail) = pcm.as_chunks::<32>();
    for (codes, samples) in codes.iter_mut().zip(samples) {
        let (first, second) = load_i16x16_pair(samples);
        store_u8x32(codes, narrow_codes(alaw_codes(first), alaw_codes(second)));
    }
    crate::scalar::alaw_encode(code_tail, sample_tail);
}

#[target_feature(enable = "avx2")]
pub(super) fn ulaw_decode(out: &mut [i16], codes: &[u8]) {
    let len = out.len().min(codes.len());
    let (out, codes) = (&mut out[..len], &codes[..len]);
    let (samples, sample_tail) = out.as_chunks_mut::<16>();
    let (code_vectors, code_tail) = codes.as_chunks::<16>();
    let powers_of_two = byte_table([1, 2, 4, 8, 16, 32, 64, 128]);
    for (samples, codes) in samples.iter_mut().zip(code_vectors) {
        let inverted = _mm256_xor_si256(_mm256_cvtepu8_epi16(load_u8x16(codes)), splat(0xFF));
        let segment = _mm256_and_si256(_mm256_srli_epi16::<4>(inverted), splat(0x7));
        let step = _mm256_and_si256(inverted, splat(0xF));
        let biased = _mm256_add_epi16(_mm256_slli_epi16::<3>(step), splat(0x84));
        let scale = lookup(powers_of_two, segment);
        let magnitude = _mm256_sub_epi16(_mm256_mullo_epi16(biased, scale), splat(0x84));
        let negative = _mm256_srai_epi16::<15>(_mm256_slli_epi16::<8>(inverted));
        store_i16x16(samples, negate_where(magnitude, negative));
    }
    crate::scalar::ulaw_decode(sample_tail, code_tail);
}

#[target_feature(enable = "avx2")]
pub(super) fn alaw_decode(out: &mut [i16], codes: &[u8]) {
    let len = out.len().min(codes.len());
    let (out, codes) = (&mut out[..len], &codes[..len]);
    let (samples, sample_tail) = out.as_chunks_mut::<16>();
    let (code_vectors, code_tail) = codes.as_chunks::<16>();
    // Segment s > 0 is shifted by s - 1; segment 0 shares segment 1's step.
    let powers_of_two = byte_table([1, 1, 2, 4, 8, 16, 32, 64]);
    let zero = _mm256_setzero_si256();
    for (samples, codes) in samples.iter_mut().zip(code_vectors) {
        let toggled = _mm256_xor_si256(_mm256_cvtepu8_epi16(load_u8x16(codes)), splat(0x55));
        let segment = _mm256_and_si256(_mm256_srli_epi16::<4>(toggled), splat(0x7));
        let step = _mm256_and_si256(toggled, splat(0xF));
        let centre = _mm256_add_epi16(_mm256_slli_epi16::<4>(step), splat(8));
        let first_segment = _mm256_cmpeq_epi16(segment, zero);
        let centre = _mm256_add_epi16(centre, _mm256_andnot_si256(first_segment, splat(0x100)));
        let magnitude = _mm256_mullo_epi16(centre, lookup(powers_of_two, segment));
        let negative = _mm256_cmpeq_epi16(_mm256_and_si256(toggled, splat(0x80)), zero);
        store_i16x16(samples, negate_where(magnitude, negative));
    }
    crate::scalar::alaw_decode(sample_tail, code_tail);
}

/// Mu-law codes of 16 samples, one per 16-bit lane.
#[inline]
#[target_feature(enable = "avx2")]
fn ulaw_codes(samples: __m256i) -> __m256i {
    // Round to 14 bits as SoX does; the saturating add clips the top values to 8191.
    let narrow = _mm256_srai_epi16::<2>(_mm256_adds_epi16(samples, splat(2)));
    let negative = _mm256_srai_epi16::<15>(narrow);
    let magnitude = _mm256_min_epi16(_mm256_abs_epi16(narrow), splat(0x1FFF - 33));
    let biased = _mm256_add_epi16(magnitude, splat(33));
    let codes = segment_codes(biased, ULAW_EXPONENT_OFFSET);
    let invert = _mm256_xor_si256(splat(0xFF), _mm256_and_si256(negative, splat(0x80)));
    _mm256_xor_si256(codes, invert)
}

/// A-law codes of 16 samples, one per 16-bit lane.
#[inline]
#[target_feature(enable = "avx2")]
fn alaw_codes(samples: __m256i) -> __m256i {
    // Round to 13 bits as SoX does; the saturating add clips the top values to 4095.
    let narrow = _mm256_srai_epi16::<3>(_mm256_adds_epi16(samples, splat(4)));
    let negative = _mm256_srai_epi16::<15>(narrow);
    // Ones' complement of negative values: -1 - x.
    let magnitude = _mm256_xor_si256(narrow, negative);
    let segmented = segment_codes(magnitude, ALAW_EXPONENT_OFFSET);
    let first_segment = _mm256_cmpgt_epi16(splat(32), magnitude);
    let codes = _mm256_blendv_epi8(segmented, _mm256_srli_epi16::<1>(magnitude), first_segment);
    let invert = _mm256_xor_si256(splat(0xD5), _mm256_and_si256(negative, splat(0x80)));
    _mm256_xor_si256(codes, invert)
}

/// `segment << 4 | step` of 16 non-negative magnitudes, read from their `f32` form.
#[inline]
#[target_feature(enable = "avx2")]
fn segment_codes(magnitude: __m256i, exponent_offset: i32) -> __m256i {
    let zero = _mm256_setzero_si256();
    // Unpacking and re-packing within 128-bit lanes returns the lanes to their order.
    let first = float_code(_mm256_unpacklo_epi16(magnitude, zero), exponent_offset);
    let second = float_code(_mm256_unpackhi_epi16(magnitude, zero), exponent_offset);
    _mm256_packus_epi32(first, second)
}

#[inline]
#[target_feature(enable = "avx2")]
fn float_code(magnitude: __m256i, exponent_offset: i32) -> __m256i {
    let bits = _mm256_castps_si256(_mm256_cvtepi32_ps(magnitude));
    _mm256_sub_epi32(
        _mm256_srli_epi32::<19>(bits),
        _mm256_set1_epi32(exponent_offset),
    )
}

/// Packs two vectors of 16 codes into 32 bytes, in order.
#[inline]
#[target_feature(enable = "avx2")]
fn narrow_codes(first: __m256i, second: __m256i) -> __m256i {
    _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packus_epi16(first, second))
}

/// `table[index]` per 16-bit lane, for indexes `0..8`.
#[inline]
#[target_feature(enable = "avx2")]
fn lookup(table: __m256i, index: __m256i) -> __m256i {
    // Setting the high byte's top bit makes `pshufb` write zero there.
    _mm256_shuffle_epi8(table, _mm256_or_si256(index, splat(i16::MIN)))
}

#[inline]
#[target_feature(enable = "avx2")]
fn byte_table(entries: [u8; 8]) -> __m256i {
    let [a, b, c, d, e, f, g, h] = entries.map(|entry| entry as i8);
    #[rustfmt::skip]
    let table = _mm256_setr_epi8(
        a, b, c, d, e, f, g, h, 0, 0, 0, 0, 0, 0, 0, 0,
        a, b, c, d, e, f, g, h, 0, 0, 0, 0, 0, 0, 0, 0,
    );
    table
}

/// `-value` where `negative` is all ones, `value` where it is zero.
#[inline]
#[target_feature(enable = "avx2")]
fn negate_where(value: __m256i, negative: __m256i) -> __m256i {
    _mm256_sub_epi16(_mm256_xor_si256(value, negative), negative)
}

#[inline]
#[target_feature(enable = "avx2")]
fn splat(value: i16) -> __m256i {
    _mm256_set1_epi16(value)
}
