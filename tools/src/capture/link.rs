//! Link-layer types a capture can declare, and how to find the network layer inside a
//! frame of each. The per-link decoders live in `ethernet`, `cooked` and `loopback`; this
//! module names the types and dispatches.

use std::fmt;

use super::skip::SkipReason;
use super::{cooked, ethernet, loopback};

/// A capture's link-layer header type (the tcpdump.org `LINKTYPE_` registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LinkType {
    /// `LINKTYPE_NULL` (0): BSD loopback, a 4-byte address family in the capturing host's
    /// byte order.
    Null,
    /// `LINKTYPE_ETHERNET` (1): Ethernet II, possibly with 802.1Q/802.1ad tags.
    Ethernet,
    /// `LINKTYPE_RAW` (101), and the platform DLT values 12 and 14 that mean the same:
    /// the frame starts with an IPv4 or IPv6 header.
    RawIp,
    /// `LINKTYPE_LOOP` (108): OpenBSD loopback, like `Null` but written in network order
    /// (either order is accepted).
    Loop,
    /// `LINKTYPE_LINUX_SLL` (113): Linux "cooked" capture v1, 16-byte header.
    LinuxSll,
    /// `LINKTYPE_IPV4` (228): raw IPv4.
    Ipv4,
    /// `LINKTYPE_IPV6` (229): raw IPv6.
    Ipv6,
    /// `LINKTYPE_LINUX_SLL2` (276): Linux "cooked" capture v2, 20-byte header.
    LinuxSll2,
    /// Any other link type; its frames are counted as skipped.
    Other(u32),
}

impl LinkType {
    /// The link type for a `LINKTYPE_` value as stored in a capture file. Only the low 16
    /// bits name the type (pcap keeps FCS flags in the upper bits).
    pub fn from_code(code: u32) -> Self {
        match code & 0xFFFF {
            0 => LinkType::Null,
            1 => LinkType::Ethernet,
            12 | 14 | 101 => LinkType::RawIp,
            108 => LinkType::Loop,
            113 => LinkType::LinuxSll,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            276 => LinkType::LinuxSll2,
            _ => LinkType::Other(code),
        }
    }

    /// The `LINKTYPE_` value to write for this type.
    pub fn code(self) -> u32 {
        match self {
            LinkType::Null => 0,
            LinkType::Ethernet => 1,
            LinkType::RawIp => 101,
            LinkType::Loop => 108,
            LinkType::LinuxSll => 113,
            LinkType::Ipv4 => 228,
            LinkType::Ipv6 => 229,
            LinkType::LinuxSll2 => 276,
            LinkType::Other(code) => code,
        }
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkType::Null => f.write_str("NULL/BSD loopback"),
            LinkType::Ethernet => f.write_str("Ethernet"),
            LinkType::RawIp => f.write_str("raw IP"),
            LinkType::Loop => f.write_str("OpenBSD loopback"),
            LinkType::LinuxSll => f.write_str("Linux cooked v1"),
            LinkType::Ipv4 => f.write_str("raw IPv4"),
            LinkType::Ipv6 => f.write_str("raw IPv6"),
            LinkType::LinuxSll2 => f.write_str("Linux cooked v2"),
            LinkType::Other(code) => write!(f, "link type {code}"),
        }
    }
}

/// Which IP version a link header announced, where it could tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NetworkHint {
    /// The link header said IPv4 (EtherType 0x0800, AF_INET).
    Ipv4,
    /// The link header said IPv6.
    Ipv6,
    /// Raw IP links: the version nibble decides.
    FromVersionNibble,
}

/// Where the network layer starts in a frame and what the link said it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NetworkStart {
    pub(crate) offset: usize,
    pub(crate) hint: NetworkHint,
}

/// Walks the link-layer header(s) of `frame` to the start of the IP header.
pub(crate) fn network_start(link: LinkType, frame: &[u8]) -> Result<NetworkStart, SkipReason> {
    match link {
        LinkType::Ethernet => ethernet::network_start(frame),
        LinkType::LinuxSll => cooked::sll_network_start(frame),
        LinkType::LinuxSll2 => cooked::sll2_network_start(frame),
        LinkType::Null | LinkType::Loop => loopback::network_start(frame),
        LinkType::RawIp => Ok(NetworkStart {
            offset: 0,
            hint: NetworkHint::FromVersionNibble,
        }),
        LinkType::Ipv4 => Ok(NetworkStart {
            offset: 0,
            hint: NetworkHint::Ipv4,
        }),
        LinkType::Ipv6 => Ok(NetworkStart {
            offset: 0,
            hint: NetworkHint::Ipv6,
        }),
        LinkType::Other(_) => Err(SkipReason::UnsupportedLinkType),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_alias_raw() {
        for code in [0, 1, 101, 108, 113, 228, 229, 276, 147] {
            assert_eq!(LinkType::from_code(code).code(), code);
        }
        assert_eq!(LinkType::from_code(12), LinkType::RawIp);
        assert_eq!(LinkType::from_code(14), LinkType::RawIp);
        // FCS-length flags in the upper bits do not change the type.
        assert_eq!(LinkType::from_code(0x1000_0001), LinkType::Ethernet);
    }
}
