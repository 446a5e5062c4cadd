//! Sixteen HMAC-SHA1 messages at once with AVX-512 F: one message per 32-bit lane, blocks
//! transposed so that each register holds the same message word of all sixteen.

use core::arch::x86_64::*;

use super::super::{HmacSha1Job, BLOCK};
use super::LaneGroup;

const LANES: usize = 16;

/// Lane-wise operations for [`super::sha1_rounds`].
mod ops {
    use core::arch::x86_64::*;

    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) fn splat(x: i32) -> __m512i {
        _mm512_set1_epi32(x)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) fn add5(a: __m512i, b: __m512i, c: __m512i, d: __m512i, e: __m512i) -> __m512i {
        _mm512_add_epi32(
            _mm512_add_epi32(a, b),
            _mm512_add_epi32(_mm512_add_epi32(c, d), e),
        )
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) fn xor4(a: __m512i, b: __m512i, c: __m512i, d: __m512i) -> __m512i {
        _mm512_ternarylogic_epi32::<0x96>(a, b, _mm512_xor_si512(c, d))
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) fn choose(b: __m512i, c: __m512i, d: __m512i) -> __m512i {
        _mm512_ternarylogic_epi32::<0xca>(b, c, d)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) fn majority(b: __m512i, c: __m512i, d: __m512i) -> __m512i {
        _mm512_ternarylogic_epi32::<0xe8>(b, c, d)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) fn parity(b: __m512i, c: __m512i, d: __m512i) -> __m512i {
        _mm512_ternarylogic_epi32::<0x96>(b, c, d)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) fn rotl1(x: __m512i) -> __m512i {
        _mm512_rol_epi32::<1>(x)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) fn rotl5(x: __m512i) -> __m512i {
        _mm512_rol_epi32::<5>(x)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) fn rotl30(x: __m512i) -> __m512i {
        _mm512_rol_epi32::<30>(x)
    }
}

/// One SHA-1 compression of sixteen lanes.
#[inline]
#[target_feature(enable = "avx512f")]
fn compress(state: [__m512i; 5], mut w: [__m512i; 16]) -> [__m512i; 5] {
    let [mut a, mut b, mut c, mut d, mut e] = state;
    super::all_sha1_rounds!(ops, w, a, b, c, d, e);
    [
        _mm512_add_epi32(state[0], a),
        _mm512_add_epi32(state[1], b),
        _mm512_add_epi32(state[2], c),
        _mm512_add_epi32(state[3], d),
        _mm512_add_epi32(state[4], e),
    ]
}

/// Turns sixteen 64-byte rows (one block per lane) into sixteen registers of message words,
/// each big-endian word converted to a number.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn transpose(rows: [__m512i; 16]) -> [__m512i; 16] {
    let swap = _mm512_broadcast_i32x4(_mm_set_epi8(
        12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3,
    ));
    // Plain loops, not closures: a closure would not inherit this function's target features.
    let mut r = rows;
    for row in r.iter_mut() {
        *row = _mm512_shuffle_epi8(*row, swap);
    }
    let mut out = [_mm512_setzero_si512(); 16];
    for g in 0..4 {
        // Rows 4g..4g+3: after two unpack stages, register m holds in its 128-bit lane k
        // word 4k+m of those four rows.
        let t0 = _mm512_unpacklo_epi32(r[4 * g], r[4 * g + 1]);
        let t1 = _mm512_unpackhi_epi32(r[4 * g], r[4 * g + 1]);
        let t2 = _mm512_unpacklo_epi32(r[4 * g + 2], r[4 * g + 3]);
        let t3 = _mm512_unpackhi_epi32(r[4 * g + 2], r[4 * g + 3]);
        out[4 * g] = _mm512_unpacklo_epi64(t0, t2);
        out[4 * g + 1] = _mm512_unpackhi_epi64(t0, t2);
        out[4 * g + 2] = _mm512_unpacklo_epi64(t1, t3);
        out[4 * g + 3] = _mm512_unpackhi_epi64(t1, t3);
    }
    let mut words = [_mm512_setzero_si512(); 16];
    for m in 0..4 {
        // Gather lane k of the four groups' register m: that is word 4k+m of all 16 rows.
        let (v0, v1, v2, v3) = (out[m], out[4 + m], out[8 + m], out[12 + m]);
        let a = _mm512_shuffle_i32x4::<0x44>(v0, v1);
        let b = _mm512_shuffle_i32x4::<0xee>(v0, v1);
        let c = _mm512_shuffle_i32x4::<0x44>(v2, v3);
        let d = _mm512_shuffle_i32x4::<0xee>(v2, v3);
        words[m] = _mm512_shuffle_i32x4::<0x88>(a, c);
        words[4 + m] = _mm512_shuffle_i32x4::<0xdd>(a, c);
        words[8 + m] = _mm512_shuffle_i32x4::<0x88>(b, d);
        words[12 + m] = _mm512_shuffle_i32x4::<0xdd>(b, d);
    }
    words
}

#[inline]
#[target_feature(enable = "avx512f")]
fn load_words(words: &[[u32; LANES]; 5]) -> [__m512i; 5] {
    let mut state = [_mm512_setzero_si512(); 5];
    for (v, row) in state.iter_mut().zip(words) {
        // SAFETY: each row is 16 u32s = 64 readable bytes; the load is unaligned.
        *v = unsafe { _mm512_loadu_si512(row.as_ptr().cast::<__m512i>()) };
    }
    state
}

#[inline]
#[target_feature(enable = "avx512f")]
fn store_words(state: [__m512i; 5]) -> [[u32; LANES]; 5] {
    let mut words = [[0u32; LANES]; 5];
    for (row, v) in words.iter_mut().zip(state) {
        // SAFETY: each row is 16 u32s = 64 writable bytes; the store is unaligned.
        unsafe { _mm512_storeu_si512(row.as_mut_ptr().cast::<__m512i>(), v) };
    }
    words
}

/// # Safety
/// The CPU must have AVX-512 F and BW.
#[target_feature(enable = "avx512f,avx512bw")]
pub(in super::super) unsafe fn hmac_batch_avx512(jobs: &[HmacSha1Job<'_>], tags: &mut [[u8; 20]]) {
    for (jobs, tags) in jobs.chunks(LANES).zip(tags.chunks_mut(LANES)) {
        hmac_group(jobs, tags);
    }
}

#[target_feature(enable = "avx512f,avx512bw")]
fn hmac_group(jobs: &[HmacSha1Job<'_>], tags: &mut [[u8; 20]]) {
    let group = LaneGroup::<LANES>::new(jobs);
    let mut scratch = [[0u8; BLOCK]; LANES];
    let mut state = load_words(&group.inner);
    for index in 0..group.max_blocks() {
        let mut rows = [_mm512_setzero_si512(); LANES];
        let mut active: u16 = 0;
        for lane in 0..group.lanes {
            if index < group.blocks[lane] {
                active |= 1 << lane;
                let block = group.streams[lane].block_ref(index, &mut scratch[lane]);
                // SAFETY: `block` is 64 readable bytes; the load is unaligned.
                rows[lane] = unsafe { _mm512_loadu_si512(block.as_ptr().cast::<__m512i>()) };
            }
        }
        let next = compress(state, transpose(rows));
        for (s, n) in state.iter_mut().zip(next) {
            *s = _mm512_mask_mov_epi32(*s, active, n);
        }
    }
    // The outer hash's single block: the inner digest, 0x80, zeros, length 64 + 20 bytes.
    let mut w = [_mm512_setzero_si512(); 16];
    w[..5].copy_from_slice(&state);
    w[5] = _mm512_set1_epi32(0x8000_0000_u32 as i32);
    w[15] = _mm512_set1_epi32((BLOCK + 20) as i32 * 8);
    let digest = compress(load_words(&group.outer), w);
    group.write_tags(&store_words(digest), tags);
}
