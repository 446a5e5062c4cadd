//! Routing through the core: 3 conferences x 5 legs (plain, hop-by-hop SRTP, end-to-end
//! SRTP) with loudest-2, hop-by-hop re-protection under the destination's key checked by
//! independent SRTP sessions, end-to-end bytes untouched, mixed modes, focus and
//! suppression, and (proptest) that no packet ever reaches another conference's leg.

mod conference_support;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use conference_support::{
    addr, payload_types, seq_of, ssrc_of, ssrcs_to, Endpoint, Harness, Sent, LEVEL_ID, PTIME,
};
use medianode_dataplane::conference::{
    ConferenceError, ConferenceId, CoreConfig, LegConfig, LegId, MediaMode, ParticipantId,
    SelectionPolicy,
};
use medianode_dataplane::srtp::{SrtpSession, SrtpSuite};
use proptest::prelude::*;

/// Conference `c` (1..=3), leg `l` (0..5): leg id, local port, endpoint port, SSRC.
fn leg_id(c: u32, l: u32) -> u32 {
    c * 10 + l
}
fn local(c: u32, l: u32) -> u16 {
    (20_000 + c * 100 + l) as u16
}
fn remote(c: u32, l: u32) -> u16 {
    (30_000 + c * 100 + l) as u16
}
fn ssrc(c: u32, l: u32) -> u32 {
    0xC000_0000 | (c << 8) | l
}

/// Key bytes of the hop-by-hop legs: what leg (c, l) receives with and sends with.
fn rx_byte(c: u32, l: u32) -> u8 {
    (c * 16 + l * 2 + 1) as u8
}
fn tx_byte(c: u32, l: u32) -> u8 {
    (c * 16 + l * 2 + 2) as u8
}
const CONFERENCE_KEY: u8 = 0xEE;

#[test]
fn three_conferences_of_five_each_leg_hears_exactly_the_other_loud_talkers() {
    let mut h = Harness::with_defaults();
    let mut endpoints: BTreeMap<(u32, u32), Endpoint> = BTreeMap::new();
    let suite = SrtpSuite::AeadAes128Gcm;
    for c in 1..=3 {
        h.conference(c, SelectionPolicy::loudest(2));
        for l in 0..5 {
            let (mode, endpoint) = match c {
                1 => (MediaMode::Plain, Endpoint::plain(remote(c, l), ssrc(c, l))),
                2 => (
                    Endpoint::hop_by_hop_mode(suite, rx_byte(c, l), tx_byte(c, l)),
                    Endpoint::srtp(
                        remote(c, l),
                        ssrc(c, l),
                        suite,
                        rx_byte(c, l),
                        tx_byte(c, l),
                    ),
                ),
                _ => (
                    MediaMode::SrtpEndToEnd,
                    Endpoint::srtp(
                        remote(c, l),
                        ssrc(c, l),
                        suite,
                        CONFERENCE_KEY,
                        CONFERENCE_KEY,
                    ),
                ),
            };
            // Conference 1 latches, the others are given their remotes.
            let mut config = LegConfig::new(local(c, l), payload_types())
                .with_audio_level(LEVEL_ID)
                .with_media(mode);
            if c != 1 {
                config = config.with_remote(addr(remote(c, l)));
            }
            h.leg(c, leg_id(c, l), config);
            endpoints.insert((c, l), endpoint);
        }
    }
    // Legs 0 and 1 are loud, 2..=4 quiet but audible.
    let levels = [20, 25, 55, 60, 65];
    let mut last_round: Vec<Sent> = Vec::new();
    let mut last_plain: HashMap<(u32, u16), Vec<u8>> = HashMap::new();
    let mut last_wire: HashMap<(u32, u16), Vec<u8>> = HashMap::new();
    for _ in 0..50 {
        let mut batch = Vec::new();
        last_plain.clear();
        last_wire.clear();
        for (&(c, l), endpoint) in endpoints.iter_mut() {
            let seq = endpoint.seq;
            let payload = [c as u8, l as u8, (seq & 0xff) as u8, 0x5A, 0x5A, 0x5A];
            let plain = conference_support::rtp(
                conference_support::PT_OPUS,
                seq,
                endpoint.ts,
                endpoint.ssrc,
                Some(levels[l as usize]),
                &payload,
            );
            let wire = endpoint.next(Some(levels[l as usize]), &payload);
            last_plain.insert((endpoint.ssrc, seq), plain);
            last_wire.insert((endpoint.ssrc, seq), wire.clone());
            batch.push((local(c, l), endpoint.addr, wire));
        }
        last_round = h.batch(batch);
        h.advance(PTIME);
    }
    for c in 1..=3 {
        assert_eq!(
            h.core.talkers(ConferenceId(c)),
            Ok(vec![LegId(leg_id(c, 0)), LegId(leg_id(c, 1))])
        );
    }
    for (&(c, l), endpoint) in endpoints.iter_mut() {
        let to_me: Vec<&Sent> = last_round
            .iter()
            .filter(|s| s.destination == endpoint.addr)
            .collect();
        assert!(to_me.iter().all(|s| s.local_port == local(c, l)));
        let mut heard = BTreeSet::new();
        for sent in to_me {
            let key = (ssrc_of(&sent.bytes), seq_of(&sent.bytes));
            let opened = endpoint
                .open(&sent.bytes)
                .expect("authenticates for its receiver");
            assert_eq!(Some(&opened), last_plain.get(&key), "payload intact");
            match c {
                // Plain and end-to-end: the bytes as the talker sent them.
                1 | 3 => assert_eq!(Some(&sent.bytes), last_wire.get(&key)),
                // Hop-by-hop: re-protected, so not the talker's ciphertext.
                _ => assert_ne!(Some(&sent.bytes), last_wire.get(&key)),
            }
            heard.insert(key.0);
        }
        let expected: BTreeSet<u32> = [0, 1]
            .into_iter()
            .filter(|&talker| talker != l)
            .map(|talker| ssrc(c, talker))
            .collect();
        assert_eq!(heard, expected, "leg {c}/{l}");
    }
    let counters = h.core.counters();
    assert_eq!(counters.conferences, 3);
    assert_eq!(counters.legs, 15);
    assert_eq!(counters.active_talkers, 6);
    assert_eq!(counters.drops.srtp_auth + counters.drops.malformed, 0);
    assert!(counters.drops.not_selected >= 3 * 3 * 49);
}

#[test]
fn hop_by_hop_media_arrives_under_the_destination_key() {
    let mut h = Harness::with_defaults();
    h.conference(1, SelectionPolicy::all());
    let (suite_a, suite_b) = (SrtpSuite::AesCm128HmacSha1_80, SrtpSuite::AeadAes128Gcm);
    let mut a = Endpoint::srtp(30_001, 0xA, suite_a, 0x11, 0x12);
    let mut b = Endpoint::srtp(30_002, 0xB, suite_b, 0x21, 0x22);
    for (leg, port, endpoint, mode) in [
        (
            1,
            20_001,
            &a,
            Endpoint::hop_by_hop_mode(suite_a, 0x11, 0x12),
        ),
        (
            2,
            20_002,
            &b,
            Endpoint::hop_by_hop_mode(suite_b, 0x21, 0x22),
        ),
    ] {
        let config = LegConfig::new(port, payload_types())
            .with_remote(endpoint.addr)
            .with_media(mode);
        h.leg(1, leg, config);
    }
    for round in 0..20u8 {
        let payload = [round; 48];
        let plain_a = conference_support::rtp(111, a.seq, a.ts, a.ssrc, None, &payload);
        let wire_a = a.next(None, &payload);
        let plain_b = conference_support::rtp(111, b.seq, b.ts, b.ssrc, None, &payload);
        let wire_b = b.next(None, &payload);
        let sent = h.batch(vec![
            (20_001, a.addr, wire_a.clone()),
            (20_002, b.addr, wire_b.clone()),
        ]);
        assert_eq!(sent.len(), 2);
        for s in &sent {
            if s.destination == b.addr {
                assert_eq!(s.local_port, 20_002);
                assert_ne!(s.bytes, wire_a);
                // Under B's key with B's suite: a 16-byte GCM tag instead of HMAC's 10.
                assert_eq!(s.bytes.len(), plain_a.len() + 16);
                assert_eq!(b.open(&s.bytes), Some(plain_a.clone()));
                // A's own key does not open it.
                let mut wrong = SrtpSession::receiver(conference_support::policy(suite_b, 0x11));
                let mut storage = s.bytes.clone();
                let len = storage.len();
                assert!(wrong
                    .unprotect(&mut medianode_dataplane::srtp::PacketBuf::new(
                        &mut storage,
                        len
                    ))
                    .is_err());
            } else {
                assert_eq!((s.destination, s.local_port), (a.addr, 20_001));
                assert_eq!(a.open(&s.bytes), Some(plain_b.clone()));
            }
        }
    }
}

#[test]
fn plain_and_hop_by_hop_legs_mix_and_end_to_end_legs_keep_to_themselves() {
    let mut h = Harness::with_defaults();
    h.conference(1, SelectionPolicy::all());
    let suite = SrtpSuite::AesCm128HmacSha1_80;
    let mut plain = Endpoint::plain(30_001, 1);
    let mut hbh = Endpoint::srtp(30_002, 2, suite, 0x31, 0x32);
    let mut e2e_a = Endpoint::srtp(30_003, 3, suite, CONFERENCE_KEY, CONFERENCE_KEY);
    let e2e_b = Endpoint::srtp(30_004, 4, suite, CONFERENCE_KEY, CONFERENCE_KEY);
    let modes = [
        MediaMode::Plain,
        Endpoint::hop_by_hop_mode(suite, 0x31, 0x32),
        MediaMode::SrtpEndToEnd,
        MediaMode::SrtpEndToEnd,
    ];
    for (i, (mode, endpoint)) in modes
        .into_iter()
        .zip([&plain, &hbh, &e2e_a, &e2e_b])
        .enumerate()
    {
        let config = LegConfig::new(20_001 + i as u16, payload_types())
            .with_remote(endpoint.addr)
            .with_media(mode);
        h.leg(1, i as u32 + 1, config);
    }
    // Plain talker: the hop-by-hop leg gets it protected, end-to-end legs get nothing.
    let plain_packet = plain.next(None, b"from plain");
    let sent = h.batch(vec![(20_001, plain.addr, plain_packet.clone())]);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].destination, hbh.addr);
    assert_eq!(hbh.open(&sent[0].bytes), Some(plain_packet));

    // Hop-by-hop talker: the plain leg gets the plaintext.
    let payload = b"from hop-by-hop";
    let expected = conference_support::rtp(111, hbh.seq, hbh.ts, hbh.ssrc, None, payload);
    let wire = hbh.next(None, payload);
    let sent = h.batch(vec![(20_002, hbh.addr, wire)]);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].destination, &sent[0].bytes),
        (plain.addr, &expected)
    );

    // End-to-end talker: only the other end-to-end leg, ciphertext untouched; its SRTCP
    // too.
    let wire = e2e_a.next(None, b"secret");
    let sent = h.batch(vec![(20_003, e2e_a.addr, wire.clone())]);
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].destination, &sent[0].bytes), (e2e_b.addr, &wire));
    let rr = vec![0x80, 201, 0, 1, 0, 0, 0, 3];
    let srtcp = e2e_a.protect_rtcp(rr);
    let sent = h.batch(vec![(20_003, e2e_a.addr, srtcp.clone())]);
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].destination, &sent[0].bytes), (e2e_b.addr, &srtcp));
}

#[test]
fn a_participant_focused_elsewhere_receives_nothing_from_this_conference() {
    let mut h = Harness::with_defaults();
    let p = ParticipantId(7);
    let mut others = Vec::new();
    for c in 1..=2u32 {
        h.conference(c, SelectionPolicy::all());
        // Leg c*10: the participant; leg c*10+1: someone else.
        let mine = LegConfig::new(local(c, 0), payload_types())
            .with_remote(addr(remote(c, 0)))
            .with_participant(p);
        h.leg(c, leg_id(c, 0), mine);
        let theirs = LegConfig::new(local(c, 1), payload_types()).with_remote(addr(remote(c, 1)));
        h.leg(c, leg_id(c, 1), theirs);
        others.push(Endpoint::plain(remote(c, 1), ssrc(c, 1)));
    }
    let mut me = [
        Endpoint::plain(remote(1, 0), ssrc(1, 0)),
        Endpoint::plain(remote(2, 0), ssrc(2, 0)),
    ];
    // Everyone but the participant's leg in conference 1 talks.
    fn talk(h: &mut Harness, others: &mut [Endpoint], me: &mut [Endpoint; 2]) -> Vec<Sent> {
        let batch = vec![
            (local(1, 1), others[0].addr, others[0].next(Some(10), b"c1")),
            (local(2, 1), others[1].addr, others[1].next(Some(10), b"c2")),
            (local(2, 0), me[1].addr, me[1].next(Some(10), b"me in c2")),
        ];
        h.batch(batch)
    }
    let sent = talk(&mut h, &mut others, &mut me);
    assert_eq!(ssrcs_to(&sent, addr(remote(1, 0))), vec![ssrc(1, 1)]);
    assert_eq!(ssrcs_to(&sent, addr(remote(2, 0))), vec![ssrc(2, 1)]);

    assert_eq!(
        h.core.focus(p, ConferenceId(3)),
        Err(ConferenceError::UnknownConference(ConferenceId(3)))
    );
    assert_eq!(
        h.core.focus(ParticipantId(8), ConferenceId(1)),
        Err(ConferenceError::ParticipantNotInConference {
            participant: ParticipantId(8),
            conference: ConferenceId(1)
        })
    );
    h.core
        .focus(p, ConferenceId(1))
        .expect("participant sits in conference 1");
    assert_eq!(h.core.focused(p), Some(ConferenceId(1)));
    let sent = talk(&mut h, &mut others, &mut me);
    assert_eq!(ssrcs_to(&sent, addr(remote(1, 0))), vec![ssrc(1, 1)]);
    assert_eq!(ssrcs_to(&sent, addr(remote(2, 0))), Vec::<u32>::new());
    // Its own talking in conference 2 still reaches conference 2.
    assert_eq!(ssrcs_to(&sent, addr(remote(2, 1))), vec![ssrc(2, 0)]);
    assert!(
        h.core
            .leg_stats(LegId(leg_id(2, 0)))
            .expect("leg")
            .suppressed
    );

    h.core.unfocus(p).expect("focused");
    assert_eq!(h.core.unfocus(p), Err(ConferenceError::NotFocused(p)));
    let sent = talk(&mut h, &mut others, &mut me);
    assert_eq!(ssrcs_to(&sent, addr(remote(2, 0))), vec![ssrc(2, 1)]);

    // Focus on conference 2, then its leg there goes: the focus ends with it.
    h.core
        .focus(p, ConferenceId(2))
        .expect("participant sits in conference 2");
    let sent = talk(&mut h, &mut others, &mut me);
    assert_eq!(ssrcs_to(&sent, addr(remote(1, 0))), Vec::<u32>::new());
    let now = h.now;
    h.core
        .remove_leg(LegId(leg_id(2, 0)), now)
        .expect("known leg");
    assert_eq!(h.core.focused(p), None);
    let sent = talk(&mut h, &mut others, &mut me);
    assert_eq!(ssrcs_to(&sent, addr(remote(1, 0))), vec![ssrc(1, 1)]);
}

/// One leg of a random scenario.
#[derive(Debug, Clone)]
struct RandomLeg {
    conference: u32,
    mode: u8,
    given_remote: bool,
}

/// One random packet: the leg (index into the scenario's legs), whether it comes from the
/// leg's endpoint address, and its level.
#[derive(Debug, Clone)]
struct RandomPacket {
    leg: usize,
    right_source: bool,
    level: u8,
}

fn scenario() -> impl Strategy<Value = (u32, Vec<RandomLeg>, Vec<Vec<RandomPacket>>)> {
    (1u32..=4).prop_flat_map(|conferences| {
        let leg = (1..=conferences, 0u8..3, any::<bool>()).prop_map(
            |(conference, mode, given_remote)| RandomLeg {
                conference,
                mode,
                given_remote,
            },
        );
        prop::collection::vec(leg, 1..12).prop_flat_map(move |legs| {
            let n = legs.len();
            let packet = (0..n, prop::bool::weighted(0.9), 0u8..=127).prop_map(
                |(leg, right_source, level)| RandomPacket {
                    leg,
                    right_source,
                    level,
                },
            );
            let batches = prop::collection::vec(prop::collection::vec(packet, 0..24), 1..4);
            (Just(conferences), Just(legs), batches)
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn no_packet_ever_reaches_a_leg_of_another_conference((conferences, legs, batches) in scenario()) {
        let suite = SrtpSuite::AesCm128HmacSha1_80;
        let mut h = Harness::new(CoreConfig::default());
        for c in 1..=conferences {
            let policy = if c % 2 == 0 { SelectionPolicy::all() } else { SelectionPolicy::loudest(2) };
            h.conference(c, policy);
        }
        let mut endpoints = Vec::new();
        // Local port -> conference of the leg on it.
        let mut conference_of_port = HashMap::new();
        let mut conference_of_ssrc = HashMap::new();
        for (i, leg) in legs.iter().enumerate() {
            let i = i as u32;
            let (mode, endpoint) = match leg.mode {
                0 => (MediaMode::Plain, Endpoint::plain(40_000 + i as u16, 0x5000 + i)),
                1 => (MediaMode::SrtpEndToEnd, Endpoint::srtp(40_000 + i as u16, 0x5000 + i, suite, 1, 1)),
                _ => (
                    Endpoint::hop_by_hop_mode(suite, 10 + i as u8, 100 + i as u8),
                    Endpoint::srtp(40_000 + i as u16, 0x5000 + i, suite, 10 + i as u8, 100 + i as u8),
                ),
            };
            let mut config = LegConfig::new(20_000 + i as u16, payload_types())
                .with_audio_level(LEVEL_ID)
                .with_media(mode);
            if leg.given_remote {
                config = config.with_remote(endpoint.addr);
            }
            h.leg(leg.conference, i, config);
            conference_of_port.insert(20_000 + i as u16, leg.conference);
            conference_of_ssrc.insert(0x5000 + i, leg.conference);
            endpoints.push(endpoint);
        }
        for batch in batches {
            let datagrams = batch
                .iter()
                .map(|p| {
                    let endpoint = &mut endpoints[p.leg];
                    let source = if p.right_source { endpoint.addr } else { addr(50_000 + p.leg as u16) };
                    (20_000 + p.leg as u16, source, endpoint.next(Some(p.level), &[p.leg as u8; 20]))
                })
                .collect();
            let sent = h.batch(datagrams);
            for s in &sent {
                let to = conference_of_port.get(&s.local_port).copied();
                let from = conference_of_ssrc.get(&ssrc_of(&s.bytes)).copied();
                prop_assert!(to.is_some() && to == from, "{:?}: from conference {:?} to {:?}", s, from, to);
                let destination = LegId(u32::from(s.local_port - 20_000));
                prop_assert_eq!(Some(s.destination), h.core.leg_stats(destination).and_then(|l| l.remote));
            }
            h.advance(PTIME);
        }
    }
}

#[test]
fn a_copy_carries_the_listeners_payload_type_and_undecodable_rtp_is_not_sent() {
    use medianode_dataplane::conference::{Codec, PayloadTypes};
    let mut h = Harness::with_defaults();
    h.conference(1, SelectionPolicy::all());
    let opus_at = |pt: u8| PayloadTypes::single(pt, Codec::Opus).expect("payload types");
    // The talker sends Opus as 111; one listener maps Opus to 96, one only knows PCMU.
    let legs = [
        (0, payload_types()),
        (1, opus_at(96)),
        (
            2,
            PayloadTypes::single(0, Codec::Pcmu).expect("payload types"),
        ),
    ];
    for (l, types) in legs {
        let config = LegConfig::new(local(1, l), types).with_remote(addr(remote(1, l)));
        h.leg(1, leg_id(1, l), config);
    }
    let mut talker = Endpoint::plain(remote(1, 0), ssrc(1, 0));
    let packet = talker.next(None, &[0xAB; 40]);
    let sent = h.batch(vec![(local(1, 0), addr(remote(1, 0)), packet.clone())]);
    let to_96: Vec<&Sent> = sent
        .iter()
        .filter(|s| s.destination == addr(remote(1, 1)))
        .collect();
    let [copy] = to_96[..] else {
        panic!("one copy to the Opus/96 listener: {sent:?}");
    };
    assert_eq!(copy.bytes[1] & 0x7f, 96, "rewritten to the listener's type");
    assert_eq!(copy.bytes[1] & 0x80, packet[1] & 0x80, "marker kept");
    assert_eq!(copy.bytes[2..], packet[2..], "the rest as sent");
    assert!(
        sent.iter().all(|s| s.destination != addr(remote(1, 2))),
        "the PCMU-only listener gets no Opus packet (a relay is its way): {sent:?}"
    );
}
