//! AES counter mode over the payloads of a group of packets, XORed in place: SRTP's AES-CM
//! (RFC 3711 sec. 4.1.1, RFC 6188) and the counter half of AES-GCM (RFC 7714).
//!
//! One key state per session key, on the implementation [`CryptoPaths`] picked: the
//! medianode-simd kernel, which runs the blocks of every job in one pipeline, or the `aes`
//! crate eight blocks per call. Both follow the kernel's counter rule: block `i` of a job
//! uses its counter block with `i` added to the last 32 bits, big-endian, modulo 2^32
//! (GCM's `inc32`, and RFC 3711's addition for any packet under 2^16 blocks).
//!
//! [`CryptoPaths`]: super::crypto_path::CryptoPaths

use medianode_simd::crypto::{AesCtrKey, CtrJob};
use medianode_simd::xor_in_place;

use super::aes_block::{AesBlockCipher, BLOCK_LEN};
use super::crypto_path::Implementation;

/// An expanded AES key for counter-mode keystream.
// The kernel's key is the large variant and the common one; boxing it would put a pointer
// chase on the packet path.
#[allow(clippy::large_enum_variant)]
pub(crate) enum AesCtr {
    Simd(AesCtrKey),
    /// Boxed: the crate's key (with its software fallback) is four times the kernel's, and
    /// this variant is the rare one.
    RustCrypto(Box<AesBlockCipher>),
}

/// Blocks the `aes` crate path encrypts per call: what its AES-NI backend keeps in flight.
const CRATE_BLOCKS_PER_CALL: usize = 8;

impl AesCtr {
    /// Expands a 16-, 24- or 32-byte key; any other length is a caller bug reported as `None`.
    pub(crate) fn new(key: &[u8], implementation: Implementation) -> Option<Self> {
        match implementation {
            Implementation::Simd => AesCtrKey::new(key).ok().map(Self::Simd),
            Implementation::RustCrypto => {
                AesBlockCipher::new(key).map(|c| Self::RustCrypto(Box::new(c)))
            }
        }
    }

    /// XORs each job's keystream into its data.
    pub(crate) fn apply_keystream_batch(&self, jobs: &mut [CtrJob<'_>]) {
        match self {
            Self::Simd(key) => key.apply_keystream_batch(jobs),
            Self::RustCrypto(cipher) => {
                for job in jobs {
                    apply_with_crate(cipher, &job.counter, job.data);
                }
            }
        }
    }

    /// Encrypts one block in place (GCM's hash subkey `H = E(K, 0^128)`).
    pub(crate) fn encrypt_block(&self, block: &mut [u8; BLOCK_LEN]) {
        match self {
            Self::Simd(key) => key.encrypt_block(block),
            Self::RustCrypto(cipher) => cipher.encrypt_block(block),
        }
    }
}

/// The keystream from `counter` XORed into `data`, through the `aes` crate.
fn apply_with_crate(cipher: &AesBlockCipher, counter: &[u8; BLOCK_LEN], data: &mut [u8]) {
    let [prefix @ .., c0, c1, c2, c3] = *counter;
    let mut low = u32::from_be_bytes([c0, c1, c2, c3]);
    let mut keystream = [0u8; CRATE_BLOCKS_PER_CALL * BLOCK_LEN];
    for chunk in data.chunks_mut(keystream.len()) {
        let used = chunk.len().div_ceil(BLOCK_LEN) * BLOCK_LEN;
        for block in keystream[..used].chunks_exact_mut(BLOCK_LEN) {
            let (high, word) = block.split_at_mut(BLOCK_LEN - 4);
            high.copy_from_slice(&prefix);
            word.copy_from_slice(&low.to_be_bytes());
            low = low.wrapping_add(1);
        }
        cipher.encrypt_blocks(&mut keystream[..used]);
        xor_in_place(chunk, &keystream);
    }
}

#[cfg(test)]
mod tests {
    use super::super::vector_tests::hex;
    use super::*;
    use proptest::prelude::*;

    /// FIPS-197 appendix C.1 / C.3 single-block vectors, on both implementations.
    #[test]
    fn fips197_block_on_both_implementations() {
        let key: Vec<u8> = (0u8..32).collect();
        let plain = hex("00112233445566778899aabbccddeeff");
        for (len, expect) in [
            (16, "69c4e0d86a7b0430d8cdb78070b4c55a"),
            (32, "8ea2b7ca516745bfeafc49904b496089"),
        ] {
            for implementation in [Implementation::Simd, Implementation::RustCrypto] {
                let cipher = AesCtr::new(&key[..len], implementation).unwrap();
                let mut block: [u8; 16] = plain.clone().try_into().unwrap();
                cipher.encrypt_block(&mut block);
                assert_eq!(
                    block.to_vec(),
                    hex(expect),
                    "{implementation:?} AES-{}",
                    len * 8
                );
            }
        }
        assert!(AesCtr::new(&key[..20], Implementation::Simd).is_none());
        assert!(AesCtr::new(&key[..20], Implementation::RustCrypto).is_none());
    }

    proptest! {
        /// The crate path produces the kernel's keystream for any batch, including counters
        /// whose low word wraps inside a job.
        #[test]
        fn crate_path_equals_kernel(
            key_len in prop::sample::select(vec![16usize, 24, 32]),
            key_byte in any::<u8>(),
            jobs in prop::collection::vec(
                (any::<[u8; 12]>(), 0xFFFF_FFF0u32..=u32::MAX, 0usize..300),
                0..20,
            ),
        ) {
            let key: Vec<u8> = (0..key_len as u8).map(|i| i ^ key_byte).collect();
            let simd = AesCtr::new(&key, Implementation::Simd).unwrap();
            let crate_path = AesCtr::new(&key, Implementation::RustCrypto).unwrap();
            let run = |cipher: &AesCtr| {
                let mut buffers: Vec<Vec<u8>> =
                    jobs.iter().map(|&(_, _, len)| (0..len).map(|i| i as u8).collect()).collect();
                let mut batch: Vec<CtrJob<'_>> = jobs
                    .iter()
                    .zip(buffers.iter_mut())
                    .map(|(&(high, low, _), data)| {
                        let mut counter = [0u8; 16];
                        counter[..12].copy_from_slice(&high);
                        counter[12..].copy_from_slice(&low.to_be_bytes());
                        CtrJob { counter, data }
                    })
                    .collect();
                cipher.apply_keystream_batch(&mut batch);
                drop(batch);
                buffers
            };
            prop_assert_eq!(run(&simd), run(&crate_path));
        }
    }
}
