//! Proves the binding against libsrtp's own reference packets (test/srtp_driver.c): every
//! suite the vectors cover must protect the reference plaintext to the reference ciphertext
//! and unprotect it back, and libsrtp must agree with [`Suite`] on trailer lengths.

use std::collections::HashMap;

use libsrtp2_peer::{
    libsrtp2_version, Direction, Libsrtp2Error, Libsrtp2Session, SessionConfig, SsrcMatch, Suite,
};

const REFERENCE: &str = include_str!("fixtures/libsrtp_srtp_reference_packets.txt");

fn hex(text: &str) -> Vec<u8> {
    hex::decode(text.trim()).unwrap_or_else(|e| panic!("bad hex {text:?}: {e}"))
}

/// `FUNCTION name` sections of the fixture, each a map from value name to bytes, plus the
/// `GLOBAL KEYS` section under the name "GLOBAL KEYS".
fn sections() -> HashMap<String, HashMap<String, Vec<u8>>> {
    let mut all: HashMap<String, HashMap<String, Vec<u8>>> = HashMap::new();
    let mut current: Option<String> = None;
    let mut pending: Option<String> = None;
    for line in REFERENCE.lines() {
        if let Some(name) = line.strip_prefix("FUNCTION ") {
            current = Some(name.trim().to_owned());
            continue;
        }
        if line.trim() == "GLOBAL KEYS" {
            current = Some("GLOBAL KEYS".to_owned());
            continue;
        }
        let Some(section) = current.clone() else {
            continue;
        };
        if let Some(name) = pending.take() {
            all.entry(section).or_default().insert(name, hex(line));
            continue;
        }
        if let Some((name, rest)) = line.split_once(" bytes):") {
            let name = name.rsplit_once(" (").map(|(n, _)| n.trim()).unwrap_or("");
            if rest.trim().is_empty() {
                pending = Some(name.to_owned());
            } else {
                all.entry(section)
                    .or_default()
                    .insert(name.to_owned(), hex(rest));
            }
        }
    }
    all
}

fn session(suite: Suite, key: &[u8], ssrc: u32) -> Libsrtp2Session {
    let config = SessionConfig {
        ssrc: SsrcMatch::Specific(ssrc),
        ..SessionConfig::new(suite, key, Direction::Outbound)
    };
    Libsrtp2Session::new(&config).expect("libsrtp2 session")
}

struct Case {
    function: &'static str,
    suite: Suite,
    key_name: &'static str,
    ssrc: u32,
    rtp_plain: &'static str,
    rtp_cipher: &'static str,
    with_rtcp: bool,
}

fn check_case(case: &Case) {
    let all = sections();
    let values = &all[case.function];
    let keys = &all["GLOBAL KEYS"];
    let key_len = case.suite.master_key_and_salt_len();
    let key = &keys[case.key_name][..key_len];

    let mut tx = session(case.suite, key, case.ssrc);
    let mut rx = session(case.suite, key, case.ssrc);

    let mut packet = values[case.rtp_plain].clone();
    tx.protect_rtp(&mut packet).expect("protect rtp");
    assert_eq!(packet, values[case.rtp_cipher], "{}: SRTP", case.function);
    rx.unprotect_rtp(&mut packet).expect("unprotect rtp");
    assert_eq!(
        packet, values[case.rtp_plain],
        "{}: RTP round trip",
        case.function
    );

    let (rtp_trailer, rtcp_trailer) = tx.trailer_lengths().expect("trailer lengths");
    assert_eq!(
        rtp_trailer,
        case.suite.rtp_trailer_len(),
        "{}",
        case.function
    );
    assert_eq!(
        values[case.rtp_cipher].len() - values[case.rtp_plain].len(),
        rtp_trailer
    );

    if case.with_rtcp {
        let mut packet = values["rtcp_plaintext_ref"].clone();
        tx.protect_rtcp(&mut packet).expect("protect rtcp");
        assert_eq!(
            packet, values["srtcp_ciphertext"],
            "{}: SRTCP",
            case.function
        );
        assert_eq!(
            packet.len() - values["rtcp_plaintext_ref"].len(),
            rtcp_trailer
        );
        assert_eq!(
            rtcp_trailer,
            case.suite.rtcp_trailer_len(),
            "{}",
            case.function
        );
        rx.unprotect_rtcp(&mut packet).expect("unprotect rtcp");
        assert_eq!(
            packet, values["rtcp_plaintext_ref"],
            "{}: RTCP round trip",
            case.function
        );
    }
}

#[test]
fn aes_cm_128_hmac_sha1_80_reference() {
    check_case(&Case {
        function: "srtp_validate",
        suite: Suite::AesCm128HmacSha1_80,
        key_name: "test_key",
        ssrc: 0xcafe_babe,
        rtp_plain: "srtp_plaintext_ref",
        rtp_cipher: "srtp_ciphertext",
        with_rtcp: true,
    });
}

#[test]
fn null_cipher_hmac_sha1_80_reference() {
    check_case(&Case {
        function: "srtp_validate_null_sha1_80",
        suite: Suite::NullHmacSha1_80,
        key_name: "test_key",
        ssrc: 0xcafe_babe,
        rtp_plain: "srtp_plaintext_ref",
        rtp_cipher: "srtp_ciphertext",
        with_rtcp: true,
    });
}

#[test]
fn null_cipher_null_auth_reference() {
    check_case(&Case {
        function: "srtp_validate_null_null",
        suite: Suite::NullNull,
        key_name: "test_key",
        ssrc: 0xcafe_babe,
        rtp_plain: "srtp_plaintext_ref",
        rtp_cipher: "srtp_ciphertext",
        with_rtcp: true,
    });
}

#[test]
fn aead_aes_128_gcm_reference() {
    check_case(&Case {
        function: "srtp_validate_gcm",
        suite: Suite::AeadAes128Gcm,
        key_name: "test_key_gcm",
        ssrc: 0xcafe_babe,
        rtp_plain: "rtp_plaintext_ref",
        rtp_cipher: "srtp_ciphertext",
        with_rtcp: true,
    });
}

#[test]
fn aes_256_cm_hmac_sha1_80_reference() {
    check_case(&Case {
        function: "srtp_validate_aes_256",
        suite: Suite::AesCm256HmacSha1_80,
        key_name: "aes_256_test_key",
        ssrc: 0xcafe_babe,
        rtp_plain: "srtp_plaintext_ref",
        rtp_cipher: "srtp_ciphertext",
        with_rtcp: false,
    });
}

/// libsrtp up to 2.5 derives AES-192 session keys with the AES-256 KDF (cisco/libsrtp#763,
/// fixed by #765 in 2025), so its AES-192 packets match RFC 6188 and the reference only from
/// the fixed releases on. This pins which case the installed library is in.
#[test]
fn aes_192_matches_reference_only_after_libsrtps_kdf_fix() {
    let version = libsrtp2_version();
    let numbers: Vec<u32> = version
        .rsplit(' ')
        .next()
        .unwrap_or("")
        .split('.')
        .filter_map(|n| n.parse().ok())
        .collect();
    assert!(numbers.len() >= 2, "unexpected version string {version:?}");
    let has_kdf_fix = (numbers[0], numbers[1]) > (2, 5);

    let all = sections();
    let values = &all["srtp_validate_aes_192"];
    let key = &all["GLOBAL KEYS"]["aes_192_test_key"];
    let mut tx = session(Suite::AesCm192HmacSha1_80, key, 0);
    let mut packet = values["srtp_plaintext_ref"].clone();
    tx.protect_rtp(&mut packet).expect("protect rtp");
    assert_eq!(
        packet == values["srtp_ciphertext"],
        has_kdf_fix,
        "{version}: AES-192 reference packet reproduced = {}",
        packet == values["srtp_ciphertext"]
    );
}

#[test]
fn every_suite_creates_a_session_with_libsrtps_trailer_lengths() {
    for suite in Suite::ALL {
        let key = vec![0x5a; suite.master_key_and_salt_len()];
        let mut tx = session(suite, &key, 0x1234_5678);
        let (rtp, rtcp) = tx.trailer_lengths().expect("trailer lengths");
        assert_eq!(
            (rtp, rtcp),
            (suite.rtp_trailer_len(), suite.rtcp_trailer_len()),
            "{suite:?}"
        );
        let mut packet = vec![0x80, 0, 0, 1, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78, 1, 2, 3];
        let plain_len = packet.len();
        tx.protect_rtp(&mut packet).expect("protect");
        assert_eq!(packet.len(), plain_len + rtp, "{suite:?}");
    }
}

#[test]
fn tampered_and_replayed_packets_are_refused() {
    let all = sections();
    let values = &all["srtp_validate"];
    let key = &all["GLOBAL KEYS"]["test_key"][..30];
    let mut rx = session(Suite::AesCm128HmacSha1_80, key, 0xcafe_babe);

    let mut tampered = values["srtp_ciphertext"].clone();
    tampered[20] ^= 1;
    let err = rx.unprotect_rtp(&mut tampered).unwrap_err();
    assert_eq!(err, Libsrtp2Error::Status(7), "auth_fail expected");

    let mut packet = values["srtp_ciphertext"].clone();
    rx.unprotect_rtp(&mut packet).expect("first copy");
    let mut packet = values["srtp_ciphertext"].clone();
    let err = rx.unprotect_rtp(&mut packet).unwrap_err();
    assert_eq!(err, Libsrtp2Error::Status(9), "replay_fail expected");
}

#[test]
fn wrapper_checks_arguments_before_calling_libsrtp() {
    let key = [1u8; 30];
    let short = Libsrtp2Session::new(&SessionConfig::new(
        Suite::AeadAes128Gcm,
        &key,
        Direction::Outbound,
    ));
    assert_eq!(
        short.unwrap_err(),
        Libsrtp2Error::KeyLength {
            expected: 28,
            actual: 30
        }
    );

    let mut tx = Libsrtp2Session::new(&SessionConfig::new(
        Suite::AesCm128HmacSha1_80,
        &key,
        Direction::Outbound,
    ))
    .expect("session");
    let mut buf = [0u8; 30];
    buf[0] = 0x80;
    assert_eq!(
        tx.protect_rtp_in(&mut buf, 24).unwrap_err(),
        Libsrtp2Error::NoHeadroom {
            needed: 34,
            available: 30
        }
    );
    assert_eq!(
        tx.protect_rtp_in(&mut buf, 11).unwrap_err(),
        Libsrtp2Error::PacketTooShort(11)
    );
    assert_eq!(tx.protect_rtp_in(&mut buf, 20), Ok(30));
}
