//! Why a frame yielded no UDP datagram. Readers count these instead of failing, so a
//! capture full of ARP, TCP or damaged frames still gives every datagram it holds, and the
//! operator can see what was left out.

use std::fmt;

/// Why a captured frame was not turned into a UDP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SkipReason {
    /// The link layer carries something other than IPv4/IPv6 (ARP, LLC, LLDP, ...).
    NonIp,
    /// IP, but not UDP (TCP, ICMP, ESP, ...).
    NonUdp,
    /// An IP fragment (the first or a later one); fragments are not reassembled.
    IpFragment,
    /// The frame was cut short by the capture snap length before the UDP payload ended.
    Truncated,
    /// A link, IP or UDP header is inconsistent (bad version, length or header length).
    BadHeader,
    /// The capture's link-layer type is not one this reader decodes.
    UnsupportedLinkType,
}

impl SkipReason {
    /// A short stable name, for reports and JSON keys.
    pub fn name(self) -> &'static str {
        match self {
            SkipReason::NonIp => "non_ip",
            SkipReason::NonUdp => "non_udp",
            SkipReason::IpFragment => "ip_fragment",
            SkipReason::Truncated => "truncated",
            SkipReason::BadHeader => "bad_header",
            SkipReason::UnsupportedLinkType => "unsupported_link_type",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SkipReason::NonIp => "not IP",
            SkipReason::NonUdp => "not UDP",
            SkipReason::IpFragment => "IP fragment",
            SkipReason::Truncated => "truncated by the capture",
            SkipReason::BadHeader => "bad link, IP or UDP header",
            SkipReason::UnsupportedLinkType => "unsupported link type",
        })
    }
}

/// How many frames were skipped, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SkipCounts {
    /// Frames that did not carry IP.
    pub non_ip: u64,
    /// IP packets that were not UDP.
    pub non_udp: u64,
    /// IP fragments.
    pub ip_fragment: u64,
    /// Frames cut short by the snap length.
    pub truncated: u64,
    /// Frames with an inconsistent header.
    pub bad_header: u64,
    /// Frames on a link type this reader does not decode.
    pub unsupported_link_type: u64,
}

impl SkipCounts {
    /// Counts one skipped frame.
    pub fn record(&mut self, reason: SkipReason) {
        *self.slot(reason) += 1;
    }

    /// The count for one reason.
    pub fn get(&self, reason: SkipReason) -> u64 {
        match reason {
            SkipReason::NonIp => self.non_ip,
            SkipReason::NonUdp => self.non_udp,
            SkipReason::IpFragment => self.ip_fragment,
            SkipReason::Truncated => self.truncated,
            SkipReason::BadHeader => self.bad_header,
            SkipReason::UnsupportedLinkType => self.unsupported_link_type,
        }
    }

    /// All skipped frames.
    pub fn total(&self) -> u64 {
        self.non_ip
            + self.non_udp
            + self.ip_fragment
            + self.truncated
            + self.bad_header
            + self.unsupported_link_type
    }

    fn slot(&mut self, reason: SkipReason) -> &mut u64 {
        match reason {
            SkipReason::NonIp => &mut self.non_ip,
            SkipReason::NonUdp => &mut self.non_udp,
            SkipReason::IpFragment => &mut self.ip_fragment,
            SkipReason::Truncated => &mut self.truncated,
            SkipReason::BadHeader => &mut self.bad_header,
            SkipReason::UnsupportedLinkType => &mut self.unsupported_link_type,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_reason_separately() {
        let mut counts = SkipCounts::default();
        counts.record(SkipReason::NonUdp);
        counts.record(SkipReason::NonUdp);
        counts.record(SkipReason::Truncated);
        assert_eq!(counts.get(SkipReason::NonUdp), 2);
        assert_eq!(counts.get(SkipReason::Truncated), 1);
        assert_eq!(counts.get(SkipReason::NonIp), 0);
        assert_eq!(counts.total(), 3);
    }
}
