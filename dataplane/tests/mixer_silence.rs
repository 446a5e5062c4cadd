//! What the mixer leaves out when nobody needs it: a talker alone in the mix gets
//! pre-encoded silence instead of an encode of its (empty) mix-minus, and a selected
//! talker in a pause whose packets carry their level is not decoded. Both come back at
//! once when the audio does.

mod mixer_support;

use std::time::Duration;

use medianode_dataplane::conference::{Codec, LegId, SelectionPolicy};
use medianode_dataplane::mixer::{MixerCounters, OutputKind};
use mixer_support::{assert_tones, db, rms, Conference, Talker, Tone};

/// Analysis window: 400 ms, so every tone below sits on a 2.5 Hz bin.
const WINDOW: Duration = Duration::from_millis(400);

fn last_kind(conf: &Conference, leg: u32) -> OutputKind {
    *conf.receivers[&LegId(leg)].kinds.last().expect("packets")
}

fn delta(after: MixerCounters, before: MixerCounters) -> (u64, u64, u64) {
    (
        after.mix_minus_encodes - before.mix_minus_encodes,
        after.silent_mix_minus - before.silent_mix_minus,
        after.shared_encodes - before.shared_encodes,
    )
}

fn silenced(tone: Tone) -> Tone {
    Tone::new(tone.hz, 0.0)
}

#[test]
fn a_lone_talker_gets_silence_without_an_encode_until_a_second_talker_speaks() {
    let a = Tone::new(400.0, 8000.0);
    let b = Tone::new(700.0, 6000.0);
    let mut conf = Conference::new(SelectionPolicy::loudest(3));
    conf.add_talker(1, Talker::new(Codec::Opus, a, 0xa));
    conf.add_talker(2, Talker::new(Codec::Opus, silenced(b), 0xb));
    conf.add_listener(3, Codec::Opus);
    conf.add_listener(4, Codec::Pcmu);
    conf.run(50);

    let before = conf.mixer.counters();
    conf.run(10);
    let after = conf.mixer.counters();
    // Talker 1 alone: no mix-minus encode, ten silent ticks; the shared mixes (Opus for
    // legs 2 and 3, PCMU for leg 4) are encoded as ever.
    assert_eq!(delta(after, before), (0, 10, 2 * 10));
    assert_eq!(after.encode_errors, 0);
    assert_eq!(last_kind(&conf, 1), OutputKind::MixMinus(LegId(1)));

    // What it receives decodes to digital silence, the same packet every tick, and it is
    // not what an encoder makes of the mix the others hear.
    let heard = conf.heard(1, WINDOW);
    let level = db(rms(heard).max(1e-3), 32768.0);
    assert!(level < -70.0, "the lone talker hears {level:.1} dBov");
    let silence = conf.receivers[&LegId(1)].last_payload.clone();
    conf.run(1);
    assert_eq!(conf.receivers[&LegId(1)].last_payload, silence);
    assert_ne!(conf.receivers[&LegId(3)].last_payload, silence);
    assert_tones("listener", conf.heard(3, WINDOW), 48_000, &[a], &[b]);

    // Talker 2 speaks: from the tick the selector takes it in (its smoothed level
    // rises over some ten ticks), talker 1's encoder runs again.
    if let Some(talker) = conf.talkers.get_mut(&LegId(2)) {
        talker.tone = b;
    }
    let mut selected_at = None;
    let mut encoded_at = None;
    for tick in 0..40 {
        let before = conf.mixer.counters();
        conf.run(1);
        if selected_at.is_none() && conf.mixer.is_selected(LegId(2)) {
            selected_at = Some(tick);
        }
        let (encodes, silent, _) = delta(conf.mixer.counters(), before);
        if encoded_at.is_none() && silent == 0 {
            assert_eq!(encodes, 2, "both talkers' mix-minus encoded");
            encoded_at = Some(tick);
        }
        if encoded_at.is_some() {
            assert_eq!((encodes, silent), (2, 0), "tick {tick}");
        }
    }
    let (selected_at, encoded_at) = (selected_at.expect("selected"), encoded_at.expect("mixed"));
    assert!(
        encoded_at <= selected_at + 1,
        "selected at tick {selected_at}, its audio reached talker 1 at tick {encoded_at}"
    );
    assert_eq!(conf.mixer.counters().encode_errors, 0);
    assert_eq!(last_kind(&conf, 1), OutputKind::MixMinus(LegId(1)));
    assert_tones("first talker", conf.heard(1, WINDOW), 48_000, &[b], &[a]);
    assert_tones("second talker", conf.heard(2, WINDOW), 48_000, &[a], &[b]);
}

#[test]
fn a_lone_pcmu_talker_gets_the_silence_byte() {
    let a = Tone::new(600.0, 8000.0);
    let b = Tone::new(1000.0, 6000.0);
    let mut conf = Conference::new(SelectionPolicy::loudest(3));
    conf.add_talker(1, Talker::new(Codec::Pcmu, a, 1));
    conf.add_talker(2, Talker::new(Codec::Pcmu, silenced(b), 2));
    conf.run(50);
    let before = conf.mixer.counters();
    conf.run(10);
    assert_eq!(delta(conf.mixer.counters(), before).1, 10);
    let heard = conf.heard(1, WINDOW);
    assert!(
        heard.iter().all(|&s| s == 0),
        "PCMU silence decodes to zeros"
    );

    if let Some(talker) = conf.talkers.get_mut(&LegId(2)) {
        talker.tone = b;
    }
    conf.run(30);
    assert_tones("first talker", conf.heard(1, WINDOW), 8000, &[b], &[a]);
}

/// Talker 1 speaks throughout; talker 2 speaks, pauses past the hangover, speaks again;
/// leg 3 listens. Talker 2 sends the RFC 6464 level or not (then it is decoded for it).
fn pause_and_resume(with_level: bool) -> (Conference, u64, u64, usize) {
    let a = Tone::new(400.0, 8000.0);
    let b = Tone::new(700.0, 6000.0);
    let mut conf = Conference::new(SelectionPolicy::loudest(3));
    conf.add_talker(1, Talker::new(Codec::Opus, a, 0xa));
    let second = Talker::new(Codec::Opus, b, 0xb);
    conf.add_talker(
        2,
        if with_level {
            second
        } else {
            second.without_level()
        },
    );
    conf.add_listener(3, Codec::Opus);
    conf.run(50);
    if let Some(talker) = conf.talkers.get_mut(&LegId(2)) {
        talker.tone = silenced(b);
    }
    conf.run(20);
    assert!(conf.mixer.is_selected(LegId(2)), "the hold keeps it");
    assert_eq!(last_kind(&conf, 2), OutputKind::Shared);

    let decoded = |conf: &Conference| conf.mixer.leg_stats(LegId(2)).expect("leg").decoded;
    let (decoded_before, skipped_before) = (decoded(&conf), conf.mixer.counters().skipped_decodes);
    conf.run(10);
    let paused_decodes = decoded(&conf) - decoded_before;
    let skipped = conf.mixer.counters().skipped_decodes - skipped_before;

    if let Some(talker) = conf.talkers.get_mut(&LegId(2)) {
        talker.tone = b;
    }
    let back = (1..=10)
        .find(|_| {
            conf.run(1);
            last_kind(&conf, 2) == OutputKind::MixMinus(LegId(2))
        })
        .expect("back in the mix");
    (conf, paused_decodes, skipped, back)
}

#[test]
fn a_selected_talker_in_a_pause_is_not_decoded_and_comes_back_on_its_first_loud_packet() {
    let (mut conf, paused_decodes, skipped, back) = pause_and_resume(true);
    assert_eq!(paused_decodes, 0, "not decoded in its pause");
    assert_eq!(skipped, 10);

    // The same talker without the level is decoded all along, and comes back at the
    // tick its audio plays: the one with the level comes back no later.
    let (_, control_decodes, control_skipped, control_back) = pause_and_resume(false);
    assert!(control_decodes >= 10, "{control_decodes}");
    assert_eq!(control_skipped, 0);
    assert!(
        back <= control_back,
        "back after {back} ticks, decoding it takes {control_back}"
    );
    // Within the jitter buffer's delay (two packets) and a tick.
    assert!(back <= 3, "{back}");

    conf.run(25);
    let a = Tone::new(400.0, 8000.0);
    let b = Tone::new(700.0, 6000.0);
    assert_tones("first talker", conf.heard(1, WINDOW), 48_000, &[b], &[a]);
    assert_tones("second talker", conf.heard(2, WINDOW), 48_000, &[a], &[b]);
    assert_tones("listener", conf.heard(3, WINDOW), 48_000, &[a, b], &[]);
}
