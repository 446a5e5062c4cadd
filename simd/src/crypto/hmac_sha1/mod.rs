//! HMAC-SHA1 (RFC 2104) for batches of packets, the authenticator of SRTP's
//! AES_CM_*_HMAC_SHA1_* and NULL_HMAC_SHA1_* suites (RFC 3711 4.2.1).
//!
//! Even with SHA-NI, one SHA-1 stream is a chain of dependent rounds: a 160-byte SRTP packet
//! needs four compressions (three inner, one outer, with the key's ipad and opad blocks
//! precomputed) at roughly 35 ns each. Packets of a batch are independent, so the vector
//! paths run 16 (AVX-512) or 8 (AVX2) packets side by side, one per 32-bit lane, each lane
//! stopping when its own message ends. SHA-NI hashes one packet at a time and wins for
//! batches too small to fill the lanes; [`hmac_sha1_batch`] picks between them.

mod scalar;
#[cfg(target_arch = "x86_64")]
mod x86_64;

#[cfg(test)]
mod tests;

use core::fmt;
use std::sync::OnceLock;

use super::BackendUnavailable;

/// HMAC-SHA1's block size.
const BLOCK: usize = 64;

/// An HMAC-SHA1 key as the SHA-1 states after its ipad and opad blocks.
#[derive(Clone)]
pub struct HmacSha1Key {
    inner: [u32; 5],
    outer: [u32; 5],
}

impl fmt::Debug for HmacSha1Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HmacSha1Key { .. }")
    }
}

impl Drop for HmacSha1Key {
    fn drop(&mut self) {
        self.inner = [0; 5];
        self.outer = [0; 5];
    }
}

impl HmacSha1Key {
    /// Prepares `key` (any length; SRTP's authentication key is 20 bytes).
    pub fn new(key: &[u8]) -> Self {
        let mut padded = [0u8; BLOCK];
        if key.len() > BLOCK {
            padded[..20].copy_from_slice(&scalar::sha1(key));
        } else {
            padded[..key.len()].copy_from_slice(key);
        }
        let mut inner = scalar::INITIAL_STATE;
        let mut outer = scalar::INITIAL_STATE;
        let mut block = padded.map(|b| b ^ 0x36);
        scalar::compress(&mut inner, &block);
        block = padded.map(|b| b ^ 0x5c);
        scalar::compress(&mut outer, &block);
        padded.fill(0);
        block.fill(0);
        Self { inner, outer }
    }
}

/// One message to authenticate: `message` followed by `suffix`, under `key`.
///
/// For SRTP, `message` is the authenticated portion of the packet and `suffix` the 4-byte
/// rollover counter; for SRTCP the suffix is empty.
#[derive(Debug, Clone, Copy)]
pub struct HmacSha1Job<'a> {
    /// The key.
    pub key: &'a HmacSha1Key,
    /// The bulk of the message.
    pub message: &'a [u8],
    /// Bytes authenticated after `message`.
    pub suffix: &'a [u8],
}

/// The full 20-byte HMAC-SHA1 of each job, `tags[i]` for `jobs[i]`, over
/// `jobs.len().min(tags.len())` jobs, on the fastest backends for the batch's size.
///
/// Groups of 16 (or 8) jobs go to the widest multi-buffer backend. A group costs about the
/// same however few of its lanes are used, so when SHA-NI is present a remainder of fewer
/// than 3/8 of the lanes (5 of 16; measured on Zen 5) is hashed one job at a time instead.
pub fn hmac_sha1_batch(jobs: &[HmacSha1Job<'_>], tags: &mut [[u8; 20]]) {
    let count = jobs.len().min(tags.len());
    let (jobs, tags) = (&jobs[..count], &mut tags[..count]);
    let plan = Plan::detected();
    let wide = match plan.multi_buffer {
        Some(backend) if plan.single_stream.is_some() => {
            let lanes = backend.lanes();
            let remainder = count % lanes;
            if remainder * 8 >= lanes * 3 {
                count
            } else {
                count - remainder
            }
        }
        Some(_) => count,
        None => 0,
    };
    if let Some(backend) = plan.multi_buffer {
        run(backend, &jobs[..wide], &mut tags[..wide]);
    }
    run(
        plan.single_stream.unwrap_or(HmacSha1Backend::Scalar),
        &jobs[wide..],
        &mut tags[wide..],
    );
}

/// [`hmac_sha1_batch`] on one chosen backend, for tests and benchmarks.
pub fn hmac_sha1_batch_on(
    backend: HmacSha1Backend,
    jobs: &[HmacSha1Job<'_>],
    tags: &mut [[u8; 20]],
) -> Result<(), BackendUnavailable> {
    if !backend.is_available() {
        return Err(BackendUnavailable(backend.name()));
    }
    run(backend, jobs, tags);
    Ok(())
}

/// Runs `backend`, which the caller has checked is available.
fn run(backend: HmacSha1Backend, jobs: &[HmacSha1Job<'_>], tags: &mut [[u8; 20]]) {
    let count = jobs.len().min(tags.len());
    let (jobs, tags) = (&jobs[..count], &mut tags[..count]);
    match backend {
        #[cfg(target_arch = "x86_64")]
        HmacSha1Backend::Avx512x16 => {
            // SAFETY: callers pass only backends whose features `is_available` detected.
            unsafe { x86_64::hmac_batch_avx512(jobs, tags) }
        }
        #[cfg(target_arch = "x86_64")]
        HmacSha1Backend::Avx2x8 => {
            // SAFETY: callers pass only backends whose features `is_available` detected.
            unsafe { x86_64::hmac_batch_avx2(jobs, tags) }
        }
        #[cfg(target_arch = "x86_64")]
        HmacSha1Backend::ShaNi => {
            // SAFETY: callers pass only backends whose features `is_available` detected.
            unsafe { x86_64::hmac_batch_shani(jobs, tags) }
        }
        _ => scalar::hmac_batch(jobs, tags),
    }
}

/// An implementation of HMAC-SHA1.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HmacSha1Backend {
    /// Portable reference, one message at a time.
    Scalar,
    /// x86_64 SHA extensions, one message at a time.
    ShaNi,
    /// x86_64 AVX2: eight messages side by side.
    Avx2x8,
    /// x86_64 AVX-512 F: sixteen messages side by side.
    Avx512x16,
}

impl HmacSha1Backend {
    /// Every backend.
    pub const ALL: [HmacSha1Backend; 4] = [
        HmacSha1Backend::Avx512x16,
        HmacSha1Backend::Avx2x8,
        HmacSha1Backend::ShaNi,
        HmacSha1Backend::Scalar,
    ];

    /// A short name for logs.
    pub fn name(self) -> &'static str {
        match self {
            HmacSha1Backend::Scalar => "scalar",
            HmacSha1Backend::ShaNi => "sha-ni",
            HmacSha1Backend::Avx2x8 => "avx2-x8",
            HmacSha1Backend::Avx512x16 => "avx512-x16",
        }
    }

    /// How many messages the backend hashes side by side.
    pub fn lanes(self) -> usize {
        match self {
            HmacSha1Backend::Scalar | HmacSha1Backend::ShaNi => 1,
            HmacSha1Backend::Avx2x8 => 8,
            HmacSha1Backend::Avx512x16 => 16,
        }
    }

    /// Whether this CPU can run the backend.
    pub fn is_available(self) -> bool {
        match self {
            HmacSha1Backend::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            HmacSha1Backend::ShaNi => x86_64::shani_detected(),
            #[cfg(target_arch = "x86_64")]
            HmacSha1Backend::Avx2x8 => x86_64::avx2_detected(),
            #[cfg(target_arch = "x86_64")]
            HmacSha1Backend::Avx512x16 => x86_64::avx512_detected(),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }
}

/// The backends [`hmac_sha1_batch`] uses on this CPU, detected once per process.
#[derive(Debug, Clone, Copy)]
struct Plan {
    multi_buffer: Option<HmacSha1Backend>,
    single_stream: Option<HmacSha1Backend>,
}

impl Plan {
    fn detected() -> Plan {
        static PLAN: OnceLock<Plan> = OnceLock::new();
        *PLAN.get_or_init(|| Plan {
            multi_buffer: [HmacSha1Backend::Avx512x16, HmacSha1Backend::Avx2x8]
                .into_iter()
                .find(|backend| backend.is_available()),
            single_stream: Some(HmacSha1Backend::ShaNi).filter(|backend| backend.is_available()),
        })
    }
}

/// `message || suffix` as SHA-1 pads it, when `prefix_len` bytes were hashed before it (64
/// for HMAC's ipad block): the bytes, 0x80, zeros, and the total length in bits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PaddedStream<'a> {
    message: &'a [u8],
    suffix: &'a [u8],
    total_bits: u64,
    blocks: usize,
}

impl<'a> PaddedStream<'a> {
    pub(crate) fn new(message: &'a [u8], suffix: &'a [u8], prefix_len: usize) -> Self {
        let len = message.len() + suffix.len();
        Self {
            message,
            suffix,
            total_bits: ((prefix_len + len) as u64).wrapping_mul(8),
            blocks: (len + 9).div_ceil(BLOCK),
        }
    }

    /// Number of 64-byte blocks, padding included.
    pub(crate) fn blocks(&self) -> usize {
        self.blocks
    }

    /// Writes block `index` into `out`.
    pub(crate) fn block(&self, index: usize, out: &mut [u8; BLOCK]) {
        out.fill(0);
        let start = index * BLOCK;
        let end = start + BLOCK;
        let message_len = self.message.len();
        if let Some(part) = self.message.get(start..end.min(message_len)) {
            out[..part.len()].copy_from_slice(part);
        }
        let suffix_start = start.max(message_len);
        let suffix_end = end.min(message_len + self.suffix.len());
        if suffix_start < suffix_end {
            if let Some(part) = self
                .suffix
                .get(suffix_start - message_len..suffix_end - message_len)
            {
                out[suffix_start - start..suffix_end - start].copy_from_slice(part);
            }
        }
        let pad = message_len + self.suffix.len();
        if (start..end).contains(&pad) {
            out[pad - start] = 0x80;
        }
        if index + 1 == self.blocks {
            out[BLOCK - 8..].copy_from_slice(&self.total_bits.to_be_bytes());
        }
    }

    /// Block `index`: borrowed from the message when it lies wholly inside, otherwise
    /// assembled in `scratch`.
    pub(crate) fn block_ref<'s>(
        &'s self,
        index: usize,
        scratch: &'s mut [u8; BLOCK],
    ) -> &'s [u8; BLOCK] {
        let start = index * BLOCK;
        match self
            .message
            .get(start..start + BLOCK)
            .and_then(|b| b.try_into().ok())
        {
            Some(whole) => whole,
            None => {
                self.block(index, scratch);
                scratch
            }
        }
    }
}
