//! x86_64 HMAC-SHA1: SHA-NI for one message at a time, AVX2 and AVX-512 for 8 or 16 messages
//! side by side (one per 32-bit lane, the SHA-1 rounds written once in [`sha1_rounds`]).

mod avx2;
mod avx512;
mod shani;

pub(super) use avx2::hmac_batch_avx2;
pub(super) use avx512::hmac_batch_avx512;
pub(super) use shani::hmac_batch_shani;

pub(super) fn shani_detected() -> bool {
    std::arch::is_x86_feature_detected!("sha")
        && std::arch::is_x86_feature_detected!("sse4.1")
        && std::arch::is_x86_feature_detected!("ssse3")
}

pub(super) fn avx2_detected() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

pub(super) fn avx512_detected() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
}

/// The 80 SHA-1 rounds over vectors of independent lanes, fully unrolled so the message
/// schedule `w` and the working variables stay in registers. `$ops` names a module with the
/// lane-wise operations of one backend.
macro_rules! sha1_rounds {
    ($ops:ident, $w:ident, $a:ident, $b:ident, $c:ident, $d:ident, $e:ident; $($t:literal)*) => {
        $(
            if $t >= 16 {
                $w[$t % 16] = $ops::rotl1($ops::xor4(
                    $w[($t + 13) % 16],
                    $w[($t + 8) % 16],
                    $w[($t + 2) % 16],
                    $w[$t % 16],
                ));
            }
            let f = if $t < 20 {
                $ops::choose($b, $c, $d)
            } else if $t >= 40 && $t < 60 {
                $ops::majority($b, $c, $d)
            } else {
                $ops::parity($b, $c, $d)
            };
            let k = $ops::splat(
                $crate::crypto::hmac_sha1::scalar::ROUND_CONSTANTS[$t / 20] as i32,
            );
            let temp = $ops::add5($ops::rotl5($a), f, $e, k, $w[$t % 16]);
            $e = $d;
            $d = $c;
            $c = $ops::rotl30($b);
            $b = $a;
            $a = temp;
        )*
    };
}

pub(crate) use sha1_rounds;

/// Runs [`sha1_rounds`] for rounds 0 to 79.
macro_rules! all_sha1_rounds {
    ($ops:ident, $w:ident, $a:ident, $b:ident, $c:ident, $d:ident, $e:ident) => {
        $crate::crypto::hmac_sha1::x86_64::sha1_rounds!($ops, $w, $a, $b, $c, $d, $e;
            0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19
            20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39
            40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59
            60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79)
    };
}

pub(crate) use all_sha1_rounds;

/// Per-lane inputs of one multi-buffer group: padded streams, block counts, and the keys'
/// inner and outer states laid out word by word (`inner[word][lane]`).
pub(super) struct LaneGroup<'a, const LANES: usize> {
    pub(super) streams: [super::PaddedStream<'a>; LANES],
    pub(super) blocks: [usize; LANES],
    pub(super) inner: [[u32; LANES]; 5],
    pub(super) outer: [[u32; LANES]; 5],
    pub(super) lanes: usize,
}

impl<'a, const LANES: usize> LaneGroup<'a, LANES> {
    /// Gathers up to `LANES` jobs; lanes past `jobs.len()` stay idle (zero blocks).
    pub(super) fn new(jobs: &[super::HmacSha1Job<'a>]) -> Self {
        let idle = super::PaddedStream::new(&[], &[], 0);
        let mut group = Self {
            streams: [idle; LANES],
            blocks: [0; LANES],
            inner: [[0; LANES]; 5],
            outer: [[0; LANES]; 5],
            lanes: jobs.len().min(LANES),
        };
        for (lane, job) in jobs.iter().take(LANES).enumerate() {
            let stream = super::PaddedStream::new(job.message, job.suffix, super::BLOCK);
            group.blocks[lane] = stream.blocks();
            group.streams[lane] = stream;
            for word in 0..5 {
                group.inner[word][lane] = job.key.inner[word];
                group.outer[word][lane] = job.key.outer[word];
            }
        }
        group
    }

    /// The most blocks any lane hashes.
    pub(super) fn max_blocks(&self) -> usize {
        self.blocks.iter().copied().max().unwrap_or(0)
    }

    /// Writes each lane's digest words (`words[word][lane]`) as tags.
    pub(super) fn write_tags(&self, words: &[[u32; LANES]; 5], tags: &mut [[u8; 20]]) {
        for (lane, tag) in tags.iter_mut().enumerate().take(self.lanes) {
            for (word, chunk) in tag.chunks_exact_mut(4).enumerate() {
                chunk.copy_from_slice(&words[word][lane].to_be_bytes());
            }
        }
    }
}
