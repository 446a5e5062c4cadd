//! Arbitrary bytes as SRTP/SRTCP packets under a fixed key: unprotect (single and batched,
//! every suite, with and without MKI and header extension encryption) must never panic. Bytes that protect as plaintext
//! must also unprotect back to themselves.
#![no_main]

use libfuzzer_sys::fuzz_target;
use medianode_dataplane::srtp::{
    MasterKey, Mki, PacketBuf, SrtpPolicy, SrtpSession, ALL_SUITES, MAX_OVERHEAD,
};

fn sessions(selector: u8) -> (SrtpSession, SrtpSession, SrtpSession) {
    let suite = ALL_SUITES[usize::from(selector & 0x0F) % ALL_SUITES.len()];
    let material: Vec<u8> = (0..suite.key_salt_len() as u8).collect();
    let mut key = MasterKey::from_key_salt(suite, &material).expect("fixed key fits suite");
    if selector & 0x20 != 0 {
        key = key.with_mki(Mki::new(&[0xA5, 0x01]).expect("valid MKI"));
    }
    let mut policy = SrtpPolicy::new(key);
    if selector & 0x40 != 0 {
        // RFC 6904 header extension encryption where the suite allows it.
        if let Ok(p) = policy
            .clone()
            .with_encrypted_header_extensions(&[1, 2, 3, 5, 8, 13, 200])
        {
            policy = p;
        }
    }
    (
        SrtpSession::sender(policy.clone()),
        SrtpSession::receiver(policy.clone()),
        SrtpSession::receiver(policy),
    )
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let rtcp = selector & 0x10 != 0;
    let (mut sender, mut receiver, mut round_trip) = sessions(selector);

    // Split the rest into packets: each prefixed by one length byte.
    let mut packets: Vec<Vec<u8>> = Vec::new();
    let mut at = rest;
    while let Some((&len, tail)) = at.split_first() {
        let take = usize::from(len).min(tail.len());
        packets.push(tail[..take].to_vec());
        at = &tail[take..];
    }

    // Batched unprotect of arbitrary bytes.
    let mut storage: Vec<Vec<u8>> = packets.clone();
    let mut bufs: Vec<PacketBuf<'_>> = storage
        .iter_mut()
        .map(|s| {
            let len = s.len();
            PacketBuf::new(s, len)
        })
        .collect();
    let mut results = vec![Ok(0); bufs.len()];
    if rtcp {
        receiver.unprotect_rtcp_batch(&mut bufs, &mut results);
    } else {
        receiver.unprotect_batch(&mut bufs, &mut results);
    }
    // A length beyond the buffer must be refused, not read.
    if let Some(first) = packets.first() {
        let mut s = first.clone();
        let mut buf = PacketBuf::new(&mut s, first.len() + 1);
        assert!(receiver.unprotect(&mut buf).is_err());
    }

    // Protect as plaintext; whatever protects must unprotect to the same bytes.
    for plain in &packets {
        let mut s = plain.clone();
        s.resize(plain.len() + MAX_OVERHEAD, 0);
        let mut buf = PacketBuf::new(&mut s, plain.len());
        let protected = if rtcp {
            sender.protect_rtcp(&mut buf)
        } else {
            sender.protect(&mut buf)
        };
        if let Ok(len) = protected {
            let mut buf = PacketBuf::new(&mut s, len);
            let back = if rtcp {
                round_trip.unprotect_rtcp(&mut buf)
            } else {
                round_trip.unprotect(&mut buf)
            };
            assert_eq!(back, Ok(plain.len()));
            assert_eq!(&s[..plain.len()], &plain[..]);
        }
    }
});
