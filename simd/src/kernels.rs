//! One backend's set of kernels, and the set chosen for this process.
//!
//! A [`Kernels`] value can only be obtained for a backend whose CPU features were detected
//! at run time (see [`Backend::kernels`]); that is what makes calling its `target_feature`
//! functions sound. The process-wide choice is made once, on first use, and cached.

use core::fmt;
use std::sync::OnceLock;

use crate::{dbov, Backend};

/// The functions of one backend.
///
/// Each pointer may be called only on a CPU that has the backend's target features; apart
/// from that, every function is safe for any input, including slices of different lengths.
pub(crate) struct KernelTable {
    pub(crate) backend: Backend,
    pub(crate) xor_in_place: unsafe fn(&mut [u8], &[u8]),
    pub(crate) accumulate: unsafe fn(&mut [i32], &[i16]),
    pub(crate) mix_minus: unsafe fn(&mut [i16], &[i32], &[i16]),
    pub(crate) saturate: unsafe fn(&mut [i16], &[i32]),
    pub(crate) apply_gain_q15: unsafe fn(&mut [i16], i16),
    pub(crate) sum_of_squares: unsafe fn(&[i16]) -> u64,
    pub(crate) ulaw_encode: unsafe fn(&mut [u8], &[i16]),
    pub(crate) ulaw_decode: unsafe fn(&mut [i16], &[u8]),
    pub(crate) alaw_encode: unsafe fn(&mut [u8], &[i16]),
    pub(crate) alaw_decode: unsafe fn(&mut [i16], &[u8]),
}

/// The scalar reference as a kernel table; it needs no CPU feature.
pub(crate) static SCALAR: KernelTable = KernelTable {
    backend: Backend::Scalar,
    xor_in_place: crate::scalar::xor_in_place,
    accumulate: crate::scalar::accumulate,
    mix_minus: crate::scalar::mix_minus,
    saturate: crate::scalar::saturate,
    apply_gain_q15: crate::scalar::apply_gain_q15,
    sum_of_squares: crate::scalar::sum_of_squares,
    ulaw_encode: crate::scalar::ulaw_encode,
    ulaw_decode: crate::scalar::ulaw_decode,
    alaw_encode: crate::scalar::alaw_encode,
    alaw_decode: crate::scalar::alaw_decode,
};

/// The kernels of one backend that this CPU supports.
///
/// The methods have the semantics of the crate-level functions of the same names; use this
/// type to call a particular backend (tests, benchmarks) rather than the process-wide one.
#[derive(Clone, Copy)]
pub struct Kernels {
    table: &'static KernelTable,
}

impl Kernels {
    /// Wraps `table`. Callers must have checked that the CPU supports `table.backend`.
    pub(crate) fn detected(table: &'static KernelTable) -> Self {
        Kernels { table }
    }

    /// The backend these kernels belong to.
    pub fn backend(self) -> Backend {
        self.table.backend
    }

    /// See [`crate::xor_in_place`].
    #[inline]
    pub fn xor_in_place(self, data: &mut [u8], keystream: &[u8]) {
        // SAFETY: a `Kernels` exists only for a backend whose features were detected.
        unsafe { (self.table.xor_in_place)(data, keystream) }
    }

    /// See [`crate::accumulate`].
    #[inline]
    pub fn accumulate(self, acc: &mut [i32], frame: &[i16]) {
        // SAFETY: a `Kernels` exists only for a backend whose features were detected.
        unsafe { (self.table.accumulate)(acc, frame) }
    }

    /// See [`crate::mix_minus`].
    #[inline]
    pub fn mix_minus(self, out: &mut [i16], total: &[i32], own: &[i16]) {
        // SAFETY: a `Kernels` exists only for a backend whose features were detected.
        unsafe { (self.table.mix_minus)(out, total, own) }
    }

    /// See [`crate::saturate`].
    #[inline]
    pub fn saturate(self, out: &mut [i16], total: &[i32]) {
        // SAFETY: a `Kernels` exists only for a backend whose features were detected.
        unsafe { (self.table.saturate)(out, total) }
    }

    /// See [`crate::apply_gain_q15`].
    #[inline]
    pub fn apply_gain_q15(self, frame: &mut [i16], gain_q15: i16) {
        // SAFETY: a `Kernels` exists only for a backend whose features were detected.
        unsafe { (self.table.apply_gain_q15)(frame, gain_q15) }
    }

    /// See [`crate::sum_of_squares`].
    #[inline]
    pub fn sum_of_squares(self, frame: &[i16]) -> u64 {
        // SAFETY: a `Kernels` exists only for a backend whose features were detected.
        unsafe { (self.table.sum_of_squares)(frame) }
    }

    /// See [`crate::audio_level_dbov`].
    #[inline]
    pub fn audio_level_dbov(self, frame: &[i16]) -> u8 {
        dbov::from_energy(self.sum_of_squares(frame), frame.len())
    }

    /// See [`crate::ulaw_encode`].
    #[inline]
    pub fn ulaw_encode(self, out: &mut [u8], pcm: &[i16]) {
        // SAFETY: a `Kernels` exists only for a backend whose features were detected.
        unsafe { (self.table.ulaw_encode)(out, pcm) }
    }

    /// See [`crate::ulaw_decode`].
    #[inline]
    pub fn ulaw_decode(self, out: &mut [i16], codes: &[u8]) {
        // SAFETY: a `Kernels` exists only for a backend whose features were detected.
        unsafe { (self.table.ulaw_decode)(out, codes) }
    }

    /// See [`crate::alaw_encode`].
    #[inline]
    pub fn alaw_encode(self, out: &mut [u8], pcm: &[i16]) {
        // SAFETY: a `Kernels` exists only for a backend whose features were detected.
        unsafe { (self.table.alaw_encode)(out, pcm) }
    }

    /// See [`crate::alaw_decode`].
    #[inline]
    pub fn alaw_decode(self, out: &mut [i16], codes: &[u8]) {
        // SAFETY: a `Kernels` exists only for a backend whose features were detected.
        unsafe { (self.table.alaw_decode)(out, codes) }
    }
}

impl fmt::Debug for Kernels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kernels")
            .field("backend", &self.table.backend)
            .finish()
    }
}

/// The kernels of the best backend this CPU supports, detected once per process.
pub fn active() -> Kernels {
    static ACTIVE: OnceLock<Kernels> = OnceLock::new();
    *ACTIVE.get_or_init(Backend::best_available)
}
