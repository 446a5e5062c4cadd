//! HMAC-SHA1 one message at a time with the SHA extensions (`sha1rnds4` and friends).
//!
//! The state sits in two registers: A, B, C, D from the highest dword down, and E in the
//! highest dword of the other. Message words are loaded byte-reversed so that word 0 is the
//! highest dword, as `sha1rnds4` expects.

use core::arch::x86_64::*;

use super::super::{scalar, HmacSha1Job, PaddedStream, BLOCK};

/// Reverses all 16 bytes: big-endian words, first word in the highest dword.
#[inline]
#[target_feature(enable = "sse2")]
fn reverse_bytes_control() -> __m128i {
    _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
}

/// Compresses one block into `state`.
#[inline]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn compress(state: &mut [u32; 5], block: &[u8; BLOCK]) {
    let reverse = reverse_bytes_control();
    let mut w = [_mm_setzero_si128(); 4];
    for (i, word) in w.iter_mut().enumerate() {
        // SAFETY: bytes 16i..16i+16 of the 64-byte block are readable; the load is unaligned.
        let raw = unsafe { _mm_loadu_si128(block.as_ptr().add(16 * i).cast::<__m128i>()) };
        *word = _mm_shuffle_epi8(raw, reverse);
    }
    let abcd_start = _mm_set_epi32(
        state[0] as i32,
        state[1] as i32,
        state[2] as i32,
        state[3] as i32,
    );
    let e_start = _mm_set_epi32(state[4] as i32, 0, 0, 0);

    // Rounds 0-3 take E directly; every later group derives E from the state four rounds
    // back (`sha1nexte`). The function selector changes every 20 rounds (5 groups).
    let mut abcd = abcd_start;
    let mut previous = abcd;
    abcd = _mm_sha1rnds4_epu32::<0>(abcd, _mm_add_epi32(e_start, w[0]));
    macro_rules! group {
        ($g:literal, $func:literal) => {
            if $g >= 4 {
                w[$g % 4] = _mm_sha1msg2_epu32(
                    _mm_xor_si128(
                        _mm_sha1msg1_epu32(w[$g % 4], w[($g + 1) % 4]),
                        w[($g + 2) % 4],
                    ),
                    w[($g + 3) % 4],
                );
            }
            let we = _mm_sha1nexte_epu32(previous, w[$g % 4]);
            previous = abcd;
            abcd = _mm_sha1rnds4_epu32::<$func>(abcd, we);
        };
    }
    group!(1, 0);
    group!(2, 0);
    group!(3, 0);
    group!(4, 0);
    group!(5, 1);
    group!(6, 1);
    group!(7, 1);
    group!(8, 1);
    group!(9, 1);
    group!(10, 2);
    group!(11, 2);
    group!(12, 2);
    group!(13, 2);
    group!(14, 2);
    group!(15, 3);
    group!(16, 3);
    group!(17, 3);
    group!(18, 3);
    group!(19, 3);
    let e = _mm_sha1nexte_epu32(previous, _mm_setzero_si128());
    let abcd = _mm_add_epi32(abcd, abcd_start);
    let e = _mm_add_epi32(e, e_start);
    state[0] = _mm_extract_epi32::<3>(abcd) as u32;
    state[1] = _mm_extract_epi32::<2>(abcd) as u32;
    state[2] = _mm_extract_epi32::<1>(abcd) as u32;
    state[3] = _mm_extract_epi32::<0>(abcd) as u32;
    state[4] = _mm_extract_epi32::<3>(e) as u32;
}

/// # Safety
/// The CPU must have the SHA extensions, SSSE3 and SSE4.1.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
pub(in super::super) unsafe fn hmac_batch_shani(jobs: &[HmacSha1Job<'_>], tags: &mut [[u8; 20]]) {
    let mut scratch = [0u8; BLOCK];
    for (job, tag) in jobs.iter().zip(tags.iter_mut()) {
        let stream = PaddedStream::new(job.message, job.suffix, BLOCK);
        let mut inner = job.key.inner;
        for index in 0..stream.blocks() {
            compress(&mut inner, stream.block_ref(index, &mut scratch));
        }
        let mut outer = job.key.outer;
        compress(&mut outer, &scalar::outer_block(&inner));
        *tag = scalar::digest_bytes(&outer);
    }
}
