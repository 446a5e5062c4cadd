//! The SIMD backends and run-time detection of which ones this CPU can run.
//!
//! Detection uses `std`'s feature macros, never compile-time flags, so one binary picks the
//! fastest path on every machine it lands on.

use core::fmt;

use crate::kernels::{KernelTable, Kernels, SCALAR};

/// An implementation of the kernels.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Portable scalar code, the reference ([`crate::scalar`]).
    Scalar,
    /// x86_64 with AVX2.
    Avx2,
    /// x86_64 with AVX-512 F and BW (and AVX2).
    Avx512,
    /// aarch64 with NEON.
    Neon,
}

impl Backend {
    /// Every backend, fastest first.
    pub const ALL: [Backend; 4] = [
        Backend::Avx512,
        Backend::Avx2,
        Backend::Neon,
        Backend::Scalar,
    ];

    /// A short lowercase name for logs: `"avx512"`, `"avx2"`, `"neon"` or `"scalar"`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Scalar => "scalar",
            Backend::Avx2 => "avx2",
            Backend::Avx512 => "avx512",
            Backend::Neon => "neon",
        }
    }

    /// Whether this CPU (and this build's target architecture) can run the backend.
    pub fn is_available(self) -> bool {
        self.table().is_some()
    }

    /// The backend's kernels, or `None` when this CPU cannot run them.
    pub fn kernels(self) -> Option<Kernels> {
        self.table().map(Kernels::detected)
    }

    /// The fastest backend this CPU can run; the scalar reference at worst.
    pub(crate) fn best_available() -> Kernels {
        Backend::ALL
            .iter()
            .find_map(|backend| backend.kernels())
            .unwrap_or(Kernels::detected(&SCALAR))
    }

    /// The backend's table if its features are detected, which is what `Kernels` relies on.
    fn table(self) -> Option<&'static KernelTable> {
        match self {
            Backend::Scalar => Some(&SCALAR),
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 if crate::x86_64::avx2::is_detected() => {
                Some(&crate::x86_64::avx2::KERNELS)
            }
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 if crate::x86_64::avx512::is_detected() => {
                Some(&crate::x86_64::avx512::KERNELS)
            }
            #[cfg(target_arch = "aarch64")]
            Backend::Neon if crate::aarch64::neon::is_detected() => {
                Some(&crate::aarch64::neon::KERNELS)
            }
            _ => None,
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
