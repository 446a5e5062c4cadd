//! Sender and receiver reports (RFC 3550 sec. 6.4.1, 6.4.2): the reception statistics each
//! participant sends, and the sender info that lets receivers compute round-trip time.

use super::{RtcpError, RtcpPacket, PT_RR, PT_SR};
use crate::be::u32_at;

/// Length of one report block.
pub const REPORT_BLOCK_LEN: usize = 24;
/// Length of the sender info section of an SR.
pub const SENDER_INFO_LEN: usize = 20;

/// Largest and smallest cumulative loss a report block's signed 24-bit field holds.
const CUMULATIVE_LOST_MAX: i32 = 0x7f_ffff;
const CUMULATIVE_LOST_MIN: i32 = -0x80_0000;

/// The sender info of an SR.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SenderInfo {
    /// 64-bit NTP timestamp (seconds since 1900 in the high word, fraction in the low).
    pub ntp_timestamp: u64,
    /// The same instant on the RTP media clock.
    pub rtp_timestamp: u32,
    /// Packets sent since the start of transmission (wraps).
    pub packet_count: u32,
    /// Payload octets sent since the start of transmission (wraps).
    pub octet_count: u32,
}

impl SenderInfo {
    /// Reads the 20-byte sender info.
    pub fn parse(bytes: &[u8; SENDER_INFO_LEN]) -> Self {
        Self {
            ntp_timestamp: (u64::from(u32_at(bytes, 0)) << 32) | u64::from(u32_at(bytes, 4)),
            rtp_timestamp: u32_at(bytes, 8),
            packet_count: u32_at(bytes, 12),
            octet_count: u32_at(bytes, 16),
        }
    }

    /// Writes the 20-byte sender info.
    pub fn emit(&self, out: &mut [u8; SENDER_INFO_LEN]) {
        out[0..8].copy_from_slice(&self.ntp_timestamp.to_be_bytes());
        out[8..12].copy_from_slice(&self.rtp_timestamp.to_be_bytes());
        out[12..16].copy_from_slice(&self.packet_count.to_be_bytes());
        out[16..20].copy_from_slice(&self.octet_count.to_be_bytes());
    }
}

/// One reception report block about one source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ReportBlock {
    /// The source this block reports on.
    pub ssrc: u32,
    /// Fraction of packets lost since the last report, in 1/256ths.
    pub fraction_lost: u8,
    /// Cumulative packets lost (expected minus received; negative with duplicates). The wire
    /// field is 24-bit signed: [`ReportBlock::emit`] clamps to -8388608..=8388607.
    pub cumulative_lost: i32,
    /// Extended highest sequence number received (cycles in the high 16 bits).
    pub extended_highest_sequence: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the NTP timestamp of the last SR from this source (LSR).
    pub last_sr: u32,
    /// Delay since that SR was received, in 1/65536 s (DLSR).
    pub delay_since_last_sr: u32,
}

impl ReportBlock {
    /// Reads one 24-byte report block.
    pub fn parse(bytes: &[u8; REPORT_BLOCK_LEN]) -> Self {
        Self {
            ssrc: u32_at(bytes, 0),
            fraction_lost: bytes[4],
            cumulative_lost: i32::from_be_bytes([bytes[5], bytes[6], bytes[7], 0]) >> 8,
            extended_highest_sequence: u32_at(bytes, 8),
            jitter: u32_at(bytes, 12),
            last_sr: u32_at(bytes, 16),
            delay_since_last_sr: u32_at(bytes, 20),
        }
    }

    /// Writes one 24-byte report block, clamping the cumulative loss to 24 bits.
    pub fn emit(&self, out: &mut [u8; REPORT_BLOCK_LEN]) {
        let lost = self
            .cumulative_lost
            .clamp(CUMULATIVE_LOST_MIN, CUMULATIVE_LOST_MAX)
            .to_be_bytes();
        out[0..4].copy_from_slice(&self.ssrc.to_be_bytes());
        out[4] = self.fraction_lost;
        out[5..8].copy_from_slice(&lost[1..]);
        out[8..12].copy_from_slice(&self.extended_highest_sequence.to_be_bytes());
        out[12..16].copy_from_slice(&self.jitter.to_be_bytes());
        out[16..20].copy_from_slice(&self.last_sr.to_be_bytes());
        out[20..24].copy_from_slice(&self.delay_since_last_sr.to_be_bytes());
    }
}

/// Iterator over the report blocks of an SR or RR.
#[derive(Debug, Clone)]
pub struct ReportBlocks<'a> {
    bytes: &'a [u8],
}

impl Iterator for ReportBlocks<'_> {
    type Item = ReportBlock;

    fn next(&mut self) -> Option<ReportBlock> {
        let (block, rest) = self.bytes.split_first_chunk::<REPORT_BLOCK_LEN>()?;
        self.bytes = rest;
        Some(ReportBlock::parse(block))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.bytes.len() / REPORT_BLOCK_LEN;
        (n, Some(n))
    }
}

impl ExactSizeIterator for ReportBlocks<'_> {}

/// Splits a report body at `fixed` (SSRC plus sender info, if any) into report blocks and
/// the profile-specific extension after them; `None` when the count does not fit.
fn split_blocks(body: &[u8], fixed: usize, count: u8) -> Option<(&[u8], &[u8])> {
    let blocks_end = fixed + REPORT_BLOCK_LEN * usize::from(count);
    let blocks = body.get(fixed..blocks_end)?;
    Some((blocks, &body[blocks_end..]))
}

/// A checked view over a sender report (packet type 200).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderReport<T: AsRef<[u8]>> {
    packet: RtcpPacket<T>,
}

impl<T: AsRef<[u8]>> SenderReport<T> {
    /// Checks `buffer` as one SR: common header, type 200, and room for the SSRC, sender
    /// info and every announced report block.
    pub fn new_checked(buffer: T) -> Result<Self, RtcpError> {
        Self::from_packet(RtcpPacket::new_checked(buffer)?)
    }

    /// Checks an already framed packet as an SR.
    pub fn from_packet(packet: RtcpPacket<T>) -> Result<Self, RtcpError> {
        if packet.packet_type() != PT_SR {
            return Err(RtcpError::WrongPacketType(packet.packet_type()));
        }
        if packet.body().len() < 4 + SENDER_INFO_LEN {
            return Err(RtcpError::TooShort);
        }
        split_blocks(packet.body(), 4 + SENDER_INFO_LEN, packet.count())
            .ok_or(RtcpError::BadCount)?;
        Ok(Self { packet })
    }

    /// The framed packet underneath.
    pub fn packet(&self) -> &RtcpPacket<T> {
        &self.packet
    }

    /// The sender's SSRC.
    pub fn ssrc(&self) -> u32 {
        u32_at(self.packet.body(), 0)
    }

    /// The sender info.
    pub fn sender_info(&self) -> SenderInfo {
        let mut info = [0u8; SENDER_INFO_LEN];
        info.copy_from_slice(&self.packet.body()[4..4 + SENDER_INFO_LEN]);
        SenderInfo::parse(&info)
    }

    /// Number of report blocks.
    pub fn report_count(&self) -> u8 {
        self.packet.count()
    }

    /// The report blocks.
    pub fn report_blocks(&self) -> ReportBlocks<'_> {
        let (bytes, _) = self.split();
        ReportBlocks { bytes }
    }

    /// Profile-specific extension bytes after the report blocks (usually empty).
    pub fn profile_extension(&self) -> &[u8] {
        self.split().1
    }

    fn split(&self) -> (&[u8], &[u8]) {
        split_blocks(self.packet.body(), 4 + SENDER_INFO_LEN, self.packet.count())
            .unwrap_or_default()
    }
}

/// A checked view over a receiver report (packet type 201).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiverReport<T: AsRef<[u8]>> {
    packet: RtcpPacket<T>,
}

impl<T: AsRef<[u8]>> ReceiverReport<T> {
    /// Checks `buffer` as one RR: common header, type 201, and room for the SSRC and every
    /// announced report block.
    pub fn new_checked(buffer: T) -> Result<Self, RtcpError> {
        Self::from_packet(RtcpPacket::new_checked(buffer)?)
    }

    /// Checks an already framed packet as an RR.
    pub fn from_packet(packet: RtcpPacket<T>) -> Result<Self, RtcpError> {
        if packet.packet_type() != PT_RR {
            return Err(RtcpError::WrongPacketType(packet.packet_type()));
        }
        if packet.body().len() < 4 {
            return Err(RtcpError::TooShort);
        }
        split_blocks(packet.body(), 4, packet.count()).ok_or(RtcpError::BadCount)?;
        Ok(Self { packet })
    }

    /// The framed packet underneath.
    pub fn packet(&self) -> &RtcpPacket<T> {
        &self.packet
    }

    /// The reporter's SSRC.
    pub fn ssrc(&self) -> u32 {
        u32_at(self.packet.body(), 0)
    }

    /// Number of report blocks.
    pub fn report_count(&self) -> u8 {
        self.packet.count()
    }

    /// The report blocks.
    pub fn report_blocks(&self) -> ReportBlocks<'_> {
        let (bytes, _) = self.split();
        ReportBlocks { bytes }
    }

    /// Profile-specific extension bytes after the report blocks (usually empty).
    pub fn profile_extension(&self) -> &[u8] {
        self.split().1
    }

    fn split(&self) -> (&[u8], &[u8]) {
        split_blocks(self.packet.body(), 4, self.packet.count()).unwrap_or_default()
    }
}
