//! Helpers shared by the SRTP integration tests: building RTP/RTCP packets, buffers with
//! headroom, and reading the UDP payloads of a classic Ethernet/IPv4 pcap.

#![allow(dead_code)]

use medianode_dataplane::srtp::{MasterKey, PacketBuf, SrtpSession, SrtpSuite, MAX_OVERHEAD};

/// An RTP packet: version 2, payload type 0, given sequence number, SSRC and payload.
pub fn rtp(seq: u16, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, 0x00];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// An RTCP receiver report from `ssrc` with one report block of `fill` bytes.
pub fn rtcp(ssrc: u32, fill: u8) -> Vec<u8> {
    let mut p = vec![0x81, 201, 0, 7];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&[fill; 24]);
    p
}

/// A master key for `suite` made of `seed`-derived bytes.
pub fn key(suite: SrtpSuite, seed: u8) -> MasterKey {
    let material: Vec<u8> = (0..suite.key_salt_len())
        .map(|i| seed.wrapping_mul(31).wrapping_add(i as u8))
        .collect();
    MasterKey::from_key_salt(suite, &material).unwrap()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Rtp,
    Rtcp,
}

/// Storage holding `packet` with MAX_OVERHEAD spare bytes.
pub fn storage(packet: &[u8]) -> Vec<u8> {
    let mut s = packet.to_vec();
    s.resize(packet.len() + MAX_OVERHEAD, 0);
    s
}

pub fn protect(session: &mut SrtpSession, kind: Kind, packet: &[u8]) -> Vec<u8> {
    let mut s = storage(packet);
    let mut buf = PacketBuf::new(&mut s, packet.len());
    let len = match kind {
        Kind::Rtp => session.protect(&mut buf),
        Kind::Rtcp => session.protect_rtcp(&mut buf),
    }
    .expect("protect");
    s.truncate(len);
    s
}

pub fn unprotect(
    session: &mut SrtpSession,
    kind: Kind,
    packet: &[u8],
) -> Result<Vec<u8>, medianode_dataplane::srtp::SrtpError> {
    let mut s = packet.to_vec();
    let mut buf = PacketBuf::new(&mut s, packet.len());
    let len = match kind {
        Kind::Rtp => session.unprotect(&mut buf),
        Kind::Rtcp => session.unprotect_rtcp(&mut buf),
    }?;
    s.truncate(len);
    Ok(s)
}

/// UDP payloads of every frame of a classic pcap with Ethernet and IPv4 (the fixtures'
/// format). Panics on anything else: the fixture is known.
pub fn udp_payloads(pcap: &[u8]) -> Vec<Vec<u8>> {
    assert_eq!(
        &pcap[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "little-endian classic pcap"
    );
    assert_eq!(
        u32::from_le_bytes(pcap[20..24].try_into().unwrap()),
        1,
        "Ethernet"
    );
    let mut at = 24;
    let mut out = Vec::new();
    while at + 16 <= pcap.len() {
        let caplen = u32::from_le_bytes(pcap[at + 8..at + 12].try_into().unwrap()) as usize;
        let frame = &pcap[at + 16..at + 16 + caplen];
        at += 16 + caplen;
        assert_eq!(&frame[12..14], &[0x08, 0x00], "IPv4");
        let ip = &frame[14..];
        assert_eq!(ip[9], 17, "UDP");
        let ihl = usize::from(ip[0] & 0x0F) * 4;
        let udp = &ip[ihl..];
        let udp_len = usize::from(u16::from_be_bytes([udp[4], udp[5]]));
        out.push(udp[8..udp_len].to_vec());
    }
    out
}
