//! Building compound RTCP datagrams into a caller's buffer: SR, RR, SDES and BYE, appended
//! one after the other, with every length field filled in.

use super::{
    ReportBlock, RtcpError, SdesItem, SenderInfo, COMMON_HEADER_LEN, PT_BYE, PT_RR, PT_SDES, PT_SR,
    REPORT_BLOCK_LEN, RTCP_VERSION, SENDER_INFO_LEN,
};

/// Most report blocks, chunks or sources one packet's 5-bit count field can announce.
const MAX_COUNT: usize = 31;

/// Appends RTCP packets to a caller's buffer to form one compound datagram.
///
/// Each method either appends a complete packet or, on error, leaves the buffer's used part
/// as it was. RFC 3550 wants a compound to start with an SR or RR and to carry an SDES
/// CNAME; the builder leaves that order to the caller and [`super::validate_compound`]
/// checks it.
#[derive(Debug)]
pub struct CompoundBuilder<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> CompoundBuilder<'a> {
    /// Starts an empty compound in `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Ends the compound and returns its length; the datagram is `buf[..len]`.
    pub fn finish(self) -> usize {
        self.len
    }

    /// Reserves a packet of `body_len` bytes (a multiple of 4), writes its common header and
    /// returns its body for the caller to fill.
    fn packet(
        &mut self,
        count: usize,
        packet_type: u8,
        body_len: usize,
    ) -> Result<&mut [u8], RtcpError> {
        if count > MAX_COUNT {
            return Err(RtcpError::TooManyEntries);
        }
        let total = COMMON_HEADER_LEN + body_len;
        let end = self.len + total;
        let words = u16::try_from(total / 4 - 1).map_err(|_| RtcpError::PacketTooLong)?;
        let out = self
            .buf
            .get_mut(self.len..end)
            .ok_or(RtcpError::BufferTooSmall(end))?;
        out[0] = (RTCP_VERSION << 6) | count as u8;
        out[1] = packet_type;
        out[2..4].copy_from_slice(&words.to_be_bytes());
        self.len = end;
        Ok(&mut out[COMMON_HEADER_LEN..])
    }

    /// Appends a sender report.
    pub fn sender_report(
        &mut self,
        ssrc: u32,
        info: &SenderInfo,
        blocks: &[ReportBlock],
    ) -> Result<(), RtcpError> {
        let body_len = 4 + SENDER_INFO_LEN + REPORT_BLOCK_LEN * blocks.len();
        let body = self.packet(blocks.len(), PT_SR, body_len)?;
        let (ssrc_bytes, rest) = body.split_at_mut(4);
        ssrc_bytes.copy_from_slice(&ssrc.to_be_bytes());
        let (info_bytes, rest) = rest.split_at_mut(SENDER_INFO_LEN);
        if let Ok(info_bytes) = <&mut [u8; SENDER_INFO_LEN]>::try_from(info_bytes) {
            info.emit(info_bytes);
        }
        write_blocks(rest, blocks);
        Ok(())
    }

    /// Appends a receiver report.
    pub fn receiver_report(&mut self, ssrc: u32, blocks: &[ReportBlock]) -> Result<(), RtcpError> {
        let body = self.packet(blocks.len(), PT_RR, 4 + REPORT_BLOCK_LEN * blocks.len())?;
        let (ssrc_bytes, rest) = body.split_at_mut(4);
        ssrc_bytes.copy_from_slice(&ssrc.to_be_bytes());
        write_blocks(rest, blocks);
        Ok(())
    }

    /// Appends an SDES packet with one chunk per `(ssrc, items)` pair.
    pub fn sdes(&mut self, chunks: &[(u32, &[SdesItem<'_>])]) -> Result<(), RtcpError> {
        let mut body_len = 0;
        for (_, items) in chunks {
            let mut chunk = 4;
            for item in *items {
                if item.text.len() > 255 {
                    return Err(RtcpError::TextTooLong);
                }
                chunk += 2 + item.text.len();
            }
            body_len += (chunk + 1).next_multiple_of(4);
        }
        let body = self.packet(chunks.len(), PT_SDES, body_len)?;
        body.fill(0);
        let mut at = 0;
        for (ssrc, items) in chunks {
            let start = at;
            body[at..at + 4].copy_from_slice(&ssrc.to_be_bytes());
            at += 4;
            for item in *items {
                body[at] = item.kind;
                body[at + 1] = item.text.len() as u8;
                body[at + 2..at + 2 + item.text.len()].copy_from_slice(item.text);
                at += 2 + item.text.len();
            }
            // The zeroed bytes already hold the null octet and the padding.
            at = start + (at - start + 1).next_multiple_of(4);
        }
        Ok(())
    }

    /// Appends an SDES packet carrying one CNAME for `ssrc`.
    pub fn sdes_cname(&mut self, ssrc: u32, cname: &[u8]) -> Result<(), RtcpError> {
        let items = [SdesItem {
            kind: SdesItem::CNAME,
            text: cname,
        }];
        self.sdes(&[(ssrc, &items)])
    }

    /// Appends a BYE for `ssrcs`, with an optional reason.
    pub fn bye(&mut self, ssrcs: &[u32], reason: Option<&[u8]>) -> Result<(), RtcpError> {
        let reason_len = match reason {
            Some(text) if text.len() > 255 => return Err(RtcpError::TextTooLong),
            Some(text) => (1 + text.len()).next_multiple_of(4),
            None => 0,
        };
        let body = self.packet(ssrcs.len(), PT_BYE, 4 * ssrcs.len() + reason_len)?;
        let (ssrc_bytes, rest) = body.split_at_mut(4 * ssrcs.len());
        for (out, ssrc) in ssrc_bytes.chunks_exact_mut(4).zip(ssrcs) {
            out.copy_from_slice(&ssrc.to_be_bytes());
        }
        if let Some(text) = reason {
            rest.fill(0);
            rest[0] = text.len() as u8;
            rest[1..1 + text.len()].copy_from_slice(text);
        }
        Ok(())
    }
}

fn write_blocks(out: &mut [u8], blocks: &[ReportBlock]) {
    for (chunk, block) in out.chunks_exact_mut(REPORT_BLOCK_LEN).zip(blocks) {
        if let Ok(chunk) = <&mut [u8; REPORT_BLOCK_LEN]>::try_from(chunk) {
            block.emit(chunk);
        }
    }
}
