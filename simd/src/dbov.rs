//! Conversion from frame energy to the RFC 6464 audio level.
//!
//! Every backend computes the sum of squares (the part worth vectorising); this one
//! conversion, with its single `log10`, turns it into -dBov, so all backends agree exactly.

/// The mean square of 0 dBov: RFC 6464 puts 0 dBov at the level of a full-scale square
/// wave, and a 16-bit square wave swinging between -32768 and +32768 has RMS 32768.
const FULL_SCALE_MEAN_SQUARE: f64 = 32768.0 * 32768.0;

/// The quietest level the header extension carries; RFC 6464 also uses it for silence.
const SILENCE: u8 = 127;

/// Returns the level of `samples` samples whose squares sum to `sum_of_squares`, as
/// -dBov rounded to the nearest integer and clamped to `0..=127`.
pub fn from_energy(sum_of_squares: u64, samples: usize) -> u8 {
    if sum_of_squares == 0 || samples == 0 {
        return SILENCE;
    }
    // Both conversions may round in the last bit; the result is then rounded to whole dB.
    let mean_square = sum_of_squares as f64 / samples as f64;
    let minus_dbov = -10.0 * (mean_square / FULL_SCALE_MEAN_SQUARE).log10();
    // The clamp bounds the value to 0..=127, so the cast is exact.
    minus_dbov.round().clamp(0.0, f64::from(SILENCE)) as u8
}
