//! SIMD kernels for the media path: keystream XOR, PCM mixing, RFC 6464 audio level and
//! G.711, each with a scalar reference and AVX2, AVX-512 and NEON backends.
//!
//! The node spends its per-packet CPU in a handful of tight loops; this crate holds them so
//! the rest of the workspace stays free of `unsafe`. The backend is chosen once per process
//! by run-time CPU detection (never by `-C target-cpu`), and the free functions below
//! dispatch to it. [`backend_name`] says which one is in use; [`Backend::kernels`] calls a
//! particular backend directly; [`scalar`] is the reference that defines every kernel.
//!
//! Kernels never allocate and never panic. Those taking several slices work over the length
//! of the shortest and leave the rest of a longer output untouched.

mod backend;
mod dbov;
mod kernels;
pub mod scalar;

#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(target_arch = "x86_64")]
mod x86_64;

pub use backend::Backend;
pub use kernels::Kernels;
pub use scalar::{alaw_decode_sample, alaw_encode_sample, ulaw_decode_sample, ulaw_encode_sample};

use kernels::active;

/// The name of the backend this process uses: `"avx512"`, `"avx2"`, `"neon"` or `"scalar"`.
pub fn backend_name() -> &'static str {
    active().backend().name()
}

/// XORs `keystream` into `data` over `data.len().min(keystream.len())` bytes.
///
/// This is the cipher step of counter-mode SRTP: a keystream shorter than the payload
/// leaves the payload's tail unchanged, so callers size the keystream to the payload.
#[inline]
pub fn xor_in_place(data: &mut [u8], keystream: &[u8]) {
    active().xor_in_place(data, keystream);
}

/// Adds a PCM frame into a mix accumulator: `acc[i] = acc[i].wrapping_add(frame[i])`.
///
/// Wrapping needs 65 536 full-scale frames in one accumulator; it is defined, not a panic.
#[inline]
pub fn accumulate(acc: &mut [i32], frame: &[i16]) {
    active().accumulate(acc, frame);
}

/// Writes a talker's mix-minus: `out[i] = saturate_i16(total[i] - own[i])`.
///
/// The subtraction is exact (no intermediate overflow for any `i32` total), then the result
/// is clamped to `-32768..=32767`.
#[inline]
pub fn mix_minus(out: &mut [i16], total: &[i32], own: &[i16]) {
    active().mix_minus(out, total, own);
}

/// Narrows a mix accumulator to PCM: `out[i] = saturate_i16(total[i])`.
#[inline]
pub fn saturate(out: &mut [i16], total: &[i32]) {
    active().saturate(out, total);
}

/// Scales a frame in place by `gain_q15 / 32768`, rounding and saturating.
///
/// Each sample becomes `(x * gain_q15 + 0x4000) >> 15` computed exactly: round to nearest,
/// halves towards +infinity. The one product that leaves the `i16` range,
/// `-32768 * -32768`, saturates to `32767`. The gain spans `-1.0..1.0`; unity is not
/// representable in Q15, so callers skip the call for a gain of one.
#[inline]
pub fn apply_gain_q15(frame: &mut [i16], gain_q15: i16) {
    active().apply_gain_q15(frame, gain_q15);
}

/// The sum of the squares of the samples (the frame's energy), exact in 64 bits.
///
/// Exact for any frame shorter than 2^34 samples; wraps rather than panics beyond that.
#[inline]
pub fn sum_of_squares(frame: &[i16]) -> u64 {
    active().sum_of_squares(frame)
}

/// The frame's audio level for the RFC 6464 header extension, in -dBov, `0..=127`.
///
/// The level is the RMS of the frame relative to the RMS of a full-scale square wave
/// (RFC 6464 section 3: 0 dBov is the overload point, the level of a square wave at full
/// scale; RFC 6465 appendix A computes it this way). For 16-bit PCM that reference RMS is
/// 32768, so the result is `round(-10 * log10(mean(x^2) / 32768^2))`, clamped to `0..=127`.
/// A full-scale sine is therefore `3` (-3.01 dBov), a sine at -20 dBFS is `23`, and both
/// digital silence and an empty frame are `127`, the value RFC 6464 reserves for silence.
#[inline]
pub fn audio_level_dbov(frame: &[i16]) -> u8 {
    active().audio_level_dbov(frame)
}

/// Converts a frame's energy (see [`sum_of_squares`]) over `samples` samples to -dBov as
/// [`audio_level_dbov`] does; for levels over frames assembled from several slices.
pub fn audio_level_from_energy(sum_of_squares: u64, samples: usize) -> u8 {
    dbov::from_energy(sum_of_squares, samples)
}

/// Encodes 16-bit PCM to G.711 mu-law, over the shorter of the two lengths.
///
/// Bit-exact with SoX (and the Sun `g711.c` it uses): see [`ulaw_encode_sample`].
#[inline]
pub fn ulaw_encode(out: &mut [u8], pcm: &[i16]) {
    active().ulaw_encode(out, pcm);
}

/// Decodes G.711 mu-law to 16-bit PCM, over the shorter of the two lengths.
#[inline]
pub fn ulaw_decode(out: &mut [i16], codes: &[u8]) {
    active().ulaw_decode(out, codes);
}

/// Encodes 16-bit PCM to G.711 A-law, over the shorter of the two lengths.
///
/// Bit-exact with SoX (and the Sun `g711.c` it uses): see [`alaw_encode_sample`].
#[inline]
pub fn alaw_encode(out: &mut [u8], pcm: &[i16]) {
    active().alaw_encode(out, pcm);
}

/// Decodes G.711 A-law to 16-bit PCM, over the shorter of the two lengths.
#[inline]
pub fn alaw_decode(out: &mut [i16], codes: &[u8]) {
    active().alaw_decode(out, codes);
}
pub mod crypto;
