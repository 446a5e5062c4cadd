//! Peer processes and what they leave behind, for the tests that run SIPp, baresip or
//! tshark beside the node: a child process that is always reaped, tshark's field output,
//! the sipfrag lines SIPp logs, and the audio of the G.711 capture SIPp plays.

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use medianode_tools::capture::CaptureReader;

use crate::support::signal;

/// A child process killed (and reaped) when the test ends, however it ends.
pub struct Running {
    child: Child,
    name: &'static str,
}

impl Running {
    /// Starts `command`; a peer that cannot start fails the test, naming it.
    pub fn start(name: &'static str, command: &mut Command) -> Running {
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("{name} must be installed and runnable: {e}"));
        Running { child, name }
    }

    /// Asks the process to stop with `signal_name` and waits up to 10 s for it.
    pub fn stop(&mut self, signal_name: &str) {
        if self.child.try_wait().unwrap().is_none() {
            signal(&self.child, signal_name);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "{} did not stop", self.name);
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Parses tshark's `-T fields -e udp.srcport -e udp.dstport -e udp.payload` lines.
pub fn captured(text: &str) -> Vec<(u16, u16, Vec<u8>)> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let src = fields.next()?.parse().ok()?;
            let dst = fields.next()?.parse().ok()?;
            let hex: String = fields.next()?.chars().filter(|c| *c != ':').collect();
            let payload = (0..hex.len() / 2)
                .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
                .collect::<Option<Vec<u8>>>()?;
            Some((src, dst, payload))
        })
        .collect()
}

/// The sipfrag status lines of the NOTIFYs in a SIPp message log, in order.
pub fn sipfrags(log: &str) -> Vec<String> {
    log.split("NOTIFY sip:")
        .skip(1)
        .filter_map(|notify| {
            // SIPp may log with bare line feeds.
            let body = notify
                .split("\r\n\r\n")
                .nth(1)
                .or_else(|| notify.split("\n\n").nth(1))?;
            body.lines()
                .find(|l| l.starts_with("SIP/2.0 "))
                .map(|l| l.trim().to_owned())
        })
        .collect()
}

/// Fails the test when a peer's run failed, with its output and the node's log.
pub fn assert_success(what: &str, output: &Output, node_log: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({}): {}\n{}\nnode log: {node_log}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}

/// A-law bytes to linear PCM with the node's own G.711 kernels.
pub fn alaw(codes: &[u8]) -> Vec<i16> {
    let mut pcm = vec![0i16; codes.len()];
    medianode_simd::alaw_decode(&mut pcm, codes);
    pcm
}

/// The audio of a PCMA capture (SIPp's g711a.pcap), decoded at 8 kHz.
pub fn pcma_capture_audio(path: &Path) -> Vec<i16> {
    let file = File::open(path).unwrap();
    let mut reader = CaptureReader::new(file).unwrap();
    let mut samples = Vec::new();
    while let Some(datagram) = reader.next_datagram() {
        let datagram = datagram.unwrap();
        assert_eq!(datagram.payload[1] & 0x7f, 8, "the capture is PCMA");
        samples.extend(alaw(&datagram.payload[12..]));
    }
    samples
}
