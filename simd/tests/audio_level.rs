//! RFC 6464 audio levels of signals whose level is known from first principles.
//!
//! 0 dBov is the RMS of a full-scale square wave (RFC 6464 section 3). A sine's RMS is its
//! peak over sqrt(2), so a full-scale sine sits at -3.01 dBov and one at -20 dBFS at
//! -23.01 dBov. Every backend this CPU can run is checked, through the same definitions.

use std::f64::consts::PI;

use medianode_simd::{audio_level_dbov, Backend};

/// `len` samples of a sine of `peak` amplitude completing a whole number of cycles.
fn sine(peak: f64, cycles: usize, len: usize) -> Vec<i16> {
    (0..len)
        .map(|n| (peak * (2.0 * PI * (cycles * n) as f64 / len as f64).sin()).round() as i16)
        .collect()
}

fn level_on_every_backend(frame: &[i16]) -> Vec<(Backend, u8)> {
    Backend::ALL
        .iter()
        .filter_map(|backend| backend.kernels())
        .map(|kernels| (kernels.backend(), kernels.audio_level_dbov(frame)))
        .chain([(
            Backend::Scalar,
            medianode_simd::scalar::audio_level_dbov(frame),
        )])
        .collect()
}

fn assert_level(frame: &[i16], expected: u8, what: &str) {
    assert_eq!(audio_level_dbov(frame), expected, "{what}, dispatched");
    for (backend, level) in level_on_every_backend(frame) {
        assert_eq!(level, expected, "{what}, backend {backend}");
    }
}

#[test]
fn digital_silence_is_127() {
    assert_level(&[0; 960], 127, "960 zero samples");
    assert_level(&[0; 160], 127, "160 zero samples");
}

#[test]
fn an_empty_frame_is_127() {
    assert_level(&[], 127, "empty frame");
}

#[test]
fn a_full_scale_sine_is_3() {
    // 1 kHz at 48 kHz: 20 cycles in a 20 ms frame.
    assert_level(&sine(32767.0, 20, 960), 3, "full-scale sine, 48 kHz");
    // 1 kHz at 8 kHz: 20 cycles in 160 samples.
    assert_level(&sine(32767.0, 20, 160), 3, "full-scale sine, 8 kHz");
}

#[test]
fn a_sine_at_minus_20_dbfs_is_23() {
    assert_level(&sine(3276.7, 20, 960), 23, "-20 dBFS sine, 48 kHz");
    assert_level(&sine(3276.7, 7, 160), 23, "-20 dBFS sine, 8 kHz");
}

#[test]
fn a_full_scale_square_wave_is_0() {
    let square: Vec<i16> = (0..960)
        .map(|n| if n % 2 == 0 { i16::MAX } else { i16::MIN })
        .collect();
    assert_level(&square, 0, "full-scale square wave");
}

#[test]
fn quiet_signals_land_where_arithmetic_puts_them() {
    // A constant 1: 10 * log10(32768^2) = 90.31 dB below full scale.
    assert_level(&[1; 960], 90, "constant 1");
    // A single 1 among 960 samples: 10 * log10(960 * 32768^2) = 120.13 dB.
    let mut lone = [0i16; 960];
    lone[500] = 1;
    assert_level(&lone, 120, "one LSB in 960 samples");
    // Quieter than -127 dBov still reports 127: one LSB in 2^24 samples is -162 dBov.
    let mut vast = vec![0i16; 1 << 24];
    vast[7] = -1;
    assert_level(&vast, 127, "one LSB in 2^24 samples");
}

#[test]
fn energy_converts_like_the_frame() {
    let frame = sine(10_000.0, 3, 480);
    let energy = medianode_simd::sum_of_squares(&frame);
    assert_eq!(
        medianode_simd::audio_level_from_energy(energy, frame.len()),
        audio_level_dbov(&frame)
    );
    assert_eq!(medianode_simd::audio_level_from_energy(0, 0), 127);
}
