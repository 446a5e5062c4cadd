//! Crypto kernels for SRTP's hot path, where the RustCrypto crates (`ghash`, `aes`,
//! `hmac`/`sha1`) spend most of a small packet's time in per-block latency: GHASH with
//! precomputed powers of H and one reduction per 16 blocks ([`ghash`]), and AES counter
//! mode with the blocks of a whole batch in one VAES pipeline ([`aes_ctr`]), and HMAC-SHA1
//! over 16 packets at once with AVX-512 ([`hmac_sha1`]).
//!
//! Each kernel has a portable reference beside its vector paths, picks its backend once per
//! process by run-time detection, and lets tests and benchmarks call a chosen backend.

use core::fmt;

pub mod aes_ctr;
pub mod ghash;
pub mod hmac_sha1;

pub use aes_ctr::{AesCtrBackend, AesCtrKey, CtrJob, InvalidAesKeyLength};
pub use ghash::{GhashBackend, GhashInput, GhashKey};
pub use hmac_sha1::{
    hmac_sha1_batch, hmac_sha1_batch_on, HmacSha1Backend, HmacSha1Job, HmacSha1Key,
};

/// A backend was requested that this CPU (or this build's architecture) cannot run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackendUnavailable(pub &'static str);

impl fmt::Display for BackendUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "crypto backend {} is not available on this CPU", self.0)
    }
}

impl std::error::Error for BackendUnavailable {}
