//! Loopback round trips through both backends: datagrams from plain std sockets arrive in
//! `recv_batch` with the right port, source, length and bytes; an outbox the real media
//! core filled leaves through `send_outbox`; IPv6 works like IPv4.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use medianode_dataplane::conference::{
    Codec, ConferenceId, CoreConfig, InDatagram, LegConfig, LegId, MediaCore, Outbox, PayloadTypes,
    RateLimit, SelectionPolicy,
};
use medianode_netio::{
    set_socket_buffers, ActiveBackend, IoBackendChoice, PacketIo, DEFAULT_SOCKET_BUFFER_BYTES,
};

const BUFFER: usize = 2048;

fn batch(n: usize) -> Vec<InDatagram<Box<[u8]>>> {
    let unspecified: SocketAddr = "0.0.0.0:0".parse().expect("address");
    (0..n)
        .map(|_| InDatagram::new(0, unspecified, vec![0u8; BUFFER].into_boxed_slice(), 0))
        .collect()
}

fn open(choice: IoBackendChoice, expected: ActiveBackend) -> PacketIo {
    let io = PacketIo::new(choice).expect("backend set up");
    assert_eq!(io.backend(), expected);
    io
}

/// Receives until `want` datagrams are in or 5 s pass; returns (port, source, bytes).
fn receive_all(
    io: &mut PacketIo,
    want: usize,
    batch_size: usize,
) -> Vec<(u16, SocketAddr, Vec<u8>)> {
    let mut batch = batch(batch_size);
    let mut got = Vec::new();
    let end = Instant::now() + Duration::from_secs(5);
    while got.len() < want && Instant::now() < end {
        let n = io
            .recv_batch(&mut batch, Duration::from_millis(100))
            .expect("recv_batch");
        for datagram in batch.iter().take(n) {
            got.push((
                datagram.local_port,
                datagram.source,
                datagram.bytes().to_vec(),
            ));
        }
    }
    got
}

fn payload(i: usize) -> Vec<u8> {
    // Lengths from 1 to 1500 bytes, the index in the first two bytes.
    let len = 1 + (i * 37) % 1500;
    let mut bytes: Vec<u8> = (0..len).map(|j| (j * 7 + i) as u8).collect();
    if let Some(head) = bytes.get_mut(..2.min(len)) {
        head.copy_from_slice(&(i as u16).to_be_bytes()[..head.len()]);
    }
    bytes
}

fn receives_from_std_socket(choice: IoBackendChoice, expected: ActiveBackend, host: &str) {
    let mut io = open(choice, expected);
    let local = io
        .bind(format!("{host}:0").parse().expect("address"))
        .expect("bind");
    assert_ne!(local.port(), 0);
    let other = io
        .bind(format!("{host}:0").parse().expect("address"))
        .expect("bind");
    let sender = UdpSocket::bind(format!("{host}:0")).expect("sender");
    let sender_addr = sender.local_addr().expect("sender address");

    let n = 300;
    for i in 0..n {
        let target = if i % 3 == 0 { other } else { local };
        sender.send_to(&payload(i), target).expect("send");
    }
    // Small batches so several calls and several sockets take part.
    let got = receive_all(&mut io, n, 16);
    assert_eq!(got.len(), n, "every datagram arrives");
    let mut seen = vec![false; n];
    for (port, source, bytes) in &got {
        assert_eq!(*source, sender_addr);
        let i = if bytes.len() >= 2 {
            usize::from(u16::from_be_bytes([bytes[0], bytes[1]]))
        } else {
            // Only payload(0) is one byte long: 1 + (i * 37) % 1500 == 1 at i = 0.
            0
        };
        assert!(i < n, "index {i}");
        assert_eq!(bytes, &payload(i), "bytes of datagram {i}");
        let target = if i % 3 == 0 { other } else { local };
        assert_eq!(*port, target.port(), "port of datagram {i}");
        assert!(!seen[i], "datagram {i} once");
        seen[i] = true;
    }
    // Order per socket is kept.
    let order: Vec<usize> = got
        .iter()
        .filter(|(port, _, _)| *port == local.port())
        .map(|(_, _, b)| usize::from(u16::from_be_bytes([b[0], b[1]])))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "order per socket");
    assert_eq!(io.counters().received, n as u64);
}

/// A two-leg plain conference on `io`'s sockets; returns the core and the two endpoint
/// sockets (alice, bob) with the legs' local addresses.
fn conference(
    io: &mut PacketIo,
    host: &str,
) -> (MediaCore, UdpSocket, UdpSocket, SocketAddr, SocketAddr) {
    let now = Instant::now();
    let mut core = MediaCore::new(CoreConfig::default(), now);
    core.create_conference(ConferenceId(1), SelectionPolicy::all())
        .expect("conference");
    let pcmu = PayloadTypes::single(0, Codec::Pcmu).expect("payload types");
    let alice = UdpSocket::bind(format!("{host}:0")).expect("alice");
    let bob = UdpSocket::bind(format!("{host}:0")).expect("bob");
    let leg_a = io
        .bind(format!("{host}:0").parse().expect("address"))
        .expect("bind");
    let leg_b = io
        .bind(format!("{host}:0").parse().expect("address"))
        .expect("bind");
    let to_alice = LegConfig::new(leg_a.port(), pcmu).with_remote(alice.local_addr().expect("a"));
    let to_bob = LegConfig::new(leg_b.port(), pcmu).with_remote(bob.local_addr().expect("b"));
    core.add_leg(ConferenceId(1), LegId(1), to_alice, now)
        .expect("leg");
    core.add_leg(ConferenceId(1), LegId(2), to_bob, now)
        .expect("leg");
    (core, alice, bob, leg_a, leg_b)
}

fn rtp(seq: u16) -> Vec<u8> {
    let mut packet = vec![0x80, 0];
    packet.extend_from_slice(&seq.to_be_bytes());
    packet.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    packet.extend_from_slice(&0x1234_5678u32.to_be_bytes());
    packet.extend((0..160).map(|i| (i as u8) ^ (seq as u8)));
    packet
}

fn forwards_through_media_core(choice: IoBackendChoice, expected: ActiveBackend, host: &str) {
    let mut io = open(choice, expected);
    let (mut core, alice, bob, leg_a, leg_b) = conference(&mut io, host);
    bob.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let n = 20u16;
    for seq in 0..n {
        alice.send_to(&rtp(seq), leg_a).expect("send");
    }
    let mut batch = batch(8);
    let mut outbox = Outbox::new(64);
    let mut total = 0;
    let end = Instant::now() + Duration::from_secs(5);
    while total < usize::from(n) && Instant::now() < end {
        let got = io
            .recv_batch(&mut batch, Duration::from_millis(50))
            .expect("recv");
        core.handle_datagrams(Instant::now(), &mut batch[..got], &mut outbox);
        let report = io.send_outbox(&outbox).expect("send_outbox");
        assert_eq!(report.sent, outbox.len());
        assert_eq!(report.failed, 0);
        total += report.sent;
        outbox.clear();
    }
    assert_eq!(total, usize::from(n));
    let mut buf = [0u8; 2048];
    for seq in 0..n {
        let (len, from) = bob.recv_from(&mut buf).expect("bob receives");
        assert_eq!(from, leg_b, "sent from bob's leg socket");
        assert_eq!(
            &buf[..len],
            &rtp(seq)[..],
            "packet {seq} intact and in order"
        );
    }
    assert_eq!(io.counters().sent, u64::from(n));
}

fn outbox_to_closed_port_counts_failure(choice: IoBackendChoice, expected: ActiveBackend) {
    let mut io = open(choice, expected);
    let (mut core, alice, _bob, leg_a, leg_b) = conference(&mut io, "127.0.0.1");
    alice.send_to(&rtp(1), leg_a).expect("send");
    let mut batch = batch(4);
    let mut outbox = Outbox::new(8);
    let end = Instant::now() + Duration::from_secs(5);
    while outbox.is_empty() && Instant::now() < end {
        let got = io
            .recv_batch(&mut batch, Duration::from_millis(50))
            .expect("recv");
        core.handle_datagrams(Instant::now(), &mut batch[..got], &mut outbox);
    }
    assert_eq!(outbox.len(), 1);
    io.close(leg_b.port());
    let report = io.send_outbox(&outbox).expect("send_outbox");
    assert_eq!((report.sent, report.failed), (0, 1));
}

fn times_out_empty(choice: IoBackendChoice, expected: ActiveBackend) {
    let mut io = open(choice, expected);
    io.bind("127.0.0.1:0".parse().expect("address"))
        .expect("bind");
    let mut batch = batch(4);
    let start = Instant::now();
    let n = io
        .recv_batch(&mut batch, Duration::from_millis(60))
        .expect("recv");
    let waited = start.elapsed();
    assert_eq!(n, 0);
    assert!(waited >= Duration::from_millis(60), "waited {waited:?}");
    assert!(waited < Duration::from_secs(1), "waited {waited:?}");
    let start = Instant::now();
    assert_eq!(io.recv_batch(&mut batch, Duration::ZERO).expect("recv"), 0);
    assert!(start.elapsed() < Duration::from_millis(50));
}

fn drops_oversized_and_closed(choice: IoBackendChoice, expected: ActiveBackend) {
    let mut io = open(choice, expected);
    let local = io
        .bind("127.0.0.1:0".parse().expect("address"))
        .expect("bind");
    let duplicate = io.bind(local);
    assert_eq!(
        duplicate.expect_err("port taken").kind(),
        std::io::ErrorKind::AddrInUse
    );
    let sender = UdpSocket::bind("127.0.0.1:0").expect("sender");
    sender.send_to(&[1u8; 1600], local).expect("send");
    sender.send_to(&[2u8; 40], local).expect("send");
    // Buffers of 1500 bytes: the 1600-byte datagram does not fit.
    let unspecified: SocketAddr = "0.0.0.0:0".parse().expect("address");
    let mut small: Vec<InDatagram<Vec<u8>>> = (0..4)
        .map(|_| InDatagram::new(0, unspecified, vec![0u8; 1500], 0))
        .collect();
    let mut got = Vec::new();
    let end = Instant::now() + Duration::from_secs(5);
    while got.is_empty() && Instant::now() < end {
        let n = io
            .recv_batch(&mut small, Duration::from_millis(50))
            .expect("recv");
        got.extend(small.iter().take(n).map(|d| d.bytes().to_vec()));
    }
    assert_eq!(got, vec![vec![2u8; 40]]);
    assert_eq!(io.counters().truncated, 1);

    io.close(local.port());
    sender.send_to(&[3u8; 10], local).ok();
    assert_eq!(
        io.recv_batch(&mut small, Duration::from_millis(30))
            .expect("recv"),
        0
    );
    // The port can be bound again and works.
    let again = io.bind(local).expect("rebind");
    assert_eq!(again, local);
    sender.send_to(&[4u8; 10], local).expect("send");
    let got = receive_all(&mut io, 1, 4);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].2, vec![4u8; 10]);
}

/// More datagrams arrive before the first receive than the io_uring buffer ring holds
/// (4096; here 3000 on each of two sockets): none is lost, each socket's receive is armed
/// again after the buffers run out.
fn survives_a_burst(choice: IoBackendChoice, expected: ActiveBackend) {
    let mut io = open(choice, expected);
    let any: SocketAddr = "127.0.0.1:0".parse().expect("address");
    let locals = [io.bind(any).expect("bind"), io.bind(any).expect("bind")];
    let sender = UdpSocket::bind("127.0.0.1:0").expect("sender");
    let per_socket = 3000usize;
    for i in 0..per_socket {
        for local in locals {
            let mut bytes = [0u8; 100];
            bytes[..4].copy_from_slice(&(i as u32).to_be_bytes());
            sender.send_to(&bytes, local).expect("send");
        }
    }
    let got = receive_all(&mut io, 2 * per_socket, 64);
    for local in locals {
        let order: Vec<u32> = got
            .iter()
            .filter(|(port, _, _)| *port == local.port())
            .map(|(_, _, b)| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        assert_eq!(
            order,
            (0..per_socket as u32).collect::<Vec<_>>(),
            "all, in order, on {local}"
        );
    }
    if expected == ActiveBackend::IoUring {
        // The sends ran the ring's task work on this thread, so the multishot receives
        // took datagrams until the 4096 buffers were gone, and were armed again.
        assert!(io.counters().buffers_exhausted > 0, "{:?}", io.counters());
    }
    // Later datagrams still arrive, on both sockets.
    for local in locals {
        sender.send_to(b"after", local).expect("send");
    }
    let got = receive_all(&mut io, 2, 8);
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|(_, _, bytes)| bytes == b"after"));
}

/// One outbox of 1200 datagrams (600 packets to two listeners): more than one
/// `sendmmsg` takes (1024) and more than the io_uring backend's send buffers (1024), so
/// both chunk; every datagram arrives, in order per listener.
fn sends_a_large_outbox(choice: IoBackendChoice, expected: ActiveBackend) {
    let mut io = open(choice, expected);
    let now = Instant::now();
    let mut config = CoreConfig::default();
    config.rate_limit = RateLimit {
        packets_per_second: 1_000_000,
        burst: 100_000,
    };
    let mut core = MediaCore::new(config, now);
    core.create_conference(ConferenceId(1), SelectionPolicy::all())
        .expect("conference");
    let pcmu = PayloadTypes::single(0, Codec::Pcmu).expect("payload types");
    let talker = UdpSocket::bind("127.0.0.1:0").expect("talker");
    let listeners: Vec<UdpSocket> = (0..2)
        .map(|_| {
            let socket = UdpSocket::bind("127.0.0.1:0").expect("listener");
            // 600 datagrams at once overflow the default ~200 KiB.
            set_socket_buffers(&socket, DEFAULT_SOCKET_BUFFER_BYTES).expect("buffers");
            socket
        })
        .collect();
    let remotes = std::iter::once(&talker).chain(&listeners);
    let mut legs = Vec::new();
    for (i, remote) in remotes.enumerate() {
        let local = io
            .bind("127.0.0.1:0".parse().expect("address"))
            .expect("bind");
        let leg = LegConfig::new(local.port(), pcmu).with_remote(remote.local_addr().expect("a"));
        core.add_leg(ConferenceId(1), LegId(i as u32 + 1), leg, now)
            .expect("leg");
        legs.push(local);
    }
    let n = 600u16;
    for seq in 0..n {
        talker.send_to(&rtp(seq), legs[0]).expect("send");
    }
    let mut all = batch(usize::from(n));
    let mut filled = 0;
    let end = Instant::now() + Duration::from_secs(5);
    while filled < usize::from(n) && Instant::now() < end {
        filled += io
            .recv_batch(&mut all[filled..], Duration::from_millis(50))
            .expect("recv");
    }
    assert_eq!(filled, usize::from(n));
    let mut outbox = Outbox::new(1300);
    core.handle_datagrams(Instant::now(), &mut all, &mut outbox);
    assert_eq!(outbox.len(), 1200);
    let report = io.send_outbox(&outbox).expect("send_outbox");
    assert_eq!((report.sent, report.failed), (1200, 0));
    let mut buf = [0u8; 2048];
    for (listener, leg) in listeners.iter().zip(&legs[1..]) {
        listener
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        for seq in 0..n {
            let (len, from) = listener.recv_from(&mut buf).expect("listener receives");
            assert_eq!(from, *leg);
            assert_eq!(&buf[..len], &rtp(seq)[..], "packet {seq}");
        }
    }
}

macro_rules! backend_tests {
    ($module:ident, $choice:expr, $expected:expr) => {
        mod $module {
            use super::*;

            #[test]
            fn receives_ipv4() {
                receives_from_std_socket($choice, $expected, "127.0.0.1");
            }

            #[test]
            fn receives_ipv6() {
                receives_from_std_socket($choice, $expected, "[::1]");
            }

            #[test]
            fn forwards_ipv4() {
                forwards_through_media_core($choice, $expected, "127.0.0.1");
            }

            #[test]
            fn forwards_ipv6() {
                forwards_through_media_core($choice, $expected, "[::1]");
            }

            #[test]
            fn counts_send_without_socket() {
                outbox_to_closed_port_counts_failure($choice, $expected);
            }

            #[test]
            fn survives_a_burst_larger_than_the_buffer_ring() {
                survives_a_burst($choice, $expected);
            }

            #[test]
            fn sends_an_outbox_larger_than_one_call() {
                sends_a_large_outbox($choice, $expected);
            }

            #[test]
            fn times_out() {
                times_out_empty($choice, $expected);
            }

            #[test]
            fn drops_oversized_and_closed_ports() {
                drops_oversized_and_closed($choice, $expected);
            }
        }
    };
}

backend_tests!(mmsg, IoBackendChoice::Mmsg, ActiveBackend::Mmsg);
backend_tests!(io_uring, IoBackendChoice::IoUring, ActiveBackend::IoUring);

#[test]
fn packet_io_can_move_to_its_core_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<PacketIo>();
}
