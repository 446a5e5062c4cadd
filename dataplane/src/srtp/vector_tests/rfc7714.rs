//! RFC 7714 sec. 16 (SRTP) and 17 (SRTCP) AES-GCM packets, with session keys given
//! directly, through the session's protect and unprotect paths.

use super::super::session_keys::SessionKeys;
use super::super::{MasterKey, SrtpPolicy, SrtpSession, SrtpSuite, StreamDirection};
use super::{hex, hex_after, hex_field, protect, unprotect, Packet};

const FILE: &str = include_str!("../vectors/rfc7714_aes_gcm_srtp.txt");

fn session_pair(suite: SrtpSuite, key_field: &str) -> (SrtpSession, SrtpSession) {
    let key = hex_field(FILE, key_field);
    let salt = hex_field(FILE, "salt (12 B)");
    let keys = || SessionKeys::from_session_keys(suite, &key, &salt, &[]);
    let master = MasterKey::new(suite, &vec![0; suite.master_key_len()], &[0; 12]).unwrap();
    let mut sender = SrtpSession::sender(SrtpPolicy::new(master.clone()));
    sender.set_session_keys(StreamDirection::Outbound, keys(), keys());
    let mut receiver = SrtpSession::receiver(SrtpPolicy::new(master));
    receiver.set_session_keys(StreamDirection::Inbound, keys(), keys());
    (sender, receiver)
}

fn check(suite: SrtpSuite, key_field: &str, rtp_marker: &str, rtcp_marker: &str) {
    let (mut sender, mut receiver) = session_pair(suite, key_field);
    let rtp = hex_after(FILE, "RTP packet (12-byte header");
    let srtp = hex_after(FILE, rtp_marker);
    assert_eq!(
        protect(&mut sender, Packet::Rtp, &rtp),
        srtp,
        "{suite} SRTP"
    );
    assert_eq!(unprotect(&mut receiver, Packet::Rtp, &srtp), rtp);

    let rtcp = hex_after(FILE, "RTCP packet (SR, SSRC");
    let srtcp = hex_after(FILE, rtcp_marker);
    sender.set_next_srtcp_index(0x4d61_7273, 0x5d4).unwrap();
    assert_eq!(
        protect(&mut sender, Packet::Rtcp, &rtcp),
        srtcp,
        "{suite} SRTCP"
    );
    assert_eq!(unprotect(&mut receiver, Packet::Rtcp, &srtcp), rtcp);
}

#[test]
fn aead_aes_128_gcm_srtp_and_srtcp() {
    check(
        SrtpSuite::AeadAes128Gcm,
        "AES-128 key",
        "16.1.1 AEAD_AES_128_GCM",
        "17.1 AEAD_AES_128_GCM SRTCP",
    );
}

#[test]
fn aead_aes_256_gcm_srtp_and_srtcp() {
    check(
        SrtpSuite::AeadAes256Gcm,
        "AES-256 key",
        "16.2.1 AEAD_AES_256_GCM",
        "17.2 AEAD_AES_256_GCM SRTCP",
    );
}

/// Unencrypted SRTCP under AES-GCM (RFC 7714 sec. 9.2: E = 0, the whole packet is
/// additional data). The expected bytes were computed outside this crate with Python's
/// `cryptography` AESGCM (the same script reproduces sec. 17.1's E = 1 packet exactly):
/// key and salt of sec. 17, the sec. 17 RTCP packet, SRTCP index 0x5d5.
#[test]
fn aead_aes_128_gcm_srtcp_with_e_flag_clear() {
    let (_, mut receiver) = session_pair(SrtpSuite::AeadAes128Gcm, "AES-128 key");
    let rtcp = hex_after(FILE, "RTCP packet (SR, SSRC");
    let protected = hex(
        "81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61\
         deadbeefdeadbeefdeadbeefdeadbeefdeadbeef\
         4fd046e63d8282b2e5a46ca3a2d91aae000005d5",
    );
    assert_eq!(unprotect(&mut receiver, Packet::Rtcp, &protected), rtcp);
    let mut forged = protected.clone();
    forged[10] ^= 1;
    let mut storage = forged.clone();
    let mut packet = super::super::PacketBuf::new(&mut storage, forged.len());
    assert!(receiver.unprotect_rtcp(&mut packet).is_err());
}
