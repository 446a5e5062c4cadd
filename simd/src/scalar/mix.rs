//! Integer PCM mixing: sum talkers into a wide accumulator, then narrow back to i16.
//!
//! A conference mix keeps one `i32` accumulator per sample. Each talker's frame is added
//! once; each talker then hears the total minus their own frame (mix-minus), and listeners
//! hear the saturated total.

/// Adds `frame` into `acc`: `acc[i] = acc[i].wrapping_add(frame[i])`.
///
/// Wrapping cannot happen for fewer than 65 536 frames per accumulator; it is defined so
/// that no input can make the kernel panic.
pub fn accumulate(acc: &mut [i32], frame: &[i16]) {
    for (sum, &sample) in acc.iter_mut().zip(frame) {
        *sum = sum.wrapping_add(i32::from(sample));
    }
}

/// Writes `out[i] = saturate_i16(total[i] - own[i])`, the total mix without one talker.
///
/// The difference is computed exactly (in 64 bits), then clamped to `i16::MIN..=i16::MAX`.
pub fn mix_minus(out: &mut [i16], total: &[i32], own: &[i16]) {
    for ((sample, &sum), &mine) in out.iter_mut().zip(total).zip(own) {
        *sample = clamp_to_i16(i64::from(sum) - i64::from(mine));
    }
}

/// Writes `out[i] = saturate_i16(total[i])`, the mix every listener hears.
pub fn saturate(out: &mut [i16], total: &[i32]) {
    for (sample, &sum) in out.iter_mut().zip(total) {
        *sample = clamp_to_i16(i64::from(sum));
    }
}

/// Scales `frame` in place by `gain_q15 / 32768`.
///
/// Each sample becomes `(x * gain_q15 + 0x4000) >> 15`: the exact product rounded to the
/// nearest integer, halves rounded up (towards +infinity), then saturated to `i16`. The
/// only product that saturates is `-32768 * -32768`, which gives `32767`. Gains span
/// `-1.0..1.0`; unity (`1.0`) is not representable, so callers skip the call for it.
pub fn apply_gain_q15(frame: &mut [i16], gain_q15: i16) {
    let gain = i64::from(gain_q15);
    for sample in frame.iter_mut() {
        *sample = clamp_to_i16((i64::from(*sample) * gain + 0x4000) >> 15);
    }
}

fn clamp_to_i16(value: i64) -> i16 {
    // The clamp proves the narrowing cannot truncate.
    value.clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16
}
