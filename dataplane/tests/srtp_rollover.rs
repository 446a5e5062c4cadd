//! Rollover counter across sequence-number wrap, both ways: forward (65535 -> 0 moves the
//! ROC to 1 on sender and receiver) and backward (a packet from before the wrap arriving
//! after it still uses the old ROC), including reordering around the wrap in one batch.

mod srtp_common;

use medianode_dataplane::srtp::{
    PacketBuf, SrtpError, SrtpPolicy, SrtpSession, SrtpSuite, StreamDirection,
};
use srtp_common::{key, protect, rtp, unprotect, Kind};

const SSRC: u32 = 0x0BAD_CAFE;

fn pair(suite: SrtpSuite) -> (SrtpSession, SrtpSession) {
    let policy = SrtpPolicy::new(key(suite, 5));
    (
        SrtpSession::sender(policy.clone()),
        SrtpSession::receiver(policy),
    )
}

fn seqs_across_wrap() -> Vec<u16> {
    (65530..=65535).chain(0..6).collect()
}

#[test]
fn forward_wrap_advances_roc_on_both_sides() {
    for suite in [SrtpSuite::AesCm128HmacSha1_80, SrtpSuite::AeadAes128Gcm] {
        let (mut tx, mut rx) = pair(suite);
        for seq in seqs_across_wrap() {
            let p = protect(&mut tx, Kind::Rtp, &rtp(seq, SSRC, &[seq as u8; 32]));
            assert_eq!(
                unprotect(&mut rx, Kind::Rtp, &p).unwrap(),
                rtp(seq, SSRC, &[seq as u8; 32])
            );
        }
        for (session, dir) in [
            (&tx, StreamDirection::Outbound),
            (&rx, StreamDirection::Inbound),
        ] {
            let state = session.stream_state(dir, SSRC).unwrap();
            assert_eq!(
                (state.roc, state.highest_sequence),
                (1, Some(5)),
                "{suite} {dir:?}"
            );
            assert_eq!(state.highest_index, Some((1 << 16) | 5));
        }
    }
}

#[test]
fn late_packets_from_before_the_wrap_keep_the_old_roc() {
    let (mut tx, mut rx) = pair(SrtpSuite::AesCm256HmacSha1_80);
    let sent: Vec<(u16, Vec<u8>)> = seqs_across_wrap()
        .into_iter()
        .map(|s| (s, protect(&mut tx, Kind::Rtp, &rtp(s, SSRC, b"audio"))))
        .collect();
    // 65530 and 65531 set the receiver's highest sequence number; then everything after
    // the wrap arrives, then the rest from before it.
    let order = [0usize, 1, 6, 7, 8, 9, 10, 11, 2, 3, 4, 5];
    for &i in &order {
        assert!(
            unprotect(&mut rx, Kind::Rtp, &sent[i].1).is_ok(),
            "seq {}",
            sent[i].0
        );
    }
    let state = rx.stream_state(StreamDirection::Inbound, SSRC).unwrap();
    assert_eq!((state.roc, state.highest_sequence), (1, Some(5)));
    for (_, p) in &sent {
        assert_eq!(unprotect(&mut rx, Kind::Rtp, p), Err(SrtpError::Replayed));
    }
}

#[test]
fn sender_resending_an_old_sequence_after_wrap_uses_the_old_roc() {
    let (mut tx, mut rx) = pair(SrtpSuite::AesCm128HmacSha1_80);
    for seq in [65534u16, 65535, 0, 1] {
        let p = protect(&mut tx, Kind::Rtp, &rtp(seq, SSRC, b"x"));
        unprotect(&mut rx, Kind::Rtp, &p).unwrap();
    }
    // A packet with sequence 65533 protected now belongs to ROC 0 (the receiver agrees).
    let p = protect(&mut tx, Kind::Rtp, &rtp(65533, SSRC, b"late"));
    assert_eq!(
        unprotect(&mut rx, Kind::Rtp, &p).unwrap(),
        rtp(65533, SSRC, b"late")
    );
    assert_eq!(
        tx.stream_state(StreamDirection::Outbound, SSRC)
            .unwrap()
            .roc,
        1
    );
}

#[test]
fn reordering_around_the_wrap_inside_one_batch() {
    let (mut tx, mut rx) = pair(SrtpSuite::AeadAes256Gcm);
    let sent: Vec<Vec<u8>> = seqs_across_wrap()
        .into_iter()
        .map(|s| protect(&mut tx, Kind::Rtp, &rtp(s, SSRC, &[1; 10])))
        .collect();
    let order = [0usize, 1, 2, 6, 3, 7, 4, 5, 8, 10, 9, 11];
    let mut storage: Vec<Vec<u8>> = order.iter().map(|&i| sent[i].clone()).collect();
    let mut batch: Vec<PacketBuf<'_>> = storage
        .iter_mut()
        .map(|s| {
            let len = s.len();
            PacketBuf::new(s, len)
        })
        .collect();
    let mut results = vec![Ok(0); batch.len()];
    rx.unprotect_batch(&mut batch, &mut results);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(
        rx.stream_state(StreamDirection::Inbound, SSRC).unwrap().roc,
        1
    );
}

#[test]
fn receiver_told_the_roc_joins_a_running_stream() {
    let (mut tx, mut rx) = pair(SrtpSuite::AesCm128HmacSha1_80);
    tx.set_roc(StreamDirection::Outbound, SSRC, 7).unwrap();
    let p = protect(&mut tx, Kind::Rtp, &rtp(300, SSRC, b"mid-call"));
    assert_eq!(
        unprotect(&mut rx, Kind::Rtp, &p),
        Err(SrtpError::AuthenticationFailed)
    );
    assert_eq!(
        rx.stream_count(StreamDirection::Inbound),
        0,
        "no stream from a failed packet"
    );
    rx.set_roc(StreamDirection::Inbound, SSRC, 7).unwrap();
    assert!(unprotect(&mut rx, Kind::Rtp, &p).is_ok());
}

#[test]
fn forged_packet_with_a_far_sequence_number_cannot_derail_its_batch() {
    let (mut tx, mut rx) = pair(SrtpSuite::AesCm128HmacSha1_80);
    // Establish the stream near the top of the sequence space.
    let first = protect(&mut tx, Kind::Rtp, &rtp(65000, SSRC, b"start"));
    unprotect(&mut rx, Kind::Rtp, &first).unwrap();
    let genuine: Vec<Vec<u8>> = (65001..65010)
        .map(|s| protect(&mut tx, Kind::Rtp, &rtp(s, SSRC, b"voice")))
        .collect();
    // A forgery claiming a sequence number just past the wrap would, if trusted, move the
    // guessed ROC for the packets behind it.
    let mut forged = rtp(10, SSRC, b"forged!!");
    forged.extend_from_slice(&[0; 10]);
    let mut inputs = vec![genuine[0].clone(), forged];
    inputs.extend(genuine[1..].iter().cloned());
    let mut storage = inputs.clone();
    let mut batch: Vec<PacketBuf<'_>> = storage
        .iter_mut()
        .map(|s| {
            let len = s.len();
            PacketBuf::new(s, len)
        })
        .collect();
    let mut results = vec![Ok(0); batch.len()];
    rx.unprotect_batch(&mut batch, &mut results);
    assert_eq!(results[1], Err(SrtpError::AuthenticationFailed));
    for (i, r) in results.iter().enumerate().filter(|(i, _)| *i != 1) {
        assert!(r.is_ok(), "genuine packet {i}: {r:?}");
    }
    let state = rx.stream_state(StreamDirection::Inbound, SSRC).unwrap();
    assert_eq!((state.roc, state.highest_sequence), (0, Some(65009)));
}
