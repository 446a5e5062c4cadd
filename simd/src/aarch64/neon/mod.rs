//! The NEON backend: 128-bit kernels, with the scalar reference for the last partial vector.
//!
//! Kept deliberately plain (one vector per iteration, no tricks) because it is compiled on
//! every change but only run on aarch64 machines.

mod g711;
mod lanes;
mod level;
mod mix;
mod xor;

use crate::kernels::KernelTable;
use crate::Backend;

/// Whether this CPU can run the NEON kernels.
pub(crate) fn is_detected() -> bool {
    std::arch::is_aarch64_feature_detected!("neon")
}

/// The NEON kernels; only reachable through `Backend::kernels` after `is_detected`.
pub(crate) static KERNELS: KernelTable = KernelTable {
    backend: Backend::Neon,
    xor_in_place: xor::xor_in_place,
    accumulate: mix::accumulate,
    mix_minus: mix::mix_minus,
    saturate: mix::saturate,
    apply_gain_q15: mix::apply_gain_q15,
    sum_of_squares: level::sum_of_squares,
    ulaw_encode: g711::ulaw_encode,
    ulaw_decode: g711::ulaw_decode,
    alaw_encode: g711::alaw_encode,
    alaw_decode: g711::alaw_decode,
};
