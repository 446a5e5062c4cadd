//! The per-leg packet-rate limit: a token bucket refilled from the time the caller passes
//! in, so it is exact under a scripted clock.

use std::time::Instant;

use super::RateLimit;

/// Tokens are packets; the bucket starts full.
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    per_second: f64,
    burst: f64,
    tokens: f64,
    refilled_at: Instant,
}

impl TokenBucket {
    pub(crate) fn new(limit: RateLimit, now: Instant) -> Self {
        let burst = f64::from(limit.burst);
        Self {
            per_second: f64::from(limit.packets_per_second),
            burst,
            tokens: burst,
            refilled_at: now,
        }
    }

    /// Takes one token if there is one.
    pub(crate) fn take(&mut self, now: Instant) -> bool {
        let elapsed = now
            .saturating_duration_since(self.refilled_at)
            .as_secs_f64();
        if elapsed > 0.0 {
            self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
            self.refilled_at = now;
        }
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn allows_the_burst_then_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(
            RateLimit {
                packets_per_second: 100,
                burst: 5,
            },
            start,
        );
        let passed = (0..20).filter(|_| bucket.take(start)).count();
        assert_eq!(passed, 5);
        // 100 ms at 100/s refills 10 tokens, capped at the burst of 5.
        let later = start + Duration::from_millis(100);
        assert_eq!((0..20).filter(|_| bucket.take(later)).count(), 5);
        // 20 ms refills 2.
        let soon = later + Duration::from_millis(20);
        assert_eq!((0..20).filter(|_| bucket.take(soon)).count(), 2);
        // Time going backwards refills nothing.
        assert!(!bucket.take(start));
    }
}
