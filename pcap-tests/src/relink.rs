//! Re-framing captured IP packets onto other link types (Linux cooked v1/v2, BSD and
//! OpenBSD loopback in either byte order, raw IP, stacked VLAN tags) and turning IPv4 into
//! IPv6 behind extension headers, so every decoder can be checked against tshark with
//! real traffic even where no capture of that link type was at hand.

use medianode_tools::capture::LinkType;

/// A link layer to put packets on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetLink {
    /// Ethernet II with this many VLAN tags (802.1ad outside, 802.1Q inside).
    Ethernet {
        /// Number of stacked tags.
        vlan_tags: usize,
    },
    /// Linux cooked capture v1.
    LinuxSll,
    /// Linux cooked capture v2.
    LinuxSll2,
    /// BSD loopback, address family little-endian (as written on x86).
    NullLittleEndian,
    /// BSD loopback, address family big-endian (as written on a big-endian host).
    NullBigEndian,
    /// OpenBSD loopback (network order).
    Loop,
    /// `LINKTYPE_RAW`.
    RawIp,
}

impl TargetLink {
    /// The link type a capture of these frames declares.
    pub fn link_type(self) -> LinkType {
        match self {
            TargetLink::Ethernet { .. } => LinkType::Ethernet,
            TargetLink::LinuxSll => LinkType::LinuxSll,
            TargetLink::LinuxSll2 => LinkType::LinuxSll2,
            TargetLink::NullLittleEndian | TargetLink::NullBigEndian => LinkType::Null,
            TargetLink::Loop => LinkType::Loop,
            TargetLink::RawIp => LinkType::RawIp,
        }
    }
}

/// Puts `ip_packet` behind the link header of `target`.
pub fn reframe(ip_packet: &[u8], target: TargetLink) -> Vec<u8> {
    let ipv6 = ip_packet.first().map(|b| b >> 4) == Some(6);
    let ethertype: u16 = if ipv6 { 0x86DD } else { 0x0800 };
    // FreeBSD's AF_INET6; AF_INET is 2 everywhere.
    let family: u32 = if ipv6 { 28 } else { 2 };
    let mac = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
    let mut frame = Vec::with_capacity(ip_packet.len() + 32);
    match target {
        TargetLink::Ethernet { vlan_tags } => {
            frame.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x02]);
            frame.extend_from_slice(&mac);
            for i in 0..vlan_tags {
                let tpid: u16 = if i + 1 < vlan_tags { 0x88A8 } else { 0x8100 };
                frame.extend_from_slice(&tpid.to_be_bytes());
                frame.extend_from_slice(&(100 + i as u16).to_be_bytes());
            }
            frame.extend_from_slice(&ethertype.to_be_bytes());
        }
        TargetLink::LinuxSll => {
            frame.extend_from_slice(&[0, 0, 0, 1, 0, 6]);
            frame.extend_from_slice(&mac);
            frame.extend_from_slice(&[0, 0]);
            frame.extend_from_slice(&ethertype.to_be_bytes());
        }
        TargetLink::LinuxSll2 => {
            frame.extend_from_slice(&ethertype.to_be_bytes());
            frame.extend_from_slice(&[0, 0, 0, 0, 0, 3, 0, 1, 0, 6]);
            frame.extend_from_slice(&mac);
            frame.extend_from_slice(&[0, 0]);
        }
        TargetLink::NullLittleEndian => frame.extend_from_slice(&family.to_le_bytes()),
        TargetLink::NullBigEndian | TargetLink::Loop => {
            frame.extend_from_slice(&family.to_be_bytes())
        }
        TargetLink::RawIp => {}
    }
    frame.extend_from_slice(ip_packet);
    frame
}

/// Rewrites an IPv4/UDP packet as IPv6/UDP with a hop-by-hop and a destination-options
/// header before UDP, addresses mapped into 2001:db8::/96, and the UDP checksum recomputed.
/// `None` for anything but a plain IPv4 UDP packet.
pub fn ipv4_to_ipv6_with_extensions(ipv4: &[u8]) -> Option<Vec<u8>> {
    let header_len = usize::from(ipv4.first()? & 0x0F) * 4;
    if ipv4.first()? >> 4 != 4 || *ipv4.get(9)? != 17 {
        return None;
    }
    let total = usize::from(u16::from_be_bytes([*ipv4.get(2)?, *ipv4.get(3)?]));
    let mut udp = ipv4.get(header_len..total)?.to_vec();
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    src[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    dst[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    src[12..].copy_from_slice(ipv4.get(12..16)?);
    dst[12..].copy_from_slice(ipv4.get(16..20)?);
    // Hop-by-hop (next: destination options), PadN to 8 bytes; destination options
    // (next: UDP), PadN to 8 bytes.
    let extensions = [60u8, 0, 1, 4, 0, 0, 0, 0, 17, 0, 1, 4, 0, 0, 0, 0];
    udp.get_mut(6..8)?.copy_from_slice(&[0, 0]);
    let checksum = udp_checksum_v6(&src, &dst, &udp);
    udp.get_mut(6..8)?.copy_from_slice(&checksum.to_be_bytes());
    let payload_len = u16::try_from(extensions.len() + udp.len()).ok()?;
    let mut packet = vec![0x60, 0, 0, 0];
    packet.extend_from_slice(&payload_len.to_be_bytes());
    packet.push(0); // hop-by-hop first
    packet.push(64);
    packet.extend_from_slice(&src);
    packet.extend_from_slice(&dst);
    packet.extend_from_slice(&extensions);
    packet.extend_from_slice(&udp);
    Some(packet)
}

fn udp_checksum_v6(src: &[u8; 16], dst: &[u8; 16], udp: &[u8]) -> u16 {
    let mut sum: u64 = 0;
    let mut add = |bytes: &[u8]| {
        for pair in bytes.chunks(2) {
            let word = u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]);
            sum += u64::from(word);
        }
    };
    add(src);
    add(dst);
    add(&(udp.len() as u32).to_be_bytes());
    add(&[0, 0, 0, 17]);
    add(udp);
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    match !(sum as u16) {
        0 => 0xFFFF,
        c => c,
    }
}
