//! How many datagrams each receive call brought in: the histogram that shows whether a core
//! is batching (busy: large batches, cheap per packet) or idling (batches of one).
//!
//! The core counts into a plain [`BatchSizes`] on its own path and publishes it with
//! [`PublishedBatchSizes::store`] at housekeeping, so the packet path never touches an
//! atomic per batch.

use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds (inclusive) of the histogram's buckets; larger batches land in `+Inf`.
pub const BATCH_SIZE_BOUNDS: [u64; 11] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/// A core's own count of receive batch sizes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchSizes {
    /// Batches per bucket (not cumulative); the last entry is `+Inf`.
    buckets: [u64; BATCH_SIZE_BOUNDS.len() + 1],
    sum: u64,
    count: u64,
}

impl BatchSizes {
    /// Counts one batch of `size` datagrams. Empty receives (timeouts) are not batches.
    pub fn record(&mut self, size: usize) {
        if size == 0 {
            return;
        }
        let size = size as u64;
        let bucket = BATCH_SIZE_BOUNDS
            .iter()
            .position(|&bound| size <= bound)
            .unwrap_or(BATCH_SIZE_BOUNDS.len());
        if let Some(slot) = self.buckets.get_mut(bucket) {
            *slot += 1;
        }
        self.sum += size;
        self.count += 1;
    }

    /// Batches counted.
    pub fn count(&self) -> u64 {
        self.count
    }
}

/// The published copy the HTTP thread reads.
#[derive(Debug, Default)]
pub struct PublishedBatchSizes {
    buckets: [AtomicU64; BATCH_SIZE_BOUNDS.len() + 1],
    sum: AtomicU64,
    count: AtomicU64,
}

impl PublishedBatchSizes {
    /// Publishes the core's counts.
    pub fn store(&self, sizes: &BatchSizes) {
        for (published, &count) in self.buckets.iter().zip(&sizes.buckets) {
            published.store(count, Ordering::Relaxed);
        }
        self.sum.store(sizes.sum, Ordering::Relaxed);
        self.count.store(sizes.count, Ordering::Relaxed);
    }

    /// Cumulative counts per bound as Prometheus wants them (`le` label, then value),
    /// ending with `+Inf`, and the sum and count.
    pub fn cumulative(&self) -> (Vec<(String, u64)>, u64, u64) {
        let mut running = 0;
        let mut rows = Vec::with_capacity(self.buckets.len());
        for (i, bucket) in self.buckets.iter().enumerate() {
            running += bucket.load(Ordering::Relaxed);
            let le = BATCH_SIZE_BOUNDS
                .get(i)
                .map_or_else(|| "+Inf".to_owned(), u64::to_string);
            rows.push((le, running));
        }
        (
            rows,
            self.sum.load(Ordering::Relaxed),
            self.count.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_land_in_the_first_bucket_that_holds_them_and_render_cumulatively() {
        let mut sizes = BatchSizes::default();
        for size in [0, 1, 1, 3, 4, 5, 2000] {
            sizes.record(size);
        }
        assert_eq!(sizes.count(), 6);
        let published = PublishedBatchSizes::default();
        published.store(&sizes);
        let (rows, sum, count) = published.cumulative();
        assert_eq!((sum, count), (2014, 6));
        let find = |le: &str| rows.iter().find(|(l, _)| l == le).map(|&(_, n)| n);
        assert_eq!(find("1"), Some(2));
        assert_eq!(find("2"), Some(2));
        assert_eq!(find("4"), Some(4));
        assert_eq!(find("8"), Some(5));
        assert_eq!(find("1024"), Some(5));
        assert_eq!(find("+Inf"), Some(6));
    }
}
