//! Every AES-CTR backend against the `aes` crate, and the key expansion against FIPS-197.

use aes::cipher::{generic_array::GenericArray, BlockEncrypt, KeyInit};
use proptest::prelude::*;

use super::{scalar, AesCtrBackend, AesCtrKey, CtrJob, InvalidAesKeyLength};

fn hex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("valid hex in test")
}

/// E(K, block) with the `aes` crate.
fn aes_crate_encrypt(key: &[u8], block: &[u8; 16]) -> [u8; 16] {
    let mut b = GenericArray::clone_from_slice(block);
    match key.len() {
        16 => aes::Aes128::new_from_slice(key)
            .unwrap()
            .encrypt_block(&mut b),
        24 => aes::Aes192::new_from_slice(key)
            .unwrap()
            .encrypt_block(&mut b),
        _ => aes::Aes256::new_from_slice(key)
            .unwrap()
            .encrypt_block(&mut b),
    }
    b.into()
}

/// Counter mode with inc32 built on the `aes` crate.
fn reference(key: &[u8], counter: &[u8; 16], data: &mut [u8]) {
    for (i, chunk) in data.chunks_mut(16).enumerate() {
        let keystream = aes_crate_encrypt(key, &scalar::counter_plus(counter, i as u32));
        for (d, k) in chunk.iter_mut().zip(keystream) {
            *d ^= k;
        }
    }
}

#[test]
fn fips_197_appendix_c_examples() {
    let plaintext: [u8; 16] = hex("00112233445566778899aabbccddeeff").try_into().unwrap();
    let cases = [
        (
            "000102030405060708090a0b0c0d0e0f",
            "69c4e0d86a7b0430d8cdb78070b4c55a",
        ),
        (
            "000102030405060708090a0b0c0d0e0f1011121314151617",
            "dda97ca4864cdfe06eaf70a0ec0d7191",
        ),
        (
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            "8ea2b7ca516745bfeafc49904b496089",
        ),
    ];
    for (key, expected) in cases {
        let key = AesCtrKey::new(&hex(key)).unwrap();
        for backend in AesCtrBackend::ALL {
            // Counter mode over zero data yields E(K, counter).
            let mut block = [0u8; 16];
            let mut jobs = [CtrJob {
                counter: plaintext,
                data: &mut block,
            }];
            if key.apply_keystream_batch_on(backend, &mut jobs).is_ok() {
                assert_eq!(block.to_vec(), hex(expected), "{}", backend.name());
            }
        }
        let mut block = plaintext;
        key.encrypt_block(&mut block);
        assert_eq!(block.to_vec(), hex(expected));
    }
}

#[test]
fn key_lengths_other_than_aes_are_refused() {
    for len in [0, 15, 17, 20, 30, 33] {
        assert_eq!(
            AesCtrKey::new(&vec![0; len]).unwrap_err(),
            InvalidAesKeyLength(len)
        );
    }
}

#[test]
fn best_backend_is_available() {
    assert!(AesCtrBackend::best().is_available());
}

fn key_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 16),
        proptest::collection::vec(any::<u8>(), 24),
        proptest::collection::vec(any::<u8>(), 32),
    ]
}

fn counter_strategy() -> impl Strategy<Value = [u8; 16]> {
    // Low words near 2^32 exercise the inc32 wrap.
    (
        any::<[u8; 12]>(),
        prop_oneof![any::<u32>(), (0u32..8).prop_map(|d| u32::MAX - d)],
    )
        .prop_map(|(high, low)| {
            let mut counter = [0u8; 16];
            counter[..12].copy_from_slice(&high);
            counter[12..].copy_from_slice(&low.to_be_bytes());
            counter
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn every_backend_equals_aes_crate(
        key in key_strategy(),
        packets in proptest::collection::vec(
            (counter_strategy(), proptest::collection::vec(any::<u8>(), 0..400)),
            0..10),
    ) {
        let expanded = AesCtrKey::new(&key).unwrap();
        let mut expected = packets.clone();
        for (counter, data) in expected.iter_mut() {
            reference(&key, counter, data);
        }
        for backend in AesCtrBackend::ALL {
            let mut actual = packets.clone();
            let mut jobs: Vec<CtrJob<'_>> = actual
                .iter_mut()
                .map(|(counter, data)| CtrJob { counter: *counter, data })
                .collect();
            if expanded.apply_keystream_batch_on(backend, &mut jobs).is_ok() {
                prop_assert_eq!(&actual, &expected, "{}", backend.name());
            }
        }
    }

    #[test]
    fn single_packet_equals_aes_crate(
        key in key_strategy(),
        counter in counter_strategy(),
        data in proptest::collection::vec(any::<u8>(), 0..1500),
        start in 0usize..16,
    ) {
        let start = start.min(data.len());
        let mut expected = data.clone();
        reference(&key, &counter, &mut expected[start..]);
        let mut actual = data;
        AesCtrKey::new(&key).unwrap().apply_keystream(&counter, &mut actual[start..]);
        prop_assert_eq!(actual, expected);
    }
}
