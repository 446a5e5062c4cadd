//! The crypto pass end to end: both implementations of AES-CTR and GHASH give the same
//! packets, and a batch with forged and unparsable packets mixed in (across several groups)
//! transforms exactly the good ones and leaves every forged one as it arrived.

use proptest::prelude::*;

use super::super::crypto_path::{CryptoPaths, Implementation};
use super::super::session_keys::SessionKeys;
use super::super::{
    MasterKey, PacketBuf, SrtpError, SrtpPolicy, SrtpSession, SrtpSuite, StreamDirection,
    ALL_SUITES, MAX_OVERHEAD,
};

/// Suites whose AES-CTR or GHASH has two implementations.
const KERNEL_SUITES: [SrtpSuite; 6] = [
    SrtpSuite::AesCm128HmacSha1_80,
    SrtpSuite::AesCm192HmacSha1_32,
    SrtpSuite::AesCm256HmacSha1_80,
    SrtpSuite::AeadAes128Gcm,
    SrtpSuite::AeadAes256Gcm,
    SrtpSuite::NullHmacSha1_80,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Rtp,
    Rtcp,
}

/// RTP packet `seq` of SSRC 0x0102_0304 with a payload of `len` bytes, or an RTCP sender
/// report of the same total size.
fn plain_packet(kind: Kind, seq: u16, len: usize) -> Vec<u8> {
    let mut packet = match kind {
        Kind::Rtp => vec![0x80, 96, 0, 0, 0, 0, 0, 160, 1, 2, 3, 4],
        Kind::Rtcp => vec![0x80, 200, 0, 6, 1, 2, 3, 4],
    };
    if kind == Kind::Rtp {
        packet[2..4].copy_from_slice(&seq.to_be_bytes());
    }
    packet.extend((0..len).map(|i| (i as u8) ^ (seq as u8)));
    packet
}

/// Runs one batch; returns each packet's bytes (its whole storage) and result.
fn run_batch(
    session: &mut SrtpSession,
    kind: Kind,
    protect: bool,
    packets: &[Vec<u8>],
) -> Vec<(Vec<u8>, Result<usize, SrtpError>)> {
    let mut storage: Vec<Vec<u8>> = packets
        .iter()
        .map(|p| {
            let mut s = p.clone();
            s.resize(p.len() + MAX_OVERHEAD, 0);
            s
        })
        .collect();
    let mut bufs: Vec<PacketBuf<'_>> = storage
        .iter_mut()
        .zip(packets)
        .map(|(s, p)| PacketBuf::new(s, p.len()))
        .collect();
    let mut results = vec![Ok(0); bufs.len()];
    match (kind, protect) {
        (Kind::Rtp, true) => session.protect_batch(&mut bufs, &mut results),
        (Kind::Rtp, false) => session.unprotect_batch(&mut bufs, &mut results),
        (Kind::Rtcp, true) => session.protect_rtcp_batch(&mut bufs, &mut results),
        (Kind::Rtcp, false) => session.unprotect_rtcp_batch(&mut bufs, &mut results),
    };
    drop(bufs);
    storage.into_iter().zip(results).collect()
}

fn protected_bytes(out: &[(Vec<u8>, Result<usize, SrtpError>)]) -> Vec<Vec<u8>> {
    out.iter()
        .map(|(s, r)| s[..*r.as_ref().expect("protect")].to_vec())
        .collect()
}

/// Sender and receiver whose session keys are built on `implementation`.
fn sessions_on(
    suite: SrtpSuite,
    implementation: Implementation,
    seed: u8,
) -> (SrtpSession, SrtpSession) {
    let bytes = |n: usize, tweak: u8| -> Vec<u8> {
        (0..n)
            .map(|i| (i as u8).wrapping_mul(31) ^ seed ^ tweak)
            .collect()
    };
    let (enc, salt, auth) = (bytes(suite.master_key_len(), 1), bytes(14, 2), bytes(20, 3));
    let keys = || {
        let paths = CryptoPaths::all(implementation);
        SessionKeys::build(suite, &enc, &salt[..suite.master_salt_len()], &auth, paths)
    };
    let master = MasterKey::from_key_salt(suite, &vec![0; suite.key_salt_len()]).unwrap();
    let mut sender = SrtpSession::sender(SrtpPolicy::new(master.clone()));
    sender.set_session_keys(StreamDirection::Outbound, keys(), keys());
    let mut receiver = SrtpSession::receiver(SrtpPolicy::new(master));
    receiver.set_session_keys(StreamDirection::Inbound, keys(), keys());
    (sender, receiver)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The kernels and the RustCrypto fallback protect every packet of a batch to the same
    /// bytes, and each side unprotects what the other protected.
    #[test]
    fn simd_and_crate_paths_give_the_same_packets(
        suite in prop::sample::select(KERNEL_SUITES.to_vec()),
        rtcp in any::<bool>(),
        seed in any::<u8>(),
        lens in prop::collection::vec(0usize..400, 1..40),
    ) {
        let kind = if rtcp { Kind::Rtcp } else { Kind::Rtp };
        let plain: Vec<Vec<u8>> = lens
            .iter()
            .enumerate()
            .map(|(i, &len)| plain_packet(kind, i as u16 + 1, len))
            .collect();
        let (mut simd_tx, mut simd_rx) = sessions_on(suite, Implementation::Simd, seed);
        let (mut crate_tx, mut crate_rx) = sessions_on(suite, Implementation::RustCrypto, seed);
        let by_simd = protected_bytes(&run_batch(&mut simd_tx, kind, true, &plain));
        let by_crate = protected_bytes(&run_batch(&mut crate_tx, kind, true, &plain));
        prop_assert_eq!(&by_simd, &by_crate);
        for (receiver, protected) in [(&mut crate_rx, &by_simd), (&mut simd_rx, &by_crate)] {
            for ((storage, result), plain) in run_batch(receiver, kind, false, protected).iter().zip(&plain) {
                prop_assert_eq!(result, &Ok(plain.len()));
                prop_assert_eq!(&storage[..plain.len()], &plain[..]);
            }
        }
    }

    /// Forged packets (one bit flipped anywhere) and unparsable ones, mixed into a batch
    /// that spans several groups: each forged one fails and keeps its bytes, each unparsable
    /// one fails, every other packet comes back as it was sent.
    #[test]
    fn forged_packets_fail_untouched_among_good_ones(
        suite in prop::sample::select(
            ALL_SUITES.iter().copied().filter(|s| s.authenticates()).collect::<Vec<_>>()
        ),
        rtcp in any::<bool>(),
        packets in prop::collection::vec((0usize..300, 0u8..8, any::<prop::sample::Index>()), 1..48),
    ) {
        let kind = if rtcp { Kind::Rtcp } else { Kind::Rtp };
        let master = MasterKey::from_key_salt(suite, &vec![0x5a; suite.key_salt_len()]).unwrap();
        let mut sender = SrtpSession::sender(SrtpPolicy::new(master.clone()));
        let mut receiver = SrtpSession::receiver(SrtpPolicy::new(master));
        let plain: Vec<Vec<u8>> = packets
            .iter()
            .enumerate()
            .map(|(i, &(len, _, _))| plain_packet(kind, i as u16 + 1, len))
            .collect();
        let mut received = protected_bytes(&run_batch(&mut sender, kind, true, &plain));
        // 0: forged (a bit flipped), 1: cut to 3 bytes, otherwise untouched.
        for (packet, &(_, fate, at)) in received.iter_mut().zip(&packets) {
            match fate {
                0 => {
                    let bit = at.index(packet.len() * 8);
                    packet[bit / 8] ^= 1 << (bit % 8);
                }
                1 => packet.truncate(3),
                _ => {}
            }
        }
        let out = run_batch(&mut receiver, kind, false, &received);
        for ((((storage, result), sent), plain), &(_, fate, _)) in
            out.iter().zip(&received).zip(&plain).zip(&packets)
        {
            match fate {
                0 => {
                    prop_assert!(result.is_err());
                    prop_assert_eq!(&storage[..sent.len()], &sent[..], "forged packet changed");
                }
                1 => prop_assert!(result.is_err()),
                _ => {
                    prop_assert_eq!(result, &Ok(plain.len()));
                    prop_assert_eq!(&storage[..plain.len()], &plain[..]);
                }
            }
        }
    }
}
