//! What each synthetic participant sends, as a pure function of its packet index: when
//! (offset from its conference's start), which source packet, with which sequence number,
//! timestamp, SSRC and audio level. The sender, the selection model and the receiver's
//! payload check all ask the same [`ConferencePlan`], so they agree by construction.

use std::sync::Arc;

use medianode_dataplane::audio_level::{AudioLevel, SILENCE_DBOV};
use medianode_dataplane::rtp::extension::{ExtensionElement, ExtensionWriter};
use medianode_dataplane::rtp::{CsrcList, ExtensionBlock, RtpHeader};

use super::source::{SourcePacket, SourceStream};

/// The level a participant talks at in the slot pattern, in -dBov (ordinary speech).
pub const TALKING_DBOV: u8 = 30;

/// Where the RFC 6464 audio level of each packet comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelSource {
    /// No level is written; the capture's own header extension, if any, is kept. The node
    /// measures G.711 payloads itself.
    Keep,
    /// The level of the decoded G.711 payload, written as the extension.
    Payload,
    /// Participant k talks (level [`TALKING_DBOV`]) in slots k, k + K, k + 2K... of the
    /// given length and is silent (127) otherwise, whatever the payload says.
    Slots {
        /// Slot length in nanoseconds.
        slot_ns: u64,
    },
}

/// Pacing shared by every participant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// Capture time is divided by this (2.0 plays twice as fast).
    pub speed: f64,
    /// Start over at the end of the stream instead of stopping.
    pub looping: bool,
    /// Stop sending at this offset from the conference's start.
    pub duration_ns: Option<u64>,
}

/// One participant's stream and identity.
#[derive(Debug, Clone)]
pub struct ParticipantPlan {
    /// The stream it plays.
    pub stream: Arc<SourceStream>,
    /// The source packet it starts with (participants start at different points so that
    /// they do not all say the same thing at once).
    pub rotation: usize,
    /// Its SSRC, unique in the run.
    pub ssrc: u32,
    /// Sequence number of its packet 0.
    pub first_seq: u16,
    /// RTP timestamp of its packet 0.
    pub first_ts: u32,
}

/// One packet of a participant, located in its stream.
#[derive(Debug, Clone, Copy)]
pub struct PlannedPacket<'a> {
    /// Its index among the participant's packets, from 0.
    pub index: u64,
    /// When it is due, from the conference's start, in nanoseconds.
    pub offset_ns: u64,
    /// The source packet it copies.
    pub source: &'a SourcePacket,
    /// Its sequence number.
    pub seq: u16,
    /// Its RTP timestamp.
    pub timestamp: u32,
}

/// Why a packet could not be written into a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteError {
    /// The buffer is smaller than the packet.
    BufferTooSmall,
    /// The header could not be laid out (an extension id the form cannot carry).
    Header,
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::BufferTooSmall => f.write_str("the packet does not fit its buffer"),
            WriteError::Header => f.write_str("the RTP header could not be written"),
        }
    }
}

impl std::error::Error for WriteError {}

/// Everything a conference's participants send.
#[derive(Debug, Clone)]
pub struct ConferencePlan {
    /// Participants by position.
    pub participants: Vec<ParticipantPlan>,
    /// Pacing.
    pub timing: Timing,
    /// Level source.
    pub levels: LevelSource,
    /// The RFC 6464 extension id written (with `Payload` and `Slots`).
    pub level_id: u8,
}

impl ConferencePlan {
    /// Packet `index` of participant `position`, or `None` past its end (one pass without
    /// looping, or the duration).
    pub fn packet(&self, position: usize, index: u64) -> Option<PlannedPacket<'_>> {
        let plan = self.participants.get(position)?;
        let stream = &plan.stream;
        let n = stream.packets.len() as u64;
        if n == 0 || (!self.timing.looping && index >= n) {
            return None;
        }
        let start = stream.packets.get(plan.rotation)?;
        let at = index + plan.rotation as u64;
        let (lap, j) = (at / n, (at % n) as usize);
        let source = stream.packets.get(j)?;
        let raw = u128::from(lap) * u128::from(stream.period_ns) + u128::from(source.offset_ns);
        let raw = raw.saturating_sub(u128::from(start.offset_ns));
        let offset_ns = (raw as f64 / self.timing.speed) as u64;
        if self.timing.duration_ns.is_some_and(|d| offset_ns >= d) {
            return None;
        }
        let timestamp = plan
            .first_ts
            .wrapping_add((lap as u32).wrapping_mul(stream.ts_period))
            .wrapping_add(source.ts_offset.wrapping_sub(start.ts_offset));
        Some(PlannedPacket {
            index,
            offset_ns,
            source,
            seq: plan.first_seq.wrapping_add(index as u16),
            timestamp,
        })
    }

    /// The level written into the packet's extension, if this plan writes one.
    pub fn written_level(&self, position: usize, packet: &PlannedPacket<'_>) -> Option<u8> {
        match self.levels {
            LevelSource::Keep => None,
            LevelSource::Payload => packet.source.payload_level,
            LevelSource::Slots { slot_ns } => {
                let slot = packet.offset_ns / slot_ns.max(1);
                let talking = slot % self.participants.len().max(1) as u64 == position as u64;
                Some(if talking { TALKING_DBOV } else { SILENCE_DBOV })
            }
        }
    }

    /// The level the node will take for the packet: the written one, else the payload's
    /// (the node decodes G.711 itself); `None` when the node's choice cannot be known.
    pub fn observed_level(&self, position: usize, packet: &PlannedPacket<'_>) -> Option<u8> {
        self.written_level(position, packet)
            .or(packet.source.payload_level)
    }

    /// Whether every packet's level the node sees can be known here.
    pub fn levels_known(&self) -> bool {
        match self.levels {
            LevelSource::Slots { .. } => true,
            LevelSource::Keep | LevelSource::Payload => self
                .participants
                .iter()
                .all(|p| p.stream.packets.iter().all(|s| s.payload_level.is_some())),
        }
    }

    /// Writes the RTP packet (header and payload, in clear) into `buf`; returns its length.
    pub fn write(
        &self,
        position: usize,
        packet: &PlannedPacket<'_>,
        buf: &mut [u8],
    ) -> Result<usize, WriteError> {
        let ssrc = self
            .participants
            .get(position)
            .ok_or(WriteError::Header)?
            .ssrc;
        let payload_type = self
            .participants
            .get(position)
            .map_or(0, |p| p.stream.payload_type);
        let mut element_data = [0u8; 8];
        let extension = match self.written_level(position, packet) {
            Some(level) => {
                let byte = AudioLevel {
                    voice: level < SILENCE_DBOV,
                    level_dbov: level,
                }
                .to_byte()
                .map_err(|_| WriteError::Header)?;
                let element = ExtensionElement {
                    id: self.level_id,
                    data: &[byte],
                };
                Some(
                    ExtensionWriter::write_all(&mut element_data, &[element])
                        .map_err(|_| WriteError::Header)?,
                )
            }
            None => packet
                .source
                .extension
                .as_ref()
                .map(|(profile, data)| ExtensionBlock {
                    profile: *profile,
                    data,
                }),
        };
        let header = RtpHeader {
            marker: packet.source.marker,
            payload_type,
            sequence_number: packet.seq,
            timestamp: packet.timestamp,
            ssrc,
            csrcs: CsrcList::new(),
            extension,
        };
        let len = header.emit(buf).map_err(|_| WriteError::BufferTooSmall)?;
        let payload = &packet.source.payload;
        buf.get_mut(len..len + payload.len())
            .ok_or(WriteError::BufferTooSmall)?
            .copy_from_slice(payload);
        Ok(len + payload.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use medianode_dataplane::audio_level::AudioLevel;
    use medianode_dataplane::rtp::extension::{ExtensionElements, ExtensionForm};
    use medianode_dataplane::rtp::RtpPacket;

    use crate::replay::source::AudioCodec;

    /// A stream of 4 packets 20 ms apart, payload byte = packet number.
    fn stream() -> Arc<SourceStream> {
        let packets = (0..4u8)
            .map(|i| SourcePacket {
                offset_ns: u64::from(i) * 20_000_000,
                ts_offset: u32::from(i) * 160,
                marker: i == 0,
                extension: None,
                payload: vec![i; 10],
                payload_level: Some(60 + i),
            })
            .collect();
        Arc::new(SourceStream::from_packets("t".into(), 8, AudioCodec::Pcma, packets).unwrap())
    }

    fn plan(levels: LevelSource, looping: bool, duration_ns: Option<u64>) -> ConferencePlan {
        let participant = |rotation, ssrc| ParticipantPlan {
            stream: stream(),
            rotation,
            ssrc,
            first_seq: 65_534,
            first_ts: u32::MAX - 100,
        };
        ConferencePlan {
            participants: vec![participant(0, 11), participant(2, 22)],
            timing: Timing {
                speed: 1.0,
                looping,
                duration_ns,
            },
            levels,
            level_id: 3,
        }
    }

    #[test]
    fn a_rotated_participant_wraps_into_the_next_lap_with_continuous_time_and_numbers() {
        let plan = plan(LevelSource::Keep, false, None);
        // Participant 1 starts at source packet 2, so packets 2, 3, 0, 1.
        let got: Vec<(u64, u8, u16, u32)> = (0..5)
            .filter_map(|i| plan.packet(1, i))
            .map(|p| {
                (
                    p.offset_ns / 1_000_000,
                    p.source.payload[0],
                    p.seq,
                    p.timestamp,
                )
            })
            .collect();
        let ts0 = u32::MAX - 100;
        assert_eq!(
            got,
            [
                (0, 2, 65_534, ts0),
                (20, 3, 65_535, ts0.wrapping_add(160)),
                (40, 0, 0, ts0.wrapping_add(320)),
                (60, 1, 1, ts0.wrapping_add(480)),
            ],
            "one pass of 4 packets without looping"
        );
        let looped = ConferencePlan {
            timing: Timing {
                speed: 2.0,
                looping: true,
                duration_ns: Some(100_000_000),
            },
            ..plan
        };
        let offsets: Vec<u64> = (0..20)
            .filter_map(|i| looped.packet(0, i))
            .map(|p| p.offset_ns / 1_000_000)
            .collect();
        // Twice as fast: 10 ms apart, cut at 100 ms.
        assert_eq!(offsets, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    }

    #[test]
    fn slots_make_one_participant_talk_at_a_time_and_the_level_is_in_the_packet() {
        let plan = plan(
            LevelSource::Slots {
                slot_ns: 40_000_000,
            },
            true,
            None,
        );
        let level = |position, index| {
            let p = plan.packet(position, index).unwrap();
            plan.written_level(position, &p).unwrap()
        };
        // Slots of 40 ms: participant 0 talks in [0, 40) and [80, 120) ms.
        assert_eq!(
            [level(0, 0), level(0, 1), level(0, 2), level(0, 4)],
            [TALKING_DBOV, TALKING_DBOV, 127, TALKING_DBOV]
        );
        assert_eq!([level(1, 0), level(1, 2)], [127, TALKING_DBOV]);

        let p = plan.packet(1, 2).unwrap();
        let mut buf = [0u8; 64];
        let len = plan.write(1, &p, &mut buf).unwrap();
        let rtp = RtpPacket::new_checked(&buf[..len]).unwrap();
        assert_eq!((rtp.ssrc(), rtp.sequence_number()), (22, 0));
        assert_eq!(rtp.payload(), &[0u8; 10][..]);
        let form = ExtensionForm::from_profile(rtp.extension_profile().unwrap()).unwrap();
        let elements = ExtensionElements::new(form, rtp.extension_data().unwrap());
        let found = AudioLevel::find(elements, 3).unwrap();
        assert_eq!((found.voice, found.level_dbov), (true, TALKING_DBOV));
        assert_eq!(
            plan.write(1, &p, &mut buf[..20]),
            Err(WriteError::BufferTooSmall)
        );
    }

    #[test]
    fn the_node_sees_written_levels_else_payload_levels() {
        let keep = plan(LevelSource::Keep, false, None);
        let p = keep.packet(0, 1).unwrap();
        assert_eq!(keep.written_level(0, &p), None);
        assert_eq!(keep.observed_level(0, &p), Some(61));
        assert!(keep.levels_known());
        let mut buf = [0u8; 64];
        let len = keep.write(0, &p, &mut buf).unwrap();
        assert_eq!(len, 12 + 10, "no extension is added");
    }
}
