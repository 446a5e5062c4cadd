//! Whatever arrives on a mixed leg (random bytes, valid headers over random payloads,
//! wild sequence numbers and timestamps) is buffered, passed through or counted as
//! dropped, and the mixer keeps ticking without a panic.

mod mixer_support;

use std::time::{Duration, Instant};

use medianode_dataplane::conference::{Codec, LegId, SelectionPolicy};
use medianode_dataplane::mixer::{ConferenceMixer, MixLegConfig, MixerConfig, PushOutcome, TICK};
use mixer_support::{rtp, LEVEL_ID, PT_DTMF, PT_OPUS, PT_PCMU};
use proptest::prelude::*;

/// A packet: either raw bytes, or an RTP header with fields and payload drawn at random.
fn arbitrary_packet() -> impl Strategy<Value = Vec<u8>> {
    let raw = proptest::collection::vec(any::<u8>(), 0..80);
    let pt = prop_oneof![Just(PT_OPUS), Just(PT_PCMU), Just(PT_DTMF), 0u8..128];
    let structured = (
        pt,
        any::<u16>(),
        any::<u32>(),
        0u32..3,
        proptest::option::of(0u8..128),
        proptest::collection::vec(any::<u8>(), 0..1600),
    )
        .prop_map(|(pt, seq, ts, ssrc, level, payload)| rtp(pt, seq, ts, ssrc, level, &payload));
    prop_oneof![1 => raw, 4 => structured]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_input_is_counted_and_never_panics(
        packets in proptest::collection::vec((arbitrary_packet(), 0u32..2, 0u64..30), 1..60)
    ) {
        let mut now = Instant::now();
        let mut mixer = ConferenceMixer::new(MixerConfig::new(SelectionPolicy::loudest(2)), now)
            .expect("valid config");
        let opus = MixLegConfig::new(Codec::Opus, PT_OPUS)
            .with_telephone_event(PT_DTMF)
            .with_audio_level(LEVEL_ID);
        let pcmu = MixLegConfig::new(Codec::Pcmu, PT_PCMU)
            .with_telephone_event(PT_DTMF)
            .with_ptime(Duration::from_millis(10));
        mixer.add_leg(LegId(0), opus).expect("leg");
        mixer.add_leg(LegId(1), pcmu).expect("leg");
        let mut pushed = [0u64; 2];
        for (packet, leg, advance_ms) in packets {
            now += Duration::from_millis(advance_ms);
            let outcome = mixer.push_packet(LegId(leg), &packet, now).expect("known leg");
            prop_assert!(matches!(
                outcome,
                PushOutcome::Buffered | PushOutcome::PassThrough | PushOutcome::Dropped(_)
            ));
            pushed[leg as usize] += 1;
            while mixer.next_tick() <= now {
                let due = mixer.next_tick();
                let tick = mixer.tick(due).expect("due");
                for delivery in tick.deliveries() {
                    let output = tick.output(delivery.output).expect("output");
                    prop_assert!(output.packets().count() <= 2);
                }
            }
        }
        for leg in 0..2 {
            let stats = mixer.leg_stats(LegId(leg)).expect("leg");
            let accounted = stats.jitter.buffered + stats.passed_through + stats.dropped;
            prop_assert_eq!(accounted, pushed[leg as usize], "{:?}", stats);
        }
        // The clock never fell behind by more than the scripted pauses allow.
        prop_assert!(mixer.next_tick() > now && mixer.next_tick() <= now + TICK);
    }
}
