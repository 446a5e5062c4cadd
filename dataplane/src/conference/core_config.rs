//! Settings of one core that apply to every leg unless the leg overrides them.

use std::time::Duration;

use super::RateLimit;
use crate::mixer::MixerConfig;

/// Defaults and tunables of a [`MediaCore`](super::MediaCore).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CoreConfig {
    /// Packet-rate limit of a leg without its own. Applies separately to packets from the
    /// leg's remote address and to packets from elsewhere (latching candidates), so a flood
    /// of forgeries cannot starve the genuine sender.
    pub rate_limit: RateLimit,
    /// How long a leg may go without RTP before a [`MediaTimeout`] event.
    ///
    /// [`MediaTimeout`]: super::CoreEvent::MediaTimeout
    pub media_timeout: Duration,
    /// Mean interval between the receiver reports the core sends each plain or hop-by-hop
    /// leg; each interval is drawn from 0.5 to 1.5 times this (RFC 3550 sec. 6.3.1).
    pub rtcp_interval: Duration,
    /// The level (-dBov, RFC 6464) a talker counts with when neither the audio level
    /// extension nor the payload (G.711) tells: Opus without the extension, or end-to-end
    /// G.711.
    pub default_level_dbov: u8,
    /// How often talker selection is re-evaluated while no packet arrives and someone is
    /// selected (so a talker who went quiet loses its slot after the hold).
    pub selection_tick: Duration,
    /// The CNAME in the core's RTCP (RFC 3550 sec. 6.5.1).
    pub cname: String,
    /// Seed of the generator for RTCP SSRCs and report intervals; fixed for
    /// reproducible runs.
    pub seed: u64,
    /// Most events held for [`MediaCore::poll_event`](super::MediaCore::poll_event); older
    /// ones are kept, newer ones dropped and counted beyond it.
    pub max_queued_events: usize,
    /// How conferences with legs receiving the mix mix (jitter buffers, Opus settings);
    /// each conference's own policy replaces the selection here.
    pub mix: MixerConfig,
}

impl Default for CoreConfig {
    fn default() -> Self {
        Self {
            // 50 packets/s is 20 ms audio; room for telephone-events and RTCP.
            rate_limit: RateLimit {
                packets_per_second: 200,
                burst: 100,
            },
            media_timeout: Duration::from_secs(30),
            rtcp_interval: Duration::from_secs(5),
            default_level_dbov: 50,
            selection_tick: Duration::from_millis(100),
            cname: String::from("medianode"),
            seed: 0x6d65_6469_616e_6f64,
            max_queued_events: 4096,
            mix: MixerConfig::default(),
        }
    }
}
