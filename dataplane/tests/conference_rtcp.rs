//! RTCP through the core: plain and hop-by-hop legs have their RTCP terminated (reports
//! consumed into leg statistics, BYE as an event) and receive the core's receiver reports
//! every few seconds, protected for SRTP legs; end-to-end RTCP is forwarded (see
//! `conference_routing`).

mod conference_support;

use std::time::{Duration, Instant};

use conference_support::{payload_types, Endpoint, Harness, Sent, PTIME};
use medianode_dataplane::conference::{CoreEvent, LegConfig, LegId, SelectionPolicy};
use medianode_dataplane::rtcp::{validate_compound, CompoundPackets, ReportBlock, TypedPacket};
use medianode_dataplane::srtp::SrtpSuite;

/// A sender report from `ssrc` with NTP time `ntp` and one report block claiming
/// `fraction_lost` and `jitter`, written out byte by byte.
fn sender_report(ssrc: u32, ntp: u64, fraction_lost: u8, jitter: u32) -> Vec<u8> {
    let mut p = vec![0x81, 200, 0, 12];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&ntp.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]); // RTP ts, packets, octets
    p.extend_from_slice(&0xDEAD_BEEFu32.to_be_bytes()); // reported source
    p.extend_from_slice(&[fraction_lost, 0, 0, 4]); // fraction, cumulative 4
    p.extend_from_slice(&[0, 0, 0, 99]); // highest sequence
    p.extend_from_slice(&jitter.to_be_bytes());
    p.extend_from_slice(&[0; 8]); // LSR, DLSR
    p
}

fn receiver_report_with_bye(ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, 201, 0, 1];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&[0x81, 203, 0, 1]);
    p.extend_from_slice(&ssrc.to_be_bytes());
    p
}

/// The reporter SSRC, report block and CNAME of an RR compound, checked as RFC 3550 A.2
/// wants.
fn read_report(compound: &[u8]) -> (u32, Option<ReportBlock>, Option<Vec<u8>>) {
    assert_eq!(validate_compound(compound), Ok(()));
    let mut reporter = None;
    let mut block = None;
    let mut cname = None;
    for packet in CompoundPackets::new(compound) {
        match packet.expect("valid") {
            TypedPacket::ReceiverReport(rr) => {
                reporter = Some(rr.ssrc());
                block = rr.report_blocks().next();
            }
            TypedPacket::Sdes(sdes) => {
                cname = reporter
                    .and_then(|ssrc| sdes.cname(ssrc))
                    .map(<[u8]>::to_vec);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    (reporter.expect("an RR"), block, cname)
}

fn is_rtcp(s: &Sent) -> bool {
    s.bytes.get(1).is_some_and(|b| (192..=223).contains(b))
}

/// Runs the clock to `until`, returning the RTCP sent with its time.
fn reports_until(h: &mut Harness, until: Instant) -> Vec<(Instant, Sent)> {
    h.advance_to_timed(until)
        .into_iter()
        .filter(|(_, sent)| is_rtcp(sent))
        .collect()
}

fn setup(first: LegConfig) -> (Harness, Endpoint) {
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
fn receiver_reports_come_every_few_seconds_and_count_the_loss() {
    let mut talker = Endpoint::plain(30_001, 0x1);
    let (mut h, listener) = setup(LegConfig::new(20_001, payload_types()).with_remote(talker.addr));
    // 110 packets, of which seq 1050..1060 never arrive.
    for i in 0..110u16 {
        let packet = talker.next(None, b"audio");
        if !(50..60).contains(&i) {
            h.batch(vec![(20_001, talker.addr, packet)]);
        }
        h.advance(PTIME);
    }
    let until = h.start + Duration::from_secs(60);
    let reports = reports_until(&mut h, until);
    let to_talker: Vec<&(Instant, Sent)> = reports
        .iter()
        .filter(|(_, s)| s.destination == talker.addr)
        .collect();
    let to_listener = reports
        .iter()
        .filter(|(_, s)| s.destination == listener.addr)
        .count();
    // 60 s at intervals drawn from 2.5..7.5 s: 8 to 24 reports each.
    assert!((8..=24).contains(&to_talker.len()), "{}", to_talker.len());
    assert!((8..=24).contains(&to_listener), "{to_listener}");
    for pair in to_talker.windows(2) {
        let gap = pair[1].0 - pair[0].0;
        assert!(
            gap >= Duration::from_millis(2500) && gap <= Duration::from_millis(7500),
            "{gap:?}"
        );
    }
    let rtcp_ssrc = h.core.leg_stats(LegId(1)).expect("leg").rtcp_ssrc;
    let (reporter, block, cname) = read_report(&to_talker[0].1.bytes);
    assert_eq!(reporter, rtcp_ssrc);
    assert_eq!(cname.as_deref(), Some(&b"medianode"[..]));
    let block = block.expect("a block about the talker");
    assert_eq!(block.ssrc, 0x1);
    assert_eq!(block.cumulative_lost, 10);
    assert_eq!(block.fraction_lost, (10 * 256 / 110) as u8);
    assert_eq!(block.extended_highest_sequence, 1000 + 109);
    // Nothing new arrived in the next interval.
    let (_, later, _) = read_report(&to_talker[1].1.bytes);
    assert_eq!(later.expect("block").fraction_lost, 0);
    let stats = h.core.leg_stats(LegId(1)).expect("leg");
    assert_eq!((stats.packets_received, stats.packets_lost), (100, 10));
    assert_eq!(stats.rtcp_sent, to_talker.len() as u64);
    // The listener never sent media: its reports carry no block.
    let (_, none, _) = read_report(
        &reports
            .iter()
            .find(|(_, s)| s.destination == listener.addr)
            .expect("one")
            .1
            .bytes,
    );
    assert_eq!(none, None);
}

#[test]
fn an_endpoints_sender_report_is_consumed_and_echoed_in_lsr_and_dlsr() {
    let mut talker = Endpoint::plain(30_001, 0x1);
    let (mut h, _) = setup(LegConfig::new(20_001, payload_types()).with_remote(talker.addr));
    h.batch(vec![(20_001, talker.addr, talker.next(None, b"a"))]);
    let sr_time = h.now;
    let sent = h.batch(vec![(
        20_001,
        talker.addr,
        sender_report(0x1, 0x0102_0304_0506_0708, 64, 321),
    )]);
    assert!(sent.is_empty(), "terminated, not forwarded");
    let stats = h.core.leg_stats(LegId(1)).expect("leg");
    assert_eq!(
        (stats.remote_fraction_lost, stats.remote_jitter),
        (Some(64), Some(321))
    );
    assert_eq!(stats.rtcp_received, 1);
    let until = h.start + Duration::from_secs(10);
    let (at, report) = reports_until(&mut h, until)
        .into_iter()
        .find(|(_, s)| s.destination == talker.addr)
        .expect("a report");
    let block = read_report(&report.bytes).1.expect("block");
    assert_eq!(block.last_sr, 0x0304_0506);
    let expected_dlsr = ((at - sr_time).as_secs_f64() * 65536.0) as i64;
    assert!((i64::from(block.delay_since_last_sr) - expected_dlsr).abs() <= 1);
    assert_eq!(h.core.counters().rtcp_consumed, 1);
}

#[test]
fn a_bye_becomes_an_event_and_bad_rtcp_is_counted() {
    let talker = Endpoint::plain(30_001, 0x1);
    let (mut h, _) = setup(LegConfig::new(20_001, payload_types()).with_remote(talker.addr));
    h.batch(vec![(20_001, talker.addr, receiver_report_with_bye(0x1))]);
    let byes: Vec<CoreEvent> = h
        .events()
        .into_iter()
        .filter(|e| matches!(e, CoreEvent::RtcpBye { .. }))
        .collect();
    assert_eq!(
        byes,
        vec![CoreEvent::RtcpBye {
            conference: medianode_dataplane::conference::ConferenceId(1),
            leg: LegId(1),
            ssrc: Some(0x1)
        }]
    );
    // An RR whose length field runs past the datagram.
    h.batch(vec![(
        20_001,
        talker.addr,
        vec![0x80, 201, 0, 7, 0, 0, 0, 1],
    )]);
    assert_eq!(h.core.counters().drops.malformed, 1);
}

#[test]
fn no_reports_before_a_latching_leg_has_an_address() {
    let (mut h, _) = setup(LegConfig::new(20_001, payload_types()));
    let until = h.start + Duration::from_secs(20);
    let reports = reports_until(&mut h, until);
    assert!(reports.iter().all(|(_, s)| s.local_port == 20_002));
    assert!(!reports.is_empty());
    assert_eq!(h.core.leg_stats(LegId(1)).expect("leg").rtcp_sent, 0);
}

#[test]
fn hop_by_hop_rtcp_is_unprotected_consumed_and_answered_protected() {
    let suite = SrtpSuite::AeadAes128Gcm;
    let mut talker = Endpoint::srtp(30_001, 0x1, suite, 0x51, 0x52);
    let config = LegConfig::new(20_001, payload_types())
        .with_remote(talker.addr)
        .with_media(Endpoint::hop_by_hop_mode(suite, 0x51, 0x52));
    let (mut h, _) = setup(config);
    h.batch(vec![(20_001, talker.addr, talker.next(None, b"a"))]);
    let srtcp = talker.protect_rtcp(sender_report(0x1, 1 << 40, 7, 8));
    assert!(h
        .batch(vec![(20_001, talker.addr, srtcp.clone())])
        .is_empty());
    assert_eq!(
        h.core
            .leg_stats(LegId(1))
            .expect("leg")
            .remote_fraction_lost,
        Some(7)
    );
    // The same SRTCP again is a replay; a tampered one fails authentication.
    let mut tampered = talker.protect_rtcp(sender_report(0x1, 2 << 40, 9, 9));
    tampered[10] ^= 0x40;
    h.batch(vec![
        (20_001, talker.addr, srtcp),
        (20_001, talker.addr, tampered),
    ]);
    let drops = h.core.counters().drops;
    assert_eq!((drops.replay, drops.srtp_auth), (1, 1));
    assert_eq!(h.core.counters().rtcp_consumed, 1);

    let until = h.start + Duration::from_secs(10);
    let (_, report) = reports_until(&mut h, until)
        .into_iter()
        .find(|(_, s)| s.destination == talker.addr)
        .expect("a report");
    let opened = talker
        .open_rtcp(&report.bytes)
        .expect("protected under the leg's tx key");
    assert_ne!(opened, report.bytes);
    let block = read_report(&opened).1.expect("block");
    assert_eq!(block.ssrc, 0x1);
    assert_eq!(block.last_sr, 0x0100_0000);
}
