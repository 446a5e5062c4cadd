//! Running tshark and reading what it prints. tshark is a required peer: every helper
//! here panics with an explanation when it is not installed.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::Command;

/// Runs tshark with `args` and returns its standard output.
pub fn run(args: &[&str]) -> String {
    let output = Command::new("tshark")
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("tshark is required for these tests (apt-get install tshark): {e}")
        });
    assert!(
        output.status.success(),
        "tshark {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("tshark prints UTF-8")
}

/// One row of `tshark -q -z rtp,streams`.
#[derive(Debug, Clone, PartialEq)]
pub struct TsharkStream {
    /// Source address and port.
    pub src: SocketAddr,
    /// Destination address and port.
    pub dst: SocketAddr,
    /// SSRC.
    pub ssrc: u32,
    /// Payload column, e.g. `"g711A, CN"`.
    pub payload: String,
    /// Packets.
    pub packets: u64,
    /// Lost (may be negative).
    pub lost: i64,
    /// Mean jitter, ms.
    pub mean_jitter_ms: f64,
    /// Max jitter, ms.
    pub max_jitter_ms: f64,
}

/// tshark's RTP streams in `capture`, with the RTP heuristic on and `extra` options.
pub fn rtp_streams(capture: &Path, extra: &[&str]) -> Vec<TsharkStream> {
    let path = capture.to_str().expect("UTF-8 path");
    let mut args = vec![
        "-q",
        "-n",
        "-o",
        "rtp.heuristic_rtp:TRUE",
        "-z",
        "rtp,streams",
        "-r",
        path,
    ];
    args.extend_from_slice(extra);
    parse_rtp_streams(&run(&args))
}

/// Parses the rows of tshark 4's `rtp,streams` table. The payload column may hold spaces
/// ("g711A, CN"), so fields are taken from both ends.
pub fn parse_rtp_streams(text: &str) -> Vec<TsharkStream> {
    let mut streams = Vec::new();
    let mut in_table = false;
    for line in text.lines() {
        if line.starts_with("=====") {
            in_table = !in_table && line.contains("RTP Streams");
            continue;
        }
        if !in_table || line.trim_start().starts_with("Start time") || line.trim().is_empty() {
            continue;
        }
        let mut tokens: Vec<&str> = line.split_whitespace().collect();
        if tokens.last() == Some(&"X") {
            tokens.pop();
        }
        let n = tokens.len();
        assert!(n >= 17, "unexpected rtp,streams row: {line}");
        let float = |s: &str| {
            s.parse::<f64>()
                .unwrap_or_else(|_| panic!("bad number {s} in {line}"))
        };
        let addr = |ip: &str, port: &str| {
            SocketAddr::new(
                ip.parse::<IpAddr>()
                    .unwrap_or_else(|_| panic!("bad address {ip}")),
                port.parse().unwrap_or_else(|_| panic!("bad port {port}")),
            )
        };
        streams.push(TsharkStream {
            src: addr(tokens[2], tokens[3]),
            dst: addr(tokens[4], tokens[5]),
            ssrc: u32::from_str_radix(tokens[6].trim_start_matches("0x"), 16).expect("SSRC"),
            payload: tokens[7..n - 9].join(" "),
            packets: tokens[n - 9].parse().expect("packets"),
            lost: tokens[n - 8].parse().expect("lost"),
            mean_jitter_ms: float(tokens[n - 2]),
            max_jitter_ms: float(tokens[n - 1]),
        });
    }
    streams
}

/// One line per frame of `tshark -T fields` with the given fields, split at tabs.
pub fn fields(capture: &Path, options: &[&str], fields: &[&str]) -> Vec<Vec<String>> {
    let path = capture.to_str().expect("UTF-8 path");
    let mut args = vec!["-n", "-r", path];
    args.extend_from_slice(options);
    args.extend_from_slice(&["-T", "fields", "-E", "separator=/t", "-E", "occurrence=l"]);
    for f in fields {
        args.push("-e");
        args.push(f);
    }
    run(&args)
        .lines()
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rows_with_spaces_and_problems() {
        let text = "\
========================= RTP Streams ========================
   Start time      End time     Src IP addr  Port    Dest IP addr  Port       SSRC          Payload  Pkts         Lost   Min Delta(ms)  Mean Delta(ms)   Max Delta(ms)  Min Jitter(ms) Mean Jitter(ms)  Max Jitter(ms) Problems?
    29.970889     65.241311      10.23.1.52 16756    10.35.60.100 15580 0x17D90134 g711A, CN, RTPType-100  1171     0 (0.0%)           1.078          10.216          20.427           0.030           0.268           1.343 X
     0.000000      7.658951             ::1 30716             ::2 60710 0xAE9DD7AF             g729   384    -1 (-0.3%)          19.891          19.948          20.104           0.004           0.053           1.111 
==============================================================
";
        let s = parse_rtp_streams(text);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].payload, "g711A, CN, RTPType-100");
        assert_eq!(s[0].packets, 1171);
        assert_eq!(s[0].ssrc, 0x17D9_0134);
        assert_eq!(s[0].max_jitter_ms, 1.343);
        assert_eq!(s[1].lost, -1);
        assert_eq!(s[1].src, "[::1]:30716".parse().unwrap());
        assert_eq!(s[1].mean_jitter_ms, 0.053);
    }
}
