//! The `aes` crate's block cipher for the three key sizes SRTP uses, behind one type,
//! encrypting a flat byte buffer of blocks in place.
//!
//! The packet path's counter mode runs on medianode-simd's kernel; this cipher serves what
//! that kernel does not: key derivation, AES-f8's chained blocks, RFC 6904 header
//! extension keystream, and counter mode itself on CPUs where the kernel would fall back to
//! its slow reference (see `crypto_path`). Given several blocks per call, the crate's AES-NI
//! backend keeps eight in flight; the key schedules are zeroed on drop (the crate's
//! `zeroize` feature).

use aes::cipher::inout::InOutBuf;
use aes::cipher::{BlockEncrypt, KeyInit};
use aes::{Aes128, Aes192, Aes256};

/// AES block length.
pub(crate) const BLOCK_LEN: usize = 16;

/// An expanded AES encryption key.
#[derive(Clone)]
pub(crate) enum AesBlockCipher {
    Aes128(Aes128),
    Aes192(Aes192),
    Aes256(Aes256),
}

impl AesBlockCipher {
    /// Expands a 16-, 24- or 32-byte key; any other length is a caller bug reported as `None`.
    pub(crate) fn new(key: &[u8]) -> Option<Self> {
        match key.len() {
            16 => Aes128::new_from_slice(key).ok().map(Self::Aes128),
            24 => Aes192::new_from_slice(key).ok().map(Self::Aes192),
            32 => Aes256::new_from_slice(key).ok().map(Self::Aes256),
            _ => None,
        }
    }

    /// Encrypts every whole 16-byte block of `blocks` in place (a trailing partial block,
    /// which callers never pass, is left untouched).
    pub(crate) fn encrypt_blocks(&self, blocks: &mut [u8]) {
        let (whole, _tail) = InOutBuf::from(blocks).into_chunks();
        match self {
            Self::Aes128(c) => c.encrypt_blocks_inout(whole),
            Self::Aes192(c) => c.encrypt_blocks_inout(whole),
            Self::Aes256(c) => c.encrypt_blocks_inout(whole),
        }
    }

    /// Encrypts one block in place.
    pub(crate) fn encrypt_block(&self, block: &mut [u8; BLOCK_LEN]) {
        self.encrypt_blocks(block);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FIPS-197 appendix C.1 / C.2 / C.3 single-block vectors: proves the flat-buffer path
    /// runs the cipher the crate implements, for each key size.
    #[test]
    fn fips197_vectors_through_flat_buffer() {
        let pt: [u8; 16] = *b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff";
        let key: Vec<u8> = (0u8..32).collect();
        let cases: [(usize, &str); 3] = [
            (16, "69c4e0d86a7b0430d8cdb78070b4c55a"),
            (24, "dda97ca4864cdfe06eaf70a0ec0d7191"),
            (32, "8ea2b7ca516745bfeafc49904b496089"),
        ];
        for (len, expect) in cases {
            let cipher = AesBlockCipher::new(&key[..len]).unwrap();
            let mut buf = [pt, pt, pt].concat();
            buf.push(0xEE);
            cipher.encrypt_blocks(&mut buf);
            let hex: String = buf[..16].iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex, expect, "AES-{}", len * 8);
            assert_eq!(buf[..16], buf[32..48]);
            assert_eq!(buf[48], 0xEE, "partial tail must stay untouched");
        }
        assert!(AesBlockCipher::new(&key[..15]).is_none());
    }
}
