//! Talker selection through the whole core: scripted level sequences (hysteresis: a short
//! pause keeps the slot, a long one hands it over), levels from G.711 energy and the Opus
//! default, telephone-events passing selection, policy changes while running.

mod conference_support;

use std::time::Duration;

use conference_support::{
    addr, payload_types, ssrcs_to, Endpoint, Harness, Sent, PT_DTMF, PT_PCMU,
};
use medianode_dataplane::conference::{
    ConferenceId, CoreConfig, CoreEvent, LegConfig, LegId, SelectionPolicy,
};

/// Local port of leg `i` (1-based) and its endpoint's port.
fn local(i: u32) -> u16 {
    20_000 + i as u16
}
fn remote(i: u32) -> u16 {
    30_000 + i as u16
}

/// A conference 1 with `n` plain legs 1..=n, each with a known remote and the level
/// extension (or without it, `with_level == false`).
fn setup(
    policy: SelectionPolicy,
    n: u32,
    with_level: bool,
    config: CoreConfig,
) -> (Harness, Vec<Endpoint>) {
    let mut h = Harness::new(config);
    h.conference(1, policy);
    let mut endpoints = Vec::new();
    for i in 1..=n {
        let mut leg = LegConfig::new(local(i), payload_types()).with_remote(addr(remote(i)));
        if with_level {
            leg = leg.with_audio_level(conference_support::LEVEL_ID);
        }
        h.leg(1, i, leg);
        endpoints.push(Endpoint::plain(remote(i), 0x1000 + i));
    }
    (h, endpoints)
}

/// One 20 ms round: every endpoint sends one packet at its level (`None`: no packet);
/// returns what the core sent, then moves the clock on.
fn round(h: &mut Harness, endpoints: &mut [Endpoint], levels: &[Option<u8>]) -> Vec<Sent> {
    let batch = endpoints
        .iter_mut()
        .zip(levels)
        .enumerate()
        .filter_map(|(i, (e, level))| {
            level.map(|l| (local(i as u32 + 1), e.addr, e.next(Some(l), &[0xAB; 40])))
        })
        .collect();
    let sent = h.batch(batch);
    h.advance(conference_support::PTIME);
    sent
}

fn run(
    h: &mut Harness,
    endpoints: &mut [Endpoint],
    duration: Duration,
    levels: &[Option<u8>],
) -> Vec<Sent> {
    let rounds = duration.as_millis() / conference_support::PTIME.as_millis();
    let mut last = Vec::new();
    for _ in 0..rounds {
        last = round(h, endpoints, levels);
    }
    last
}

fn speaker_events(h: &mut Harness) -> Vec<Vec<u32>> {
    h.events()
        .into_iter()
        .filter_map(|e| match e {
            CoreEvent::ActiveSpeakers { talkers, .. } => {
                Some(talkers.into_iter().map(|l| l.0).collect())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_short_pause_keeps_the_slot_and_a_long_one_hands_it_over() {
    let (mut h, mut eps) = setup(SelectionPolicy::loudest(1), 3, true, CoreConfig::default());
    // Talker 1 speaks, talker 2 murmurs (audible, quieter), talker 3 is silent.
    let last = run(
        &mut h,
        &mut eps,
        Duration::from_secs(2),
        &[Some(25), Some(60), Some(127)],
    );
    assert_eq!(speaker_events(&mut h), vec![vec![1]]);
    let talker1 = 0x1001;
    assert_eq!(ssrcs_to(&last, addr(remote(2))), vec![talker1]);
    assert_eq!(ssrcs_to(&last, addr(remote(3))), vec![talker1]);
    assert_eq!(ssrcs_to(&last, addr(remote(1))), Vec::<u32>::new());

    // A 1 s pause (shorter than the 1.5 s hold): no change, talker 1 still forwarded.
    let last = run(
        &mut h,
        &mut eps,
        Duration::from_secs(1),
        &[Some(127), Some(60), Some(127)],
    );
    assert_eq!(speaker_events(&mut h), Vec::<Vec<u32>>::new());
    assert_eq!(ssrcs_to(&last, addr(remote(2))), vec![talker1]);
    let last = run(
        &mut h,
        &mut eps,
        Duration::from_millis(500),
        &[Some(25), Some(60), Some(127)],
    );
    assert_eq!(speaker_events(&mut h), Vec::<Vec<u32>>::new());
    assert_eq!(ssrcs_to(&last, addr(remote(3))), vec![talker1]);

    // A 3 s pause: after the hold the murmur takes over, in one change.
    let last = run(
        &mut h,
        &mut eps,
        Duration::from_secs(3),
        &[Some(127), Some(60), Some(127)],
    );
    assert_eq!(speaker_events(&mut h), vec![vec![2]]);
    assert_eq!(ssrcs_to(&last, addr(remote(1))), vec![0x1002]);
    assert_eq!(ssrcs_to(&last, addr(remote(3))), vec![0x1002]);
    assert_eq!(h.core.talkers(ConferenceId(1)), Ok(vec![LegId(2)]));
    let drops = h.core.counters().drops;
    // Talker 2 was dropped while talker 1 held the slot, talker 3 always.
    assert!(drops.not_selected > 250, "{drops:?}");
}

#[test]
fn the_selection_timer_deselects_a_talker_who_stops_sending() {
    let (mut h, mut eps) = setup(SelectionPolicy::loudest(2), 2, true, CoreConfig::default());
    run(
        &mut h,
        &mut eps,
        Duration::from_secs(1),
        &[Some(20), Some(30)],
    );
    assert_eq!(speaker_events(&mut h).last(), Some(&vec![1, 2]));
    // Talker 2 stops sending entirely; only timers run for it.
    run(&mut h, &mut eps, Duration::from_secs(3), &[Some(20), None]);
    assert_eq!(speaker_events(&mut h), vec![vec![1]]);
    // Nobody sends: the timer alone empties the set.
    h.advance(Duration::from_secs(3));
    assert_eq!(speaker_events(&mut h), vec![Vec::<u32>::new()]);
    assert_eq!(h.core.counters().active_talkers, 0);
}

#[test]
fn g711_energy_selects_without_the_extension() {
    let (mut h, mut eps) = setup(SelectionPolicy::loudest(2), 3, false, CoreConfig::default());
    // mu-law codes: 0x80/0x00 are the largest magnitudes of either sign, 0xA0/0x20 about
    // 12 dB lower, 0xFF/0x7F zero.
    let loud: Vec<u8> = (0..160)
        .map(|i| if i % 2 == 0 { 0x80 } else { 0x00 })
        .collect();
    let medium: Vec<u8> = (0..160)
        .map(|i| if i % 2 == 0 { 0xA0 } else { 0x20 })
        .collect();
    let silent: Vec<u8> = (0..160)
        .map(|i| if i % 2 == 0 { 0xFF } else { 0x7F })
        .collect();
    let mut last = Vec::new();
    for _ in 0..25 {
        let batch = vec![
            (
                local(1),
                eps[0].addr,
                eps[0].next_with(PT_PCMU, None, &silent),
            ),
            (
                local(2),
                eps[1].addr,
                eps[1].next_with(PT_PCMU, None, &medium),
            ),
            (
                local(3),
                eps[2].addr,
                eps[2].next_with(PT_PCMU, None, &loud),
            ),
        ];
        last = h.batch(batch);
        h.advance(conference_support::PTIME);
    }
    assert_eq!(
        h.core.talkers(ConferenceId(1)),
        Ok(vec![LegId(2), LegId(3)])
    );
    assert_eq!(ssrcs_to(&last, addr(remote(1))), vec![0x1002, 0x1003]);
    assert_eq!(ssrcs_to(&last, addr(remote(2))), vec![0x1003]);
    assert_eq!(ssrcs_to(&last, addr(remote(3))), vec![0x1002]);
}

#[test]
fn opus_without_the_extension_counts_at_the_configured_default_level() {
    // The default (50 -dBov) is audible: both talkers are selected.
    let (mut h, mut eps) = setup(SelectionPolicy::loudest(3), 2, false, CoreConfig::default());
    for _ in 0..5 {
        let batch = (0..2)
            .map(|i| {
                (
                    local(i + 1),
                    eps[i as usize].addr,
                    eps[i as usize].next(None, &[1; 30]),
                )
            })
            .collect();
        h.batch(batch);
    }
    assert_eq!(
        h.core.talkers(ConferenceId(1)),
        Ok(vec![LegId(1), LegId(2)])
    );

    // A default at or below the silence threshold selects nobody.
    let mut config = CoreConfig::default();
    config.default_level_dbov = 100;
    let (mut h, mut eps) = setup(SelectionPolicy::loudest(3), 2, false, config);
    let mut sent = Vec::new();
    for _ in 0..5 {
        let batch = (0..2)
            .map(|i| {
                (
                    local(i + 1),
                    eps[i as usize].addr,
                    eps[i as usize].next(None, &[1; 30]),
                )
            })
            .collect();
        sent.extend(h.batch(batch));
    }
    assert_eq!(h.core.talkers(ConferenceId(1)), Ok(vec![]));
    assert!(sent.is_empty());
    assert_eq!(h.core.counters().drops.not_selected, 10);
}

#[test]
fn telephone_events_pass_selection() {
    let (mut h, mut eps) = setup(SelectionPolicy::loudest(1), 3, true, CoreConfig::default());
    run(
        &mut h,
        &mut eps,
        Duration::from_millis(200),
        &[Some(20), Some(127), Some(127)],
    );
    assert_eq!(h.core.talkers(ConferenceId(1)), Ok(vec![LegId(1)]));
    let dtmf = eps[1].next_with(PT_DTMF, None, &[5, 0x8a, 0x03, 0x20]);
    let sent = h.batch(vec![(local(2), eps[1].addr, dtmf.clone())]);
    let mut destinations: Vec<_> = sent.iter().map(|s| s.destination).collect();
    destinations.sort();
    assert_eq!(destinations, vec![addr(remote(1)), addr(remote(3))]);
    assert!(sent.iter().all(|s| s.bytes == dtmf));
    // The same talker's audio is still dropped.
    let audio = eps[1].next(Some(127), &[0; 10]);
    assert!(h.batch(vec![(local(2), eps[1].addr, audio)]).is_empty());
}

#[test]
fn policy_changes_take_effect_while_the_conference_runs() {
    let (mut h, mut eps) = setup(SelectionPolicy::loudest(1), 3, true, CoreConfig::default());
    let levels = [Some(20), Some(30), Some(127)];
    run(&mut h, &mut eps, Duration::from_secs(1), &levels);
    assert_eq!(speaker_events(&mut h), vec![vec![1]]);

    let now = h.now;
    h.core
        .set_policy(ConferenceId(1), SelectionPolicy::loudest(2), now)
        .expect("known conference");
    assert_eq!(speaker_events(&mut h), vec![vec![1, 2]]);
    let last = round(&mut h, &mut eps, &levels);
    assert_eq!(ssrcs_to(&last, addr(remote(3))), vec![0x1001, 0x1002]);

    h.core
        .set_policy(ConferenceId(1), SelectionPolicy::all(), now)
        .expect("known conference");
    assert_eq!(speaker_events(&mut h), vec![vec![1, 2, 3]]);
    let last = round(&mut h, &mut eps, &levels);
    assert_eq!(ssrcs_to(&last, addr(remote(1))), vec![0x1002, 0x1003]);

    h.core
        .set_policy(ConferenceId(1), SelectionPolicy::loudest(1), now)
        .expect("known conference");
    assert_eq!(speaker_events(&mut h), vec![vec![1]]);
    assert_eq!(h.core.policy(ConferenceId(1)).map(|p| p.max_talkers), Ok(1));
    let last = round(&mut h, &mut eps, &levels);
    assert_eq!(ssrcs_to(&last, addr(remote(2))), vec![0x1001]);
    assert_eq!(ssrcs_to(&last, addr(remote(1))), Vec::<u32>::new());
}

#[test]
fn removing_a_selected_talker_reports_and_refills_the_set() {
    let (mut h, mut eps) = setup(SelectionPolicy::loudest(1), 3, true, CoreConfig::default());
    run(
        &mut h,
        &mut eps,
        Duration::from_millis(500),
        &[Some(20), Some(40), Some(127)],
    );
    speaker_events(&mut h);
    let now = h.now;
    h.core.remove_leg(LegId(1), now).expect("known leg");
    assert_eq!(speaker_events(&mut h), vec![vec![2]]);
    assert_eq!(h.core.counters().legs, 2);
}
