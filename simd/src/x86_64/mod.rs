//! x86_64 backends: AVX2 for every x86_64 server of the last decade, AVX-512 where present.

pub(crate) mod avx2;
pub(crate) mod avx512;
