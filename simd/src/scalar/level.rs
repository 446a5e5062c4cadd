//! Audio level of a frame as carried in the RFC 6464 header extension.

use crate::dbov;

/// Sum of the squares of the samples, exact in 64 bits.
///
/// Each square is at most 2^30, so the sum is exact for any frame shorter than 2^34
/// samples; past that it wraps rather than panics.
pub fn sum_of_squares(frame: &[i16]) -> u64 {
    frame.iter().fold(0u64, |sum, &sample| {
        let magnitude = u64::from(sample.unsigned_abs());
        sum.wrapping_add(magnitude * magnitude)
    })
}

/// The frame's level in -dBov, `0..=127`; see [`crate::audio_level_dbov`] for the definition.
pub fn audio_level_dbov(frame: &[i16]) -> u8 {
    dbov::from_energy(sum_of_squares(frame), frame.len())
}
