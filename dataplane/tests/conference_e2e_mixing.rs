//! Mixing an end-to-end conference through `MediaCore`, with libsrtp2 as every endpoint:
//! talkers protect under the conference key with libsrtp2, the core (given the key by
//! `set_mixer_key`) decrypts copies for its mixer, and listeners decrypt the mix with
//! libsrtp2 under the same key and decode it.

mod conference_support;
mod mixer_support;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::Duration;

use conference_support::{addr, policy, Harness, Sent};
use libsrtp2_peer::{Direction, Libsrtp2Session, SessionConfig, Suite};
use medianode_dataplane::conference::{
    Codec, ConferenceError, ConferenceId, CoreConfig, LegConfig, LegId, MediaMode, MixerKey,
    PayloadTypes, Receive, SelectionPolicy,
};
use medianode_dataplane::mixer::{MixerConfig, OpusEncoding, OutputKind};
use medianode_dataplane::srtp::SrtpSuite;
use mixer_support::{assert_tones, Receiver, Talker, Tone, LEVEL_ID, PT_OPUS, PT_PCMU};

const WINDOW: Duration = Duration::from_millis(400);
const KEY_BYTE: u8 = 0x42;
/// The SSRCs the "focus" claimed for the mix's shared streams.
const SHARED_SSRCS: [u32; 2] = [0xAAAA_0001, 0xAAAA_0002];
/// A leg's mix-minus SSRC.
fn mix_ssrc(leg: u32) -> u32 {
    0xBBBB_0000 + leg
}

fn local(leg: u32) -> u16 {
    21_000 + 2 * leg as u16
}

fn remote(leg: u32) -> SocketAddr {
    addr(41_000 + 2 * leg as u16)
}

/// The key after a re-key.
const NEW_KEY_BYTE: u8 = 0x43;

fn key_material(byte: u8) -> Vec<u8> {
    vec![byte; SrtpSuite::AesCm128HmacSha1_80.key_salt_len()]
}

fn libsrtp2(direction: Direction) -> Libsrtp2Session {
    libsrtp2_under(KEY_BYTE, direction)
}

fn libsrtp2_under(key_byte: u8, direction: Direction) -> Libsrtp2Session {
    let material = key_material(key_byte);
    Libsrtp2Session::new(&SessionConfig::new(
        Suite::AesCm128HmacSha1_80,
        &material,
        direction,
    ))
    .expect("libsrtp2 session")
}

fn mixer_key() -> MixerKey {
    mixer_key_under(KEY_BYTE)
}

fn mixer_key_under(key_byte: u8) -> MixerKey {
    MixerKey::new(
        policy(SrtpSuite::AesCm128HmacSha1_80, key_byte),
        SHARED_SSRCS.to_vec(),
    )
}

fn opus() -> PayloadTypes {
    PayloadTypes::single(PT_OPUS, Codec::Opus).expect("payload types")
}

/// One endpoint: libsrtp2 both ways under the conference key (or plain).
struct Member {
    talker: Option<Talker>,
    send: Option<Libsrtp2Session>,
    receive: Option<Libsrtp2Session>,
    receiver: Receiver,
    /// Every datagram it was sent, as sent.
    datagrams: Vec<Vec<u8>>,
    /// SSRCs of what it received, decrypted.
    ssrcs: Vec<u32>,
    /// Datagrams libsrtp2 refused.
    unopened: usize,
}

struct Scenario {
    harness: Harness,
    members: BTreeMap<u32, Member>,
    /// What the talkers sent, by leg.
    sent_by: BTreeMap<u32, Vec<Vec<u8>>>,
}

impl Scenario {
    fn new(keyed: bool) -> Scenario {
        let policy = SelectionPolicy::loudest(3);
        let mut config = CoreConfig::default();
        config.mix = MixerConfig::new(policy).with_opus(OpusEncoding::new(64_000, 5));
        let mut harness = Harness::new(config);
        harness.conference(1, policy);
        if keyed {
            harness
                .core
                .set_mixer_key(ConferenceId(1), mixer_key(), harness.now)
                .expect("keyed");
        }
        Scenario {
            harness,
            members: BTreeMap::new(),
            sent_by: BTreeMap::new(),
        }
    }

    fn config(leg: u32, end_to_end: bool, receive: Receive) -> LegConfig {
        let mut config = LegConfig::new(local(leg), opus())
            .with_remote(remote(leg))
            .with_audio_level(LEVEL_ID)
            .with_receive(receive);
        if end_to_end {
            config = config.with_media(MediaMode::SrtpEndToEnd);
            if receive == Receive::Mix {
                config = config.with_mix_ssrc(mix_ssrc(leg));
            }
        }
        config
    }

    fn add(&mut self, leg: u32, tone: Option<Tone>, end_to_end: bool, receive: Receive) {
        self.harness
            .leg(1, leg, Self::config(leg, end_to_end, receive));
        self.members.insert(
            leg,
            Member {
                talker: tone.map(|t| Talker::new(Codec::Opus, t, 0x1000 + leg)),
                send: end_to_end.then(|| libsrtp2(Direction::Outbound)),
                receive: end_to_end.then(|| libsrtp2(Direction::Inbound)),
                receiver: Receiver::new(Codec::Opus),
                datagrams: Vec::new(),
                ssrcs: Vec::new(),
                unopened: 0,
            },
        );
    }

    /// A phone (a PSTN call): plain PCMU, receiving the mix, with an SSRC claimed under the
    /// key for relaying its voice to end-to-end listeners.
    fn add_phone(&mut self, leg: u32, tone: Tone) {
        let pcmu = PayloadTypes::single(PT_PCMU, Codec::Pcmu).expect("payload types");
        let config = LegConfig::new(local(leg), pcmu)
            .with_remote(remote(leg))
            .with_receive(Receive::Mix)
            .with_mix_ssrc(mix_ssrc(leg));
        self.harness.leg(1, leg, config);
        self.members.insert(
            leg,
            Member {
                talker: Some(Talker::new(Codec::Pcmu, tone, 0x1000 + leg)),
                send: None,
                receive: None,
                receiver: Receiver::new(Codec::Pcmu),
                datagrams: Vec::new(),
                ssrcs: Vec::new(),
                unopened: 0,
            },
        );
    }

    /// Runs `periods` of 20 ms; `tamper` may change each talker's protected packet.
    fn run_with(&mut self, periods: usize, mut tamper: impl FnMut(u32, &mut Vec<u8>)) {
        for _ in 0..periods {
            let start = self.harness.now;
            let mut sent = self.harness.advance_to(start + Duration::from_millis(5));
            let mut batch = Vec::new();
            for (&leg, member) in &mut self.members {
                let Some(talker) = &mut member.talker else {
                    continue;
                };
                let mut packet = talker.next_packet();
                if let Some(session) = &mut member.send {
                    session.protect_rtp(&mut packet).expect("libsrtp2 protect");
                }
                tamper(leg, &mut packet);
                self.sent_by.entry(leg).or_default().push(packet.clone());
                batch.push((local(leg), remote(leg), packet));
            }
            sent.extend(self.harness.batch(batch));
            sent.extend(self.harness.advance_to(start + Duration::from_millis(20)));
            self.deliver(sent);
        }
    }

    fn run(&mut self, periods: usize) {
        self.run_with(periods, |_, _| {});
    }

    fn deliver(&mut self, sent: Vec<Sent>) {
        let talkers: BTreeSet<u32> = self
            .members
            .values()
            .filter_map(|m| m.talker.as_ref().map(|t| t.ssrc))
            .collect();
        for datagram in sent {
            if datagram
                .bytes
                .get(1)
                .is_some_and(|b| (200..=206).contains(b))
            {
                continue;
            }
            let (_, member) = self
                .members
                .iter_mut()
                .find(|(&l, _)| remote(l) == datagram.destination)
                .expect("sent to a member");
            member.datagrams.push(datagram.bytes.clone());
            let mut packet = datagram.bytes;
            if let Some(session) = &mut member.receive {
                if session.unprotect_rtp(&mut packet).is_err() {
                    member.unopened += 1;
                    continue;
                }
            }
            let ssrc = u32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]]);
            member.ssrcs.push(ssrc);
            if !talkers.contains(&ssrc) {
                member.receiver.receive(&packet[12..], OutputKind::Shared);
            }
        }
    }

    fn heard(&self, leg: u32) -> &[i16] {
        self.members[&leg].receiver.last(WINDOW)
    }

    fn recent_ssrcs(&self, leg: u32, packets: usize) -> BTreeSet<u32> {
        let ssrcs = &self.members[&leg].ssrcs;
        ssrcs[ssrcs.len().saturating_sub(packets)..]
            .iter()
            .copied()
            .collect()
    }
}

#[test]
fn end_to_end_listeners_hear_one_shared_mix_under_the_conference_key() {
    let a = Tone::new(400.0, 8000.0);
    let b = Tone::new(700.0, 6000.0);
    let mut s = Scenario::new(true);
    s.add(1, Some(a), true, Receive::Mix);
    s.add(2, Some(b), true, Receive::Streams);
    s.add(3, None, true, Receive::Mix);
    s.add(4, None, true, Receive::Mix);
    s.add(5, None, false, Receive::Mix);
    s.add(6, None, true, Receive::Streams);
    s.run(60);

    // Two end-to-end listeners of the shared mix: one protect, the same bytes to both,
    // under the first SSRC the focus handed over.
    let (three, four) = (&s.members[&3].datagrams, &s.members[&4].datagrams);
    assert!(three.len() >= 50, "{} packets", three.len());
    assert_eq!(three, four, "both receive the very same protected packets");
    assert_eq!(s.recent_ssrcs(3, 40), BTreeSet::from([SHARED_SSRCS[0]]));
    for leg in [3, 4, 5] {
        assert_tones(&format!("leg {leg}"), s.heard(leg), 48_000, &[a, b], &[]);
    }
    // The plain listener hears the end-to-end talkers too, in a stream of its own.
    assert!(!s.recent_ssrcs(5, 40).contains(&SHARED_SSRCS[0]));

    // The talker that takes the mix hears its mix-minus under its own SSRC, without
    // itself.
    assert_eq!(s.recent_ssrcs(1, 40), BTreeSet::from([mix_ssrc(1)]));
    assert_tones("leg 1", s.heard(1), 48_000, &[b], &[a]);

    // The streams listener gets the talkers' packets exactly as they were sent.
    let forwarded: BTreeSet<&Vec<u8>> = s.members[&6].datagrams.iter().collect();
    let sent: BTreeSet<&Vec<u8>> = s.sent_by.values().flatten().collect();
    assert!(forwarded.len() >= 100, "{}", forwarded.len());
    assert!(forwarded.is_subset(&sent), "ciphertext forwarded untouched");

    for (leg, member) in &s.members {
        assert_eq!(member.unopened, 0, "libsrtp2 opened all that leg {leg} got");
    }
    let counters = s.harness.core.mixing_counters();
    assert_eq!(counters.end_to_end_rejected, 0, "{counters:?}");
}

#[test]
fn a_tampered_talker_packet_is_kept_out_of_the_mix_and_counted() {
    let a = Tone::new(400.0, 8000.0);
    let b = Tone::new(700.0, 6000.0);
    let mut s = Scenario::new(true);
    s.add(1, Some(a), true, Receive::Streams);
    s.add(2, Some(b), true, Receive::Streams);
    s.add(3, None, true, Receive::Mix);
    // Talker 2 knows the key's suite but not the key: every packet fails to authenticate.
    s.run_with(40, |leg, packet| {
        if leg == 2 {
            let last = packet.len() - 1;
            packet[last] ^= 0x01;
        }
    });
    assert_tones("leg 3", s.heard(3), 48_000, &[a], &[b]);
    assert_eq!(s.members[&3].unopened, 0);
    let rejected = s.harness.core.mixing_counters().end_to_end_rejected;
    assert!(rejected >= 35, "{rejected} rejected");
}

#[test]
fn an_end_to_end_leg_mixes_only_with_the_key_and_an_ssrc_of_its_own() {
    let conference = ConferenceId(1);
    let mut unkeyed = Scenario::new(false);
    let now = unkeyed.harness.now;
    let refused = unkeyed.harness.core.add_leg(
        conference,
        LegId(9),
        Scenario::config(9, true, Receive::Mix),
        now,
    );
    assert_eq!(refused, Err(ConferenceError::EndToEndMixUnkeyed));

    let mut keyed = Scenario::new(true);
    let now = keyed.harness.now;
    let no_ssrc = LegConfig::new(local(9), opus())
        .with_media(MediaMode::SrtpEndToEnd)
        .with_receive(Receive::Mix);
    assert_eq!(
        keyed
            .harness
            .core
            .add_leg(conference, LegId(9), no_ssrc, now),
        Err(ConferenceError::MixNeedsSsrc)
    );
    // A shared stream's SSRC, or another leg's mix-minus SSRC, is never taken twice.
    let shared = Scenario::config(9, true, Receive::Mix).with_mix_ssrc(SHARED_SSRCS[1]);
    assert_eq!(
        keyed
            .harness
            .core
            .add_leg(conference, LegId(9), shared, now),
        Err(ConferenceError::MixSsrcTaken(SHARED_SSRCS[1]))
    );
    keyed.add(1, None, true, Receive::Mix);
    let taken = Scenario::config(2, true, Receive::Mix).with_mix_ssrc(mix_ssrc(1));
    assert_eq!(
        keyed.harness.core.add_leg(conference, LegId(2), taken, now),
        Err(ConferenceError::MixSsrcTaken(mix_ssrc(1)))
    );
    // The same leg, replaced (a re-INVITE), keeps its SSRC.
    let again = Scenario::config(1, true, Receive::Mix);
    keyed
        .harness
        .core
        .replace_leg(LegId(1), again, now)
        .expect("the leg keeps its own SSRC");
}

#[test]
fn a_phone_reaches_end_to_end_listeners_relayed_under_the_conference_key() {
    let a = Tone::new(400.0, 8000.0);
    let phone = Tone::new(700.0, 6000.0);
    let mut s = Scenario::new(true);
    s.add(1, Some(a), true, Receive::Streams);
    s.add(2, None, true, Receive::Streams);
    s.add(3, None, true, Receive::Streams);
    s.add(4, None, true, Receive::Mix);
    s.add_phone(7, phone);
    s.run(60);

    // The streams listeners get talker 1 as sent, and the phone's voice re-encoded as
    // Opus under the SSRC claimed for it: protected once, the same bytes to both.
    for leg in [2, 3] {
        let recent = s.recent_ssrcs(leg, 40);
        assert_eq!(recent, BTreeSet::from([0x1001, mix_ssrc(7)]), "leg {leg}");
        assert_eq!(s.members[&leg].unopened, 0);
    }
    let relayed = |leg: u32| -> Vec<&Vec<u8>> {
        let member = &s.members[&leg];
        member
            .datagrams
            .iter()
            .zip(&member.ssrcs)
            .filter(|(_, &ssrc)| ssrc == mix_ssrc(7))
            .map(|(bytes, _)| bytes)
            .collect()
    };
    assert!(relayed(2).len() >= 50, "{}", relayed(2).len());
    assert_eq!(relayed(2), relayed(3), "one protect serves both");
    assert_tones("the phone relayed", s.heard(2), 48_000, &[phone], &[a]);
    // The end-to-end mix listener hears both; the phone hears talker 1 in its mix.
    assert_tones("leg 4", s.heard(4), 48_000, &[a, phone], &[]);
    assert_tones("the phone", s.heard(7), 8000, &[a], &[phone]);
}

#[test]
fn after_a_re_key_the_mix_comes_under_the_new_key() {
    let a = Tone::new(400.0, 8000.0);
    let mut s = Scenario::new(true);
    s.add(1, Some(a), true, Receive::Streams);
    s.add(3, None, true, Receive::Mix);
    s.run(20);
    assert_eq!(s.members[&3].unopened, 0);

    // The focus re-keys: the core gets the new key (the mixer's SSRCs claimed again under
    // it), and every participant switches to it.
    let now = s.harness.now;
    s.harness
        .core
        .set_mixer_key(ConferenceId(1), mixer_key_under(NEW_KEY_BYTE), now)
        .expect("re-keyed");
    for member in s.members.values_mut() {
        member.send = Some(libsrtp2_under(NEW_KEY_BYTE, Direction::Outbound));
        member.receive = Some(libsrtp2_under(NEW_KEY_BYTE, Direction::Inbound));
        member.receiver = Receiver::new(Codec::Opus);
    }
    s.run(40);
    assert_eq!(s.members[&3].unopened, 0, "the mix opens under the new key");
    assert_tones("after the re-key", s.heard(3), 48_000, &[a], &[]);
    assert_eq!(s.harness.core.mixing_counters().end_to_end_rejected, 0);
}
