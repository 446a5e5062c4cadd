//! The AVX-512 backend (F + BW): 512-bit kernels; keystream XOR finishes with a masked
//! store, the others with the scalar reference for the last partial vector.

mod g711;
mod lanes;
mod level;
mod mix;
mod xor;

use crate::kernels::KernelTable;
use crate::Backend;

/// Whether this CPU can run the AVX-512 kernels.
pub(crate) fn is_detected() -> bool {
    std::is_x86_feature_detected!("avx2")
        && std::is_x86_feature_detected!("avx512f")
        && std::is_x86_feature_detected!("avx512bw")
}

/// The AVX-512 kernels; only reachable through `Backend::kernels` after `is_detected`.
pub(crate) static KERNELS: KernelTable = KernelTable {
    backend: Backend::Avx512,
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
