//! Replay protection: a replayed packet is rejected, a packet reordered within the window
//! is accepted exactly once, one older than the window is rejected; for SRTP and SRTCP,
//! the default 128-packet window and a configured 1024-packet one, and duplicates inside
//! one batch.

mod srtp_common;

use medianode_dataplane::srtp::{
    PacketBuf, SrtpError, SrtpPolicy, SrtpSession, SrtpSuite, DEFAULT_REPLAY_WINDOW,
};
use srtp_common::{key, protect, rtcp, rtp, unprotect, Kind};

const SSRC: u32 = 0xDEC0_DE01;

fn pair(suite: SrtpSuite, window: usize) -> (SrtpSession, SrtpSession) {
    let k = key(suite, 9);
    let policy = SrtpPolicy::new(k).with_replay_window(window).unwrap();
    (
        SrtpSession::sender(policy.clone()),
        SrtpSession::receiver(policy),
    )
}

#[test]
fn replayed_packet_is_rejected() {
    for suite in [SrtpSuite::AesCm128HmacSha1_80, SrtpSuite::AeadAes128Gcm] {
        let (mut tx, mut rx) = pair(suite, DEFAULT_REPLAY_WINDOW);
        let p = protect(&mut tx, Kind::Rtp, &rtp(100, SSRC, b"hello"));
        assert!(unprotect(&mut rx, Kind::Rtp, &p).is_ok());
        assert_eq!(unprotect(&mut rx, Kind::Rtp, &p), Err(SrtpError::Replayed));
        let c = protect(&mut tx, Kind::Rtcp, &rtcp(SSRC, 1));
        assert!(unprotect(&mut rx, Kind::Rtcp, &c).is_ok());
        assert_eq!(unprotect(&mut rx, Kind::Rtcp, &c), Err(SrtpError::Replayed));
    }
}

/// Sends `count` packets from `first`; delivers the newest first, then the rest newest to
/// oldest: packets within the window are accepted once, older ones are rejected.
fn reorder_against_window(window: usize) {
    let (mut tx, mut rx) = pair(SrtpSuite::AesCm128HmacSha1_80, window);
    let first = 1000u16;
    let count = window + 10;
    let sent: Vec<Vec<u8>> = (0..count)
        .map(|i| {
            protect(
                &mut tx,
                Kind::Rtp,
                &rtp(first + i as u16, SSRC, &[i as u8; 20]),
            )
        })
        .collect();
    let newest = count - 1;
    assert!(unprotect(&mut rx, Kind::Rtp, &sent[newest]).is_ok());
    for i in (0..newest).rev() {
        let age = newest - i;
        let result = unprotect(&mut rx, Kind::Rtp, &sent[i]);
        if age < window {
            assert!(
                result.is_ok(),
                "window {window}: age {age} must be accepted"
            );
            assert_eq!(
                unprotect(&mut rx, Kind::Rtp, &sent[i]),
                Err(SrtpError::Replayed),
                "accepted only once"
            );
        } else {
            assert_eq!(result, Err(SrtpError::TooOld), "window {window}: age {age}");
        }
    }
}

#[test]
fn reordered_within_default_window_accepted_once_older_rejected() {
    reorder_against_window(DEFAULT_REPLAY_WINDOW);
}

#[test]
fn configured_windows_of_64_and_1024_packets() {
    reorder_against_window(64);
    reorder_against_window(1024);
    let k = key(SrtpSuite::AesCm128HmacSha1_80, 1);
    assert!(SrtpPolicy::new(k.clone()).with_replay_window(1025).is_err());
    assert!(SrtpPolicy::new(k).with_replay_window(63).is_err());
}

#[test]
fn srtcp_reordering_and_age() {
    let (mut tx, mut rx) = pair(SrtpSuite::AeadAes256Gcm, 64);
    let sent: Vec<Vec<u8>> = (0..70)
        .map(|i| protect(&mut tx, Kind::Rtcp, &rtcp(SSRC, i)))
        .collect();
    assert!(unprotect(&mut rx, Kind::Rtcp, &sent[69]).is_ok());
    assert!(unprotect(&mut rx, Kind::Rtcp, &sent[6]).is_ok());
    assert_eq!(
        unprotect(&mut rx, Kind::Rtcp, &sent[6]),
        Err(SrtpError::Replayed)
    );
    assert_eq!(
        unprotect(&mut rx, Kind::Rtcp, &sent[5]),
        Err(SrtpError::TooOld)
    );
}

#[test]
fn duplicate_inside_one_batch_is_accepted_once() {
    let (mut tx, mut rx) = pair(SrtpSuite::AeadAes128Gcm, 128);
    let a = protect(&mut tx, Kind::Rtp, &rtp(7, SSRC, b"first"));
    let b = protect(&mut tx, Kind::Rtp, &rtp(8, SSRC, b"second"));
    let inputs = [a.clone(), b, a];
    let mut storage: Vec<Vec<u8>> = inputs.to_vec();
    let mut batch: Vec<PacketBuf<'_>> = storage
        .iter_mut()
        .map(|s| {
            let len = s.len();
            PacketBuf::new(s, len)
        })
        .collect();
    let mut results = [Ok(0); 3];
    assert_eq!(rx.unprotect_batch(&mut batch, &mut results), 3);
    assert!(results[0].is_ok() && results[1].is_ok());
    assert_eq!(results[2], Err(SrtpError::Replayed));
}

#[test]
fn sender_refuses_to_reuse_an_index() {
    let (mut tx, _) = pair(SrtpSuite::AesCm128HmacSha1_80, 128);
    protect(&mut tx, Kind::Rtp, &rtp(5, SSRC, b"x"));
    let mut s = srtp_common::storage(&rtp(5, SSRC, b"y"));
    let mut buf = PacketBuf::new(&mut s, 13);
    assert_eq!(tx.protect(&mut buf), Err(SrtpError::Replayed));
}
