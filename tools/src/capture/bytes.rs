//! Checked big-endian field reads shared by the link, IP and UDP views: every read returns
//! `None` past the end of the buffer instead of panicking.

/// The byte at `offset`, if present.
pub(crate) fn u8_at(buf: &[u8], offset: usize) -> Option<u8> {
    buf.get(offset).copied()
}

/// The big-endian `u16` at `offset`, if both bytes are present.
pub(crate) fn be16_at(buf: &[u8], offset: usize) -> Option<u16> {
    let bytes = buf.get(offset..offset.checked_add(2)?)?;
    Some(u16::from_be_bytes([bytes[0], bytes[1]]))
}

/// `N` bytes starting at `offset`, if present.
pub(crate) fn array_at<const N: usize>(buf: &[u8], offset: usize) -> Option<[u8; N]> {
    let bytes = buf.get(offset..offset.checked_add(N)?)?;
    bytes.try_into().ok()
}

/// Writes a big-endian `u16` at `offset`; returns `false` (and writes nothing) when it
/// does not fit.
pub(crate) fn put_be16(buf: &mut [u8], offset: usize, value: u16) -> bool {
    let Some(end) = offset.checked_add(2) else {
        return false;
    };
    match buf.get_mut(offset..end) {
        Some(bytes) => {
            bytes.copy_from_slice(&value.to_be_bytes());
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stop_at_the_end() {
        let buf = [1, 2, 3, 4, 5];
        assert_eq!(be16_at(&buf, 3), Some(0x0405));
        assert_eq!(be16_at(&buf, 4), None);
        assert_eq!(array_at::<4>(&buf, 1), Some([2, 3, 4, 5]));
        assert_eq!(array_at::<4>(&buf, 2), None);
        assert_eq!(u8_at(&buf, 5), None);
        assert_eq!(be16_at(&buf, usize::MAX), None);
    }

    #[test]
    fn writes_stop_at_the_end() {
        let mut buf = [0u8; 3];
        assert!(put_be16(&mut buf, 1, 0xABCD));
        assert_eq!(buf, [0, 0xAB, 0xCD]);
        assert!(!put_be16(&mut buf, 2, 1));
        assert_eq!(buf, [0, 0xAB, 0xCD]);
    }
}
