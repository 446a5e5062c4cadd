//! The mix each leg receives, decoded as its endpoint would, holds exactly the tones of the
//! other selected talkers at their levels (FFT peaks within 1 dB) and never its own.

mod mixer_support;

use std::time::Duration;

use medianode_dataplane::conference::{Codec, LegId, SelectionPolicy};
use medianode_dataplane::mixer::OutputKind;
use mixer_support::{assert_tones, db, spectrum, tone_amplitude, Conference, Talker, Tone};

/// Analysis window: 400 ms, so every tone below sits on a 2.5 Hz bin.
const WINDOW: Duration = Duration::from_millis(400);

#[test]
fn each_leg_hears_the_other_selected_talkers_and_not_itself() {
    let a = Tone::new(400.0, 8000.0);
    let b = Tone::new(700.0, 6000.0);
    let c = Tone::new(1100.0, 4500.0);
    // Audible, but 15 dB under the third talker: loudest-3 leaves it out.
    let d = Tone::new(1700.0, 800.0);
    let mut conf = Conference::new(SelectionPolicy::loudest(3));
    conf.add_talker(1, Talker::new(Codec::Opus, a, 0xa));
    conf.add_talker(2, Talker::new(Codec::Opus, b, 0xb));
    conf.add_talker(3, Talker::new(Codec::Opus, c, 0xc));
    conf.add_talker(4, Talker::new(Codec::Opus, d, 0xd));
    conf.add_listener(5, Codec::Opus);
    conf.add_listener(6, Codec::Pcmu);
    conf.run(50);
    let before = conf.mixer.counters();
    conf.run(10);

    let selected: Vec<u32> = (1..=6)
        .filter(|&l| conf.mixer.is_selected(LegId(l)))
        .collect();
    assert_eq!(selected, vec![1, 2, 3]);
    let expect = [
        (1, vec![b, c], vec![a, d]),
        (2, vec![a, c], vec![b, d]),
        (3, vec![a, b], vec![c, d]),
        (4, vec![a, b, c], vec![d]),
        (5, vec![a, b, c], vec![d]),
        (6, vec![a, b, c], vec![d]),
    ];
    for (leg, present, absent) in expect {
        let heard = conf.heard(leg, WINDOW);
        assert_tones(
            &format!("leg {leg}"),
            heard,
            conf.rate(leg),
            &present,
            &absent,
        );
    }

    // Talkers get their own mix-minus; the listeners of one codec share one encode.
    let kinds = |leg: u32| *conf.receivers[&LegId(leg)].kinds.last().expect("packets");
    for talker in 1..=3 {
        assert_eq!(kinds(talker), OutputKind::MixMinus(LegId(talker)));
    }
    for listener in 4..=6 {
        assert_eq!(kinds(listener), OutputKind::Shared);
    }
    let after = conf.mixer.counters();
    assert_eq!(after.ticks - before.ticks, 10);
    assert_eq!(after.mix_minus_encodes - before.mix_minus_encodes, 3 * 10);
    // Opus listeners (legs 4, 5) share one encode, the PCMU listener has another.
    assert_eq!(after.shared_encodes - before.shared_encodes, 2 * 10);
    assert_eq!(after.encode_errors, 0);
}

#[test]
fn a_pcmu_leg_at_8_khz_and_an_opus_leg_at_48_khz_mix_together() {
    let phone = Tone::new(600.0, 8000.0);
    let browser = Tone::new(1000.0, 8000.0);
    let mut conf = Conference::new(SelectionPolicy::loudest(3));
    conf.add_talker(1, Talker::new(Codec::Pcmu, phone, 1).without_level());
    conf.add_talker(2, Talker::new(Codec::Opus, browser, 2));
    conf.add_listener(3, Codec::Pcma);
    conf.add_listener(4, Codec::Opus);
    conf.run(50);

    assert_eq!(conf.rate(1), 8000);
    assert_tones(
        "PCMU talker",
        conf.heard(1, WINDOW),
        8000,
        &[browser],
        &[phone],
    );
    assert_tones(
        "Opus talker",
        conf.heard(2, WINDOW),
        48_000,
        &[phone],
        &[browser],
    );
    assert_tones(
        "PCMA listener",
        conf.heard(3, WINDOW),
        8000,
        &[phone, browser],
        &[],
    );
    assert_tones(
        "Opus listener",
        conf.heard(4, WINDOW),
        48_000,
        &[phone, browser],
        &[],
    );
}

#[test]
fn levels_come_from_decoding_when_no_extension_is_sent() {
    // Opus without RFC 6464 is decoded for its level; PCMU's level is read from the payload.
    let loud = Tone::new(500.0, 9000.0);
    let medium = Tone::new(800.0, 5000.0);
    let quiet = Tone::new(1300.0, 600.0);
    let mut conf = Conference::new(SelectionPolicy::loudest(2));
    conf.add_talker(1, Talker::new(Codec::Opus, loud, 1).without_level());
    conf.add_talker(2, Talker::new(Codec::Pcmu, medium, 2).without_level());
    conf.add_talker(3, Talker::new(Codec::Opus, quiet, 3).without_level());
    conf.add_listener(4, Codec::Opus);
    conf.run(50);

    assert!(conf.mixer.is_selected(LegId(1)) && conf.mixer.is_selected(LegId(2)));
    assert!(!conf.mixer.is_selected(LegId(3)));
    assert_tones(
        "listener",
        conf.heard(4, WINDOW),
        48_000,
        &[loud, medium],
        &[quiet],
    );
    assert_tones(
        "quiet talker",
        conf.heard(3, WINDOW),
        48_000,
        &[loud, medium],
        &[quiet],
    );
    // The unselected Opus leg was decoded anyway (for its level); the selected ones too.
    for leg in [1, 3] {
        let stats = conf.mixer.leg_stats(LegId(leg)).expect("leg");
        assert!(stats.decoded >= 40, "leg {leg}: {stats:?}");
    }
}

/// The share of `pcm`'s power outside the bins within `guard` Hz of the tones, in dB.
fn distortion_db(pcm: &[i16], rate: u32, tones: &[Tone], guard: f64) -> f64 {
    let bins = spectrum(pcm);
    let hz_per_bin = f64::from(rate) / pcm.len() as f64;
    let (mut inside, mut outside) = (0.0, 0.0);
    for (k, m) in bins.iter().enumerate() {
        let hz = k as f64 * hz_per_bin;
        if tones.iter().any(|t| (t.hz - hz).abs() <= guard) {
            inside += m * m;
        } else {
            outside += m * m;
        }
    }
    10.0 * (outside / (inside + outside)).log10()
}

#[test]
fn four_full_scale_talkers_do_not_wrap() {
    let tones = [
        Tone::new(400.0, 32767.0),
        Tone::new(700.0, 32767.0),
        Tone::new(1100.0, 32767.0),
        Tone::new(1700.0, 32767.0),
    ];
    let mut conf = Conference::new(SelectionPolicy::loudest(4));
    for (i, &tone) in tones.iter().enumerate() {
        conf.add_talker(i as u32 + 1, Talker::new(Codec::Pcmu, tone, i as u32 + 1));
    }
    conf.add_listener(5, Codec::Pcmu);
    conf.add_listener(6, Codec::Opus);
    conf.run(60);

    // The metric sees wrapping: the same four tones summed with 16-bit wrap-around.
    let wrapped: Vec<i16> = (0..3200)
        .map(|n| {
            tones
                .iter()
                .map(|t| t.samples(8000, n, 1)[0])
                .fold(0i16, i16::wrapping_add)
        })
        .collect();
    let wrapped_distortion = distortion_db(&wrapped, 8000, &tones, 60.0);
    assert!(wrapped_distortion > -10.0, "{wrapped_distortion}");

    for (leg, present, absent) in [
        (5, &tones[..], None),
        (6, &tones[..], None),
        (1, &tones[1..], Some(tones[0])),
    ] {
        let rate = conf.rate(leg);
        let heard = conf.heard(leg, WINDOW);
        let distortion = distortion_db(heard, rate, present, 60.0);
        assert!(
            distortion < -25.0,
            "leg {leg}: distortion {distortion:.1} dB"
        );
        // Limited alike: the tones stay within 1 dB of each other, and loud.
        let levels: Vec<f64> = present
            .iter()
            .map(|t| tone_amplitude(heard, rate, t.hz))
            .collect();
        let (low, high) = levels
            .iter()
            .fold((f64::MAX, 0.0f64), |(l, h), &x| (l.min(x), h.max(x)));
        assert!(db(high, low) <= 1.0, "leg {leg}: levels {levels:?}");
        assert!(db(low, 32767.0) > -20.0, "leg {leg}: levels {levels:?}");
        if let Some(own) = absent {
            assert_tones(&format!("leg {leg}"), heard, rate, &[], &[own]);
        }
    }
}

#[test]
fn a_selected_talker_that_falls_silent_hears_the_shared_mix_until_it_speaks_again() {
    let a = Tone::new(400.0, 8000.0);
    let b = Tone::new(700.0, 6000.0);
    let mut conf = Conference::new(SelectionPolicy::loudest(3));
    conf.add_talker(1, Talker::new(Codec::Opus, a, 0xa));
    conf.add_talker(2, Talker::new(Codec::Opus, b, 0xb));
    conf.add_listener(3, Codec::Opus);
    conf.run(50);
    // Talker 2 pauses: the selection holds it, but after the hangover it leaves the mix.
    if let Some(talker) = conf.talkers.get_mut(&LegId(2)) {
        talker.tone = Tone::new(700.0, 0.0);
    }
    conf.run(20);
    assert!(
        conf.mixer.is_selected(LegId(2)),
        "the hold keeps the pausing talker"
    );
    let kinds =
        |conf: &Conference, leg: u32| *conf.receivers[&LegId(leg)].kinds.last().expect("packets");
    assert_eq!(kinds(&conf, 1), OutputKind::MixMinus(LegId(1)));
    assert_eq!(
        kinds(&conf, 2),
        OutputKind::Shared,
        "silent: the shared mix"
    );
    let before = conf.mixer.counters();
    conf.run(10);
    let after = conf.mixer.counters();
    // The speaking talker is alone in the mix: its mix-minus is silence, not encoded.
    assert_eq!(
        after.mix_minus_encodes - before.mix_minus_encodes,
        0,
        "no mix-minus is encoded"
    );
    assert_eq!(after.silent_mix_minus - before.silent_mix_minus, 10);
    assert_tones("silent talker", conf.heard(2, WINDOW), 48_000, &[a], &[b]);

    // It speaks again: back in the mix within a few ticks, and the other talker hears it.
    if let Some(talker) = conf.talkers.get_mut(&LegId(2)) {
        talker.tone = b;
    }
    conf.run(5);
    assert_eq!(kinds(&conf, 2), OutputKind::MixMinus(LegId(2)));
    conf.run(25);
    assert_tones("first talker", conf.heard(1, WINDOW), 48_000, &[b], &[a]);
}
