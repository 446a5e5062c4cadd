//! Forwarding: packets per second one core pushes through the real media core, against a
//! bare recvmmsg/sendmmsg relay on the same core in the same run.
//!
//! Layout (loopback only): the engine under test runs on CPU 0; the load (a generator
//! sending PCMU RTP from one socket, and sinks reading what comes out) runs on CPU 1. The
//! engine is one of:
//!
//! - `reflector`: `medianode_netio::reflector::relay`, each datagram to every sink;
//! - `node/<backend>`: a `PacketIo` and a `MediaCore` holding one conference whose talker
//!   leg receives the generator and whose listener legs send to the sinks (1 or 9): plain,
//!   hop-by-hop AEAD_AES_128_GCM (the generator protects under the talker leg's key, the
//!   core unprotects, then protects per listener under that listener's key; the first
//!   sink decrypts what it gets to check), or plain in and GCM out;
//! - `glommio`: the same media core on glommio's `UdpSocket` (`recv_from`/`send_to`) in a
//!   pinned `LocalExecutor`.
//!
//! The load keeps a bounded window of packets in flight, so nothing queues without limit
//! and loss stays near zero. "pps per core" is packets delivered to the sinks per second
//! of the engine thread's own CPU time (`/proc/self/task/<tid>/schedstat`, which on this
//! kernel includes the softirq work of its sends): the engine shares nothing with the
//! load but the machine, and other jobs on these shared 2-core machines cannot inflate
//! or deflate it. Wall-clock pps and the engine's CPU share are printed beside it.
//!
//! rtpengine: one bulk stream cannot drive its userspace relay (it aborts a socket's
//! read loop past 50 packets and, after five such aborts, discards the stream's input),
//! so [`rtpengine_comparison`] uses another load: many calls, each one PCMU stream at a
//! telephone rate (50 packets per second) with its own phase, relayed plain RTP in,
//! AEAD_AES_128_GCM SRTP out. rtpengine (Debian `rtpengine-daemon`, `--table=-1`, pinned
//! to the engine CPU with `taskset`) gets its calls over the ng protocol (offer from the
//! generator as RTP/AVP, turned into RTP/SAVP; the sink answers with the GCM suite); our
//! node gets a conference per call (talker leg plain, listener leg hop-by-hop GCM). A
//! search per engine finds the most calls relayed without loss, and one probe at a
//! reference call count compares CPU per packet.
//!
//! Run: `cargo bench -p medianode-benches --bench forwarding` (env `FORWARDING_SECS`,
//! default 2, per measurement; `FORWARDING_ROUNDS`, default 3, medians are reported;
//! `FORWARDING_ONLY=<part of a scenario name>` runs just those, for profiling, and
//! `FORWARDING_ONLY=rtpengine` only the rtpengine comparison, whose settings are in
//! [`PacedSettings::from_env`]; `FORWARDING_NICE`, default -10, is the scheduling
//! priority the bench gives its session, see [`raise_session_priority`]).

use std::cell::Cell;
use std::net::{SocketAddr, UdpSocket};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use medianode_dataplane::conference::{
    Codec, ConferenceId, CoreConfig, InDatagram, LegConfig, LegId, MediaCore, MediaMode, Outbox,
    PayloadTypes, RateLimit, SelectionPolicy,
};
use medianode_dataplane::srtp::{MasterKey, PacketBuf, SrtpPolicy, SrtpSession, SrtpSuite};
use medianode_netio::affinity::pin_current_thread;
use medianode_netio::{
    reflector, set_socket_buffers, IoBackendChoice, PacketIo, DEFAULT_SOCKET_BUFFER_BYTES,
};

mod ng;
mod node_relay;
mod paced;
mod rtpengine_peer;

const ENGINE_CPU: usize = 0;
const LOAD_CPU: usize = 1;
const PAYLOAD_LEN: usize = 160;
const RTP_LEN: usize = 12 + PAYLOAD_LEN;
const GCM_TAG: usize = 16;
/// Input packets in flight at most (times the fan-out for output packets).
const WINDOW: u64 = 1024;
/// Packets the generator sends between looks at the sinks.
const BURST: usize = 32;
const BATCH: usize = 64;
const WARMUP: Duration = Duration::from_millis(500);

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert!(
        cpus >= 2,
        "needs 2 CPUs (engine on 0, load on 1), found {cpus}"
    );
    raise_session_priority(env_or("FORWARDING_NICE", -10.0) as i32);
    let seconds: f64 = env_or("FORWARDING_SECS", 2.0);
    let rounds: usize = env_or("FORWARDING_ROUNDS", 3.0) as usize;
    let window = Duration::from_secs_f64(seconds);

    let scenarios = [
        Scenario::new(Engine::Reflector, Mode::Plain, 1),
        Scenario::new(Engine::Node(IoBackendChoice::IoUring), Mode::Plain, 1),
        Scenario::new(Engine::Node(IoBackendChoice::Mmsg), Mode::Plain, 1),
        Scenario::new(Engine::Glommio, Mode::Plain, 1),
        Scenario::new(Engine::Node(IoBackendChoice::IoUring), Mode::HopByHop, 1),
        Scenario::new(Engine::Node(IoBackendChoice::Mmsg), Mode::HopByHop, 1),
        Scenario::new(Engine::Node(IoBackendChoice::IoUring), Mode::PlainToSrtp, 1),
        Scenario::new(Engine::Node(IoBackendChoice::Mmsg), Mode::PlainToSrtp, 1),
        Scenario::new(Engine::Reflector, Mode::Plain, 9),
        Scenario::new(Engine::Node(IoBackendChoice::IoUring), Mode::Plain, 9),
        Scenario::new(Engine::Node(IoBackendChoice::Mmsg), Mode::Plain, 9),
    ];
    if let Ok(only) = std::env::var("FORWARDING_ONLY") {
        if only == "rtpengine" {
            rtpengine_comparison();
            return;
        }
        // For profiling one engine: run the matching scenarios, print them, nothing else.
        for scenario in scenarios.iter().filter(|s| s.label().contains(&only)) {
            let m = run(&[*scenario], &[(ENGINE_CPU, LOAD_CPU)], window);
            println!(
                "{:<28} {:>10.0} out pps {:>10.0} per core",
                scenario.label(),
                m.out_pps,
                m.pps_per_core
            );
        }
        return;
    }
    let mut results: Vec<Vec<Measurement>> = vec![Vec::new(); scenarios.len()];
    let mut scaling: Vec<(Measurement, Measurement)> = Vec::new();
    for round in 0..rounds {
        eprintln!("round {}/{rounds}", round + 1);
        for (scenario, runs) in scenarios.iter().zip(results.iter_mut()) {
            runs.push(run(&[*scenario], &[(ENGINE_CPU, LOAD_CPU)], window));
        }
        let node = Scenario::new(Engine::Node(IoBackendChoice::IoUring), Mode::Plain, 1);
        let one = run(&[node], &[(ENGINE_CPU, LOAD_CPU)], window);
        let two = run(
            &[node, node],
            &[(ENGINE_CPU, LOAD_CPU), (LOAD_CPU, ENGINE_CPU)],
            window,
        );
        scaling.push((one, two));
    }

    println!("\nforwarding, loopback, {seconds} s per measurement, median of {rounds} rounds");
    println!("engine on CPU {ENGINE_CPU}, generator and sinks on CPU {LOAD_CPU}; PCMU 20 ms packets ({RTP_LEN} bytes RTP)");
    println!(
        "{:<28} {:>10} {:>10} {:>8} {:>9} {:>13} {:>7}",
        "scenario", "out pps", "in pps", "eng CPU", "load CPU", "out pps/core", "loss"
    );
    let medians: Vec<Measurement> = results.iter().map(|runs| median(runs)).collect();
    for (scenario, m) in scenarios.iter().zip(&medians) {
        println!(
            "{:<28} {:>10.0} {:>10.0} {:>7.0}% {:>8.0}% {:>13.0} {:>6.2}%",
            scenario.label(),
            m.out_pps,
            m.in_pps,
            m.engine_cpu_share * 100.0,
            m.load_cpu_share * 100.0,
            m.pps_per_core,
            m.loss * 100.0
        );
    }

    let by_label = |label: &str| -> Measurement {
        scenarios
            .iter()
            .zip(&medians)
            .find(|(s, _)| s.label() == label)
            .map(|(_, m)| *m)
            .expect("scenario measured")
    };
    println!("\nratios (out pps per core, against the reflector of the same fan-out):");
    let checks = [
        ("node/io_uring plain 1:1", "reflector plain 1:1", 0.90),
        ("node/recvmmsg plain 1:1", "reflector plain 1:1", 0.90),
        ("node/glommio plain 1:1", "reflector plain 1:1", 0.90),
        ("node/io_uring gcm-hbh 1:1", "reflector plain 1:1", 0.85),
        ("node/recvmmsg gcm-hbh 1:1", "reflector plain 1:1", 0.85),
        ("node/io_uring plain 1:9", "reflector plain 1:9", 0.90),
        ("node/recvmmsg plain 1:9", "reflector plain 1:9", 0.90),
    ];
    for (ours, peer, target) in checks {
        let ratio = by_label(ours).pps_per_core / by_label(peer).pps_per_core;
        println!(
            "  {ours:<28} {:>6.1} %  (target >= {:.0} %: {})",
            ratio * 100.0,
            target * 100.0,
            if ratio >= target { "met" } else { "NOT met" }
        );
    }
    println!(
        "  io_uring direct vs glommio UdpSocket, plain 1:1: {:.2}x",
        by_label("node/io_uring plain 1:1").pps_per_core
            / by_label("node/glommio plain 1:1").pps_per_core
    );

    let one: Vec<Measurement> = scaling.iter().map(|(one, _)| *one).collect();
    let two: Vec<Measurement> = scaling.iter().map(|(_, two)| *two).collect();
    let (one, two) = (median(&one), median(&two));
    println!("\ntwo cores (node io_uring, plain 1:1; each core's load runs on the other core):");
    println!(
        "  1 core : {:>10.0} pps wall, {:>10.0} pps per core of engine CPU",
        one.out_pps, one.pps_per_core
    );
    println!(
        "  2 cores: {:>10.0} pps wall, {:>10.0} pps of capacity (sum over engines of pps per engine CPU-second), engines at {:.0} % CPU",
        two.out_pps,
        two.pps_per_core,
        two.engine_cpu_share * 100.0
    );
    let ratio = two.pps_per_core / one.pps_per_core;
    println!(
        "  capacity 2 cores / 1 core: {ratio:.2}x (target >= 1.8x: {}); wall 2 cores / 1 core: {:.2}x (the loads share the same 2 CPUs)",
        if ratio >= 1.8 { "met" } else { "NOT met" },
        two.out_pps / one.out_pps
    );

    rtpengine_comparison();
}

fn env_or(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The measurement with the median pps per core.
fn median(runs: &[Measurement]) -> Measurement {
    let mut sorted = runs.to_vec();
    sorted.sort_by(|a, b| a.pps_per_core.total_cmp(&b.pps_per_core));
    sorted[sorted.len() / 2]
}

#[derive(Debug, Clone, Copy)]
enum Engine {
    Reflector,
    Node(IoBackendChoice),
    Glommio,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Plain,
    /// SRTP in and out, AEAD_AES_128_GCM, keys per leg and direction.
    HopByHop,
    /// Plain RTP in, AEAD_AES_128_GCM SRTP out (a plain talker heard by an SRTP listener).
    PlainToSrtp,
}

impl Mode {
    fn srtp_in(self) -> bool {
        self == Mode::HopByHop
    }

    fn srtp_out(self) -> bool {
        self != Mode::Plain
    }
}

#[derive(Debug, Clone, Copy)]
struct Scenario {
    engine: Engine,
    mode: Mode,
    fan_out: usize,
}

impl Scenario {
    fn new(engine: Engine, mode: Mode, fan_out: usize) -> Self {
        Self {
            engine,
            mode,
            fan_out,
        }
    }

    fn label(&self) -> String {
        let engine = match self.engine {
            Engine::Reflector => "reflector".to_string(),
            Engine::Node(IoBackendChoice::IoUring) => "node/io_uring".to_string(),
            Engine::Node(IoBackendChoice::Mmsg) => "node/recvmmsg".to_string(),
            Engine::Node(IoBackendChoice::Auto) => "node/auto".to_string(),
            Engine::Glommio => "node/glommio".to_string(),
        };
        let mode = match self.mode {
            Mode::Plain => "plain",
            Mode::HopByHop => "gcm-hbh",
            Mode::PlainToSrtp => "rtp->gcm",
        };
        format!("{engine} {mode} 1:{}", self.fan_out)
    }

    fn out_len(&self) -> usize {
        if self.mode.srtp_out() {
            RTP_LEN + GCM_TAG
        } else {
            RTP_LEN
        }
    }
}

/// One measurement (for several engines: summed).
#[derive(Debug, Clone, Copy)]
struct Measurement {
    out_pps: f64,
    in_pps: f64,
    /// Engine CPU time over wall time (summed over engines).
    engine_cpu_share: f64,
    /// Load thread CPU time over wall time (summed over loads).
    load_cpu_share: f64,
    /// Output packets per second of engine CPU time (summed over engines).
    pps_per_core: f64,
    loss: f64,
}

/// Counters the load thread publishes, and when it is to stop sending.
#[derive(Debug, Default)]
struct Progress {
    sent: AtomicU64,
    delivered: AtomicU64,
    quiet: AtomicBool,
    /// The load thread's id, for its CPU time.
    tid: AtomicU64,
}

/// What an engine reports once it listens.
struct EngineReady {
    /// The engine thread's id, for its CPU time.
    tid: u32,
    /// Where the generator sends.
    input: SocketAddr,
}

/// Runs `scenarios[i]` with its engine and load on `cpus[i]` for `window` after warm-up.
fn run(scenarios: &[Scenario], cpus: &[(usize, usize)], window: Duration) -> Measurement {
    let stop = Arc::new(AtomicBool::new(false));
    let mut engines: Vec<(JoinHandle<()>, u32, SocketAddr)> = Vec::new();
    let mut loads = Vec::new();
    for (scenario, &(engine_cpu, load_cpu)) in scenarios.iter().zip(cpus) {
        let keys = Keys::new(scenario.fan_out);
        let load = LoadSide::new(*scenario, &keys);
        let (ready_tx, ready_rx) = mpsc::channel();
        let handle = spawn_engine(
            *scenario,
            engine_cpu,
            load.sink_addrs.clone(),
            load.source,
            keys.clone(),
            stop.clone(),
            ready_tx,
        );
        let ready: EngineReady = ready_rx.recv().expect("engine ready");
        let (tid, input) = (ready.tid, ready.input);
        let progress = Arc::new(Progress::default());
        let load_handle = {
            let (progress, stop) = (progress.clone(), stop.clone());
            std::thread::spawn(move || load.run(load_cpu, input, &keys, &progress, &stop))
        };
        engines.push((handle, tid, input));
        loads.push((load_handle, progress, scenario.fan_out));
    }
    std::thread::sleep(WARMUP);
    let cpu_of = |engines: &[(JoinHandle<()>, u32, SocketAddr)]| -> Vec<u64> {
        engines
            .iter()
            .map(|(_, tid, _)| thread_cpu_ns(*tid))
            .collect()
    };
    let delivered_of = |loads: &[(JoinHandle<()>, Arc<Progress>, usize)]| -> Vec<u64> {
        loads
            .iter()
            .map(|(_, p, _)| p.delivered.load(Ordering::Relaxed))
            .collect()
    };
    let load_cpu_of = |loads: &[(JoinHandle<()>, Arc<Progress>, usize)]| -> u64 {
        loads
            .iter()
            .map(|(_, p, _)| thread_cpu_ns(p.tid.load(Ordering::Relaxed) as u32))
            .sum()
    };
    let sent_of = |loads: &[(JoinHandle<()>, Arc<Progress>, usize)]| -> u64 {
        loads
            .iter()
            .map(|(_, p, _)| p.sent.load(Ordering::Relaxed))
            .sum()
    };
    let (t0, cpu0, delivered0, sent0) = (
        Instant::now(),
        cpu_of(&engines),
        delivered_of(&loads),
        sent_of(&loads),
    );
    let load_cpu0 = load_cpu_of(&loads);
    std::thread::sleep(window);
    let load_cpu1 = load_cpu_of(&loads);
    let (t1, cpu1, delivered1, sent1) = (
        Instant::now(),
        cpu_of(&engines),
        delivered_of(&loads),
        sent_of(&loads),
    );

    // Loss over the whole run: stop sending, let what is in flight arrive, then count.
    for (_, progress, _) in &loads {
        progress.quiet.store(true, Ordering::Relaxed);
    }
    let delivered_sum = |loads: &[(JoinHandle<()>, Arc<Progress>, usize)]| -> u64 {
        delivered_of(loads).iter().sum()
    };
    let drain_end = Instant::now() + Duration::from_secs(3);
    let mut last = delivered_sum(&loads);
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let now = delivered_sum(&loads);
        if now == last || Instant::now() > drain_end {
            break;
        }
        last = now;
    }
    let (expected_total, delivered_total) =
        loads
            .iter()
            .fold((0u64, 0u64), |(expected, delivered), (_, p, fan_out)| {
                (
                    expected + p.sent.load(Ordering::Relaxed) * *fan_out as u64,
                    delivered + p.delivered.load(Ordering::Relaxed),
                )
            });
    stop.store(true, Ordering::Relaxed);
    // Wake engines blocked in a receive.
    let waker = UdpSocket::bind("127.0.0.1:0").expect("waker");
    for (_, _, input) in &engines {
        for _ in 0..4 {
            let _ = waker.send_to(b"stop", input);
        }
    }
    for (handle, _, _) in engines {
        handle.join().expect("engine thread");
    }
    for (handle, _, _) in loads {
        handle.join().expect("load thread");
    }

    let wall = t1.duration_since(t0).as_secs_f64();
    let delivered: u64 = delivered1.iter().zip(&delivered0).map(|(b, a)| b - a).sum();
    let cpu_ns: u64 = cpu1.iter().zip(&cpu0).map(|(b, a)| b - a).sum();
    // pps per engine CPU-second, summed over engines (each engine has its own sinks).
    let pps_per_core: f64 = cpu0
        .iter()
        .zip(&cpu1)
        .zip(delivered0.iter().zip(&delivered1))
        .map(|((c0, c1), (d0, d1))| (d1 - d0) as f64 / ((c1 - c0) as f64 / 1e9).max(1e-9))
        .sum();
    Measurement {
        out_pps: delivered as f64 / wall,
        in_pps: (sent1 - sent0) as f64 / wall,
        engine_cpu_share: cpu_ns as f64 / 1e9 / wall,
        load_cpu_share: (load_cpu1 - load_cpu0) as f64 / 1e9 / wall,
        pps_per_core,
        loss: 1.0 - delivered_total as f64 / (expected_total as f64).max(1.0),
    }
}

/// The SRTP keys of one run: the talker's (the generator protects with it) and each
/// listener's (the core protects with it).
#[derive(Debug, Clone)]
struct Keys {
    talker: Vec<u8>,
    listeners: Vec<Vec<u8>>,
}

impl Keys {
    fn new(fan_out: usize) -> Self {
        Self {
            talker: key(1),
            listeners: (0..fan_out).map(|i| key(100 + i as u8)).collect(),
        }
    }

    fn policy(key: &[u8]) -> SrtpPolicy {
        SrtpPolicy::new(MasterKey::from_key_salt(SrtpSuite::AeadAes128Gcm, key).expect("GCM key"))
    }
}

/// A 28-byte AEAD_AES_128_GCM master key and salt derived from `seed`.
fn key(seed: u8) -> Vec<u8> {
    (0..28u8)
        .map(|i| i.wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// The generator socket and the sinks of one run.
struct LoadSide {
    scenario: Scenario,
    generator: UdpSocket,
    source: SocketAddr,
    sinks: PacketIo,
    sink_addrs: Vec<SocketAddr>,
    /// The first listener's receiving session, to check what arrives decrypts.
    checker: Option<SrtpSession>,
}

impl LoadSide {
    fn new(scenario: Scenario, keys: &Keys) -> Self {
        let generator = UdpSocket::bind("127.0.0.1:0").expect("generator socket");
        let source = generator.local_addr().expect("generator address");
        let mut sinks = PacketIo::new(IoBackendChoice::Mmsg).expect("sink PacketIo");
        let sink_addrs = (0..scenario.fan_out)
            .map(|_| {
                sinks
                    .bind("127.0.0.1:0".parse().expect("address"))
                    .expect("sink")
            })
            .collect();
        let checker = scenario
            .mode
            .srtp_out()
            .then(|| SrtpSession::receiver(Keys::policy(&keys.listeners[0])));
        Self {
            scenario,
            generator,
            source,
            sinks,
            sink_addrs,
            checker,
        }
    }

    /// Sends to `input` and counts what reaches the sinks, keeping at most [`WINDOW`]
    /// input packets in flight, until `stop`.
    fn run(
        mut self,
        cpu: usize,
        input: SocketAddr,
        keys: &Keys,
        progress: &Progress,
        stop: &AtomicBool,
    ) {
        pin_current_thread(cpu).expect("pin load thread");
        progress
            .tid
            .store(u64::from(current_tid()), Ordering::Relaxed);
        self.generator.connect(input).expect("connect generator");
        let fan_out = self.scenario.fan_out as u64;
        let mut protector =
            (self.scenario.mode.srtp_in()).then(|| SrtpSession::sender(Keys::policy(&keys.talker)));
        let unspecified: SocketAddr = "0.0.0.0:0".parse().expect("address");
        let mut batch: Vec<InDatagram<Box<[u8]>>> = (0..BATCH)
            .map(|_| InDatagram::new(0, unspecified, vec![0u8; 2048].into_boxed_slice(), 0))
            .collect();
        let mut packet = [0u8; 256];
        let (mut sent, mut delivered, mut written_off) = (0u64, 0u64, 0u64);
        let mut checked = 0;
        let mut last_progress = Instant::now();
        let mut seq: u16 = 0;
        let mut timestamp: u32 = 0;
        while !stop.load(Ordering::Relaxed) {
            let in_flight = (sent * fan_out).saturating_sub(delivered + written_off);
            let mut just_sent = false;
            let quiet = progress.quiet.load(Ordering::Relaxed);
            let (window, burst) = (WINDOW, BURST);
            if !quiet && in_flight + burst as u64 * fan_out <= window * fan_out {
                for _ in 0..burst {
                    let len = write_rtp(&mut packet, seq, timestamp);
                    let len = match protector.as_mut() {
                        Some(session) => session
                            .protect(&mut PacketBuf::new(&mut packet, len))
                            .expect("protect"),
                        None => len,
                    };
                    // A full socket buffer loses the packet; the window accounts for it.
                    let _ = self.generator.send(&packet[..len]);
                    seq = seq.wrapping_add(1);
                    timestamp = timestamp.wrapping_add(PAYLOAD_LEN as u32);
                }
                sent += burst as u64;
                progress.sent.store(sent, Ordering::Relaxed);
                just_sent = true;
            }
            let timeout = if just_sent {
                Duration::ZERO
            } else {
                Duration::from_millis(1)
            };
            let n = self
                .sinks
                .recv_batch(&mut batch, timeout)
                .expect("sink receive");
            let before = delivered;
            for datagram in batch.iter_mut().take(n) {
                if datagram.len != self.scenario.out_len() {
                    continue;
                }
                delivered += 1;
                if checked < 64 && datagram.local_port == self.sink_addrs[0].port() {
                    checked += 1;
                    check_payload(datagram, self.checker.as_mut());
                }
            }
            progress.delivered.store(delivered, Ordering::Relaxed);
            if delivered > before {
                last_progress = Instant::now();
            } else if last_progress.elapsed() > Duration::from_millis(250) {
                // Lost in flight (a queue overflowed): stop waiting for them.
                written_off = (sent * fan_out).saturating_sub(delivered);
                last_progress = Instant::now();
            }
        }
        assert!(
            checked > 0,
            "{}: nothing reached the first sink",
            self.scenario.label()
        );
    }
}

/// The bench's PCMU payload: a loud square wave, so the core's level is a talker's.
fn payload_byte(i: usize) -> u8 {
    if (i / 8).is_multiple_of(2) {
        0x10
    } else {
        0x90
    }
}

fn write_rtp(packet: &mut [u8], seq: u16, timestamp: u32) -> usize {
    packet[0] = 0x80;
    packet[1] = 0; // PCMU
    packet[2..4].copy_from_slice(&seq.to_be_bytes());
    packet[4..8].copy_from_slice(&timestamp.to_be_bytes());
    packet[8..12].copy_from_slice(&0x4d4e_0001u32.to_be_bytes());
    for (i, byte) in packet[12..RTP_LEN].iter_mut().enumerate() {
        *byte = payload_byte(i);
    }
    RTP_LEN
}

/// Asserts a delivered packet carries the generator's payload (decrypted first when
/// `checker` is given).
fn check_payload(datagram: &mut InDatagram<Box<[u8]>>, checker: Option<&mut SrtpSession>) {
    let len = match checker {
        Some(session) => session
            .unprotect(&mut PacketBuf::new(&mut datagram.buf, datagram.len))
            .expect("what the core protects decrypts under the listener's key"),
        None => datagram.len,
    };
    let payload = &datagram.buf[12..len];
    assert_eq!(payload.len(), PAYLOAD_LEN);
    assert!(
        payload
            .iter()
            .enumerate()
            .all(|(i, &b)| b == payload_byte(i)),
        "payload intact"
    );
}

/// Starts the engine of `scenario` on `cpu`; it sends its thread id and input address on
/// `ready`.
fn spawn_engine(
    scenario: Scenario,
    cpu: usize,
    sinks: Vec<SocketAddr>,
    talker: SocketAddr,
    keys: Keys,
    stop: Arc<AtomicBool>,
    ready: mpsc::Sender<EngineReady>,
) -> JoinHandle<()> {
    match scenario.engine {
        Engine::Reflector => std::thread::spawn(move || {
            pin_current_thread(cpu).expect("pin engine");
            let socket = UdpSocket::bind("127.0.0.1:0").expect("reflector socket");
            ready
                .send(EngineReady {
                    tid: current_tid(),
                    input: socket.local_addr().expect("address"),
                })
                .expect("ready");
            reflector::relay(&socket, &sinks, &stop).expect("reflector");
        }),
        Engine::Node(backend) => std::thread::spawn(move || {
            pin_current_thread(cpu).expect("pin engine");
            node_engine(backend, scenario.mode, &sinks, talker, &keys, &stop, &ready);
        }),
        Engine::Glommio => std::thread::spawn(move || {
            let executor = glommio::LocalExecutorBuilder::new(glommio::Placement::Fixed(cpu))
                .name("glommio-engine")
                .spawn(move || async move {
                    glommio_engine(scenario.mode, &sinks, talker, &keys, &stop, &ready).await;
                })
                .expect("glommio executor");
            executor.join().expect("glommio engine");
        }),
    }
}

/// A media core with one conference: leg 1 is the talker (its remote the generator),
/// legs 2.. the listeners (their remotes the sinks); `ports[i]` is leg i+1's port.
fn media_core(
    mode: Mode,
    ports: &[u16],
    talker: SocketAddr,
    sinks: &[SocketAddr],
    keys: &Keys,
) -> MediaCore {
    let now = Instant::now();
    let mut config = CoreConfig::default();
    config.rate_limit = RateLimit {
        packets_per_second: 10_000_000,
        burst: 1_000_000,
    };
    let mut core = MediaCore::new(config, now);
    core.create_conference(ConferenceId(1), SelectionPolicy::all())
        .expect("conference");
    let pcmu = PayloadTypes::single(0, Codec::Pcmu).expect("payload types");
    // Keys of directions nobody uses: the talker hears nothing, the listeners say nothing.
    let unused = key(200);
    let remotes = std::iter::once(talker).chain(sinks.iter().copied());
    for (i, (port, remote)) in ports.iter().zip(remotes).enumerate() {
        let media = match mode {
            Mode::Plain => MediaMode::Plain,
            Mode::PlainToSrtp if i == 0 => MediaMode::Plain,
            Mode::HopByHop if i == 0 => MediaMode::SrtpHopByHop {
                rx: Keys::policy(&keys.talker),
                tx: Keys::policy(&unused),
            },
            Mode::HopByHop | Mode::PlainToSrtp => MediaMode::SrtpHopByHop {
                rx: Keys::policy(&unused),
                tx: Keys::policy(&keys.listeners[i - 1]),
            },
        };
        let leg = LegConfig::new(*port, pcmu)
            .with_remote(remote)
            .with_media(media);
        core.add_leg(ConferenceId(1), LegId(i as u32 + 1), leg, now)
            .expect("leg");
    }
    core
}

fn node_engine(
    backend: IoBackendChoice,
    mode: Mode,
    sinks: &[SocketAddr],
    talker: SocketAddr,
    keys: &Keys,
    stop: &AtomicBool,
    ready: &mpsc::Sender<EngineReady>,
) {
    let mut io = PacketIo::new(backend).expect("PacketIo");
    let addrs: Vec<SocketAddr> = (0..=sinks.len())
        .map(|_| {
            io.bind("127.0.0.1:0".parse().expect("address"))
                .expect("leg socket")
        })
        .collect();
    let ports: Vec<u16> = addrs.iter().map(SocketAddr::port).collect();
    let mut core = media_core(mode, &ports, talker, sinks, keys);
    let unspecified: SocketAddr = "0.0.0.0:0".parse().expect("address");
    let mut batch: Vec<InDatagram<Box<[u8]>>> = (0..BATCH)
        .map(|_| InDatagram::new(0, unspecified, vec![0u8; 2048].into_boxed_slice(), 0))
        .collect();
    let mut outbox = Outbox::new(BATCH * (sinks.len() + 1) + 64);
    ready
        .send(EngineReady {
            tid: current_tid(),
            input: addrs[0],
        })
        .expect("ready");
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        let wait = core
            .poll_timeout()
            .map_or(Duration::from_millis(10), |at| {
                at.saturating_duration_since(now)
            })
            .min(Duration::from_millis(10));
        let n = io.recv_batch(&mut batch, wait).expect("recv_batch");
        let now = Instant::now();
        core.handle_datagrams(now, &mut batch[..n], &mut outbox);
        if core.poll_timeout().is_some_and(|at| at <= now) {
            core.handle_timeout(now, &mut outbox);
        }
        while core.poll_event().is_some() {}
        if !outbox.is_empty() {
            io.send_outbox(&outbox).expect("send_outbox");
            outbox.clear();
        }
    }
    report_drops(&core, io.counters().send_failed);
}

/// Prints what the core and the socket layer dropped, beyond the stop datagrams.
fn report_drops(core: &MediaCore, send_failed: u64) {
    let counters = core.counters();
    let drops = counters.drops.total();
    if drops > 8 || send_failed > 0 {
        eprintln!(
            "  engine: {} in, {} out, drops {:?}, send failures {send_failed}",
            counters.packets_in, counters.packets_out, counters.drops
        );
    }
}

async fn glommio_engine(
    mode: Mode,
    sinks: &[SocketAddr],
    talker: SocketAddr,
    keys: &Keys,
    stop: &AtomicBool,
    ready: &mpsc::Sender<EngineReady>,
) {
    use glommio::net::UdpSocket as GlommioSocket;
    let sockets: Vec<GlommioSocket> = (0..=sinks.len())
        .map(|_| {
            let socket = GlommioSocket::bind("127.0.0.1:0").expect("glommio socket");
            set_socket_buffers(&socket, DEFAULT_SOCKET_BUFFER_BYTES).expect("buffers");
            socket
        })
        .collect();
    let addrs: Vec<SocketAddr> = sockets
        .iter()
        .map(|s| s.local_addr().expect("address"))
        .collect();
    let ports: Vec<u16> = addrs.iter().map(SocketAddr::port).collect();
    let mut core = media_core(mode, &ports, talker, sinks, keys);
    let mut outbox = Outbox::new(BATCH * (sinks.len() + 1) + 64);
    let mut buf = vec![0u8; 2048];
    let mut send_failed = 0u64;
    ready
        .send(EngineReady {
            tid: current_tid(),
            input: addrs[0],
        })
        .expect("ready");
    while !stop.load(Ordering::Relaxed) {
        let Ok((len, source)) = sockets[0].recv_from(&mut buf).await else {
            continue;
        };
        let now = Instant::now();
        let mut batch = [InDatagram::new(ports[0], source, &mut buf[..], len)];
        core.handle_datagrams(now, &mut batch, &mut outbox);
        if core.poll_timeout().is_some_and(|at| at <= now) {
            core.handle_timeout(now, &mut outbox);
        }
        while core.poll_event().is_some() {}
        for datagram in outbox.datagrams() {
            if let Some(i) = ports.iter().position(|&p| p == datagram.local_port()) {
                if sockets[i]
                    .send_to(datagram.bytes(), datagram.destination())
                    .await
                    .is_err()
                {
                    send_failed += 1;
                }
            }
        }
        outbox.clear();
    }
    report_drops(&core, send_failed);
}

/// The kernel's id of the calling thread, from `/proc/thread-self`.
fn current_tid() -> u32 {
    let link = std::fs::read_link("/proc/thread-self").expect("/proc/thread-self");
    link.file_name()
        .and_then(|name| name.to_str())
        .and_then(|name| name.parse().ok())
        .expect("thread id")
}

/// Gives this process's scheduling autogroup (its session's: with autogroups on, the
/// kernel shares a CPU between sessions first, so a thread's own nice value does not
/// count against other sessions) the nice value `nice`, so that the machine's other
/// tenants (other jobs' builds) take less from the engines and the load. Run the bench
/// in a session of its own (`setsid`) to raise nothing else. 0 leaves it alone.
fn raise_session_priority(nice: i32) {
    if nice == 0 {
        return;
    }
    match std::fs::write("/proc/self/autogroup", nice.to_string()) {
        Ok(()) => eprintln!("scheduling: this session's autogroup at nice {nice}"),
        Err(err) => eprintln!("scheduling: could not set the autogroup's nice ({err})"),
    }
}

/// CPU time (ns) thread `tid` of this process has run, from its schedstat.
fn thread_cpu_ns(tid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat"))
        .ok()
        .and_then(|text| {
            text.split_whitespace()
                .next()
                .and_then(|ns| ns.parse().ok())
        })
        .unwrap_or(0)
}

/// The rtpengine comparison: rtpengine's userspace daemon and our node, each on the
/// engine CPU, relay calls of plain RTP as AEAD_AES_128_GCM SRTP. Each round searches,
/// for each engine, the most calls it relays without loss, and measures the CPU it
/// spends at one reference load; engines alternate within a round, so the machine's
/// other tenants weigh on all of them alike.
fn rtpengine_comparison() {
    let settings = PacedSettings::from_env();
    let handle = std::thread::spawn({
        let settings = settings.clone();
        move || {
            pin_current_thread(LOAD_CPU).expect("pin load thread");
            let mut load = paced::LoadSockets::new();
            let (generator, sink) = (load.generator_addr(), load.sink_addr());
            let warnings = Rc::new(Cell::new(0));
            let mut engines: Vec<PacedEngine> = vec![
                PacedEngine::new("rtpengine", None),
                PacedEngine::new("node/io_uring", Some(IoBackendChoice::IoUring)),
                PacedEngine::new("node/recvmmsg", Some(IoBackendChoice::Mmsg)),
            ];
            if let Some(only) = &settings.only {
                engines.retain(|engine| engine.label.contains(only.as_str()));
            }
            for round in 0..settings.rounds {
                eprintln!(
                    "rtpengine comparison, round {}/{}",
                    round + 1,
                    settings.rounds
                );
                for engine in &mut engines {
                    let mut start = || -> Box<dyn paced::Relay> {
                        match engine.backend {
                            None => {
                                let mut rtpengine = rtpengine_peer::RtpEngine::start(
                                    ENGINE_CPU,
                                    settings.rtpengine_threads,
                                    warnings.clone(),
                                );
                                rtpengine.set_up_calls(settings.max_calls, generator, sink);
                                Box::new(rtpengine)
                            }
                            Some(backend) => Box::new(node_relay::NodeRelay::start(
                                ENGINE_CPU,
                                backend,
                                settings.max_calls,
                                generator,
                                sink,
                            )),
                        }
                    };
                    let search = paced::search(
                        &mut load,
                        LOAD_CPU,
                        &mut start,
                        settings.first_calls,
                        settings.refine_steps,
                        settings.call_pps,
                        settings.window,
                        engine.label,
                    );
                    let relay = start();
                    let reference = paced::probe(
                        &mut load,
                        LOAD_CPU,
                        relay.as_ref(),
                        settings.reference_calls,
                        settings.call_pps,
                        settings.window,
                    );
                    drop(relay);
                    engine.searches.push(search);
                    engine.references.push(reference);
                }
            }
            (engines, warnings.get())
        }
    });
    let (engines, warnings) = handle.join().expect("paced comparison");
    report_paced(&settings, &engines, warnings);
}

/// What the rtpengine comparison runs, from the environment.
#[derive(Debug, Clone)]
struct PacedSettings {
    /// Packets per second of each call.
    call_pps: f64,
    /// Calls set up on each engine; the search goes no higher.
    max_calls: usize,
    /// The search's first probe.
    first_calls: usize,
    /// Halvings of the gap between the last lossless and the first lossy probe.
    refine_steps: usize,
    /// Calls of the reference load at which CPU per packet is compared.
    reference_calls: usize,
    /// Measured time of each probe.
    window: Duration,
    /// Rounds; the largest lossless count over them is reported (other tenants of the
    /// machine only ever lower it) with the median CPU at the reference load.
    rounds: usize,
    /// rtpengine's media threads.
    rtpengine_threads: usize,
    /// Only the engines whose label contains this.
    only: Option<String>,
}

impl PacedSettings {
    /// `FORWARDING_CALL_PPS` (default 50), `FORWARDING_MAX_CALLS` (4000),
    /// `FORWARDING_REFERENCE_CALLS` (1000), `FORWARDING_PACED_SECS` (2),
    /// `FORWARDING_PACED_ROUNDS` (3), `FORWARDING_RTPENGINE_THREADS` (1) and
    /// `FORWARDING_PACED_ONLY` (a part of an engine's label: `rtpengine`, `io_uring`,
    /// `recvmmsg`).
    fn from_env() -> Self {
        Self {
            call_pps: env_or("FORWARDING_CALL_PPS", 50.0),
            max_calls: env_or("FORWARDING_MAX_CALLS", 4000.0) as usize,
            first_calls: 250,
            refine_steps: 3,
            reference_calls: env_or("FORWARDING_REFERENCE_CALLS", 1000.0) as usize,
            window: Duration::from_secs_f64(env_or("FORWARDING_PACED_SECS", 2.0)),
            rounds: env_or("FORWARDING_PACED_ROUNDS", 3.0) as usize,
            rtpengine_threads: env_or("FORWARDING_RTPENGINE_THREADS", 1.0) as usize,
            only: std::env::var("FORWARDING_PACED_ONLY").ok(),
        }
    }
}

/// One engine of the rtpengine comparison and what its rounds found.
struct PacedEngine {
    label: &'static str,
    /// `None` for rtpengine, else our node's backend.
    backend: Option<IoBackendChoice>,
    searches: Vec<paced::Search>,
    references: Vec<paced::Probe>,
}

impl PacedEngine {
    fn new(label: &'static str, backend: Option<IoBackendChoice>) -> Self {
        Self {
            label,
            backend,
            searches: Vec::new(),
            references: Vec::new(),
        }
    }

    /// The lossless probe with the most calls over all rounds.
    fn best(&self) -> Option<paced::Probe> {
        self.searches
            .iter()
            .filter_map(paced::Search::best)
            .max_by_key(|p| p.calls)
    }

    /// Whether a round relayed every call set up without loss: the engine's limit lies
    /// beyond what was measured.
    fn capped(&self) -> bool {
        self.searches
            .iter()
            .any(|search| search.first_loss().is_none())
    }

    /// The reference probe with the median packets per CPU-second.
    fn reference(&self) -> Option<paced::Probe> {
        let mut sorted = self.references.clone();
        sorted.sort_by(|a, b| a.pps_per_core().total_cmp(&b.pps_per_core()));
        sorted.get(sorted.len() / 2).copied()
    }
}

fn report_paced(settings: &PacedSettings, engines: &[PacedEngine], warnings: usize) {
    println!(
        "\nrtpengine comparison: calls of one PCMU stream at {} pps each, plain RTP in, \
         AEAD_AES_128_GCM SRTP out; engine on CPU {ENGINE_CPU}, load on CPU {LOAD_CPU}; \
         {:.0} s per probe, {} rounds; lossless = every packet delivered within 100 ms \
         of the last send",
        settings.call_pps,
        settings.window.as_secs_f64(),
        settings.rounds
    );
    println!(
        "{:<16} {:>10} {:>10} {:>8} {:>16} {:>26}",
        "engine", "max calls", "max pps", "eng CPU", "max per round", "reference: CPU, pps/CPU-s"
    );
    for engine in engines {
        let best = engine.best();
        let per_round: Vec<String> = engine
            .searches
            .iter()
            .map(|search| {
                search
                    .best()
                    .map_or("0".to_string(), |b| b.calls.to_string())
            })
            .collect();
        let reference = engine.reference();
        println!(
            "{:<16} {:>10} {:>10.0} {:>7.0}% {:>16} {:>26}",
            engine.label,
            best.map_or("none".to_string(), |b| format!(
                "{}{}",
                if engine.capped() { ">=" } else { "" },
                b.calls
            )),
            best.map_or(0.0, |b| b.out_pps),
            best.map_or(0.0, |b| b.engine_cpu * 100.0),
            per_round.join("/"),
            reference.map_or("-".to_string(), |r| format!(
                "{:.0} % {:.0}{}",
                r.engine_cpu * 100.0,
                r.pps_per_core(),
                if r.lossless() { "" } else { " (lossy)" }
            )),
        );
    }
    println!("  rtpengine log lines about dropped input: {warnings}");
    let Some(peer) = engines.iter().find(|engine| engine.backend.is_none()) else {
        return;
    };
    for ours in engines.iter().filter(|engine| engine.backend.is_some()) {
        if let (Some(theirs), Some(mine)) = (peer.best(), ours.best()) {
            let ratio = mine.out_pps / theirs.out_pps;
            println!(
                "  {} / rtpengine, most pps at zero loss: {ratio:.2}x (target >= 3x: {}){}",
                ours.label,
                if ratio >= 3.0 { "met" } else { "NOT met" },
                if ours.capped() {
                    "; ours reached the most calls set up, its limit lies beyond"
                } else {
                    ""
                }
            );
        }
        if let (Some(theirs), Some(mine)) = (peer.reference(), ours.reference()) {
            println!(
                "  {} / rtpengine, packets per CPU-second at {} calls: {:.2}x",
                ours.label,
                settings.reference_calls,
                mine.pps_per_core() / theirs.pps_per_core()
            );
        }
    }
}
