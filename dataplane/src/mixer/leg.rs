//! One leg inside the mixer: its jitter buffer, decoder and upsampler on the way in, the
//! index of its own mix-minus output on the way out, and what happened to its packets.

use std::time::Instant;

use medianode_simd::{alaw_decode, audio_level_dbov, ulaw_decode};

use super::config::{MixLegConfig, MixerConfig, MAX_PACKET_MS, MIX_RATE, TICK_SAMPLES};
use super::decoder::{Concealed, LegDecoder};
use super::jitter::{InsertOutcome, JitterBuffer, PacketInfo, Playout};
use super::opus_packet;
use super::resampler::{tick_samples, RateConverter};
use super::stats::LegMixStats;
use super::{DropCause, MixerError, PushOutcome};
use crate::audio_level::AudioLevel;
use crate::conference::{Codec, LegId};
use crate::rtp::RtpPacket;

/// Samples of scratch for measuring a G.711 payload's level (a full-MTU payload).
const LEVEL_SCRATCH: usize = 1500;

/// A leg of a mixed conference.
#[derive(Debug)]
pub(crate) struct MixLeg {
    pub(crate) id: LegId,
    pub(crate) config: MixLegConfig,
    jitter: JitterBuffer,
    decoder: LegDecoder,
    upsampler: Option<RateConverter>,
    /// Decoded audio at the codec's rate, not yet mixed.
    pcm: Vec<i16>,
    pcm_len: usize,
    /// Audio consumed but not decoded (the leg was not in the mix), at the codec's rate.
    skipped: usize,
    /// One tick at the codec's rate.
    tick_samples: usize,
    /// The last packet's duration, the size of concealment for a decode failure.
    packet_samples: usize,
    /// This tick's audio at 48 kHz, valid when `has_audio`.
    pub(crate) frame: Vec<i16>,
    pub(crate) has_audio: bool,
    /// The decoder skipped packets: reset it before decoding again.
    decoder_stale: bool,
    /// Opus without the RFC 6464 extension: its level is only known by decoding. Every
    /// other leg's packets carry their level (RFC 6464, or a G.711 payload's own).
    pub(crate) level_from_decode: bool,
    /// The level of the last packet played, decoded or not.
    last_level: Option<u8>,
    /// Selected by the loudest-N selector at this tick.
    pub(crate) selected: bool,
    /// Its audio is in this tick's mix (selected and heard).
    pub(crate) contributing: bool,
    /// Contributed at the previous tick.
    pub(crate) contributed: bool,
    /// Consecutive ticks it was quieter than [`super::config::SILENCE_LEVEL`]: by its
    /// packets' levels where they carry one (a tick without audio counts as quiet), else by
    /// its decoded audio.
    pub(crate) quiet_ticks: u32,
    /// Its mix-minus output.
    pub(crate) talker_output: usize,
    /// The shared output of its codec and packet time.
    pub(crate) shared_output: usize,
    stats: LegMixStats,
}

impl MixLeg {
    pub(crate) fn new(
        id: LegId,
        config: MixLegConfig,
        mixer: &MixerConfig,
        talker_output: usize,
        shared_output: usize,
    ) -> Result<Self, MixerError> {
        let rate = config.codec.clock_rate();
        let upsampler = match rate {
            MIX_RATE => None,
            _ => Some(RateConverter::new(rate, MIX_RATE)?),
        };
        let per_ms = rate as usize / 1000;
        Ok(MixLeg {
            id,
            config,
            jitter: JitterBuffer::new(mixer.jitter, rate),
            decoder: LegDecoder::new(config.codec)?,
            upsampler,
            pcm: vec![0; per_ms * MAX_PACKET_MS as usize + tick_samples(rate)],
            pcm_len: 0,
            skipped: 0,
            tick_samples: tick_samples(rate),
            packet_samples: tick_samples(rate),
            frame: vec![0; TICK_SAMPLES],
            has_audio: false,
            decoder_stale: false,
            level_from_decode: config.codec == Codec::Opus && config.audio_level_id.is_none(),
            last_level: None,
            selected: false,
            contributing: false,
            contributed: false,
            quiet_ticks: 0,
            talker_output,
            shared_output,
            stats: LegMixStats::default(),
        })
    }

    /// Takes in one RTP packet; returns what became of it and the level it carries (from
    /// the RFC 6464 extension, else from decoding a G.711 payload) when it was buffered.
    pub(crate) fn push(
        &mut self,
        packet: &[u8],
        now: Instant,
        scratch: &mut [i16],
    ) -> (PushOutcome, Option<u8>) {
        let packet = match RtpPacket::new_checked(packet) {
            Ok(packet) => packet,
            Err(_) => return self.dropped(DropCause::Malformed),
        };
        let payload_type = packet.payload_type();
        if Some(payload_type) == self.config.telephone_event_payload_type {
            self.stats.passed_through += 1;
            return (PushOutcome::PassThrough, None);
        }
        if payload_type != self.config.payload_type {
            return self.dropped(DropCause::UnknownPayloadType(payload_type));
        }
        let payload = packet.payload();
        let max_samples = self.config.codec.clock_rate() / 1000 * MAX_PACKET_MS;
        let samples = match self.config.codec {
            Codec::Opus => opus_packet::samples_48k(payload),
            _ => u32::try_from(payload.len()).ok().filter(|&n| n > 0),
        };
        let Some(samples) = samples.filter(|&n| n <= max_samples) else {
            return self.dropped(DropCause::BadPayload);
        };
        let level = self
            .config
            .audio_level_id
            .and_then(|id| AudioLevel::find(packet.extension_elements(), id))
            .map(|level| level.level_dbov)
            .or_else(|| g711_level(self.config.codec, payload, scratch));
        let info = PacketInfo {
            sequence_number: packet.sequence_number(),
            timestamp: packet.timestamp(),
            ssrc: packet.ssrc(),
            samples,
            level_dbov: level,
        };
        match self.jitter.insert(info, payload, now) {
            InsertOutcome::Buffered => (PushOutcome::Buffered, level),
            InsertOutcome::Late => self.dropped(DropCause::Late),
            InsertOutcome::Duplicate => self.dropped(DropCause::Duplicate),
            InsertOutcome::OutOfWindow => self.dropped(DropCause::OutOfWindow),
            _ => self.dropped(DropCause::BadPayload),
        }
    }

    fn dropped(&mut self, cause: DropCause) -> (PushOutcome, Option<u8>) {
        self.stats.dropped += 1;
        (PushOutcome::Dropped(cause), None)
    }

    /// Starts a tick: the jitter buffer decides whether a talkspurt plays.
    pub(crate) fn begin_tick(&mut self) {
        self.jitter.begin_tick();
        self.has_audio = false;
    }

    /// How loud the audio this tick plays is, as its packets tell without decoding. Call
    /// between [`Self::begin_tick`] and [`Self::render`].
    pub(crate) fn due_level(&self) -> DueLevel {
        if self.level_from_decode {
            return DueLevel::Unknown;
        }
        let known = |level: Option<u8>| level.map_or(DueLevel::Unknown, DueLevel::Packet);
        if self.pcm_len >= self.tick_samples || self.skipped >= self.tick_samples {
            // The rest of a long packet already taken out of the buffer.
            return known(self.last_level);
        }
        if !self.jitter.is_playing() {
            return DueLevel::Silent;
        }
        // A packet missing now is concealed as a continuation of the last one.
        known(self.jitter.upcoming_level().or(self.last_level))
    }

    /// Plays one tick out of the jitter buffer (after [`Self::begin_tick`]). With
    /// `decode`, the audio is decoded, concealed where missing and resampled into `frame`
    /// (`has_audio` says whether there was any); without, the packets due are consumed
    /// unheard.
    pub(crate) fn render(&mut self, decode: bool) {
        if !decode {
            self.skip();
            return;
        }
        if self.decoder_stale {
            self.decoder.reset();
            if let Some(upsampler) = &mut self.upsampler {
                upsampler.reset();
            }
            self.pcm_len = 0;
            self.decoder_stale = false;
        }
        self.skipped = 0;
        while self.pcm_len < self.tick_samples {
            let wanted = self.tick_samples - self.pcm_len;
            let out = &mut self.pcm[self.pcm_len..];
            let written = match self.jitter.next(clock_units(wanted)) {
                Playout::Packet {
                    payload,
                    level_dbov,
                    ..
                } => {
                    self.last_level = level_dbov;
                    match self.decoder.decode(payload, out) {
                        Some(n) => {
                            self.stats.decoded += 1;
                            self.packet_samples = n.max(1);
                            n
                        }
                        None => {
                            self.stats.decode_errors += 1;
                            self.decoder.conceal(self.packet_samples, None, out).0
                        }
                    }
                }
                Playout::Lost { samples, fec } => {
                    let (n, how) = self.decoder.conceal(samples as usize, fec, out);
                    match how {
                        Concealed::Fec => self.stats.fec_recovered += 1,
                        Concealed::Extrapolated => self.stats.concealed += 1,
                    }
                    n
                }
                Playout::Underrun { samples } => {
                    self.decoder.conceal(samples as usize, None, out).0
                }
                Playout::Idle => break,
            };
            if written == 0 {
                break;
            }
            self.pcm_len += written;
        }
        if self.pcm_len == 0 {
            // Silent: the next talkspurt must not start with this one's resampler tail.
            if let Some(upsampler) = &mut self.upsampler {
                upsampler.reset();
            }
            return;
        }
        if self.pcm_len < self.tick_samples {
            self.pcm[self.pcm_len..self.tick_samples].fill(0);
            self.pcm_len = self.tick_samples;
        }
        let tick = &self.pcm[..self.tick_samples];
        match &mut self.upsampler {
            Some(upsampler) => upsampler.process(tick, &mut self.frame),
            None => self.frame.copy_from_slice(tick),
        }
        self.pcm.copy_within(self.tick_samples..self.pcm_len, 0);
        self.pcm_len -= self.tick_samples;
        self.has_audio = true;
    }

    /// Consumes a tick's worth of packets without decoding them.
    fn skip(&mut self) {
        self.decoder_stale = true;
        self.pcm_len = 0;
        while self.skipped < self.tick_samples {
            let wanted = clock_units(self.tick_samples - self.skipped);
            let consumed = match self.jitter.next(wanted) {
                Playout::Packet {
                    samples,
                    level_dbov,
                    ..
                } => {
                    self.last_level = level_dbov;
                    samples as usize
                }
                Playout::Lost { samples, .. } | Playout::Underrun { samples } => samples as usize,
                Playout::Idle => {
                    self.skipped = self.tick_samples;
                    0
                }
            };
            if consumed == 0 {
                break;
            }
            self.skipped += consumed;
        }
        self.skipped = self.skipped.saturating_sub(self.tick_samples);
    }

    /// The level of this tick's decoded audio.
    pub(crate) fn decoded_level(&self) -> Option<u8> {
        self.has_audio.then(|| audio_level_dbov(&self.frame))
    }

    pub(crate) fn stats(&self) -> LegMixStats {
        LegMixStats {
            jitter: self.jitter.stats(),
            ..self.stats
        }
    }
}

/// How loud a leg's audio due this tick is, before decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DueLevel {
    /// Nothing plays: the stream paused or has not started.
    Silent,
    /// The level (-dBov) its packet carries.
    Packet(u8),
    /// Only decoding tells (no level in its packets).
    Unknown,
}

/// Samples at the codec's rate are RTP timestamp units for every codec the mixer takes.
fn clock_units(samples: usize) -> u32 {
    u32::try_from(samples).unwrap_or(u32::MAX)
}

/// The level of a G.711 payload, decoded into `scratch`.
fn g711_level(codec: Codec, payload: &[u8], scratch: &mut [i16]) -> Option<u8> {
    let n = payload.len().min(scratch.len()).min(LEVEL_SCRATCH);
    let (codes, pcm) = (payload.get(..n)?, scratch.get_mut(..n)?);
    match codec {
        Codec::Pcmu => ulaw_decode(pcm, codes),
        Codec::Pcma => alaw_decode(pcm, codes),
        _ => return None,
    }
    Some(audio_level_dbov(pcm))
}

/// Samples of scratch [`MixLeg::push`] wants.
pub(crate) const PUSH_SCRATCH: usize = LEVEL_SCRATCH;
