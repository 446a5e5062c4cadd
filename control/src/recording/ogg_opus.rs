//! An Ogg Opus stream (RFC 7845 on RFC 3533) built page by page: the identification and
//! comment headers, then audio pages of whole Opus packets. Written here rather than taken
//! from a crate because the recorder needs only this one shape: mono, 48 kHz, one logical
//! stream, packets never split across pages.

/// Samples the decoder drops at the start: the libopus encoder's look-ahead at 48 kHz.
const PRE_SKIP: u16 = 312;
/// Most lacing values on one page.
const MAX_SEGMENTS: usize = 255;
/// Audio packets gathered on one page (half a second of 20 ms frames).
const PACKETS_PER_PAGE: usize = 25;

/// Page header flags (RFC 3533 sec. 6).
const BEGINNING_OF_STREAM: u8 = 0x02;
const END_OF_STREAM: u8 = 0x04;

/// One logical Ogg Opus stream being written.
#[derive(Debug)]
pub(crate) struct OggOpusStream {
    serial: u32,
    sequence: u32,
    /// Samples (48 kHz) in every packet already on a page.
    granule: u64,
    /// Packets not yet on a page, with their samples.
    pending: Vec<(Vec<u8>, u32)>,
}

impl OggOpusStream {
    pub(crate) fn new(serial: u32) -> OggOpusStream {
        OggOpusStream {
            serial,
            sequence: 0,
            granule: 0,
            pending: Vec::new(),
        }
    }

    /// The two header pages: `OpusHead` (beginning of stream) and `OpusTags`.
    pub(crate) fn headers(&mut self) -> Vec<u8> {
        let mut head = Vec::with_capacity(19);
        head.extend_from_slice(b"OpusHead");
        head.push(1); // version
        head.push(1); // channels
        head.extend_from_slice(&PRE_SKIP.to_le_bytes());
        head.extend_from_slice(&48_000u32.to_le_bytes());
        head.extend_from_slice(&0i16.to_le_bytes()); // output gain
        head.push(0); // mapping family: mono/stereo
        let vendor = b"medianode";
        let mut tags = Vec::with_capacity(16 + vendor.len());
        tags.extend_from_slice(b"OpusTags");
        tags.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
        tags.extend_from_slice(vendor);
        tags.extend_from_slice(&0u32.to_le_bytes()); // no user comments
        let mut out = self.page(BEGINNING_OF_STREAM, 0, &[&head]);
        out.extend(self.page(0, 0, &[&tags]));
        out
    }

    /// Adds one Opus packet of `samples` (48 kHz); returns a page when one is full. The
    /// last packet is always held back so that [`Self::finish`] has one to end on.
    pub(crate) fn push(&mut self, packet: &[u8], samples: u32) -> Option<Vec<u8>> {
        let page = if self.pending.len() > PACKETS_PER_PAGE
            || segments(&self.pending) + segments_of(packet.len()) > MAX_SEGMENTS
        {
            self.flush_all_but_last()
        } else {
            None
        };
        self.pending.push((packet.to_vec(), samples));
        page
    }

    /// The last page, marked end of stream.
    pub(crate) fn finish(&mut self) -> Vec<u8> {
        let packets = std::mem::take(&mut self.pending);
        self.page_of(END_OF_STREAM, &packets)
    }

    fn flush_all_but_last(&mut self) -> Option<Vec<u8>> {
        let last = self.pending.pop()?;
        let packets = std::mem::replace(&mut self.pending, vec![last]);
        if packets.is_empty() {
            return None;
        }
        Some(self.page_of(0, &packets))
    }

    /// A page of `packets`, whose granule position counts their samples in.
    fn page_of(&mut self, flags: u8, packets: &[(Vec<u8>, u32)]) -> Vec<u8> {
        self.granule += packets.iter().map(|(_, n)| u64::from(*n)).sum::<u64>();
        let refs: Vec<&[u8]> = packets.iter().map(|(p, _)| p.as_slice()).collect();
        self.page(flags, self.granule, &refs)
    }

    /// One page holding `packets` whole.
    fn page(&mut self, flags: u8, granule: u64, packets: &[&[u8]]) -> Vec<u8> {
        let mut lacing = Vec::with_capacity(MAX_SEGMENTS);
        for packet in packets {
            lacing.extend(std::iter::repeat_n(255u8, packet.len() / 255));
            lacing.push((packet.len() % 255) as u8);
        }
        let body: usize = packets.iter().map(|p| p.len()).sum();
        let mut page = Vec::with_capacity(27 + lacing.len() + body);
        page.extend_from_slice(b"OggS");
        page.push(0); // version
        page.push(flags);
        page.extend_from_slice(&granule.to_le_bytes());
        page.extend_from_slice(&self.serial.to_le_bytes());
        page.extend_from_slice(&self.sequence.to_le_bytes());
        page.extend_from_slice(&0u32.to_le_bytes()); // checksum, filled below
        page.push(lacing.len() as u8);
        page.extend_from_slice(&lacing);
        for packet in packets {
            page.extend_from_slice(packet);
        }
        let crc = crc32(&page);
        page[22..26].copy_from_slice(&crc.to_le_bytes());
        self.sequence += 1;
        page
    }
}

fn segments_of(len: usize) -> usize {
    len / 255 + 1
}

fn segments(packets: &[(Vec<u8>, u32)]) -> usize {
    packets.iter().map(|(p, _)| segments_of(p.len())).sum()
}

/// The Ogg checksum: CRC-32 with polynomial 0x04c11db7, no reflection, zero initial value
/// and no final XOR (RFC 3533 sec. 6).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &byte in bytes {
        crc ^= u32::from(byte) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04c1_1db7
            } else {
                crc << 1
            };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checksum_matches_the_ogg_reference_value() {
        // The CRC of "OggS" and of a page with its checksum field zeroed, as libogg computes.
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0x89a1_897f);
    }

    #[test]
    fn pages_hold_whole_packets_and_granules_count_samples() {
        let mut stream = OggOpusStream::new(7);
        let headers = stream.headers();
        assert_eq!(&headers[..4], b"OggS");
        assert_eq!(headers[5], BEGINNING_OF_STREAM);
        let mut pages = Vec::new();
        for i in 0..60u8 {
            if let Some(page) = stream.push(&[i; 100], 960) {
                pages.push(page);
            }
        }
        pages.push(stream.finish());
        let granules: Vec<u64> = pages
            .iter()
            .map(|p| u64::from_le_bytes(p[6..14].try_into().unwrap()))
            .collect();
        assert_eq!(granules.last(), Some(&(60 * 960)));
        assert!(granules.windows(2).all(|w| w[0] < w[1]), "{granules:?}");
        assert_eq!(pages.last().unwrap()[5], END_OF_STREAM);
        let packets: usize = pages.iter().map(|p| usize::from(p[26])).sum();
        assert_eq!(packets, 60, "one lacing value per 100-byte packet");
    }
}
