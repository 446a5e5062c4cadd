//! The conversion behind `srtp-pcap`: every RTP and RTCP datagram of a capture protected
//! or unprotected with one SDES key, every other frame copied unchanged, timestamps and
//! addresses kept, UDP lengths and checksums fixed by the capture writer.

use std::fmt;
use std::io::{Read, Write};

use medianode_dataplane::demux::{classify, PacketKind};
use medianode_dataplane::srtp::{
    PacketBuf, SdesKey, SrtpError, SrtpPolicy, SrtpSession, MAX_OVERHEAD,
};
use medianode_tools::capture::{CaptureError, CaptureReader, CaptureWriter, UdpChecksum};

/// Which way to convert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// SRTP/SRTCP in, RTP/RTCP out.
    Decrypt,
    /// RTP/RTCP in, SRTP/SRTCP out.
    Encrypt,
}

/// What to convert and how to react to a packet that fails.
#[derive(Debug)]
pub struct Options {
    /// Direction of the conversion.
    pub mode: Mode,
    /// Suite, master key and salt (and MKI, lifetime) as SDES gives them.
    pub key: SdesKey,
    /// Only datagrams whose SSRC is this one are converted; others are copied.
    pub ssrc: Option<u32>,
    /// Copy failed packets unchanged and continue, instead of stopping at the first.
    pub keep_going: bool,
}

/// Packet counts of one conversion.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// RTP and RTCP datagrams selected for conversion.
    pub packets: u64,
    /// Converted.
    pub ok: u64,
    /// Refused by authentication (decrypt) or by the MKI check.
    pub auth_failed: u64,
    /// Refused as a replay or as older than the replay window (or, encrypting, an index
    /// the capture repeats).
    pub replayed: u64,
    /// Refused for anything else (malformed header, too short, key exhausted...).
    pub other_failed: u64,
}

impl Summary {
    /// Packets that were not converted.
    pub fn failed(&self) -> u64 {
        self.auth_failed + self.replayed + self.other_failed
    }

    fn count(&mut self, result: Result<usize, SrtpError>) {
        self.packets += 1;
        match result {
            Ok(_) => self.ok += 1,
            Err(SrtpError::AuthenticationFailed | SrtpError::MkiMismatch) => self.auth_failed += 1,
            Err(SrtpError::Replayed | SrtpError::TooOld) => self.replayed += 1,
            Err(_) => self.other_failed += 1,
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "packets={} ok={} auth_failed={} replayed={} other_failed={}",
            self.packets, self.ok, self.auth_failed, self.replayed, self.other_failed
        )
    }
}

/// The first packet that failed, when not keeping going.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Frame number as Wireshark shows it (from 1).
    pub frame_number: u64,
    /// Why it failed.
    pub error: SrtpError,
}

/// Result of a conversion that read and wrote the capture without I/O errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Counts.
    pub summary: Summary,
    /// Where it stopped, if it stopped at a failed packet.
    pub stopped_at: Option<Failure>,
}

fn ssrc_of(payload: &[u8], kind: PacketKind) -> Option<u32> {
    let at = if kind == PacketKind::Rtp { 8 } else { 4 };
    Some(u32::from_be_bytes(
        payload.get(at..at + 4)?.try_into().ok()?,
    ))
}

/// Converts the capture read from `input` into `output` (same container format).
pub fn convert<R: Read, W: Write>(
    input: R,
    output: W,
    options: &Options,
) -> Result<Outcome, CaptureError> {
    let policy = SrtpPolicy::new(options.key.master_key.clone());
    let mut session = match options.mode {
        Mode::Decrypt => SrtpSession::receiver(policy),
        Mode::Encrypt => SrtpSession::sender(policy),
    };
    let mut reader = CaptureReader::new(input)?;
    let mut writer = CaptureWriter::like(output, reader.format())?;
    let mut summary = Summary::default();
    let mut buffer = Vec::with_capacity(65_536 + MAX_OVERHEAD);
    let mut stopped_at = None;

    while let Some(frame) = reader.next_frame() {
        let frame = frame?;
        let Ok(datagram) = frame.udp() else {
            writer.write_frame(&frame)?;
            continue;
        };
        let kind = classify(datagram.payload);
        let selected = kind != PacketKind::Other
            && options
                .ssrc
                .is_none_or(|want| ssrc_of(datagram.payload, kind) == Some(want));
        if !selected {
            writer.write_frame(&frame)?;
            continue;
        }
        buffer.clear();
        buffer.extend_from_slice(datagram.payload);
        buffer.resize(datagram.payload.len() + MAX_OVERHEAD, 0);
        let mut packet = PacketBuf::new(&mut buffer, datagram.payload.len());
        let result = match (options.mode, kind) {
            (Mode::Decrypt, PacketKind::Rtcp) => session.unprotect_rtcp(&mut packet),
            (Mode::Decrypt, _) => session.unprotect(&mut packet),
            (Mode::Encrypt, PacketKind::Rtcp) => session.protect_rtcp(&mut packet),
            (Mode::Encrypt, _) => session.protect(&mut packet),
        };
        summary.count(result);
        match result {
            Ok(len) => {
                writer.write_with_payload(&datagram, &buffer[..len], UdpChecksum::Recompute)?
            }
            Err(error) => {
                writer.write_frame(&frame)?;
                if !options.keep_going {
                    stopped_at = Some(Failure {
                        frame_number: frame.index + 1,
                        error,
                    });
                    break;
                }
            }
        }
    }
    writer.finish()?;
    Ok(Outcome {
        summary,
        stopped_at,
    })
}
