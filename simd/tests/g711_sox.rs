//! G.711 against SoX, the real program, for all 65 536 samples and all 256 codes.
//!
//! SoX must be installed (`apt-get install sox`); the test fails, not skips, without it.
//! The encode runs pass `-D`: SoX otherwise adds dither (random noise) whenever it narrows
//! 16-bit samples to G.711's 13 or 14 bits, and its output changes from run to run. With
//! dither off it rounds to 14 (mu-law) or 13 (A-law) bits, halves up, clipping the few
//! values that round past full scale (SoX warns "output clipped 2 samples" for mu-law and
//! 4 for A-law), then codes with the Sun `g711.c` tables.

use std::path::{Path, PathBuf};
use std::process::Command;

use medianode_simd::{
    alaw_decode_sample, alaw_encode_sample, scalar, ulaw_decode_sample, ulaw_encode_sample,
    Backend, Kernels,
};

/// A scratch directory for one test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("medianode-simd-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create scratch directory");
        Scratch(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sox(args: &[&str]) {
    let output = Command::new("sox")
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("cannot run sox (install the `sox` package): {error}"));
    assert!(
        output.status.success(),
        "sox {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

fn every_sample() -> Vec<i16> {
    (i16::MIN..=i16::MAX).collect()
}

fn every_code() -> Vec<u8> {
    (0..=u8::MAX).collect()
}

/// SoX's codes for every 16-bit sample, in `-e mu-law` or `-e a-law`.
fn sox_encode(encoding: &str) -> Vec<u8> {
    let scratch = Scratch::new(&format!("encode-{encoding}"));
    let (input, output) = (scratch.path("in.raw"), scratch.path("out.raw"));
    let bytes: Vec<u8> = every_sample()
        .iter()
        .flat_map(|sample| sample.to_le_bytes())
        .collect();
    std::fs::write(&input, bytes).expect("write samples");
    #[rustfmt::skip]
    sox(&[
        "-D",
        "-t", "raw", "-r", "8000", "-e", "signed", "-b", "16", "-c", "1", "-L", path_str(&input),
        "-t", "raw", "-e", encoding, "-b", "8", path_str(&output),
    ]);
    let codes = std::fs::read(&output).expect("read sox output");
    assert_eq!(codes.len(), 65_536, "sox wrote one code per sample");
    codes
}

/// SoX's samples for every code of `-e mu-law` or `-e a-law`.
fn sox_decode(encoding: &str) -> Vec<i16> {
    let scratch = Scratch::new(&format!("decode-{encoding}"));
    let (input, output) = (scratch.path("in.raw"), scratch.path("out.raw"));
    std::fs::write(&input, every_code()).expect("write codes");
    #[rustfmt::skip]
    sox(&[
        "-D",
        "-t", "raw", "-r", "8000", "-e", encoding, "-b", "8", "-c", "1", path_str(&input),
        "-t", "raw", "-e", "signed", "-b", "16", "-L", path_str(&output),
    ]);
    let bytes = std::fs::read(&output).expect("read sox output");
    assert_eq!(bytes.len(), 512, "sox wrote one sample per code");
    bytes
        .chunks_exact(2)
        .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
        .collect()
}

fn all_kernels() -> Vec<Kernels> {
    Backend::ALL
        .iter()
        .filter_map(|backend| backend.kernels())
        .collect()
}

fn first_difference<T: PartialEq + Copy + core::fmt::Debug>(ours: &[T], sox: &[T]) -> String {
    match ours.iter().zip(sox).position(|(a, b)| a != b) {
        Some(at) => format!("index {at}: ours {:?}, sox {:?}", ours[at], sox[at]),
        None => String::from("none"),
    }
}

fn check_encoder(
    sox_codes: &[u8],
    sample_fn: fn(i16) -> u8,
    slice_fn: fn(Kernels, &mut [u8], &[i16]),
    what: &str,
) {
    let samples = every_sample();
    let single: Vec<u8> = samples.iter().map(|&sample| sample_fn(sample)).collect();
    assert!(
        single == sox_codes,
        "{what} per sample: first difference at {}",
        first_difference(&single, sox_codes)
    );
    for kernels in all_kernels() {
        let mut codes = vec![0u8; samples.len()];
        slice_fn(kernels, &mut codes, &samples);
        assert!(
            codes == sox_codes,
            "{what}, backend {}: first difference at {}",
            kernels.backend(),
            first_difference(&codes, sox_codes)
        );
    }
}

fn check_decoder(
    sox_samples: &[i16],
    sample_fn: fn(u8) -> i16,
    slice_fn: fn(Kernels, &mut [i16], &[u8]),
    what: &str,
) {
    let codes = every_code();
    let single: Vec<i16> = codes.iter().map(|&code| sample_fn(code)).collect();
    assert_eq!(single, sox_samples, "{what} per code");
    for kernels in all_kernels() {
        let mut samples = vec![0i16; codes.len()];
        slice_fn(kernels, &mut samples, &codes);
        assert_eq!(
            samples,
            sox_samples,
            "{what}, backend {}",
            kernels.backend()
        );
    }
}

#[test]
fn ulaw_encode_matches_sox_for_every_sample() {
    check_encoder(
        &sox_encode("mu-law"),
        ulaw_encode_sample,
        Kernels::ulaw_encode,
        "mu-law encode",
    );
    let mut scalar_codes = vec![0u8; 65_536];
    scalar::ulaw_encode(&mut scalar_codes, &every_sample());
    assert_eq!(scalar_codes, sox_encode("mu-law"), "scalar reference");
}

#[test]
fn alaw_encode_matches_sox_for_every_sample() {
    check_encoder(
        &sox_encode("a-law"),
        alaw_encode_sample,
        Kernels::alaw_encode,
        "A-law encode",
    );
}

#[test]
fn ulaw_decode_matches_sox_for_every_code() {
    check_decoder(
        &sox_decode("mu-law"),
        ulaw_decode_sample,
        Kernels::ulaw_decode,
        "mu-law decode",
    );
}

#[test]
fn alaw_decode_matches_sox_for_every_code() {
    check_decoder(
        &sox_decode("a-law"),
        alaw_decode_sample,
        Kernels::alaw_decode,
        "A-law decode",
    );
}

/// Values from the G.711 tables themselves, independent of SoX.
#[test]
fn g711_landmarks() {
    // Mu-law: 0xFF and 0x7F are the two zeros; 0x80 and 0x00 the extremes (8031 * 4).
    assert_eq!(ulaw_decode_sample(0xFF), 0);
    assert_eq!(ulaw_decode_sample(0x7F), 0);
    assert_eq!(ulaw_decode_sample(0x80), 32_124);
    assert_eq!(ulaw_decode_sample(0x00), -32_124);
    assert_eq!(ulaw_encode_sample(0), 0xFF);
    assert_eq!(ulaw_encode_sample(i16::MAX), 0x80);
    assert_eq!(ulaw_encode_sample(i16::MIN), 0x00);
    // A-law: even bits inverted; the smallest steps decode to +-8, the extremes to +-32256.
    assert_eq!(alaw_decode_sample(0xD5), 8);
    assert_eq!(alaw_decode_sample(0x55), -8);
    assert_eq!(alaw_decode_sample(0xAA), 32_256);
    assert_eq!(alaw_decode_sample(0x2A), -32_256);
    assert_eq!(alaw_encode_sample(0), 0xD5);
    assert_eq!(alaw_encode_sample(i16::MAX), 0xAA);
    assert_eq!(alaw_encode_sample(i16::MIN), 0x2A);
}
