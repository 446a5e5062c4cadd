//! The SIMD kernels against their scalar references, at the sizes the media path uses.
//!
//! Each group runs the scalar reference (`medianode_simd::scalar`), the dispatched function
//! (the backend this CPU gets at start-up) and, when the dispatched backend is AVX-512, the
//! AVX2 backend too, so machines without AVX-512 can read their likely numbers. Targets and
//! results are in `benches/RESULTS.md`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use medianode_simd::{scalar, Backend, Kernels};

/// One 20 ms frame at 48 kHz.
const FRAME: usize = 960;
/// A long buffer: a batch of frames, or a file.
const LONG: usize = 64 * 1024;
const TALKERS: usize = 3;

/// Deterministic noise shaped roughly like speech levels: mostly moderate, some loud.
fn samples(len: usize, seed: u32) -> Vec<i16> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let value = (state >> 16) as u16 as i16;
            if state & 0x7 == 0 {
                value
            } else {
                value >> 3
            }
        })
        .collect()
}

fn bytes(len: usize, seed: u32) -> Vec<u8> {
    samples(len, seed)
        .iter()
        .map(|&sample| sample as u8)
        .collect()
}

/// The AVX2 backend when it is not already the dispatched one.
fn avx2_alongside() -> Option<Kernels> {
    (medianode_simd::backend_name() != Backend::Avx2.name())
        .then(|| Backend::Avx2.kernels())
        .flatten()
}

fn dispatched_label() -> String {
    format!("dispatched-{}", medianode_simd::backend_name())
}

fn xor(c: &mut Criterion) {
    let mut group = c.benchmark_group("xor_in_place");
    for size in [1024, 4096, 16 * 1024, 64 * 1024] {
        let keystream = bytes(size, 1);
        let mut data = bytes(size, 2);
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("scalar", size), &size, |b, _| {
            b.iter(|| scalar::xor_in_place(black_box(&mut data), black_box(&keystream)))
        });
        group.bench_with_input(BenchmarkId::new(dispatched_label(), size), &size, |b, _| {
            b.iter(|| medianode_simd::xor_in_place(black_box(&mut data), black_box(&keystream)))
        });
        if let Some(avx2) = avx2_alongside() {
            group.bench_with_input(BenchmarkId::new("avx2", size), &size, |b, _| {
                b.iter(|| avx2.xor_in_place(black_box(&mut data), black_box(&keystream)))
            });
        }
    }
    group.finish();
}

/// The buffers of one mix-minus round: three talkers' frames in, three outputs.
struct MixRound {
    frames: Vec<Vec<i16>>,
    total: Vec<i32>,
    outputs: Vec<Vec<i16>>,
}

impl MixRound {
    fn new() -> Self {
        MixRound {
            frames: (0..TALKERS)
                .map(|talker| samples(FRAME, 10 + talker as u32))
                .collect(),
            total: vec![0; FRAME],
            outputs: vec![vec![0; FRAME]; TALKERS],
        }
    }

    /// Add every talker into the accumulator, then write every talker's mix-minus: the
    /// target's definition. Without zeroing, the totals grow and eventually wrap, which
    /// changes no kernel's speed.
    fn run(
        &mut self,
        accumulate: impl Fn(&mut [i32], &[i16]),
        mix_minus: impl Fn(&mut [i16], &[i32], &[i16]),
    ) {
        for frame in &self.frames {
            accumulate(&mut self.total, black_box(frame));
        }
        for (output, frame) in self.outputs.iter_mut().zip(&self.frames) {
            mix_minus(output, &self.total, frame);
        }
        black_box(&self.outputs);
    }
}

fn mix(c: &mut Criterion) {
    let mut group = c.benchmark_group("mix_minus_3x960");
    group.throughput(Throughput::Elements((TALKERS * FRAME) as u64));
    let mut round = MixRound::new();
    group.bench_function("scalar", |b| {
        b.iter(|| round.run(scalar::accumulate, scalar::mix_minus))
    });
    group.bench_function(dispatched_label(), |b| {
        b.iter(|| round.run(medianode_simd::accumulate, medianode_simd::mix_minus))
    });
    // What a mixer really does each frame: zero the accumulator first.
    group.bench_function(format!("{}-with-zeroing", dispatched_label()), |b| {
        b.iter(|| {
            round.total.fill(0);
            round.run(medianode_simd::accumulate, medianode_simd::mix_minus)
        })
    });
    if let Some(avx2) = avx2_alongside() {
        group.bench_function("avx2", |b| {
            b.iter(|| {
                round.run(
                    |acc, frame| avx2.accumulate(acc, frame),
                    |out, total, own| avx2.mix_minus(out, total, own),
                )
            })
        });
    }
    group.finish();
}

fn level(c: &mut Criterion) {
    let mut group = c.benchmark_group("audio_level_960");
    group.throughput(Throughput::Elements(FRAME as u64));
    let frame = samples(FRAME, 20);
    group.bench_function("scalar", |b| {
        b.iter(|| scalar::audio_level_dbov(black_box(&frame)))
    });
    group.bench_function(dispatched_label(), |b| {
        b.iter(|| medianode_simd::audio_level_dbov(black_box(&frame)))
    });
    if let Some(avx2) = avx2_alongside() {
        group.bench_function("avx2", |b| {
            b.iter(|| avx2.audio_level_dbov(black_box(&frame)))
        });
    }
    group.finish();
}

type Encoder = fn(&mut [u8], &[i16]);
type Decoder = fn(&mut [i16], &[u8]);
/// One codec direction: its name, the reference, the dispatched function, a backend's.
type EncoderCase = (
    &'static str,
    Encoder,
    Encoder,
    fn(Kernels, &mut [u8], &[i16]),
);
type DecoderCase = (
    &'static str,
    Decoder,
    Decoder,
    fn(Kernels, &mut [i16], &[u8]),
);

fn g711(c: &mut Criterion) {
    let encoders: [EncoderCase; 2] = [
        (
            "ulaw_encode",
            scalar::ulaw_encode,
            medianode_simd::ulaw_encode,
            Kernels::ulaw_encode,
        ),
        (
            "alaw_encode",
            scalar::alaw_encode,
            medianode_simd::alaw_encode,
            Kernels::alaw_encode,
        ),
    ];
    let decoders: [DecoderCase; 2] = [
        (
            "ulaw_decode",
            scalar::ulaw_decode,
            medianode_simd::ulaw_decode,
            Kernels::ulaw_decode,
        ),
        (
            "alaw_decode",
            scalar::alaw_decode,
            medianode_simd::alaw_decode,
            Kernels::alaw_decode,
        ),
    ];
    for (name, reference, dispatched, backend) in encoders {
        let mut group = c.benchmark_group(name);
        for len in [FRAME, LONG] {
            let pcm = samples(len, 30);
            let mut codes = vec![0u8; len];
            group.throughput(Throughput::Elements(len as u64));
            group.bench_with_input(BenchmarkId::new("scalar", len), &len, |b, _| {
                b.iter(|| reference(black_box(&mut codes), black_box(&pcm)))
            });
            group.bench_with_input(BenchmarkId::new(dispatched_label(), len), &len, |b, _| {
                b.iter(|| dispatched(black_box(&mut codes), black_box(&pcm)))
            });
            if let Some(avx2) = avx2_alongside() {
                group.bench_with_input(BenchmarkId::new("avx2", len), &len, |b, _| {
                    b.iter(|| backend(avx2, black_box(&mut codes), black_box(&pcm)))
                });
            }
        }
        group.finish();
    }
    for (name, reference, dispatched, backend) in decoders {
        let mut group = c.benchmark_group(name);
        for len in [FRAME, LONG] {
            let codes = bytes(len, 40);
            let mut pcm = vec![0i16; len];
            group.throughput(Throughput::Elements(len as u64));
            group.bench_with_input(BenchmarkId::new("scalar", len), &len, |b, _| {
                b.iter(|| reference(black_box(&mut pcm), black_box(&codes)))
            });
            group.bench_with_input(BenchmarkId::new(dispatched_label(), len), &len, |b, _| {
                b.iter(|| dispatched(black_box(&mut pcm), black_box(&codes)))
            });
            if let Some(avx2) = avx2_alongside() {
                group.bench_with_input(BenchmarkId::new("avx2", len), &len, |b, _| {
                    b.iter(|| backend(avx2, black_box(&mut pcm), black_box(&codes)))
                });
            }
        }
        group.finish();
    }
}

criterion_group!(kernels, xor, mix, level, g711);
criterion_main!(kernels);
