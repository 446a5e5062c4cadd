//! The `[media]` section: where legs' sockets live and the defaults every leg starts with.
//!
//! The node binds one UDP socket per leg (RTP and RTCP muxed, RFC 5761). The configured port
//! range is cut into one equal, disjoint slice per core, so a core can pick a port for a new
//! leg without asking anyone, and a port alone tells which core owns a leg.

use std::net::{IpAddr, Ipv4Addr};
use std::ops::RangeInclusive;
use std::time::Duration;

use medianode_dataplane::conference::RateLimit;
use medianode_dataplane::mixer::OpusEncoding;
use serde::Deserialize;

use super::ConfigError;

/// Media sockets and per-leg defaults.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct MediaConfig {
    /// Address every leg's socket binds to, and that the admin API reports as `local`.
    pub bind: IpAddr,
    /// First port of the node's media range.
    pub port_min: u16,
    /// Last port of the node's media range (inclusive).
    pub port_max: u16,
    /// Packets per second a leg may receive on average, unless the leg says otherwise.
    pub rate_limit_pps: u32,
    /// Packets a leg may receive in one burst above that rate.
    pub rate_limit_burst: u32,
    /// How long a leg may receive no RTP before the node reports a media timeout, in ms.
    pub media_timeout_ms: u64,
    /// Most datagrams a core receives per batch.
    pub recv_batch: usize,
    /// Bitrate of the Opus the mixer encodes for mix legs, in bit/s.
    pub mix_opus_bitrate: u32,
    /// libopus complexity of the mixer's encodes, 0 (cheapest) to 10: each step down
    /// serves more participants per core at some cost in quality (see benches/RESULTS.md).
    pub mix_opus_complexity: u8,
    /// Whether the mixer's Opus carries in-band FEC for listeners on lossy paths.
    pub mix_opus_fec: bool,
}

impl Default for MediaConfig {
    fn default() -> Self {
        MediaConfig {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port_min: 20000,
            port_max: 29999,
            rate_limit_pps: 200,
            rate_limit_burst: 100,
            media_timeout_ms: 30_000,
            recv_batch: 32,
            mix_opus_bitrate: 32_000,
            mix_opus_complexity: 5,
            mix_opus_fec: true,
        }
    }
}

impl MediaConfig {
    /// The mixer's Opus encoder settings.
    pub fn mix_opus(&self) -> OpusEncoding {
        let mut opus = OpusEncoding::new(self.mix_opus_bitrate, self.mix_opus_complexity);
        opus.inband_fec = self.mix_opus_fec;
        if !self.mix_opus_fec {
            opus.expected_loss_percent = 0;
        }
        opus
    }

    /// The ports core `index` of `cores` owns: an equal slice of `port_min..=port_max`
    /// (the remainder, if any, stays unused so every core gets the same number).
    pub fn core_ports(&self, index: usize, cores: usize) -> RangeInclusive<u16> {
        let total = usize::from(self.port_max.saturating_sub(self.port_min)) + 1;
        let per_core = total / cores.max(1);
        let first = usize::from(self.port_min) + index * per_core;
        let last = first + per_core.saturating_sub(1);
        let clamp = |port: usize| u16::try_from(port).unwrap_or(u16::MAX);
        clamp(first)..=clamp(last)
    }

    /// The default packet-rate limit of a leg.
    pub fn rate_limit(&self) -> RateLimit {
        RateLimit {
            packets_per_second: self.rate_limit_pps,
            burst: self.rate_limit_burst,
        }
    }

    /// The default media timeout of a leg.
    pub fn media_timeout(&self) -> Duration {
        Duration::from_millis(self.media_timeout_ms)
    }

    /// Checks what the types alone cannot, for a node of `cores` cores.
    pub(super) fn validate(&self, cores: usize) -> Result<(), ConfigError> {
        if self.port_min == 0 || self.port_min > self.port_max {
            return Err(ConfigError::Invalid {
                key: "media.port_min",
                reason: format!(
                    "{} must be at least 1 and at most media.port_max ({})",
                    self.port_min, self.port_max
                ),
            });
        }
        let total = usize::from(self.port_max - self.port_min) + 1;
        if total < cores {
            return Err(ConfigError::Invalid {
                key: "media.port_max",
                reason: format!(
                    "the range {}..={} holds {total} ports, fewer than the {cores} cores \
                     that each need their own",
                    self.port_min, self.port_max
                ),
            });
        }
        if !(6_000..=510_000).contains(&self.mix_opus_bitrate) {
            return Err(ConfigError::Invalid {
                key: "media.mix_opus_bitrate",
                reason: format!(
                    "{} is outside what Opus encodes (6000..=510000 bit/s)",
                    self.mix_opus_bitrate
                ),
            });
        }
        if self.mix_opus_complexity > 10 {
            return Err(ConfigError::Invalid {
                key: "media.mix_opus_complexity",
                reason: format!("{} is out of range (0..=10)", self.mix_opus_complexity),
            });
        }
        if self.rate_limit_pps == 0 {
            return Err(ConfigError::Invalid {
                key: "media.rate_limit_pps",
                reason: "0 would drop every packet (at least 1)".to_owned(),
            });
        }
        if self.rate_limit_burst == 0 {
            return Err(ConfigError::Invalid {
                key: "media.rate_limit_burst",
                reason: "0 would drop every packet (at least 1)".to_owned(),
            });
        }
        if !(100..=86_400_000).contains(&self.media_timeout_ms) {
            return Err(ConfigError::Invalid {
                key: "media.media_timeout_ms",
                reason: format!("{} is out of range (100..=86400000)", self.media_timeout_ms),
            });
        }
        if !(1..=1024).contains(&self.recv_batch) {
            return Err(ConfigError::Invalid {
                key: "media.recv_batch",
                reason: format!("{} is out of range (1..=1024)", self.recv_batch),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cores_get_equal_disjoint_slices_of_the_range() {
        let media = MediaConfig {
            port_min: 1000,
            port_max: 1010,
            ..MediaConfig::default()
        };
        let slices: Vec<_> = (0..3).map(|i| media.core_ports(i, 3)).collect();
        assert_eq!(slices, vec![1000..=1002, 1003..=1005, 1006..=1008]);
        assert_eq!(media.core_ports(0, 1), 1000..=1010);
    }

    #[test]
    fn the_top_of_the_port_space_does_not_overflow() {
        let media = MediaConfig {
            port_min: 65534,
            port_max: 65535,
            ..MediaConfig::default()
        };
        assert_eq!(media.core_ports(1, 2), 65535..=65535);
        assert!(media.validate(2).is_ok());
        assert!(media.validate(3).is_err());
    }
}
