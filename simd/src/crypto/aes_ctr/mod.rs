//! AES counter-mode keystream for whole batches of packets: SRTP's AES-CM (RFC 3711 4.1.1)
//! and the CTR half of AES-GCM (RFC 7714), XORed straight into the packets.
//!
//! The `aes` crate keeps eight blocks in flight with AES-NI, but a packet of ten blocks runs
//! as eight plus a latency-bound two, and it has no VAES path. Here the counter blocks of
//! all packets in a batch form one stream, kept 8 registers (32 blocks with VAES) in flight.
//!
//! Counter rule: block `i` of a job uses the job's counter block with `i` added to its last
//! 32 bits, big-endian, modulo 2^32 (GCM's `inc32`). For SRTP AES-CM, whose IV has 16 zero
//! low bits, that equals the RFC's 128-bit addition for any packet under 2^16 blocks (1 MiB).

mod scalar;
#[cfg(target_arch = "x86_64")]
mod x86_64;

#[cfg(test)]
mod tests;

use core::fmt;
use std::sync::OnceLock;

use super::BackendUnavailable;

/// An AES key with its round keys expanded, for counter-mode keystream.
#[derive(Clone)]
pub struct AesCtrKey {
    rounds: usize,
    round_keys: RoundKeys,
}

/// Round keys in FIPS-197 byte order, the layout AES-NI and VAES take them in.
#[derive(Clone)]
#[repr(C, align(16))]
struct RoundKeys([[u8; 16]; 15]);

impl fmt::Debug for AesCtrKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AesCtrKey")
            .field("rounds", &self.rounds)
            .finish_non_exhaustive()
    }
}

impl Drop for AesCtrKey {
    fn drop(&mut self) {
        for round_key in self.round_keys.0.iter_mut() {
            *round_key = [0; 16];
        }
    }
}

/// The key given to [`AesCtrKey::new`] is not 16, 24 or 32 bytes long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidAesKeyLength(pub usize);

impl fmt::Display for InvalidAesKeyLength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AES key of {} bytes; expected 16, 24 or 32", self.0)
    }
}

impl std::error::Error for InvalidAesKeyLength {}

/// One packet's share of a keystream batch: XOR the keystream that starts at `counter` into
/// `data`.
#[derive(Debug)]
pub struct CtrJob<'a> {
    /// The first counter block (for SRTP AES-CM the IV; for GCM J0 + 1).
    pub counter: [u8; 16],
    /// Bytes to encrypt or decrypt in place.
    pub data: &'a mut [u8],
}

impl AesCtrKey {
    /// Expands an AES-128, AES-192 or AES-256 key (16, 24 or 32 bytes).
    ///
    /// The expansion is constant-time scalar code and costs a few microseconds; do it once
    /// per session key.
    pub fn new(key: &[u8]) -> Result<Self, InvalidAesKeyLength> {
        if !matches!(key.len(), 16 | 24 | 32) {
            return Err(InvalidAesKeyLength(key.len()));
        }
        let mut round_keys = RoundKeys([[0; 16]; 15]);
        let rounds = scalar::expand_key(key, &mut round_keys.0);
        Ok(Self { rounds, round_keys })
    }

    /// Encrypts one block in place (for GCM's H = E(K, 0) and E(K, J0)).
    pub fn encrypt_block(&self, block: &mut [u8; 16]) {
        let mut jobs = [CtrJob {
            counter: *block,
            data: &mut [0u8; 16],
        }];
        self.run(AesCtrBackend::best(), &mut jobs);
        let [job] = jobs;
        block.copy_from_slice(job.data);
    }

    /// XORs the keystream starting at `counter` into `data`.
    pub fn apply_keystream(&self, counter: &[u8; 16], data: &mut [u8]) {
        self.run(
            AesCtrBackend::best(),
            &mut [CtrJob {
                counter: *counter,
                data,
            }],
        );
    }

    /// XORs each job's keystream into its data, all jobs in one pipeline.
    pub fn apply_keystream_batch(&self, jobs: &mut [CtrJob<'_>]) {
        self.run(AesCtrBackend::best(), jobs);
    }

    /// [`AesCtrKey::apply_keystream_batch`] on a chosen backend, for tests and benchmarks.
    pub fn apply_keystream_batch_on(
        &self,
        backend: AesCtrBackend,
        jobs: &mut [CtrJob<'_>],
    ) -> Result<(), BackendUnavailable> {
        if !backend.is_available() {
            return Err(BackendUnavailable(backend.name()));
        }
        self.run(backend, jobs);
        Ok(())
    }

    /// Runs `backend`, which the caller has checked is available.
    fn run(&self, backend: AesCtrBackend, jobs: &mut [CtrJob<'_>]) {
        match backend {
            #[cfg(target_arch = "x86_64")]
            AesCtrBackend::Vaes512 => {
                // SAFETY: callers pass only backends whose features `is_available` detected.
                unsafe { x86_64::apply_keystream_vaes512(&self.round_keys, self.rounds, jobs) }
            }
            #[cfg(target_arch = "x86_64")]
            AesCtrBackend::AesNi => {
                // SAFETY: callers pass only backends whose features `is_available` detected.
                unsafe { x86_64::apply_keystream_aesni(&self.round_keys, self.rounds, jobs) }
            }
            _ => scalar::apply_keystream(&self.round_keys.0, self.rounds, jobs),
        }
    }
}

/// An implementation of the AES-CTR keystream.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AesCtrBackend {
    /// Portable, constant-time, and two orders of magnitude slower than hardware AES: a
    /// reference. Where it is all a CPU has, keep using the `aes` crate instead.
    Scalar,
    /// x86_64 AES-NI: one block per instruction, eight blocks in flight.
    AesNi,
    /// x86_64 VAES with AVX-512 (F, BW): four blocks per instruction, 32 in flight.
    Vaes512,
}

impl AesCtrBackend {
    /// Every backend, fastest first.
    pub const ALL: [AesCtrBackend; 3] = [
        AesCtrBackend::Vaes512,
        AesCtrBackend::AesNi,
        AesCtrBackend::Scalar,
    ];

    /// A short name for logs.
    pub fn name(self) -> &'static str {
        match self {
            AesCtrBackend::Scalar => "scalar",
            AesCtrBackend::AesNi => "aes-ni",
            AesCtrBackend::Vaes512 => "vaes-avx512",
        }
    }

    /// Whether this CPU can run the backend.
    pub fn is_available(self) -> bool {
        match self {
            AesCtrBackend::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            AesCtrBackend::AesNi => x86_64::aesni_detected(),
            #[cfg(target_arch = "x86_64")]
            AesCtrBackend::Vaes512 => x86_64::vaes512_detected(),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The fastest available backend, detected once per process.
    pub fn best() -> AesCtrBackend {
        static BEST: OnceLock<AesCtrBackend> = OnceLock::new();
        *BEST.get_or_init(|| {
            AesCtrBackend::ALL
                .into_iter()
                .find(|backend| backend.is_available())
                .unwrap_or(AesCtrBackend::Scalar)
        })
    }
}
