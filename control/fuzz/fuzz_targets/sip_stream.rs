//! Any byte stream through the stream deframer, delivered whole and in chunks of the size
//! the first byte picks: framing must not depend on how the bytes arrived, must stay
//! within its limits, and every frame must survive the message parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use medianode_control::sip::framing::{Frame, FramingError, FramingLimits, StreamDeframer};
use medianode_control::sip::Message;

const LIMITS: FramingLimits = FramingLimits {
    max_head: 2048,
    max_body: 2048,
};

#[derive(Debug, PartialEq, Eq)]
enum Got {
    Message(Vec<u8>),
    Ping,
    Pong,
}

fn frames(data: &[u8], chunk: usize) -> (Vec<Got>, Option<FramingError>, Option<Vec<u8>>) {
    let mut deframer = StreamDeframer::new(LIMITS);
    let mut got = Vec::new();
    for part in data.chunks(chunk) {
        deframer.push(part);
        assert!(deframer.buffered() <= LIMITS.max_head + LIMITS.max_body + chunk);
        loop {
            match deframer.next_frame() {
                Ok(Some(Frame::Message(m))) => {
                    assert!(m.len() <= LIMITS.max_head + LIMITS.max_body);
                    let _ = Message::new_checked(m);
                    got.push(Got::Message(m.to_vec()));
                }
                Ok(Some(Frame::KeepAlivePing)) => got.push(Got::Ping),
                Ok(Some(Frame::KeepAlivePong)) => got.push(Got::Pong),
                Ok(None) => break,
                Err(e) => {
                    let head = deframer.failed_head().map(<[u8]>::to_vec);
                    return (got, Some(e), head);
                }
            }
        }
    }
    (got, None, None)
}

fuzz_target!(|data: &[u8]| {
    let Some((&size, stream)) = data.split_first() else {
        return;
    };
    let whole = frames(stream, stream.len().max(1));
    let chunked = frames(stream, usize::from(size).max(1));
    assert_eq!(whole, chunked);
});
