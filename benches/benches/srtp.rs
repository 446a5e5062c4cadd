//! SRTP protect and unprotect, ours against libsrtp2 on the same packets in the same run.
//!
//! Every suite both implement, payloads of 60, 160 and 1200 bytes after a 12-byte RTP
//! header, one packet per call and batches of 32 (libsrtp2 has no batch call, so its batch
//! is a loop of 32 single calls). Each timed call gets fresh packets with consecutive
//! sequence numbers, prepared outside the timed region, so replay checks pass on both sides.
//!
//! Criterion records every case (`target/criterion`); after it, the bench times each case
//! again itself, alternating ours and libsrtp2 chunk by chunk so that machine drift hits
//! both alike, and prints the medians as "suite size mode op ours_ns libsrtp2_ns ratio",
//! then the targets of benches/RESULTS-srtp.md.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use libsrtp2_peer::{Direction, Libsrtp2Session, SessionConfig, Suite};
use medianode_dataplane::srtp::{
    MasterKey, PacketBuffer, SrtpError, SrtpPolicy, SrtpSession, SrtpSuite,
};

/// Suites measured: every suite libsrtp2 implements like we do (libsrtp2 2.5's AES-192
/// key derivation is broken, and NULL/NULL does no cryptography).
const SUITES: [(SrtpSuite, Suite); 8] = [
    (SrtpSuite::AesCm128HmacSha1_80, Suite::AesCm128HmacSha1_80),
    (SrtpSuite::AesCm128HmacSha1_32, Suite::AesCm128HmacSha1_32),
    (SrtpSuite::AesCm256HmacSha1_80, Suite::AesCm256HmacSha1_80),
    (SrtpSuite::AesCm256HmacSha1_32, Suite::AesCm256HmacSha1_32),
    (SrtpSuite::AeadAes128Gcm, Suite::AeadAes128Gcm),
    (SrtpSuite::AeadAes256Gcm, Suite::AeadAes256Gcm),
    (SrtpSuite::NullHmacSha1_80, Suite::NullHmacSha1_80),
    (SrtpSuite::NullHmacSha1_32, Suite::NullHmacSha1_32),
];
const PAYLOADS: [usize; 3] = [60, 160, 1200];
const BATCHES: [usize; 2] = [1, 32];
const SSRC: u32 = 0x1122_3344;
/// Packets prepared per timed chunk: small enough to stay in L2 at 1200 bytes.
const CHUNK_PACKETS: usize = 256;
/// Room for a packet and any trailer.
const STORAGE: usize = 1536;

/// A packet in owned storage, as the I/O layer would hand it to the engine.
#[derive(Debug, Clone)]
struct Packet {
    storage: Box<[u8; STORAGE]>,
    len: usize,
}

impl PacketBuffer for Packet {
    fn storage(&self) -> &[u8] {
        &self.storage[..]
    }
    fn storage_mut(&mut self) -> &mut [u8] {
        &mut self.storage[..]
    }
    fn len(&self) -> usize {
        self.len
    }
    fn set_len(&mut self, len: usize) {
        self.len = len;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Protect,
    Unprotect,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Protect => "protect",
            Op::Unprotect => "unprotect",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Ours,
    Libsrtp2,
}

/// One side's sessions for one case, and the next sequence number to send.
#[derive(Debug)]
enum Sessions {
    Ours {
        sender: Box<SrtpSession>,
        receiver: Box<SrtpSession>,
    },
    Libsrtp2 {
        sender: Libsrtp2Session,
        receiver: Libsrtp2Session,
    },
}

/// A case being measured: sessions, packets in flight, and the results buffer.
#[derive(Debug)]
struct Runner {
    op: Op,
    batch: usize,
    sessions: Sessions,
    seq: u16,
    template: Vec<u8>,
    packets: Vec<Packet>,
    results: Vec<Result<usize, SrtpError>>,
}

fn key_salt(suite: SrtpSuite) -> Vec<u8> {
    (0..suite.key_salt_len())
        .map(|i| (i * 29 + 11) as u8)
        .collect()
}

impl Runner {
    fn new(pair: (SrtpSuite, Suite), side: Side, op: Op, payload: usize, batch: usize) -> Self {
        let (ours, theirs) = pair;
        let key = key_salt(ours);
        let sessions = match side {
            Side::Ours => {
                let policy = || SrtpPolicy::new(MasterKey::from_key_salt(ours, &key).expect("key"));
                Sessions::Ours {
                    sender: Box::new(SrtpSession::sender(policy())),
                    receiver: Box::new(SrtpSession::receiver(policy())),
                }
            }
            Side::Libsrtp2 => {
                let session = |direction| {
                    Libsrtp2Session::new(&SessionConfig::new(theirs, &key, direction))
                        .expect("libsrtp2 session")
                };
                Sessions::Libsrtp2 {
                    sender: session(Direction::Outbound),
                    receiver: session(Direction::Inbound),
                }
            }
        };
        // A 12-byte RTP header (sequence number and timestamp set per packet), then payload.
        let mut template = vec![0x80, 0, 0, 0, 0, 0, 0, 0];
        template.extend_from_slice(&SSRC.to_be_bytes());
        template.extend((0..payload).map(|i| (i * 7 + 1) as u8));
        let chunk = CHUNK_PACKETS / batch * batch;
        Self {
            op,
            batch,
            sessions,
            seq: 1,
            template,
            packets: vec![
                Packet {
                    storage: Box::new([0; STORAGE]),
                    len: 0
                };
                chunk
            ],
            results: vec![Err(SrtpError::PacketTooShort); batch],
        }
    }

    /// Untimed: fills the chunk with fresh RTP packets, protected too when measuring
    /// unprotect.
    fn prepare(&mut self) {
        let len = self.template.len();
        for packet in self.packets.iter_mut() {
            packet.storage[..len].copy_from_slice(&self.template);
            packet.storage[2..4].copy_from_slice(&self.seq.to_be_bytes());
            packet.storage[4..8].copy_from_slice(&(u32::from(self.seq) * 160).to_be_bytes());
            packet.len = len;
            self.seq = self.seq.wrapping_add(1);
        }
        if self.op == Op::Unprotect {
            self.protect_chunk();
        }
    }

    fn protect_chunk(&mut self) {
        match &mut self.sessions {
            Sessions::Ours { sender, .. } => {
                for batch in self.packets.chunks_mut(self.batch) {
                    sender.protect_batch(batch, &mut self.results);
                    assert!(self.results.iter().all(Result::is_ok), "our protect failed");
                }
            }
            Sessions::Libsrtp2 { sender, .. } => {
                for packet in self.packets.iter_mut() {
                    packet.len = sender
                        .protect_rtp_in(&mut packet.storage[..], packet.len)
                        .expect("libsrtp2 protect");
                }
            }
        }
    }

    fn unprotect_chunk(&mut self) {
        match &mut self.sessions {
            Sessions::Ours { receiver, .. } => {
                for batch in self.packets.chunks_mut(self.batch) {
                    receiver.unprotect_batch(batch, &mut self.results);
                    assert!(
                        self.results.iter().all(Result::is_ok),
                        "our unprotect failed"
                    );
                }
            }
            Sessions::Libsrtp2 { receiver, .. } => {
                for packet in self.packets.iter_mut() {
                    packet.len = receiver
                        .unprotect_rtp_in(&mut packet.storage[..], packet.len)
                        .expect("libsrtp2 unprotect");
                }
            }
        }
    }

    /// Prepares and processes one chunk; returns the time the processing took.
    fn timed_chunk(&mut self) -> Duration {
        self.prepare();
        let start = Instant::now();
        match self.op {
            Op::Protect => self.protect_chunk(),
            Op::Unprotect => self.unprotect_chunk(),
        }
        let elapsed = start.elapsed();
        black_box(&self.packets);
        elapsed
    }

    /// Criterion's `iter_custom`: the time of `calls` batch calls.
    fn time_calls(&mut self, calls: u64) -> Duration {
        let calls_per_chunk = (self.packets.len() / self.batch) as u64;
        let mut total = Duration::ZERO;
        let mut done = 0;
        while done < calls {
            total += self.timed_chunk();
            done += calls_per_chunk;
        }
        // Whole chunks may overshoot `calls`; scale to what was asked for.
        total.mul_f64(calls as f64 / done as f64)
    }

    fn chunk_packets(&self) -> usize {
        self.packets.len()
    }
}

fn suite_name(suite: SrtpSuite) -> &'static str {
    suite.sdes_name()
}

fn mode_name(batch: usize) -> String {
    if batch == 1 {
        "single".to_owned()
    } else {
        format!("batch{batch}")
    }
}

fn criterion_benches(c: &mut Criterion) {
    for pair in SUITES {
        for op in [Op::Protect, Op::Unprotect] {
            for batch in BATCHES {
                let mut group = c.benchmark_group(format!(
                    "srtp_{}_{}_{}",
                    suite_name(pair.0),
                    op.name(),
                    mode_name(batch)
                ));
                group.throughput(Throughput::Elements(batch as u64));
                for payload in PAYLOADS {
                    for (side, label) in [(Side::Ours, "ours"), (Side::Libsrtp2, "libsrtp2")] {
                        let mut runner = Runner::new(pair, side, op, payload, batch);
                        group.bench_function(BenchmarkId::new(label, payload), |b| {
                            b.iter_custom(|calls| runner.time_calls(calls))
                        });
                    }
                }
                group.finish();
            }
        }
    }
}

/// One row of the ratio table.
#[derive(Debug)]
struct Row {
    suite: SrtpSuite,
    payload: usize,
    batch: usize,
    op: Op,
    ours_ns: f64,
    libsrtp2_ns: f64,
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Times ours and libsrtp2 chunk by chunk, alternating, and returns median ns per packet.
fn measure_pair(pair: (SrtpSuite, Suite), op: Op, payload: usize, batch: usize) -> Row {
    const WARM_UP_CHUNKS: usize = 4;
    const CHUNKS: usize = 41;
    let mut ours = Runner::new(pair, Side::Ours, op, payload, batch);
    let mut theirs = Runner::new(pair, Side::Libsrtp2, op, payload, batch);
    let per_packet = |runner: &mut Runner| {
        runner.timed_chunk().as_nanos() as f64 / runner.chunk_packets() as f64
    };
    for _ in 0..WARM_UP_CHUNKS {
        per_packet(&mut ours);
        per_packet(&mut theirs);
    }
    let mut ours_ns = Vec::with_capacity(CHUNKS);
    let mut theirs_ns = Vec::with_capacity(CHUNKS);
    for _ in 0..CHUNKS {
        ours_ns.push(per_packet(&mut ours));
        theirs_ns.push(per_packet(&mut theirs));
    }
    Row {
        suite: pair.0,
        payload,
        batch,
        op,
        ours_ns: median(&mut ours_ns),
        libsrtp2_ns: median(&mut theirs_ns),
    }
}

/// Speed targets at 160-byte payloads in batches of 32 (ns per packet), with the minimum
/// speed-up over libsrtp2.
const TARGETS: [(SrtpSuite, Op, f64); 4] = [
    (SrtpSuite::AeadAes128Gcm, Op::Protect, 60.0),
    (SrtpSuite::AeadAes128Gcm, Op::Unprotect, 70.0),
    (SrtpSuite::AesCm128HmacSha1_80, Op::Protect, 150.0),
    (SrtpSuite::AesCm128HmacSha1_80, Op::Unprotect, 150.0),
];
const MIN_RATIO: f64 = 5.0;

/// The crypto kernel backends this CPU runs, for the record.
fn kernel_backends() -> String {
    use medianode_simd::crypto::{AesCtrBackend, GhashBackend, HmacSha1Backend};
    let hmac: Vec<&str> = HmacSha1Backend::ALL
        .into_iter()
        .filter(|b| b.is_available())
        .map(HmacSha1Backend::name)
        .collect();
    format!(
        "aes-ctr {}, ghash {}, hmac-sha1 available: {}",
        AesCtrBackend::best().name(),
        GhashBackend::best().name(),
        hmac.join(" ")
    )
}

fn print_ratio_table() {
    println!();
    println!("libsrtp2 {}", libsrtp2_peer::libsrtp2_version());
    println!("kernels: {}", kernel_backends());
    println!(
        "{:<24} {:>5} {:>8} {:>10} {:>10} {:>12} {:>7}",
        "suite", "size", "mode", "op", "ours_ns", "libsrtp2_ns", "ratio"
    );
    let mut rows = Vec::new();
    for pair in SUITES {
        for payload in PAYLOADS {
            for batch in BATCHES {
                for op in [Op::Protect, Op::Unprotect] {
                    let row = measure_pair(pair, op, payload, batch);
                    println!(
                        "{:<24} {:>5} {:>8} {:>10} {:>10.1} {:>12.1} {:>7.2}",
                        suite_name(row.suite),
                        row.payload,
                        mode_name(row.batch),
                        row.op.name(),
                        row.ours_ns,
                        row.libsrtp2_ns,
                        row.libsrtp2_ns / row.ours_ns
                    );
                    rows.push(row);
                }
            }
        }
    }
    println!();
    println!("targets (160-byte payload, batch of 32, ns per packet; ratio >= {MIN_RATIO}):");
    for (suite, op, limit) in TARGETS {
        let Some(row) = rows
            .iter()
            .find(|r| r.suite == suite && r.op == op && r.payload == 160 && r.batch == 32)
        else {
            continue;
        };
        let ratio = row.libsrtp2_ns / row.ours_ns;
        let met = row.ours_ns <= limit && ratio >= MIN_RATIO;
        println!(
            "{} {} ours {:.1} ns (target <= {limit}), libsrtp2 {:.1} ns, ratio {:.2}: {}",
            suite_name(suite),
            op.name(),
            row.ours_ns,
            row.libsrtp2_ns,
            ratio,
            if met { "met" } else { "NOT met" }
        );
    }
}

fn main() {
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
        .configure_from_args();
    criterion_benches(&mut criterion);
    criterion.final_summary();
    print_ratio_table();
}
