//! The scalar reference for every kernel.
//!
//! These functions define what each kernel computes. They are written for clarity, not
//! speed; every SIMD backend is property-tested against them, and the benchmarks run them
//! beside the dispatched versions so the speed-up is visible. They are also the backend used
//! when the CPU offers no SIMD path.
//!
//! Every kernel that takes two or more slices works over the length of the shortest one and
//! leaves the rest of any longer output untouched.

mod g711;
mod level;
mod mix;
mod xor;

pub use g711::{
    alaw_decode, alaw_decode_sample, alaw_encode, alaw_encode_sample, ulaw_decode,
    ulaw_decode_sample, ulaw_encode, ulaw_encode_sample,
};
pub use level::{audio_level_dbov, sum_of_squares};
pub use mix::{accumulate, apply_gain_q15, mix_minus, saturate};
pub use xor::xor_in_place;
