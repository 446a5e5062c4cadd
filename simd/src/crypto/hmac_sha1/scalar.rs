//! The SHA-1 compression function (FIPS 180-4 section 6.1.2) in plain Rust: the reference
//! for the vector paths, and the fallback that hashes one job at a time.

use super::{HmacSha1Job, PaddedStream};

/// SHA-1's initial hash value.
pub(crate) const INITIAL_STATE: [u32; 5] = [
    0x6745_2301,
    0xefcd_ab89,
    0x98ba_dcfe,
    0x1032_5476,
    0xc3d2_e1f0,
];

/// Round constants, one per 20 rounds.
pub(crate) const ROUND_CONSTANTS: [u32; 4] = [0x5a82_7999, 0x6ed9_eba1, 0x8f1b_bcdc, 0xca62_c1d6];

/// Compresses one 64-byte block into `state`.
pub(crate) fn compress(state: &mut [u32; 5], block: &[u8; 64]) {
    let mut w = [0u32; 80];
    for (word, bytes) in w.iter_mut().zip(block.chunks_exact(4)) {
        *word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    for t in 16..80 {
        w[t] = (w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]).rotate_left(1);
    }
    let [mut a, mut b, mut c, mut d, mut e] = *state;
    for (t, word) in w.iter().enumerate() {
        let f = match t / 20 {
            0 => (b & c) | (!b & d),
            2 => (b & c) | (b & d) | (c & d),
            _ => b ^ c ^ d,
        };
        let temp = a
            .rotate_left(5)
            .wrapping_add(f)
            .wrapping_add(e)
            .wrapping_add(ROUND_CONSTANTS[t / 20])
            .wrapping_add(*word);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = temp;
    }
    for (s, v) in state.iter_mut().zip([a, b, c, d, e]) {
        *s = s.wrapping_add(v);
    }
}

/// SHA-1 of a whole message (used for HMAC keys longer than a block).
pub(crate) fn sha1(message: &[u8]) -> [u8; 20] {
    let mut state = INITIAL_STATE;
    let stream = PaddedStream::new(message, &[], 0);
    let mut block = [0u8; 64];
    for index in 0..stream.blocks() {
        stream.block(index, &mut block);
        compress(&mut state, &block);
    }
    digest_bytes(&state)
}

/// The state as the big-endian digest bytes.
pub(crate) fn digest_bytes(state: &[u32; 5]) -> [u8; 20] {
    let mut out = [0u8; 20];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// The outer hash's only block: the inner digest, then padding for 64 + 20 bytes.
pub(crate) fn outer_block(inner: &[u32; 5]) -> [u8; 64] {
    let mut block = [0u8; 64];
    block[..20].copy_from_slice(&digest_bytes(inner));
    block[20] = 0x80;
    block[56..].copy_from_slice(&(((64 + 20) * 8) as u64).to_be_bytes());
    block
}

/// HMAC-SHA1 of each job, one at a time.
pub(crate) fn hmac_batch(jobs: &[HmacSha1Job<'_>], tags: &mut [[u8; 20]]) {
    let mut block = [0u8; 64];
    for (job, tag) in jobs.iter().zip(tags.iter_mut()) {
        let stream = PaddedStream::new(job.message, job.suffix, 64);
        let mut inner = job.key.inner;
        for index in 0..stream.blocks() {
            compress(&mut inner, stream.block_ref(index, &mut block));
        }
        let mut outer = job.key.outer;
        compress(&mut outer, &outer_block(&inner));
        *tag = digest_bytes(&outer);
    }
}
