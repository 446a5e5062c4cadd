//! GHASH with VPCLMULQDQ on x86_64: four (AVX-512) or two (AVX2) blocks per multiply.
//!
//! A packet is hashed as a stream of blocks (AAD, text, length block) cut into windows of at
//! most 16. In a window of m blocks, block k is multiplied by H^(m-k), the state from the
//! previous window is added to the window's first block, and the 256-bit products are summed
//! and reduced once. Multiplication and reduction follow POLYVAL (RFC 8452): blocks are
//! byte-reversed on load, the result is byte-reversed on the way out.

use core::arch::x86_64::*;

use super::{length_block, GhashInput, PowerTable, POWERS};

pub(super) fn avx512_detected() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("vpclmulqdq")
        && std::arch::is_x86_feature_detected!("pclmulqdq")
}

pub(super) fn avx2_detected() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("vpclmulqdq")
        && std::arch::is_x86_feature_detected!("pclmulqdq")
}

/// x^63 + x^62 + x^57: the POLYVAL modulus without its x^128 and x^0 terms, shifted down
/// by 64, as the reduction multiplies it.
const POLY: i64 = 0xc200_0000_0000_0000_u64 as i64;

/// Reduces the 256-bit product `hi:lo` (`mid` holds the cross terms at bit 64) to
/// `product * x^-128 mod P`, the POLYVAL product.
#[inline]
#[target_feature(enable = "pclmulqdq,sse2,ssse3")]
fn reduce(lo: __m128i, mid: __m128i, hi: __m128i) -> __m128i {
    let lo = _mm_xor_si128(lo, _mm_slli_si128::<8>(mid));
    let hi = _mm_xor_si128(hi, _mm_srli_si128::<8>(mid));
    let poly = _mm_set_epi64x(0, POLY);
    // Twice: cancel the low 64 bits by adding a multiple of P, then divide by x^64.
    let t = _mm_clmulepi64_si128::<0x00>(lo, poly);
    let x = _mm_xor_si128(_mm_shuffle_epi32::<0x4e>(lo), t);
    let u = _mm_clmulepi64_si128::<0x00>(x, poly);
    let y = _mm_xor_si128(_mm_shuffle_epi32::<0x4e>(x), u);
    _mm_xor_si128(hi, y)
}

/// Byte reversal of a 128-bit lane, as a `pshufb` control.
#[inline]
#[target_feature(enable = "sse2")]
fn reverse_bytes_control() -> __m128i {
    _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
}

/// Where the window walk stands: the reduced state, the blocks left in the packet, and the
/// current window's length and position.
struct Window {
    state: __m128i,
    blocks_left: usize,
    len: usize,
    pos: usize,
}

impl Window {
    fn new(total_blocks: usize, zero: __m128i) -> Self {
        Self {
            state: zero,
            blocks_left: total_blocks,
            len: total_blocks.min(POWERS),
            pos: 0,
        }
    }

    /// Lanes the next vector may fill: not past the window, the segment or the register.
    fn lanes(&self, segment_blocks_left: usize, width: usize) -> usize {
        width.min(segment_blocks_left).min(self.len - self.pos)
    }

    /// Index in the power table of the multiplier for the window's current block.
    fn power_index(&self) -> usize {
        POWERS - self.len + self.pos
    }

    /// Moves on by `lanes` blocks; true when that closed the window (time to reduce).
    fn advance(&mut self, lanes: usize) -> bool {
        self.pos += lanes;
        if self.pos < self.len {
            return false;
        }
        self.blocks_left -= self.len;
        self.len = self.blocks_left.min(POWERS);
        self.pos = 0;
        true
    }
}

fn blocks(len: usize) -> usize {
    len.div_ceil(16)
}

/// # Safety
/// The CPU must have AVX-512 F and BW, VPCLMULQDQ and PCLMULQDQ.
#[target_feature(enable = "avx512f,avx512bw,vpclmulqdq,pclmulqdq")]
pub(super) unsafe fn ghash_batch_avx512(
    table: &PowerTable,
    inputs: &[GhashInput<'_>],
    tags: &mut [[u8; 16]],
) {
    for (input, tag) in inputs.iter().zip(tags.iter_mut()) {
        *tag = ghash_avx512(table, input.aad, input.text);
    }
}

/// The running sums of one window's products (four blocks per register) and the walk.
struct Sums512<'t> {
    table: &'t PowerTable,
    window: Window,
    lo: __m512i,
    mid: __m512i,
    hi: __m512i,
}

impl<'t> Sums512<'t> {
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn new(table: &'t PowerTable, total_blocks: usize) -> Self {
        Self {
            table,
            window: Window::new(total_blocks, _mm_setzero_si128()),
            lo: _mm512_setzero_si512(),
            mid: _mm512_setzero_si512(),
            hi: _mm512_setzero_si512(),
        }
    }

    /// Multiplies `lanes` byte-reversed blocks (unused lanes zero) by their powers of H and
    /// adds them in, reducing when that closes the window.
    #[inline]
    #[target_feature(enable = "avx512f,vpclmulqdq,pclmulqdq")]
    fn absorb(&mut self, mut data: __m512i, lanes: usize) {
        if self.window.pos == 0 {
            data = _mm512_xor_si512(data, _mm512_zextsi128_si512(self.window.state));
        }
        // SAFETY: power_index() + 4 <= POWERS + 3 < TABLE_BLOCKS, so all four 16-byte
        // entries loaded lie inside the table.
        let power = unsafe {
            _mm512_loadu_si512(
                self.table
                    .0
                    .as_ptr()
                    .add(self.window.power_index())
                    .cast::<__m512i>(),
            )
        };
        self.lo = _mm512_xor_si512(self.lo, _mm512_clmulepi64_epi128::<0x00>(data, power));
        self.hi = _mm512_xor_si512(self.hi, _mm512_clmulepi64_epi128::<0x11>(data, power));
        self.mid = _mm512_ternarylogic_epi64::<0x96>(
            self.mid,
            _mm512_clmulepi64_epi128::<0x01>(data, power),
            _mm512_clmulepi64_epi128::<0x10>(data, power),
        );
        if self.window.advance(lanes) {
            self.window.state = reduce(fold512(self.lo), fold512(self.mid), fold512(self.hi));
            self.lo = _mm512_setzero_si512();
            self.mid = _mm512_setzero_si512();
            self.hi = _mm512_setzero_si512();
        }
    }

    /// Absorbs `segment` zero-padded to whole blocks.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,vpclmulqdq,pclmulqdq")]
    fn absorb_segment(&mut self, segment: &[u8], reverse: __m512i) {
        let mut offset = 0;
        while offset < segment.len() {
            let lanes = self.window.lanes(blocks(segment.len() - offset), 4);
            let bytes = (lanes * 16).min(segment.len() - offset);
            let mask = if bytes == 64 {
                u64::MAX
            } else {
                (1u64 << bytes) - 1
            };
            // SAFETY: the mask selects only `bytes` bytes from `offset`, all inside
            // `segment`; masked-off bytes are neither read nor faulted on.
            let data =
                unsafe { _mm512_maskz_loadu_epi8(mask, segment.as_ptr().add(offset).cast::<i8>()) };
            self.absorb(_mm512_shuffle_epi8(data, reverse), lanes);
            offset += lanes * 16;
        }
    }
}

#[target_feature(enable = "avx512f,avx512bw,vpclmulqdq,pclmulqdq")]
fn ghash_avx512(table: &PowerTable, aad: &[u8], text: &[u8]) -> [u8; 16] {
    let reverse = _mm512_broadcast_i32x4(reverse_bytes_control());
    let total = blocks(aad.len()) + blocks(text.len()) + 1;
    if total <= POWERS {
        return ghash_one_window_avx512(table, aad, text, total, reverse);
    }
    let mut sums = Sums512::new(table, total);
    sums.absorb_segment(aad, reverse);
    sums.absorb_segment(text, reverse);
    sums.absorb(
        _mm512_zextsi128_si512(length_lane(aad.len(), text.len())),
        1,
    );
    finish(sums.window.state)
}

/// The common case of a packet of at most 16 blocks (about 220 bytes): one window, so no
/// window bookkeeping and a single reduction; the length block is multiplied in 128 bits.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,vpclmulqdq,pclmulqdq")]
fn ghash_one_window_avx512(
    table: &PowerTable,
    aad: &[u8],
    text: &[u8],
    total: usize,
    reverse: __m512i,
) -> [u8; 16] {
    let mut lo = _mm512_setzero_si512();
    let mut mid = _mm512_setzero_si512();
    let mut hi = _mm512_setzero_si512();
    // Block k of the packet is multiplied by H^(total - k), table entry POWERS - total + k.
    let mut power_index = POWERS - total;
    for segment in [aad, text] {
        for chunk in segment.chunks(64) {
            let mask = if chunk.len() == 64 {
                u64::MAX
            } else {
                (1u64 << chunk.len()) - 1
            };
            // SAFETY: the mask selects the `chunk.len()` bytes of `chunk`; masked-off bytes
            // are neither read nor faulted on.
            let data = unsafe { _mm512_maskz_loadu_epi8(mask, chunk.as_ptr().cast::<i8>()) };
            let data = _mm512_shuffle_epi8(data, reverse);
            // SAFETY: power_index + 4 <= POWERS + 3 < TABLE_BLOCKS (the packet's blocks
            // before the length block number total - 1), so the load lies inside the table.
            let power =
                unsafe { _mm512_loadu_si512(table.0.as_ptr().add(power_index).cast::<__m512i>()) };
            lo = _mm512_xor_si512(lo, _mm512_clmulepi64_epi128::<0x00>(data, power));
            hi = _mm512_xor_si512(hi, _mm512_clmulepi64_epi128::<0x11>(data, power));
            mid = _mm512_ternarylogic_epi64::<0x96>(
                mid,
                _mm512_clmulepi64_epi128::<0x01>(data, power),
                _mm512_clmulepi64_epi128::<0x10>(data, power),
            );
            power_index += chunk.len().div_ceil(16);
        }
    }
    // The length block, times H^1.
    let length = length_lane(aad.len(), text.len());
    // SAFETY: entry POWERS - 1 is inside the table.
    let h = unsafe { _mm_loadu_si128(table.0.as_ptr().add(POWERS - 1).cast::<__m128i>()) };
    let lo = _mm_xor_si128(fold512(lo), _mm_clmulepi64_si128::<0x00>(length, h));
    let hi = _mm_xor_si128(fold512(hi), _mm_clmulepi64_si128::<0x11>(length, h));
    let mid = _mm_xor_si128(
        fold512(mid),
        _mm_xor_si128(
            _mm_clmulepi64_si128::<0x01>(length, h),
            _mm_clmulepi64_si128::<0x10>(length, h),
        ),
    );
    finish(reduce(lo, mid, hi))
}

/// The length block, byte-reversed, built in a register (a store and reload would stall).
#[inline]
#[target_feature(enable = "sse2")]
fn length_lane(aad_len: usize, text_len: usize) -> __m128i {
    let lengths = length_block(aad_len, text_len);
    _mm_set_epi64x((lengths >> 64) as u64 as i64, lengths as u64 as i64)
}

/// XOR of the four 128-bit lanes.
#[inline]
#[target_feature(enable = "avx512f")]
fn fold512(v: __m512i) -> __m128i {
    let v = _mm256_xor_si256(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64::<1>(v));
    _mm_xor_si128(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v))
}

/// The reduced POLYVAL state back in GCM's byte order.
#[inline]
#[target_feature(enable = "sse2,ssse3")]
fn finish(state: __m128i) -> [u8; 16] {
    let state = _mm_shuffle_epi8(state, reverse_bytes_control());
    let mut out = [0u8; 16];
    // SAFETY: `out` is 16 writable bytes; the store is unaligned.
    unsafe { _mm_storeu_si128(out.as_mut_ptr().cast::<__m128i>(), state) };
    out
}

/// # Safety
/// The CPU must have AVX2, VPCLMULQDQ and PCLMULQDQ.
#[target_feature(enable = "avx2,vpclmulqdq,pclmulqdq")]
pub(super) unsafe fn ghash_batch_avx2(
    table: &PowerTable,
    inputs: &[GhashInput<'_>],
    tags: &mut [[u8; 16]],
) {
    for (input, tag) in inputs.iter().zip(tags.iter_mut()) {
        *tag = ghash_avx2(table, input.aad, input.text);
    }
}

/// The running sums of one window's products (two blocks per register) and the walk.
struct Sums256<'t> {
    table: &'t PowerTable,
    window: Window,
    lo: __m256i,
    mid: __m256i,
    hi: __m256i,
}

impl<'t> Sums256<'t> {
    #[inline]
    #[target_feature(enable = "avx2")]
    fn new(table: &'t PowerTable, total_blocks: usize) -> Self {
        Self {
            table,
            window: Window::new(total_blocks, _mm_setzero_si128()),
            lo: _mm256_setzero_si256(),
            mid: _mm256_setzero_si256(),
            hi: _mm256_setzero_si256(),
        }
    }

    /// Multiplies `lanes` byte-reversed blocks (unused lane zero) by their powers of H and
    /// adds them in, reducing when that closes the window.
    #[inline]
    #[target_feature(enable = "avx2,vpclmulqdq,pclmulqdq")]
    fn absorb(&mut self, mut data: __m256i, lanes: usize) {
        if self.window.pos == 0 {
            data = _mm256_xor_si256(data, _mm256_zextsi128_si256(self.window.state));
        }
        // SAFETY: power_index() + 2 <= POWERS + 1 < TABLE_BLOCKS, so both entries loaded
        // lie inside the table.
        let power = unsafe {
            _mm256_loadu_si256(
                self.table
                    .0
                    .as_ptr()
                    .add(self.window.power_index())
                    .cast::<__m256i>(),
            )
        };
        self.lo = _mm256_xor_si256(self.lo, _mm256_clmulepi64_epi128::<0x00>(data, power));
        self.hi = _mm256_xor_si256(self.hi, _mm256_clmulepi64_epi128::<0x11>(data, power));
        self.mid = _mm256_xor_si256(
            self.mid,
            _mm256_xor_si256(
                _mm256_clmulepi64_epi128::<0x01>(data, power),
                _mm256_clmulepi64_epi128::<0x10>(data, power),
            ),
        );
        if self.window.advance(lanes) {
            self.window.state = reduce(fold256(self.lo), fold256(self.mid), fold256(self.hi));
            self.lo = _mm256_setzero_si256();
            self.mid = _mm256_setzero_si256();
            self.hi = _mm256_setzero_si256();
        }
    }

    /// Absorbs `segment` zero-padded to whole blocks.
    #[inline]
    #[target_feature(enable = "avx2,vpclmulqdq,pclmulqdq")]
    fn absorb_segment(&mut self, segment: &[u8], reverse: __m256i) {
        let mut offset = 0;
        while offset < segment.len() {
            let lanes = self.window.lanes(blocks(segment.len() - offset), 2);
            let bytes = (lanes * 16).min(segment.len() - offset);
            let mut staged = [0u8; 32];
            let source = match segment.get(offset..offset + 32) {
                Some(whole) if bytes == 32 => whole,
                _ => {
                    let tail = segment.get(offset..offset + bytes).unwrap_or_default();
                    staged[..tail.len()].copy_from_slice(tail);
                    &staged[..]
                }
            };
            // SAFETY: `source` holds at least 32 readable bytes (a full slice or `staged`).
            let data = unsafe { _mm256_loadu_si256(source.as_ptr().cast::<__m256i>()) };
            self.absorb(_mm256_shuffle_epi8(data, reverse), lanes);
            offset += lanes * 16;
        }
    }
}

#[target_feature(enable = "avx2,vpclmulqdq,pclmulqdq")]
fn ghash_avx2(table: &PowerTable, aad: &[u8], text: &[u8]) -> [u8; 16] {
    let reverse = _mm256_broadcastsi128_si256(reverse_bytes_control());
    let mut sums = Sums256::new(table, blocks(aad.len()) + blocks(text.len()) + 1);
    sums.absorb_segment(aad, reverse);
    sums.absorb_segment(text, reverse);
    sums.absorb(
        _mm256_zextsi128_si256(length_lane(aad.len(), text.len())),
        1,
    );
    finish(sums.window.state)
}

/// XOR of the two 128-bit lanes.
#[inline]
#[target_feature(enable = "avx2")]
fn fold256(v: __m256i) -> __m128i {
    _mm_xor_si128(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v))
}
