//! Capture files in and out: pcap and pcapng from any `Read`, decoded down to UDP over
//! Ethernet (with stacked VLAN tags), Linux cooked v1/v2, BSD/OpenBSD loopback and raw
//! IP; and written back out, frame by frame, unchanged or with a UDP payload replaced.
//!
//! The container (record framing, byte order, magic numbers) comes from `pcap-file`. The
//! link, IP and UDP decoding is written here as small checked views rather than taken from
//! `etherparse`: etherparse (0.19) decodes Linux cooked capture v1 but not v2, and the
//! rewriter needs exact byte offsets of every length and checksum field, which the views
//! give directly. Every frame that yields no datagram is counted by [`SkipReason`]; no
//! input makes these decoders panic (there is a fuzz target for that).
//!
//! Rewriting RTP in place, keeping every other frame, timestamp and address:
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use medianode_tools::capture::{CaptureReader, CaptureWriter, UdpChecksum};
//!
//! let mut reader = CaptureReader::new(std::fs::File::open("in.pcap")?)?;
//! let out = std::io::BufWriter::new(std::fs::File::create("out.pcap")?);
//! let mut writer = CaptureWriter::like(out, reader.format())?;
//! while let Some(frame) = reader.next_frame() {
//!     let frame = frame?;
//!     match frame.udp() {
//!         Ok(datagram) => {
//!             let mut payload = datagram.payload.to_vec();
//!             payload.reverse(); // any transformation, any length
//!             writer.write_with_payload(&datagram, &payload, UdpChecksum::Recompute)?;
//!         }
//!         Err(_not_udp) => writer.write_frame(&frame)?,
//!     }
//! }
//! writer.finish()?;
//! # Ok(())
//! # }
//! ```

mod bytes;
mod checksum;
mod cooked;
mod datagram;
mod error;
mod ethernet;
mod ipv4;
mod ipv6;
mod link;
mod loopback;
mod pcapng;
mod reader;
mod rewrite;
mod skip;
mod udp;
mod writer;

#[cfg(test)]
pub(crate) mod test_frames;

pub use datagram::{CapturedDatagram, Frame, IpVersion, UdpLayout};
pub use error::CaptureError;
pub use link::LinkType;
pub use reader::{CaptureFormat, CaptureReader};
pub use rewrite::{replace_udp_payload, UdpChecksum};
pub use skip::{SkipCounts, SkipReason};
pub use writer::CaptureWriter;
