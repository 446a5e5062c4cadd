//! One leg's state on its core: addressing and latching, SRTP session, rate limits,
//! media timeout, reception statistics and RTCP; and the [`LegStats`] snapshot of it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::counters::LegTraffic;
use super::leg_config::mixable_codec;
use super::rtcp_termination::RtcpTermination;
use super::token_bucket::TokenBucket;
use super::{ConferenceId, LegId, MediaMode, ParticipantId, PayloadTypes, RateLimit, Receive};
use crate::mixer::MixLegConfig;
use crate::receive_stats::ReceiveStats;
use crate::srtp::SrtpSession;

/// How a leg's packets are protected, with the session for hop-by-hop.
#[derive(Debug)]
pub(crate) enum LegCrypto {
    Plain,
    HopByHop(Box<SrtpSession>),
    EndToEnd,
}

impl LegCrypto {
    pub(crate) fn from_mode(mode: MediaMode) -> Self {
        match mode {
            MediaMode::Plain => Self::Plain,
            MediaMode::SrtpHopByHop { rx, tx } => {
                Self::HopByHop(Box::new(SrtpSession::new(Some(tx), Some(rx))))
            }
            MediaMode::SrtpEndToEnd => Self::EndToEnd,
        }
    }

    pub(crate) fn is_end_to_end(&self) -> bool {
        matches!(self, Self::EndToEnd)
    }
}

/// Reception statistics of the endpoint's current SSRC.
#[derive(Debug, Clone)]
pub(crate) struct SourceStats {
    pub(crate) ssrc: u32,
    pub(crate) stats: ReceiveStats,
}

/// A leg as its core keeps it.
#[derive(Debug)]
pub(crate) struct Leg {
    pub(crate) id: LegId,
    pub(crate) conference: ConferenceId,
    pub(crate) conference_slot: u32,
    pub(crate) participant: Option<ParticipantId>,
    pub(crate) local_port: u16,
    /// Where media goes and is accepted from: configured, or latched.
    pub(crate) remote: Option<SocketAddr>,
    /// Whether `remote` was learnt from a packet.
    pub(crate) latched: bool,
    pub(crate) payload_types: PayloadTypes,
    pub(crate) audio_level_ext_id: Option<u8>,
    pub(crate) crypto: LegCrypto,
    /// Rate limit for packets from `remote`.
    pub(crate) from_remote: TokenBucket,
    /// Rate limit for packets from elsewhere that may latch.
    pub(crate) from_elsewhere: TokenBucket,
    pub(crate) media_timeout: Duration,
    /// Last RTP accepted (or when the leg was added).
    pub(crate) last_media: Instant,
    pub(crate) timed_out: bool,
    pub(crate) source: Option<SourceStats>,
    pub(crate) rtcp: RtcpTermination,
    /// The SSRC the core's RTCP to this leg is sent under.
    pub(crate) rtcp_ssrc: u32,
    /// Whether the talker is in its conference's selection.
    pub(crate) selected: bool,
    /// Whether its participant focuses on another conference (it then receives nothing).
    pub(crate) suppressed: bool,
    pub(crate) traffic: LegTraffic,
    /// Forwarded streams or the mix.
    pub(crate) receive: Receive,
    /// How the leg joins its conference's mixer; `None` when it cannot (end-to-end in a
    /// conference whose key the core does not hold, or no codec the mixer handles).
    pub(crate) mix: Option<MixLegConfig>,
    /// Its SSRC under the conference key: an end-to-end leg's mix-minus, another leg's
    /// relay to end-to-end listeners.
    pub(crate) mix_ssrc: Option<u32>,
    /// The RTP stream the mix reaches this leg in, from its first mix packet on.
    pub(crate) mix_rtp: Option<MixRtp>,
}

/// Sequence numbers and timestamps of the one stream a mix leg receives. It is the leg's
/// own, under the SSRC of the core's RTCP to it ([`Leg::rtcp_ssrc`]), so that it stays
/// one continuous stream (and its sender reports describe it) whichever mixer output the
/// leg hears: the shared mix, or its own mix-minus while it is a selected talker.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MixRtp {
    /// The next packet's sequence number.
    pub(crate) next_seq: u16,
    /// The timestamp of the mixer's first tick.
    pub(crate) timestamp_base: u32,
}

/// Settings a leg is built from, beyond its [`super::LegConfig`].
pub(crate) struct LegSetup {
    pub(crate) id: LegId,
    pub(crate) conference: ConferenceId,
    pub(crate) conference_slot: u32,
    pub(crate) rate_limit: RateLimit,
    pub(crate) media_timeout: Duration,
    pub(crate) rtcp_ssrc: u32,
    pub(crate) suppressed: bool,
    /// Whether the core holds the conference key (an end-to-end leg may then be mixed).
    pub(crate) keyed: bool,
    pub(crate) now: Instant,
}

impl Leg {
    pub(crate) fn new(config: super::LegConfig, setup: LegSetup) -> Self {
        let end_to_end = config.media.is_end_to_end();
        let mix = if end_to_end && !setup.keyed {
            None
        } else {
            mix_leg_config(
                &config.payload_types,
                config.audio_level_ext_id,
                config.receive,
            )
        };
        Self {
            id: setup.id,
            conference: setup.conference,
            conference_slot: setup.conference_slot,
            participant: config.participant,
            local_port: config.local_port,
            remote: config.remote,
            latched: false,
            payload_types: config.payload_types,
            audio_level_ext_id: config.audio_level_ext_id,
            crypto: LegCrypto::from_mode(config.media),
            from_remote: TokenBucket::new(setup.rate_limit, setup.now),
            from_elsewhere: TokenBucket::new(setup.rate_limit, setup.now),
            media_timeout: setup.media_timeout,
            last_media: setup.now,
            timed_out: false,
            source: None,
            rtcp: RtcpTermination::default(),
            rtcp_ssrc: setup.rtcp_ssrc,
            selected: false,
            suppressed: setup.suppressed,
            traffic: LegTraffic::default(),
            receive: config.receive,
            mix,
            mix_ssrc: config.mix_ssrc,
            mix_rtp: None,
        }
    }

    /// Whether an RTP packet from an address other than `remote` may be checked with a
    /// view to latching: always before the first latch; afterwards only on hop-by-hop
    /// legs, where authentication proves the new address holds the key. A plain or
    /// end-to-end leg never moves once it has an address.
    pub(crate) fn may_latch_elsewhere(&self) -> bool {
        self.remote.is_none() || matches!(self.crypto, LegCrypto::HopByHop(_))
    }

    /// Whether the core terminates this leg's RTCP and sends it reports.
    pub(crate) fn terminates_rtcp(&self) -> bool {
        !self.crypto.is_end_to_end()
    }

    pub(crate) fn stats(&self) -> LegStats {
        let source = self.source.as_ref();
        LegStats {
            leg: self.id,
            conference: self.conference,
            participant: self.participant,
            local_port: self.local_port,
            remote: self.remote,
            latched: self.latched,
            packets_in: self.traffic.packets_in,
            bytes_in: self.traffic.bytes_in,
            packets_out: self.traffic.packets_out,
            bytes_out: self.traffic.bytes_out,
            dropped: self.traffic.dropped,
            ssrc: source.map(|s| s.ssrc),
            packets_received: source.map_or(0, |s| s.stats.total_received()),
            packets_lost: source.map_or(0, |s| s.stats.cumulative_lost()),
            jitter_ms: source.map_or(0.0, |s| s.stats.units_to_ms(s.stats.jitter())),
            remote_fraction_lost: self.rtcp.remote_fraction_lost,
            remote_jitter: self.rtcp.remote_jitter,
            rtcp_received: self.rtcp.compounds_received,
            rtcp_sent: self.rtcp.reports_sent,
            rtcp_ssrc: self.rtcp_ssrc,
            selected: self.selected,
            suppressed: self.suppressed,
            media_timed_out: self.timed_out,
            receive: self.receive,
        }
    }
}

/// A snapshot of one leg's state and counters.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LegStats {
    /// The leg.
    pub leg: LegId,
    /// Its conference.
    pub conference: ConferenceId,
    /// Its participant, if configured.
    pub participant: Option<ParticipantId>,
    /// Its local port.
    pub local_port: u16,
    /// The endpoint's address, configured or latched.
    pub remote: Option<SocketAddr>,
    /// Whether `remote` was learnt from a packet.
    pub latched: bool,
    /// Datagrams that arrived on its port.
    pub packets_in: u64,
    /// Bytes of those.
    pub bytes_in: u64,
    /// Datagrams sent to it (forwarded media and reports).
    pub packets_out: u64,
    /// Bytes of those.
    pub bytes_out: u64,
    /// Datagrams that arrived on its port and were dropped (any reason).
    pub dropped: u64,
    /// The SSRC the endpoint sends under (the latest one seen).
    pub ssrc: Option<u32>,
    /// RTP packets counted from that SSRC (RFC 3550 A.1).
    pub packets_received: u64,
    /// Packets lost from that SSRC (RFC 3550 A.3; negative with duplicates).
    pub packets_lost: i64,
    /// Interarrival jitter of that SSRC in milliseconds (RFC 3550 A.8).
    pub jitter_ms: f64,
    /// The worst fraction lost (1/256ths) the endpoint reported in its last RTCP report.
    pub remote_fraction_lost: Option<u8>,
    /// The largest jitter (RTP units) the endpoint reported in its last RTCP report.
    pub remote_jitter: Option<u32>,
    /// RTCP compounds the core terminated from it.
    pub rtcp_received: u64,
    /// Receiver reports the core sent it.
    pub rtcp_sent: u64,
    /// The SSRC of the core's RTCP to it.
    pub rtcp_ssrc: u32,
    /// Whether its talker is selected.
    pub selected: bool,
    /// Whether it receives nothing because its participant focuses elsewhere.
    pub suppressed: bool,
    /// Whether its media has timed out (and not resumed).
    pub media_timed_out: bool,
    /// Whether it receives the forwarded streams or the mix.
    pub receive: Receive,
}

/// The mixer's view of a leg: its first mixable codec, its telephone-events and level
/// extension; a leg that only talks into the mix is added talk-only.
pub(crate) fn mix_leg_config(
    payload_types: &PayloadTypes,
    audio_level_ext_id: Option<u8>,
    receive: Receive,
) -> Option<MixLegConfig> {
    let (payload_type, codec) = mixable_codec(payload_types)?;
    let mut mix = MixLegConfig::new(codec, payload_type);
    let events = payload_types
        .iter()
        .find(|(pt, c)| c.is_telephone_event() && *pt != payload_type);
    if let Some((pt, _)) = events {
        mix = mix.with_telephone_event(pt);
    }
    if let Some(id) = audio_level_ext_id {
        mix = mix.with_audio_level(id);
    }
    if receive == Receive::Streams {
        mix = mix.talk_only();
    }
    Some(mix)
}
