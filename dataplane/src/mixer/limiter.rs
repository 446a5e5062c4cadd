//! A look-ahead peak limiter from the mix's 32-bit sum to 16-bit PCM, so that loud
//! talkers together never wrap and rarely clip.
//!
//! The signal is delayed by one block (1 ms). Before a block is emitted the limiter knows
//! its peak and the next block's, and ramps the gain linearly across the block to a value
//! no higher than either block allows: every sample leaves at or under the ceiling
//! (-1 dBFS), and the gain never jumps. The gain recovers towards unity with a 200 ms time
//! constant: slow enough not to pump within a syllable, which keeps the intermodulation of
//! a limited multi-talker mix around -30 dB. While the gain is unity the block is copied
//! through the `simd` saturating narrow, so a quiet mix is bit-exact.

use medianode_simd::saturate;

use super::config::TICK_SAMPLES;

/// The look-ahead and block length: 1 ms at 48 kHz.
pub(crate) const BLOCK: usize = 48;
/// The loudest sample the limiter lets out: -1 dBFS.
const CEILING: f32 = 29_204.0;
/// Per-block share of the distance to unity gain recovered (1 - e^(-1 ms / 200 ms)).
const RELEASE: f32 = 0.004_988;
/// A gain this close to unity is unity.
const UNITY_SNAP: f32 = 0.999;

/// The limiter of one output stream.
#[derive(Debug, Clone)]
pub(crate) struct Limiter {
    /// The block received but not yet emitted.
    pending: [i32; BLOCK],
    /// The highest gain `pending` allows.
    pending_allows: f32,
    /// The gain at the end of the last emitted block.
    gain: f32,
}

impl Limiter {
    pub(crate) fn new() -> Self {
        Limiter {
            pending: [0; BLOCK],
            pending_allows: 1.0,
            gain: 1.0,
        }
    }

    /// Limits one tick: `input` is the 48 kHz sum, `out` the PCM to encode (both
    /// `TICK_SAMPLES` long), lagging the input by one block.
    pub(crate) fn process(&mut self, input: &[i32], out: &mut [i16]) {
        let n = input.len().min(out.len()).min(TICK_SAMPLES);
        let blocks = input[..n]
            .chunks_exact(BLOCK)
            .zip(out[..n].chunks_exact_mut(BLOCK));
        for (incoming, emitted) in blocks {
            let incoming_allows = allowed_gain(incoming);
            let start = self.gain;
            let released = start + (1.0 - start) * RELEASE;
            let mut end = released.min(incoming_allows).min(self.pending_allows);
            if end >= UNITY_SNAP {
                end = 1.0;
            }
            emit(&self.pending, start, end, emitted);
            self.pending.copy_from_slice(incoming);
            self.pending_allows = incoming_allows;
            self.gain = end;
        }
    }

    /// Forgets the signal: as after a long silence.
    pub(crate) fn reset(&mut self) {
        *self = Limiter::new();
    }

    /// Takes over another limiter's state (a stream that starts from another's history).
    pub(crate) fn copy_state_from(&mut self, other: &Limiter) {
        self.clone_from(other);
    }
}

/// The highest gain that keeps `block` under the ceiling.
fn allowed_gain(block: &[i32]) -> f32 {
    let peak = block.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    if peak as f32 <= CEILING {
        1.0
    } else {
        CEILING / peak as f32
    }
}

/// Writes `block` with a gain ramping from `start` (exclusive) to `end` (inclusive).
fn emit(block: &[i32; BLOCK], start: f32, end: f32, out: &mut [i16]) {
    if start == 1.0 && end == 1.0 {
        saturate(out, block);
        return;
    }
    let step = (end - start) / BLOCK as f32;
    for (i, (o, &x)) in out.iter_mut().zip(block).enumerate() {
        let gain = start + step * (i + 1) as f32;
        *o = (x as f32 * gain).round().clamp(-32_768.0, 32_767.0) as i16;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(limiter: &mut Limiter, input: &[i32]) -> Vec<i16> {
        let mut out = vec![0i16; input.len()];
        for (i, o) in input
            .chunks_exact(TICK_SAMPLES)
            .zip(out.chunks_exact_mut(TICK_SAMPLES))
        {
            limiter.process(i, o);
        }
        out
    }

    #[test]
    fn a_quiet_mix_passes_bit_exact_one_block_late() {
        let input: Vec<i32> = (0..2 * TICK_SAMPLES as i32).map(|i| i * 7 - 6000).collect();
        let out = run(&mut Limiter::new(), &input);
        assert!(out[..BLOCK].iter().all(|&s| s == 0));
        for (o, i) in out[BLOCK..].iter().zip(&input) {
            assert_eq!(i32::from(*o), *i);
        }
    }

    #[test]
    fn four_full_scale_sines_stay_under_the_ceiling_without_wrapping() {
        // Four in-phase full-scale 440 Hz sines: a sum peaking near 4 x 32767.
        let input: Vec<i32> = (0..10 * TICK_SAMPLES)
            .map(|n| {
                let s = (2.0 * std::f64::consts::PI * 440.0 * n as f64 / 48_000.0).sin();
                4 * (32_767.0 * s).round() as i32
            })
            .collect();
        let out = run(&mut Limiter::new(), &input);
        for (n, &o) in out.iter().enumerate().skip(BLOCK) {
            let source = input[n - BLOCK];
            assert!(f32::from(o).abs() <= CEILING + 1.0, "sample {n}: {o}");
            // No wrap: the output keeps the sign of the input.
            assert!(
                i32::from(o).signum() == source.signum() || o == 0,
                "sample {n}: {source} -> {o}"
            );
        }
        // The limiter does not crush the signal: the peak stays within 1 dB of the ceiling.
        let peak = out.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
        assert!(f32::from(peak) > CEILING * 0.89, "peak {peak}");
    }

    #[test]
    fn the_gain_recovers_after_a_burst() {
        let mut input = vec![0i32; 100 * TICK_SAMPLES];
        for (n, s) in input.iter_mut().enumerate().take(TICK_SAMPLES) {
            *s = if n % 2 == 0 { 100_000 } else { -100_000 };
        }
        for (n, s) in input.iter_mut().enumerate().skip(TICK_SAMPLES) {
            *s = if n % 2 == 0 { 10_000 } else { -10_000 };
        }
        let mut limiter = Limiter::new();
        let out = run(&mut limiter, &input);
        assert!(out[TICK_SAMPLES / 2].unsigned_abs() <= CEILING as u16 + 1);
        // 2 s later the gain is back at unity and the quiet part passes unchanged.
        assert_eq!(limiter.gain, 1.0);
        assert_eq!(out[out.len() - 1].unsigned_abs(), 10_000);
    }
}
