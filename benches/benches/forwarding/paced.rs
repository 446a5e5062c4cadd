//! The paced load of the rtpengine comparison: many calls, each one PCMU stream at a
//! telephone packet rate with its own phase, relayed by an engine as AEAD_AES_128_GCM
//! SRTP to one sink; and the search for the most calls an engine relays without loss.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use medianode_dataplane::conference::InDatagram;
use medianode_dataplane::srtp::{PacketBuf, SrtpPolicy, SrtpSession};
use medianode_netio::affinity::pin_current_thread;
use medianode_netio::{IoBackendChoice, PacketIo};

use super::{payload_byte, GCM_TAG, PAYLOAD_LEN, RTP_LEN};

/// Time from the first packet of a probe to the start of its measurement.
const WARMUP: Duration = Duration::from_millis(500);
/// How long after its last packet a probe's output must be complete: an engine that
/// needs longer has a standing backlog, so it is not keeping up.
const GRACE: Duration = Duration::from_millis(100);
/// Pause between probes, so one probe's backlog cannot reach the next.
const PAUSE: Duration = Duration::from_millis(300);
/// How late the generator may fall behind its schedule before the probe says the
/// load, not the engine, was the limit.
const MAX_LAG: Duration = Duration::from_millis(20);
/// How long the sink sleeps when it found nothing.
const SINK_POLL: Duration = Duration::from_micros(200);
/// Calls whose first delivered packet the sink decrypts and checks.
const CHECKED_CALLS: usize = 8;

/// One relayed call as the load sees it.
#[derive(Clone)]
pub(crate) struct CallPath {
    /// Where the generator sends the call's RTP.
    pub(crate) input: SocketAddr,
    /// The engine's port that sends it on as SRTP.
    pub(crate) output_port: u16,
    /// The key it protects with.
    pub(crate) policy: SrtpPolicy,
}

/// The 28-byte AEAD_AES_128_GCM key and salt of call `seed`.
pub(crate) fn call_key(seed: u32) -> Vec<u8> {
    let seed = seed.to_be_bytes();
    (0..28u8)
        .map(|i| i.wrapping_mul(37) ^ seed[usize::from(i % 4)])
        .collect()
}

/// The load's two sockets: the generator that sends every call's RTP, and the sink
/// that every call's SRTP goes to.
pub(crate) struct LoadSockets {
    generator: UdpSocket,
    sink: Sink,
    /// Each call's next sequence number and timestamp: streams go on across probes,
    /// as an engine would see a call that goes on.
    streams: Vec<(u16, u32)>,
}

impl LoadSockets {
    pub(crate) fn new() -> Self {
        let generator = UdpSocket::bind("127.0.0.1:0").expect("generator socket");
        generator
            .set_nonblocking(true)
            .expect("non-blocking generator");
        Self {
            generator,
            sink: Sink::new(),
            streams: Vec::new(),
        }
    }

    pub(crate) fn generator_addr(&self) -> SocketAddr {
        self.generator.local_addr().expect("generator address")
    }

    pub(crate) fn sink_addr(&self) -> SocketAddr {
        self.sink.addr
    }
}

/// The socket every call's output goes to, and its receive batch.
struct Sink {
    io: PacketIo,
    addr: SocketAddr,
    batch: Vec<InDatagram<Box<[u8]>>>,
}

impl Sink {
    fn new() -> Self {
        let mut io = PacketIo::new(IoBackendChoice::Mmsg).expect("sink PacketIo");
        let addr = io
            .bind("127.0.0.1:0".parse().expect("address"))
            .expect("sink socket");
        let unspecified: SocketAddr = "0.0.0.0:0".parse().expect("address");
        let batch = (0..64)
            .map(|_| InDatagram::new(0, unspecified, vec![0u8; 2048].into_boxed_slice(), 0))
            .collect();
        Self { io, addr, batch }
    }

    /// Takes what reached the sink within `timeout`; returns how many were the calls'
    /// SRTP packets, and checks the first of each of the first calls.
    fn take(&mut self, timeout: Duration, check: &mut Checker<'_>) -> u64 {
        let n = self
            .io
            .recv_batch(&mut self.batch, timeout)
            .expect("sink receive");
        let mut delivered = 0;
        for datagram in self.batch.iter_mut().take(n) {
            // RTP (version 2, PCMU) of the protected length: the engines' RTCP to the
            // sink is not counted.
            let rtp = datagram.len == RTP_LEN + GCM_TAG
                && datagram.buf[0] >> 6 == 2
                && datagram.buf[1] & 0x7f == 0;
            if rtp {
                delivered += 1;
                check.first_of(datagram);
            }
        }
        delivered
    }

    /// Counts into `delivered` what arrives until `stop`. Between looks it sleeps on
    /// a timer, not on the socket: a sink waiting on its socket would make every
    /// engine pay for waking it (an inter-processor interrupt, a VM exit here) on
    /// its sends, which a listener on another host never costs. Returns how many
    /// first packets it checked.
    fn count_until(
        &mut self,
        cpu: usize,
        calls: &[CallPath],
        delivered: &AtomicU64,
        stop: &AtomicBool,
    ) -> usize {
        pin_current_thread(cpu).expect("pin sink");
        let mut check = Checker::new(calls);
        while !stop.load(Ordering::Relaxed) {
            let n = self.take(Duration::ZERO, &mut check);
            delivered.fetch_add(n, Ordering::Relaxed);
            if n == 0 {
                std::thread::sleep(SINK_POLL);
            }
        }
        check.checked
    }
}

/// Decrypts the first packet of each of the first calls and checks its payload.
struct Checker<'a> {
    calls: HashMap<u16, &'a CallPath>,
    checked: usize,
}

impl<'a> Checker<'a> {
    fn new(calls: &'a [CallPath]) -> Self {
        Self {
            calls: calls
                .iter()
                .take(CHECKED_CALLS)
                .map(|call| (call.output_port, call))
                .collect(),
            checked: 0,
        }
    }

    fn first_of(&mut self, datagram: &mut InDatagram<Box<[u8]>>) {
        let Some(call) = self.calls.remove(&datagram.source.port()) else {
            return;
        };
        let mut session = SrtpSession::receiver(call.policy.clone());
        let len = session
            .unprotect(&mut PacketBuf::new(&mut datagram.buf, datagram.len))
            .expect("the engine's SRTP decrypts under the call's key");
        let payload = &datagram.buf[12..len];
        assert!(
            payload.len() == PAYLOAD_LEN
                && payload
                    .iter()
                    .enumerate()
                    .all(|(i, &b)| b == payload_byte(i)),
            "payload intact through the engine"
        );
        self.checked += 1;
    }
}

/// An engine relaying calls.
pub(crate) trait Relay {
    /// The calls it has set up.
    fn calls(&self) -> &[CallPath];
    /// Nanoseconds of CPU the engine (all its threads) has used.
    fn cpu_ns(&self) -> u64;
}

/// One probe: `calls` calls at `call_pps` each for a warm-up and `window`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Probe {
    pub(crate) calls: usize,
    /// Packets per second offered (all calls).
    pub(crate) offered_pps: f64,
    /// Packets sent and delivered over the whole probe.
    pub(crate) sent: u64,
    pub(crate) delivered: u64,
    /// Packets per second delivered during the window.
    pub(crate) out_pps: f64,
    /// Engine CPU time over wall time during the window.
    pub(crate) engine_cpu: f64,
    /// The generator fell behind its schedule by more than [`MAX_LAG`].
    pub(crate) load_limited: bool,
}

impl Probe {
    /// Every packet arrived, within the grace time.
    pub(crate) fn lossless(&self) -> bool {
        self.delivered >= self.sent
    }

    pub(crate) fn loss(&self) -> f64 {
        1.0 - self.delivered as f64 / (self.sent as f64).max(1.0)
    }

    /// Delivered packets per second of engine CPU.
    pub(crate) fn pps_per_core(&self) -> f64 {
        self.out_pps / self.engine_cpu.max(1e-9)
    }
}

/// Runs one probe over the engine's first `count` calls: the generator on this
/// thread, the sink on a thread of its own, both on `cpu`.
pub(crate) fn probe(
    load: &mut LoadSockets,
    cpu: usize,
    engine: &dyn Relay,
    count: usize,
    call_pps: f64,
    window: Duration,
) -> Probe {
    let calls = engine.calls();
    let calls = &calls[..count.min(calls.len())];
    if load.streams.len() < calls.len() {
        load.streams.resize(calls.len(), (0, 0));
    }
    let delivered = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let LoadSockets {
        generator,
        sink,
        streams,
    } = load;
    std::thread::scope(|scope| {
        let counter = scope.spawn(|| sink.count_until(cpu, calls, &delivered, &stop));
        let sent = generate(
            generator, streams, calls, call_pps, window, engine, &delivered,
        );
        // What comes after the grace time is a standing backlog: taken and dropped
        // before the next probe.
        std::thread::sleep(PAUSE);
        stop.store(true, Ordering::Relaxed);
        let checked = counter.join().expect("sink thread");
        let probe = Probe {
            calls: calls.len(),
            offered_pps: call_pps * calls.len() as f64,
            ..sent
        };
        assert!(
            checked > 0 || probe.delivered == 0,
            "checked a delivered packet"
        );
        probe
    })
}

/// Sends every call's stream for [`WARMUP`] and `window`, measuring during the
/// window, then waits up to [`GRACE`] for the rest to arrive.
fn generate(
    generator: &UdpSocket,
    streams: &mut [(u16, u32)],
    calls: &[CallPath],
    call_pps: f64,
    window: Duration,
    engine: &dyn Relay,
    delivered: &AtomicU64,
) -> Probe {
    let total_pps = call_pps * calls.len() as f64;
    let mut packet = [0u8; RTP_LEN];
    let start = Instant::now();
    let window_start = start + WARMUP;
    let end = window_start + window;
    let (mut sent, mut next) = (0u64, 0u64);
    let mut lag = Duration::ZERO;
    let mut at_window_start: Option<(u64, u64, Instant)> = None;
    let due = |j: u64| start + Duration::from_secs_f64(j as f64 / total_pps);
    loop {
        let now = Instant::now();
        if at_window_start.is_none() && now >= window_start {
            at_window_start = Some((engine.cpu_ns(), delivered.load(Ordering::Relaxed), now));
        }
        if now >= end {
            break;
        }
        while due(next) <= now && due(next) < end {
            lag = lag.max(now.saturating_duration_since(due(next)));
            let call = (next % calls.len() as u64) as usize;
            let (seq, timestamp) = &mut streams[call];
            super::write_rtp(&mut packet, *seq, *timestamp);
            packet[8..12].copy_from_slice(&(0x5000_0000 + call as u32).to_be_bytes());
            *seq = seq.wrapping_add(1);
            *timestamp = timestamp.wrapping_add(PAYLOAD_LEN as u32);
            // A packet the kernel refused never reached the engine: not its loss.
            if generator.send_to(&packet, calls[call].input).is_ok() {
                sent += 1;
            }
            next += 1;
        }
        let idle = due(next).min(end).saturating_duration_since(Instant::now());
        if idle > Duration::from_micros(100) {
            std::thread::sleep(idle);
        }
    }
    let (cpu1, delivered1, t1) = (
        engine.cpu_ns(),
        delivered.load(Ordering::Relaxed),
        Instant::now(),
    );
    let (cpu0, delivered0, t0) = at_window_start.expect("the window started");
    let grace_end = Instant::now() + GRACE;
    while delivered.load(Ordering::Relaxed) < sent && Instant::now() < grace_end {
        std::thread::sleep(Duration::from_millis(1));
    }
    let wall = t1.duration_since(t0).as_secs_f64();
    Probe {
        calls: calls.len(),
        offered_pps: total_pps,
        sent,
        delivered: delivered.load(Ordering::Relaxed),
        out_pps: (delivered1 - delivered0) as f64 / wall,
        engine_cpu: (cpu1 - cpu0) as f64 / 1e9 / wall,
        load_limited: lag > MAX_LAG,
    }
}

/// The probes of one search, and the largest lossless one.
#[derive(Debug, Clone)]
pub(crate) struct Search {
    pub(crate) probes: Vec<Probe>,
}

impl Search {
    /// The probe with the most calls that lost nothing.
    pub(crate) fn best(&self) -> Option<Probe> {
        self.probes
            .iter()
            .filter(|p| p.lossless())
            .max_by_key(|p| p.calls)
            .copied()
    }

    /// The probe with the fewest calls that lost packets.
    pub(crate) fn first_loss(&self) -> Option<Probe> {
        self.probes
            .iter()
            .filter(|p| !p.lossless())
            .min_by_key(|p| p.calls)
            .copied()
    }
}

/// Finds the most calls an engine relays without loss: doubles the call count from
/// `first` until a probe loses packets or all calls run, then halves the gap
/// `refine` times. A fresh engine from `start` runs after every probe that lost
/// packets: an overloaded engine may keep state that hurts the next probe
/// (rtpengine stops reading a stream whose queue overflowed five times). Prints each
/// probe, prefixed by `label`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn search(
    load: &mut LoadSockets,
    cpu: usize,
    start: &mut dyn FnMut() -> Box<dyn Relay>,
    first: usize,
    refine: usize,
    call_pps: f64,
    window: Duration,
    label: &str,
) -> Search {
    let mut search = Search { probes: Vec::new() };
    let mut engine = Some(start());
    let all = engine.as_ref().map_or(0, |engine| engine.calls().len());
    let mut run =
        |count: usize, search: &mut Search| {
            let current = engine.take().unwrap_or_else(|| start());
            let p = probe(load, cpu, current.as_ref(), count, call_pps, window);
            if p.lossless() {
                engine = Some(current);
            }
            eprintln!(
            "  {label}: {:>5} calls {:>8.0} pps offered, loss {:>7.3} %, engine CPU {:>4.0} %{}",
            p.calls,
            p.offered_pps,
            p.loss() * 100.0,
            p.engine_cpu * 100.0,
            if p.load_limited { " (generator behind)" } else { "" }
        );
            search.probes.push(p);
            p.lossless()
        };
    let mut count = first.min(all);
    let (mut good, mut bad) = (0, None);
    loop {
        if run(count, &mut search) {
            good = count;
            if count == all {
                break;
            }
            count = (count * 2).min(all);
        } else {
            bad = Some(count);
            break;
        }
    }
    if let Some(mut bad) = bad {
        for _ in 0..refine {
            let middle = (good + bad) / 2;
            if middle <= good || middle >= bad {
                break;
            }
            if run(middle, &mut search) {
                good = middle;
            } else {
                bad = middle;
            }
        }
    }
    search
}
