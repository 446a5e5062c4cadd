//! Grouping RTP packets into streams and keeping both sets of statistics per stream:
//! tshark's (what rtp-stats prints) and RFC 3550's (what a receiver reports in RTCP).

use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::net::SocketAddr;

use medianode_dataplane::receive_stats::ReceiveStats;

use crate::capture::{CaptureError, CaptureReader, CapturedDatagram};

use super::detect::{rtp_fields, Confirmation, RtpFields, StreamKey, MAX_PENDING};
use super::payload_type::static_clock_rate;
use super::report::{CaptureReport, Rfc3550Report, StreamReport};
use super::tshark_metrics::{PacketSample, TsharkMetrics};

/// Unconfirmed candidates kept at most; beyond this the idle ones are forgotten.
const MAX_CANDIDATES: usize = 4096;
/// A candidate not seen for this many frames is idle.
const CANDIDATE_IDLE_FRAMES: u64 = 10_000;

/// What makes two packets part of the same stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StreamGrouping {
    /// Source, destination and SSRC, as tshark does: a sender that changes port starts a
    /// new stream.
    #[default]
    FiveTupleAndSsrc,
    /// SSRC alone, as a relay that follows a session does (rtpproxy's statistics).
    Ssrc,
}

/// How to find and group streams.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnalysisOptions {
    /// UDP ports whose datagrams are RTP without the consistency check (either end).
    pub forced_ports: Vec<u16>,
    /// Stream identity.
    pub grouping: StreamGrouping,
}

/// One RTP packet with where and when it was seen.
#[derive(Debug, Clone, Copy)]
struct Observation {
    fields: RtpFields,
    src: SocketAddr,
    dst: SocketAddr,
    timestamp_ns: u64,
    frame_index: u64,
}

#[derive(Debug)]
struct Candidate {
    confirmation: Confirmation,
    pending: VecDeque<Observation>,
    last_frame: u64,
}

#[derive(Debug)]
struct StreamState {
    src: SocketAddr,
    dst: SocketAddr,
    ssrc: u32,
    payload_types: Vec<u8>,
    first_frame: u64,
    start_ns: u64,
    end_ns: u64,
    clock_rate: Option<u32>,
    tshark: TsharkMetrics,
    rfc3550: ReceiveStats,
}

/// Accumulates RTP streams from UDP datagrams.
#[derive(Debug)]
pub struct StreamAnalysis {
    options: AnalysisOptions,
    /// Arrival origin for millisecond arithmetic: the first datagram's capture time.
    origin_ns: Option<u64>,
    index: HashMap<StreamKey, usize>,
    streams: Vec<StreamState>,
    candidates: HashMap<StreamKey, Candidate>,
}

impl StreamAnalysis {
    /// An empty analysis.
    pub fn new(options: AnalysisOptions) -> Self {
        StreamAnalysis {
            options,
            origin_ns: None,
            index: HashMap::new(),
            streams: Vec::new(),
            candidates: HashMap::new(),
        }
    }

    /// Takes in one datagram from a capture reader.
    pub fn add(&mut self, datagram: &CapturedDatagram<'_>) {
        self.add_parts(
            datagram.frame_index,
            datagram.timestamp_ns,
            datagram.src,
            datagram.dst,
            datagram.payload,
        );
    }

    /// Takes in one UDP datagram by its parts.
    pub fn add_parts(
        &mut self,
        frame_index: u64,
        timestamp_ns: u64,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
    ) {
        self.origin_ns.get_or_insert(timestamp_ns);
        let Some(fields) = rtp_fields(payload) else {
            return;
        };
        let observation = Observation {
            fields,
            src,
            dst,
            timestamp_ns,
            frame_index,
        };
        let key = self.key(&observation);
        if let Some(&i) = self.index.get(&key) {
            self.record(i, &observation);
            return;
        }
        let forced = self
            .options
            .forced_ports
            .iter()
            .any(|p| *p == src.port() || *p == dst.port());
        if forced {
            self.open_stream(key, &[observation]);
            return;
        }
        self.observe_candidate(key, observation);
    }

    fn key(&self, o: &Observation) -> StreamKey {
        match self.options.grouping {
            StreamGrouping::FiveTupleAndSsrc => StreamKey {
                src: o.src,
                dst: o.dst,
                ssrc: o.fields.ssrc,
            },
            StreamGrouping::Ssrc => StreamKey {
                src: SocketAddr::from(([0, 0, 0, 0], 0)),
                dst: SocketAddr::from(([0, 0, 0, 0], 0)),
                ssrc: o.fields.ssrc,
            },
        }
    }

    fn observe_candidate(&mut self, key: StreamKey, observation: Observation) {
        if self.candidates.len() >= MAX_CANDIDATES {
            let now = observation.frame_index;
            self.candidates
                .retain(|_, c| now.saturating_sub(c.last_frame) < CANDIDATE_IDLE_FRAMES);
        }
        let candidate = self.candidates.entry(key).or_insert_with(|| Candidate {
            confirmation: Confirmation::new(observation.fields.seq),
            pending: VecDeque::new(),
            last_frame: observation.frame_index,
        });
        let confirmed = if candidate.pending.is_empty() {
            false
        } else {
            candidate.confirmation.observe(observation.fields.seq)
        };
        if candidate.pending.len() == MAX_PENDING {
            candidate.pending.pop_front();
        }
        candidate.pending.push_back(observation);
        candidate.last_frame = observation.frame_index;
        if confirmed {
            if let Some(candidate) = self.candidates.remove(&key) {
                let pending: Vec<_> = candidate.pending.into_iter().collect();
                self.open_stream(key, &pending);
            }
        }
    }

    fn open_stream(&mut self, key: StreamKey, observations: &[Observation]) {
        let Some((first, rest)) = observations.split_first() else {
            return;
        };
        let clock_rate = static_clock_rate(first.fields.payload_type);
        let mut rfc3550 = ReceiveStats::new(first.fields.seq, clock_rate.unwrap_or(0));
        rfc3550.on_packet(first.fields.seq, first.fields.timestamp, first.timestamp_ns);
        let state = StreamState {
            src: first.src,
            dst: first.dst,
            ssrc: first.fields.ssrc,
            payload_types: vec![first.fields.payload_type],
            first_frame: first.frame_index,
            start_ns: first.timestamp_ns,
            end_ns: first.timestamp_ns,
            clock_rate,
            tshark: TsharkMetrics::new(&self.sample(first)),
            rfc3550,
        };
        let i = self.streams.len();
        self.streams.push(state);
        self.index.insert(key, i);
        for o in rest {
            self.record(i, o);
        }
    }

    fn sample(&self, o: &Observation) -> PacketSample {
        let origin = self.origin_ns.unwrap_or(o.timestamp_ns);
        let since_origin_ns = i128::from(o.timestamp_ns) - i128::from(origin);
        PacketSample {
            seq: o.fields.seq,
            timestamp: o.fields.timestamp,
            payload_type: o.fields.payload_type,
            marker: o.fields.marker,
            arrival_ms: since_origin_ns as f64 / 1e6,
        }
    }

    fn record(&mut self, i: usize, o: &Observation) {
        let sample = self.sample(o);
        let Some(stream) = self.streams.get_mut(i) else {
            return;
        };
        if !stream.payload_types.contains(&o.fields.payload_type) {
            stream.payload_types.push(o.fields.payload_type);
        }
        stream.end_ns = o.timestamp_ns;
        stream.tshark.on_packet(&sample);
        stream
            .rfc3550
            .on_packet(o.fields.seq, o.fields.timestamp, o.timestamp_ns);
    }

    /// The streams found, in order of their first packet. Candidates that never
    /// confirmed are left out.
    pub fn finish(self) -> Vec<StreamReport> {
        let mut streams: Vec<_> = self.streams.into_iter().map(report).collect();
        streams.sort_by_key(|s| s.first_frame);
        streams
    }
}

fn report(s: StreamState) -> StreamReport {
    let r = &s.rfc3550;
    StreamReport {
        src: s.src,
        dst: s.dst,
        ssrc: s.ssrc,
        payload_types: s.payload_types,
        packets: s.tshark.packets(),
        first_seq: s.tshark.first_seq(),
        last_seq: s.tshark.last_seq(),
        lost: s.tshark.lost(),
        duplicates: r.duplicates(),
        mean_jitter_ms: s.tshark.mean_jitter_ms(),
        max_jitter_ms: s.tshark.max_jitter_ms(),
        clock_rate: s.clock_rate,
        first_frame: s.first_frame,
        start_ns: s.start_ns,
        end_ns: s.end_ns,
        rfc3550: Rfc3550Report {
            expected: r.total_expected(),
            received: r.total_received(),
            cumulative_lost: r.cumulative_lost(),
            distinct_lost: r.distinct_lost(),
            duplicates: r.duplicates(),
            restarts: r.restarts(),
            extended_highest_sequence: r.extended_highest_sequence(),
            jitter_ms: r.units_to_ms(r.jitter()),
            mean_jitter_ms: r.units_to_ms(r.mean_jitter()),
            max_jitter_ms: r.units_to_ms(r.max_jitter()),
        },
    }
}

/// Reads a whole capture and analyses its RTP streams. A file cut short mid-record still
/// gives a report (flagged); any other read error is returned.
pub fn analyze_capture<R: Read>(
    input: R,
    options: AnalysisOptions,
) -> Result<CaptureReport, CaptureError> {
    let mut reader = CaptureReader::new(input)?;
    let mut analysis = StreamAnalysis::new(options);
    let mut udp_datagrams = 0;
    let mut truncated_file = false;
    while let Some(datagram) = reader.next_datagram() {
        match datagram {
            Ok(d) => {
                udp_datagrams += 1;
                analysis.add(&d);
            }
            Err(CaptureError::TruncatedFile) => truncated_file = true,
            Err(e) => return Err(e),
        }
    }
    Ok(CaptureReport {
        frames: reader.frames_read(),
        udp_datagrams,
        skipped: *reader.skipped(),
        truncated_file,
        streams: analysis.finish(),
    })
}
