//! RFC 3711 Appendix B.1 (AES-f8), B.2 (AES-CM keystream) and B.3 (key derivation).

use super::super::kdf::{derive, KeyDerivationRate, Label};
use super::super::session_keys::SessionKeys;
use super::super::{MasterKey, SrtpPolicy, SrtpSession, SrtpSuite, StreamDirection};
use super::{hex, hex_after, hex_field, protect, unprotect, Packet};

const FILE: &str = include_str!("../vectors/rfc3711_appendix_B.txt");

/// The B.2 section's "counter keystream" table rows.
fn keystream_rows() -> Vec<(Vec<u8>, Vec<u8>)> {
    let section = &FILE[FILE.find("B.2.").unwrap()..FILE.find("B.3.").unwrap()];
    section
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let (counter, stream) = (words.next()?, words.next()?);
            (counter.len() == 32 && stream.len() == 32 && counter.starts_with("F0F1"))
                .then(|| (hex(counter), hex(stream)))
        })
        .collect()
}

fn b2_keys() -> SessionKeys {
    let section = &FILE[FILE.find("B.2.").unwrap()..];
    let key = hex_field(section, "Session Key:");
    let salt = hex_field(section, "Session Salt:");
    // The salt is printed "already shifted": 14 bytes followed by the two zero bytes.
    assert_eq!(&salt[14..], &[0, 0]);
    SessionKeys::from_session_keys(SrtpSuite::AesCm128HmacSha1_80, &key, &salt[..14], &[0; 20])
}

#[test]
fn b2_aes_cm_keystream_whole_segment() {
    let rows = keystream_rows();
    assert_eq!(rows.len(), 6, "B.2 table rows");
    let segment_blocks = 65282;
    let keystream = super::super::chunk_crypto::cm_keystream(&b2_keys(), 0, 0, segment_blocks * 16);
    for (counter, expected) in rows {
        let j = usize::from(u16::from_be_bytes([counter[14], counter[15]]));
        assert_eq!(
            &keystream[j * 16..j * 16 + 16],
            &expected[..],
            "block {j:#x}"
        );
    }
}

/// The first three B.2 blocks again, end to end: protecting an RTP packet with SSRC 0,
/// SEQ 0, ROC 0 and a zero payload exposes the keystream.
#[test]
fn b2_keystream_through_protect() {
    let rows = keystream_rows();
    let key = MasterKey::from_key_salt(SrtpSuite::AesCm128HmacSha1_80, &[0; 30]).unwrap();
    let mut session = SrtpSession::sender(SrtpPolicy::new(key));
    let keys = b2_keys();
    let rtcp_keys = b2_keys();
    session.set_session_keys(StreamDirection::Outbound, keys, rtcp_keys);
    let mut rtp = vec![0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    rtp.extend_from_slice(&[0; 48]);
    let out = protect(&mut session, Packet::Rtp, &rtp);
    for (i, (_, expected)) in rows.iter().take(3).enumerate() {
        assert_eq!(&out[12 + 16 * i..28 + 16 * i], &expected[..]);
    }
}

#[test]
fn b3_key_derivation() {
    let section = &FILE[FILE.find("B.3.").unwrap()..];
    let master_key = hex_field(section, "master key:");
    let master_salt = hex_field(section, "master salt:");
    let cipher_key = hex_field(section, "cipher key:");
    let cipher_salt = hex_field(section, "cipher salt:");
    let auth_key: Vec<u8> = section
        .lines()
        .skip_while(|l| !l.contains("auth key                           AES input blocks"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .flat_map(|l| hex(l.split_whitespace().next().unwrap()))
        .collect();
    assert_eq!(auth_key.len(), 94);
    let kdr = KeyDerivationRate::ZERO;
    let mut out = vec![0u8; 94];
    derive(
        &master_key,
        &master_salt,
        kdr,
        Label::RtpEncryption,
        0,
        &mut out[..16],
    );
    assert_eq!(&out[..16], &cipher_key[..]);
    derive(
        &master_key,
        &master_salt,
        kdr,
        Label::RtpSalt,
        0,
        &mut out[..14],
    );
    assert_eq!(&out[..14], &cipher_salt[..]);
    derive(
        &master_key,
        &master_salt,
        kdr,
        Label::RtpAuthentication,
        0,
        &mut out,
    );
    assert_eq!(out, auth_key);
}

/// B.1: the f8 ciphertext of the printed RTP packet, through protect and unprotect (the
/// vector has no authentication key, so the tag is not compared).
#[test]
fn b1_aes_f8_packet() {
    let section = &FILE[FILE.find("B.1.").unwrap()..FILE.find("B.2.").unwrap()];
    let header = hex_field(section, "RTP packet header");
    let payload = [
        hex_field(section, "RTP packet payload"),
        hex_after(section, "RTP packet payload"),
    ]
    .concat();
    let payload = &payload[..];
    let roc = u32::from_be_bytes(hex_field(section, "ROC").try_into().unwrap());
    let key = hex_field(section, "key      ");
    let salt = hex_field(section, "salt key");
    let ciphertext: Vec<u8> = section
        .lines()
        .filter(|l| l.trim_start().starts_with("ciphertext"))
        .flat_map(|l| hex(l.split_once(':').unwrap().1))
        .collect();
    assert_eq!(ciphertext.len(), payload.len());

    let suite = SrtpSuite::AesF8_128HmacSha1_80;
    let keys = || SessionKeys::from_session_keys(suite, &key, &salt, &[0; 20]);
    let master = MasterKey::from_key_salt(suite, &[0; 30]).unwrap();
    let mut sender = SrtpSession::sender(SrtpPolicy::new(master.clone()));
    sender.set_session_keys(StreamDirection::Outbound, keys(), keys());
    let mut receiver = SrtpSession::receiver(SrtpPolicy::new(master));
    receiver.set_session_keys(StreamDirection::Inbound, keys(), keys());
    let ssrc = u32::from_be_bytes(header[8..12].try_into().unwrap());
    sender
        .set_roc(StreamDirection::Outbound, ssrc, roc)
        .unwrap();
    receiver
        .set_roc(StreamDirection::Inbound, ssrc, roc)
        .unwrap();

    let packet = [&header[..], payload].concat();
    let out = protect(&mut sender, Packet::Rtp, &packet);
    assert_eq!(&out[..header.len()], &header[..]);
    assert_eq!(&out[header.len()..packet.len()], &ciphertext[..]);
    assert_eq!(unprotect(&mut receiver, Packet::Rtp, &out), packet);
}
