//! AES-CTR keystream with AES-NI (one block per register) and VAES (four per register).
//!
//! Both walk the jobs in order, turning each job's blocks into "units" (one register of
//! consecutive counter blocks of one job), and encrypt eight units at a time so that eight
//! independent AES chains hide the instruction latency. A unit's keystream is XORed into its
//! job's bytes with a byte mask (VAES) or a staged copy (AES-NI) for the partial last block.

use core::arch::x86_64::*;

use super::{CtrJob, RoundKeys};

/// Registers kept in flight.
const IN_FLIGHT: usize = 8;

pub(super) fn vaes512_detected() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("vaes")
        && std::arch::is_x86_feature_detected!("aes")
}

pub(super) fn aesni_detected() -> bool {
    std::arch::is_x86_feature_detected!("aes") && std::arch::is_x86_feature_detected!("sse4.1")
}

/// Byte reversal of a 128-bit lane, as a `pshufb` control: turns GCM's big-endian counter
/// word into the lane's lowest little-endian dword, where a 32-bit add wraps as `inc32`.
#[inline]
#[target_feature(enable = "sse2")]
fn reverse_bytes_control() -> __m128i {
    _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
}

/// Where one register of keystream goes: job index and byte offset in its data.
#[derive(Clone, Copy, Default)]
struct Unit {
    job: usize,
    offset: usize,
}

/// # Safety
/// The CPU must have AVX-512 F and BW, VAES and AES-NI. `rounds` is 10, 12 or 14.
#[target_feature(enable = "avx512f,avx512bw,vaes,aes")]
pub(super) unsafe fn apply_keystream_vaes512(
    round_keys: &RoundKeys,
    rounds: usize,
    jobs: &mut [CtrJob<'_>],
) {
    let mut keys = [_mm512_setzero_si512(); 15];
    for (key, bytes) in keys.iter_mut().zip(round_keys.0.iter()) {
        // SAFETY: `bytes` is 16 readable bytes; the load is unaligned.
        let lane = unsafe { _mm_loadu_si128(bytes.as_ptr().cast::<__m128i>()) };
        *key = _mm512_broadcast_i32x4(lane);
    }
    let reverse = _mm512_broadcast_i32x4(reverse_bytes_control());
    let first_four = _mm512_set_epi32(0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0);
    let step = _mm512_set_epi32(0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4);

    let mut units = [Unit::default(); IN_FLIGHT];
    let mut counters = [_mm512_setzero_si512(); IN_FLIGHT];
    let mut pending = 0;
    for index in 0..jobs.len() {
        let len = jobs[index].data.len();
        // SAFETY: the counter is 16 readable bytes; the load is unaligned.
        let counter = unsafe { _mm_loadu_si128(jobs[index].counter.as_ptr().cast::<__m128i>()) };
        let mut reversed = _mm512_add_epi32(
            _mm512_shuffle_epi8(_mm512_broadcast_i32x4(counter), reverse),
            first_four,
        );
        let mut offset = 0;
        while offset < len {
            units[pending] = Unit { job: index, offset };
            counters[pending] = _mm512_shuffle_epi8(reversed, reverse);
            reversed = _mm512_add_epi32(reversed, step);
            pending += 1;
            offset += 64;
            if pending == IN_FLIGHT {
                encrypt_and_xor_512(&keys, rounds, &counters, &units, jobs);
                pending = 0;
            }
        }
    }
    if pending > 0 {
        encrypt_and_xor_512(&keys, rounds, &counters, &units[..pending], jobs);
    }
}

#[inline]
#[target_feature(enable = "avx512f,avx512bw,vaes,aes")]
fn encrypt_and_xor_512(
    keys: &[__m512i; 15],
    rounds: usize,
    counters: &[__m512i; IN_FLIGHT],
    units: &[Unit],
    jobs: &mut [CtrJob<'_>],
) {
    // Plain loops, not closures: a closure would not inherit this function's target features.
    let mut state = *counters;
    for s in state.iter_mut() {
        *s = _mm512_xor_si512(*s, keys[0]);
    }
    for key in &keys[1..rounds] {
        for s in state.iter_mut() {
            *s = _mm512_aesenc_epi128(*s, *key);
        }
    }
    for s in state.iter_mut() {
        *s = _mm512_aesenclast_epi128(*s, keys[rounds]);
    }
    for (unit, keystream) in units.iter().zip(state) {
        let Some(job) = jobs.get_mut(unit.job) else {
            continue;
        };
        let Some(rest) = job.data.get_mut(unit.offset..) else {
            continue;
        };
        let bytes = rest.len().min(64);
        let mask = if bytes == 64 {
            u64::MAX
        } else {
            (1u64 << bytes) - 1
        };
        let ptr = rest.as_mut_ptr().cast::<i8>();
        // SAFETY: the mask selects the first `bytes` bytes of `rest`, all inside it; masked-off
        // bytes are neither read nor written.
        unsafe {
            let data = _mm512_maskz_loadu_epi8(mask, ptr);
            _mm512_mask_storeu_epi8(ptr, mask, _mm512_xor_si512(data, keystream));
        }
    }
}

/// # Safety
/// The CPU must have AES-NI and SSE4.1. `rounds` is 10, 12 or 14.
#[target_feature(enable = "aes,sse4.1")]
pub(super) unsafe fn apply_keystream_aesni(
    round_keys: &RoundKeys,
    rounds: usize,
    jobs: &mut [CtrJob<'_>],
) {
    let mut keys = [_mm_setzero_si128(); 15];
    for (key, bytes) in keys.iter_mut().zip(round_keys.0.iter()) {
        // SAFETY: `bytes` is 16 readable bytes; the load is unaligned.
        *key = unsafe { _mm_loadu_si128(bytes.as_ptr().cast::<__m128i>()) };
    }
    let reverse = reverse_bytes_control();
    let one = _mm_set_epi32(0, 0, 0, 1);

    let mut units = [Unit::default(); IN_FLIGHT];
    let mut counters = [_mm_setzero_si128(); IN_FLIGHT];
    let mut pending = 0;
    for index in 0..jobs.len() {
        let len = jobs[index].data.len();
        // SAFETY: the counter is 16 readable bytes; the load is unaligned.
        let counter = unsafe { _mm_loadu_si128(jobs[index].counter.as_ptr().cast::<__m128i>()) };
        let mut reversed = _mm_shuffle_epi8(counter, reverse);
        let mut offset = 0;
        while offset < len {
            units[pending] = Unit { job: index, offset };
            counters[pending] = _mm_shuffle_epi8(reversed, reverse);
            reversed = _mm_add_epi32(reversed, one);
            pending += 1;
            offset += 16;
            if pending == IN_FLIGHT {
                encrypt_and_xor_128(&keys, rounds, &counters, &units, jobs);
                pending = 0;
            }
        }
    }
    if pending > 0 {
        encrypt_and_xor_128(&keys, rounds, &counters, &units[..pending], jobs);
    }
}

#[inline]
#[target_feature(enable = "aes,sse4.1")]
fn encrypt_and_xor_128(
    keys: &[__m128i; 15],
    rounds: usize,
    counters: &[__m128i; IN_FLIGHT],
    units: &[Unit],
    jobs: &mut [CtrJob<'_>],
) {
    let mut state = *counters;
    for s in state.iter_mut() {
        *s = _mm_xor_si128(*s, keys[0]);
    }
    for key in &keys[1..rounds] {
        for s in state.iter_mut() {
            *s = _mm_aesenc_si128(*s, *key);
        }
    }
    for s in state.iter_mut() {
        *s = _mm_aesenclast_si128(*s, keys[rounds]);
    }
    for (unit, keystream) in units.iter().zip(state) {
        let Some(job) = jobs.get_mut(unit.job) else {
            continue;
        };
        let Some(rest) = job.data.get_mut(unit.offset..) else {
            continue;
        };
        if let Some(block) = rest.get_mut(..16) {
            let ptr = block.as_mut_ptr().cast::<__m128i>();
            // SAFETY: `block` is 16 bytes inside the job's data; the accesses are unaligned.
            unsafe { _mm_storeu_si128(ptr, _mm_xor_si128(_mm_loadu_si128(ptr), keystream)) };
        } else {
            let mut staged = [0u8; 16];
            // SAFETY: `staged` is 16 writable bytes; the store is unaligned.
            unsafe { _mm_storeu_si128(staged.as_mut_ptr().cast::<__m128i>(), keystream) };
            for (d, k) in rest.iter_mut().zip(staged) {
                *d ^= k;
            }
        }
    }
}
