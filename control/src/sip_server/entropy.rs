//! The operating system's random source as the focus's [`Entropy`]: tags, session ids,
//! SSRCs and keys.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use crate::sip::focus::Entropy;

/// Random bytes from the OS (`getrandom`).
#[derive(Debug, Default)]
pub struct OsEntropy {
    failures: u64,
}

impl Entropy for OsEntropy {
    fn fill(&mut self, bytes: &mut [u8]) {
        if getrandom::fill(bytes).is_ok() {
            return;
        }
        // The kernel's source does not fail once the system has booted; should it, fall
        // back to std's per-process random hasher keys rather than stop signalling.
        self.failures += 1;
        if self.failures.is_power_of_two() {
            tracing::error!(failures = self.failures, "the OS random source failed");
        }
        for chunk in bytes.chunks_mut(8) {
            let mut hasher = RandomState::new().build_hasher();
            hasher.write_u64(self.failures);
            for (byte, random) in chunk.iter_mut().zip(hasher.finish().to_le_bytes()) {
                *byte = random;
            }
        }
    }
}
