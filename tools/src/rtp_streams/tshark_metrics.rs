//! Loss and jitter the way `tshark -q -z rtp,streams` (Wireshark 4.0) computes them, so
//! rtp-stats agrees with the tool operators already trust. Its definitions differ from
//! RFC 3550 in ways that show on real captures, and these are kept on purpose:
//!
//! - Lost = (last sequence number + 65536 x wraps) - first sequence number + 1 - packets.
//!   "Last" is the last packet to arrive, not the highest; duplicates count as packets,
//!   so loss goes negative with duplicates, and a sender that restarts its sequence
//!   numbers produces nonsense (a large negative number) rather than a resync.
//! - A wrap is counted when a packet, in timestamp order, has a sequence number below the
//!   first one.
//! - A packet is "in time sequence" when its RTP timestamp is less than half the 32-bit
//!   range after the stream's first timestamp (modulo 2^32, so a timestamp wrap is fine
//!   but a sender restarting at a lower timestamp is not). Only such packets move the
//!   arrival reference.
//! - Jitter (ms) is the RFC 3550 estimator J += (|D| - J)/16, with D measured against the
//!   last in-time-sequence packet and the timestamp distance converted with the integer
//!   kHz of the clock (so 44.1 kHz counts as 44).
//! - Max and mean jitter only take "regular" packets: not the first, not marked, not
//!   comfort noise or the packet right after comfort noise, and in time sequence. The mean
//!   is updated as mean = (mean x (n - 1) + J) / n where n counts every earlier packet of
//!   the stream, regular or not.
//! - Payload types without a known clock rate give no jitter at all.

use super::payload_type::{is_comfort_noise, static_clock_rate};

/// One RTP packet as this accounting needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PacketSample {
    /// Sequence number.
    pub seq: u16,
    /// RTP timestamp.
    pub timestamp: u32,
    /// Payload type.
    pub payload_type: u8,
    /// Marker bit.
    pub marker: bool,
    /// Arrival in milliseconds from any fixed origin.
    pub arrival_ms: f64,
}

/// tshark-compatible per-stream loss and jitter.
#[derive(Debug, Clone, PartialEq)]
pub struct TsharkMetrics {
    first_seq: u16,
    /// Sequence number of the last packet to arrive.
    last_seq: u16,
    first_timestamp: u32,
    /// Sequence number cycles counted.
    wraps: u32,
    /// Set between seeing a sequence number below the first and one above it again.
    below_first: bool,
    /// Arrival of the last in-time-sequence packet, ms.
    reference_ms: f64,
    /// Nominal time of the last packet that updated jitter, ms since the first timestamp.
    reference_nominal_ms: f64,
    previous_payload_type: u8,
    jitter_ms: f64,
    max_jitter_ms: f64,
    mean_jitter_ms: f64,
    /// Whether any packet had a clock rate (otherwise there is no jitter to report).
    clocked: bool,
    packets: u64,
}

impl TsharkMetrics {
    /// Starts the accounting with a stream's first packet.
    pub fn new(first: &PacketSample) -> Self {
        TsharkMetrics {
            first_seq: first.seq,
            last_seq: first.seq,
            first_timestamp: first.timestamp,
            wraps: 0,
            below_first: false,
            reference_ms: first.arrival_ms,
            reference_nominal_ms: 0.0,
            previous_payload_type: first.payload_type,
            jitter_ms: 0.0,
            max_jitter_ms: 0.0,
            mean_jitter_ms: 0.0,
            clocked: false,
            packets: 1,
        }
    }

    /// Takes in every later packet of the stream, in arrival order.
    pub fn on_packet(&mut self, packet: &PacketSample) {
        let since_first = packet.timestamp.wrapping_sub(self.first_timestamp);
        let in_time_sequence = since_first < 0x8000_0000;

        if in_time_sequence {
            // A sequence number below the first one starts a new cycle; so does 0 right
            // after 65535 (which the first test misses when the stream began at 0).
            let wrapped =
                packet.seq < self.first_seq || (packet.seq == 0 && self.last_seq == u16::MAX);
            if wrapped && !self.below_first {
                self.wraps += 1;
                self.below_first = true;
            } else if packet.seq > self.first_seq && self.below_first {
                self.below_first = false;
            }
        }

        let comfort_noise = is_comfort_noise(packet.payload_type);
        let after_comfort_noise = is_comfort_noise(self.previous_payload_type);
        self.previous_payload_type = packet.payload_type;

        // tshark divides by the clock in whole kHz.
        let khz = static_clock_rate(packet.payload_type)
            .map(|rate| rate / 1000)
            .filter(|khz| *khz > 0);
        let mut current_jitter = 0.0;
        if in_time_sequence {
            if let Some(khz) = khz {
                self.clocked = true;
                let nominal_ms = f64::from(since_first) / f64::from(khz);
                let expected_ms = self.reference_ms + (nominal_ms - self.reference_nominal_ms);
                let diff = (packet.arrival_ms - expected_ms).abs();
                current_jitter = (15.0 * self.jitter_ms + diff) / 16.0;
                self.jitter_ms = current_jitter;
                self.reference_nominal_ms = nominal_ms;
            }
        }

        let regular = !packet.marker && !comfort_noise && !after_comfort_noise && in_time_sequence;
        if regular && khz.is_some() {
            self.max_jitter_ms = self.max_jitter_ms.max(self.jitter_ms);
            let earlier = self.packets as f64;
            self.mean_jitter_ms =
                (self.mean_jitter_ms * (earlier - 1.0) + current_jitter) / earlier;
        }

        if in_time_sequence {
            self.reference_ms = packet.arrival_ms;
        }
        self.last_seq = packet.seq;
        self.packets += 1;
    }

    /// Sequence number of the first packet.
    pub fn first_seq(&self) -> u16 {
        self.first_seq
    }

    /// Sequence number of the last packet to arrive.
    pub fn last_seq(&self) -> u16 {
        self.last_seq
    }

    /// Packets seen.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Expected (first to last, with wraps) minus packets seen.
    pub fn lost(&self) -> i64 {
        let expected = i64::from(self.last_seq) + i64::from(self.wraps) * 65_536
            - i64::from(self.first_seq)
            + 1;
        expected - self.packets as i64
    }

    /// Mean jitter in ms, `None` when no packet had a known clock rate.
    pub fn mean_jitter_ms(&self) -> Option<f64> {
        self.clocked.then_some(self.mean_jitter_ms)
    }

    /// Max jitter in ms, `None` when no packet had a known clock rate.
    pub fn max_jitter_ms(&self) -> Option<f64> {
        self.clocked.then_some(self.max_jitter_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(seq: u16, timestamp: u32, arrival_ms: f64) -> PacketSample {
        PacketSample {
            seq,
            timestamp,
            payload_type: 8,
            marker: false,
            arrival_ms,
        }
    }

    fn run(samples: &[PacketSample]) -> TsharkMetrics {
        let mut m = TsharkMetrics::new(&samples[0]);
        for s in &samples[1..] {
            m.on_packet(s);
        }
        m
    }

    #[test]
    fn clean_stream() {
        let samples: Vec<_> = (0..50u16)
            .map(|i| sample(1000 + i, u32::from(i) * 160, f64::from(i) * 20.0))
            .collect();
        let m = run(&samples);
        assert_eq!(m.lost(), 0);
        assert_eq!(m.packets(), 50);
        assert_eq!(m.max_jitter_ms(), Some(0.0));
        assert_eq!((m.first_seq(), m.last_seq()), (1000, 1049));
    }

    #[test]
    fn loss_wrap_and_duplicates() {
        // 65534, 65535, 0, 2 (1 lost), 2 again (duplicate).
        let samples = [
            sample(65534, 0, 0.0),
            sample(65535, 160, 20.0),
            sample(0, 320, 40.0),
            sample(2, 640, 80.0),
            sample(2, 640, 81.0),
        ];
        let m = run(&samples);
        // Expected 65534..=65538 (5), 5 packets: the duplicate hides the loss.
        assert_eq!(m.lost(), 0);
        let m = run(&samples[..4]);
        assert_eq!(m.lost(), 1);
    }

    #[test]
    fn jitter_matches_the_estimator_by_hand() {
        // Every other packet 4 ms late: |D| = 4, 4, 4, ...
        let samples: Vec<_> = (0..6u16)
            .map(|i| {
                let late = if i % 2 == 1 { 4.0 } else { 0.0 };
                sample(i, u32::from(i) * 160, f64::from(i) * 20.0 + late)
            })
            .collect();
        let m = run(&samples);
        let mut j = 0.0f64;
        let mut max = 0.0f64;
        let mut mean = 0.0f64;
        for n in 1..6 {
            j = (15.0 * j + 4.0) / 16.0;
            max = max.max(j);
            mean = (mean * (n as f64 - 1.0) + j) / n as f64;
        }
        assert!((m.max_jitter_ms().unwrap() - max).abs() < 1e-12);
        assert!((m.mean_jitter_ms().unwrap() - mean).abs() < 1e-12);
    }

    #[test]
    fn marked_and_comfort_noise_packets_stay_out_of_the_extremes() {
        let mut samples: Vec<_> = (0..4u16)
            .map(|i| sample(i, u32::from(i) * 160, f64::from(i) * 20.0))
            .collect();
        // A marked packet arriving 100 ms late moves the estimate but not the maximum.
        samples.push(PacketSample {
            marker: true,
            ..sample(4, 640, 180.0)
        });
        let m = run(&samples);
        assert_eq!(m.max_jitter_ms(), Some(0.0));
        let mut cn = samples[..4].to_vec();
        cn.push(PacketSample {
            payload_type: 13,
            ..sample(4, 640, 180.0)
        });
        assert_eq!(run(&cn).max_jitter_ms(), Some(0.0));
    }

    #[test]
    fn timestamps_before_the_first_are_out_of_time_sequence() {
        // A sender restarting at timestamp 0: those packets neither update the reference
        // nor count for the maximum, and the loss goes negative as in tshark.
        let samples = [
            sample(100, 50_000, 0.0),
            sample(101, 50_160, 20.0),
            sample(0, 0, 40.0),
            sample(1, 160, 60.0),
        ];
        let m = run(&samples);
        assert_eq!(m.max_jitter_ms(), Some(0.0));
        assert_eq!(m.lost(), 1 - 100 + 1 - 4);
    }

    #[test]
    fn timestamp_wrap_stays_in_time_sequence() {
        let first = u32::MAX - 159;
        let samples: Vec<_> = (0..6u16)
            .map(|i| {
                let late = if i == 4 { 8.0 } else { 0.0 };
                sample(
                    i,
                    first.wrapping_add(u32::from(i) * 160),
                    f64::from(i) * 20.0 + late,
                )
            })
            .collect();
        let m = run(&samples);
        // Packet 4 is 8 ms late, packet 5 is 8 ms early relative to it.
        let j4 = 8.0 / 16.0;
        let j5 = (15.0 * j4 + 8.0) / 16.0;
        assert!((m.max_jitter_ms().unwrap() - j5).abs() < 1e-12);
    }

    #[test]
    fn dynamic_payload_types_have_no_jitter() {
        let samples: Vec<_> = (0..5u16)
            .map(|i| PacketSample {
                payload_type: 111,
                ..sample(
                    i,
                    u32::from(i) * 960,
                    f64::from(i) * 20.0 + f64::from(i % 2),
                )
            })
            .collect();
        let m = run(&samples);
        assert_eq!(m.max_jitter_ms(), None);
        assert_eq!(m.mean_jitter_ms(), None);
        assert_eq!(m.lost(), 0);
    }
}
