//! Keystream XOR, the cipher step of every counter-mode SRTP transform.

/// XORs `keystream` into `data` over `data.len().min(keystream.len())` bytes.
///
/// Bytes of `data` past the end of `keystream` are left unchanged.
pub fn xor_in_place(data: &mut [u8], keystream: &[u8]) {
    for (byte, key) in data.iter_mut().zip(keystream) {
        *byte ^= key;
    }
}
