//! libsrtp's srtp_validate*() reference packets: each protected by our sender and
//! unprotected by our receiver, byte for byte.
//!
//! libsrtp starts a stream's SRTCP index at 1 where RFC 3711 says 0, so the sender's next
//! SRTCP index is set to 1 to reproduce its packets.

use super::super::{MasterKey, Mki, SrtpPolicy, SrtpSession, SrtpSuite};
use super::{hex, protect, unprotect, Packet};

const FILE: &str = include_str!("../vectors/libsrtp_srtp_reference_packets.txt");

/// The text of `FUNCTION name` up to the next rule line.
fn function(name: &str) -> &'static str {
    let start = FILE
        .find(&format!("FUNCTION {name}\n"))
        .unwrap_or_else(|| panic!("{name} not in file"));
    let rest = &FILE[start..];
    &rest[..rest.find("\n=====").unwrap_or(rest.len())]
}

/// The hex value printed under `label (N bytes):` in `text`.
fn value(text: &str, label: &str) -> Vec<u8> {
    let marker = format!("\n{label} (");
    let at = text
        .find(&marker)
        .unwrap_or_else(|| panic!("{label} missing"));
    let rest = &text[at + marker.len()..];
    let after_colon = &rest[rest.find("):").unwrap() + 2..];
    let value = after_colon
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap();
    hex(value)
}

fn global_key(name: &str) -> Vec<u8> {
    value(&FILE[FILE.find("GLOBAL KEYS").unwrap() - 1..], name)
}

fn sessions(master: MasterKey) -> (SrtpSession, SrtpSession) {
    (
        SrtpSession::sender(SrtpPolicy::new(master.clone())),
        SrtpSession::receiver(SrtpPolicy::new(master)),
    )
}

fn check_rtp(f: &str, sender: &mut SrtpSession, receiver: &mut SrtpSession, plain_name: &str) {
    let plain = value(f, plain_name);
    let protected = value(f, "srtp_ciphertext");
    assert_eq!(
        protect(sender, Packet::Rtp, &plain),
        protected,
        "SRTP protect"
    );
    assert_eq!(
        unprotect(receiver, Packet::Rtp, &protected),
        plain,
        "SRTP unprotect"
    );
}

fn check_rtcp(f: &str, sender: &mut SrtpSession, receiver: &mut SrtpSession, ssrc: u32) {
    let plain = value(f, "rtcp_plaintext_ref");
    let protected = value(f, "srtcp_ciphertext");
    sender.set_next_srtcp_index(ssrc, 1).unwrap();
    assert_eq!(
        protect(sender, Packet::Rtcp, &plain),
        protected,
        "SRTCP protect"
    );
    assert_eq!(
        unprotect(receiver, Packet::Rtcp, &protected),
        plain,
        "SRTCP unprotect"
    );
}

fn key(suite: SrtpSuite, material: &[u8]) -> MasterKey {
    MasterKey::from_key_salt(suite, &material[..suite.key_salt_len()]).unwrap()
}

#[test]
fn aes_cm_128_hmac_sha1_80() {
    let f = function("srtp_validate");
    let (mut s, mut r) = sessions(key(SrtpSuite::AesCm128HmacSha1_80, &global_key("test_key")));
    check_rtp(f, &mut s, &mut r, "srtp_plaintext_ref");
    check_rtcp(f, &mut s, &mut r, 0xcafe_babe);
}

#[test]
fn aes_cm_128_hmac_sha1_80_with_mki() {
    let f = function("srtp_validate_mki");
    let mki = Mki::new(&global_key("test_mki_id")).unwrap();
    let master = key(SrtpSuite::AesCm128HmacSha1_80, &global_key("test_key")).with_mki(mki);
    let (mut s, mut r) = sessions(master);
    check_rtp(f, &mut s, &mut r, "srtp_plaintext_ref");
    check_rtcp(f, &mut s, &mut r, 0xcafe_babe);
}

#[test]
fn null_cipher_hmac_sha1_80() {
    let f = function("srtp_validate_null_sha1_80");
    let (mut s, mut r) = sessions(key(SrtpSuite::NullHmacSha1_80, &global_key("test_key")));
    check_rtp(f, &mut s, &mut r, "srtp_plaintext_ref");
    check_rtcp(f, &mut s, &mut r, 0xcafe_babe);
}

#[test]
fn null_cipher_null_auth() {
    let f = function("srtp_validate_null_null");
    // libsrtp passes no key at all; any key gives the same (untransformed) packets.
    let (mut s, mut r) = sessions(key(SrtpSuite::NullCipherNullAuth, &[0x55; 30]));
    check_rtp(f, &mut s, &mut r, "srtp_plaintext_ref");
    check_rtcp(f, &mut s, &mut r, 0xcafe_babe);
}

#[test]
fn aead_aes_128_gcm() {
    let f = function("srtp_validate_gcm");
    let (mut s, mut r) = sessions(key(SrtpSuite::AeadAes128Gcm, &global_key("test_key_gcm")));
    check_rtp(f, &mut s, &mut r, "rtp_plaintext_ref");
    check_rtcp(f, &mut s, &mut r, 0xcafe_babe);
}

#[test]
fn aes_192_cm_hmac_sha1_80() {
    let f = function("srtp_validate_aes_192");
    let (mut s, mut r) = sessions(key(
        SrtpSuite::AesCm192HmacSha1_80,
        &global_key("aes_192_test_key"),
    ));
    check_rtp(f, &mut s, &mut r, "srtp_plaintext_ref");
}

#[test]
fn aes_256_cm_hmac_sha1_80() {
    let f = function("srtp_validate_aes_256");
    let (mut s, mut r) = sessions(key(
        SrtpSuite::AesCm256HmacSha1_80,
        &global_key("aes_256_test_key"),
    ));
    check_rtp(f, &mut s, &mut r, "srtp_plaintext_ref");
}

/// The IDs libsrtp's test encrypts (`int headers[3] = { 1, 3, 4 };` in srtp_driver.c; the
/// vector file points there rather than repeating them).
const ENCRYPTED_IDS: [u8; 3] = [1, 3, 4];

fn header_encrypting_sessions(master: MasterKey) -> (SrtpSession, SrtpSession) {
    let policy = SrtpPolicy::new(master)
        .with_encrypted_header_extensions(&ENCRYPTED_IDS)
        .unwrap();
    (
        SrtpSession::sender(policy.clone()),
        SrtpSession::receiver(policy),
    )
}

#[test]
fn rfc6904_encrypted_header_extensions_aes_cm() {
    let f = function("srtp_validate_encrypted_extensions_headers");
    let material = value(f, "test_key_ext_headers");
    let master = key(SrtpSuite::AesCm128HmacSha1_80, &material);
    let (mut s, mut r) = header_encrypting_sessions(master);
    check_rtp(f, &mut s, &mut r, "srtp_plaintext_ref");
}

#[test]
fn rfc6904_encrypted_header_extensions_aes_gcm() {
    let f = function("srtp_validate_encrypted_extensions_headers_gcm");
    let material = value(f, "test_key_ext_headers");
    let master = key(SrtpSuite::AeadAes128Gcm, &material);
    let (mut s, mut r) = header_encrypting_sessions(master);
    check_rtp(f, &mut s, &mut r, "srtp_plaintext_ref");
}

/// An AES-CM receiver accepts unencrypted SRTCP (E = 0, RFC 3711 sec. 3.4): libsrtp's
/// NULL-cipher SRTCP packet uses the same KDF and authentication key as AES-CM with the
/// same master key, so it is exactly such a packet.
#[test]
fn aes_cm_receiver_accepts_unencrypted_srtcp() {
    let f = function("srtp_validate_null_sha1_80");
    let master = key(SrtpSuite::AesCm128HmacSha1_80, &global_key("test_key"));
    let (_, mut receiver) = sessions(master);
    let protected = value(f, "srtcp_ciphertext");
    assert_eq!(protected[24] & 0x80, 0, "E flag clear");
    let plain = unprotect(&mut receiver, Packet::Rtcp, &protected);
    assert_eq!(plain, value(f, "rtcp_plaintext_ref"));
}
