//! Flipping any single bit of a protected packet (header, payload, E/index word, MKI or
//! tag) makes unprotect fail, for every authenticating suite, SRTP and SRTCP, with and
//! without MKI; and the failed attempt leaves the receiver able to accept the real packet.

mod srtp_common;

use medianode_dataplane::srtp::{Mki, SrtpPolicy, SrtpSession, SrtpSuite, ALL_SUITES};
use proptest::prelude::*;
use srtp_common::{key, protect, rtcp, rtp, unprotect, Kind};

fn authenticating_suites() -> Vec<SrtpSuite> {
    ALL_SUITES
        .into_iter()
        .filter(|s| s.authenticates())
        .collect()
}

fn sessions(suite: SrtpSuite, with_mki: bool) -> (SrtpSession, SrtpSession) {
    let mut k = key(suite, 3);
    if with_mki {
        k = k.with_mki(Mki::new(&[0xA5, 0x5A, 0x01]).unwrap());
    }
    (
        SrtpSession::sender(SrtpPolicy::new(k.clone())),
        SrtpSession::receiver(SrtpPolicy::new(k)),
    )
}

/// Every bit of one protected packet, flipped one at a time, against one receiver.
fn every_bit_fails(suite: SrtpSuite, kind: Kind, with_mki: bool, plain: &[u8]) {
    let (mut sender, mut receiver) = sessions(suite, with_mki);
    let protected = protect(&mut sender, kind, plain);
    for bit in 0..protected.len() * 8 {
        let mut forged = protected.clone();
        forged[bit / 8] ^= 1 << (bit % 8);
        assert!(
            unprotect(&mut receiver, kind, &forged).is_err(),
            "{suite} {kind:?} mki={with_mki}: flipping bit {bit} was accepted"
        );
    }
    assert_eq!(unprotect(&mut receiver, kind, &protected).unwrap(), plain);
}

#[test]
fn every_single_bit_flip_is_rejected_for_every_suite() {
    let payload: Vec<u8> = (0..40).collect();
    for suite in authenticating_suites() {
        for with_mki in [false, true] {
            every_bit_fails(
                suite,
                Kind::Rtp,
                with_mki,
                &rtp(4711, 0x1234_5678, &payload),
            );
            every_bit_fails(suite, Kind::Rtcp, with_mki, &rtcp(0x1234_5678, 0x3C));
        }
    }
}

#[test]
fn header_extension_and_csrc_bits_are_covered_too() {
    // X=1, CC=1: a CSRC and a one-byte-form extension in the clear header.
    let mut p = vec![0x91, 0x60, 0x00, 0x07, 0, 0, 0, 1, 0xCA, 0xFE, 0xBA, 0xBE];
    p.extend_from_slice(&[
        0xDE, 0xAD, 0xBE, 0xEF, 0xBE, 0xDE, 0x00, 0x01, 0x10, 0x7F, 0, 0,
    ]);
    p.extend_from_slice(&[9; 20]);
    for suite in authenticating_suites() {
        every_bit_fails(suite, Kind::Rtp, false, &p);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn random_packet_random_bit(
        suite in proptest::sample::select(authenticating_suites()),
        payload in proptest::collection::vec(any::<u8>(), 0..300),
        seq in any::<u16>(),
        ssrc in any::<u32>(),
        bit in any::<proptest::sample::Index>(),
        is_rtcp in any::<bool>(),
        with_mki in any::<bool>(),
    ) {
        let (mut sender, mut receiver) = sessions(suite, with_mki);
        let (kind, plain) = if is_rtcp {
            let mut p = rtcp(ssrc, 0);
            p.extend_from_slice(&payload[..payload.len() / 4 * 4]);
            let words = (p.len() / 4 - 1) as u16;
            p[2..4].copy_from_slice(&words.to_be_bytes());
            (Kind::Rtcp, p)
        } else {
            (Kind::Rtp, rtp(seq, ssrc, &payload))
        };
        let protected = protect(&mut sender, kind, &plain);
        let mut forged = protected.clone();
        let bit = bit.index(forged.len() * 8);
        forged[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(unprotect(&mut receiver, kind, &forged).is_err());
        prop_assert_eq!(unprotect(&mut receiver, kind, &protected).unwrap(), plain);
    }
}
