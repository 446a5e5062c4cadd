//! Which implementation runs a session key's AES counter mode and GHASH: medianode-simd's
//! batch kernels, or the RustCrypto crates.
//!
//! The kernels are the packet path: keystream for a whole group of packets in one AES-NI or
//! VAES pipeline, GHASH with precomputed powers of H on VPCLMULQDQ. On a CPU without those
//! instructions each kernel falls back to its portable reference, which is constant-time
//! but orders of magnitude slower (a computed S-box; bit-by-bit field multiplication),
//! while the `aes` and `ghash` crates still have AES-NI / ARMv8 AES, PCLMULQDQ / PMULL or
//! fast bitsliced software. So the choice is made per CPU, once per process: the kernel
//! unless its best backend is that reference. A session key holds the state of exactly one
//! of the two (see [`AesCtr`](super::aes_ctr::AesCtr) and [`Ghash`](super::ghash::Ghash)).
//!
//! HMAC-SHA1 needs no such choice: the kernel's single-stream fallbacks (SHA-NI, or SHA-1
//! in plain Rust) are ordinary implementations, not slow references, so the engine always
//! uses the kernel. (On aarch64 the `sha1` crate's SHA1 instructions would be faster; that
//! path belongs in medianode-simd.)

use medianode_simd::crypto::{AesCtrBackend, GhashBackend};

/// One of the two implementations of a primitive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Implementation {
    /// medianode-simd's batch kernel.
    Simd,
    /// The RustCrypto crate (`aes` or `ghash`).
    RustCrypto,
}

impl Implementation {
    /// The kernel, unless the best it can do on this CPU is its slow reference.
    fn unless_reference(reference_only: bool) -> Self {
        if reference_only {
            Self::RustCrypto
        } else {
            Self::Simd
        }
    }
}

/// The implementations a session key is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CryptoPaths {
    pub(crate) aes_ctr: Implementation,
    pub(crate) ghash: Implementation,
}

impl CryptoPaths {
    /// What this CPU runs fastest (the kernels' detection is cached, so this is cheap).
    pub(crate) fn detected() -> Self {
        Self {
            aes_ctr: Implementation::unless_reference(
                AesCtrBackend::best() == AesCtrBackend::Scalar,
            ),
            ghash: Implementation::unless_reference(GhashBackend::best() == GhashBackend::Scalar),
        }
    }

    /// Both primitives on one implementation (tests compare the two end to end).
    #[cfg(test)]
    pub(crate) fn all(implementation: Implementation) -> Self {
        Self {
            aes_ctr: implementation,
            ghash: implementation,
        }
    }
}
