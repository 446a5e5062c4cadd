//! `--receive mix`: what a participant receives is no participant's packet but the node's
//! mix: one RTP stream of its own (SSRC, sequence numbers, timestamps), whether the shared
//! mix or its mix-minus (while it talks) fills it. Loss is read from those sequence
//! numbers: every number between the first and the highest received had to arrive. A
//! node that gave each output a stream of its own instead would make a participant switch
//! streams; numbers a stream went on with while the participant heard another are then
//! not counted as lost. Whether the mix holds the right talkers is a question for its
//! content, which the recording (`--record`) keeps.

use super::pair_stats::{Arrival, PairStats};

/// One mix stream as one participant received it.
#[derive(Debug, Clone)]
pub struct MixStream {
    /// Its SSRC.
    pub ssrc: u32,
    /// Packets, duplicates, reordering and jitter, by index from the first packet seen.
    pub stats: PairStats,
    first_seq: u16,
    /// Extended sequence number (relative to `first_seq`) of the highest packet.
    highest: u64,
    /// Numbers the stream went on with while the participant received another stream.
    switched_away: u64,
}

impl MixStream {
    /// A stream first seen with sequence number `first_seq`, on a clock of `clock_rate`.
    pub fn new(ssrc: u32, first_seq: u16, clock_rate: u32) -> MixStream {
        MixStream {
            ssrc,
            stats: PairStats::new(clock_rate),
            first_seq,
            highest: 0,
            switched_away: 0,
        }
    }

    /// Counts a packet with sequence number `seq` and timestamp `timestamp`; `returned`
    /// says the participant's previous packet was of another stream, so numbers skipped
    /// since this stream's last packet went to others, not lost.
    pub fn on_packet(
        &mut self,
        seq: u16,
        timestamp: u32,
        arrival_ns: u64,
        returned: bool,
    ) -> Arrival {
        // The extended number closest to the highest so far (RFC 3550 A.1 in spirit).
        let delta = seq.wrapping_sub(self.first_seq.wrapping_add(self.highest as u16));
        let index = if delta < 0x8000 {
            self.highest + u64::from(delta)
        } else {
            self.highest.saturating_sub(u64::from(delta.wrapping_neg()))
        };
        if returned && self.stats.highest().is_some() && index > self.highest + 1 {
            self.switched_away += index - self.highest - 1;
        }
        self.highest = self.highest.max(index);
        self.stats.on_packet(index, timestamp, arrival_ns, true)
    }

    /// Packets that had to arrive: every number from the first to the highest, but for
    /// those sent while the participant was on another stream.
    pub fn expected(&self) -> u64 {
        self.stats
            .highest()
            .map_or(0, |h| (h + 1).saturating_sub(self.switched_away))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_across_the_sequence_wrap_are_losses_and_repeats_are_duplicates() {
        let mut stream = MixStream::new(7, 65_530, 8000);
        let at = |i: u64| i * 20_000_000;
        for (i, seq) in [65_530u16, 65_531, 65_533, 0, 1, 3].iter().enumerate() {
            let arrival = stream.on_packet(*seq, (i as u32) * 160, at(i as u64), false);
            assert_eq!(arrival, Arrival::InOrder, "seq {seq}");
        }
        assert_eq!(
            stream.on_packet(65_532, 0, at(7), false),
            Arrival::Reordered
        );
        assert_eq!(stream.on_packet(1, 0, at(8), false), Arrival::Duplicate);
        // 65530..=3 is 10 numbers; 65534, 65535 and 2 never came.
        assert_eq!(stream.expected(), 10);
        assert_eq!(stream.stats.received, 7);
        assert_eq!(stream.stats.duplicates, 1);
        // Back from another stream: the 50 numbers sent meanwhile went to others.
        assert_eq!(stream.on_packet(54, 0, at(9), true), Arrival::InOrder);
        assert_eq!(stream.expected(), 11);
        // Without a switch in between, a gap is loss.
        stream.on_packet(60, 0, at(10), false);
        assert_eq!(stream.expected(), 17);
        assert_eq!(stream.stats.received, 9);
    }
}
