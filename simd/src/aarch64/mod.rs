//! aarch64 backends: NEON, present on every aarch64 server core.

pub(crate) mod neon;
