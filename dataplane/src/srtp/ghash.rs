//! GHASH (NIST SP 800-38D), the authentication half of AES-GCM as RFC 7714 uses it, over a
//! group of packets at once.
//!
//! The hash subkey `H = E(K, 0^128)` is prepared once per session key on the implementation
//! [`CryptoPaths`] picked: medianode-simd's kernel, which keeps the powers of H and
//! reduces once per 16 blocks, or the `ghash` crate one packet at a time. The caller masks
//! each result with `E(K, J0)` to make the tag.
//!
//! [`CryptoPaths`]: super::crypto_path::CryptoPaths

use ghash::universal_hash::{KeyInit, UniversalHash};
use ghash::GHash;
use medianode_simd::crypto::{GhashInput, GhashKey};

use super::aes_block::BLOCK_LEN;
use super::crypto_path::Implementation;

/// A prepared GHASH key.
// The kernel's key with its table of powers of H is the large variant and the common one;
// boxing it would put a pointer chase on the packet path.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Ghash {
    Simd(GhashKey),
    RustCrypto(GHash),
}

impl Ghash {
    /// Prepares hash subkey `h`.
    pub(crate) fn new(h: &[u8; BLOCK_LEN], implementation: Implementation) -> Self {
        match implementation {
            Implementation::Simd => Self::Simd(GhashKey::new(h)),
            Implementation::RustCrypto => Self::RustCrypto(GHash::new(h.into())),
        }
    }

    /// `out[i]` = GHASH of `inputs[i]` (additional data and ciphertext, each zero-padded,
    /// then their lengths in bits), over `inputs.len().min(out.len())` packets.
    pub(crate) fn hash_batch(&self, inputs: &[GhashInput<'_>], out: &mut [[u8; BLOCK_LEN]]) {
        match self {
            Self::Simd(key) => key.ghash_batch(inputs, out),
            Self::RustCrypto(ghash) => {
                for (input, out) in inputs.iter().zip(out.iter_mut()) {
                    let mut state = ghash.clone();
                    state.update_padded(input.aad);
                    state.update_padded(input.text);
                    let mut lengths = [0u8; BLOCK_LEN];
                    let bits = |len: usize| (len as u64).wrapping_mul(8).to_be_bytes();
                    lengths[..8].copy_from_slice(&bits(input.aad.len()));
                    lengths[8..].copy_from_slice(&bits(input.text.len()));
                    state.update_padded(&lengths);
                    out.copy_from_slice(&state.finalize());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::aes_ctr::AesCtr;
    use super::super::vector_tests::hex;
    use super::*;
    use proptest::prelude::*;

    const BOTH: [Implementation; 2] = [Implementation::Simd, Implementation::RustCrypto];

    /// NIST GCM spec test case 2 (McGrew/Viega): K = 0, P = 0^128, IV = 0^96.
    /// C = 0388dace60b6a392f328c2b971b2fe78, T = ab6e47d42cec13bdf53a67b21257bddf.
    #[test]
    fn gcm_spec_test_case_2_on_both_implementations() {
        for implementation in BOTH {
            let cipher = AesCtr::new(&[0u8; 16], implementation).unwrap();
            let mut h = [0u8; 16];
            cipher.encrypt_block(&mut h);
            let ghash = Ghash::new(&h, implementation);
            let mut j0 = [0u8; 16];
            j0[15] = 1;
            let mut ctr = [0u8; 16];
            ctr[15] = 2;
            cipher.encrypt_block(&mut j0);
            cipher.encrypt_block(&mut ctr);
            assert_eq!(ctr.to_vec(), hex("0388dace60b6a392f328c2b971b2fe78"));
            let mut s = [[0u8; 16]; 1];
            ghash.hash_batch(
                &[GhashInput {
                    aad: &[],
                    text: &ctr,
                }],
                &mut s,
            );
            let tag: Vec<u8> = s[0].iter().zip(j0).map(|(a, b)| a ^ b).collect();
            assert_eq!(
                tag,
                hex("ab6e47d42cec13bdf53a67b21257bddf"),
                "{implementation:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn crate_path_equals_kernel(
            h in any::<[u8; 16]>(),
            packets in prop::collection::vec(
                (prop::collection::vec(any::<u8>(), 0..40), prop::collection::vec(any::<u8>(), 0..300)),
                0..20,
            ),
        ) {
            let inputs: Vec<GhashInput<'_>> = packets
                .iter()
                .map(|(aad, text)| GhashInput { aad, text })
                .collect();
            let run = |implementation| {
                let mut out = vec![[0u8; 16]; inputs.len()];
                Ghash::new(&h, implementation).hash_batch(&inputs, &mut out);
                out
            };
            prop_assert_eq!(run(Implementation::Simd), run(Implementation::RustCrypto));
        }
    }
}
