//! Test-only bridge to Wireshark's dissectors: datagrams the crate builds are wrapped in
//! IPv4/UDP, written to a pcap and read back through `tshark`, so builders are judged by an
//! independent parser and not only by our own. Tests using it fail when tshark is missing.

use std::io::Write;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The UDP port the datagrams are sent to; tshark is told to decode it as the protocol.
const PORT: u16 = 5004;
/// pcap link type for bare IPv4 packets.
const LINKTYPE_IPV4: u32 = 228;

fn ipv4_udp(payload: &[u8]) -> Vec<u8> {
    let total = 20 + 8 + payload.len();
    let mut p = Vec::with_capacity(total);
    p.extend_from_slice(&[
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0,
        0,
        0x40,
        0,
        64,
        17,
    ]);
    p.extend_from_slice(&[0, 0, 127, 0, 0, 1, 127, 0, 0, 1]);
    let sum = p
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum::<u32>();
    let folded = !(((sum & 0xffff) + (sum >> 16)) as u16);
    p[10..12].copy_from_slice(&folded.to_be_bytes());
    let udp_len = (8 + payload.len()) as u16;
    p.extend_from_slice(&PORT.to_be_bytes());
    p.extend_from_slice(&PORT.to_be_bytes());
    p.extend_from_slice(&udp_len.to_be_bytes());
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(payload);
    p
}

/// Dissects each datagram as `protocol` ("rtp" or "rtcp") and returns, per datagram, the
/// values of `fields` (tshark joins repeated occurrences with ','). Panics, failing the
/// test, when tshark cannot be run.
pub(crate) fn dissect(datagrams: &[&[u8]], protocol: &str, fields: &[&str]) -> Vec<Vec<String>> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "medianode-wire-{}-{}.pcap",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let mut pcap = Vec::new();
    pcap.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    pcap.extend_from_slice(&2u16.to_le_bytes());
    pcap.extend_from_slice(&4u16.to_le_bytes());
    pcap.extend_from_slice(&[0; 8]);
    pcap.extend_from_slice(&65535u32.to_le_bytes());
    pcap.extend_from_slice(&LINKTYPE_IPV4.to_le_bytes());
    for (i, datagram) in datagrams.iter().enumerate() {
        let packet = ipv4_udp(datagram);
        pcap.extend_from_slice(&(i as u32).to_le_bytes());
        pcap.extend_from_slice(&0u32.to_le_bytes());
        pcap.extend_from_slice(&(packet.len() as u32).to_le_bytes());
        pcap.extend_from_slice(&(packet.len() as u32).to_le_bytes());
        pcap.extend_from_slice(&packet);
    }
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(&pcap))
        .expect("write pcap for tshark");
    let mut cmd = Command::new("tshark");
    cmd.arg("-r")
        .arg(&path)
        .arg("-d")
        .arg(format!("udp.port=={PORT},{protocol}"))
        .args(["-T", "fields", "-E", "separator=|", "-E", "occurrence=a"]);
    for field in fields {
        cmd.args(["-e", field]);
    }
    let output = cmd
        .output()
        .expect("tshark must be installed (apt-get install tshark) for this test");
    let _ = std::fs::remove_file(&path);
    assert!(output.status.success(), "tshark failed: {output:?}");
    String::from_utf8(output.stdout)
        .expect("tshark output is UTF-8")
        .lines()
        .map(|line| line.split('|').map(str::to_owned).collect())
        .collect()
}
