//! The interarrival jitter of RFC 3550 sec. 6.4.1: the mean deviation of the difference in
//! packet spacing at the receiver compared to the sender, smoothed with gain 1/16. The
//! jitter buffer sizes its target delay from it.

use std::time::Instant;

/// A deviation larger than this many seconds is clipped, so that one outlier (a stall, a
/// timestamp discontinuity) raises the estimate by at most 1/16 of it.
const MAX_DEVIATION_SECONDS: f64 = 0.25;

/// The running jitter estimate of one stream.
#[derive(Debug, Clone)]
pub(super) struct InterarrivalJitter {
    clock_rate: f64,
    last: Option<(Instant, u32)>,
    /// The estimate in RTP timestamp units.
    jitter: f64,
}

impl InterarrivalJitter {
    pub(super) fn new(clock_rate: u32) -> Self {
        InterarrivalJitter {
            clock_rate: f64::from(clock_rate),
            last: None,
            jitter: 0.0,
        }
    }

    /// Folds in a packet with RTP timestamp `timestamp` that arrived at `arrival`.
    pub(super) fn observe(&mut self, arrival: Instant, timestamp: u32) {
        if let Some((previous_arrival, previous_timestamp)) = self.last {
            let spacing_seconds = match arrival.checked_duration_since(previous_arrival) {
                Some(later) => later.as_secs_f64(),
                None => -previous_arrival.duration_since(arrival).as_secs_f64(),
            };
            let spacing = spacing_seconds * self.clock_rate;
            // A signed difference: reordered packets step the timestamp backwards.
            let sent_spacing = f64::from(timestamp.wrapping_sub(previous_timestamp) as i32);
            let deviation = (spacing - sent_spacing)
                .abs()
                .min(MAX_DEVIATION_SECONDS * self.clock_rate);
            self.jitter += (deviation - self.jitter) / 16.0;
        }
        self.last = Some((arrival, timestamp));
    }

    /// The estimate in seconds.
    pub(super) fn seconds(&self) -> f64 {
        self.jitter / self.clock_rate
    }

    /// Forgets the stream (a new SSRC or a resynchronisation).
    pub(super) fn restart(&mut self) {
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_steady_stream_has_no_jitter_and_alternating_delay_converges_to_it() {
        let start = Instant::now();
        let mut steady = InterarrivalJitter::new(8000);
        for i in 0..100u32 {
            steady.observe(start + Duration::from_millis(20 * u64::from(i)), 160 * i);
        }
        assert!(steady.seconds() < 1e-9);

        // Every other packet 10 ms late: |D| alternates 10 ms, so J tends to 10 ms.
        let mut wobbly = InterarrivalJitter::new(8000);
        for i in 0..2000u32 {
            let late = if i % 2 == 1 { 10 } else { 0 };
            let arrival = start + Duration::from_millis(20 * u64::from(i) + late);
            wobbly.observe(arrival, 160 * i);
        }
        assert!(
            (wobbly.seconds() - 0.010).abs() < 0.0005,
            "{}",
            wobbly.seconds()
        );
    }
}
