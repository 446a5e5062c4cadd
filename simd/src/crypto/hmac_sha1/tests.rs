//! Every HMAC-SHA1 backend against the `hmac` and `sha1` crates, and the RFC 2202 cases.

use hmac::{Hmac, Mac};
use proptest::prelude::*;
use sha1::{Digest, Sha1};

use super::{
    hmac_sha1_batch, hmac_sha1_batch_on, scalar, HmacSha1Backend, HmacSha1Job, HmacSha1Key,
    PaddedStream,
};

fn reference(key: &[u8], message: &[u8], suffix: &[u8]) -> [u8; 20] {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.update(suffix);
    mac.finalize().into_bytes().into()
}

fn hex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("valid hex in test")
}

#[test]
fn rfc_2202_test_cases() {
    let cases: [(Vec<u8>, Vec<u8>, &str); 4] = [
        (
            vec![0x0b; 20],
            b"Hi There".to_vec(),
            "b617318655057264e28bc0b6fb378c8ef146be00",
        ),
        (
            b"Jefe".to_vec(),
            b"what do ya want for nothing?".to_vec(),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
        ),
        (
            vec![0xaa; 20],
            vec![0xdd; 50],
            "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
        ),
        (
            vec![0xaa; 80],
            b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112",
        ),
    ];
    for (key, data, expected) in cases {
        let prepared = HmacSha1Key::new(&key);
        for backend in HmacSha1Backend::ALL {
            let mut tags = [[0u8; 20]; 1];
            let jobs = [HmacSha1Job {
                key: &prepared,
                message: &data,
                suffix: &[],
            }];
            if hmac_sha1_batch_on(backend, &jobs, &mut tags).is_ok() {
                assert_eq!(tags[0].to_vec(), hex(expected), "{}", backend.name());
            }
        }
    }
}

#[test]
fn scalar_sha1_equals_sha1_crate() {
    for len in [0, 1, 55, 56, 63, 64, 65, 119, 120, 200] {
        let message: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
        let expected: [u8; 20] = Sha1::digest(&message).into();
        assert_eq!(scalar::sha1(&message), expected, "length {len}");
    }
}

#[test]
fn padded_stream_lays_out_message_suffix_and_length() {
    let message = [1u8; 60];
    let stream = PaddedStream::new(&message, &[2, 3, 4, 5], 64);
    assert_eq!(stream.blocks(), 2);
    let mut block = [0u8; 64];
    stream.block(0, &mut block);
    assert_eq!(&block[..60], &message[..]);
    assert_eq!(&block[60..], &[2, 3, 4, 5]);
    stream.block(1, &mut block);
    assert_eq!(block[0], 0x80);
    assert!(block[1..56].iter().all(|&b| b == 0));
    assert_eq!(
        u64::from_be_bytes(block[56..].try_into().unwrap()),
        (64 + 64) * 8
    );
}

fn job_strategy() -> impl Strategy<Value = (Vec<u8>, Vec<u8>, Vec<u8>)> {
    (
        proptest::collection::vec(any::<u8>(), 0..100),
        proptest::collection::vec(any::<u8>(), 0..400),
        proptest::collection::vec(any::<u8>(), 0..6),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_backend_equals_hmac_crate(
        jobs in proptest::collection::vec(job_strategy(), 0..40),
    ) {
        let keys: Vec<HmacSha1Key> = jobs.iter().map(|(key, _, _)| HmacSha1Key::new(key)).collect();
        let batch: Vec<HmacSha1Job<'_>> = jobs
            .iter()
            .zip(&keys)
            .map(|((_, message, suffix), key)| HmacSha1Job { key, message, suffix })
            .collect();
        let expected: Vec<[u8; 20]> = jobs
            .iter()
            .map(|(key, message, suffix)| reference(key, message, suffix))
            .collect();
        for backend in HmacSha1Backend::ALL {
            let mut tags = vec![[0u8; 20]; batch.len()];
            if hmac_sha1_batch_on(backend, &batch, &mut tags).is_ok() {
                prop_assert_eq!(&tags, &expected, "{}", backend.name());
            }
        }
        let mut tags = vec![[0u8; 20]; batch.len()];
        hmac_sha1_batch(&batch, &mut tags);
        prop_assert_eq!(&tags, &expected);
    }
}

#[test]
fn shorter_tag_slice_limits_the_batch() {
    let key = HmacSha1Key::new(b"k");
    let jobs = vec![
        HmacSha1Job {
            key: &key,
            message: b"abc",
            suffix: &[]
        };
        20
    ];
    for backend in HmacSha1Backend::ALL {
        let mut tags = vec![[0u8; 20]; 3];
        if hmac_sha1_batch_on(backend, &jobs, &mut tags).is_ok() {
            assert!(
                tags.iter().all(|t| *t == reference(b"k", b"abc", &[])),
                "{}",
                backend.name()
            );
        }
    }
}
