//! Writing frames back out as pcap or pcapng, unchanged or with a UDP payload replaced,
//! keeping each frame's timestamp and link type.

use std::borrow::Cow;
use std::io::Write;
use std::time::Duration;

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::{DataLink, TsResolution};

use super::datagram::{CapturedDatagram, Frame};
use super::error::CaptureError;
use super::link::LinkType;
use super::reader::CaptureFormat;
use super::rewrite::{replace_udp_payload, UdpChecksum};

/// Snap length written into pcap headers: large enough for any IP packet plus link header.
const MIN_SNAP_LEN: u32 = 262_144;
/// `if_tsresol` value for nanoseconds, which is what `pcap-file` writes timestamps in.
const NANOSECOND_RESOLUTION: u8 = 9;

enum Sink<W: Write> {
    Pcap {
        writer: PcapWriter<W>,
        link_type: LinkType,
    },
    PcapNg {
        writer: PcapNgWriter<W>,
        /// Link type of each interface declared so far; index = interface id.
        interfaces: Vec<LinkType>,
    },
}

/// Writes captured frames to a pcap or pcapng stream.
pub struct CaptureWriter<W: Write> {
    sink: Sink<W>,
    /// Reused for rewritten frames.
    scratch: Vec<u8>,
}

impl<W: Write> std::fmt::Debug for CaptureWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.sink {
            Sink::Pcap { link_type, .. } => format!("pcap ({link_type})"),
            Sink::PcapNg { interfaces, .. } => format!("pcapng ({} interfaces)", interfaces.len()),
        };
        f.debug_struct("CaptureWriter")
            .field("kind", &kind)
            .finish_non_exhaustive()
    }
}

impl<W: Write> CaptureWriter<W> {
    /// A classic pcap file of one link type; `nanosecond` picks the timestamp resolution.
    pub fn pcap(out: W, link_type: LinkType, nanosecond: bool) -> Result<Self, CaptureError> {
        Self::pcap_with_snap_len(out, link_type, nanosecond, MIN_SNAP_LEN)
    }

    fn pcap_with_snap_len(
        out: W,
        link_type: LinkType,
        nanosecond: bool,
        snap_len: u32,
    ) -> Result<Self, CaptureError> {
        let header = PcapHeader {
            snaplen: snap_len.max(MIN_SNAP_LEN),
            datalink: DataLink::from(link_type.code()),
            ts_resolution: if nanosecond {
                TsResolution::NanoSecond
            } else {
                TsResolution::MicroSecond
            },
            endianness: pcap_file::Endianness::native(),
            ..PcapHeader::default()
        };
        Ok(CaptureWriter {
            sink: Sink::Pcap {
                writer: PcapWriter::with_header(out, header)?,
                link_type,
            },
            scratch: Vec::new(),
        })
    }

    /// A pcapng file; an interface is declared for each link type as frames of it arrive.
    pub fn pcapng(out: W) -> Result<Self, CaptureError> {
        Ok(CaptureWriter {
            sink: Sink::PcapNg {
                writer: PcapNgWriter::new(out)?,
                interfaces: Vec::new(),
            },
            scratch: Vec::new(),
        })
    }

    /// The same container kind (and for pcap the same link type and resolution) as a
    /// capture that was read.
    pub fn like(out: W, format: CaptureFormat) -> Result<Self, CaptureError> {
        match format {
            CaptureFormat::Pcap {
                link_type,
                nanosecond,
                snap_len,
            } => Self::pcap_with_snap_len(out, link_type, nanosecond, snap_len),
            CaptureFormat::PcapNg => Self::pcapng(out),
        }
    }

    /// Writes a frame exactly as it was read.
    pub fn write_frame(&mut self, frame: &Frame<'_>) -> Result<(), CaptureError> {
        self.write_bytes(
            frame.timestamp_ns,
            frame.link_type,
            frame.data,
            frame.original_len,
        )
    }

    /// Writes the datagram's frame with its UDP payload replaced by `payload` (any length);
    /// lengths and checksums are fixed, everything else is kept.
    pub fn write_with_payload(
        &mut self,
        datagram: &CapturedDatagram<'_>,
        payload: &[u8],
        checksum: UdpChecksum,
    ) -> Result<(), CaptureError> {
        let mut scratch = std::mem::take(&mut self.scratch);
        let result =
            replace_udp_payload(datagram, payload, checksum, &mut scratch).and_then(|()| {
                let frame = &datagram.frame;
                // Whatever the wire had beyond the captured bytes is still there.
                let uncaptured = (frame.original_len as usize).saturating_sub(frame.data.len());
                let original_len = u32::try_from(scratch.len() + uncaptured).unwrap_or(u32::MAX);
                self.write_bytes(frame.timestamp_ns, frame.link_type, &scratch, original_len)
            });
        self.scratch = scratch;
        result
    }

    /// Writes one frame from its parts.
    pub fn write_bytes(
        &mut self,
        timestamp_ns: u64,
        link_type: LinkType,
        data: &[u8],
        original_len: u32,
    ) -> Result<(), CaptureError> {
        let timestamp = Duration::from_nanos(timestamp_ns);
        let original_len = original_len.max(u32::try_from(data.len()).unwrap_or(u32::MAX));
        match &mut self.sink {
            Sink::Pcap {
                writer,
                link_type: file_link,
            } => {
                if *file_link != link_type {
                    return Err(CaptureError::LinkTypeMismatch {
                        file: file_link.code(),
                        frame: link_type.code(),
                    });
                }
                writer.write_packet(&PcapPacket::new(timestamp, original_len, data))?;
            }
            Sink::PcapNg { writer, interfaces } => {
                let interface_id = match interfaces.iter().position(|l| *l == link_type) {
                    Some(id) => id,
                    None => {
                        writer.write_pcapng_block(InterfaceDescriptionBlock {
                            linktype: DataLink::from(link_type.code()),
                            snaplen: 0,
                            options: vec![InterfaceDescriptionOption::IfTsResol(
                                NANOSECOND_RESOLUTION,
                            )],
                        })?;
                        interfaces.push(link_type);
                        interfaces.len() - 1
                    }
                };
                writer.write_pcapng_block(EnhancedPacketBlock {
                    interface_id: interface_id as u32,
                    timestamp,
                    original_len,
                    data: Cow::Borrowed(data),
                    options: Vec::new(),
                })?;
            }
        }
        Ok(())
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> Result<W, CaptureError> {
        let mut out = match self.sink {
            Sink::Pcap { writer, .. } => writer.into_writer(),
            Sink::PcapNg { writer, .. } => writer.into_inner(),
        };
        out.flush()?;
        Ok(out)
    }
}
