//! The per-leg jitter buffer: reordering, late and duplicate packets, loss with the next
//! packet handed over for FEC, adaptive and bounded delay, sequence wrap, restarts; and
//! the mixer's handling of packets that must not be mixed.

mod mixer_support;

use std::time::{Duration, Instant};

use medianode_dataplane::conference::{Codec, LegId, SelectionPolicy};
use medianode_dataplane::mixer::jitter::{InsertOutcome, PacketInfo, Playout};
use medianode_dataplane::mixer::{
    ConferenceMixer, DropCause, JitterBuffer, JitterConfig, MixLegConfig, MixerConfig, MixerError,
    PushOutcome, TICK,
};
use mixer_support::{rtp, PT_DTMF, PT_PCMU};

/// 20 ms at 8 kHz.
const FRAME: u32 = 160;

fn packet(seq: u16) -> PacketInfo {
    PacketInfo {
        sequence_number: seq,
        timestamp: u32::from(seq).wrapping_mul(FRAME),
        ssrc: 7,
        samples: FRAME,
        level_dbov: None,
    }
}

/// A payload that names its packet.
fn payload(seq: u16) -> [u8; 4] {
    let [hi, lo] = seq.to_be_bytes();
    [hi, lo, 0xd5, 0xd5]
}

/// What one tick plays, as a short label: the sequence number of a packet, `L` for a
/// loss (with `+n` naming the FEC packet handed over), `U` for an underrun, `-` for idle.
fn play_tick(buffer: &mut JitterBuffer) -> String {
    buffer.begin_tick();
    match buffer.next(FRAME) {
        Playout::Packet { payload, .. } => u16::from_be_bytes([payload[0], payload[1]]).to_string(),
        Playout::Lost {
            fec: Some(next), ..
        } => {
            format!("L+{}", u16::from_be_bytes([next[0], next[1]]))
        }
        Playout::Lost { fec: None, .. } => "L".to_string(),
        Playout::Underrun { .. } => "U".to_string(),
        Playout::Idle => "-".to_string(),
    }
}

fn buffer() -> JitterBuffer {
    JitterBuffer::new(JitterConfig::default(), 8000)
}

fn insert(buffer: &mut JitterBuffer, seq: u16, at: Instant) -> InsertOutcome {
    buffer.insert(packet(seq), &payload(seq), at)
}

#[test]
fn reorders_packets_that_arrive_out_of_order() {
    let mut jb = buffer();
    let now = Instant::now();
    for seq in [1, 3, 2, 5, 4] {
        assert_eq!(insert(&mut jb, seq, now), InsertOutcome::Buffered);
    }
    let played: Vec<String> = (0..6).map(|_| play_tick(&mut jb)).collect();
    assert_eq!(played, ["1", "2", "3", "4", "5", "U"]);
    let stats = jb.stats();
    assert_eq!((stats.buffered, stats.played, stats.lost), (5, 5, 0));
}

#[test]
fn drops_late_and_duplicate_packets_and_counts_them() {
    let mut jb = buffer();
    let now = Instant::now();
    for seq in 1..=4 {
        insert(&mut jb, seq, now);
    }
    assert_eq!(play_tick(&mut jb), "1");
    assert_eq!(play_tick(&mut jb), "2");
    assert_eq!(insert(&mut jb, 2, now), InsertOutcome::Late);
    assert_eq!(insert(&mut jb, 1, now), InsertOutcome::Late);
    assert_eq!(insert(&mut jb, 4, now), InsertOutcome::Duplicate);
    assert_eq!(play_tick(&mut jb), "3");
    assert_eq!(play_tick(&mut jb), "4");
    let stats = jb.stats();
    assert_eq!((stats.late, stats.duplicates, stats.played), (2, 1, 4));
}

#[test]
fn a_missing_packet_is_declared_lost_and_the_next_one_offered_for_fec() {
    let mut jb = buffer();
    let now = Instant::now();
    for seq in [1, 2, 4, 5, 7, 8, 9] {
        insert(&mut jb, seq, now);
    }
    let played: Vec<String> = (0..7).map(|_| play_tick(&mut jb)).collect();
    // 3 is lost with 4 there for FEC; 6 is lost with 7 there.
    assert_eq!(played, ["1", "2", "L+4", "4", "5", "L+7", "7"]);
    assert_eq!(jb.stats().lost, 2);
    // A packet that comes after its loss was concealed is late.
    assert_eq!(insert(&mut jb, 6, now), InsertOutcome::Late);
}

#[test]
fn two_losses_in_a_row_offer_fec_only_for_the_second() {
    let mut jb = buffer();
    let now = Instant::now();
    for seq in [1, 2, 5, 6, 7] {
        insert(&mut jb, seq, now);
    }
    let played: Vec<String> = (0..5).map(|_| play_tick(&mut jb)).collect();
    assert_eq!(played, ["1", "2", "L", "L+5", "5"]);
}

/// Runs `ticks` ticks of a stream sent every 20 ms, `arrival(seq)` being each packet's
/// lateness; packets go in once the clock reaches their arrival. Returns the buffer and
/// what each tick played.
fn stream(
    config: JitterConfig,
    ticks: u16,
    mut lateness: impl FnMut(u16) -> Duration,
) -> (JitterBuffer, Vec<String>) {
    let mut jb = JitterBuffer::new(config, 8000);
    let start = Instant::now();
    let mut pending: Vec<(Instant, u16)> = Vec::new();
    let mut next_seq = 0u16;
    let mut played = Vec::new();
    for tick in 1..=ticks {
        let now = start + TICK * u32::from(tick);
        while start + TICK * u32::from(next_seq) + Duration::from_millis(5) <= now {
            let sent = start + TICK * u32::from(next_seq) + Duration::from_millis(5);
            pending.push((sent + lateness(next_seq), next_seq));
            next_seq += 1;
        }
        pending.sort();
        while let Some(&(at, seq)) = pending.first() {
            if at > now {
                break;
            }
            insert(&mut jb, seq, at);
            pending.remove(0);
        }
        played.push(play_tick(&mut jb));
    }
    (jb, played)
}

#[test]
fn waits_for_a_packet_that_is_late_rather_than_losing_it() {
    // From packet 20 on the path is 50 ms slower: the buffer runs dry, conceals, and still
    // plays packet 20 when it comes (its delay grows), so nothing is lost.
    let (jb, played) = stream(JitterConfig::default(), 60, |seq| {
        Duration::from_millis(if seq >= 20 { 50 } else { 0 })
    });
    let stats = jb.stats();
    assert_eq!((stats.lost, stats.late), (0, 0), "{played:?}");
    assert!(stats.underruns >= 1, "{played:?}");
    let position = played.iter().position(|p| p == "20").expect("20 played");
    assert_eq!(played[position - 1], "U");
}

/// A deterministic lateness in `0..max_ms` (a linear congruential generator).
fn jittery(max_ms: u64) -> impl FnMut(u16) -> Duration {
    let mut state = 0x2545_f491_u64;
    move |_| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        Duration::from_millis((state >> 33) % max_ms)
    }
}

#[test]
fn the_target_delay_follows_the_measured_jitter_within_its_bounds() {
    let config = JitterConfig::new(Duration::from_millis(40), Duration::from_millis(200));
    let (steady, _) = stream(config, 200, |_| Duration::ZERO);
    assert_eq!(steady.target_delay(), Duration::from_millis(40));
    assert_eq!(steady.stats().jitter, Duration::ZERO);

    let (moderate, _) = stream(config, 500, jittery(40));
    let target = moderate.target_delay();
    let jitter = moderate.stats().jitter;
    // Uniform 0..40 ms lateness: mean |D| about 13 ms, target 4x that.
    assert!(
        jitter > Duration::from_millis(8) && jitter < Duration::from_millis(20),
        "{jitter:?}"
    );
    assert!(
        target > Duration::from_millis(40) && target < Duration::from_millis(200),
        "{target:?}"
    );
    assert!(moderate.stats().delay <= Duration::from_millis(200));

    let (wild, _) = stream(config, 500, jittery(400));
    assert_eq!(wild.target_delay(), Duration::from_millis(200));
    assert!(wild.stats().delay <= Duration::from_millis(200));
}

#[test]
fn never_holds_more_than_the_maximum_delay() {
    let config = JitterConfig::new(Duration::from_millis(40), Duration::from_millis(100));
    let mut jb = JitterBuffer::new(config, 8000);
    let now = Instant::now();
    // A stalled path delivers 300 ms at once.
    for seq in 0..15 {
        insert(&mut jb, seq, now);
    }
    assert_eq!(play_tick(&mut jb), "10");
    let stats = jb.stats();
    assert_eq!(stats.overflow_drops, 10);
    assert!(
        stats.delay <= Duration::from_millis(100),
        "{:?}",
        stats.delay
    );
}

#[test]
fn shrinks_a_delay_that_stays_above_the_target() {
    // 160 ms arrive at once, then the stream continues on time: the buffer drops packets
    // until it is back near its 40 ms target.
    let (jb, played) = stream(JitterConfig::default(), 200, |seq| {
        Duration::from_millis(if seq < 8 { u64::from(8 - seq) * 20 } else { 0 })
    });
    let stats = jb.stats();
    assert!(stats.shrink_drops >= 2, "{stats:?}");
    assert_eq!(stats.lost, 0);
    assert!(
        stats.delay <= Duration::from_millis(60),
        "{stats:?} {played:?}"
    );
}

#[test]
fn sequence_numbers_wrap_without_loss() {
    let mut jb = buffer();
    let now = Instant::now();
    for (i, seq) in [65533u16, 65534, 65535, 0, 1, 2].into_iter().enumerate() {
        let info = PacketInfo {
            timestamp: 1_000 + 160 * i as u32,
            ..packet(seq)
        };
        jb.insert(info, &payload(seq), now + TICK * i as u32);
    }
    let played: Vec<String> = (0..6).map(|_| play_tick(&mut jb)).collect();
    assert_eq!(played, ["65533", "65534", "65535", "0", "1", "2"]);
    assert_eq!(jb.stats().lost, 0);
}

#[test]
fn a_new_ssrc_restarts_the_stream() {
    let mut jb = buffer();
    let now = Instant::now();
    for seq in 100..104 {
        insert(&mut jb, seq, now);
    }
    assert_eq!(play_tick(&mut jb), "100");
    let other = PacketInfo {
        ssrc: 8,
        ..packet(5)
    };
    assert_eq!(jb.insert(other, &payload(5), now), InsertOutcome::Buffered);
    let six = PacketInfo {
        ssrc: 8,
        ..packet(6)
    };
    jb.insert(six, &payload(6), now);
    assert_eq!(play_tick(&mut jb), "5");
    assert_eq!(jb.stats().resyncs, 1);
}

#[test]
fn a_wild_sequence_number_is_dropped_and_a_confirmed_jump_restarts() {
    let mut jb = buffer();
    let now = Instant::now();
    for seq in 1..=3 {
        insert(&mut jb, seq, now);
    }
    assert_eq!(insert(&mut jb, 30_000, now), InsertOutcome::OutOfWindow);
    assert_eq!(play_tick(&mut jb), "1");
    assert_eq!(insert(&mut jb, 40_000, now), InsertOutcome::OutOfWindow);
    assert_eq!(insert(&mut jb, 40_001, now), InsertOutcome::Buffered);
    assert_eq!(jb.stats().resyncs, 1);
    insert(&mut jb, 40_002, now);
    assert_eq!(play_tick(&mut jb), "40001");
}

#[test]
fn goes_idle_when_the_sender_stops_and_rebuffers_the_next_talkspurt() {
    let mut jb = buffer();
    let now = Instant::now();
    for seq in 1..=3 {
        insert(&mut jb, seq, now + TICK * u32::from(seq));
    }
    let played: Vec<String> = (0..8).map(|_| play_tick(&mut jb)).collect();
    assert_eq!(played, ["1", "2", "3", "U", "U", "U", "-", "-"]);
    assert!(!jb.is_playing());
    // The next talkspurt waits for the target delay (two packets) before it plays. (Its
    // packets arrive as far apart as their timestamps, so the jitter stays low.)
    insert(&mut jb, 50, now + TICK * 50);
    assert_eq!(play_tick(&mut jb), "-");
    insert(&mut jb, 51, now + TICK * 51);
    assert_eq!(play_tick(&mut jb), "50");
    assert_eq!(jb.stats().lost, 0);
}

#[test]
fn telephone_events_bypass_the_mix_and_bad_packets_are_counted() {
    let now = Instant::now();
    let mut mixer = ConferenceMixer::new(MixerConfig::new(SelectionPolicy::loudest(3)), now)
        .expect("valid config");
    let config = MixLegConfig::new(Codec::Pcmu, PT_PCMU).with_telephone_event(PT_DTMF);
    mixer.add_leg(LegId(1), config).expect("added");
    assert_eq!(
        mixer.add_leg(LegId(1), config),
        Err(MixerError::DuplicateLeg(LegId(1)))
    );

    let dtmf = rtp(PT_DTMF, 1, 0, 9, None, &[5, 0x80, 0, 160]);
    assert_eq!(
        mixer.push_packet(LegId(1), &dtmf, now),
        Ok(PushOutcome::PassThrough)
    );
    let audio = rtp(PT_PCMU, 2, 0, 9, None, &[0xd5; 160]);
    assert_eq!(
        mixer.push_packet(LegId(1), &audio, now),
        Ok(PushOutcome::Buffered)
    );
    let foreign = rtp(9, 3, 160, 9, None, &[0; 160]);
    assert_eq!(
        mixer.push_packet(LegId(1), &foreign, now),
        Ok(PushOutcome::Dropped(DropCause::UnknownPayloadType(9)))
    );
    assert_eq!(
        mixer.push_packet(LegId(1), &[0x80, 0], now),
        Ok(PushOutcome::Dropped(DropCause::Malformed))
    );
    let empty = rtp(PT_PCMU, 4, 320, 9, None, &[]);
    assert_eq!(
        mixer.push_packet(LegId(1), &empty, now),
        Ok(PushOutcome::Dropped(DropCause::BadPayload))
    );
    assert_eq!(
        mixer.push_packet(LegId(2), &audio, now),
        Err(MixerError::UnknownLeg(LegId(2)))
    );
    let stats = mixer.leg_stats(LegId(1)).expect("leg");
    assert_eq!((stats.passed_through, stats.dropped), (1, 3));
    assert_eq!(stats.jitter.buffered, 1);
}

#[test]
fn refuses_legs_and_settings_it_cannot_serve() {
    let now = Instant::now();
    let bad_jitter = JitterConfig::new(Duration::from_millis(100), Duration::from_millis(50));
    assert_eq!(
        ConferenceMixer::new(MixerConfig::default().with_jitter(bad_jitter), now).err(),
        Some(MixerError::InvalidJitterBounds)
    );
    let mut mixer = ConferenceMixer::new(MixerConfig::default(), now).expect("valid");
    let cases = [
        (
            MixLegConfig::new(Codec::Opus, 111).with_ptime(Duration::from_millis(30)),
            MixerError::InvalidPtime(Duration::from_millis(30)),
        ),
        (
            MixLegConfig::new(Codec::Pcmu, 0).with_ptime(Duration::from_millis(25)),
            MixerError::InvalidPtime(Duration::from_millis(25)),
        ),
        (
            MixLegConfig::new(Codec::Pcmu, 72),
            MixerError::InvalidPayloadType(72),
        ),
        (
            MixLegConfig::new(Codec::Pcmu, 0).with_telephone_event(0),
            MixerError::PayloadTypeClash(0),
        ),
        (
            MixLegConfig::new(Codec::Pcmu, 0).with_audio_level(0),
            MixerError::InvalidExtensionId(0),
        ),
        (
            MixLegConfig::new(Codec::TelephoneEvent { clock_rate: 8000 }, 101),
            MixerError::UnsupportedCodec(Codec::TelephoneEvent { clock_rate: 8000 }),
        ),
    ];
    for (config, error) in cases {
        assert_eq!(mixer.add_leg(LegId(1), config), Err(error));
    }
    assert_eq!(mixer.legs().count(), 0);
    assert_eq!(
        mixer.remove_leg(LegId(1)),
        Err(MixerError::UnknownLeg(LegId(1)))
    );
}

#[test]
fn the_mixing_clock_ticks_every_20_ms_and_counts_late_ticks() {
    let start = Instant::now();
    let mut mixer = ConferenceMixer::new(MixerConfig::default(), start).expect("valid");
    mixer
        .add_leg(LegId(1), MixLegConfig::new(Codec::Pcmu, PT_PCMU))
        .expect("added");
    assert!(mixer.tick(start + Duration::from_millis(19)).is_none());
    assert_eq!(mixer.next_tick(), start + TICK);
    let tick = mixer.tick(start + TICK).expect("due");
    // The lone leg listens to the shared (silent) mix.
    assert_eq!(tick.deliveries().len(), 1);
    assert_eq!(mixer.next_tick(), start + 2 * TICK);
    // The core was busy for 70 ms: one late tick, the missed ones skipped.
    assert!(mixer.tick(start + Duration::from_millis(110)).is_some());
    let counters = mixer.counters();
    assert_eq!(
        (counters.ticks, counters.late_ticks, counters.skipped_ticks),
        (2, 1, 3)
    );
    assert_eq!(mixer.next_tick(), start + 6 * TICK);
}
