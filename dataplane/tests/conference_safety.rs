//! The core's defences: latching rules (plain legs latch once; SRTP legs move only on a
//! packet that authenticates from the new address), the per-leg rate limit, media
//! timeouts and their re-arming, drop counting by reason, command errors, and keys kept
//! out of Debug output.

mod conference_support;

use std::net::SocketAddr;
use std::time::Duration;

use conference_support::{addr, payload_types, ssrcs_to, Endpoint, Harness, PTIME};
use medianode_dataplane::conference::{
    ConferenceError, ConferenceId, CoreEvent, DropReason, InDatagram, LegConfig, LegId, MediaCore,
    MediaMode, Outbox, ParticipantId, RateLimit, SelectionPolicy,
};
use medianode_dataplane::srtp::SrtpSuite;

const SUITE: SrtpSuite = SrtpSuite::AesCm128HmacSha1_80;

fn latched_events(h: &mut Harness) -> Vec<(u32, SocketAddr)> {
    h.events()
        .into_iter()
        .filter_map(|e| match e {
            CoreEvent::LegLatched { leg, remote, .. } => Some((leg.0, remote)),
            _ => None,
        })
        .collect()
}

/// Conference 1 (everyone selected) with leg 1 configured by `first` on port 20001 and a
/// plain listener, leg 2, at 30002.
fn with_listener(first: LegConfig) -> (Harness, Endpoint) {
    let mut h = Harness::with_defaults();
    h.conference(1, SelectionPolicy::all());
    h.leg(1, 1, first);
    let listener = Endpoint::plain(30_002, 2);
    h.leg(
        1,
        2,
        LegConfig::new(20_002, payload_types()).with_remote(listener.addr),
    );
    (h, listener)
}

#[test]
fn a_plain_leg_latches_on_its_first_valid_packet_and_never_moves() {
    let (mut h, mut listener) = with_listener(LegConfig::new(20_001, payload_types()));
    let mut talker = Endpoint::plain(30_001, 1);
    let stranger = addr(31_000);
    // Neither a malformed packet nor one of an unknown payload type latches.
    let mut truncated = talker.next(None, b"x");
    truncated[0] |= 0x0f; // announces 15 CSRCs it does not carry
    let unknown_pt = conference_support::rtp(9, 1, 1, 1, None, b"g722");
    let sent = h.batch(vec![
        (20_001, stranger, truncated),
        (20_001, stranger, unknown_pt),
    ]);
    assert!(sent.is_empty());
    assert_eq!(latched_events(&mut h), vec![]);
    let drops = h.core.counters().drops;
    assert_eq!((drops.malformed, drops.unknown_payload_type), (1, 1));

    // The first valid packet latches and is forwarded; a later one from elsewhere is not.
    let first = talker.next(None, b"hello");
    let sent = h.batch(vec![(20_001, talker.addr, first.clone())]);
    assert_eq!(latched_events(&mut h), vec![(1, talker.addr)]);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].destination, &sent[0].bytes),
        (listener.addr, &first)
    );
    let sent = h.batch(vec![(20_001, stranger, talker.next(None, b"hijack"))]);
    assert!(sent.is_empty());
    assert_eq!(latched_events(&mut h), vec![]);
    assert_eq!(h.core.counters().drops.wrong_source, 1);

    // Media for the leg goes to the latched address.
    let sent = h.batch(vec![(20_002, listener.addr, listener.next(None, b"reply"))]);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].local_port, sent[0].destination),
        (20_001, talker.addr)
    );
    let stats = h.core.leg_stats(LegId(1)).expect("leg");
    assert!(stats.latched);
    assert_eq!(stats.remote, Some(talker.addr));
    assert_eq!((stats.packets_in, stats.dropped), (4, 3));
}

#[test]
fn a_leg_with_a_given_remote_drops_everyone_else() {
    let mut talker = Endpoint::plain(30_001, 1);
    let config = LegConfig::new(20_001, payload_types()).with_remote(talker.addr);
    let (mut h, _) = with_listener(config);
    let sent = h.batch(vec![(20_001, addr(31_000), talker.next(None, b"x"))]);
    assert!(sent.is_empty());
    assert_eq!(h.core.counters().drops.wrong_source, 1);
    assert_eq!(latched_events(&mut h), vec![]);
}

#[test]
fn an_srtp_leg_moves_only_on_a_packet_that_authenticates_from_the_new_address() {
    let mut talker = Endpoint::srtp(30_001, 0x77, SUITE, 0x41, 0x42);
    let config = LegConfig::new(20_001, payload_types())
        .with_remote(talker.addr)
        .with_media(Endpoint::hop_by_hop_mode(SUITE, 0x41, 0x42));
    let (mut h, mut listener) = with_listener(config);
    let new_address = addr(31_000);

    let genuine = talker.next(None, b"genuine");
    assert_eq!(
        h.batch(vec![(20_001, talker.addr, genuine.clone())]).len(),
        1
    );

    // A forgery (right header, wrong tag), plain RTP, and a replay of the genuine packet,
    // all from the new address: none moves the leg.
    let mut forged = talker.next(None, b"forged");
    let last = forged.len() - 1;
    forged[last] ^= 0x01;
    let plain = conference_support::rtp(111, talker.seq, talker.ts, talker.ssrc, None, &[7; 40]);
    let sent = h.batch(vec![
        (20_001, new_address, forged),
        (20_001, new_address, plain),
        (20_001, new_address, genuine),
    ]);
    assert!(sent.is_empty());
    assert_eq!(latched_events(&mut h), vec![]);
    let drops = h.core.counters().drops;
    assert_eq!((drops.srtp_auth, drops.replay), (2, 1));
    let sent = h.batch(vec![(
        20_002,
        listener.addr,
        listener.next(None, b"to talker"),
    )]);
    assert_eq!(sent[0].destination, talker.addr);

    // An authentic new packet from the new address moves it.
    let moved = talker.next(None, b"moved");
    let sent = h.batch(vec![(20_001, new_address, moved)]);
    assert_eq!(sent.len(), 1);
    assert_eq!(latched_events(&mut h), vec![(1, new_address)]);
    let sent = h.batch(vec![(
        20_002,
        listener.addr,
        listener.next(None, b"to talker"),
    )]);
    assert_eq!(sent[0].destination, new_address);
    let mut at_new_address = Endpoint::srtp(31_000, 0x77, SUITE, 0x41, 0x42);
    assert!(at_new_address.open(&sent[0].bytes).is_some());
}

#[test]
fn an_unlatched_srtp_leg_latches_only_on_an_authentic_packet() {
    let mut talker = Endpoint::srtp(30_001, 0x77, SUITE, 0x41, 0x42);
    let config = LegConfig::new(20_001, payload_types())
        .with_media(Endpoint::hop_by_hop_mode(SUITE, 0x41, 0x42));
    let (mut h, _) = with_listener(config);
    let mut forger = Endpoint::srtp(31_000, 0x77, SUITE, 0x99, 0x42);
    assert!(h
        .batch(vec![(20_001, forger.addr, forger.next(None, b"f"))])
        .is_empty());
    assert_eq!(latched_events(&mut h), vec![]);
    assert_eq!(h.core.leg_stats(LegId(1)).expect("leg").remote, None);
    assert_eq!(
        h.batch(vec![(20_001, talker.addr, talker.next(None, b"t"))])
            .len(),
        1
    );
    assert_eq!(latched_events(&mut h), vec![(1, talker.addr)]);
}

#[test]
fn an_end_to_end_leg_never_moves_once_latched() {
    let mut talker = Endpoint::srtp(30_001, 0x77, SUITE, 0x41, 0x41);
    let config = LegConfig::new(20_001, payload_types()).with_media(MediaMode::SrtpEndToEnd);
    let mut h = Harness::with_defaults();
    h.conference(1, SelectionPolicy::all());
    h.leg(1, 1, config);
    let listener = addr(30_002);
    h.leg(
        1,
        2,
        LegConfig::new(20_002, payload_types())
            .with_remote(listener)
            .with_media(MediaMode::SrtpEndToEnd),
    );
    assert_eq!(
        h.batch(vec![(20_001, talker.addr, talker.next(None, b"1"))])
            .len(),
        1
    );
    assert_eq!(latched_events(&mut h), vec![(1, talker.addr)]);
    // Even a packet that would authenticate: the core cannot tell, so it does not move.
    assert!(h
        .batch(vec![(20_001, addr(31_000), talker.next(None, b"2"))])
        .is_empty());
    assert_eq!(latched_events(&mut h), vec![]);
    assert_eq!(h.core.counters().drops.wrong_source, 1);
}

#[test]
fn the_rate_limit_allows_the_burst_then_the_rate() {
    let mut talker = Endpoint::plain(30_001, 1);
    let config = LegConfig::new(20_001, payload_types())
        .with_remote(talker.addr)
        .with_rate_limit(RateLimit {
            packets_per_second: 50,
            burst: 10,
        });
    let (mut h, listener) = with_listener(config);
    let burst: Vec<_> = (0..30)
        .map(|_| (20_001, talker.addr, talker.next(None, b"x")))
        .collect();
    let sent = h.batch(burst);
    assert_eq!(ssrcs_to(&sent, listener.addr).len(), 10);
    assert_eq!(h.core.counters().drops.rate_limited, 20);
    // 100 ms at 50/s refill 5 packets.
    h.advance(Duration::from_millis(100));
    let more: Vec<_> = (0..10)
        .map(|_| (20_001, talker.addr, talker.next(None, b"x")))
        .collect();
    assert_eq!(h.batch(more).len(), 5);
    assert_eq!(h.core.counters().drops.rate_limited, 25);
}

#[test]
fn forgeries_from_elsewhere_do_not_use_up_the_genuine_senders_rate() {
    let mut talker = Endpoint::srtp(30_001, 0x77, SUITE, 0x41, 0x42);
    let config = LegConfig::new(20_001, payload_types())
        .with_remote(talker.addr)
        .with_media(Endpoint::hop_by_hop_mode(SUITE, 0x41, 0x42))
        .with_rate_limit(RateLimit {
            packets_per_second: 50,
            burst: 10,
        });
    let (mut h, _) = with_listener(config);
    let mut forger = Endpoint::srtp(31_000, 0x77, SUITE, 0x99, 0x42);
    let mut batch: Vec<_> = (0..20)
        .map(|_| (20_001, forger.addr, forger.next(None, b"f")))
        .collect();
    batch.extend((0..5).map(|_| (20_001, talker.addr, talker.next(None, b"t"))));
    assert_eq!(h.batch(batch).len(), 5);
    let drops = h.core.counters().drops;
    assert_eq!((drops.srtp_auth, drops.rate_limited), (10, 10));
}

fn timeout_events(h: &mut Harness) -> Vec<&'static str> {
    h.events()
        .into_iter()
        .filter_map(|e| match e {
            CoreEvent::MediaTimeout { leg: LegId(1), .. } => Some("timeout"),
            CoreEvent::MediaResumed { leg: LegId(1), .. } => Some("resumed"),
            _ => None,
        })
        .collect()
}

#[test]
fn media_timeout_fires_once_and_rearms_when_media_returns() {
    let mut talker = Endpoint::plain(30_001, 1);
    let config = LegConfig::new(20_001, payload_types())
        .with_remote(talker.addr)
        .with_media_timeout(Duration::from_secs(2));
    let (mut h, _) = with_listener(config);
    for _ in 0..50 {
        h.batch(vec![(20_001, talker.addr, talker.next(None, b"x"))]);
        h.advance(PTIME);
    }
    let last_packet = h.now - PTIME;
    h.advance_to(last_packet + Duration::from_millis(1990));
    assert_eq!(timeout_events(&mut h), Vec::<&str>::new());
    h.advance_to(last_packet + Duration::from_millis(2010));
    assert_eq!(timeout_events(&mut h), vec!["timeout"]);
    assert!(h.core.leg_stats(LegId(1)).expect("leg").media_timed_out);
    h.advance(Duration::from_secs(10));
    assert_eq!(timeout_events(&mut h), Vec::<&str>::new());

    h.batch(vec![(20_001, talker.addr, talker.next(None, b"back"))]);
    assert_eq!(timeout_events(&mut h), vec!["resumed"]);
    assert!(!h.core.leg_stats(LegId(1)).expect("leg").media_timed_out);
    h.advance(Duration::from_millis(1900));
    assert_eq!(timeout_events(&mut h), Vec::<&str>::new());
    h.advance(Duration::from_millis(200));
    assert_eq!(timeout_events(&mut h), vec!["timeout"]);
}

#[test]
fn a_leg_that_never_hears_media_times_out_after_its_timeout() {
    let config = LegConfig::new(20_001, payload_types()).with_media_timeout(Duration::from_secs(3));
    let (mut h, _) = with_listener(config);
    assert!(h.core.poll_timeout().is_some());
    h.advance(Duration::from_millis(2990));
    assert_eq!(timeout_events(&mut h), Vec::<&str>::new());
    h.advance(Duration::from_millis(20));
    assert_eq!(timeout_events(&mut h), vec!["timeout"]);
}

#[test]
fn every_kind_of_bad_datagram_is_dropped_and_counted() {
    let mut talker = Endpoint::plain(30_001, 1);
    let config = LegConfig::new(20_001, payload_types()).with_remote(talker.addr);
    let (mut h, _) = with_listener(config);
    let stun = vec![0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42];
    let sent = h.batch(vec![
        (29_999, talker.addr, talker.next(None, b"x")),
        (20_001, talker.addr, stun),
        (20_001, talker.addr, vec![0x80, 111, 0, 1]),
        (20_001, talker.addr, vec![0x80, 201, 0, 9, 0, 0, 0, 0]),
    ]);
    assert!(sent.is_empty());
    let drops = h.core.counters().drops;
    assert_eq!(drops.unknown_port, 1);
    assert_eq!(drops.not_rtp, 1);
    assert_eq!(drops.malformed, 2, "{drops:?}");

    // A length beyond the buffer is malformed, not a panic; the datagram says why.
    let mut datagrams = vec![InDatagram::new(20_001, talker.addr, vec![0x80u8; 20], 64)];
    let mut outbox = Outbox::new(4);
    h.core.handle_datagrams(h.now, &mut datagrams, &mut outbox);
    assert_eq!(datagrams[0].drop_reason(), Some(DropReason::Malformed));
    let counters = h.core.counters();
    assert_eq!(counters.drops.malformed, 3);
    assert_eq!(counters.packets_in, 5);
    assert_eq!(counters.drops.total(), 5);
}

#[test]
fn a_full_outbox_drops_and_counts_the_rest() {
    let mut h = Harness::with_defaults();
    h.outbox = Outbox::new(2);
    h.conference(1, SelectionPolicy::all());
    for i in 1..=4u16 {
        h.leg(
            1,
            u32::from(i),
            LegConfig::new(20_000 + i, payload_types()).with_remote(addr(30_000 + i)),
        );
    }
    let mut talker = Endpoint::plain(30_001, 1);
    let sent = h.batch(vec![(20_001, talker.addr, talker.next(None, b"x"))]);
    assert_eq!(sent.len(), 2);
    assert_eq!(h.core.counters().drops.outbox_full, 1);
    assert_eq!(h.outbox.refused_full(), 1);
}

#[test]
fn copies_that_do_not_fit_a_slot_are_dropped_as_too_large() {
    let mut h = Harness::with_defaults();
    h.conference(1, SelectionPolicy::all());
    let mut talker = Endpoint::plain(30_001, 1);
    h.leg(
        1,
        1,
        LegConfig::new(20_001, payload_types()).with_remote(talker.addr),
    );
    h.leg(
        1,
        2,
        LegConfig::new(20_002, payload_types()).with_remote(addr(30_002)),
    );
    h.leg(
        1,
        3,
        LegConfig::new(20_003, payload_types())
            .with_remote(addr(30_003))
            .with_media(Endpoint::hop_by_hop_mode(SUITE, 1, 2)),
    );
    // 1495 bytes fit a plain slot but not with a 10-byte SRTP tag.
    let sent = h.batch(vec![(
        20_001,
        talker.addr,
        talker.next(None, &[0u8; 1495 - 12]),
    )]);
    assert_eq!(
        sent.iter().map(|s| s.destination).collect::<Vec<_>>(),
        vec![addr(30_002)]
    );
    // 1600 bytes fit nowhere.
    let sent = h.batch(vec![(20_001, talker.addr, talker.next(None, &[0u8; 1600]))]);
    assert!(sent.is_empty());
    assert_eq!(h.core.counters().drops.too_large, 3);
}

#[test]
fn commands_are_checked() {
    let mut h = Harness::with_defaults();
    let now = h.now;
    let core = &mut h.core;
    let leg = || LegConfig::new(20_001, payload_types());
    assert_eq!(
        core.add_leg(ConferenceId(1), LegId(1), leg(), now),
        Err(ConferenceError::UnknownConference(ConferenceId(1)))
    );
    core.create_conference(ConferenceId(1), SelectionPolicy::loudest(3))
        .expect("new");
    assert_eq!(
        core.create_conference(ConferenceId(1), SelectionPolicy::all()),
        Err(ConferenceError::DuplicateConference(ConferenceId(1)))
    );
    let p = ParticipantId(5);
    core.add_leg(ConferenceId(1), LegId(1), leg().with_participant(p), now)
        .expect("new");
    assert_eq!(
        core.add_leg(
            ConferenceId(1),
            LegId(1),
            LegConfig::new(20_002, payload_types()),
            now
        ),
        Err(ConferenceError::DuplicateLeg(LegId(1)))
    );
    assert_eq!(
        core.add_leg(ConferenceId(1), LegId(2), leg(), now),
        Err(ConferenceError::DuplicateLocalPort(20_001))
    );
    assert_eq!(
        core.add_leg(
            ConferenceId(1),
            LegId(2),
            LegConfig::new(20_002, payload_types()).with_participant(p),
            now
        ),
        Err(ConferenceError::ParticipantAlreadyInConference {
            participant: p,
            conference: ConferenceId(1)
        })
    );
    let invalid = [
        (
            LegConfig::new(0, payload_types()),
            ConferenceError::InvalidLocalPort,
        ),
        (
            LegConfig::new(20_002, payload_types()).with_audio_level(0),
            ConferenceError::InvalidExtensionId(0),
        ),
        (
            LegConfig::new(20_002, payload_types()).with_rate_limit(RateLimit {
                packets_per_second: 0,
                burst: 1,
            }),
            ConferenceError::InvalidRateLimit,
        ),
        (
            LegConfig::new(20_002, payload_types()).with_media_timeout(Duration::ZERO),
            ConferenceError::InvalidMediaTimeout,
        ),
    ];
    for (config, error) in invalid {
        assert_eq!(
            core.add_leg(ConferenceId(1), LegId(2), config, now),
            Err(error)
        );
        assert!(!error.to_string().is_empty());
    }
    assert_eq!(
        core.remove_leg(LegId(9), now),
        Err(ConferenceError::UnknownLeg(LegId(9)))
    );
    // Removing the conference frees its legs' ids and ports.
    core.remove_conference(ConferenceId(1)).expect("known");
    assert_eq!(
        core.remove_conference(ConferenceId(1)),
        Err(ConferenceError::UnknownConference(ConferenceId(1)))
    );
    core.create_conference(ConferenceId(2), SelectionPolicy::all())
        .expect("new");
    core.add_leg(ConferenceId(2), LegId(1), leg(), now)
        .expect("id and port free again");
    assert_eq!(core.conference_ids(), vec![ConferenceId(2)]);
    let snapshot = core.conference(ConferenceId(2)).expect("known");
    assert_eq!(snapshot.legs, vec![LegId(1)]);
}

#[test]
fn keys_never_appear_in_debug_output() {
    // 0xA7 = 167: neither "a7" nor "167" may show up.
    let mode = Endpoint::hop_by_hop_mode(SUITE, 0xA7, 0xA7);
    let config = LegConfig::new(20_001, payload_types()).with_media(mode);
    let text = format!("{config:?}");
    assert!(text.contains("redacted"), "{text}");
    let mut core = MediaCore::new(Default::default(), std::time::Instant::now());
    core.create_conference(ConferenceId(1), SelectionPolicy::all())
        .expect("new");
    core.add_leg(ConferenceId(1), LegId(1), config, std::time::Instant::now())
        .expect("new");
    let text = format!("{text} {core:?} {:?}", core.leg_stats(LegId(1)));
    assert!(!text.to_lowercase().contains("a7"), "{text}");
    assert!(!text.contains("167"), "{text}");
}
