//! rtpengine's userspace daemon as the peer of the paced comparison: started pinned to
//! the engine CPU, with calls set up over ng that relay plain RTP from the generator as
//! AEAD_AES_128_GCM SRTP to the sink.

use std::cell::Cell;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use medianode_dataplane::srtp::{MasterKey, SdesCrypto, SdesKey, SrtpSuite};

use super::ng::{Client, Value};
use super::paced::{CallPath, Relay};

/// The daemon's ng port.
const NG_PORT: u16 = 22230;
/// Its media ports (four per call: RTP and RTCP on each side).
const PORT_MIN: u16 = 10000;
const PORT_MAX: u16 = 29999;

/// A running rtpengine and the calls set up on it.
pub(crate) struct RtpEngine {
    child: Child,
    log: PathBuf,
    ng: Client,
    calls: Vec<CallPath>,
    /// Where its log's lines about dropped input are counted when it stops.
    drop_warnings: Rc<Cell<usize>>,
}

impl RtpEngine {
    /// Starts rtpengine on `cpu` with `threads` media threads; when it stops, the
    /// lines of its log about dropped input are added to `drop_warnings`. Panics,
    /// naming the package, if it is not installed: the comparison needs the real
    /// peer.
    pub(crate) fn start(cpu: usize, threads: usize, drop_warnings: Rc<Cell<usize>>) -> Self {
        let log = std::env::temp_dir().join(format!(
            "medianode-forwarding-rtpengine-{}.log",
            std::process::id()
        ));
        let log_file = std::fs::File::create(&log).expect("rtpengine log file");
        // `taskset` execs it, so its process id is rtpengine's.
        let child = Command::new("taskset")
            .arg("-c")
            .arg(cpu.to_string())
            .arg("rtpengine")
            .args([
                "--config-file=none",
                "--table=-1",
                "--interface=127.0.0.1",
                "--foreground",
                "--log-stderr",
                "--log-level=4",
                "--timeout=600",
                "--silent-timeout=600",
            ])
            .arg(format!("--listen-ng=127.0.0.1:{NG_PORT}"))
            .arg(format!("--port-min={PORT_MIN}"))
            .arg(format!("--port-max={PORT_MAX}"))
            .arg(format!("--num-threads={threads}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|err| {
                panic!("starting rtpengine (Debian package rtpengine-daemon) under taskset: {err}")
            });
        let ng = Client::new(SocketAddr::from(([127, 0, 0, 1], NG_PORT))).expect("ng socket");
        let mut engine = Self {
            child,
            log,
            ng,
            calls: Vec::new(),
            drop_warnings,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        let ping = Value::dict([("command", Value::text("ping"))]);
        loop {
            if let Ok(Some(status)) = engine.child.try_wait() {
                panic!(
                    "rtpengine exited at start ({status}); its log: {}",
                    engine.log.display()
                );
            }
            if engine
                .ng
                .request(&ping)
                .and_then(|reply| reply.get_text("result"))
                .as_deref()
                == Some("pong")
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "rtpengine does not answer ng ping"
            );
        }
        engine
    }

    /// Sets up calls until there are `count`: each an offer from the generator's
    /// address (plain RTP/AVP, PCMU) that rtpengine turns into RTP/SAVP towards the
    /// sink, and the sink's answer accepting its AEAD_AES_128_GCM key.
    pub(crate) fn set_up_calls(&mut self, count: usize, generator: SocketAddr, sink: SocketAddr) {
        while self.calls.len() < count {
            let index = self.calls.len();
            let call = self.set_up_call(index, generator, sink);
            self.calls.push(call);
        }
    }

    fn set_up_call(&mut self, index: usize, generator: SocketAddr, sink: SocketAddr) -> CallPath {
        let call_id = format!("medianode-bench-{index}");
        let offer = Value::dict([
            ("command", Value::text("offer")),
            ("call-id", Value::text(&call_id)),
            ("from-tag", Value::text(&format!("caller-{index}"))),
            ("sdp", Value::text(&sdp(generator, "RTP/AVP", None))),
            ("transport-protocol", Value::text("RTP/SAVP")),
            ("ICE", Value::text("remove")),
            ("DTLS", Value::text("off")),
        ]);
        let offered = self.checked_request(&offer, "offer");
        let offered_sdp = offered.get_text("sdp").expect("offer reply has an SDP");
        let output_port = media_port(&offered_sdp).expect("rtpengine's offer has m=audio");
        let crypto = offered_sdp
            .lines()
            .filter_map(|line| SdesCrypto::parse(line).ok())
            .find(|crypto| crypto.suite == SrtpSuite::AeadAes128Gcm)
            .expect("rtpengine offers AEAD_AES_128_GCM");
        let policy = crypto.policy().expect("rtpengine's GCM key");
        // The sink's own key (for what it would send back): any key will do.
        let answer_key = super::paced::call_key(u32::MAX - index as u32);
        let answer_crypto = SdesCrypto::new(
            crypto.tag,
            SdesKey::new(
                MasterKey::from_key_salt(SrtpSuite::AeadAes128Gcm, &answer_key).expect("GCM key"),
            ),
        );
        let answer = Value::dict([
            ("command", Value::text("answer")),
            ("call-id", Value::text(&call_id)),
            ("from-tag", Value::text(&format!("caller-{index}"))),
            ("to-tag", Value::text(&format!("callee-{index}"))),
            (
                "sdp",
                Value::text(&sdp(sink, "RTP/SAVP", Some(&answer_crypto))),
            ),
            ("ICE", Value::text("remove")),
            ("DTLS", Value::text("off")),
        ]);
        let answered = self.checked_request(&answer, "answer");
        let answered_sdp = answered.get_text("sdp").expect("answer reply has an SDP");
        let input_port = media_port(&answered_sdp).expect("rtpengine's answer has m=audio");
        CallPath {
            input: SocketAddr::from(([127, 0, 0, 1], input_port)),
            output_port,
            policy,
        }
    }

    fn checked_request(&mut self, command: &Value, what: &str) -> Value {
        let reply = self
            .ng
            .request(command)
            .unwrap_or_else(|| panic!("rtpengine does not answer the ng {what}"));
        let result = reply.get_text("result");
        assert_eq!(
            result.as_deref(),
            Some("ok"),
            "ng {what} refused: {:?}",
            reply.get_text("error-reason")
        );
        reply
    }
}

impl Relay for RtpEngine {
    fn calls(&self) -> &[CallPath] {
        &self.calls
    }

    /// The sum over the daemon's threads.
    fn cpu_ns(&self) -> u64 {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{}/task", self.child.id())) else {
            return 0;
        };
        tasks
            .filter_map(Result::ok)
            .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
            .filter_map(|text| text.split_whitespace().next()?.parse::<u64>().ok())
            .sum()
    }
}

impl Drop for RtpEngine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dropped = std::fs::read_to_string(&self.log)
            .map(|text| {
                text.lines()
                    .filter(|line| line.contains("discarding") || line.contains("Too many packets"))
                    .count()
            })
            .unwrap_or(0);
        self.drop_warnings.set(self.drop_warnings.get() + dropped);
        let _ = std::fs::remove_file(&self.log);
    }
}

/// A one-stream PCMU SDP at `addr`.
fn sdp(addr: SocketAddr, protocol: &str, crypto: Option<&SdesCrypto>) -> String {
    let mut sdp = format!(
        "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
         m=audio {port} {protocol} 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n",
        ip = addr.ip(),
        port = addr.port()
    );
    if let Some(crypto) = crypto {
        sdp.push_str(&crypto.to_sdp_line());
        sdp.push_str("\r\n");
    }
    sdp
}

/// The port of an SDP's first `m=audio` line.
fn media_port(sdp: &str) -> Option<u16> {
    sdp.lines()
        .find_map(|line| line.strip_prefix("m=audio "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|port| port.parse().ok())
}
