//! Every backend this CPU can run must equal the scalar reference, bit for bit.
//!
//! Inputs have random lengths up to 4100 (mostly not multiples of any vector width), start
//! at random offsets into their buffers (so loads and stores are unaligned), and pair
//! slices of different lengths so the shortest-length rule and untouched tails are checked.

use std::sync::Once;

use medianode_simd::{scalar, Backend, Kernels};
use proptest::prelude::*;

const MAX_LEN: usize = 4100;

/// The SIMD backends this CPU can run; the ones it lacks are skipped and named on stderr.
fn simd_backends() -> Vec<Kernels> {
    static REPORT: Once = Once::new();
    let simd = Backend::ALL
        .iter()
        .filter(|&&backend| backend != Backend::Scalar);
    REPORT.call_once(|| {
        for backend in simd.clone().filter(|backend| !backend.is_available()) {
            eprintln!("backend {backend} is not available on this CPU; skipped");
        }
    });
    simd.filter_map(|backend| backend.kernels()).collect()
}

/// A buffer and an offset into it: the slice under test is `buffer[offset..]`.
fn offset_vec<T: core::fmt::Debug>(
    element: impl Strategy<Value = T>,
) -> impl Strategy<Value = (Vec<T>, usize)> {
    (
        proptest::collection::vec(element, 0..=MAX_LEN + 15),
        0usize..16,
    )
        .prop_map(|(buffer, offset)| {
            let offset = offset.min(buffer.len());
            (buffer, offset)
        })
}

/// Mostly totals a real mix produces, sometimes any `i32`, sometimes right at the ends of
/// the range where a careless subtraction would wrap.
fn total() -> impl Strategy<Value = i32> {
    prop_oneof![
        6 => -200_000i32..200_000,
        2 => any::<i32>(),
        1 => i32::MIN..i32::MIN + 40_000,
        1 => i32::MAX - 40_000..=i32::MAX,
    ]
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn xor_in_place((data, data_at) in offset_vec(any::<u8>()), (key, key_at) in offset_vec(any::<u8>())) {
        let mut expected = data.clone();
        scalar::xor_in_place(&mut expected[data_at..], &key[key_at..]);
        for kernels in simd_backends() {
            let mut actual = data.clone();
            kernels.xor_in_place(&mut actual[data_at..], &key[key_at..]);
            prop_assert_eq!(&actual, &expected, "backend {}", kernels.backend());
        }
    }

    #[test]
    fn accumulate((acc, acc_at) in offset_vec(total()), (frame, frame_at) in offset_vec(any::<i16>())) {
        let mut expected = acc.clone();
        scalar::accumulate(&mut expected[acc_at..], &frame[frame_at..]);
        for kernels in simd_backends() {
            let mut actual = acc.clone();
            kernels.accumulate(&mut actual[acc_at..], &frame[frame_at..]);
            prop_assert_eq!(&actual, &expected, "backend {}", kernels.backend());
        }
    }

    #[test]
    fn mix_minus(
        (out, out_at) in offset_vec(any::<i16>()),
        (total, total_at) in offset_vec(total()),
        (own, own_at) in offset_vec(any::<i16>()),
    ) {
        let mut expected = out.clone();
        scalar::mix_minus(&mut expected[out_at..], &total[total_at..], &own[own_at..]);
        for kernels in simd_backends() {
            let mut actual = out.clone();
            kernels.mix_minus(&mut actual[out_at..], &total[total_at..], &own[own_at..]);
            prop_assert_eq!(&actual, &expected, "backend {}", kernels.backend());
        }
    }

    #[test]
    fn saturate((out, out_at) in offset_vec(any::<i16>()), (total, total_at) in offset_vec(total())) {
        let mut expected = out.clone();
        scalar::saturate(&mut expected[out_at..], &total[total_at..]);
        for kernels in simd_backends() {
            let mut actual = out.clone();
            kernels.saturate(&mut actual[out_at..], &total[total_at..]);
            prop_assert_eq!(&actual, &expected, "backend {}", kernels.backend());
        }
    }

    #[test]
    fn apply_gain_q15(
        (frame, at) in offset_vec(prop_oneof![3 => any::<i16>(), 1 => Just(i16::MIN)]),
        gain in prop_oneof![3 => any::<i16>(), 1 => Just(i16::MIN), 1 => Just(i16::MAX)],
    ) {
        let mut expected = frame.clone();
        scalar::apply_gain_q15(&mut expected[at..], gain);
        for kernels in simd_backends() {
            let mut actual = frame.clone();
            kernels.apply_gain_q15(&mut actual[at..], gain);
            prop_assert_eq!(&actual, &expected, "backend {}, gain {}", kernels.backend(), gain);
        }
    }

    #[test]
    fn sum_of_squares_and_level(
        (frame, at) in offset_vec(prop_oneof![any::<i16>(), -300i16..300, Just(i16::MIN)]),
    ) {
        let frame = &frame[at..];
        let expected_sum = scalar::sum_of_squares(frame);
        let expected_level = scalar::audio_level_dbov(frame);
        for kernels in simd_backends() {
            prop_assert_eq!(kernels.sum_of_squares(frame), expected_sum, "backend {}", kernels.backend());
            prop_assert_eq!(kernels.audio_level_dbov(frame), expected_level, "backend {}", kernels.backend());
        }
    }

    #[test]
    fn ulaw_encode((out, out_at) in offset_vec(any::<u8>()), (pcm, pcm_at) in offset_vec(any::<i16>())) {
        let mut expected = out.clone();
        scalar::ulaw_encode(&mut expected[out_at..], &pcm[pcm_at..]);
        for kernels in simd_backends() {
            let mut actual = out.clone();
            kernels.ulaw_encode(&mut actual[out_at..], &pcm[pcm_at..]);
            prop_assert_eq!(&actual, &expected, "backend {}", kernels.backend());
        }
    }

    #[test]
    fn alaw_encode((out, out_at) in offset_vec(any::<u8>()), (pcm, pcm_at) in offset_vec(any::<i16>())) {
        let mut expected = out.clone();
        scalar::alaw_encode(&mut expected[out_at..], &pcm[pcm_at..]);
        for kernels in simd_backends() {
            let mut actual = out.clone();
            kernels.alaw_encode(&mut actual[out_at..], &pcm[pcm_at..]);
            prop_assert_eq!(&actual, &expected, "backend {}", kernels.backend());
        }
    }

    #[test]
    fn ulaw_decode((out, out_at) in offset_vec(any::<i16>()), (codes, codes_at) in offset_vec(any::<u8>())) {
        let mut expected = out.clone();
        scalar::ulaw_decode(&mut expected[out_at..], &codes[codes_at..]);
        for kernels in simd_backends() {
            let mut actual = out.clone();
            kernels.ulaw_decode(&mut actual[out_at..], &codes[codes_at..]);
            prop_assert_eq!(&actual, &expected, "backend {}", kernels.backend());
        }
    }

    #[test]
    fn alaw_decode((out, out_at) in offset_vec(any::<i16>()), (codes, codes_at) in offset_vec(any::<u8>())) {
        let mut expected = out.clone();
        scalar::alaw_decode(&mut expected[out_at..], &codes[codes_at..]);
        for kernels in simd_backends() {
            let mut actual = out.clone();
            kernels.alaw_decode(&mut actual[out_at..], &codes[codes_at..]);
            prop_assert_eq!(&actual, &expected, "backend {}", kernels.backend());
        }
    }
}

/// The lengths around every vector width and unroll factor, exhaustively, for the kernels
/// whose tails differ most between backends.
#[test]
fn every_length_around_vector_widths() {
    let bytes: Vec<u8> = (0..600u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let samples: Vec<i16> = bytes
        .iter()
        .zip(bytes.iter().skip(1))
        .map(|(&a, &b)| i16::from_le_bytes([a, b]))
        .collect();
    for kernels in simd_backends() {
        for len in 0..=300 {
            let mut expected = bytes[..len].to_vec();
            let mut actual = expected.clone();
            scalar::xor_in_place(&mut expected, &bytes[1..]);
            kernels.xor_in_place(&mut actual, &bytes[1..]);
            assert_eq!(
                actual,
                expected,
                "xor, backend {}, length {len}",
                kernels.backend()
            );

            let mut expected = vec![0u8; len];
            let mut actual = expected.clone();
            scalar::ulaw_encode(&mut expected, &samples[3..]);
            kernels.ulaw_encode(&mut actual, &samples[3..]);
            assert_eq!(
                actual,
                expected,
                "ulaw, backend {}, length {len}",
                kernels.backend()
            );

            let mut expected = samples[..len].to_vec();
            let mut actual = expected.clone();
            scalar::apply_gain_q15(&mut expected, -12_345);
            kernels.apply_gain_q15(&mut actual, -12_345);
            assert_eq!(
                actual,
                expected,
                "gain, backend {}, length {len}",
                kernels.backend()
            );
        }
    }
}

/// Every start offset (so every alignment the kernels peel to) with every short length,
/// for the mixing kernels that split their input around an aligned middle.
#[test]
fn every_alignment_and_short_length_of_the_mixing_kernels() {
    let totals: Vec<i32> = (0..200)
        .map(|i| (i - 100) * 1_009 + (i % 7) * 40_000)
        .collect();
    let own: Vec<i16> = (0..200).map(|i| (i * 331 - 30_000) as i16).collect();
    for kernels in simd_backends() {
        for offset in 0..16 {
            for len in 0..=130 {
                let what = format!(
                    "backend {}, offset {offset}, length {len}",
                    kernels.backend()
                );
                let mut expected = totals.clone();
                let mut actual = totals.clone();
                scalar::accumulate(&mut expected[offset..offset + len], &own[3..]);
                kernels.accumulate(&mut actual[offset..offset + len], &own[3..]);
                assert_eq!(actual, expected, "accumulate, {what}");

                let mut expected = own.clone();
                let mut actual = own.clone();
                let total = &totals[offset..offset + len];
                scalar::mix_minus(&mut expected[1..], total, &own[5..]);
                kernels.mix_minus(&mut actual[1..], total, &own[5..]);
                assert_eq!(actual, expected, "mix_minus, {what}");

                let mut expected = own.clone();
                let mut actual = own.clone();
                scalar::saturate(&mut expected[2..], total);
                kernels.saturate(&mut actual[2..], total);
                assert_eq!(actual, expected, "saturate, {what}");
            }
        }
    }
}

#[test]
fn the_dispatched_backend_is_the_best_available() {
    let best = Backend::ALL
        .iter()
        .copied()
        .find(|backend| backend.is_available());
    assert_eq!(
        best.map(Backend::name),
        Some(medianode_simd::backend_name())
    );
    assert!(Backend::Scalar.is_available());
}
