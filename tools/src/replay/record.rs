//! `--record FILE.pcap`: every datagram the participants received, as it arrived (SRTP
//! still encrypted), written as raw IP frames (LINKTYPE_RAW) from the node's leg address to
//! the replay's socket, so Wireshark, tshark and `srtp-pcap` read the run back.

use std::fs::File;
use std::io::BufWriter;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use crate::capture::{CaptureError, CaptureWriter, Frame, LinkType, UdpChecksum};

/// A pcap being written.
#[derive(Debug)]
pub struct Recorder {
    writer: CaptureWriter<BufWriter<File>>,
    /// An empty datagram's frame, rebuilt per datagram.
    template: Vec<u8>,
    frames: u64,
}

impl Recorder {
    /// Creates (truncates) the file.
    pub fn create(path: &Path) -> Result<Recorder, CaptureError> {
        let file = File::create(path)?;
        Ok(Recorder {
            writer: CaptureWriter::pcap(BufWriter::new(file), LinkType::RawIp, false)?,
            template: Vec::with_capacity(48),
            frames: 0,
        })
    }

    /// Writes one datagram from `src` to `dst` received at `timestamp_ns` (Unix time).
    pub fn write(
        &mut self,
        timestamp_ns: u64,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
    ) -> Result<(), CaptureError> {
        empty_datagram(&mut self.template, src, dst).ok_or(CaptureError::Rewrite(
            "source and destination differ in IP version",
        ))?;
        let frame = Frame {
            index: self.frames,
            timestamp_ns,
            link_type: LinkType::RawIp,
            data: &self.template,
            original_len: self.template.len() as u32,
        };
        let datagram = frame
            .udp()
            .map_err(|_| CaptureError::Rewrite("cannot lay out the recorded datagram"))?;
        // The writer sets the lengths and computes both checksums for the real payload.
        self.writer
            .write_with_payload(&datagram, payload, UdpChecksum::Recompute)?;
        self.frames += 1;
        Ok(())
    }

    /// Datagrams written.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Flushes and closes the file.
    pub fn finish(self) -> Result<(), CaptureError> {
        self.writer.finish().map(drop)
    }
}

/// An IP header and a UDP header for an empty datagram from `src` to `dst`, in `out`.
fn empty_datagram(out: &mut Vec<u8>, src: SocketAddr, dst: SocketAddr) -> Option<()> {
    out.clear();
    match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            // Version 4, 20-byte header, 28 bytes in all, DF, TTL 64, UDP.
            out.extend_from_slice(&[0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17, 0, 0]);
            out.extend_from_slice(&s.octets());
            out.extend_from_slice(&d.octets());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            // Version 6, 8 bytes of payload, next header UDP, hop limit 64.
            out.extend_from_slice(&[0x60, 0, 0, 0, 0, 8, 17, 64]);
            out.extend_from_slice(&s.octets());
            out.extend_from_slice(&d.octets());
        }
        _ => return None,
    }
    out.extend_from_slice(&src.port().to_be_bytes());
    out.extend_from_slice(&dst.port().to_be_bytes());
    out.extend_from_slice(&[0, 8, 0, 0]);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::CaptureReader;

    #[test]
    fn recorded_datagrams_read_back_with_their_addresses_and_payloads() {
        let dir = std::env::temp_dir().join(format!("replay-record-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.pcap");
        let mut recorder = Recorder::create(&path).unwrap();
        let node: SocketAddr = "127.0.0.1:20002".parse().unwrap();
        let me: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        recorder
            .write(1_700_000_000_000_000_000, node, me, b"first")
            .unwrap();
        let node6: SocketAddr = "[::1]:20004".parse().unwrap();
        let me6: SocketAddr = "[::1]:40002".parse().unwrap();
        recorder
            .write(1_700_000_000_020_000_000, node6, me6, &[7u8; 300])
            .unwrap();
        assert!(recorder.write(0, node, me6, b"x").is_err());
        assert_eq!(recorder.frames(), 2);
        recorder.finish().unwrap();

        let mut reader = CaptureReader::new(File::open(&path).unwrap()).unwrap();
        let first = reader.next_datagram().unwrap().unwrap();
        assert_eq!(
            (first.src, first.dst, first.payload),
            (node, me, &b"first"[..])
        );
        assert_eq!(first.timestamp_ns, 1_700_000_000_000_000_000);
        let second = reader.next_datagram().unwrap().unwrap();
        assert_eq!((second.src, second.dst), (node6, me6));
        assert_eq!(second.payload, &[7u8; 300][..]);
        assert!(reader.next_datagram().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
