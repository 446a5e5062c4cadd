//! A real SRTP call (rtpproxy's alice_srtp.pcap, AES_CM_128_HMAC_SHA1_80) through the batch
//! API: every one of its 1556 packets must authenticate and decrypt to plausible G.722 RTP,
//! and protecting the decrypted packets again must reproduce the capture byte for byte.

mod srtp_common;

use medianode_dataplane::srtp::{
    PacketBuf, SdesKey, SrtpPolicy, SrtpSession, SrtpSuite, StreamDirection,
};

const PCAP: &[u8] = include_bytes!("fixtures/alice_srtp.pcap");
const ARGS: &str = include_str!("fixtures/alice_to_bob.args");

fn alice_key() -> SdesKey {
    let arg = ARGS
        .split_whitespace()
        .find_map(|a| a.strip_prefix("--alice-crypto="))
        .expect("alice key in args");
    let (suite, key) = arg.split_once(':').unwrap();
    let suite = SrtpSuite::from_sdes_name(suite).unwrap();
    assert_eq!(suite, SrtpSuite::AesCm128HmacSha1_80);
    SdesKey::parse(suite, key).unwrap()
}

#[test]
fn all_1556_packets_authenticate_and_reprotect_identically() {
    let captured = srtp_common::udp_payloads(PCAP);
    assert_eq!(captured.len(), 1556);
    let key = alice_key().master_key;
    let mut receiver = SrtpSession::receiver(SrtpPolicy::new(key.clone()));
    let mut sender = SrtpSession::sender(SrtpPolicy::new(key));

    let mut storage: Vec<Vec<u8>> = captured.iter().map(|p| srtp_common::storage(p)).collect();
    let mut results = vec![Ok(0); 32];
    let mut decrypted = Vec::new();
    for (chunk, originals) in storage.chunks_mut(32).zip(captured.chunks(32)) {
        let mut batch: Vec<PacketBuf<'_>> = chunk
            .iter_mut()
            .zip(originals)
            .map(|(s, p)| PacketBuf::new(s, p.len()))
            .collect();
        let n = receiver.unprotect_batch(&mut batch, &mut results);
        assert_eq!(n, batch.len());
        for (buf, result) in batch.iter().zip(&results) {
            let len = result.expect("every captured packet authenticates");
            decrypted.push(buf_bytes(buf, len));
        }
    }
    assert_eq!(decrypted.len(), 1556);
    for (plain, original) in decrypted.iter().zip(&captured) {
        assert_eq!(plain.len(), original.len() - 10, "80-bit tag removed");
        assert_eq!(plain[0], 0x80);
        assert_eq!(plain[1] & 0x7F, 9, "G.722");
        assert_eq!(&plain[..12], &original[..12], "header stays in clear");
    }
    let state = receiver
        .stream_state(StreamDirection::Inbound, 0x2a1a_d144)
        .unwrap();
    assert_eq!((state.roc, state.highest_sequence), (0, Some(16223)));

    // Re-protect in one big batch: keystream and tags must equal the capture's.
    let mut storage: Vec<Vec<u8>> = decrypted.iter().map(|p| srtp_common::storage(p)).collect();
    let mut batch: Vec<PacketBuf<'_>> = storage
        .iter_mut()
        .zip(&decrypted)
        .map(|(s, p)| PacketBuf::new(s, p.len()))
        .collect();
    let mut results = vec![Ok(0); batch.len()];
    sender.protect_batch(&mut batch, &mut results);
    for ((buf, result), original) in batch.iter().zip(&results).zip(&captured) {
        let len = result.expect("protect");
        assert_eq!(buf_bytes(buf, len), *original);
    }
}

fn buf_bytes(buf: &PacketBuf<'_>, len: usize) -> Vec<u8> {
    use medianode_dataplane::srtp::PacketBuffer;
    buf.storage()[..len].to_vec()
}
