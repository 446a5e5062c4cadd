//! Every GHASH backend against the `ghash` crate, and the scalar reference against the
//! test case of the GCM specification.

use ghash::universal_hash::{KeyInit, UniversalHash};
use proptest::prelude::*;

use super::{GhashBackend, GhashInput, GhashKey};

/// What the `ghash` crate computes for GCM: padded AAD, padded text, the length block.
fn reference(h: &[u8; 16], aad: &[u8], text: &[u8]) -> [u8; 16] {
    let mut g = ghash::GHash::new(h.into());
    g.update_padded(aad);
    g.update_padded(text);
    let mut lengths = [0u8; 16];
    lengths[..8].copy_from_slice(&((aad.len() as u64) * 8).to_be_bytes());
    lengths[8..].copy_from_slice(&((text.len() as u64) * 8).to_be_bytes());
    g.update(&[lengths.into()]);
    g.finalize().into()
}

fn hex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("valid hex in test")
}

#[test]
fn scalar_matches_gcm_spec_test_case_4() {
    // McGrew and Viega, "The Galois/Counter Mode of Operation", test case 4: H, A, C and
    // GHASH(H, A, C) as printed there.
    let h: [u8; 16] = hex("b83b533708bf535d0aa6e52980d53b78").try_into().unwrap();
    let a = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
    let c = hex(concat!(
        "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e",
        "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091"
    ));
    let expected = hex("698e57f70e6ecc7fd9463b7260a9ae5f");
    let key = GhashKey::new(&h);
    for backend in GhashBackend::ALL {
        let mut tag = [[0u8; 16]; 1];
        if key
            .ghash_batch_on(backend, &[GhashInput { aad: &a, text: &c }], &mut tag)
            .is_ok()
        {
            assert_eq!(tag[0].to_vec(), expected, "{}", backend.name());
        }
    }
}

#[test]
fn best_backend_is_available() {
    assert!(GhashBackend::best().is_available());
}

#[test]
fn unavailable_backend_is_refused_not_run() {
    let key = GhashKey::new(&[1; 16]);
    for backend in GhashBackend::ALL {
        let result = key.ghash_batch_on(backend, &[], &mut []);
        assert_eq!(result.is_ok(), backend.is_available());
    }
}

proptest! {
    #[test]
    fn every_backend_equals_ghash_crate(
        h in any::<[u8; 16]>(),
        data in proptest::collection::vec(any::<u8>(), 0..1600),
        aad_len in 0usize..80,
        start in 0usize..16,
    ) {
        let start = start.min(data.len());
        let aad_end = (start + aad_len).min(data.len());
        let aad = &data[start..aad_end];
        let text = &data[aad_end..];
        let expected = reference(&h, aad, text);
        let key = GhashKey::new(&h);
        for backend in GhashBackend::ALL {
            let mut tag = [[0u8; 16]; 1];
            if key.ghash_batch_on(backend, &[GhashInput { aad, text }], &mut tag).is_ok() {
                prop_assert_eq!(tag[0], expected, "{}", backend.name());
            }
        }
    }

    #[test]
    fn batch_hashes_each_packet(
        h in any::<[u8; 16]>(),
        packets in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..40),
             proptest::collection::vec(any::<u8>(), 0..300)),
            0..12),
    ) {
        let key = GhashKey::new(&h);
        let inputs: Vec<GhashInput<'_>> = packets
            .iter()
            .map(|(aad, text)| GhashInput { aad, text })
            .collect();
        let mut tags = vec![[0u8; 16]; inputs.len()];
        key.ghash_batch(&inputs, &mut tags);
        for ((aad, text), tag) in packets.iter().zip(&tags) {
            prop_assert_eq!(*tag, reference(&h, aad, text));
        }
    }
}
