//! GHASH, the authenticator of AES-GCM (NIST SP 800-38D) and so of SRTP's AEAD_AES_*_GCM
//! suites (RFC 7714), over whole packets.
//!
//! The `ghash` crate multiplies and reduces once per 16-byte block, a chain whose latency
//! dominates a small packet. Here a key carries the powers H^1..H^16, so up to 16 blocks
//! (AAD, text and length block of a ~200-byte packet) are multiplied independently, four or
//! two per VPCLMULQDQ, summed, and reduced once. The vector paths work in the POLYVAL
//! representation of the field (RFC 8452 appendix A), where byte-reversed blocks need no bit
//! reflection; the `scalar` module, bit by bit after SP 800-38D, is the reference.

mod scalar;
#[cfg(target_arch = "x86_64")]
mod x86_64;

#[cfg(test)]
mod tests;

use core::fmt;
use std::sync::OnceLock;

use super::BackendUnavailable;

/// How many powers of H a key holds: the most blocks reduced at once.
const POWERS: usize = 16;

/// Blocks in the power table: the powers, then zeros that the last, partly used vector
/// load of a window may touch.
const TABLE_BLOCKS: usize = POWERS + 4;

/// The block GCM appends to the hashed data: both lengths in bits, big-endian.
fn length_block(aad_len: usize, text_len: usize) -> u128 {
    let aad_bits = (aad_len as u128) << 3;
    let text_bits = (text_len as u128) << 3;
    ((aad_bits & u128::from(u64::MAX)) << 64) | (text_bits & u128::from(u64::MAX))
}

/// The POLYVAL field element that stands for GCM element `g` as a multiplier (RFC 8452
/// appendix A: `mulX_POLYVAL(ByteReverse(g))`), as little-endian 64-bit halves.
fn polyval_multiplier(g: u128) -> [u64; 2] {
    // ByteReverse(block) read as a little-endian integer is the block read big-endian: `g`.
    let v = g;
    let carry = v >> 127;
    let x = (v << 1) ^ (0xc200_0000_0000_0000_0000_0000_0000_0001 & carry.wrapping_neg());
    [x as u64, (x >> 64) as u64]
}

/// A GHASH key (the hash subkey H = AES_K(0^128)) with its powers precomputed.
///
/// Building one costs a few microseconds (sixteen constant-time field multiplications);
/// build it once per session key.
#[derive(Clone)]
pub struct GhashKey {
    h: u128,
    /// `table.0[i]` is H^(16 - i) as a POLYVAL multiplier, for i < 16; then zeros.
    table: PowerTable,
}

#[derive(Clone)]
#[repr(C, align(64))]
struct PowerTable([[u64; 2]; TABLE_BLOCKS]);

impl fmt::Debug for GhashKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GhashKey { .. }")
    }
}

impl Drop for GhashKey {
    fn drop(&mut self) {
        self.h = 0;
        for entry in self.table.0.iter_mut() {
            *entry = [0; 2];
        }
    }
}

impl GhashKey {
    /// Prepares the key for hash subkey `h` (the AES encryption of the zero block).
    pub fn new(h: &[u8; 16]) -> Self {
        let h = u128::from_be_bytes(*h);
        let mut table = PowerTable([[0; 2]; TABLE_BLOCKS]);
        let mut power = h;
        for k in 1..=POWERS {
            table.0[POWERS - k] = polyval_multiplier(power);
            power = scalar::gf_mul(power, h);
        }
        Self { h, table }
    }

    /// GHASH of one packet: `aad` and `text` each zero-padded to whole blocks, then the
    /// block of their lengths in bits, as GCM defines it. Uses [`GhashBackend::best`].
    pub fn ghash(&self, aad: &[u8], text: &[u8]) -> [u8; 16] {
        let mut tag = [[0u8; 16]; 1];
        self.run(GhashBackend::best(), &[GhashInput { aad, text }], &mut tag);
        tag[0]
    }

    /// GHASH of several packets under this key, `tags[i]` for `inputs[i]`, over
    /// `inputs.len().min(tags.len())` packets. Uses [`GhashBackend::best`].
    pub fn ghash_batch(&self, inputs: &[GhashInput<'_>], tags: &mut [[u8; 16]]) {
        self.run(GhashBackend::best(), inputs, tags);
    }

    /// [`GhashKey::ghash_batch`] on a chosen backend, for tests and benchmarks.
    pub fn ghash_batch_on(
        &self,
        backend: GhashBackend,
        inputs: &[GhashInput<'_>],
        tags: &mut [[u8; 16]],
    ) -> Result<(), BackendUnavailable> {
        if !backend.is_available() {
            return Err(BackendUnavailable(backend.name()));
        }
        self.run(backend, inputs, tags);
        Ok(())
    }

    /// Runs `backend`, which the caller has checked is available.
    fn run(&self, backend: GhashBackend, inputs: &[GhashInput<'_>], tags: &mut [[u8; 16]]) {
        match backend {
            #[cfg(target_arch = "x86_64")]
            GhashBackend::Avx512Vpclmulqdq => {
                // SAFETY: callers pass only backends whose features `is_available` detected.
                unsafe { x86_64::ghash_batch_avx512(&self.table, inputs, tags) }
            }
            #[cfg(target_arch = "x86_64")]
            GhashBackend::Avx2Vpclmulqdq => {
                // SAFETY: callers pass only backends whose features `is_available` detected.
                unsafe { x86_64::ghash_batch_avx2(&self.table, inputs, tags) }
            }
            _ => {
                for (input, tag) in inputs.iter().zip(tags.iter_mut()) {
                    *tag = scalar::ghash(self.h, input.aad, input.text);
                }
            }
        }
    }
}

/// One packet's data for GHASH.
#[derive(Debug, Clone, Copy)]
pub struct GhashInput<'a> {
    /// Additional authenticated data (for SRTP the RTP header; for SRTCP header and index).
    pub aad: &'a [u8],
    /// The ciphertext.
    pub text: &'a [u8],
}

/// An implementation of GHASH.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GhashBackend {
    /// Portable bit-by-bit reference; constant-time, slow.
    Scalar,
    /// x86_64 AVX2 with VPCLMULQDQ: two blocks per carry-less multiply.
    Avx2Vpclmulqdq,
    /// x86_64 AVX-512 (F, BW) with VPCLMULQDQ: four blocks per carry-less multiply.
    Avx512Vpclmulqdq,
}

impl GhashBackend {
    /// Every backend, fastest first.
    pub const ALL: [GhashBackend; 3] = [
        GhashBackend::Avx512Vpclmulqdq,
        GhashBackend::Avx2Vpclmulqdq,
        GhashBackend::Scalar,
    ];

    /// A short name for logs.
    pub fn name(self) -> &'static str {
        match self {
            GhashBackend::Scalar => "scalar",
            GhashBackend::Avx2Vpclmulqdq => "avx2-vpclmulqdq",
            GhashBackend::Avx512Vpclmulqdq => "avx512-vpclmulqdq",
        }
    }

    /// Whether this CPU can run the backend.
    pub fn is_available(self) -> bool {
        match self {
            GhashBackend::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            GhashBackend::Avx2Vpclmulqdq => x86_64::avx2_detected(),
            #[cfg(target_arch = "x86_64")]
            GhashBackend::Avx512Vpclmulqdq => x86_64::avx512_detected(),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The fastest available backend, detected once per process.
    pub fn best() -> GhashBackend {
        static BEST: OnceLock<GhashBackend> = OnceLock::new();
        *BEST.get_or_init(|| {
            GhashBackend::ALL
                .into_iter()
                .find(|backend| backend.is_available())
                .unwrap_or(GhashBackend::Scalar)
        })
    }
}
