//! Big-endian field access shared by the wire views.
//!
//! These readers index directly: they are only called on ranges a view's `new_checked` has
//! already proven to lie inside the buffer, or on fixed-size arrays.

/// Reads a big-endian `u16` at `at`; the caller has proven `at + 2 <= b.len()`.
#[inline]
pub(crate) fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// Reads a big-endian `u32` at `at`; the caller has proven `at + 4 <= b.len()`.
#[inline]
pub(crate) fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
