//! What one participant received from one other participant: packets, duplicates,
//! reordering and RFC 3550 interarrival jitter, keyed by the sender's packet index (the
//! receiver knows which packet it is, so no guessing from sequence numbers is needed).

/// Packet indexes the duplicate window remembers behind the highest one.
const WINDOW: u64 = 1024;

/// How a received packet was classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// First copy, in order.
    InOrder,
    /// First copy, after a later packet.
    Reordered,
    /// A copy already received.
    Duplicate,
}

/// One (receiver, sender) pair.
#[derive(Debug, Clone)]
pub struct PairStats {
    /// First copies received.
    pub received: u64,
    /// First copies of packets that had to arrive.
    pub received_must: u64,
    /// Copies received more than once.
    pub duplicates: u64,
    /// First copies that came after a later packet.
    pub reordered: u64,
    clock_rate: f64,
    highest: Option<u64>,
    seen: [u64; (WINDOW / 64) as usize],
    /// RFC 3550 jitter estimate in timestamp units.
    jitter: f64,
    last_transit: Option<f64>,
}

impl PairStats {
    /// An empty pair for a sender whose RTP clock runs at `clock_rate` Hz.
    pub fn new(clock_rate: u32) -> PairStats {
        PairStats {
            received: 0,
            received_must: 0,
            duplicates: 0,
            reordered: 0,
            clock_rate: f64::from(clock_rate.max(1)),
            highest: None,
            seen: [0; (WINDOW / 64) as usize],
            jitter: 0.0,
            last_transit: None,
        }
    }

    fn bit(index: u64) -> (usize, u64) {
        let at = index % WINDOW;
        ((at / 64) as usize, 1 << (at % 64))
    }

    /// Counts packet `index` with RTP timestamp `timestamp`, arrived at `arrival_ns`.
    pub fn on_packet(
        &mut self,
        index: u64,
        timestamp: u32,
        arrival_ns: u64,
        must: bool,
    ) -> Arrival {
        let arrival = match self.highest {
            Some(highest) if index <= highest => {
                let (word, mask) = Self::bit(index);
                let too_old = highest - index >= WINDOW;
                if too_old || self.seen[word] & mask != 0 {
                    if too_old {
                        // Older than the window: cannot tell, count as late.
                        self.reordered += 1;
                        self.received += 1;
                        self.received_must += u64::from(must);
                        return Arrival::Reordered;
                    }
                    self.duplicates += 1;
                    return Arrival::Duplicate;
                }
                self.seen[word] |= mask;
                Arrival::Reordered
            }
            _ => {
                let from = self.highest.map_or(index, |h| h + 1);
                if index - from >= WINDOW {
                    self.seen = [0; (WINDOW / 64) as usize];
                } else {
                    for skipped in from..index {
                        let (word, mask) = Self::bit(skipped);
                        self.seen[word] &= !mask;
                    }
                }
                let (word, mask) = Self::bit(index);
                self.seen[word] |= mask;
                self.highest = Some(index);
                Arrival::InOrder
            }
        };
        self.received += 1;
        self.received_must += u64::from(must);
        if arrival == Arrival::Reordered {
            self.reordered += 1;
        }
        let arrival_units = arrival_ns as f64 * self.clock_rate / 1e9;
        let transit = arrival_units - f64::from(timestamp);
        if let Some(last) = self.last_transit {
            // Timestamps wrap at 2^32; the difference of two transits does not care.
            let mut d = (transit - last).abs();
            if d > f64::from(u32::MAX) / 2.0 {
                d = (d - 4_294_967_296.0).abs();
            }
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.last_transit = Some(transit);
        arrival
    }

    /// The highest packet index received, if any.
    pub fn highest(&self) -> Option<u64> {
        self.highest
    }

    /// The jitter estimate in milliseconds.
    pub fn jitter_ms(&self) -> f64 {
        self.jitter / self.clock_rate * 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_and_reordering_are_told_apart() {
        let mut pair = PairStats::new(8000);
        let at = |i: u64| i * 20_000_000;
        assert_eq!(pair.on_packet(0, 0, at(0), true), Arrival::InOrder);
        assert_eq!(pair.on_packet(2, 320, at(2), true), Arrival::InOrder);
        assert_eq!(pair.on_packet(1, 160, at(2), false), Arrival::Reordered);
        assert_eq!(pair.on_packet(1, 160, at(2), false), Arrival::Duplicate);
        assert_eq!(pair.on_packet(2, 320, at(3), true), Arrival::Duplicate);
        assert_eq!(pair.on_packet(5_000, 0, at(5), true), Arrival::InOrder);
        assert_eq!(
            pair.on_packet(2, 320, at(6), true),
            Arrival::Reordered,
            "too old to tell"
        );
        assert_eq!(
            (
                pair.received,
                pair.received_must,
                pair.duplicates,
                pair.reordered
            ),
            (5, 4, 2, 2)
        );
    }

    #[test]
    fn jitter_follows_rfc_3550_on_a_steady_offset() {
        // Packets every 20 ms (160 units); every other one arrives 1 ms (8 units) late.
        let mut pair = PairStats::new(8000);
        for i in 0..2000u64 {
            let late = if i % 2 == 1 { 1_000_000 } else { 0 };
            pair.on_packet(i, (i * 160) as u32, 7 + i * 20_000_000 + late, true);
        }
        // |D| is 8 units every time, so J converges to 8 units = 1 ms.
        assert!(
            (pair.jitter_ms() - 1.0).abs() < 0.01,
            "{}",
            pair.jitter_ms()
        );
        let mut steady = PairStats::new(8000);
        for i in 0..100u64 {
            steady.on_packet(i, (i * 160) as u32, 3 + i * 20_000_000, true);
        }
        assert!(steady.jitter_ms() < 1e-6);
    }
}
