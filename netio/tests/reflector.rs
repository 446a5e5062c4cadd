//! The bare reflector echoes each datagram to its sender, or relays it to every listed
//! destination, and stops when told.

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use medianode_netio::reflector;

#[test]
fn echoes_then_stops() {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("reflector socket");
    let addr = socket.local_addr().expect("address");
    let stop = Arc::new(AtomicBool::new(false));
    let running = {
        let stop = stop.clone();
        std::thread::spawn(move || reflector::run(&socket, &stop))
    };
    let peer = UdpSocket::bind("127.0.0.1:0").expect("peer");
    peer.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut buf = [0u8; 2048];
    for i in 0..100u8 {
        let message = vec![i; 1 + usize::from(i)];
        peer.send_to(&message, addr).expect("send");
        let (len, from) = peer.recv_from(&mut buf).expect("echo");
        assert_eq!(from, addr);
        assert_eq!(&buf[..len], &message[..]);
    }
    stop.store(true, Ordering::Relaxed);
    let stats = running.join().expect("thread").expect("reflector");
    assert_eq!((stats.received, stats.sent, stats.failed), (100, 100, 0));
}

#[test]
fn relays_to_every_destination() {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("reflector socket");
    let addr = socket.local_addr().expect("address");
    let sinks: Vec<UdpSocket> = (0..3)
        .map(|_| UdpSocket::bind("127.0.0.1:0").expect("sink"))
        .collect();
    let destinations: Vec<_> = sinks.iter().map(|s| s.local_addr().expect("a")).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let running = {
        let stop = stop.clone();
        std::thread::spawn(move || reflector::relay(&socket, &destinations, &stop))
    };
    let sender = UdpSocket::bind("127.0.0.1:0").expect("sender");
    for i in 0..50u8 {
        sender.send_to(&[i; 20], addr).expect("send");
    }
    let mut buf = [0u8; 64];
    for sink in &sinks {
        sink.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        for i in 0..50u8 {
            let (len, from) = sink.recv_from(&mut buf).expect("relayed");
            assert_eq!(from, addr);
            assert_eq!(&buf[..len], &[i; 20]);
        }
    }
    // Nothing goes back to the sender.
    sender
        .set_read_timeout(Some(Duration::from_millis(50)))
        .expect("timeout");
    assert!(sender.recv_from(&mut buf).is_err());
    stop.store(true, Ordering::Relaxed);
    let stats = running.join().expect("thread").expect("relay");
    assert_eq!((stats.received, stats.sent, stats.failed), (50, 150, 0));
}
