//! The AES reference (FIPS-197) and the key expansion every backend uses.
//!
//! The S-box is computed, not looked up: the multiplicative inverse in GF(2^8) as x^254 by a
//! fixed sequence of branch-free multiplications, then the affine map. That keeps the timing
//! independent of key and data, at the price of speed: this path is a reference and a last
//! resort, while the hardware paths (AES-NI, VAES) do the work.

/// Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1, without data-dependent branches.
fn gf_mul(mut a: u8, mut b: u8) -> u8 {
    let mut product = 0u8;
    for _ in 0..8 {
        product ^= a & (b & 1).wrapping_neg();
        let carry = (a >> 7).wrapping_neg();
        a = (a << 1) ^ (0x1b & carry);
        b >>= 1;
    }
    product
}

/// Multiplication by x (`xtime` in FIPS-197).
fn xtime(a: u8) -> u8 {
    (a << 1) ^ (0x1b & (a >> 7).wrapping_neg())
}

/// The AES S-box: inverse (0 maps to 0) followed by the affine transformation.
fn sub_byte(x: u8) -> u8 {
    let x2 = gf_mul(x, x);
    let x4 = gf_mul(x2, x2);
    let x8 = gf_mul(x4, x4);
    let x16 = gf_mul(x8, x8);
    let x32 = gf_mul(x16, x16);
    let x64 = gf_mul(x32, x32);
    let x128 = gf_mul(x64, x64);
    // 254 = 2 + 4 + 8 + 16 + 32 + 64 + 128
    let inv = gf_mul(
        gf_mul(gf_mul(x2, x4), gf_mul(x8, x16)),
        gf_mul(gf_mul(x32, x64), x128),
    );
    inv ^ inv.rotate_left(1) ^ inv.rotate_left(2) ^ inv.rotate_left(3) ^ inv.rotate_left(4) ^ 0x63
}

/// Expands a 16-, 24- or 32-byte key into `rounds + 1` round keys (FIPS-197 section 5.2),
/// returning the number of rounds (10, 12 or 14). `key.len()` must be 16, 24 or 32.
pub(crate) fn expand_key(key: &[u8], round_keys: &mut [[u8; 16]; 15]) -> usize {
    let nk = key.len() / 4;
    let rounds = nk + 6;
    let total_words = 4 * (rounds + 1);
    let mut words = [[0u8; 4]; 60];
    for (word, chunk) in words.iter_mut().zip(key.chunks_exact(4)) {
        word.copy_from_slice(chunk);
    }
    let mut rcon = 1u8;
    for i in nk..total_words {
        let mut temp = words[i - 1];
        if i % nk == 0 {
            temp = [
                sub_byte(temp[1]) ^ rcon,
                sub_byte(temp[2]),
                sub_byte(temp[3]),
                sub_byte(temp[0]),
            ];
            rcon = xtime(rcon);
        } else if nk > 6 && i % nk == 4 {
            temp = temp.map(sub_byte);
        }
        for b in 0..4 {
            words[i][b] = words[i - nk][b] ^ temp[b];
        }
    }
    for (r, round_key) in round_keys.iter_mut().enumerate().take(rounds + 1) {
        for c in 0..4 {
            round_key[4 * c..4 * c + 4].copy_from_slice(&words[4 * r + c]);
        }
    }
    words.iter_mut().for_each(|w| *w = [0; 4]);
    rounds
}

/// Encrypts one block with expanded round keys (FIPS-197 section 5.1).
pub(crate) fn encrypt_block(round_keys: &[[u8; 16]; 15], rounds: usize, block: &mut [u8; 16]) {
    let add_round_key = |state: &mut [u8; 16], r: usize| {
        for (s, k) in state.iter_mut().zip(round_keys[r].iter()) {
            *s ^= k;
        }
    };
    add_round_key(block, 0);
    for r in 1..=rounds {
        let sub: [u8; 16] = block.map(sub_byte);
        // ShiftRows: byte (row, column) comes from (row, column + row).
        for c in 0..4 {
            for row in 0..4 {
                block[row + 4 * c] = sub[row + 4 * ((c + row) % 4)];
            }
        }
        if r != rounds {
            for c in 0..4 {
                let a = [
                    block[4 * c],
                    block[4 * c + 1],
                    block[4 * c + 2],
                    block[4 * c + 3],
                ];
                let all = a[0] ^ a[1] ^ a[2] ^ a[3];
                for row in 0..4 {
                    // 2*a[row] ^ 3*a[row+1] ^ a[row+2] ^ a[row+3]
                    block[4 * c + row] = a[row] ^ all ^ xtime(a[row] ^ a[(row + 1) % 4]);
                }
            }
        }
        add_round_key(block, r);
    }
}

/// Adds `i` to the last 32 bits of `counter`, big-endian, modulo 2^32 (GCM's `inc32`).
pub(crate) fn counter_plus(counter: &[u8; 16], i: u32) -> [u8; 16] {
    let mut block = *counter;
    let low = u32::from_be_bytes([block[12], block[13], block[14], block[15]]).wrapping_add(i);
    block[12..].copy_from_slice(&low.to_be_bytes());
    block
}

/// XORs the keystream of each job into its data, one block at a time.
pub(crate) fn apply_keystream(
    round_keys: &[[u8; 16]; 15],
    rounds: usize,
    jobs: &mut [super::CtrJob<'_>],
) {
    for job in jobs.iter_mut() {
        for (i, chunk) in job.data.chunks_mut(16).enumerate() {
            let mut block = counter_plus(&job.counter, i as u32);
            encrypt_block(round_keys, rounds, &mut block);
            for (d, k) in chunk.iter_mut().zip(block.iter()) {
                *d ^= k;
            }
        }
    }
}
