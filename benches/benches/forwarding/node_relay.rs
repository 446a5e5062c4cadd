//! Our node as the engine of the paced comparison: one core's `PacketIo` and
//! `MediaCore`, a conference per call whose talker leg takes plain RTP from the generator
//! and whose listener leg sends AEAD_AES_128_GCM SRTP (hop-by-hop) to the sink.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use medianode_dataplane::conference::{
    Codec, ConferenceId, CoreConfig, InDatagram, LegConfig, LegId, MediaCore, MediaMode, Outbox,
    PayloadTypes, SelectionPolicy,
};
use medianode_dataplane::srtp::{MasterKey, SrtpPolicy, SrtpSuite};
use medianode_netio::affinity::pin_current_thread;
use medianode_netio::{IoBackendChoice, PacketIo};

use super::paced::{call_key, CallPath, Relay};
use super::{current_tid, thread_cpu_ns, BATCH};

/// A node core relaying calls on its own thread.
pub(crate) struct NodeRelay {
    handle: Option<JoinHandle<()>>,
    stop: Arc<AtomicBool>,
    tid: u32,
    calls: Vec<CallPath>,
}

impl NodeRelay {
    /// Starts a core on `cpu` over `backend` with `count` calls from `generator` to
    /// `sink`.
    pub(crate) fn start(
        cpu: usize,
        backend: IoBackendChoice,
        count: usize,
        generator: SocketAddr,
        sink: SocketAddr,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = mpsc::channel();
        let handle = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                pin_current_thread(cpu).expect("pin node core");
                run(backend, count, generator, sink, &stop, ready_tx);
            })
        };
        let (tid, calls) = ready_rx.recv().expect("node core ready");
        Self {
            handle: Some(handle),
            stop,
            tid,
            calls,
        }
    }
}

impl Relay for NodeRelay {
    fn calls(&self) -> &[CallPath] {
        &self.calls
    }

    fn cpu_ns(&self) -> u64 {
        thread_cpu_ns(self.tid)
    }
}

impl Drop for NodeRelay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

fn gcm(key: &[u8]) -> SrtpPolicy {
    SrtpPolicy::new(MasterKey::from_key_salt(SrtpSuite::AeadAes128Gcm, key).expect("GCM key"))
}

/// The core's thread: sets the calls up, reports them, then forwards until `stop`.
fn run(
    backend: IoBackendChoice,
    count: usize,
    generator: SocketAddr,
    sink: SocketAddr,
    stop: &AtomicBool,
    ready: mpsc::Sender<(u32, Vec<CallPath>)>,
) {
    let mut io = PacketIo::new(backend).expect("PacketIo");
    let now = Instant::now();
    let mut core = MediaCore::new(CoreConfig::default(), now);
    let pcmu = PayloadTypes::single(0, Codec::Pcmu).expect("payload types");
    let any_port: SocketAddr = "127.0.0.1:0".parse().expect("address");
    let mut calls = Vec::with_capacity(count);
    for index in 0..count {
        let input = io.bind(any_port).expect("talker socket");
        let output = io.bind(any_port).expect("listener socket");
        let conference = ConferenceId(index as u32 + 1);
        core.create_conference(conference, SelectionPolicy::all())
            .expect("conference");
        let talker = LegConfig::new(input.port(), pcmu)
            .with_remote(generator)
            .with_media(MediaMode::Plain);
        let policy = gcm(&call_key(index as u32));
        let listener = LegConfig::new(output.port(), pcmu)
            .with_remote(sink)
            .with_media(MediaMode::SrtpHopByHop {
                rx: gcm(&call_key(u32::MAX - index as u32)),
                tx: policy.clone(),
            });
        core.add_leg(conference, LegId(2 * index as u32 + 1), talker, now)
            .expect("talker leg");
        core.add_leg(conference, LegId(2 * index as u32 + 2), listener, now)
            .expect("listener leg");
        calls.push(CallPath {
            input,
            output_port: output.port(),
            policy,
        });
    }
    let unspecified: SocketAddr = "0.0.0.0:0".parse().expect("address");
    let mut batch: Vec<InDatagram<Box<[u8]>>> = (0..BATCH)
        .map(|_| InDatagram::new(0, unspecified, vec![0u8; 2048].into_boxed_slice(), 0))
        .collect();
    let mut outbox = Outbox::new(BATCH * 2 + 64);
    ready.send((current_tid(), calls)).expect("ready");
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
    super::report_drops(&core, io.counters().send_failed);
}
