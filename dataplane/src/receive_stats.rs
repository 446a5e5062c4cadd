//! Per-source receive statistics as RFC 3550 defines them: sequence validation and
//! accounting (appendix A.1), loss and fraction lost for reception reports (A.3), and
//! interarrival jitter (A.8), plus duplicate detection, which the RFC leaves out.
//!
//! Sans-IO: the caller passes each packet's sequence number, RTP timestamp and arrival time
//! (nanoseconds on any monotonic clock); nothing here reads a clock. State is a fixed-size
//! struct, so a packet never allocates.
//!
//! Three places go beyond the RFC's sample code, each documented where it happens:
//! - the packets that prove a new source valid are counted, not just used as proof: the
//!   accounting starts at the source's first packet (if it is within [`MAX_DROPOUT`] of
//!   the packet that ends probation), so loss among a stream's first packets is not
//!   hidden (tshark and rtpproxy count from the first packet too);
//! - a resynchronisation ("two sequential packets after a bad jump") folds the counts of
//!   the abandoned sequence into running totals instead of discarding them, so the
//!   cumulative loss covers the whole reception as RFC 3550 section 6.4.1 describes it,
//!   and the new sequence is counted from the bad-jump packet that started it;
//! - duplicates are recognised with a window of the last [`DUPLICATE_WINDOW`] sequence
//!   numbers; they still count as received (so, as the RFC says, loss can go negative) but
//!   do not update the jitter.

/// Packets in sequence needed before a new source is valid (RFC 3550 A.1).
pub const MIN_SEQUENTIAL: u16 = 2;
/// The largest forward jump still treated as loss rather than a restart (RFC 3550 A.1).
pub const MAX_DROPOUT: u16 = 3000;
/// The furthest back a packet may arrive and still count as reordered (RFC 3550 A.1).
pub const MAX_MISORDER: u16 = 100;
/// How many of the most recent sequence numbers duplicate detection remembers.
pub const DUPLICATE_WINDOW: u32 = 1024;

const SEQ_MOD: u32 = 1 << 16;
const NANOS_PER_SECOND: f64 = 1e9;
/// Jitter smoothing: each sample moves the estimate 1/16 of the way (RFC 3550 A.8).
const JITTER_GAIN: f64 = 1.0 / 16.0;

/// What [`ReceiveStats::on_packet`] made of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SequenceVerdict {
    /// In order, after a gap, or reordered within [`MAX_MISORDER`]: counted.
    Accepted,
    /// The packet that ends a new source's probation: the first one counted.
    Validated,
    /// A sequence number seen within the last [`DUPLICATE_WINDOW`]: counted as received
    /// (RFC 3550 counts duplicates), reported separately, no jitter sample.
    Duplicate,
    /// The source is new and not yet [`MIN_SEQUENTIAL`] packets in sequence: not counted.
    Probation,
    /// A jump of more than [`MAX_DROPOUT`] ahead or [`MAX_MISORDER`] behind: not counted;
    /// if the next packet follows this one, the sender is taken to have restarted.
    BadJump,
    /// This packet follows a bad jump, so the sequence restarted here: counted, and the
    /// sequence accounting starts over from it.
    Restarted,
}

/// A reception report for one interval (RFC 3550 section 6.4.1, computed per A.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceptionReport {
    /// Packets lost in the interval as a fixed-point fraction of those expected (x/256);
    /// zero when more arrived than expected.
    pub fraction_lost: u8,
    /// Packets lost since reception began, clamped to the signed 24-bit field.
    pub cumulative_lost: i32,
    /// Cycles of the sequence number in the high 16 bits, highest sequence number in the
    /// low 16 bits.
    pub extended_highest_sequence: u32,
    /// Interarrival jitter in RTP timestamp units, rounded.
    pub jitter: u32,
}

/// Bitmap of the last [`DUPLICATE_WINDOW`] extended sequence numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RecentSequences {
    bits: [u64; (DUPLICATE_WINDOW / 64) as usize],
    /// The highest extended sequence number recorded; bit positions are relative to it.
    highest: Option<u64>,
}

impl RecentSequences {
    const fn new() -> Self {
        RecentSequences {
            bits: [0; (DUPLICATE_WINDOW / 64) as usize],
            highest: None,
        }
    }

    fn slot(extended: u64) -> (usize, u64) {
        let position = extended % u64::from(DUPLICATE_WINDOW);
        ((position / 64) as usize, 1 << (position % 64))
    }

    /// Records `extended`; returns true if it was already there.
    fn insert(&mut self, extended: u64) -> bool {
        let highest = match self.highest {
            None => {
                self.highest = Some(extended);
                self.set(extended);
                return false;
            }
            Some(h) => h,
        };
        if extended > highest {
            let advance = extended - highest;
            if advance >= u64::from(DUPLICATE_WINDOW) {
                self.bits = [0; (DUPLICATE_WINDOW / 64) as usize];
            } else {
                for skipped in highest + 1..=extended {
                    self.clear(skipped);
                }
            }
            self.highest = Some(extended);
            self.set(extended);
            return false;
        }
        if highest - extended >= u64::from(DUPLICATE_WINDOW) {
            // Too old to tell; count it as new.
            return false;
        }
        let (word, mask) = Self::slot(extended);
        let seen = self.bits.get(word).is_some_and(|w| w & mask != 0);
        self.set(extended);
        seen
    }

    fn set(&mut self, extended: u64) {
        let (word, mask) = Self::slot(extended);
        if let Some(w) = self.bits.get_mut(word) {
            *w |= mask;
        }
    }

    fn clear(&mut self, extended: u64) {
        let (word, mask) = Self::slot(extended);
        if let Some(w) = self.bits.get_mut(word) {
            *w &= !mask;
        }
    }
}

/// The previous packet's arrival and RTP timestamp, for the next jitter sample.
#[derive(Debug, Clone, Copy, PartialEq)]
struct TransitReference {
    arrival_ns: u64,
    rtp_timestamp: u32,
}

/// Receive statistics for one RTP source (one SSRC).
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiveStats {
    clock_rate: u32,
    // RFC 3550 A.1 `source` fields.
    max_seq: u16,
    /// Sequence cycles, shifted left 16 bits as in the RFC.
    cycles: u32,
    base_seq: u32,
    /// The sequence number after a bad jump; `SEQ_MOD + 1` when none is pending.
    bad_seq: u32,
    probation: u16,
    /// The source's first sequence number, and distinct packets seen in probation.
    first_seq: u16,
    probation_packets: u64,
    received: u64,
    expected_prior: u64,
    received_prior: u64,
    // Totals of sequences abandoned at a restart.
    earlier_expected: u64,
    earlier_received: u64,
    restarts: u64,
    duplicates: u64,
    /// Duplicates that were also counted in `received` (all but those in probation).
    received_duplicates: u64,
    recent: RecentSequences,
    // RFC 3550 A.8 jitter, in RTP timestamp units.
    transit_reference: Option<TransitReference>,
    jitter: f64,
    max_jitter: f64,
    jitter_sum: f64,
    jitter_samples: u64,
}

impl ReceiveStats {
    /// Statistics for a source whose first packet has sequence number `first_seq`, sampled
    /// with an RTP clock of `clock_rate` Hz (0 when unknown: jitter then stays zero). Feed
    /// the first packet to [`on_packet`](Self::on_packet) as well.
    pub fn new(first_seq: u16, clock_rate: u32) -> Self {
        let mut stats = ReceiveStats {
            clock_rate,
            max_seq: 0,
            cycles: 0,
            base_seq: 0,
            bad_seq: SEQ_MOD + 1,
            probation: MIN_SEQUENTIAL,
            first_seq,
            probation_packets: 0,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            earlier_expected: 0,
            earlier_received: 0,
            restarts: 0,
            duplicates: 0,
            received_duplicates: 0,
            recent: RecentSequences::new(),
            transit_reference: None,
            jitter: 0.0,
            max_jitter: 0.0,
            jitter_sum: 0.0,
            jitter_samples: 0,
        };
        stats.init_seq(first_seq);
        // A new source starts on probation, as if the packet before the first had arrived.
        stats.max_seq = first_seq.wrapping_sub(1);
        stats
    }

    /// Takes in one packet: its sequence number, RTP timestamp and arrival time in
    /// nanoseconds (any clock, as long as it is the same for every packet).
    pub fn on_packet(&mut self, seq: u16, rtp_timestamp: u32, arrival_ns: u64) -> SequenceVerdict {
        let verdict = self.update_seq(seq);
        match verdict {
            SequenceVerdict::Accepted => {
                if self.recent.insert(self.extend(seq)) {
                    self.duplicates += 1;
                    self.received_duplicates += 1;
                    return SequenceVerdict::Duplicate;
                }
                self.sample_jitter(rtp_timestamp, arrival_ns);
            }
            SequenceVerdict::Validated => {
                // Start the window at this packet and the probation packet before it.
                self.recent = RecentSequences::new();
                let extended = self.extend(seq);
                if let Some(previous) = extended.checked_sub(1) {
                    self.recent.insert(previous);
                }
                self.recent.insert(extended);
                self.sample_jitter(rtp_timestamp, arrival_ns);
            }
            SequenceVerdict::Restarted => {
                self.recent = RecentSequences::new();
                let extended = self.extend(seq);
                if let Some(previous) = extended.checked_sub(1) {
                    self.recent.insert(previous);
                }
                self.recent.insert(extended);
                // Transit times across a restart compare unrelated timelines.
                self.transit_reference = None;
                self.sample_jitter(rtp_timestamp, arrival_ns);
            }
            SequenceVerdict::Probation => {
                // Until the source is valid the reference is simply the latest packet, so
                // the first valid packet gives a sample against its predecessor.
                self.transit_reference = Some(TransitReference {
                    arrival_ns,
                    rtp_timestamp,
                });
                if self.recent.insert(u64::from(seq)) {
                    // Not counted among the probation packets, but a duplicate all the same.
                    self.duplicates += 1;
                    return SequenceVerdict::Duplicate;
                }
                self.probation_packets += 1;
            }
            SequenceVerdict::Duplicate | SequenceVerdict::BadJump => {}
        }
        verdict
    }

    /// RFC 3550 A.1 `init_seq`.
    fn init_seq(&mut self, seq: u16) {
        self.init_span(seq, seq);
    }

    /// `init_seq` for a sequence that began at `first` and has reached `current` (at most
    /// [`MAX_DROPOUT`] later, possibly across a wrap).
    fn init_span(&mut self, first: u16, current: u16) {
        self.base_seq = u32::from(first);
        self.max_seq = current;
        self.bad_seq = SEQ_MOD + 1;
        self.cycles = if current < first { SEQ_MOD } else { 0 };
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
    }

    /// RFC 3550 A.1 `update_seq`, returning why a packet was or was not counted.
    fn update_seq(&mut self, seq: u16) -> SequenceVerdict {
        let udelta = seq.wrapping_sub(self.max_seq);
        if self.probation > 0 {
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    // Count from the source's first packet (beyond the RFC, see module
                    // doc), unless that lies implausibly far back.
                    if seq.wrapping_sub(self.first_seq) < MAX_DROPOUT {
                        self.init_span(self.first_seq, seq);
                        self.received = self.probation_packets + 1;
                    } else {
                        self.init_seq(seq);
                        self.received = 1;
                    }
                    return SequenceVerdict::Validated;
                }
            } else {
                self.probation = MIN_SEQUENTIAL - 1;
                self.max_seq = seq;
            }
            return SequenceVerdict::Probation;
        }
        if udelta < MAX_DROPOUT {
            // In order, with a permissible gap.
            if seq < self.max_seq {
                self.cycles = self.cycles.wrapping_add(SEQ_MOD);
            }
            self.max_seq = seq;
        } else if u32::from(udelta) <= SEQ_MOD - u32::from(MAX_MISORDER) {
            // A very large jump.
            if u32::from(seq) == self.bad_seq {
                // Two sequential packets: the other side restarted without telling us.
                // Keep what the abandoned sequence counted (beyond the RFC, see module doc).
                self.earlier_expected += self.expected();
                self.earlier_received += self.received;
                self.restarts += 1;
                // The new sequence began with the bad-jump packet before this one.
                self.init_span(seq.wrapping_sub(1), seq);
                self.received = 2;
                return SequenceVerdict::Restarted;
            }
            self.bad_seq = (u32::from(seq) + 1) & (SEQ_MOD - 1);
            return SequenceVerdict::BadJump;
        }
        // Otherwise a duplicate or reordered packet: counted, max unchanged.
        self.received += 1;
        SequenceVerdict::Accepted
    }

    /// The extended sequence number of `seq`, placed relative to the highest seen.
    fn extend(&self, seq: u16) -> u64 {
        let highest = self.extended_highest_sequence();
        let behind = u64::from(self.max_seq.wrapping_sub(seq));
        if u32::from(self.max_seq.wrapping_sub(seq)) < SEQ_MOD / 2 {
            highest.saturating_sub(behind)
        } else {
            highest + u64::from(seq.wrapping_sub(self.max_seq))
        }
    }

    /// RFC 3550 A.8: one jitter sample against the previous packet.
    fn sample_jitter(&mut self, rtp_timestamp: u32, arrival_ns: u64) {
        let reference = self.transit_reference.replace(TransitReference {
            arrival_ns,
            rtp_timestamp,
        });
        let Some(previous) = reference else {
            return;
        };
        if self.clock_rate == 0 {
            return;
        }
        let arrival_delta_ns = arrival_ns as f64 - previous.arrival_ns as f64;
        let arrival_delta = arrival_delta_ns * f64::from(self.clock_rate) / NANOS_PER_SECOND;
        // The timestamp difference as a signed 32-bit value handles timestamp wrap.
        let timestamp_delta = f64::from(rtp_timestamp.wrapping_sub(previous.rtp_timestamp) as i32);
        let d = (arrival_delta - timestamp_delta).abs();
        self.jitter += (d - self.jitter) * JITTER_GAIN;
        self.max_jitter = self.max_jitter.max(self.jitter);
        self.jitter_sum += self.jitter;
        self.jitter_samples += 1;
    }

    /// The RTP clock rate jitter is measured against (0 when unknown).
    pub fn clock_rate(&self) -> u32 {
        self.clock_rate
    }

    /// False while the source is still on probation.
    pub fn is_valid(&self) -> bool {
        self.probation == 0
    }

    /// Cycles in the high 16 bits, highest sequence number in the low 16, widened so it
    /// never wraps.
    pub fn extended_highest_sequence(&self) -> u64 {
        u64::from(self.cycles) + u64::from(self.max_seq)
    }

    /// Packets expected in the current sequence (since the last restart).
    pub fn expected(&self) -> u64 {
        if !self.is_valid() {
            return 0;
        }
        (self.extended_highest_sequence() + 1).saturating_sub(u64::from(self.base_seq))
    }

    /// Packets counted as received in the current sequence, duplicates included.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Packets expected since reception began, across restarts.
    pub fn total_expected(&self) -> u64 {
        self.earlier_expected + self.expected()
    }

    /// Packets counted as received since reception began, across restarts.
    pub fn total_received(&self) -> u64 {
        self.earlier_received + self.received
    }

    /// Packets lost since reception began: expected minus received. Negative when
    /// duplicates outnumber losses.
    pub fn cumulative_lost(&self) -> i64 {
        self.total_expected() as i64 - self.total_received() as i64
    }

    /// Packets lost counting each sequence number once: expected minus distinct packets
    /// received. Unlike [`cumulative_lost`](Self::cumulative_lost) this never goes negative
    /// because of duplicates; it is the loss a jitter buffer sees.
    pub fn distinct_lost(&self) -> i64 {
        self.cumulative_lost() + self.received_duplicates as i64
    }

    /// Duplicates recognised (including any during probation).
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// How often the sender was taken to have restarted its sequence.
    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    /// Current interarrival jitter estimate in RTP timestamp units.
    pub fn jitter(&self) -> f64 {
        self.jitter
    }

    /// The largest jitter estimate so far, in RTP timestamp units.
    pub fn max_jitter(&self) -> f64 {
        self.max_jitter
    }

    /// The mean of the jitter estimate over all samples, in RTP timestamp units.
    pub fn mean_jitter(&self) -> f64 {
        if self.jitter_samples == 0 {
            0.0
        } else {
            self.jitter_sum / self.jitter_samples as f64
        }
    }

    /// Jitter samples taken (packets after the first that updated the estimate).
    pub fn jitter_samples(&self) -> u64 {
        self.jitter_samples
    }

    /// Converts RTP timestamp units to milliseconds at this source's clock rate.
    pub fn units_to_ms(&self, units: f64) -> f64 {
        if self.clock_rate == 0 {
            0.0
        } else {
            units * 1000.0 / f64::from(self.clock_rate)
        }
    }

    /// Closes a reporting interval and returns its reception report (RFC 3550 A.3).
    pub fn next_reception_report(&mut self) -> ReceptionReport {
        let expected = self.expected();
        let expected_interval = expected.saturating_sub(self.expected_prior);
        self.expected_prior = expected;
        let received_interval = self.received.saturating_sub(self.received_prior);
        self.received_prior = self.received;
        let lost_interval = expected_interval as i64 - received_interval as i64;
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval as u64) << 8) / expected_interval
        };
        ReceptionReport {
            fraction_lost: fraction_lost.min(255) as u8,
            cumulative_lost: self.cumulative_lost().clamp(-0x80_0000, 0x7F_FFFF) as i32,
            extended_highest_sequence: self.extended_highest_sequence() as u32,
            jitter: self.jitter.round() as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLOCK: u32 = 8000;
    /// 20 ms packets: 160 timestamp units, 20 000 000 ns.
    const TS_STEP: u32 = 160;
    const NS_STEP: u64 = 20_000_000;

    /// Feeds packets `(seq, timestamp, arrival)`; returns the verdicts.
    fn feed(stats: &mut ReceiveStats, packets: &[(u16, u32, u64)]) -> Vec<SequenceVerdict> {
        packets
            .iter()
            .map(|&(seq, ts, at)| stats.on_packet(seq, ts, at))
            .collect()
    }

    /// A perfectly paced run of `count` packets starting at `seq`.
    fn paced(seq: u16, count: u16) -> Vec<(u16, u32, u64)> {
        (0..count)
            .map(|i| {
                (
                    seq.wrapping_add(i),
                    u32::from(i) * TS_STEP,
                    u64::from(i) * NS_STEP,
                )
            })
            .collect()
    }

    #[test]
    fn probation_then_counting() {
        let mut s = ReceiveStats::new(100, CLOCK);
        let v = feed(&mut s, &paced(100, 5));
        assert_eq!(v[0], SequenceVerdict::Probation);
        // The second sequential packet validates the source; both count.
        assert_eq!(v[1], SequenceVerdict::Validated);
        assert!(v[2..].iter().all(|v| *v == SequenceVerdict::Accepted));
        assert!(s.is_valid());
        assert_eq!(s.expected(), 5);
        assert_eq!(s.received(), 5);
        assert_eq!(s.cumulative_lost(), 0);
        assert_eq!(s.restarts(), 0);
    }

    #[test]
    fn probation_resets_on_a_gap() {
        let mut s = ReceiveStats::new(10, CLOCK);
        assert_eq!(s.on_packet(10, 0, 0), SequenceVerdict::Probation);
        assert_eq!(s.on_packet(12, 320, 40), SequenceVerdict::Probation);
        assert!(!s.is_valid());
        assert_eq!(s.on_packet(13, 480, 60), SequenceVerdict::Validated);
        assert!(s.is_valid());
        // Counted from the first packet: 10..=13 expected, 11 missing.
        assert_eq!(s.expected(), 4);
        assert_eq!(s.cumulative_lost(), 1);
        // A first packet implausibly far back is not counted (RFC behaviour).
        let mut s = ReceiveStats::new(10, CLOCK);
        s.on_packet(10, 0, 0);
        s.on_packet(9_000, 0, 0);
        assert_eq!(s.on_packet(9_001, 0, 0), SequenceVerdict::Validated);
        assert_eq!((s.expected(), s.received()), (1, 1));
    }

    #[test]
    fn loss_and_fraction_lost() {
        let mut s = ReceiveStats::new(0, CLOCK);
        // 0..=9 with 3, 4 and 7 missing.
        for seq in [0u16, 1, 2, 5, 6, 8, 9] {
            s.on_packet(seq, u32::from(seq) * TS_STEP, u64::from(seq) * NS_STEP);
        }
        // 0..=9 expected, 7 received.
        assert_eq!(s.expected(), 10);
        assert_eq!(s.received(), 7);
        assert_eq!(s.cumulative_lost(), 3);
        let report = s.next_reception_report();
        assert_eq!(report.fraction_lost, (3 * 256 / 10) as u8);
        assert_eq!(report.cumulative_lost, 3);
        assert_eq!(report.extended_highest_sequence, 9);
        // A clean interval after that reports no fractional loss but keeps the total.
        for seq in 10u16..20 {
            s.on_packet(seq, u32::from(seq) * TS_STEP, u64::from(seq) * NS_STEP);
        }
        let report = s.next_reception_report();
        assert_eq!(report.fraction_lost, 0);
        assert_eq!(report.cumulative_lost, 3);
    }

    #[test]
    fn sequence_wrap_counts_a_cycle() {
        let mut s = ReceiveStats::new(65530, CLOCK);
        feed(&mut s, &paced(65530, 12));
        assert_eq!(s.extended_highest_sequence(), 65536 + 5);
        assert_eq!(s.expected(), 12);
        assert_eq!(s.cumulative_lost(), 0);
        assert_eq!(
            s.next_reception_report().extended_highest_sequence,
            0x0001_0005
        );
    }

    #[test]
    fn reordered_packets_are_counted_once() {
        let mut s = ReceiveStats::new(0, CLOCK);
        feed(&mut s, &paced(0, 3));
        // 4 arrives before 3.
        assert_eq!(
            s.on_packet(4, 4 * TS_STEP, 4 * NS_STEP),
            SequenceVerdict::Accepted
        );
        assert_eq!(
            s.on_packet(3, 3 * TS_STEP, 4 * NS_STEP + 1),
            SequenceVerdict::Accepted
        );
        assert_eq!(s.cumulative_lost(), 0);
        assert_eq!(s.duplicates(), 0);
        assert_eq!(s.extended_highest_sequence(), 4);
    }

    #[test]
    fn duplicates_are_recognised_and_counted_as_received() {
        let mut s = ReceiveStats::new(0, CLOCK);
        feed(&mut s, &paced(0, 5));
        assert_eq!(
            s.on_packet(4, 4 * TS_STEP, 5 * NS_STEP),
            SequenceVerdict::Duplicate
        );
        assert_eq!(
            s.on_packet(2, 2 * TS_STEP, 5 * NS_STEP),
            SequenceVerdict::Duplicate
        );
        assert_eq!(s.duplicates(), 2);
        // RFC 3550: duplicates count as received, so loss goes negative.
        assert_eq!(s.cumulative_lost(), -2);
        // The duplicates of the packet that validated the source and of the one before
        // are recognised too, also across a wrap during probation.
        let mut s = ReceiveStats::new(7, CLOCK);
        feed(&mut s, &paced(7, 2));
        assert_eq!(
            s.on_packet(8, TS_STEP, 2 * NS_STEP),
            SequenceVerdict::Duplicate
        );
        assert_eq!(s.on_packet(7, 0, 2 * NS_STEP), SequenceVerdict::Duplicate);
        let mut s = ReceiveStats::new(65_535, CLOCK);
        feed(&mut s, &paced(65_535, 4));
        assert_eq!(
            s.on_packet(1, TS_STEP, 5 * NS_STEP),
            SequenceVerdict::Duplicate
        );
        assert_eq!(s.duplicates(), 1);
    }

    #[test]
    fn duplicates_during_probation_are_recognised_but_not_counted() {
        let mut s = ReceiveStats::new(0, CLOCK);
        assert_eq!(s.on_packet(0, 0, 0), SequenceVerdict::Probation);
        assert_eq!(s.on_packet(0, 0, NS_STEP), SequenceVerdict::Duplicate);
        assert_eq!(
            s.on_packet(1, TS_STEP, 2 * NS_STEP),
            SequenceVerdict::Validated
        );
        assert_eq!(
            s.on_packet(2, 2 * TS_STEP, 3 * NS_STEP),
            SequenceVerdict::Accepted
        );
        assert_eq!(s.duplicates(), 1);
        assert_eq!(s.cumulative_lost(), 0);
        assert_eq!(s.distinct_lost(), 0);
        // One counted duplicate: RFC loss dips below zero, distinct loss does not.
        assert_eq!(
            s.on_packet(2, 2 * TS_STEP, 4 * NS_STEP),
            SequenceVerdict::Duplicate
        );
        assert_eq!(s.cumulative_lost(), -1);
        assert_eq!(s.distinct_lost(), 0);
    }

    #[test]
    fn duplicate_window_slides() {
        let mut s = ReceiveStats::new(0, CLOCK);
        feed(&mut s, &paced(0, 2));
        // Jump ahead by more than the window in steps the RFC accepts.
        let mut seq = 1u16;
        for _ in 0..3 {
            seq += 600;
            assert_eq!(s.on_packet(seq, 0, 0), SequenceVerdict::Accepted);
        }
        // Sequence 1 is now out of the window and also outside MAX_MISORDER: a bad jump,
        // not a duplicate.
        assert_eq!(s.on_packet(1, 0, 0), SequenceVerdict::BadJump);
        // Within MAX_MISORDER and never seen: accepted.
        assert_eq!(s.on_packet(seq - 50, 0, 0), SequenceVerdict::Accepted);
        assert_eq!(s.on_packet(seq - 50, 0, 0), SequenceVerdict::Duplicate);
    }

    #[test]
    fn restart_after_two_sequential_packets_past_a_bad_jump() {
        let mut s = ReceiveStats::new(1000, CLOCK);
        feed(&mut s, &paced(1000, 10)); // 1000..=1009 counted
        assert_eq!(s.on_packet(20_000, 0, 0), SequenceVerdict::BadJump);
        // A packet that does not follow the bad one keeps the old sequence.
        assert_eq!(s.on_packet(1010, 0, 0), SequenceVerdict::Accepted);
        assert_eq!(s.on_packet(20_000, 0, 0), SequenceVerdict::BadJump);
        assert_eq!(s.on_packet(20_001, 0, 0), SequenceVerdict::Restarted);
        assert_eq!(s.on_packet(20_002, 0, 0), SequenceVerdict::Accepted);
        assert_eq!(s.restarts(), 1);
        // The new sequence counts from the bad-jump packet that started it: 20000..=20002.
        assert_eq!(s.expected(), 3);
        // The abandoned sequence (1000..=1010) stays in the totals.
        assert_eq!(s.total_expected(), 11 + 3);
        assert_eq!(s.total_received(), 11 + 3);
        assert_eq!(s.cumulative_lost(), 0);
    }

    #[test]
    fn a_restart_to_lower_numbers_is_also_resynchronised() {
        let mut s = ReceiveStats::new(5000, CLOCK);
        feed(&mut s, &paced(5000, 20));
        assert_eq!(s.on_packet(0, 0, 0), SequenceVerdict::BadJump);
        assert_eq!(s.on_packet(1, 0, 0), SequenceVerdict::Restarted);
        assert_eq!(s.extended_highest_sequence(), 1);
        assert_eq!(s.expected(), 2);
        // A restart across the wrap: 65535 (bad jump), then 0.
        let mut s = ReceiveStats::new(100, CLOCK);
        feed(&mut s, &paced(100, 5));
        assert_eq!(s.on_packet(65_535, 0, 0), SequenceVerdict::BadJump);
        assert_eq!(s.on_packet(0, 0, 0), SequenceVerdict::Restarted);
        assert_eq!(s.expected(), 2);
        assert_eq!(s.cumulative_lost(), 0);
    }

    #[test]
    fn jitter_is_zero_for_perfect_pacing() {
        let mut s = ReceiveStats::new(0, CLOCK);
        feed(&mut s, &paced(0, 50));
        assert_eq!(s.jitter(), 0.0);
        assert_eq!(s.max_jitter(), 0.0);
        assert_eq!(s.jitter_samples(), 49);
    }

    #[test]
    fn jitter_follows_rfc3550_a8() {
        // Arrivals alternate 10 ms early and on time: |D| is 80 units on every packet
        // after the first pair, so J follows J += (80 - J) / 16 from zero.
        let mut s = ReceiveStats::new(0, CLOCK);
        let mut expected = 0.0f64;
        let mut max = 0.0f64;
        for i in 0..40u64 {
            let late = if i % 2 == 1 { 10_000_000 } else { 0 };
            s.on_packet(i as u16, (i as u32) * TS_STEP, i * NS_STEP + late);
            if i > 0 {
                expected += (80.0 - expected) / 16.0;
                max = max.max(expected);
            }
        }
        assert!((s.jitter() - expected).abs() < 1e-9);
        assert!((s.max_jitter() - max).abs() < 1e-9);
        assert!((s.units_to_ms(s.jitter()) - expected / 8.0).abs() < 1e-9);
        assert_eq!(s.next_reception_report().jitter, expected.round() as u32);
    }

    #[test]
    fn jitter_handles_timestamp_wrap_and_skips_duplicates() {
        let mut s = ReceiveStats::new(0, CLOCK);
        let start = u32::MAX - 2 * TS_STEP;
        for i in 0..6u32 {
            s.on_packet(
                i as u16,
                start.wrapping_add(i * TS_STEP),
                u64::from(i) * NS_STEP,
            );
        }
        assert_eq!(s.jitter(), 0.0);
        // A duplicate arriving much later must not disturb the estimate.
        s.on_packet(3, start.wrapping_add(3 * TS_STEP), 50 * NS_STEP);
        assert_eq!(s.jitter(), 0.0);
    }

    #[test]
    fn unknown_clock_rate_leaves_jitter_at_zero() {
        let mut s = ReceiveStats::new(0, 0);
        for i in 0..10u64 {
            s.on_packet(i as u16, 0, i * i * 1_000_000);
        }
        assert_eq!(s.jitter(), 0.0);
        assert_eq!(s.units_to_ms(5.0), 0.0);
        assert_eq!(s.cumulative_lost(), 0);
    }
}
