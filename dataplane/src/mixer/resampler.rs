//! Sample-rate conversion between a leg's codec rate and the 48 kHz mix, one tick at a
//! time, with state kept across ticks so consecutive frames join without seams.
//!
//! The rates are fixed and their ratio is an integer (8, 16 and 48 kHz), so rubato's
//! synchronous FFT resampler fits: one forward and one inverse FFT per 20 ms chunk, an
//! anti-aliasing cutoff near 92 % of the lower Nyquist rate (3.66 kHz for 8 kHz), and a
//! delay of half a chunk (10 ms). Buffers are allocated once; a tick allocates nothing.

use rubato::audioadapter_buffers::direct::SequentialSlice;
use rubato::{Fft, FixedSync, Resampler};

use super::config::TICK;
use super::MixerError;

/// A converter from 20 ms at one rate to 20 ms at another.
pub(crate) struct RateConverter {
    resampler: Fft<f32>,
    input: Vec<f32>,
    output: Vec<f32>,
    from: u32,
    to: u32,
}

impl core::fmt::Debug for RateConverter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RateConverter")
            .field("from", &self.from)
            .field("to", &self.to)
            .finish()
    }
}

/// Samples in one tick at `rate`.
pub(crate) fn tick_samples(rate: u32) -> usize {
    (u128::from(rate) * TICK.as_micros() / 1_000_000) as usize
}

impl RateConverter {
    /// A converter from `from` Hz to `to` Hz.
    pub(crate) fn new(from: u32, to: u32) -> Result<Self, MixerError> {
        let refused = MixerError::Resampler { from, to };
        let (chunk_in, chunk_out) = (tick_samples(from), tick_samples(to));
        let resampler = Fft::<f32>::new(from as usize, to as usize, chunk_in, 1, FixedSync::Both)
            .map_err(|_| refused)?;
        if resampler.input_frames_next() != chunk_in || resampler.output_frames_next() != chunk_out
        {
            return Err(refused);
        }
        Ok(RateConverter {
            resampler,
            input: vec![0.0; chunk_in],
            output: vec![0.0; chunk_out],
            from,
            to,
        })
    }

    /// Converts one tick: `input` holds 20 ms at the input rate, `output` receives 20 ms at
    /// the output rate. Short slices are padded with silence or truncated.
    pub(crate) fn process(&mut self, input: &[i16], output: &mut [i16]) {
        self.input.fill(0.0);
        for (f, &s) in self.input.iter_mut().zip(input) {
            *f = f32::from(s) / 32768.0;
        }
        let (frames_in, frames_out) = (self.input.len(), self.output.len());
        let converted = match (
            SequentialSlice::new(&self.input[..], 1, frames_in),
            SequentialSlice::new_mut(&mut self.output[..], 1, frames_out),
        ) {
            (Ok(from), Ok(mut to)) => self
                .resampler
                .process_into_buffer(&from, &mut to, None)
                .is_ok(),
            _ => false,
        };
        if !converted {
            output.fill(0);
            return;
        }
        for (s, &f) in output.iter_mut().zip(&self.output) {
            *s = (f * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
        }
    }

    /// Forgets the previous chunk, before converting a stream that was skipped.
    pub(crate) fn reset(&mut self) {
        self.resampler.reset();
    }

    /// The converter's delay, in output samples.
    #[cfg(test)]
    pub(crate) fn delay(&self) -> usize {
        self.resampler.output_delay()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, hz: f64, amplitude: f64, samples: usize, offset: usize) -> Vec<i16> {
        (offset..offset + samples)
            .map(|n| {
                let t = n as f64 / f64::from(rate);
                (amplitude * (2.0 * std::f64::consts::PI * hz * t).sin()).round() as i16
            })
            .collect()
    }

    /// Converts 200 ms of a 1 kHz tone and compares the steady part with the ideal tone
    /// at the output rate, shifted by the converter's delay.
    fn check(from: u32, to: u32) {
        let mut converter = RateConverter::new(from, to).expect("supported rates");
        let (n_in, n_out) = (tick_samples(from), tick_samples(to));
        let mut out = Vec::new();
        for tick in 0..10 {
            let input = sine(from, 1000.0, 16_000.0, n_in, tick * n_in);
            let mut frame = vec![0i16; n_out];
            converter.process(&input, &mut frame);
            out.extend_from_slice(&frame);
        }
        let delay = converter.delay();
        let ideal = sine(to, 1000.0, 16_000.0, out.len(), 0);
        let mut worst = 0i32;
        for n in (delay + n_out)..out.len() {
            worst = worst.max((i32::from(out[n]) - i32::from(ideal[n - delay])).abs());
        }
        // Within 1 % of the amplitude.
        assert!(worst < 160, "{from} -> {to}: worst error {worst}");
    }

    #[test]
    fn converts_a_tone_between_8_16_and_48_khz() {
        for (from, to) in [(8000, 48000), (48000, 8000), (16000, 48000), (48000, 16000)] {
            check(from, to);
        }
    }
}
