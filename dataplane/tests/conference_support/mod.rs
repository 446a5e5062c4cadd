//! Shared pieces of the conference core tests: a scripted clock, hand-built RTP packets
//! (bytes written here, not by the crate's builders), endpoints with their own SRTP
//! sessions, and a harness that feeds batches and collects what the core sends.

#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use medianode_dataplane::conference::{
    Codec, ConferenceId, CoreConfig, CoreEvent, InDatagram, LegConfig, LegId, MediaCore, MediaMode,
    Outbox, PayloadTypes,
};
use medianode_dataplane::srtp::{MasterKey, PacketBuf, SrtpPolicy, SrtpSession, SrtpSuite};

/// One packet every 20 ms.
pub const PTIME: Duration = Duration::from_millis(20);
/// The payload types every test leg negotiates.
pub const PT_OPUS: u8 = 111;
pub const PT_PCMU: u8 = 0;
pub const PT_DTMF: u8 = 101;
/// The RFC 6464 extension id every test leg negotiates.
pub const LEVEL_ID: u8 = 1;

pub fn addr(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

pub fn payload_types() -> PayloadTypes {
    PayloadTypes::new()
        .with(PT_OPUS, Codec::Opus)
        .and_then(|t| t.with(PT_PCMU, Codec::Pcmu))
        .and_then(|t| t.with(PT_DTMF, Codec::TelephoneEvent { clock_rate: 48_000 }))
        .expect("valid payload types")
}

/// An RTP packet: fixed header, an RFC 8285 one-byte extension with the audio level when
/// `level` is given, then `payload`.
pub fn rtp(pt: u8, seq: u16, ts: u32, ssrc: u32, level: Option<u8>, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(32 + payload.len());
    p.push(if level.is_some() { 0x90 } else { 0x80 });
    p.push(pt);
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    if let Some(level) = level {
        // Profile 0xBEDE, one word: id/len byte, the level (V bit set), two padding bytes.
        p.extend_from_slice(&[0xBE, 0xDE, 0x00, 0x01, LEVEL_ID << 4, 0x80 | level, 0, 0]);
    }
    p.extend_from_slice(payload);
    p
}

pub fn ssrc_of(packet: &[u8]) -> u32 {
    u32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]])
}

pub fn seq_of(packet: &[u8]) -> u16 {
    u16::from_be_bytes([packet[2], packet[3]])
}

/// A master key whose bytes are all `byte`.
pub fn key(suite: SrtpSuite, byte: u8) -> MasterKey {
    MasterKey::from_key_salt(suite, &vec![byte; suite.key_salt_len()]).expect("key length")
}

pub fn policy(suite: SrtpSuite, byte: u8) -> SrtpPolicy {
    SrtpPolicy::new(key(suite, byte))
}

/// A test endpoint: its address, SSRC and sequence, and for SRTP legs the sessions it
/// would hold (sending under the leg's rx key, receiving under the leg's tx key).
pub struct Endpoint {
    pub addr: SocketAddr,
    pub ssrc: u32,
    pub seq: u16,
    pub ts: u32,
    pub send: Option<SrtpSession>,
    pub receive: Option<SrtpSession>,
}

impl Endpoint {
    pub fn plain(port: u16, ssrc: u32) -> Self {
        Self {
            addr: addr(port),
            ssrc,
            seq: 1000,
            ts: 5000,
            send: None,
            receive: None,
        }
    }

    /// An endpoint of a hop-by-hop leg: it sends with key `rx_byte` and receives with
    /// `tx_byte` (the leg's keys, seen from the endpoint).
    pub fn srtp(port: u16, ssrc: u32, suite: SrtpSuite, rx_byte: u8, tx_byte: u8) -> Self {
        Self {
            send: Some(SrtpSession::sender(policy(suite, rx_byte))),
            receive: Some(SrtpSession::receiver(policy(suite, tx_byte))),
            ..Self::plain(port, ssrc)
        }
    }

    /// The leg's media mode matching [`Endpoint::srtp`].
    pub fn hop_by_hop_mode(suite: SrtpSuite, rx_byte: u8, tx_byte: u8) -> MediaMode {
        MediaMode::SrtpHopByHop {
            rx: policy(suite, rx_byte),
            tx: policy(suite, tx_byte),
        }
    }

    /// The next Opus packet at `level`, protected if the endpoint sends SRTP.
    pub fn next(&mut self, level: Option<u8>, payload: &[u8]) -> Vec<u8> {
        self.next_with(PT_OPUS, level, payload)
    }

    pub fn next_with(&mut self, pt: u8, level: Option<u8>, payload: &[u8]) -> Vec<u8> {
        let packet = rtp(pt, self.seq, self.ts, self.ssrc, level, payload);
        self.seq = self.seq.wrapping_add(1);
        self.ts = self.ts.wrapping_add(960);
        self.protect(packet)
    }

    pub fn protect(&mut self, packet: Vec<u8>) -> Vec<u8> {
        match &mut self.send {
            None => packet,
            Some(session) => {
                let mut storage = packet.clone();
                storage.resize(packet.len() + 64, 0);
                let len = session
                    .protect(&mut PacketBuf::new(&mut storage, packet.len()))
                    .expect("protect");
                storage.truncate(len);
                storage
            }
        }
    }

    pub fn protect_rtcp(&mut self, packet: Vec<u8>) -> Vec<u8> {
        match &mut self.send {
            None => packet,
            Some(session) => {
                let mut storage = packet.clone();
                storage.resize(packet.len() + 64, 0);
                let len = session
                    .protect_rtcp(&mut PacketBuf::new(&mut storage, packet.len()))
                    .expect("protect rtcp");
                storage.truncate(len);
                storage
            }
        }
    }

    /// Unprotects what the core sent this endpoint (plain endpoints take it as is).
    pub fn open(&mut self, packet: &[u8]) -> Option<Vec<u8>> {
        match &mut self.receive {
            None => Some(packet.to_vec()),
            Some(session) => {
                let mut storage = packet.to_vec();
                let len = session
                    .unprotect(&mut PacketBuf::new(&mut storage, packet.len()))
                    .ok()?;
                storage.truncate(len);
                Some(storage)
            }
        }
    }

    pub fn open_rtcp(&mut self, packet: &[u8]) -> Option<Vec<u8>> {
        match &mut self.receive {
            None => Some(packet.to_vec()),
            Some(session) => {
                let mut storage = packet.to_vec();
                let len = session
                    .unprotect_rtcp(&mut PacketBuf::new(&mut storage, packet.len()))
                    .ok()?;
                storage.truncate(len);
                Some(storage)
            }
        }
    }
}

/// One datagram the core sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub local_port: u16,
    pub destination: SocketAddr,
    pub bytes: Vec<u8>,
}

/// A core under a scripted clock.
pub struct Harness {
    pub core: MediaCore,
    pub outbox: Outbox,
    pub start: Instant,
    pub now: Instant,
}

impl Harness {
    pub fn new(config: CoreConfig) -> Self {
        let start = Instant::now();
        Self {
            core: MediaCore::new(config, start),
            outbox: Outbox::new(1024),
            start,
            now: start,
        }
    }

    pub fn with_defaults() -> Self {
        Self::new(CoreConfig::default())
    }

    pub fn conference(
        &mut self,
        id: u32,
        policy: medianode_dataplane::conference::SelectionPolicy,
    ) {
        self.core
            .create_conference(ConferenceId(id), policy)
            .expect("create conference");
    }

    pub fn leg(&mut self, conference: u32, leg: u32, config: LegConfig) {
        self.core
            .add_leg(ConferenceId(conference), LegId(leg), config, self.now)
            .expect("add leg");
    }

    /// Feeds one batch of `(local port, source, bytes)` and returns what the core sent.
    pub fn batch(&mut self, packets: Vec<(u16, SocketAddr, Vec<u8>)>) -> Vec<Sent> {
        let mut datagrams: Vec<InDatagram<Vec<u8>>> = packets
            .into_iter()
            .map(|(port, source, bytes)| {
                let len = bytes.len();
                let mut buf = bytes;
                buf.resize(len + 64, 0);
                InDatagram::new(port, source, buf, len)
            })
            .collect();
        self.core
            .handle_datagrams(self.now, &mut datagrams, &mut self.outbox);
        self.drain()
    }

    /// Moves the clock to `at`, running every deadline on the way; returns what was sent.
    pub fn advance_to(&mut self, at: Instant) -> Vec<Sent> {
        self.advance_to_timed(at)
            .into_iter()
            .map(|(_, s)| s)
            .collect()
    }

    /// As [`Harness::advance_to`], with the time each datagram was sent.
    pub fn advance_to_timed(&mut self, at: Instant) -> Vec<(Instant, Sent)> {
        let mut sent = Vec::new();
        while let Some(deadline) = self.core.poll_timeout() {
            if deadline > at {
                break;
            }
            self.now = self.now.max(deadline);
            self.core.handle_timeout(self.now, &mut self.outbox);
            let now = self.now;
            sent.extend(self.drain().into_iter().map(|s| (now, s)));
        }
        self.now = self.now.max(at);
        sent
    }

    pub fn advance(&mut self, by: Duration) -> Vec<Sent> {
        let at = self.now + by;
        self.advance_to(at)
    }

    pub fn drain(&mut self) -> Vec<Sent> {
        let sent = self
            .outbox
            .datagrams()
            .iter()
            .map(|d| Sent {
                local_port: d.local_port(),
                destination: d.destination(),
                bytes: d.bytes().to_vec(),
            })
            .collect();
        self.outbox.clear();
        sent
    }

    pub fn events(&mut self) -> Vec<CoreEvent> {
        std::iter::from_fn(|| self.core.poll_event()).collect()
    }
}

/// The SSRCs in `sent` addressed to `destination`, in order.
pub fn ssrcs_to(sent: &[Sent], destination: SocketAddr) -> Vec<u32> {
    sent.iter()
        .filter(|s| s.destination == destination)
        .map(|s| ssrc_of(&s.bytes))
        .collect()
}
