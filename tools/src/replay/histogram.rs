//! One-way delays, kept as a fixed-size log-linear histogram so a run of any length takes
//! constant memory: exact below 128 us, then 64 buckets per power of two (under 1.6 %
//! error), up to hours.

/// Values below this are counted exactly.
const LINEAR: u64 = 128;
/// Buckets per power of two above the linear range.
const SUB_BUCKETS: u64 = 64;
/// Powers of two covered above the linear range (2^7 .. 2^44 us).
const OCTAVES: u64 = 38;

/// Counts of microsecond values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelayHistogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

impl Default for DelayHistogram {
    fn default() -> Self {
        DelayHistogram {
            counts: vec![0; (LINEAR + OCTAVES * SUB_BUCKETS) as usize],
            total: 0,
            max: 0,
        }
    }
}

fn bucket_of(value: u64) -> usize {
    if value < LINEAR {
        return value as usize;
    }
    let octave = 63 - u64::from(value.leading_zeros()); // >= 7
    let shift = octave - 6;
    let sub = (value >> shift) - SUB_BUCKETS;
    let bucket = LINEAR + (octave - 7) * SUB_BUCKETS + sub;
    bucket.min(LINEAR + OCTAVES * SUB_BUCKETS - 1) as usize
}

/// The middle of a bucket's range.
fn value_of(bucket: usize) -> u64 {
    let bucket = bucket as u64;
    if bucket < LINEAR {
        return bucket;
    }
    let octave = (bucket - LINEAR) / SUB_BUCKETS + 7;
    let sub = (bucket - LINEAR) % SUB_BUCKETS;
    let shift = octave - 6;
    let low = (SUB_BUCKETS + sub) << shift;
    low + (1 << shift) / 2
}

impl DelayHistogram {
    /// Counts one value.
    pub fn record(&mut self, micros: u64) {
        if let Some(count) = self.counts.get_mut(bucket_of(micros)) {
            *count += 1;
        }
        self.total += 1;
        self.max = self.max.max(micros);
    }

    /// Adds another histogram's counts.
    pub fn merge(&mut self, other: &DelayHistogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// Values counted.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The largest value counted.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The value at quantile `q` (0..=1), or `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (bucket, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Some(value_of(bucket).min(self.max));
            }
        }
        Some(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_are_exact_and_large_ones_within_two_percent() {
        let mut h = DelayHistogram::default();
        assert_eq!(h.quantile(0.5), None);
        for v in 1..=100 {
            h.record(v);
        }
        assert_eq!(h.quantile(0.5), Some(50));
        assert_eq!(h.quantile(0.99), Some(99));
        assert_eq!(h.quantile(1.0), Some(100));
        for v in [130, 1_000, 77_777, 5_000_000, 3_600_000_000] {
            let mut one = DelayHistogram::default();
            one.record(v);
            let got = one.quantile(0.5).unwrap() as f64;
            assert!((got - v as f64).abs() / (v as f64) < 0.02, "{v} -> {got}");
        }
    }

    #[test]
    fn merged_histograms_count_both() {
        let mut a = DelayHistogram::default();
        let mut b = DelayHistogram::default();
        for _ in 0..90 {
            a.record(10);
        }
        for _ in 0..10 {
            b.record(5_000);
        }
        a.merge(&b);
        assert_eq!(a.count(), 100);
        assert_eq!(a.quantile(0.9), Some(10));
        let p99 = a.quantile(0.99).unwrap();
        assert!((4_900..=5_000).contains(&p99), "{p99}");
        assert_eq!(a.max(), 5_000);
    }
}
