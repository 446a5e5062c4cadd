//! Interop with libsrtp2, the reference implementation (the system library, through
//! `libsrtp2-peer`): for every suite both implement, random RTP and RTCP streams are
//! protected by both sides and must come out byte for byte the same (SRTP is deterministic
//! for a given key and packet index); then libsrtp2 unprotects what we protected, and we
//! unprotect what libsrtp2 protected, back to the original bytes.
//!
//! Streams start within 30 packets of sequence number 65535 and run 32 to 48 packets, so every
//! stream wraps and the rollover counter reaches 1 on both sides. RTP headers carry random
//! CSRC lists and header extensions; payloads are 0 to 1400 bytes. Our side works in batches
//! of random size through `protect_batch`/`unprotect_batch` and their RTCP twins.
//!
//! Not covered: AES-192. libsrtp2 up to 2.5 (Debian's) derives AES-192 session keys with the
//! AES-256 KDF (cisco/libsrtp#763), so it does not interoperate with RFC 6188 there; the
//! binding's own tests pin that.

use libsrtp2_peer::{Direction, Libsrtp2Session, SessionConfig, Suite};
use medianode_dataplane::srtp::{
    MasterKey, PacketBuf, SrtpError, SrtpPolicy, SrtpSession, SrtpSuite, StreamDirection,
    MAX_OVERHEAD,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// One random RTP packet before the sequence number and SSRC are filled in.
#[derive(Debug, Clone)]
struct RtpSpec {
    marker: bool,
    payload_type: u8,
    timestamp: u32,
    csrcs: Vec<u32>,
    /// Header extension: profile and data (whole 32-bit words).
    extension: Option<(u16, Vec<u8>)>,
    payload: Vec<u8>,
}

/// One random stream and how our side batches it.
#[derive(Debug, Clone)]
struct StreamCase {
    key_salt: Vec<u8>,
    ssrc: u32,
    first_seq: u16,
    rtp: Vec<RtpSpec>,
    /// RTCP bodies after the 8-byte header (whole words).
    rtcp: Vec<Vec<u8>>,
    batch_sizes: Vec<usize>,
}

fn rtp_spec() -> impl Strategy<Value = RtpSpec> {
    (
        any::<bool>(),
        0u8..128,
        any::<u32>(),
        proptest::collection::vec(any::<u32>(), 0..=3),
        proptest::option::of((any::<u16>(), proptest::collection::vec(any::<u8>(), 0..=3))),
        proptest::collection::vec(any::<u8>(), 0..=1400),
    )
        .prop_map(
            |(marker, payload_type, timestamp, csrcs, extension, payload)| RtpSpec {
                marker,
                payload_type,
                timestamp,
                csrcs,
                // Words of extension data: each random byte stands for one word.
                extension: extension.map(|(profile, words)| {
                    let data = words.iter().flat_map(|b| [*b, b ^ 0x5a, 0, 1]).collect();
                    (profile, data)
                }),
                payload,
            },
        )
}

fn stream_case() -> impl Strategy<Value = StreamCase> {
    (
        proptest::collection::vec(any::<u8>(), 46),
        any::<u32>(),
        0u16..30,
        proptest::collection::vec(rtp_spec(), 32..=48),
        proptest::collection::vec(
            (0usize..=348).prop_map(|words| (0..words * 4).map(|i| (i * 13 + 7) as u8).collect()),
            1..=8,
        ),
        proptest::collection::vec(1usize..=8, 64),
    )
        .prop_map(
            |(key_salt, ssrc, below_wrap, rtp, rtcp, batch_sizes)| StreamCase {
                key_salt,
                ssrc,
                first_seq: u16::MAX - below_wrap,
                rtp,
                rtcp,
                batch_sizes,
            },
        )
}

fn build_rtp(spec: &RtpSpec, seq: u16, ssrc: u32) -> Vec<u8> {
    let mut packet = Vec::with_capacity(1500);
    let extension_bit = if spec.extension.is_some() { 0x10 } else { 0 };
    packet.push(0x80 | extension_bit | spec.csrcs.len() as u8);
    packet.push(spec.payload_type | if spec.marker { 0x80 } else { 0 });
    packet.extend_from_slice(&seq.to_be_bytes());
    packet.extend_from_slice(&spec.timestamp.to_be_bytes());
    packet.extend_from_slice(&ssrc.to_be_bytes());
    for csrc in &spec.csrcs {
        packet.extend_from_slice(&csrc.to_be_bytes());
    }
    if let Some((profile, data)) = &spec.extension {
        packet.extend_from_slice(&profile.to_be_bytes());
        packet.extend_from_slice(&((data.len() / 4) as u16).to_be_bytes());
        packet.extend_from_slice(data);
    }
    packet.extend_from_slice(&spec.payload);
    packet
}

/// An RTCP packet (a receiver report's header and an opaque body) with a valid length field.
fn build_rtcp(body: &[u8], ssrc: u32) -> Vec<u8> {
    let mut packet = vec![0x80, 201];
    packet.extend_from_slice(&(((8 + body.len()) / 4 - 1) as u16).to_be_bytes());
    packet.extend_from_slice(&ssrc.to_be_bytes());
    packet.extend_from_slice(body);
    packet
}

fn our_session(suite: SrtpSuite, key_salt: &[u8], direction: StreamDirection) -> SrtpSession {
    let key = MasterKey::from_key_salt(suite, key_salt).expect("master key");
    let policy = SrtpPolicy::new(key);
    match direction {
        StreamDirection::Outbound => SrtpSession::sender(policy),
        StreamDirection::Inbound => SrtpSession::receiver(policy),
    }
}

fn libsrtp_session(suite: Suite, key_salt: &[u8], direction: Direction) -> Libsrtp2Session {
    Libsrtp2Session::new(&SessionConfig::new(suite, key_salt, direction)).expect("libsrtp2 session")
}

/// Which batch function of ours a pass runs.
#[derive(Clone, Copy)]
enum Pass {
    ProtectRtp,
    UnprotectRtp,
    ProtectRtcp,
    UnprotectRtcp,
}

/// Runs `pass` over `packets` through our batch API in batches of the case's sizes,
/// returning each output packet or the error.
fn run_ours(
    session: &mut SrtpSession,
    pass: Pass,
    packets: &[Vec<u8>],
    batch_sizes: &[usize],
) -> Vec<Result<Vec<u8>, SrtpError>> {
    let mut storage: Vec<Vec<u8>> = packets
        .iter()
        .map(|p| {
            let mut s = p.clone();
            s.resize(p.len() + MAX_OVERHEAD, 0);
            s
        })
        .collect();
    let mut out = Vec::with_capacity(packets.len());
    let mut start = 0;
    let mut sizes = batch_sizes.iter().cycle();
    while start < packets.len() {
        let end = (start + sizes.next().copied().unwrap_or(1)).min(packets.len());
        let mut bufs: Vec<PacketBuf<'_>> = storage[start..end]
            .iter_mut()
            .zip(&packets[start..end])
            .map(|(s, p)| PacketBuf::new(s, p.len()))
            .collect();
        let mut results = vec![Err(SrtpError::PacketTooShort); bufs.len()];
        let done = match pass {
            Pass::ProtectRtp => session.protect_batch(&mut bufs, &mut results),
            Pass::UnprotectRtp => session.unprotect_batch(&mut bufs, &mut results),
            Pass::ProtectRtcp => session.protect_rtcp_batch(&mut bufs, &mut results),
            Pass::UnprotectRtcp => session.unprotect_rtcp_batch(&mut bufs, &mut results),
        };
        assert_eq!(done, bufs.len());
        drop(bufs);
        for (result, s) in results.into_iter().zip(&storage[start..end]) {
            out.push(result.map(|len| s[..len].to_vec()));
        }
        start = end;
    }
    out
}

fn check_stream(case: &StreamCase, ours: SrtpSuite, theirs: Suite) -> Result<(), TestCaseError> {
    let key_salt = &case.key_salt[..ours.key_salt_len()];
    prop_assert_eq!(key_salt.len(), theirs.master_key_and_salt_len());

    let mut our_tx = our_session(ours, key_salt, StreamDirection::Outbound);
    let mut our_rx = our_session(ours, key_salt, StreamDirection::Inbound);
    let mut their_tx = libsrtp_session(theirs, key_salt, Direction::Outbound);
    let mut their_rx = libsrtp_session(theirs, key_salt, Direction::Inbound);

    // SRTP.
    let plain: Vec<Vec<u8>> = case
        .rtp
        .iter()
        .enumerate()
        .map(|(i, spec)| build_rtp(spec, case.first_seq.wrapping_add(i as u16), case.ssrc))
        .collect();
    let ours_protected = run_ours(&mut our_tx, Pass::ProtectRtp, &plain, &case.batch_sizes);
    let mut theirs_protected = Vec::with_capacity(plain.len());
    for (i, (packet, ours_srtp)) in plain.iter().zip(&ours_protected).enumerate() {
        let ours_srtp = ours_srtp
            .as_ref()
            .map_err(|e| TestCaseError::fail(format!("our protect of RTP {i}: {e}")))?;
        let mut theirs_srtp = packet.clone();
        their_tx
            .protect_rtp(&mut theirs_srtp)
            .map_err(|e| TestCaseError::fail(format!("libsrtp2 protect of RTP {i}: {e}")))?;
        prop_assert_eq!(ours_srtp, &theirs_srtp, "SRTP packet {} differs", i);

        let mut unprotected = ours_srtp.clone();
        their_rx
            .unprotect_rtp(&mut unprotected)
            .map_err(|e| TestCaseError::fail(format!("libsrtp2 unprotect of our RTP {i}: {e}")))?;
        prop_assert_eq!(&unprotected, packet, "libsrtp2 unprotected RTP {}", i);
        theirs_protected.push(theirs_srtp);
    }
    let ours_unprotected = run_ours(
        &mut our_rx,
        Pass::UnprotectRtp,
        &theirs_protected,
        &case.batch_sizes,
    );
    for (i, (result, packet)) in ours_unprotected.iter().zip(&plain).enumerate() {
        let unprotected = result
            .as_ref()
            .map_err(|e| TestCaseError::fail(format!("our unprotect of libsrtp2 RTP {i}: {e}")))?;
        prop_assert_eq!(unprotected, packet, "we unprotected RTP {}", i);
    }
    let state = our_rx
        .stream_state(StreamDirection::Inbound, case.ssrc)
        .ok_or_else(|| TestCaseError::fail("no inbound stream"))?;
    prop_assert_eq!(state.roc, 1, "the stream wrapped once");

    // SRTCP. libsrtp2 numbers a stream's SRTCP packets from 1, we from 0 (RFC 3711 3.3.2);
    // start ours at 1 so that the packets can be compared byte for byte.
    our_tx
        .set_next_srtcp_index(case.ssrc, 1)
        .map_err(|e| TestCaseError::fail(format!("set SRTCP index: {e}")))?;
    let plain: Vec<Vec<u8>> = case
        .rtcp
        .iter()
        .map(|body| build_rtcp(body, case.ssrc))
        .collect();
    let ours_protected = run_ours(&mut our_tx, Pass::ProtectRtcp, &plain, &case.batch_sizes);
    let mut theirs_protected = Vec::with_capacity(plain.len());
    for (i, (packet, ours_srtcp)) in plain.iter().zip(&ours_protected).enumerate() {
        let ours_srtcp = ours_srtcp
            .as_ref()
            .map_err(|e| TestCaseError::fail(format!("our protect of RTCP {i}: {e}")))?;
        let mut theirs_srtcp = packet.clone();
        their_tx
            .protect_rtcp(&mut theirs_srtcp)
            .map_err(|e| TestCaseError::fail(format!("libsrtp2 protect of RTCP {i}: {e}")))?;
        prop_assert_eq!(ours_srtcp, &theirs_srtcp, "SRTCP packet {} differs", i);

        let mut unprotected = ours_srtcp.clone();
        their_rx
            .unprotect_rtcp(&mut unprotected)
            .map_err(|e| TestCaseError::fail(format!("libsrtp2 unprotect of our RTCP {i}: {e}")))?;
        prop_assert_eq!(&unprotected, packet, "libsrtp2 unprotected RTCP {}", i);
        theirs_protected.push(theirs_srtcp);
    }
    let ours_unprotected = run_ours(
        &mut our_rx,
        Pass::UnprotectRtcp,
        &theirs_protected,
        &case.batch_sizes,
    );
    for (i, (result, packet)) in ours_unprotected.iter().zip(&plain).enumerate() {
        let unprotected = result
            .as_ref()
            .map_err(|e| TestCaseError::fail(format!("our unprotect of libsrtp2 RTCP {i}: {e}")))?;
        prop_assert_eq!(unprotected, packet, "we unprotected RTCP {}", i);
    }
    Ok(())
}

/// Cases per suite: enough streams to cover header shapes and sizes, a few seconds in all.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 12,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

macro_rules! interop_tests {
    ($($name:ident: $ours:expr, $theirs:expr;)*) => {
        $(
            proptest! {
                #![proptest_config(config())]
                #[test]
                fn $name(case in stream_case()) {
                    check_stream(&case, $ours, $theirs)?;
                }
            }
        )*
    };
}

interop_tests! {
    aes_cm_128_hmac_sha1_80: SrtpSuite::AesCm128HmacSha1_80, Suite::AesCm128HmacSha1_80;
    aes_cm_128_hmac_sha1_32: SrtpSuite::AesCm128HmacSha1_32, Suite::AesCm128HmacSha1_32;
    aes_256_cm_hmac_sha1_80: SrtpSuite::AesCm256HmacSha1_80, Suite::AesCm256HmacSha1_80;
    aes_256_cm_hmac_sha1_32: SrtpSuite::AesCm256HmacSha1_32, Suite::AesCm256HmacSha1_32;
    aead_aes_128_gcm: SrtpSuite::AeadAes128Gcm, Suite::AeadAes128Gcm;
    aead_aes_256_gcm: SrtpSuite::AeadAes256Gcm, Suite::AeadAes256Gcm;
    null_hmac_sha1_80: SrtpSuite::NullHmacSha1_80, Suite::NullHmacSha1_80;
    null_hmac_sha1_32: SrtpSuite::NullHmacSha1_32, Suite::NullHmacSha1_32;
    null_cipher_null_auth: SrtpSuite::NullCipherNullAuth, Suite::NullNull;
}

/// A packet tampered with after our protect is refused by libsrtp2, and the reverse: the
/// interop above is not an artefact of a side that accepts anything.
#[test]
fn each_side_refuses_the_others_tampered_packets() {
    let key_salt: Vec<u8> = (0..30u8).collect();
    let suite = SrtpSuite::AesCm128HmacSha1_80;
    let mut our_tx = our_session(suite, &key_salt, StreamDirection::Outbound);
    let mut our_rx = our_session(suite, &key_salt, StreamDirection::Inbound);
    let mut their_tx = libsrtp_session(Suite::AesCm128HmacSha1_80, &key_salt, Direction::Outbound);
    let mut their_rx = libsrtp_session(Suite::AesCm128HmacSha1_80, &key_salt, Direction::Inbound);
    let spec = RtpSpec {
        marker: false,
        payload_type: 0,
        timestamp: 160,
        csrcs: vec![],
        extension: None,
        payload: vec![0xd5; 160],
    };
    let plain = build_rtp(&spec, 1, 0x1234_5678);

    let mut ours = run_ours(
        &mut our_tx,
        Pass::ProtectRtp,
        std::slice::from_ref(&plain),
        &[1],
    )
    .remove(0)
    .expect("our protect");
    ours[40] ^= 0x01;
    let status = their_rx.unprotect_rtp(&mut ours).unwrap_err().status();
    assert_eq!(status, Some(7), "libsrtp2 must report auth_fail");

    let mut theirs = plain.clone();
    their_tx.protect_rtp(&mut theirs).expect("libsrtp2 protect");
    let last = theirs.len() - 1;
    theirs[last] ^= 0x80;
    let result = run_ours(&mut our_rx, Pass::UnprotectRtp, &[theirs], &[1]).remove(0);
    assert_eq!(result, Err(SrtpError::AuthenticationFailed));
}
