//! Tag comparison whose running time does not depend on where the bytes differ.

/// True when `a == b`. Lengths are public (they come from the suite), contents are not.
pub(crate) fn tags_equal(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    core::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::tags_equal;

    #[test]
    fn detects_any_difference_and_length_mismatch() {
        let a = [7u8; 10];
        assert!(tags_equal(&a, &a));
        for i in 0..10 {
            let mut b = a;
            b[i] ^= 0x80;
            assert!(!tags_equal(&a, &b));
        }
        assert!(!tags_equal(&a, &a[..9]));
    }
}
