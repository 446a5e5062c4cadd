//! Eight HMAC-SHA1 messages at once with AVX2: one message per 32-bit lane, each block
//! transposed as two 8x8 word matrices.

use core::arch::x86_64::*;

use super::super::{HmacSha1Job, BLOCK};
use super::LaneGroup;

const LANES: usize = 8;

/// Lane-wise operations for [`super::sha1_rounds`].
mod ops {
    use core::arch::x86_64::*;

    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) fn splat(x: i32) -> __m256i {
        _mm256_set1_epi32(x)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) fn add5(a: __m256i, b: __m256i, c: __m256i, d: __m256i, e: __m256i) -> __m256i {
        _mm256_add_epi32(
            _mm256_add_epi32(a, b),
            _mm256_add_epi32(_mm256_add_epi32(c, d), e),
        )
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) fn xor4(a: __m256i, b: __m256i, c: __m256i, d: __m256i) -> __m256i {
        _mm256_xor_si256(_mm256_xor_si256(a, b), _mm256_xor_si256(c, d))
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) fn choose(b: __m256i, c: __m256i, d: __m256i) -> __m256i {
        // d ^ (b & (c ^ d))
        _mm256_xor_si256(d, _mm256_and_si256(b, _mm256_xor_si256(c, d)))
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) fn majority(b: __m256i, c: __m256i, d: __m256i) -> __m256i {
        // (b & c) | (d & (b | c))
        _mm256_or_si256(
            _mm256_and_si256(b, c),
            _mm256_and_si256(d, _mm256_or_si256(b, c)),
        )
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) fn parity(b: __m256i, c: __m256i, d: __m256i) -> __m256i {
        _mm256_xor_si256(_mm256_xor_si256(b, c), d)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) fn rotl1(x: __m256i) -> __m256i {
        _mm256_or_si256(_mm256_slli_epi32::<1>(x), _mm256_srli_epi32::<31>(x))
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) fn rotl5(x: __m256i) -> __m256i {
        _mm256_or_si256(_mm256_slli_epi32::<5>(x), _mm256_srli_epi32::<27>(x))
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) fn rotl30(x: __m256i) -> __m256i {
        _mm256_or_si256(_mm256_slli_epi32::<30>(x), _mm256_srli_epi32::<2>(x))
    }
}

/// One SHA-1 compression of eight lanes.
#[inline]
#[target_feature(enable = "avx2")]
fn compress(state: [__m256i; 5], mut w: [__m256i; 16]) -> [__m256i; 5] {
    let [mut a, mut b, mut c, mut d, mut e] = state;
    super::all_sha1_rounds!(ops, w, a, b, c, d, e);
    [
        _mm256_add_epi32(state[0], a),
        _mm256_add_epi32(state[1], b),
        _mm256_add_epi32(state[2], c),
        _mm256_add_epi32(state[3], d),
        _mm256_add_epi32(state[4], e),
    ]
}

/// Transposes eight rows of eight words: register j of the result holds word j of every row.
#[inline]
#[target_feature(enable = "avx2")]
fn transpose8(r: [__m256i; 8]) -> [__m256i; 8] {
    let mut u = [_mm256_setzero_si256(); 8];
    for g in 0..2 {
        let t0 = _mm256_unpacklo_epi32(r[4 * g], r[4 * g + 1]);
        let t1 = _mm256_unpackhi_epi32(r[4 * g], r[4 * g + 1]);
        let t2 = _mm256_unpacklo_epi32(r[4 * g + 2], r[4 * g + 3]);
        let t3 = _mm256_unpackhi_epi32(r[4 * g + 2], r[4 * g + 3]);
        // Register m holds, per 128-bit lane k, word 4k+m of rows 4g..4g+3.
        u[4 * g] = _mm256_unpacklo_epi64(t0, t2);
        u[4 * g + 1] = _mm256_unpackhi_epi64(t0, t2);
        u[4 * g + 2] = _mm256_unpacklo_epi64(t1, t3);
        u[4 * g + 3] = _mm256_unpackhi_epi64(t1, t3);
    }
    let mut words = [_mm256_setzero_si256(); 8];
    for m in 0..4 {
        words[m] = _mm256_permute2x128_si256::<0x20>(u[m], u[4 + m]);
        words[4 + m] = _mm256_permute2x128_si256::<0x31>(u[m], u[4 + m]);
    }
    words
}

#[inline]
#[target_feature(enable = "avx2")]
fn load_words(words: &[[u32; LANES]; 5]) -> [__m256i; 5] {
    let mut state = [_mm256_setzero_si256(); 5];
    for (v, row) in state.iter_mut().zip(words) {
        // SAFETY: each row is 8 u32s = 32 readable bytes; the load is unaligned.
        *v = unsafe { _mm256_loadu_si256(row.as_ptr().cast::<__m256i>()) };
    }
    state
}

#[inline]
#[target_feature(enable = "avx2")]
fn store_words(state: [__m256i; 5]) -> [[u32; LANES]; 5] {
    let mut words = [[0u32; LANES]; 5];
    for (row, v) in words.iter_mut().zip(state) {
        // SAFETY: each row is 8 u32s = 32 writable bytes; the store is unaligned.
        unsafe { _mm256_storeu_si256(row.as_mut_ptr().cast::<__m256i>(), v) };
    }
    words
}

/// # Safety
/// The CPU must have AVX2.
#[target_feature(enable = "avx2")]
pub(in super::super) unsafe fn hmac_batch_avx2(jobs: &[HmacSha1Job<'_>], tags: &mut [[u8; 20]]) {
    for (jobs, tags) in jobs.chunks(LANES).zip(tags.chunks_mut(LANES)) {
        hmac_group(jobs, tags);
    }
}

#[target_feature(enable = "avx2")]
fn hmac_group(jobs: &[HmacSha1Job<'_>], tags: &mut [[u8; 20]]) {
    let group = LaneGroup::<LANES>::new(jobs);
    let swap = _mm256_broadcastsi128_si256(_mm_set_epi8(
        12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3,
    ));
    let mut scratch = [[0u8; BLOCK]; LANES];
    let mut state = load_words(&group.inner);
    for index in 0..group.max_blocks() {
        let mut low = [_mm256_setzero_si256(); LANES];
        let mut high = [_mm256_setzero_si256(); LANES];
        let mut active = [0i32; LANES];
        for lane in 0..group.lanes {
            if index < group.blocks[lane] {
                active[lane] = -1;
                let block = group.streams[lane].block_ref(index, &mut scratch[lane]);
                let ptr = block.as_ptr().cast::<__m256i>();
                // SAFETY: `block` is 64 readable bytes: two unaligned 32-byte loads.
                let (l, h) = unsafe { (_mm256_loadu_si256(ptr), _mm256_loadu_si256(ptr.add(1))) };
                low[lane] = _mm256_shuffle_epi8(l, swap);
                high[lane] = _mm256_shuffle_epi8(h, swap);
            }
        }
        let mut w = [_mm256_setzero_si256(); 16];
        w[..8].copy_from_slice(&transpose8(low));
        w[8..].copy_from_slice(&transpose8(high));
        let next = compress(state, w);
        // SAFETY: `active` is 8 i32s = 32 readable bytes; the load is unaligned.
        let mask = unsafe { _mm256_loadu_si256(active.as_ptr().cast::<__m256i>()) };
        for (s, n) in state.iter_mut().zip(next) {
            *s = _mm256_blendv_epi8(*s, n, mask);
        }
    }
    let mut w = [_mm256_setzero_si256(); 16];
    w[..5].copy_from_slice(&state);
    w[5] = _mm256_set1_epi32(0x8000_0000_u32 as i32);
    w[15] = _mm256_set1_epi32((BLOCK + 20) as i32 * 8);
    let digest = compress(load_words(&group.outer), w);
    group.write_tags(&store_words(digest), tags);
}
