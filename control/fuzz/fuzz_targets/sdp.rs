//! Any bytes through the SDP parser, the focus's reading of an audio offer (with and
//! without a conference codec lock) and the writing of the answer; an answer the node
//! writes must itself parse, keep one `m=` line per offered stream, and read back as the
//! same codec and payload type.
#![no_main]

use libfuzzer_sys::fuzz_target;
use medianode_control::sip::sdp::{
    write_answer, AnswerCrypto, AnswerMedia, AudioCodec, AudioOffer, CodecLock, Direction,
    SessionDescription,
};

/// The locks a conference may hold when a later participant's offer arrives.
const LOCKS: [Option<CodecLock>; 4] = [
    None,
    Some(CodecLock {
        codec: AudioCodec::Pcma,
        payload_type: 8,
        telephone_event: Some(101),
    }),
    Some(CodecLock {
        codec: AudioCodec::Pcmu,
        payload_type: 0,
        telephone_event: None,
    }),
    Some(CodecLock {
        codec: AudioCodec::Opus,
        payload_type: 111,
        telephone_event: Some(126),
    }),
];

fuzz_target!(|data: &[u8]| {
    let Ok(offer) = SessionDescription::parse(data) else {
        return;
    };
    for lock in LOCKS {
        let Ok(audio) = AudioOffer::read(&offer, lock) else {
            continue;
        };
        let _ = (
            audio.is_hold(),
            audio.is_secure(),
            audio.remote_ip(),
            audio.lock(),
        );
        // The offered key parameters stand in for the node's own (same suite, same length).
        let offered = audio.crypto.as_ref().map(|c| (c, c.to_string()));
        let crypto = offered.as_ref().and_then(|(c, text)| {
            Some(AnswerCrypto {
                tag: c.tag,
                suite: c.suite,
                key: text.splitn(3, ' ').nth(2)?,
            })
        });
        let media = AnswerMedia {
            local: "127.0.0.1:40000".parse().expect("a literal address"),
            direction: Direction::SendRecv,
            crypto,
            session_id: 1,
            session_version: 2,
        };
        let answer = write_answer(&offer, &audio, &media);
        let parsed = SessionDescription::parse(answer.as_bytes()).expect("the answer parses");
        assert_eq!(
            parsed.media.len(),
            offer.media.len(),
            "one m= per offered stream"
        );
        let again = AudioOffer::read(&parsed, Some(audio.lock())).expect("the answer reads back");
        assert_eq!(again.index, audio.index);
        assert_eq!(again.codec, audio.codec);
        assert_eq!(again.payload_type, audio.payload_type);
    }
});
