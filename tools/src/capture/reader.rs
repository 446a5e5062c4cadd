//! Reading pcap and pcapng from any `Read`: frames one at a time (each borrowed until the
//! next call, so nothing is allocated per packet), or straight to the UDP datagrams with
//! everything else counted by reason.

use std::io::{Chain, Cursor, Read};

use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::PcapNgReader;
use pcap_file::TsResolution;

use super::datagram::{CapturedDatagram, Frame, UdpLayout};
use super::error::CaptureError;
use super::link::LinkType;
use super::pcapng::SectionState;
use super::skip::SkipCounts;

const PCAP_MAGICS: [[u8; 4]; 4] = [
    [0xA1, 0xB2, 0xC3, 0xD4],
    [0xD4, 0xC3, 0xB2, 0xA1],
    [0xA1, 0xB2, 0x3C, 0x4D],
    [0x4D, 0x3C, 0xB2, 0xA1],
];
const PCAPNG_MAGIC: [u8; 4] = [0x0A, 0x0D, 0x0D, 0x0A];

/// The container a capture was read from, so a writer can produce the same kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureFormat {
    /// Classic pcap: one link type for the whole file.
    Pcap {
        /// The file's link type.
        link_type: LinkType,
        /// True for the nanosecond-resolution variant.
        nanosecond: bool,
        /// The file's snap length.
        snap_len: u32,
    },
    /// pcapng: link type per interface.
    PcapNg,
}

/// The input with the four magic bytes that were read to tell the formats apart put back.
type Rewound<R> = Chain<Cursor<[u8; 4]>, R>;

enum Container<R: Read> {
    Pcap {
        reader: PcapReader<Rewound<R>>,
        link_type: LinkType,
        nanosecond: bool,
    },
    PcapNg {
        reader: PcapNgReader<Rewound<R>>,
        section: SectionState,
    },
}

/// Metadata of the frame most recently copied into the reader's frame buffer.
#[derive(Debug, Clone, Copy)]
struct FrameMeta {
    index: u64,
    timestamp_ns: u64,
    link_type: LinkType,
    original_len: u32,
}

/// Reads frames and UDP datagrams from a pcap or pcapng stream.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use medianode_tools::capture::CaptureReader;
///
/// let mut reader = CaptureReader::new(std::fs::File::open("call.pcap")?)?;
/// while let Some(datagram) = reader.next_datagram() {
///     let datagram = datagram?;
///     println!("{} -> {}: {} bytes", datagram.src, datagram.dst, datagram.payload.len());
/// }
/// println!("skipped {} frames", reader.skipped().total());
/// # Ok(())
/// # }
/// ```
pub struct CaptureReader<R: Read> {
    container: Container<R>,
    format: CaptureFormat,
    /// The current frame's bytes; reused so steady-state reading does not allocate.
    frame: Vec<u8>,
    frames_read: u64,
    skipped: SkipCounts,
    /// Set after an error: the container position is unknown, so reading stops.
    failed: bool,
}

impl<R: Read> std::fmt::Debug for CaptureReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureReader")
            .field("format", &self.format)
            .field("frames_read", &self.frames_read)
            .field("skipped", &self.skipped)
            .finish_non_exhaustive()
    }
}

impl<R: Read> CaptureReader<R> {
    /// Opens a capture, telling pcap from pcapng by the magic number.
    pub fn new(mut input: R) -> Result<Self, CaptureError> {
        let mut magic = [0u8; 4];
        input.read_exact(&mut magic).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => CaptureError::NotACapture,
            _ => CaptureError::Io(e),
        })?;
        let rewound = Cursor::new(magic).chain(input);
        let (container, format) = if PCAP_MAGICS.contains(&magic) {
            let reader = PcapReader::new(rewound)?;
            let header = reader.header();
            let link_type = LinkType::from_code(u32::from(header.datalink));
            let nanosecond = header.ts_resolution == TsResolution::NanoSecond;
            let format = CaptureFormat::Pcap {
                link_type,
                nanosecond,
                snap_len: header.snaplen,
            };
            (
                Container::Pcap {
                    reader,
                    link_type,
                    nanosecond,
                },
                format,
            )
        } else if magic == PCAPNG_MAGIC {
            let reader = PcapNgReader::new(rewound)?;
            let mut section = SectionState::default();
            // The reader consumed the first section header; replay its byte order.
            let order_magic: [u8; 4] = match reader.section().endianness {
                pcap_file::Endianness::Big => [0x1A, 0x2B, 0x3C, 0x4D],
                pcap_file::Endianness::Little => [0x4D, 0x3C, 0x2B, 0x1A],
            };
            section
                .block(0x0A0D_0D0A, &order_magic)
                .map_err(CaptureError::Malformed)?;
            (Container::PcapNg { reader, section }, CaptureFormat::PcapNg)
        } else {
            return Err(CaptureError::NotACapture);
        };
        Ok(CaptureReader {
            container,
            format,
            frame: Vec::new(),
            frames_read: 0,
            skipped: SkipCounts::default(),
            failed: false,
        })
    }

    /// The container kind and, for pcap, its link type and resolution.
    pub fn format(&self) -> CaptureFormat {
        self.format
    }

    /// Packet records read so far.
    pub fn frames_read(&self) -> u64 {
        self.frames_read
    }

    /// Frames `next_datagram` passed over, by reason.
    pub fn skipped(&self) -> &SkipCounts {
        &self.skipped
    }

    /// The next frame, whatever it carries. `None` at the end of the capture (or after an
    /// error was returned).
    pub fn next_frame(&mut self) -> Option<Result<Frame<'_>, CaptureError>> {
        match self.advance() {
            Ok(Some(meta)) => Some(Ok(self.frame_from(meta))),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }

    /// The next frame that holds a complete UDP datagram; frames that do not are counted
    /// in [`skipped`](Self::skipped).
    pub fn next_datagram(&mut self) -> Option<Result<CapturedDatagram<'_>, CaptureError>> {
        let (meta, layout) = loop {
            let meta = match self.advance() {
                Ok(Some(meta)) => meta,
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            };
            match UdpLayout::decode(meta.link_type, &self.frame) {
                Ok(layout) => break (meta, layout),
                Err(reason) => self.skipped.record(reason),
            }
        };
        // The layout was decoded from these very bytes, so its payload range is inside.
        CapturedDatagram::assemble(self.frame_from(meta), layout)
            .map(Ok)
            .or(Some(Err(CaptureError::Malformed(
                "UDP payload outside its frame",
            ))))
    }

    fn frame_from(&self, meta: FrameMeta) -> Frame<'_> {
        Frame {
            index: meta.index,
            timestamp_ns: meta.timestamp_ns,
            link_type: meta.link_type,
            data: &self.frame,
            original_len: meta.original_len,
        }
    }

    /// Copies the next packet record into `self.frame`.
    fn advance(&mut self) -> Result<Option<FrameMeta>, CaptureError> {
        if self.failed {
            return Ok(None);
        }
        let result = self.read_record();
        match &result {
            Ok(Some(_)) => self.frames_read += 1,
            Ok(None) => {}
            Err(_) => self.failed = true,
        }
        result
    }

    fn read_record(&mut self) -> Result<Option<FrameMeta>, CaptureError> {
        let index = self.frames_read;
        match &mut self.container {
            Container::Pcap {
                reader,
                link_type,
                nanosecond,
            } => {
                let Some(packet) = reader.next_raw_packet() else {
                    return Ok(None);
                };
                let packet = packet?;
                let fraction_ns = if *nanosecond {
                    u64::from(packet.ts_frac)
                } else {
                    u64::from(packet.ts_frac) * 1_000
                };
                self.frame.clear();
                self.frame.extend_from_slice(&packet.data);
                Ok(Some(FrameMeta {
                    index,
                    timestamp_ns: u64::from(packet.ts_sec) * 1_000_000_000 + fraction_ns,
                    link_type: *link_type,
                    original_len: packet.orig_len.max(packet.incl_len),
                }))
            }
            Container::PcapNg { reader, section } => loop {
                let Some(block) = reader.next_raw_block() else {
                    return Ok(None);
                };
                let block = block?;
                if let Some(record) = section
                    .block(block.type_, &block.body)
                    .map_err(CaptureError::Malformed)?
                {
                    self.frame.clear();
                    self.frame.extend_from_slice(record.data);
                    return Ok(Some(FrameMeta {
                        index,
                        timestamp_ns: record.timestamp_ns,
                        link_type: record.link_type,
                        original_len: record.original_len.max(record.data.len() as u32),
                    }));
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{test_frames, CaptureWriter};

    /// A pcap (or pcapng) holding `count` Ethernet/IPv4/UDP frames, then an ARP frame.
    fn capture(pcapng: bool, count: usize) -> Vec<u8> {
        let mut writer = if pcapng {
            CaptureWriter::pcapng(Vec::new()).unwrap()
        } else {
            CaptureWriter::pcap(Vec::new(), LinkType::Ethernet, false).unwrap()
        };
        for i in 0..count {
            let frame = test_frames::ethernet_ipv4_udp(&[i as u8; 20], true);
            writer
                .write_bytes(
                    1_000_000_000 + i as u64 * 1_000,
                    LinkType::Ethernet,
                    &frame,
                    frame.len() as u32,
                )
                .unwrap();
        }
        let mut arp = vec![0u8; 42];
        arp[12] = 0x08;
        arp[13] = 0x06;
        writer
            .write_bytes(2_000_000_000, LinkType::Ethernet, &arp, 42)
            .unwrap();
        writer.finish().unwrap()
    }

    #[test]
    fn reads_what_the_writer_wrote() {
        for pcapng in [false, true] {
            let bytes = capture(pcapng, 3);
            let mut reader = CaptureReader::new(&bytes[..]).unwrap();
            let mut seen = Vec::new();
            while let Some(d) = reader.next_datagram() {
                let d = d.unwrap();
                seen.push((d.frame_index, d.timestamp_ns, d.payload[0]));
            }
            assert_eq!(
                seen,
                [
                    (0, 1_000_000_000, 0),
                    (1, 1_000_001_000, 1),
                    (2, 1_000_002_000, 2)
                ]
            );
            assert_eq!(reader.frames_read(), 4);
            assert_eq!(reader.skipped().non_ip, 1);
            assert_eq!(
                matches!(reader.format(), CaptureFormat::PcapNg),
                pcapng,
                "format"
            );
        }
    }

    #[test]
    fn not_a_capture() {
        for bytes in [&b""[..], b"abc", b"GET / HTTP/1.1\r\n\r\n"] {
            assert!(matches!(
                CaptureReader::new(bytes),
                Err(CaptureError::NotACapture)
            ));
        }
    }

    #[test]
    fn a_file_cut_short_gives_its_frames_then_one_error() {
        for pcapng in [false, true] {
            let bytes = capture(pcapng, 3);
            let cut = &bytes[..bytes.len() - 30];
            let mut reader = CaptureReader::new(cut).unwrap();
            let mut frames = 0;
            let mut errors = Vec::new();
            while let Some(f) = reader.next_frame() {
                match f {
                    Ok(_) => frames += 1,
                    Err(e) => errors.push(e),
                }
            }
            assert_eq!(frames, 3, "pcapng={pcapng}");
            assert_eq!(errors.len(), 1);
            assert!(
                matches!(errors[0], CaptureError::TruncatedFile),
                "{:?}",
                errors[0]
            );
        }
    }

    #[test]
    fn damaged_records_are_errors_not_panics() {
        // A pcap record claiming 4 GB.
        let mut bytes = capture(false, 1);
        bytes[24 + 8..24 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut reader = CaptureReader::new(&bytes[..]).unwrap();
        assert!(reader.next_frame().unwrap().is_err());
        assert!(reader.next_frame().is_none());
        // A pcapng packet block naming an interface that was never declared.
        let bytes = capture(true, 1);
        let mut damaged = bytes.clone();
        let epb = find_block(&damaged, 6).unwrap();
        damaged[epb + 8..epb + 12].copy_from_slice(&7u32.to_le_bytes());
        let mut reader = CaptureReader::new(&damaged[..]).unwrap();
        assert!(matches!(
            reader.next_frame(),
            Some(Err(CaptureError::Malformed(_)))
        ));
        // A block whose trailing length disagrees with its leading one.
        let mut damaged = bytes;
        let epb = find_block(&damaged, 6).unwrap();
        let len = u32::from_le_bytes(damaged[epb + 4..epb + 8].try_into().unwrap()) as usize;
        damaged[epb + len - 4] ^= 0xFF;
        let mut reader = CaptureReader::new(&damaged[..]).unwrap();
        assert!(reader.next_frame().unwrap().is_err());
    }

    /// Offset of the first little-endian pcapng block of `block_type`.
    fn find_block(bytes: &[u8], block_type: u32) -> Option<usize> {
        let mut offset = 0;
        while offset + 8 <= bytes.len() {
            let t = u32::from_le_bytes(bytes[offset..offset + 4].try_into().ok()?);
            let len = u32::from_le_bytes(bytes[offset + 4..offset + 8].try_into().ok()?) as usize;
            if t == block_type {
                return Some(offset);
            }
            offset += len;
        }
        None
    }
}
