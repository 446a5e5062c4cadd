//! HMAC-SHA1 (RFC 2104) with the inner and outer SHA-1 states computed once per session
//! key, so authenticating a packet costs only the compressions of its own bytes plus two.
//!
//! Built on `sha1::compress` (which uses SHA-NI when the CPU has it) rather than the `hmac`
//! crate so the keyed states live in plain arrays this module zeroes on drop.

use sha1::compress;
use zeroize::Zeroize;

/// SHA-1 block length.
const BLOCK: usize = 64;
/// SHA-1 digest length.
pub(crate) const DIGEST_LEN: usize = 20;
const INITIAL_STATE: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];

fn compress_block(state: &mut [u32; 5], block: &[u8; BLOCK]) {
    compress(state, core::slice::from_ref(block.into()));
}

/// An HMAC-SHA1 key, prepared.
#[derive(Clone)]
pub(crate) struct HmacSha1 {
    inner: [u32; 5],
    outer: [u32; 5],
}

impl HmacSha1 {
    pub(crate) fn new(key: &[u8]) -> Self {
        let mut padded = [0u8; BLOCK];
        if key.len() > BLOCK {
            let mut digest = [0u8; DIGEST_LEN];
            let mut hasher = Sha1Stream::new(INITIAL_STATE, 0);
            hasher.update(key);
            hasher.finish(&mut digest);
            padded[..DIGEST_LEN].copy_from_slice(&digest);
            digest.zeroize();
        } else {
            padded[..key.len()].copy_from_slice(key);
        }
        let mut block = [0u8; BLOCK];
        for (b, k) in block.iter_mut().zip(&padded) {
            *b = k ^ 0x36;
        }
        let mut inner = INITIAL_STATE;
        compress_block(&mut inner, &block);
        for (b, k) in block.iter_mut().zip(&padded) {
            *b = k ^ 0x5C;
        }
        let mut outer = INITIAL_STATE;
        compress_block(&mut outer, &block);
        block.zeroize();
        padded.zeroize();
        Self { inner, outer }
    }

    /// HMAC over the concatenation of `parts`.
    pub(crate) fn mac(&self, parts: &[&[u8]]) -> [u8; DIGEST_LEN] {
        let mut inner = Sha1Stream::new(self.inner, BLOCK as u64);
        for part in parts {
            inner.update(part);
        }
        let mut digest = [0u8; DIGEST_LEN];
        inner.finish(&mut digest);
        let mut outer = Sha1Stream::new(self.outer, BLOCK as u64);
        outer.update(&digest);
        outer.finish(&mut digest);
        digest
    }
}

impl Drop for HmacSha1 {
    fn drop(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
    }
}

/// SHA-1 over a byte stream starting from a given state (the keyed HMAC states).
struct Sha1Stream {
    state: [u32; 5],
    buf: [u8; BLOCK],
    buffered: usize,
    total: u64,
}

impl Sha1Stream {
    fn new(state: [u32; 5], already_hashed: u64) -> Self {
        Self {
            state,
            buf: [0; BLOCK],
            buffered: 0,
            total: already_hashed,
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        self.total += data.len() as u64;
        if self.buffered > 0 {
            let take = (BLOCK - self.buffered).min(data.len());
            self.buf[self.buffered..self.buffered + take].copy_from_slice(&data[..take]);
            self.buffered += take;
            data = &data[take..];
            if self.buffered < BLOCK {
                return;
            }
            compress_block(&mut self.state, &self.buf);
            self.buffered = 0;
        }
        let mut chunks = data.chunks_exact(BLOCK);
        for chunk in &mut chunks {
            if let Ok(block) = <&[u8; BLOCK]>::try_from(chunk) {
                compress_block(&mut self.state, block);
            }
        }
        let rest = chunks.remainder();
        self.buf[..rest.len()].copy_from_slice(rest);
        self.buffered = rest.len();
    }

    fn finish(mut self, out: &mut [u8; DIGEST_LEN]) {
        let bit_len = self.total.wrapping_mul(8);
        self.buf[self.buffered] = 0x80;
        self.buf[self.buffered + 1..].fill(0);
        if self.buffered + 1 > BLOCK - 8 {
            compress_block(&mut self.state, &self.buf);
            self.buf.fill(0);
        }
        self.buf[BLOCK - 8..].copy_from_slice(&bit_len.to_be_bytes());
        compress_block(&mut self.state, &self.buf);
        for (dst, word) in out.chunks_exact_mut(4).zip(self.state) {
            dst.copy_from_slice(&word.to_be_bytes());
        }
    }
}

impl Drop for Sha1Stream {
    fn drop(&mut self) {
        self.state.zeroize();
        self.buf.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};
    use proptest::prelude::*;

    fn reference(key: &[u8], data: &[u8]) -> [u8; DIGEST_LEN] {
        let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(key).unwrap();
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// RFC 2202 test case 2 (key "Jefe").
    #[test]
    fn rfc2202_case_2() {
        let tag = HmacSha1::new(b"Jefe").mac(&[b"what do ya want ", b"for nothing?"]);
        let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    }

    proptest! {
        #[test]
        fn equals_hmac_crate_for_any_split(
            key in proptest::collection::vec(any::<u8>(), 0..100),
            data in proptest::collection::vec(any::<u8>(), 0..300),
            cut1 in 0usize..300, cut2 in 0usize..300,
        ) {
            let a = cut1.min(data.len());
            let b = cut2.clamp(a, data.len());
            let ours = HmacSha1::new(&key).mac(&[&data[..a], &data[a..b], &data[b..]]);
            prop_assert_eq!(ours, reference(&key, &data));
        }
    }
}
