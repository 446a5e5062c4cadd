//! Session behaviour around the batch API: a batch gives the same bytes as single calls,
//! per-packet errors stay per packet, headroom and direction errors, MKI checks, key
//! lifetime limits, non-zero key-derivation rate, re-keying, and conference SSRC claims.

mod srtp_common;

use medianode_dataplane::srtp::{
    ConferenceKey, KeyDerivationRate, KeyStatus, Mki, PacketBuf, SrtpConfigError, SrtpError,
    SrtpPolicy, SrtpSession, SrtpSuite, StreamDirection, ALL_SUITES,
};
use srtp_common::{key, protect, rtcp, rtp, unprotect, Kind};

fn batch_protect(
    session: &mut SrtpSession,
    packets: &[Vec<u8>],
) -> Vec<Result<Vec<u8>, SrtpError>> {
    let mut storage: Vec<Vec<u8>> = packets.iter().map(|p| srtp_common::storage(p)).collect();
    let mut bufs: Vec<PacketBuf<'_>> = storage
        .iter_mut()
        .zip(packets)
        .map(|(s, p)| PacketBuf::new(s, p.len()))
        .collect();
    let mut results = vec![Ok(0); bufs.len()];
    assert_eq!(
        session.protect_batch(&mut bufs, &mut results),
        packets.len()
    );
    drop(bufs);
    results
        .into_iter()
        .zip(storage)
        .map(|(r, s)| r.map(|len| s[..len].to_vec()))
        .collect()
}

#[test]
fn batch_equals_single_packet_calls_for_every_suite_and_size() {
    for suite in ALL_SUITES {
        let packets: Vec<Vec<u8>> = (0..100u16)
            .map(|i| {
                rtp(
                    i,
                    0x100 + u32::from(i % 3),
                    &vec![i as u8; (i as usize * 37) % 1400],
                )
            })
            .collect();
        let mut batched = SrtpSession::sender(SrtpPolicy::new(key(suite, 1)));
        let mut single = SrtpSession::sender(SrtpPolicy::new(key(suite, 1)));
        let mut receiver = SrtpSession::receiver(SrtpPolicy::new(key(suite, 1)));
        for (p, out) in packets.iter().zip(batch_protect(&mut batched, &packets)) {
            let out = out.unwrap();
            assert_eq!(out, protect(&mut single, Kind::Rtp, p), "{suite}");
            assert_eq!(out.len(), p.len() + suite.rtp_overhead(0));
            assert_eq!(unprotect(&mut receiver, Kind::Rtp, &out).unwrap(), *p);
        }
        assert_eq!(receiver.stream_count(StreamDirection::Inbound), 3);
    }
}

#[test]
fn large_packets_and_large_batches_cross_chunk_boundaries() {
    let suite = SrtpSuite::AeadAes128Gcm;
    let packets: Vec<Vec<u8>> = (0..300u16)
        .map(|i| {
            rtp(
                i,
                9,
                &vec![(i % 251) as u8; if i % 50 == 0 { 60_000 } else { 1200 }],
            )
        })
        .collect();
    let mut tx = SrtpSession::sender(SrtpPolicy::new(key(suite, 2)));
    let mut rx = SrtpSession::receiver(SrtpPolicy::new(key(suite, 2)));
    for (p, out) in packets.iter().zip(batch_protect(&mut tx, &packets)) {
        assert_eq!(unprotect(&mut rx, Kind::Rtp, &out.unwrap()).unwrap(), *p);
    }
}

#[test]
fn errors_stay_with_their_packet() {
    let suite = SrtpSuite::AesCm128HmacSha1_80;
    let mut tx = SrtpSession::sender(SrtpPolicy::new(key(suite, 4)));
    let good = rtp(1, 5, b"ok");
    let packets = vec![
        good.clone(),
        vec![0x80, 0, 0],
        vec![0x40; 20],
        rtp(2, 5, b"ok too"),
    ];
    let results = batch_protect(&mut tx, &packets);
    assert!(results[0].is_ok() && results[3].is_ok());
    assert_eq!(results[1], Err(SrtpError::PacketTooShort));
    assert_eq!(results[2], Err(SrtpError::MalformedHeader));
}

#[test]
fn headroom_length_and_direction_errors() {
    let suite = SrtpSuite::AeadAes128Gcm;
    let mut tx = SrtpSession::sender(SrtpPolicy::new(key(suite, 4)));
    let p = rtp(1, 5, &[0; 20]);
    let mut tight = p.clone();
    tight.resize(p.len() + 15, 0);
    assert_eq!(
        tx.protect(&mut PacketBuf::new(&mut tight, p.len())),
        Err(SrtpError::InsufficientCapacity {
            needed: p.len() + 16
        })
    );
    let mut short = p.clone();
    assert_eq!(
        tx.protect(&mut PacketBuf::new(&mut short, p.len() + 1)),
        Err(SrtpError::LengthExceedsBuffer)
    );
    assert_eq!(
        tx.unprotect(&mut PacketBuf::new(&mut short, p.len())),
        Err(SrtpError::DirectionNotConfigured)
    );
}

#[test]
fn mki_is_written_and_checked() {
    let suite = SrtpSuite::AesCm128HmacSha1_32;
    let k = key(suite, 6).with_mki(Mki::from_value(0x0102, 2).unwrap());
    let other = key(suite, 6).with_mki(Mki::from_value(0x0103, 2).unwrap());
    let mut tx = SrtpSession::sender(SrtpPolicy::new(k.clone()));
    let mut rx_other = SrtpSession::receiver(SrtpPolicy::new(other));
    let mut rx = SrtpSession::receiver(SrtpPolicy::new(k));
    let p = rtp(3, 7, b"payload");
    let out = protect(&mut tx, Kind::Rtp, &p);
    assert_eq!(
        &out[p.len()..p.len() + 2],
        &[1, 2],
        "MKI sits between payload and tag"
    );
    assert_eq!(out.len(), p.len() + 2 + 4);
    assert_eq!(
        unprotect(&mut rx_other, Kind::Rtp, &out),
        Err(SrtpError::MkiMismatch)
    );
    assert_eq!(unprotect(&mut rx, Kind::Rtp, &out).unwrap(), p);
    let c = protect(&mut tx, Kind::Rtcp, &rtcp(7, 1));
    assert_eq!(
        unprotect(&mut rx_other, Kind::Rtcp, &c),
        Err(SrtpError::MkiMismatch)
    );
    assert_eq!(unprotect(&mut rx, Kind::Rtcp, &c).unwrap(), rtcp(7, 1));
}

#[test]
fn key_lifetime_raises_a_rekey_condition_instead_of_wrapping() {
    let suite = SrtpSuite::AesCm128HmacSha1_80;
    let policy = SrtpPolicy::new(key(suite, 8))
        .with_key_lifetime(40)
        .unwrap();
    let mut tx = SrtpSession::sender(policy.clone());
    let mut rx = SrtpSession::receiver(policy);
    let mut sent = Vec::new();
    for seq in 0..40 {
        sent.push(protect(&mut tx, Kind::Rtp, &rtp(seq, 1, b"a")));
    }
    assert_eq!(
        tx.key_status(StreamDirection::Outbound),
        Some(KeyStatus::Exhausted)
    );
    let mut s = srtp_common::storage(&rtp(40, 1, b"a"));
    assert_eq!(
        tx.protect(&mut PacketBuf::new(&mut s, 13)),
        Err(SrtpError::KeyLifetimeExhausted)
    );
    for (i, p) in sent.iter().enumerate() {
        unprotect(&mut rx, Kind::Rtp, p).unwrap();
        if i == 37 {
            assert_eq!(
                rx.key_status(StreamDirection::Inbound),
                Some(KeyStatus::RekeySoon)
            );
        }
    }
    // A new key resets the count and keeps the stream's index.
    tx.rekey(StreamDirection::Outbound, SrtpPolicy::new(key(suite, 9)));
    rx.rekey(StreamDirection::Inbound, SrtpPolicy::new(key(suite, 9)));
    assert_eq!(
        tx.key_status(StreamDirection::Outbound),
        Some(KeyStatus::Usable)
    );
    let p = protect(&mut tx, Kind::Rtp, &rtp(40, 1, b"b"));
    assert_eq!(unprotect(&mut rx, Kind::Rtp, &p).unwrap(), rtp(40, 1, b"b"));
    assert_eq!(
        unprotect(&mut rx, Kind::Rtp, &sent[39]),
        Err(SrtpError::Replayed)
    );
    assert!(SrtpPolicy::new(key(suite, 8))
        .with_key_lifetime((1 << 48) + 1)
        .is_err());
}

#[test]
fn srtcp_index_refuses_to_wrap() {
    let mut tx = SrtpSession::sender(SrtpPolicy::new(key(SrtpSuite::AeadAes128Gcm, 1)));
    tx.set_next_srtcp_index(3, (1 << 31) - 1).unwrap();
    protect(&mut tx, Kind::Rtcp, &rtcp(3, 0));
    let mut s = srtp_common::storage(&rtcp(3, 0));
    assert_eq!(
        tx.protect_rtcp(&mut PacketBuf::new(&mut s, 32)),
        Err(SrtpError::SrtcpIndexExhausted)
    );
}

#[test]
fn non_zero_key_derivation_rate_round_trips_across_periods() {
    for suite in [SrtpSuite::AesCm128HmacSha1_80, SrtpSuite::AeadAes256Gcm] {
        let kdr = KeyDerivationRate::from_rate(4).unwrap();
        let policy = SrtpPolicy::new(key(suite, 3)).with_key_derivation_rate(kdr);
        let plain_policy = SrtpPolicy::new(key(suite, 3));
        let mut tx = SrtpSession::sender(policy.clone());
        let mut rx = SrtpSession::receiver(policy);
        let mut tx0 = SrtpSession::sender(plain_policy);
        let packets: Vec<Vec<u8>> = (0..20).map(|i| rtp(i, 77, &[i as u8; 50])).collect();
        let out = batch_protect(&mut tx, &packets);
        for (i, (p, o)) in packets.iter().zip(out).enumerate() {
            let o = o.unwrap();
            let same_as_rate_zero = o == protect(&mut tx0, Kind::Rtp, p);
            // Indices 0..3 have r = 0, which equals rate 0's keys; later periods differ.
            assert_eq!(same_as_rate_zero, i < 4, "{suite} packet {i}");
            assert_eq!(unprotect(&mut rx, Kind::Rtp, &o).unwrap(), *p);
        }
        for i in 0..10u8 {
            let c = protect(&mut tx, Kind::Rtcp, &rtcp(77, i));
            assert_eq!(unprotect(&mut rx, Kind::Rtcp, &c).unwrap(), rtcp(77, i));
        }
    }
}

#[test]
fn conference_key_refuses_a_second_sender_on_an_ssrc() {
    let suite = SrtpSuite::AeadAes128Gcm;
    let mut conf = ConferenceKey::new(SrtpPolicy::new(key(suite, 11)));
    let alice = conf.claim_ssrc(0xA11CE).unwrap();
    assert_eq!(
        conf.claim_ssrc(0xA11CE),
        Err(SrtpConfigError::SsrcAlreadyUsed(0xA11CE))
    );
    let bob = conf.claim_unused_ssrc([0xA11CE, 0xB0B]).unwrap();
    assert_eq!(bob.ssrc(), 0xB0B);

    let mut alice_tx = conf.sender_session([alice]).unwrap();
    let mut mixer = conf.receiver_session();
    let p = protect(&mut alice_tx, Kind::Rtp, &rtp(1, 0xA11CE, b"hi"));
    assert_eq!(
        unprotect(&mut mixer, Kind::Rtp, &p).unwrap(),
        rtp(1, 0xA11CE, b"hi")
    );
    // Alice's session cannot send as Bob, or as anyone unclaimed.
    let mut s = srtp_common::storage(&rtp(1, 0xB0B, b"x"));
    assert_eq!(
        alice_tx.protect(&mut PacketBuf::new(&mut s, 13)),
        Err(SrtpError::UnknownSenderSsrc(0xB0B))
    );

    // Claims do not survive a re-key, and old sessions refuse new claims.
    conf.rekey(SrtpPolicy::new(key(suite, 12)));
    assert!(!conf.is_used(0xA11CE));
    let fresh = conf.claim_ssrc(0xB0B).unwrap();
    assert_eq!(
        alice_tx.add_sender(fresh),
        Err(SrtpConfigError::ForeignClaim(0xB0B))
    );
    let _ = bob;
}

#[test]
fn debug_output_of_a_session_has_no_key_material() {
    let k = medianode_dataplane::srtp::MasterKey::from_key_salt(
        SrtpSuite::AesCm128HmacSha1_80,
        &[0x7E; 30],
    )
    .unwrap();
    let s = SrtpSession::new(Some(SrtpPolicy::new(k.clone())), Some(SrtpPolicy::new(k)));
    let text = format!(
        "{s:?} {:?}",
        SrtpPolicy::new(key(SrtpSuite::AeadAes128Gcm, 0x7E))
    );
    assert!(
        !text.contains("7e") && !text.contains("7E") && !text.contains("126"),
        "{text}"
    );
}
