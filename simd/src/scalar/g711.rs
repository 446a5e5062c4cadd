//! ITU-T G.711 mu-law and A-law, bit-exact with SoX.
//!
//! G.711 codes 14-bit (mu-law) or 13-bit (A-law) linear samples. From 16-bit PCM, SoX
//! first rounds to that width (half up: `(x + 2) >> 2` and `(x + 4) >> 3`), clipping the
//! few positive values that round past the top (`32766..` for mu-law, `32764..` for A-law),
//! then applies the segment coding of the classic Sun `g711.c`. Decoding returns the
//! segment's centre value scaled back to 16 bits. The tests prove every one of the 65 536
//! inputs and 256 codes against SoX itself.

/// Mu-law bias in 14-bit units (132 in 16-bit units).
const ULAW_BIAS: i32 = 33;
/// Largest 14-bit magnitude that still fits in the top segment once biased.
const ULAW_MAX_MAGNITUDE: i32 = 0x1FFF - ULAW_BIAS;

/// Encodes one 16-bit sample to a mu-law code.
pub const fn ulaw_encode_sample(sample: i16) -> u8 {
    let narrow = (sample as i32 + 2) >> 2;
    let narrow = if narrow > 0x1FFF { 0x1FFF } else { narrow };
    let (magnitude, invert) = if narrow < 0 {
        (-narrow, 0x7F)
    } else {
        (narrow, 0xFF)
    };
    let magnitude = if magnitude > ULAW_MAX_MAGNITUDE {
        ULAW_MAX_MAGNITUDE
    } else {
        magnitude
    };
    let biased = magnitude + ULAW_BIAS; // 33..=0x1FFF, so its top bit is bit 5..=12
    let segment = (31 - biased.leading_zeros()) as i32 - 5;
    let step = (biased >> (segment + 1)) & 0xF;
    ((segment << 4) | step) as u8 ^ invert
}

/// Decodes one mu-law code to a 16-bit sample.
pub const fn ulaw_decode_sample(code: u8) -> i16 {
    let inverted = !code;
    let segment = (inverted >> 4) & 0x7;
    let step = (inverted & 0xF) as i32;
    let magnitude = (((step << 3) + 4 * ULAW_BIAS) << segment) - 4 * ULAW_BIAS;
    // magnitude <= 32124, so both signs fit in i16.
    if inverted & 0x80 != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

/// Encodes one 16-bit sample to an A-law code.
pub const fn alaw_encode_sample(sample: i16) -> u8 {
    let narrow = (sample as i32 + 4) >> 3;
    let narrow = if narrow > 0xFFF { 0xFFF } else { narrow };
    // A-law codes negative values by their ones' complement, so -1 shares a code with 0.
    let (magnitude, invert) = if narrow < 0 {
        (!narrow, 0x55)
    } else {
        (narrow, 0xD5)
    };
    let code = if magnitude < 32 {
        // Segments 0 and 1 share one step size.
        magnitude >> 1
    } else {
        let top_bit = (31 - magnitude.leading_zeros()) as i32; // 5..=11
        let segment = top_bit - 4;
        (segment << 4) | ((magnitude >> (top_bit - 4)) & 0xF)
    };
    code as u8 ^ invert
}

/// Decodes one A-law code to a 16-bit sample.
pub const fn alaw_decode_sample(code: u8) -> i16 {
    let toggled = code ^ 0x55;
    let segment = (toggled >> 4) & 0x7;
    let step = (toggled & 0xF) as i32;
    let magnitude = if segment == 0 {
        (step << 4) + 8
    } else {
        ((step << 4) + 0x108) << (segment - 1)
    };
    // magnitude <= 32256, so both signs fit in i16.
    if toggled & 0x80 != 0 {
        magnitude as i16
    } else {
        -magnitude as i16
    }
}

/// Encodes `pcm` to mu-law codes in `out`, over the shorter of the two lengths.
pub fn ulaw_encode(out: &mut [u8], pcm: &[i16]) {
    for (code, &sample) in out.iter_mut().zip(pcm) {
        *code = ulaw_encode_sample(sample);
    }
}

/// Decodes mu-law `codes` to samples in `out`, over the shorter of the two lengths.
pub fn ulaw_decode(out: &mut [i16], codes: &[u8]) {
    for (sample, &code) in out.iter_mut().zip(codes) {
        *sample = ulaw_decode_sample(code);
    }
}

/// Encodes `pcm` to A-law codes in `out`, over the shorter of the two lengths.
pub fn alaw_encode(out: &mut [u8], pcm: &[i16]) {
    for (code, &sample) in out.iter_mut().zip(pcm) {
        *code = alaw_encode_sample(sample);
    }
}

/// Decodes A-law `codes` to samples in `out`, over the shorter of the two lengths.
pub fn alaw_decode(out: &mut [i16], codes: &[u8]) {
    for (sample, &code) in out.iter_mut().zip(codes) {
        *sample = alaw_decode_sample(code);
    }
}
