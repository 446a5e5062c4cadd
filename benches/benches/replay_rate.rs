//! Send rate of `rtp-replay`'s sending thread against `tcpreplay --topspeed` (Debian
//! `tcpreplay`) on loopback, in the same run, both sending the SIPp G.711 capture to one
//! sink socket that counts what arrives (issue 7: "at least as fast").
//!
//! rtp-replay side: the library's sender ([`run_sender`]), the thread `rtp-replay` runs,
//! with 10 conferences of 10 participants playing the capture in a loop at a speed where
//! every packet is already due, so it sends as fast as it can build (rewritten SSRC,
//! sequence number and timestamp per participant, send log, selection model) and
//! `sendmmsg` them. tcpreplay side: the same capture rewritten by the capture writer into
//! Ethernet frames addressed to the sink, preloaded (`-K`) and looped to about the same
//! number of packets, injected on `lo` at top speed. Each tool's rate is packets sent
//! over its own sending time (tcpreplay's "Actual" line, our thread's run time); the
//! median of several rounds is printed with the ratio, and the sink's arrivals as a check
//! that the packets were real. Both senders run pinned to core 0 (`taskset`), the sink on
//! core 1, so each tool has one core for its sending thread and the kernel's loopback
//! work in it. The split of the replay sender's CPU time between user space and the
//! kernel is printed too.
//!
//! Frames injected on `lo` have no route attached, so Linux routes them like frames from a
//! wire and drops 127.0.0.1 to 127.0.0.1 as martian unless `lo` has `route_localnet` and
//! `accept_local` set: the bench sets both for its run and puts the old values back.
//!
//! Run: `cargo bench -p medianode-benches --bench replay_rate` as root (tcpreplay needs
//! CAP_NET_RAW, the sysctls root; the bench fails, not skips, when tcpreplay is missing or
//! refused).

use std::fs::File;
use std::io::BufWriter;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use medianode_tools::capture::{CaptureReader, CaptureWriter, Frame, LinkType, UdpChecksum};
use medianode_tools::replay::batch_socket::{BatchReceiver, BatchSocket};
use medianode_tools::replay::expectation::{NodePolicy, SelectionModel};
use medianode_tools::replay::live::{LiveCounters, RunClock};
use medianode_tools::replay::plan::{ConferencePlan, ParticipantPlan};
use medianode_tools::replay::send_log::SendLog;
use medianode_tools::replay::sender::{run_sender, SenderConference, SenderLeg};
use medianode_tools::replay::{load_capture, LevelSource, SourceStream, StreamFilter, Timing};

const CONFERENCES: usize = 10;
const PARTICIPANTS: usize = 10;
/// Packets each participant sends per round.
const PER_PARTICIPANT: u64 = 5_000;
/// Rounds per tool; medians are reported.
const ROUNDS: usize = 5;
/// Captured time is divided by this: a 20 ms packet period becomes 20 ns, so every packet
/// of a round is due within its first 100 us.
const SPEED: f64 = 1e6;

/// The capture, in the repository (pcap-tests' fixture).
fn capture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcap-tests/fixtures/sipp/g711a.pcap")
}

/// The `lo` settings under which injected loopback frames are delivered; the old values
/// come back on drop.
struct LoopbackInjection {
    saved: Vec<(PathBuf, String)>,
}

impl LoopbackInjection {
    fn enable() -> LoopbackInjection {
        let mut saved = Vec::new();
        for name in ["route_localnet", "accept_local"] {
            let path = PathBuf::from(format!("/proc/sys/net/ipv4/conf/lo/{name}"));
            let old = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            std::fs::write(&path, "1").unwrap_or_else(|e| {
                panic!(
                    "cannot set {} (run as root so that tcpreplay's frames reach the sink): {e}",
                    path.display()
                )
            });
            saved.push((path, old));
        }
        LoopbackInjection { saved }
    }
}

impl Drop for LoopbackInjection {
    fn drop(&mut self) {
        for (path, old) in &self.saved {
            let _ = std::fs::write(path, old.trim());
        }
    }
}

/// A socket counting every datagram that reaches it, on its own thread.
struct Sink {
    addr: SocketAddr,
    arrived: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sink {
    fn start() -> Sink {
        let socket = BatchSocket::bind(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            Duration::from_millis(20),
        )
        .expect("bind the sink");
        let addr = socket.local_addr().unwrap();
        let arrived = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, done) = (arrived.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            pin_this_thread(SINK_CORE);
            let mut receiver = BatchReceiver::new(512);
            while !done.load(Ordering::Relaxed) {
                if let Ok(n) = receiver.recv(&socket) {
                    count.fetch_add(n as u64, Ordering::Relaxed);
                }
            }
        });
        Sink {
            addr,
            arrived,
            stop,
            thread: Some(thread),
        }
    }

    /// Arrivals so far, once they stopped coming for 100 ms.
    fn settled(&self) -> u64 {
        let mut last = self.arrived.load(Ordering::Relaxed);
        loop {
            std::thread::sleep(Duration::from_millis(100));
            let now = self.arrived.load(Ordering::Relaxed);
            if now == last {
                return now;
            }
            last = now;
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The core both senders run on; the sink counts on the other one.
const SENDER_CORE: &str = "0";
const SINK_CORE: &str = "1";

/// Pins the calling thread to `core` with util-linux `taskset` (the thread id from
/// `/proc/thread-self`, so no libc binding is needed).
fn pin_this_thread(core: &str) {
    let link = std::fs::read_link("/proc/thread-self").expect("/proc/thread-self");
    let tid = link
        .file_name()
        .and_then(|t| t.to_str())
        .expect("a thread id")
        .to_owned();
    let pinned = Command::new("taskset")
        .args(["-p", "-c", core, &tid])
        .output()
        .expect("taskset (util-linux) must be installed");
    assert!(pinned.status.success(), "taskset failed: {pinned:?}");
}

/// The calling thread's CPU time so far, user and system, in clock ticks
/// (`/proc/thread-self/stat` fields 14 and 15).
fn thread_cpu_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // The command name (field 2) is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse().ok()).unwrap_or(0);
    (field(14), field(15))
}

/// One round of the replay's sender, on its own thread pinned to [`SENDER_CORE`]:
/// packets sent, seconds, and the thread's user and system CPU ticks.
fn replay_round(streams: &[Arc<SourceStream>], sink: SocketAddr) -> (u64, f64, (u64, u64)) {
    let streams = streams.to_vec();
    std::thread::spawn(move || {
        pin_this_thread(SENDER_CORE);
        let before = thread_cpu_ticks();
        let (sent, seconds) = replay_round_here(&streams, sink);
        let after = thread_cpu_ticks();
        (sent, seconds, (after.0 - before.0, after.1 - before.1))
    })
    .join()
    .expect("the sender thread")
}

fn replay_round_here(streams: &[Arc<SourceStream>], sink: SocketAddr) -> (u64, f64) {
    let socket = BatchSocket::bind(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        Duration::from_millis(50),
    )
    .expect("bind the replay socket");
    let period_ns = streams[0].period_ns.max(1) as f64 / streams[0].packets.len().max(1) as f64;
    let timing = Timing {
        speed: SPEED,
        looping: true,
        duration_ns: Some((PER_PARTICIPANT as f64 * period_ns / SPEED) as u64),
    };
    let policy = NodePolicy {
        all: false,
        loudest_n: 3,
        hold_ms: 500,
        smoothing_ms: 100,
    };
    let (to_sender, incoming) = mpsc::channel();
    let mut logs = Vec::new();
    for index in 0..CONFERENCES {
        let participants = (0..PARTICIPANTS)
            .map(|k| {
                let stream = streams[k % streams.len()].clone();
                ParticipantPlan {
                    rotation: k * stream.len() / PARTICIPANTS % stream.len().max(1),
                    stream,
                    ssrc: (index * PARTICIPANTS + k + 1) as u32,
                    first_seq: k as u16,
                    first_ts: k as u32,
                }
            })
            .collect();
        let plan = Arc::new(ConferencePlan {
            participants,
            timing,
            levels: LevelSource::Keep,
            level_id: 1,
        });
        let legs: Vec<SenderLeg> = (0..PARTICIPANTS)
            .map(|_| {
                let log = Arc::new(SendLog::default());
                logs.push(log.clone());
                SenderLeg {
                    destination: sink,
                    srtp: None,
                    log,
                }
            })
            .collect();
        let margin = Duration::from_millis(300);
        to_sender
            .send(SenderConference {
                index,
                model: SelectionModel::new(plan.clone(), policy.selection_policy(), margin),
                plan,
                legs,
                started: Instant::now(),
                margin,
            })
            .unwrap();
    }
    drop(to_sender);
    let counters = LiveCounters::default();
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let outcome = run_sender(&socket, &incoming, &stop, RunClock::start(), &counters);
    let seconds = started.elapsed().as_secs_f64();
    assert!(outcome.completed, "the sender finished its streams");
    assert_eq!(outcome.send_failures + outcome.build_failures, 0);
    let sent: u64 = logs.iter().map(|l| l.sent()).sum();
    (sent, seconds)
}

/// Writes the capture's RTP datagrams as Ethernet frames from 127.0.0.1:40000 to `sink`;
/// returns how many.
fn write_loopback_pcap(path: &Path, sink: SocketAddr) -> u64 {
    let mut reader =
        CaptureReader::new(File::open(capture_path()).expect("the capture")).expect("a capture");
    let out = BufWriter::new(File::create(path).expect("create the pcap"));
    let mut writer = CaptureWriter::pcap(out, LinkType::Ethernet, false).expect("a writer");
    // Ethernet (zero MACs: lo's own), IPv4 (DF, TTL 64, UDP), UDP; the writer fixes
    // lengths and checksums for each payload.
    let mut template = vec![0u8; 12];
    template.extend_from_slice(&[0x08, 0x00]);
    template.extend_from_slice(&[0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17, 0, 0]);
    template.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 1]);
    template.extend_from_slice(&40_000u16.to_be_bytes());
    template.extend_from_slice(&sink.port().to_be_bytes());
    template.extend_from_slice(&[0, 8, 0, 0]);
    let mut written = 0;
    while let Some(datagram) = reader.next_datagram() {
        let datagram = datagram.expect("a datagram");
        let frame = Frame {
            index: written,
            timestamp_ns: datagram.timestamp_ns,
            link_type: LinkType::Ethernet,
            data: &template,
            original_len: template.len() as u32,
        };
        let empty = frame.udp().expect("the template is a UDP frame");
        writer
            .write_with_payload(&empty, datagram.payload, UdpChecksum::Recompute)
            .expect("write a frame");
        written += 1;
    }
    writer.finish().expect("finish the pcap");
    written
}

/// One tcpreplay round: packets sent, seconds (its own "Actual" line).
fn tcpreplay_round(pcap: &Path, loops: u64) -> (u64, f64) {
    let output = Command::new("taskset")
        .args(["-c", SENDER_CORE, "tcpreplay"])
        .args(["-i", "lo", "--topspeed", "-K", &format!("--loop={loops}")])
        .arg(pcap)
        .output()
        .expect("taskset must be installed");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "tcpreplay failed: {text}");
    // "Actual: 500000 packets (86000000 bytes) sent in 0.51 seconds"
    let actual = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Actual: "))
        .unwrap_or_else(|| panic!("no Actual line: {text}"));
    let words: Vec<&str> = actual.split_whitespace().collect();
    let packets: u64 = words[0].parse().expect("packets");
    let seconds: f64 = words
        .iter()
        .position(|w| *w == "in")
        .and_then(|i| words.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no time in {actual}"));
    (packets, seconds)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs this too: keep it short then.
    let quick = !std::env::args().any(|a| a == "--bench");
    let rounds = if quick { 1 } else { ROUNDS };
    let file = File::open(capture_path()).expect("the capture");
    let streams: Vec<Arc<SourceStream>> = load_capture(file, &StreamFilter::default())
        .expect("RTP streams")
        .into_iter()
        .map(Arc::new)
        .collect();
    let version = Command::new("tcpreplay")
        .arg("--version")
        .output()
        .expect("tcpreplay (Debian package tcpreplay) must be installed");
    assert!(version.status.success(), "tcpreplay --version: {version:?}");
    let _injection = LoopbackInjection::enable();
    let sink = Sink::start();
    let dir = std::env::temp_dir().join(format!("replay-rate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pcap = dir.join("loopback.pcap");
    let frames = write_loopback_pcap(&pcap, sink.addr);
    let total = (CONFERENCES * PARTICIPANTS) as u64 * PER_PARTICIPANT;
    let loops = total.div_ceil(frames);

    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let (mut ours_arrived, mut theirs_arrived) = (0.0, 0.0);
    let mut cpu = (0u64, 0u64);
    for _ in 0..rounds {
        let before = sink.settled();
        let (sent, seconds, ticks) = replay_round(&streams, sink.addr);
        cpu.0 += ticks.0;
        cpu.1 += ticks.1;
        let arrived = sink.settled() - before;
        ours.push(sent as f64 / seconds);
        ours_arrived = arrived as f64 / sent as f64;

        let before = sink.settled();
        let (sent, seconds) = tcpreplay_round(&pcap, loops);
        let arrived = sink.settled() - before;
        theirs.push(sent as f64 / seconds);
        theirs_arrived = arrived as f64 / sent as f64;
        assert!(arrived > 0, "tcpreplay's frames never reached the sink");
    }
    let _ = std::fs::remove_dir_all(&dir);
    let (ours, theirs) = (median(ours), median(theirs));
    println!(
        "replay_rate: {total} packets per round ({CONFERENCES}x{PARTICIPANTS} participants; \
         tcpreplay: {frames} frames x {loops} loops), {rounds} rounds, medians"
    );
    println!(
        "  rtp-replay sender: {:>10.0} packets/s (last round: {:.1} % arrived at the sink)",
        ours,
        ours_arrived * 100.0
    );
    println!(
        "  tcpreplay --topspeed: {:>7.0} packets/s (last round: {:.1} % arrived at the sink)",
        theirs,
        theirs_arrived * 100.0
    );
    println!("  ratio rtp-replay / tcpreplay: {:.2}", ours / theirs);
    let total_ticks = (cpu.0 + cpu.1).max(1) as f64;
    println!(
        "  rtp-replay sender thread CPU: {:.0} % user, {:.0} % system (kernel UDP send and \
         loopback delivery)",
        100.0 * cpu.0 as f64 / total_ticks,
        100.0 * cpu.1 as f64 / total_ticks
    );
}
