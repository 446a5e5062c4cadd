//! The 48-bit SRTP packet index of a stream: rollover counter (ROC) plus the 16-bit
//! sequence number, estimated from the highest sequence number seen (RFC 3711 sec. 3.3.1
//! and Appendix A).
//!
//! The receiver guesses the index of each packet and only moves its state forward once the
//! packet authenticates; the sender runs the same estimate on its own sequence numbers, so
//! its ROC advances when they wrap and a re-sent older packet keeps its original index.

use super::error::SrtpError;

const HALF: u16 = 1 << 15;

/// ROC and highest sequence number of one stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RtpIndexTracker {
    roc: u32,
    /// Highest sequence number accepted (`s_l`), valid once `started`.
    highest_seq: u16,
    started: bool,
}

impl RtpIndexTracker {
    /// A stream that has not seen a packet, starting at `roc`.
    pub(crate) fn starting_at(roc: u32) -> Self {
        Self {
            roc,
            highest_seq: 0,
            started: false,
        }
    }

    pub(crate) fn roc(&self) -> u32 {
        self.roc
    }

    /// Highest sequence number accepted, if any packet was.
    pub(crate) fn highest_seq(&self) -> Option<u16> {
        self.started.then_some(self.highest_seq)
    }

    /// Overrides the ROC (signalled out of band, e.g. when joining a running stream).
    pub(crate) fn set_roc(&mut self, roc: u32) {
        self.roc = roc;
    }

    /// The packet index RFC 3711 Appendix A guesses for `seq`. Before the first packet the
    /// guess is the current ROC; a guess of ROC-1 at ROC 0 means "no earlier cycle exists"
    /// and becomes ROC 0.
    pub(crate) fn estimate(&self, seq: u16) -> Result<u64, SrtpError> {
        let roc = u64::from(self.roc);
        let v = if !self.started {
            roc
        } else if self.highest_seq < HALF {
            if seq > self.highest_seq && seq - self.highest_seq > HALF {
                roc.saturating_sub(1)
            } else {
                roc
            }
        } else if self.highest_seq - HALF > seq {
            roc + 1
        } else {
            roc
        };
        if v > u64::from(u32::MAX) {
            return Err(SrtpError::PacketIndexExhausted);
        }
        Ok((v << 16) | u64::from(seq))
    }

    /// Moves the state to `index` if it is ahead (RFC 3711 sec. 3.3.1 update rule).
    pub(crate) fn advance_to(&mut self, index: u64) {
        let current = (u64::from(self.roc) << 16) | u64::from(self.highest_seq);
        if !self.started || index > current {
            self.roc = (index >> 16) as u32;
            self.highest_seq = index as u16;
            self.started = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_forward_and_takes_late_packets_from_the_previous_cycle() {
        let mut t = RtpIndexTracker::starting_at(0);
        assert_eq!(t.estimate(65534), Ok(65534));
        t.advance_to(65534);
        assert_eq!(t.estimate(65535), Ok(65535));
        assert_eq!(t.estimate(2), Ok(0x1_0002));
        t.advance_to(0x1_0002);
        assert_eq!(t.roc(), 1);
        // A late packet from before the wrap keeps ROC 0 and does not move the state back.
        assert_eq!(t.estimate(65535), Ok(65535));
        t.advance_to(65535);
        assert_eq!((t.roc(), t.highest_seq()), (1, Some(2)));
    }

    #[test]
    fn rollover_counter_at_zero_never_goes_negative() {
        let mut t = RtpIndexTracker::starting_at(0);
        t.advance_to(10);
        assert_eq!(t.estimate(60000), Ok(60000));
    }

    #[test]
    fn exhausted_rollover_counter_is_an_error_not_a_wrap() {
        let mut t = RtpIndexTracker::starting_at(u32::MAX);
        t.advance_to((u64::from(u32::MAX) << 16) | 65000);
        assert_eq!(t.estimate(3), Err(SrtpError::PacketIndexExhausted));
    }
}
