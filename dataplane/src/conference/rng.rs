//! A small deterministic generator (xorshift64*) for what RTCP wants random: the core's
//! SSRCs and the spread of report intervals. Not for keys; seeded from the configuration
//! so scripted runs repeat exactly.

#[derive(Debug, Clone)]
pub(crate) struct Xorshift {
    state: u64,
}

impl Xorshift {
    pub(crate) fn new(seed: u64) -> Self {
        // The all-zero state is a fixed point.
        Self {
            state: if seed == 0 {
                0x9e37_79b9_7f4a_7c15
            } else {
                seed
            },
        }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A nonzero 32-bit value.
    pub(crate) fn next_ssrc(&mut self) -> u32 {
        loop {
            let v = (self.next_u64() >> 32) as u32;
            if v != 0 {
                return v;
            }
        }
    }

    /// A value in `[0, 1)`.
    pub(crate) fn next_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_per_seed_and_stays_in_range() {
        let mut a = Xorshift::new(7);
        let mut b = Xorshift::new(7);
        for _ in 0..1000 {
            let u = a.next_unit();
            assert!((0.0..1.0).contains(&u));
            assert_eq!(u, b.next_unit());
            assert_ne!(a.next_ssrc(), 0);
            b.next_ssrc();
        }
        assert_ne!(Xorshift::new(1).next_u64(), Xorshift::new(2).next_u64());
        assert_ne!(Xorshift::new(0).next_u64(), 0);
    }
}
