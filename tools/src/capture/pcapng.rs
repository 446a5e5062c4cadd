//! The parts of pcapng that `pcap-file` frames but does not interpret the way a capture
//! reader needs: per-interface link types and timestamp resolution (`if_tsresol`,
//! `if_tsoffset`) and the bodies of the three packet block kinds. `pcap-file` 2.0 turns an
//! enhanced packet block's raw timestamp into nanoseconds without looking at the
//! interface's resolution, so microsecond files (the default) would come out 1000 times
//! too early; reading the bodies here keeps timestamps right.

use super::link::LinkType;

const SECTION_HEADER_BLOCK: u32 = 0x0A0D_0D0A;
const INTERFACE_DESCRIPTION_BLOCK: u32 = 0x0000_0001;
const OBSOLETE_PACKET_BLOCK: u32 = 0x0000_0002;
const SIMPLE_PACKET_BLOCK: u32 = 0x0000_0003;
const ENHANCED_PACKET_BLOCK: u32 = 0x0000_0006;

const OPTION_END: u16 = 0;
const OPTION_IF_TSRESOL: u16 = 9;
const OPTION_IF_TSOFFSET: u16 = 14;

const NANOS_PER_SECOND: u128 = 1_000_000_000;

/// Byte order of the current section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Big,
    Little,
}

impl Order {
    fn u16_at(self, buf: &[u8], offset: usize) -> Option<u16> {
        let bytes: [u8; 2] = buf.get(offset..offset.checked_add(2)?)?.try_into().ok()?;
        Some(match self {
            Order::Big => u16::from_be_bytes(bytes),
            Order::Little => u16::from_le_bytes(bytes),
        })
    }

    fn u32_at(self, buf: &[u8], offset: usize) -> Option<u32> {
        let bytes: [u8; 4] = buf.get(offset..offset.checked_add(4)?)?.try_into().ok()?;
        Some(match self {
            Order::Big => u32::from_be_bytes(bytes),
            Order::Little => u32::from_le_bytes(bytes),
        })
    }

    fn u64_at(self, buf: &[u8], offset: usize) -> Option<u64> {
        let bytes: [u8; 8] = buf.get(offset..offset.checked_add(8)?)?.try_into().ok()?;
        Some(match self {
            Order::Big => u64::from_be_bytes(bytes),
            Order::Little => u64::from_le_bytes(bytes),
        })
    }
}

/// An interface declared in the current section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Interface {
    link_type: LinkType,
    snap_len: u32,
    /// Timestamp units per second (`if_tsresol`; microseconds when absent).
    units_per_second: u128,
    /// Seconds added to every timestamp (`if_tsoffset`).
    offset_seconds: i64,
}

/// One packet record from any of the packet block kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PacketRecord<'a> {
    pub(crate) link_type: LinkType,
    pub(crate) timestamp_ns: u64,
    pub(crate) data: &'a [u8],
    pub(crate) original_len: u32,
}

/// What a pcapng reader knows about the section it is in.
#[derive(Debug, Clone, Default)]
pub(crate) struct SectionState {
    order: Option<Order>,
    interfaces: Vec<Interface>,
}

impl SectionState {
    /// Takes in one block (type and body, without the length fields). Returns the packet
    /// it carries, `None` for blocks that carry none, or why the block is unusable.
    pub(crate) fn block<'a>(
        &mut self,
        block_type: u32,
        body: &'a [u8],
    ) -> Result<Option<PacketRecord<'a>>, &'static str> {
        match block_type {
            SECTION_HEADER_BLOCK => {
                self.order = Some(match body.get(..4) {
                    Some([0x1A, 0x2B, 0x3C, 0x4D]) => Order::Big,
                    Some([0x4D, 0x3C, 0x2B, 0x1A]) => Order::Little,
                    _ => return Err("section header with a bad byte-order magic"),
                });
                self.interfaces.clear();
                Ok(None)
            }
            INTERFACE_DESCRIPTION_BLOCK => {
                let interface = self.interface_description(body)?;
                self.interfaces.push(interface);
                Ok(None)
            }
            ENHANCED_PACKET_BLOCK => self.enhanced_packet(body).map(Some),
            OBSOLETE_PACKET_BLOCK => self.obsolete_packet(body).map(Some),
            SIMPLE_PACKET_BLOCK => self.simple_packet(body).map(Some),
            // Name resolution, statistics, decryption secrets, custom blocks.
            _ => Ok(None),
        }
    }

    fn order(&self) -> Result<Order, &'static str> {
        self.order.ok_or("block before any section header")
    }

    fn interface_description(&self, body: &[u8]) -> Result<Interface, &'static str> {
        const TRUNCATED: &str = "truncated interface description block";
        let order = self.order()?;
        let link_type = LinkType::from_code(u32::from(order.u16_at(body, 0).ok_or(TRUNCATED)?));
        let snap_len = order.u32_at(body, 4).ok_or(TRUNCATED)?;
        let mut interface = Interface {
            link_type,
            snap_len,
            units_per_second: 1_000_000,
            offset_seconds: 0,
        };
        let mut offset = 8;
        // Options run to the end of the body; opt_endofopt is optional.
        while let (Some(code), Some(len)) =
            (order.u16_at(body, offset), order.u16_at(body, offset + 2))
        {
            if code == OPTION_END {
                break;
            }
            let value_start = offset + 4;
            let value = body
                .get(value_start..value_start + usize::from(len))
                .ok_or("interface option runs past its block")?;
            match (code, value) {
                (OPTION_IF_TSRESOL, [resolution]) => {
                    interface.units_per_second = units_per_second(*resolution)
                        .ok_or("interface timestamp resolution out of range")?;
                }
                (OPTION_IF_TSOFFSET, _) => {
                    if let Some(seconds) = order.u64_at(value, 0) {
                        interface.offset_seconds = seconds as i64;
                    }
                }
                _ => {}
            }
            offset = value_start + usize::from(len).next_multiple_of(4);
        }
        Ok(interface)
    }

    fn interface(&self, id: u32) -> Result<&Interface, &'static str> {
        self.interfaces
            .get(id as usize)
            .ok_or("packet refers to an undeclared interface")
    }

    fn enhanced_packet<'a>(&self, body: &'a [u8]) -> Result<PacketRecord<'a>, &'static str> {
        const TRUNCATED: &str = "truncated enhanced packet block";
        let order = self.order()?;
        let interface = self.interface(order.u32_at(body, 0).ok_or(TRUNCATED)?)?;
        let high = order.u32_at(body, 4).ok_or(TRUNCATED)?;
        let low = order.u32_at(body, 8).ok_or(TRUNCATED)?;
        let captured = order.u32_at(body, 12).ok_or(TRUNCATED)? as usize;
        let original_len = order.u32_at(body, 16).ok_or(TRUNCATED)?;
        let data = body.get(20..20 + captured).ok_or(TRUNCATED)?;
        Ok(PacketRecord {
            link_type: interface.link_type,
            timestamp_ns: interface.nanoseconds(u64::from(high) << 32 | u64::from(low)),
            data,
            original_len,
        })
    }

    fn obsolete_packet<'a>(&self, body: &'a [u8]) -> Result<PacketRecord<'a>, &'static str> {
        const TRUNCATED: &str = "truncated packet block";
        let order = self.order()?;
        let interface = self.interface(u32::from(order.u16_at(body, 0).ok_or(TRUNCATED)?))?;
        let high = order.u32_at(body, 4).ok_or(TRUNCATED)?;
        let low = order.u32_at(body, 8).ok_or(TRUNCATED)?;
        let captured = order.u32_at(body, 12).ok_or(TRUNCATED)? as usize;
        let original_len = order.u32_at(body, 16).ok_or(TRUNCATED)?;
        let data = body.get(20..20 + captured).ok_or(TRUNCATED)?;
        Ok(PacketRecord {
            link_type: interface.link_type,
            timestamp_ns: interface.nanoseconds(u64::from(high) << 32 | u64::from(low)),
            data,
            original_len,
        })
    }

    /// A simple packet block: interface 0, no timestamp, captured length implied by the
    /// block length, the original length and the interface's snap length.
    fn simple_packet<'a>(&self, body: &'a [u8]) -> Result<PacketRecord<'a>, &'static str> {
        let order = self.order()?;
        let interface = self.interface(0)?;
        let original_len = order
            .u32_at(body, 0)
            .ok_or("truncated simple packet block")?;
        let available = body.get(4..).unwrap_or_default();
        let mut captured = available.len().min(original_len as usize);
        if interface.snap_len != 0 {
            captured = captured.min(interface.snap_len as usize);
        }
        Ok(PacketRecord {
            link_type: interface.link_type,
            timestamp_ns: 0,
            data: available.get(..captured).unwrap_or_default(),
            original_len,
        })
    }
}

impl Interface {
    /// Converts a raw timestamp in this interface's units to nanoseconds since the epoch,
    /// clamped to what a `u64` holds.
    fn nanoseconds(&self, units: u64) -> u64 {
        let ns = u128::from(units) * NANOS_PER_SECOND / self.units_per_second;
        let ns = ns as i128 + i128::from(self.offset_seconds) * NANOS_PER_SECOND as i128;
        ns.clamp(0, i128::from(u64::MAX)) as u64
    }
}

/// `if_tsresol`: a power of ten, or of two when the top bit is set.
fn units_per_second(resolution: u8) -> Option<u128> {
    let exponent = u32::from(resolution & 0x7F);
    if resolution & 0x80 == 0 {
        10u128.checked_pow(exponent)
    } else {
        2u128.checked_pow(exponent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn little_section() -> SectionState {
        let mut s = SectionState::default();
        s.block(SECTION_HEADER_BLOCK, &[0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0])
            .unwrap();
        s
    }

    fn idb(link: u16, options: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&link.to_le_bytes());
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(&65535u32.to_le_bytes());
        b.extend_from_slice(options);
        b
    }

    fn epb(interface: u32, ts: u64, data: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&interface.to_le_bytes());
        b.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        b.extend_from_slice(&(ts as u32).to_le_bytes());
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(data);
        b
    }

    #[test]
    fn default_resolution_is_microseconds() {
        let mut s = little_section();
        s.block(INTERFACE_DESCRIPTION_BLOCK, &idb(1, &[])).unwrap();
        let body = epb(0, 1_500_000, b"abc");
        let p = s.block(ENHANCED_PACKET_BLOCK, &body).unwrap().unwrap();
        assert_eq!(p.timestamp_ns, 1_500_000_000);
        assert_eq!(p.link_type, LinkType::Ethernet);
        assert_eq!(p.data, b"abc");
    }

    #[test]
    fn tsresol_and_tsoffset_are_applied() {
        let mut s = little_section();
        // if_tsresol = 9 (ns), then if_tsoffset = 10 s, then opt_endofopt.
        let mut options = vec![9, 0, 1, 0, 9, 0, 0, 0, 14, 0, 8, 0];
        options.extend_from_slice(&10u64.to_le_bytes());
        options.extend_from_slice(&[0, 0, 0, 0]);
        s.block(INTERFACE_DESCRIPTION_BLOCK, &idb(276, &options))
            .unwrap();
        // Interface 1: 2^-10 s units, no end-of-options marker.
        s.block(
            INTERFACE_DESCRIPTION_BLOCK,
            &idb(101, &[9, 0, 1, 0, 0x8A, 0, 0, 0]),
        )
        .unwrap();
        let body = epb(0, 7, b"");
        let p = s.block(ENHANCED_PACKET_BLOCK, &body).unwrap().unwrap();
        assert_eq!(p.timestamp_ns, 10_000_000_007);
        assert_eq!(p.link_type, LinkType::LinuxSll2);
        let body = epb(1, 512, b"");
        let p = s.block(ENHANCED_PACKET_BLOCK, &body).unwrap().unwrap();
        assert_eq!(p.timestamp_ns, 500_000_000);
        assert_eq!(p.link_type, LinkType::RawIp);
    }

    #[test]
    fn damaged_blocks_are_errors_not_panics() {
        let mut s = SectionState::default();
        assert!(s.block(ENHANCED_PACKET_BLOCK, &epb(0, 0, b"x")).is_err());
        let mut s = little_section();
        assert!(s.block(ENHANCED_PACKET_BLOCK, &epb(0, 0, b"x")).is_err());
        s.block(INTERFACE_DESCRIPTION_BLOCK, &idb(1, &[])).unwrap();
        let mut short = epb(0, 0, b"xyz");
        short.truncate(21);
        assert!(s.block(ENHANCED_PACKET_BLOCK, &short).is_err());
        assert!(s
            .block(
                INTERFACE_DESCRIPTION_BLOCK,
                &idb(1, &[9, 0, 1, 0, 99, 0, 0, 0])
            )
            .is_err());
        assert!(s
            .block(INTERFACE_DESCRIPTION_BLOCK, &idb(1, &[2, 0, 200, 0]))
            .is_err());
        assert!(s.block(SECTION_HEADER_BLOCK, &[1, 2]).is_err());
        // Unknown blocks are ignored.
        assert_eq!(s.block(0x0BAD, &[1, 2, 3]), Ok(None));
    }

    #[test]
    fn simple_packets_use_interface_zero() {
        let mut s = little_section();
        s.block(INTERFACE_DESCRIPTION_BLOCK, &idb(1, &[])).unwrap();
        let mut body = 3u32.to_le_bytes().to_vec();
        body.extend_from_slice(&[1, 2, 3, 0]); // padded to 4
        let p = s.block(SIMPLE_PACKET_BLOCK, &body).unwrap().unwrap();
        assert_eq!(p.data, &[1, 2, 3]);
        assert_eq!(p.original_len, 3);
    }
}
