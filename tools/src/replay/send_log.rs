//! When each packet left, per participant, for one-way delay: the sender thread writes an
//! entry per packet and the receiver thread looks it up by packet index when a copy comes
//! back. A ring of atomics, so neither thread waits for the other; it holds the last
//! [`SEND_LOG_SLOTS`] packets (80 s of 20 ms audio), far longer than any copy is in flight.

use std::sync::atomic::{AtomicU64, Ordering};

/// Packets a log remembers.
pub const SEND_LOG_SLOTS: usize = 4096;

/// What the log says about one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentPacket {
    /// Microseconds since the run's clock origin when it was handed to the kernel.
    pub sent_us: u64,
    /// Whether every other participant of the conference must receive it.
    pub must_deliver: bool,
}

#[derive(Debug, Default)]
struct Slot {
    /// Packet index plus one; 0 for a slot never written.
    index: AtomicU64,
    /// `sent_us << 1 | must_deliver`.
    stamp: AtomicU64,
}

/// One participant's log, plus its send counters.
#[derive(Debug)]
pub struct SendLog {
    slots: Box<[Slot]>,
    sent: AtomicU64,
    must_sent: AtomicU64,
}

impl Default for SendLog {
    fn default() -> Self {
        SendLog {
            slots: (0..SEND_LOG_SLOTS).map(|_| Slot::default()).collect(),
            sent: AtomicU64::new(0),
            must_sent: AtomicU64::new(0),
        }
    }
}

impl SendLog {
    /// Records packet `index` as sent at `sent_us`. One writer only.
    pub fn record(&self, index: u64, sent_us: u64, must_deliver: bool) {
        let slot = &self.slots[(index % SEND_LOG_SLOTS as u64) as usize];
        slot.stamp
            .store(sent_us << 1 | u64::from(must_deliver), Ordering::Relaxed);
        slot.index.store(index + 1, Ordering::Release);
        self.sent.store(index + 1, Ordering::Release);
        if must_deliver {
            self.must_sent.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The entry of packet `index`, if the log still holds it.
    pub fn lookup(&self, index: u64) -> Option<SentPacket> {
        let slot = &self.slots[(index % SEND_LOG_SLOTS as u64) as usize];
        if slot.index.load(Ordering::Acquire) != index + 1 {
            return None;
        }
        let stamp = slot.stamp.load(Ordering::Relaxed);
        Some(SentPacket {
            sent_us: stamp >> 1,
            must_deliver: stamp & 1 == 1,
        })
    }

    /// Packets sent so far (the next index).
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Acquire)
    }

    /// Packets sent that every other participant must receive.
    pub fn must_sent(&self) -> u64 {
        self.must_sent.load(Ordering::Relaxed)
    }

    /// The packet index whose low 16 bits are `delta` (sequence number minus the first
    /// one), taking the most recent such index already sent.
    pub fn index_for(&self, delta: u16) -> Option<u64> {
        let sent = self.sent();
        let newest = sent.checked_sub(1)?;
        let back = (newest as u16).wrapping_sub(delta);
        newest.checked_sub(u64::from(back))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_found_by_index_until_overwritten() {
        let log = SendLog::default();
        assert_eq!(log.lookup(0), None);
        log.record(0, 10, true);
        log.record(1, 30, false);
        assert_eq!(
            log.lookup(0),
            Some(SentPacket {
                sent_us: 10,
                must_deliver: true
            })
        );
        assert_eq!(log.lookup(1).map(|p| p.must_deliver), Some(false));
        assert_eq!((log.sent(), log.must_sent()), (2, 1));
        log.record(SEND_LOG_SLOTS as u64, 99, false);
        assert_eq!(log.lookup(0), None, "overwritten by a packet a ring later");
    }

    #[test]
    fn sequence_deltas_map_to_the_latest_index_across_wraps() {
        let log = SendLog::default();
        assert_eq!(log.index_for(0), None);
        for i in 0..70_000u64 {
            log.record(i, i, false);
        }
        // 69_999 = 65_536 + 4_463.
        assert_eq!(log.index_for(4_463), Some(69_999));
        assert_eq!(log.index_for(4_400), Some(69_936));
        assert_eq!(log.index_for(4_464), Some(4_464), "a lap back");
    }
}
