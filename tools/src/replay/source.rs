//! The audio a replay plays: RTP streams taken from a capture, picked by SSRC, port or
//! payload type, each kept as its packets' payloads and their times from the stream's
//! start. Participants play these streams with their own SSRC, sequence numbers and
//! timestamps ([`super::plan`]).

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::net::SocketAddr;

use medianode_dataplane::demux::{classify, PacketKind};
use medianode_dataplane::rtp::RtpPacket;
use medianode_simd::{alaw_decode, audio_level_dbov, ulaw_decode};

use crate::capture::{CaptureError, CaptureReader};

/// Fewest packets a stream needs to be played (its packet interval must be measurable).
const MIN_STREAM_PACKETS: usize = 2;
/// Largest G.711 payload whose level is measured (a 1500-byte datagram's worth).
const MAX_LEVEL_SAMPLES: usize = 1500;

/// An audio codec the node takes, as a replayed stream carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioCodec {
    /// G.711 mu-law, payload type 0.
    Pcmu,
    /// G.711 A-law, payload type 8.
    Pcma,
    /// Opus, on a dynamic payload type.
    Opus,
}

impl AudioCodec {
    /// The codec's name in the node's admin API.
    pub fn api_name(self) -> &'static str {
        match self {
            AudioCodec::Pcmu => "PCMU",
            AudioCodec::Pcma => "PCMA",
            AudioCodec::Opus => "opus",
        }
    }

    /// The RTP clock rate.
    pub fn clock_rate(self) -> u32 {
        match self {
            AudioCodec::Pcmu | AudioCodec::Pcma => 8_000,
            AudioCodec::Opus => 48_000,
        }
    }

    /// The codec a payload type stands for: the static G.711 types, and Opus for the
    /// dynamic range (96..=127); `None` for anything else.
    pub fn for_payload_type(payload_type: u8) -> Option<AudioCodec> {
        match payload_type {
            0 => Some(AudioCodec::Pcmu),
            8 => Some(AudioCodec::Pcma),
            96..=127 => Some(AudioCodec::Opus),
            _ => None,
        }
    }

    /// The level (-dBov, 127 = silence) of a payload of this codec, decoded; `None` for
    /// Opus, which would need a decoder.
    pub fn payload_level(self, payload: &[u8]) -> Option<u8> {
        let codes = payload.get(..payload.len().min(MAX_LEVEL_SAMPLES))?;
        let mut pcm = vec![0i16; codes.len()];
        match self {
            AudioCodec::Pcmu => ulaw_decode(&mut pcm, codes),
            AudioCodec::Pcma => alaw_decode(&mut pcm, codes),
            AudioCodec::Opus => return None,
        }
        Some(audio_level_dbov(&pcm))
    }
}

/// One packet of a source stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePacket {
    /// Capture time since the stream's first packet, in nanoseconds (never decreasing).
    pub offset_ns: u64,
    /// RTP timestamp minus the stream's first one (modulo 2^32).
    pub ts_offset: u32,
    /// The marker bit.
    pub marker: bool,
    /// The header extension as captured (profile and data), if any.
    pub extension: Option<(u16, Vec<u8>)>,
    /// The RTP payload, without padding.
    pub payload: Vec<u8>,
    /// The payload's level when the codec can be decoded here (G.711).
    pub payload_level: Option<u8>,
}

/// One RTP stream ready to be played by many participants.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceStream {
    /// Where it came from, for messages: addresses and SSRC, or "synthetic".
    pub label: String,
    /// Its payload type (other payload types of the same SSRC are left out).
    pub payload_type: u8,
    /// Its codec.
    pub codec: AudioCodec,
    /// Its packets in capture order.
    pub packets: Vec<SourcePacket>,
    /// How long one pass lasts when looping: the last packet's offset plus one packet
    /// interval.
    pub period_ns: u64,
    /// How far the RTP timestamp advances over one pass.
    pub ts_period: u32,
}

impl SourceStream {
    /// Builds a stream from packets in order, measuring its packet interval (the median
    /// step) to know where a pass ends. `None` with fewer than two packets.
    pub fn from_packets(
        label: String,
        payload_type: u8,
        codec: AudioCodec,
        packets: Vec<SourcePacket>,
    ) -> Option<SourceStream> {
        if packets.len() < MIN_STREAM_PACKETS {
            return None;
        }
        let median_step = |steps: &mut Vec<u64>| {
            steps.sort_unstable();
            steps.get(steps.len() / 2).copied().unwrap_or(0)
        };
        let mut gaps: Vec<u64> = packets
            .windows(2)
            .map(|w| w[1].offset_ns.saturating_sub(w[0].offset_ns))
            .collect();
        let mut ts_steps: Vec<u64> = packets
            .windows(2)
            .map(|w| u64::from(w[1].ts_offset.wrapping_sub(w[0].ts_offset)))
            .collect();
        let gap = median_step(&mut gaps).max(1);
        let ts_step = median_step(&mut ts_steps) as u32;
        let last = packets.last()?;
        Some(SourceStream {
            label,
            payload_type,
            codec,
            period_ns: last.offset_ns + gap,
            ts_period: last.ts_offset.wrapping_add(ts_step),
            packets,
        })
    }

    /// Packets in one pass.
    pub fn len(&self) -> usize {
        self.packets.len()
    }

    /// Whether the stream has no packet (never true for a built stream).
    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }
}

/// Which captured streams to play. Empty lists take everything; several lists must all
/// match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamFilter {
    /// Only these SSRCs.
    pub ssrcs: Vec<u32>,
    /// Only datagrams from or to these UDP ports.
    pub ports: Vec<u16>,
    /// Only these payload types.
    pub payload_types: Vec<u8>,
}

impl StreamFilter {
    fn takes_datagram(&self, src: SocketAddr, dst: SocketAddr) -> bool {
        self.ports.is_empty()
            || self.ports.contains(&src.port())
            || self.ports.contains(&dst.port())
    }

    fn takes_packet(&self, ssrc: u32, payload_type: u8) -> bool {
        (self.ssrcs.is_empty() || self.ssrcs.contains(&ssrc))
            && (self.payload_types.is_empty() || self.payload_types.contains(&payload_type))
    }
}

/// Why no stream could be taken from a capture.
#[derive(Debug)]
#[non_exhaustive]
pub enum SourceError {
    /// The capture could not be read.
    Capture(CaptureError),
    /// Nothing matched the filter; says what was seen instead.
    NoStreams {
        /// RTP streams in the capture, whatever their payload type.
        seen: Vec<String>,
    },
    /// A stream the filter picked uses a codec the node does not take.
    UnsupportedPayloadType {
        /// The stream.
        stream: String,
        /// Its payload type.
        payload_type: u8,
    },
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceError::Capture(e) => write!(f, "cannot read the capture: {e}"),
            SourceError::NoStreams { seen } if seen.is_empty() => {
                f.write_str("the capture holds no RTP stream of two packets or more")
            }
            SourceError::NoStreams { seen } => write!(
                f,
                "no RTP stream matches the filter; the capture has: {}",
                seen.join("; ")
            ),
            SourceError::UnsupportedPayloadType {
                stream,
                payload_type,
            } => write!(
                f,
                "stream {stream} has payload type {payload_type}, which medianode does not \
                 take (PCMU 0, PCMA 8, Opus 96-127); pick another with --ssrc, --port or --pt"
            ),
        }
    }
}

// Display already includes the inner error, so it is not repeated as a source.
impl std::error::Error for SourceError {}

impl From<CaptureError> for SourceError {
    fn from(e: CaptureError) -> Self {
        SourceError::Capture(e)
    }
}

/// A stream being collected: its key, first packet's time and timestamp, and packets per
/// payload type.
struct Collecting {
    label: String,
    first_ns: u64,
    first_ts: Option<u32>,
    last_offset: u64,
    by_type: HashMap<u8, Vec<SourcePacket>>,
}

/// Reads every RTP stream of a capture that `filter` takes, largest first. A stream is
/// one SSRC between one source and destination; when it carries several payload types
/// (comfort noise, telephone events) only its most frequent one is kept.
pub fn load_capture<R: Read>(
    input: R,
    filter: &StreamFilter,
) -> Result<Vec<SourceStream>, SourceError> {
    let mut reader = CaptureReader::new(input)?;
    let mut streams: HashMap<(SocketAddr, SocketAddr, u32), Collecting> = HashMap::new();
    let mut order: Vec<(SocketAddr, SocketAddr, u32)> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    while let Some(datagram) = reader.next_datagram() {
        let datagram = match datagram {
            Ok(datagram) => datagram,
            // A capture cut short still gives the packets before the cut.
            Err(CaptureError::TruncatedFile) => break,
            Err(e) => return Err(e.into()),
        };
        if classify(datagram.payload) != PacketKind::Rtp {
            continue;
        }
        let Ok(packet) = RtpPacket::new_checked(datagram.payload) else {
            continue;
        };
        let (ssrc, payload_type) = (packet.ssrc(), packet.payload_type());
        let label = format!(
            "{} -> {} ssrc 0x{ssrc:08X} pt {payload_type}",
            datagram.src, datagram.dst
        );
        if !seen.contains(&label) && seen.len() < 16 {
            seen.push(label);
        }
        if !filter.takes_datagram(datagram.src, datagram.dst)
            || !filter.takes_packet(ssrc, payload_type)
        {
            continue;
        }
        let key = (datagram.src, datagram.dst, ssrc);
        let stream = streams.entry(key).or_insert_with(|| {
            order.push(key);
            Collecting {
                label: format!("{} -> {} ssrc 0x{ssrc:08X}", datagram.src, datagram.dst),
                first_ns: datagram.timestamp_ns,
                first_ts: None,
                last_offset: 0,
                by_type: HashMap::new(),
            }
        });
        let first_ts = *stream.first_ts.get_or_insert(packet.timestamp());
        let offset = datagram
            .timestamp_ns
            .saturating_sub(stream.first_ns)
            .max(stream.last_offset);
        stream.last_offset = offset;
        let extension = match (packet.extension_profile(), packet.extension_data()) {
            (Some(profile), Some(data)) => Some((profile, data.to_vec())),
            _ => None,
        };
        let payload = packet.payload().to_vec();
        let payload_level = AudioCodec::for_payload_type(payload_type)
            .and_then(|codec| codec.payload_level(&payload));
        stream
            .by_type
            .entry(payload_type)
            .or_default()
            .push(SourcePacket {
                offset_ns: offset,
                ts_offset: packet.timestamp().wrapping_sub(first_ts),
                marker: packet.marker(),
                extension,
                payload,
                payload_level,
            });
    }
    let mut found = Vec::new();
    for key in order {
        let Some(stream) = streams.remove(&key) else {
            continue;
        };
        let Some((payload_type, packets)) = stream
            .by_type
            .into_iter()
            .max_by_key(|(pt, packets)| (packets.len(), *pt))
        else {
            continue;
        };
        if packets.len() < MIN_STREAM_PACKETS {
            continue;
        }
        let Some(codec) = AudioCodec::for_payload_type(payload_type) else {
            let picked = !filter.ssrcs.is_empty() || !filter.payload_types.is_empty();
            if picked {
                return Err(SourceError::UnsupportedPayloadType {
                    stream: stream.label,
                    payload_type,
                });
            }
            continue;
        };
        let rebased = rebase(packets);
        if let Some(stream) = SourceStream::from_packets(stream.label, payload_type, codec, rebased)
        {
            found.push(stream);
        }
    }
    if found.is_empty() {
        return Err(SourceError::NoStreams { seen });
    }
    found.sort_by_key(|s| std::cmp::Reverse(s.len()));
    Ok(found)
}

/// Makes the first kept packet the origin of time and RTP timestamps (packets of other
/// payload types that came first are gone).
fn rebase(mut packets: Vec<SourcePacket>) -> Vec<SourcePacket> {
    let Some(first) = packets.first() else {
        return packets;
    };
    let (offset0, ts0) = (first.offset_ns, first.ts_offset);
    for packet in &mut packets {
        packet.offset_ns -= offset0.min(packet.offset_ns);
        packet.ts_offset = packet.ts_offset.wrapping_sub(ts0);
    }
    packets
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{CaptureWriter, LinkType};

    /// A raw-IPv4 frame carrying `payload` from port `sport` to 4000.
    fn frame(sport: u16, payload: &[u8]) -> Vec<u8> {
        let total = 28 + payload.len();
        let mut f = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            0,
            0,
            0,
            64,
            17,
            0,
            0,
        ];
        f.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
        let udp_len = 8 + payload.len();
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&4000u16.to_be_bytes());
        f.extend_from_slice(&(udp_len as u16).to_be_bytes());
        f.extend_from_slice(&[0, 0]);
        f.extend_from_slice(payload);
        f
    }

    fn rtp(pt: u8, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x80, pt];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&ts.to_be_bytes());
        p.extend_from_slice(&ssrc.to_be_bytes());
        p.extend_from_slice(payload);
        p
    }

    /// Two streams: 5 PCMA packets from port 5000 (one of them comfort noise), and 3
    /// PCMU packets from port 6000.
    fn capture() -> Vec<u8> {
        let mut w = CaptureWriter::pcap(Vec::new(), LinkType::RawIp, false).unwrap();
        let mut t = 1_000_000_000u64;
        for i in 0..5u16 {
            let pt = if i == 2 { 13 } else { 8 };
            let f = frame(
                5000,
                &rtp(pt, 100 + i, 1000 + 160 * u32::from(i), 7, &[0xD5; 160]),
            );
            w.write_bytes(t, LinkType::RawIp, &f, f.len() as u32)
                .unwrap();
            let f = frame(
                6000,
                &rtp(0, 9 + i, 50 + 160 * u32::from(i), 9, &[0xFF; 160]),
            );
            if i < 3 {
                w.write_bytes(t + 5, LinkType::RawIp, &f, f.len() as u32)
                    .unwrap();
            }
            t += 20_000_000;
        }
        w.finish().unwrap()
    }

    #[test]
    fn streams_are_split_by_ssrc_keep_their_main_payload_type_and_measure_their_period() {
        let streams = load_capture(&capture()[..], &StreamFilter::default()).unwrap();
        assert_eq!(streams.len(), 2);
        let pcma = &streams[0];
        assert_eq!((pcma.payload_type, pcma.codec), (8, AudioCodec::Pcma));
        assert_eq!(pcma.len(), 4, "the comfort noise packet is left out");
        let offsets: Vec<u64> = pcma.packets.iter().map(|p| p.offset_ns).collect();
        assert_eq!(offsets, [0, 20_000_000, 60_000_000, 80_000_000]);
        let ts: Vec<u32> = pcma.packets.iter().map(|p| p.ts_offset).collect();
        assert_eq!(ts, [0, 160, 480, 640]);
        // Steps 20, 40, 20 ms: the median is 20 ms, so a pass lasts 100 ms.
        assert_eq!(pcma.period_ns, 100_000_000);
        assert_eq!(pcma.ts_period, 800);
        assert_eq!(streams[1].codec, AudioCodec::Pcmu);
        // A-law 0xD5 is the smallest positive step: near silence.
        assert!(pcma.packets[0].payload_level.unwrap() > 70);
    }

    #[test]
    fn filters_pick_by_port_ssrc_and_payload_type() {
        let by_port = StreamFilter {
            ports: vec![6000],
            ..StreamFilter::default()
        };
        let streams = load_capture(&capture()[..], &by_port).unwrap();
        assert_eq!(streams.len(), 1);
        assert_eq!(streams[0].payload_type, 0);
        let none = StreamFilter {
            ssrcs: vec![1234],
            ..StreamFilter::default()
        };
        let err = load_capture(&capture()[..], &none).unwrap_err();
        assert!(err.to_string().contains("ssrc 0x00000007 pt 8"), "{err}");
        let cn = StreamFilter {
            payload_types: vec![13],
            ..StreamFilter::default()
        };
        // One comfort-noise packet is too few to be a stream.
        assert!(matches!(
            load_capture(&capture()[..], &cn),
            Err(SourceError::NoStreams { .. })
        ));
    }
}
