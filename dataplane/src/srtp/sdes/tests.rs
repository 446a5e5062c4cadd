//! SDES parsing and formatting against RFC 4568's example and the grammar's edge cases.

use base64::Engine;

use super::super::kdf::KeyDerivationRate;
use super::super::master_key::{MasterKey, Mki};
use super::key::{mki_decimal, parse_mki};
use super::*;

/// RFC 4568 sec. 4's example attribute.
const RFC4568_EXAMPLE: &str = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 \
    inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4";

#[test]
fn parses_the_rfc_4568_example() {
    let c = SdesCrypto::parse(RFC4568_EXAMPLE).unwrap();
    assert_eq!(c.tag, 1);
    assert_eq!(c.suite, SrtpSuite::AesCm128HmacSha1_80);
    assert_eq!(c.keys.len(), 1);
    let key = &c.keys[0];
    assert_eq!(key.lifetime, Some(1 << 20));
    assert_eq!(key.master_key.mki().unwrap().as_bytes(), &[0, 0, 0, 1]);
    let decoded = base64::engine::general_purpose::STANDARD
        .decode("PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR")
        .unwrap();
    assert_eq!(key.master_key.key_bytes(), &decoded[..16]);
    assert_eq!(key.master_key.salt_bytes(), &decoded[16..]);
    assert_eq!(c.to_sdp_line(), RFC4568_EXAMPLE);
}

#[test]
fn key_strings_with_or_without_inline_prefix() {
    let suite = SrtpSuite::AesCm128HmacSha1_80;
    let text = "9sOd+W72ilwfNgNt0FzlGYj6YZPMqN1sJJx43UuS";
    let a = SdesKey::parse(suite, text).unwrap();
    let b = SdesKey::parse(suite, &format!("inline:{text}")).unwrap();
    assert_eq!(a.master_key.key_bytes(), b.master_key.key_bytes());
    assert_eq!(a.master_key.salt_bytes(), b.master_key.salt_bytes());
    assert_eq!(format!("{a}"), format!("inline:{text}"));
}

#[test]
fn every_suite_formats_and_parses_back() {
    for suite in super::super::ALL_SUITES
        .into_iter()
        .filter(|s| s.authenticates())
    {
        let material: Vec<u8> = (0..suite.key_salt_len() as u8).collect();
        let master = MasterKey::from_key_salt(suite, &material)
            .unwrap()
            .with_mki(Mki::new(&[0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07]).unwrap());
        let mut c = SdesCrypto::new(
            7,
            SdesKey {
                master_key: master,
                lifetime: Some(1000),
            },
        );
        c.session_params.push(SdesSessionParam::WindowSizeHint(256));
        let line = c.to_sdp_line();
        let back = SdesCrypto::parse(&line).unwrap();
        assert_eq!(back.suite, suite, "{line}");
        assert_eq!(
            back.keys[0].master_key.key_bytes(),
            &material[..suite.master_key_len()]
        );
        assert_eq!(
            back.keys[0].master_key.salt_bytes(),
            &material[suite.master_key_len()..]
        );
        assert_eq!(back.keys[0].master_key.mki(), c.keys[0].master_key.mki());
        assert_eq!(back.keys[0].lifetime, Some(1000));
        assert_eq!(back.to_sdp_line(), line);
        assert_eq!(back.policy().unwrap().replay_window(), 256);
    }
}

#[test]
fn errors_name_the_problem() {
    let e = |s: &str| SdesCrypto::parse(s).unwrap_err();
    let key = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
    assert_eq!(e("a=rtpmap:0 PCMU/8000"), SdesError::NotCryptoAttribute);
    assert_eq!(e("a=crypto:"), SdesError::MissingField("tag"));
    assert_eq!(
        e("a=crypto:x AES_CM_128_HMAC_SHA1_80"),
        SdesError::BadTag("x".into())
    );
    assert_eq!(e("a=crypto:1"), SdesError::MissingField("crypto suite"));
    assert_eq!(
        e("a=crypto:1 AES_CM_128_HMAC_SHA1_80"),
        SdesError::MissingField("key parameters")
    );
    assert_eq!(
        e(&format!("a=crypto:1 FOO inline:{key}")),
        SdesError::UnknownSuite("FOO".into())
    );
    assert_eq!(
        e(&format!("a=crypto:1 NULL_NULL inline:{key}")),
        SdesError::UnsupportedSuite("NULL_NULL".into())
    );
    assert_eq!(
        e(&format!("a=crypto:1 AES_CM_128_HMAC_SHA1_80 uri:{key}")),
        SdesError::UnsupportedKeyMethod("uri".into())
    );
    assert_eq!(
        e("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:@@@@"),
        SdesError::BadBase64
    );
    assert_eq!(
        e(&format!("a=crypto:1 AEAD_AES_256_GCM inline:{key}")),
        SdesError::KeySaltLength {
            suite: SrtpSuite::AeadAes256Gcm,
            expected: 44,
            actual: 30
        }
    );
    assert_eq!(
        e(&format!(
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{key}|2^49"
        )),
        SdesError::BadLifetime("2^49".into())
    );
    assert_eq!(
        e(&format!(
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{key}|256:1"
        )),
        SdesError::BadMki("256:1".into())
    );
    assert_eq!(
        e(&format!(
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{key};inline:{key}"
        )),
        SdesError::InconsistentMki
    );
    assert_eq!(
        e(&format!(
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{key} KDR=25"
        )),
        SdesError::BadSessionParam("KDR=25".into())
    );
    let unsupported = SdesCrypto::parse(&format!(
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{key} UNENCRYPTED_SRTP"
    ))
    .unwrap();
    assert_eq!(
        unsupported.policy().unwrap_err(),
        SdesError::UnsupportedSessionParam("UNENCRYPTED_SRTP".into())
    );
    let msg = format!(
        "{}",
        e(&format!("a=crypto:1 AEAD_AES_256_GCM inline:{key}"))
    );
    assert!(!msg.contains(key), "{msg}");
}

#[test]
fn kdr_and_several_keys_with_mki() {
    let key = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
    let c = SdesCrypto::parse(&format!(
        "1 AES_CM_128_HMAC_SHA1_32 inline:{key}|1:2;inline:{key}|2^31|2:2 KDR=3 FEC_ORDER=FEC_SRTP"
    ))
    .unwrap();
    assert_eq!(c.keys.len(), 2);
    assert_eq!(c.keys[1].master_key.mki().unwrap().as_bytes(), &[0, 2]);
    assert_eq!(c.keys[1].lifetime, Some(1 << 31));
    assert_eq!(
        c.session_params[0],
        SdesSessionParam::KeyDerivationRate(KeyDerivationRate::from_rate(8).unwrap())
    );
    assert_eq!(
        c.session_params[1],
        SdesSessionParam::Other("FEC_ORDER=FEC_SRTP".into())
    );
}

proptest::proptest! {
    #[test]
    fn any_text_parses_or_errs_without_panicking(text in ".{0,200}") {
        let _ = SdesCrypto::parse(&text);
        let _ = SdesKey::parse(SrtpSuite::AeadAes128Gcm, &text);
    }

    #[test]
    fn crypto_like_text_never_panics(
        tag in "[0-9]{0,11}",
        suite in proptest::sample::select(vec![
            "AES_CM_128_HMAC_SHA1_80", "AEAD_AES_256_GCM", "F8_128_HMAC_SHA1_80", "X",
        ]),
        key in "[A-Za-z0-9+/=]{0,64}",
        extra in "(\\|[0-9^:]{0,12}){0,3}( [A-Z_=0-9]{0,12}){0,3}",
    ) {
        let line = format!("a=crypto:{tag} {suite} inline:{key}{extra}");
        if let Ok(c) = SdesCrypto::parse(&line) {
            let again = SdesCrypto::parse(&c.to_sdp_line()).unwrap();
            proptest::prop_assert_eq!(again.to_sdp_line(), c.to_sdp_line());
        }
    }
}

#[test]
fn long_mki_values_round_trip_in_decimal() {
    let mki = parse_mki("18446744073709551616:9").unwrap();
    assert_eq!(mki.as_bytes(), &[1, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(mki_decimal(mki.as_bytes()), "18446744073709551616");
    assert!(parse_mki("18446744073709551616:8").is_err());
    assert_eq!(mki_decimal(&[0, 0]), "0");
}
