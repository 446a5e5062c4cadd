//! CoreLoop over real loopback sockets: commands in, datagrams through, events out.

use super::*;
use medianode_dataplane::conference::{Codec, PayloadTypes, SelectionPolicy};
use std::net::UdpSocket;

fn core(ports: RangeInclusive<u16>) -> (CoreLoop, crossbeam_channel::Receiver<NodeEvent>) {
    let media = MediaConfig {
        port_min: *ports.start(),
        port_max: *ports.end(),
        ..MediaConfig::default()
    };
    let setup = CoreSetup::new(
        0,
        1,
        Instant::now(),
        Duration::from_millis(5),
        &media,
        IoBackendChoice::Mmsg,
    );
    let (events_tx, events_rx) = crossbeam_channel::bounded(64);
    let core = CoreLoop::new(setup, Arc::new(CoreMetrics::new(0)), events_tx).unwrap();
    (core, events_rx)
}

fn ask<T>(
    core: &mut CoreLoop,
    make: impl FnOnce(crossbeam_channel::Sender<T>) -> CoreCommand,
) -> T {
    let (tx, rx) = crossbeam_channel::bounded(1);
    assert_eq!(core.handle(make(tx)), LoopControl::Continue);
    rx.try_recv().expect("the core answers at once")
}

fn add_leg(core: &mut CoreLoop, leg: u32, remote: Option<SocketAddr>) -> SocketAddr {
    let mut config = LegConfig::new(0, PayloadTypes::single(0, Codec::Pcmu).unwrap());
    if let Some(remote) = remote {
        config = config.with_remote(remote);
    }
    ask(core, |reply| CoreCommand::AddLeg {
        conference: ConferenceId(1),
        leg: LegId(leg),
        config: Box::new(config),
        reply,
    })
    .unwrap()
}

#[test]
fn a_packet_from_one_leg_leaves_from_the_other_legs_socket() {
    let (mut core, events) = core(32100..=32109);
    ask(&mut core, |reply| CoreCommand::CreateConference {
        id: ConferenceId(1),
        policy: SelectionPolicy::all(),
        mixer_key: None,
        reply,
    })
    .unwrap();
    let alice = UdpSocket::bind("127.0.0.1:0").unwrap();
    let bob = UdpSocket::bind("127.0.0.1:0").unwrap();
    bob.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let to_alice = add_leg(&mut core, 1, None);
    let to_bob = add_leg(&mut core, 2, Some(bob.local_addr().unwrap()));
    assert!((32100..=32109).contains(&to_alice.port()));
    assert_ne!(to_alice, to_bob);

    let mut packet = vec![0x80, 0, 0, 1, 0, 0, 0, 160, 0, 0, 0, 7];
    packet.extend_from_slice(&[0x55; 160]);
    alice.send_to(&packet, to_alice).unwrap();
    let (commands_tx, commands) = crossbeam_channel::unbounded();
    let deadline = Instant::now() + Duration::from_secs(2);
    while core.media.counters().packets_out == 0 && Instant::now() < deadline {
        assert_eq!(core.turn(&commands), LoopControl::Continue);
    }
    let mut buf = [0u8; 2048];
    let (n, from) = bob.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], &packet[..]);
    assert_eq!(from, to_bob, "sent from the destination leg's own socket");
    core.turn(&commands);
    let latched = events.try_iter().any(|e| {
        matches!(e.event, medianode_dataplane::conference::CoreEvent::LegLatched {
            leg: LegId(1), remote, ..
        } if remote == alice.local_addr().unwrap())
    });
    assert!(
        latched,
        "alice's leg latched and the control side heard of it"
    );

    let view = ask(&mut core, |reply| CoreCommand::Snapshot {
        conference: ConferenceId(1),
        reply,
    })
    .unwrap();
    assert_eq!(view.legs.len(), 2);
    assert_eq!(view.legs[0].packets_in, 1);
    assert_eq!(view.legs[1].packets_out, 1);

    ask(&mut core, |reply| CoreCommand::RemoveConference {
        id: ConferenceId(1),
        reply,
    })
    .unwrap();
    UdpSocket::bind(to_alice).expect("sockets close with their conference");
    UdpSocket::bind(to_bob).expect("sockets close with their conference");
    commands_tx.send(CoreCommand::Shutdown).unwrap();
    assert_eq!(core.turn(&commands), LoopControl::Stop);
}

#[test]
fn a_refused_leg_gives_its_port_back_and_a_full_range_is_reported() {
    let (mut core, _events) = core(32110..=32110);
    let unknown = ask(&mut core, |reply| CoreCommand::AddLeg {
        conference: ConferenceId(9),
        leg: LegId(1),
        config: Box::new(LegConfig::new(0, PayloadTypes::new())),
        reply,
    });
    assert!(matches!(
        unknown,
        Err(AddLegError::Conference(ConferenceError::UnknownConference(
            _
        )))
    ));
    ask(&mut core, |reply| CoreCommand::CreateConference {
        id: ConferenceId(1),
        policy: SelectionPolicy::all(),
        mixer_key: None,
        reply,
    })
    .unwrap();
    let bad = ask(&mut core, |reply| CoreCommand::AddLeg {
        conference: ConferenceId(1),
        leg: LegId(1),
        config: Box::new(LegConfig::new(0, PayloadTypes::new()).with_audio_level(0)),
        reply,
    });
    assert!(matches!(bad, Err(AddLegError::Conference(_))), "{bad:?}");
    let only = add_leg(&mut core, 2, None);
    assert_eq!(only.port(), 32110, "the refused leg's port was given back");
    let full = ask(&mut core, |reply| CoreCommand::AddLeg {
        conference: ConferenceId(1),
        leg: LegId(3),
        config: Box::new(LegConfig::new(0, PayloadTypes::new())),
        reply,
    });
    assert!(
        matches!(full, Err(AddLegError::NoFreePort { .. })),
        "{full:?}"
    );
    ask(&mut core, |reply| CoreCommand::RemoveLeg {
        leg: LegId(2),
        reply,
    })
    .unwrap();
    assert_eq!(add_leg(&mut core, 4, None).port(), 32110);
}

#[test]
fn a_closed_command_channel_stops_the_core_and_housekeeping_beats() {
    let (mut core, _events) = core(32120..=32121);
    let (tx, rx) = crossbeam_channel::unbounded::<CoreCommand>();
    assert_eq!(core.turn(&rx), LoopControl::Continue);
    assert!(core.metrics.housekeeping_runs() >= 1);
    assert_eq!(core.metrics.packet_io(), Some("mmsg"));
    drop(tx);
    assert_eq!(core.turn(&rx), LoopControl::Stop);
}
