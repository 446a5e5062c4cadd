//! Per-core counters: plain integers the hot path bumps without atomics (a core shares
//! nothing), read as a snapshot by whoever exports metrics.

use core::fmt;

/// Why the core dropped a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DropReason {
    /// No leg receives on the local port.
    UnknownPort,
    /// Neither RTP nor RTCP (STUN, DTLS, noise).
    NotRtp,
    /// RTP or RTCP that fails its checks, or a length beyond its buffer.
    Malformed,
    /// From an address other than the leg's remote, and not allowed to latch.
    WrongSource,
    /// Over the leg's packet-rate limit.
    RateLimited,
    /// SRTP/SRTCP that did not authenticate (or carried a wrong MKI).
    SrtpAuth,
    /// SRTP/SRTCP replayed or behind the replay window.
    Replay,
    /// RTP with a payload type the leg did not negotiate.
    UnknownPayloadType,
    /// Media of a talker outside the loudest-N selection.
    NotSelected,
    /// A copy that does not fit an outbox slot.
    TooLarge,
    /// A copy the destination leg's SRTP session refused to protect.
    SrtpProtect,
    /// A copy (or report) that found the outbox full.
    OutboxFull,
}

impl DropReason {
    /// Every reason, in the order of [`DropCounters`]' fields.
    pub const ALL: [DropReason; 12] = [
        Self::UnknownPort,
        Self::NotRtp,
        Self::Malformed,
        Self::WrongSource,
        Self::RateLimited,
        Self::SrtpAuth,
        Self::Replay,
        Self::UnknownPayloadType,
        Self::NotSelected,
        Self::TooLarge,
        Self::SrtpProtect,
        Self::OutboxFull,
    ];

    /// A short metric label (`unknown_port`, `wrong_source`, ...).
    pub fn label(self) -> &'static str {
        match self {
            Self::UnknownPort => "unknown_port",
            Self::NotRtp => "not_rtp",
            Self::Malformed => "malformed",
            Self::WrongSource => "wrong_source",
            Self::RateLimited => "rate_limited",
            Self::SrtpAuth => "srtp_auth",
            Self::Replay => "replay",
            Self::UnknownPayloadType => "unknown_payload_type",
            Self::NotSelected => "not_selected",
            Self::TooLarge => "too_large",
            Self::SrtpProtect => "srtp_protect",
            Self::OutboxFull => "outbox_full",
        }
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Packets dropped, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DropCounters {
    /// See [`DropReason::UnknownPort`].
    pub unknown_port: u64,
    /// See [`DropReason::NotRtp`].
    pub not_rtp: u64,
    /// See [`DropReason::Malformed`].
    pub malformed: u64,
    /// See [`DropReason::WrongSource`].
    pub wrong_source: u64,
    /// See [`DropReason::RateLimited`].
    pub rate_limited: u64,
    /// See [`DropReason::SrtpAuth`].
    pub srtp_auth: u64,
    /// See [`DropReason::Replay`].
    pub replay: u64,
    /// See [`DropReason::UnknownPayloadType`].
    pub unknown_payload_type: u64,
    /// See [`DropReason::NotSelected`].
    pub not_selected: u64,
    /// See [`DropReason::TooLarge`].
    pub too_large: u64,
    /// See [`DropReason::SrtpProtect`].
    pub srtp_protect: u64,
    /// See [`DropReason::OutboxFull`].
    pub outbox_full: u64,
}

impl DropCounters {
    /// The count for `reason`.
    pub fn get(&self, reason: DropReason) -> u64 {
        *self.field(reason)
    }

    /// The sum over every reason.
    pub fn total(&self) -> u64 {
        DropReason::ALL.iter().map(|&r| self.get(r)).sum()
    }

    pub(crate) fn count(&mut self, reason: DropReason) {
        *self.field_mut(reason) += 1;
    }

    fn field(&self, reason: DropReason) -> &u64 {
        match reason {
            DropReason::UnknownPort => &self.unknown_port,
            DropReason::NotRtp => &self.not_rtp,
            DropReason::Malformed => &self.malformed,
            DropReason::WrongSource => &self.wrong_source,
            DropReason::RateLimited => &self.rate_limited,
            DropReason::SrtpAuth => &self.srtp_auth,
            DropReason::Replay => &self.replay,
            DropReason::UnknownPayloadType => &self.unknown_payload_type,
            DropReason::NotSelected => &self.not_selected,
            DropReason::TooLarge => &self.too_large,
            DropReason::SrtpProtect => &self.srtp_protect,
            DropReason::OutboxFull => &self.outbox_full,
        }
    }

    fn field_mut(&mut self, reason: DropReason) -> &mut u64 {
        match reason {
            DropReason::UnknownPort => &mut self.unknown_port,
            DropReason::NotRtp => &mut self.not_rtp,
            DropReason::Malformed => &mut self.malformed,
            DropReason::WrongSource => &mut self.wrong_source,
            DropReason::RateLimited => &mut self.rate_limited,
            DropReason::SrtpAuth => &mut self.srtp_auth,
            DropReason::Replay => &mut self.replay,
            DropReason::UnknownPayloadType => &mut self.unknown_payload_type,
            DropReason::NotSelected => &mut self.not_selected,
            DropReason::TooLarge => &mut self.too_large,
            DropReason::SrtpProtect => &mut self.srtp_protect,
            DropReason::OutboxFull => &mut self.outbox_full,
        }
    }
}

/// A snapshot of one core's counters and sizes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CoreCounters {
    /// Datagrams received, whatever became of them.
    pub packets_in: u64,
    /// Bytes of those datagrams.
    pub bytes_in: u64,
    /// Datagrams put in the outbox (forwarded media and the core's own RTCP).
    pub packets_out: u64,
    /// Bytes of those, as sent (after SRTP protection).
    pub bytes_out: u64,
    /// RTCP compounds the core terminated (plain and hop-by-hop legs).
    pub rtcp_consumed: u64,
    /// Receiver reports the core sent.
    pub rtcp_reports_sent: u64,
    /// Drops by reason.
    pub drops: DropCounters,
    /// Events dropped because the event queue was full.
    pub events_dropped: u64,
    /// Conferences on the core now.
    pub conferences: usize,
    /// Legs on the core now.
    pub legs: usize,
    /// Talkers selected now, over every conference.
    pub active_talkers: usize,
}

/// Per-leg traffic counters the hot path bumps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct LegTraffic {
    pub(crate) packets_in: u64,
    pub(crate) bytes_in: u64,
    pub(crate) packets_out: u64,
    pub(crate) bytes_out: u64,
    pub(crate) dropped: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_has_its_own_counter() {
        let mut drops = DropCounters::default();
        for (n, &reason) in DropReason::ALL.iter().enumerate() {
            for _ in 0..=n {
                drops.count(reason);
            }
        }
        for (n, &reason) in DropReason::ALL.iter().enumerate() {
            assert_eq!(drops.get(reason), n as u64 + 1, "{reason}");
        }
        assert_eq!(drops.total(), (1..=12).sum::<u64>());
    }
}
