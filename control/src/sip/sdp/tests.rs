use proptest::prelude::*;

use super::*;

const KEY: &str = "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";

fn offer(lines: &[&str]) -> SessionDescription {
    let mut text = String::from("v=0\r\no=alice 1 1 IN IP4 192.0.2.10\r\ns=-\r\nt=0 0\r\n");
    for line in lines {
        text.push_str(line);
        text.push_str("\r\n");
    }
    SessionDescription::parse(text.as_bytes()).unwrap()
}

#[test]
fn a_plain_pcma_offer_is_read_and_answered_with_the_node_address() {
    let sdp = offer(&[
        "c=IN IP4 192.0.2.10",
        "m=audio 49170 RTP/AVP 8 0 101",
        "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-15",
        "a=ptime:30",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    ]);
    let audio = AudioOffer::read(&sdp, None).unwrap();
    assert_eq!(audio.codec, AudioCodec::Pcma);
    assert_eq!(audio.payload_type, 8);
    assert_eq!(audio.telephone_event, Some(101));
    assert_eq!(audio.ptime, Some(30));
    assert_eq!(audio.remote, Some("192.0.2.10:49170".parse().unwrap()));
    assert_eq!(audio.direction, Direction::SendRecv);
    assert_eq!(audio.audio_level_id, Some(1));
    assert!(!audio.is_secure() && !audio.is_hold());
    let answer = write_answer(
        &sdp,
        &audio,
        &AnswerMedia {
            local: "127.0.0.1:20002".parse().unwrap(),
            direction: Direction::SendRecv,
            crypto: None,
            session_id: 7,
            session_version: 1,
        },
    );
    let back = SessionDescription::parse(answer.as_bytes()).unwrap();
    assert_eq!(back.connection, Some("127.0.0.1".parse().unwrap()));
    let m = &back.media[0];
    assert_eq!((m.port, m.proto.as_str()), (20002, "RTP/AVP"));
    assert_eq!(m.formats, vec!["8", "101"]);
    assert!(answer.contains("a=rtpmap:8 PCMA/8000\r\n"), "{answer}");
    assert!(answer.contains("a=rtpmap:101 telephone-event/8000\r\n"));
    assert!(answer.contains("a=ptime:30\r\n"));
    assert!(answer.contains("a=sendrecv\r\n"));
    assert!(answer.contains("a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"));
    assert!(!answer.contains("crypto"));
}

#[test]
fn opus_needs_two_channels_and_the_conference_lock_holds_its_payload_type() {
    let sdp = offer(&[
        "c=IN IP4 192.0.2.10",
        "m=audio 4000 RTP/AVP 96 97 0",
        "a=rtpmap:96 opus/48000",
        "a=rtpmap:97 opus/48000/2",
        "a=fmtp:97 useinbandfec=1",
    ]);
    let audio = AudioOffer::read(&sdp, None).unwrap();
    assert_eq!((audio.codec, audio.payload_type), (AudioCodec::Opus, 97));
    let lock = CodecLock {
        codec: AudioCodec::Opus,
        payload_type: 111,
        telephone_event: None,
    };
    assert_eq!(
        AudioOffer::read(&sdp, Some(lock)).unwrap_err(),
        NegotiationError::CodecLocked(lock)
    );
    let pcmu = CodecLock {
        codec: AudioCodec::Pcmu,
        payload_type: 0,
        telephone_event: None,
    };
    let audio = AudioOffer::read(&sdp, Some(pcmu)).unwrap();
    assert_eq!((audio.codec, audio.payload_type), (AudioCodec::Pcmu, 0));
    let audio = AudioOffer::read(&sdp, None).unwrap();
    let answer = write_answer(
        &sdp,
        &audio,
        &AnswerMedia {
            local: "[::1]:20000".parse().unwrap(),
            direction: Direction::SendRecv,
            crypto: None,
            session_id: 1,
            session_version: 2,
        },
    );
    assert!(answer.contains("c=IN IP6 ::1\r\n"), "{answer}");
    assert!(answer.contains("a=rtpmap:97 opus/48000/2\r\na=fmtp:97 useinbandfec=1\r\n"));
}

#[test]
fn savp_takes_the_first_usable_crypto_and_the_answer_carries_the_node_key() {
    let sdp = offer(&[
        "c=IN IP4 192.0.2.10",
        "m=audio 4000 RTP/SAVP 0",
        "a=crypto:1 NULL_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
        &format!("a=crypto:2 AES_CM_128_HMAC_SHA1_80 {KEY}"),
        "a=ssrc:305419896 cname:alice",
        "a=rtcp-mux",
    ]);
    let audio = AudioOffer::read(&sdp, None).unwrap();
    let crypto = audio.crypto.as_ref().unwrap();
    assert_eq!(crypto.tag, 2);
    assert_eq!(audio.ssrc, Some(305_419_896));
    assert!(audio.rtcp_mux && audio.is_secure());
    let answer = write_answer(
        &sdp,
        &audio,
        &AnswerMedia {
            local: "127.0.0.1:20000".parse().unwrap(),
            direction: Direction::SendRecv,
            crypto: Some(AnswerCrypto {
                tag: 2,
                suite: crypto.suite,
                key: "inline:NODEKEY",
            }),
            session_id: 1,
            session_version: 1,
        },
    );
    assert!(answer.contains("m=audio 20000 RTP/SAVP 0\r\n"));
    assert!(answer.contains("a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:NODEKEY\r\n"));
    assert!(answer.contains("a=rtcp-mux\r\n"));

    let no_key = offer(&["c=IN IP4 192.0.2.10", "m=audio 4000 RTP/SAVP 0"]);
    assert_eq!(
        AudioOffer::read(&no_key, None).unwrap_err(),
        NegotiationError::NoUsableCrypto
    );
}

#[test]
fn hold_is_sendonly_inactive_or_the_zero_address() {
    for (lines, held) in [
        (
            vec![
                "c=IN IP4 192.0.2.10",
                "m=audio 4000 RTP/AVP 0",
                "a=sendonly",
            ],
            true,
        ),
        (
            vec![
                "c=IN IP4 192.0.2.10",
                "a=inactive",
                "m=audio 4000 RTP/AVP 0",
            ],
            true,
        ),
        (vec!["c=IN IP4 0.0.0.0", "m=audio 4000 RTP/AVP 0"], true),
        (
            vec![
                "c=IN IP4 192.0.2.10",
                "m=audio 4000 RTP/AVP 0",
                "a=recvonly",
            ],
            false,
        ),
    ] {
        let audio = AudioOffer::read(&offer(&lines), None).unwrap();
        assert_eq!(audio.is_hold(), held, "{lines:?}");
    }
}

#[test]
fn other_streams_are_refused_in_place_and_unsupported_offers_say_why() {
    let sdp = offer(&[
        "c=IN IP4 192.0.2.10",
        "m=video 5000 RTP/AVP 96",
        "m=audio 4000 RTP/AVP 18 0",
    ]);
    let audio = AudioOffer::read(&sdp, None).unwrap();
    assert_eq!(audio.index, 1);
    let answer = write_answer(
        &sdp,
        &audio,
        &AnswerMedia {
            local: "127.0.0.1:20000".parse().unwrap(),
            direction: Direction::SendRecv,
            crypto: None,
            session_id: 1,
            session_version: 1,
        },
    );
    let back = SessionDescription::parse(answer.as_bytes()).unwrap();
    assert_eq!(back.media.len(), 2);
    assert_eq!(
        (back.media[0].kind.as_str(), back.media[0].port),
        ("video", 0)
    );
    assert_eq!(back.media[1].formats, vec!["0"]);

    for (lines, error) in [
        (
            vec!["c=IN IP4 192.0.2.10", "m=audio 4000 RTP/AVP 18"],
            NegotiationError::NoCommonCodec,
        ),
        (
            vec!["c=IN IP4 192.0.2.10", "m=audio 0 RTP/AVP 0"],
            NegotiationError::NoAudio,
        ),
        (
            vec!["m=audio 4000 RTP/AVP 0"],
            NegotiationError::NoConnection,
        ),
        (
            vec!["c=IN IP4 192.0.2.10", "m=audio 4000 UDP/TLS/RTP/SAVPF 0"],
            NegotiationError::UnsupportedProto("UDP/TLS/RTP/SAVPF".to_owned()),
        ),
    ] {
        assert_eq!(
            AudioOffer::read(&offer(&lines), None).unwrap_err(),
            error,
            "{lines:?}"
        );
    }
}

#[test]
fn malformed_descriptions_name_the_line() {
    assert_eq!(
        SessionDescription::parse(b"v=1\r\n"),
        Err(SdpError::NotVersionZero)
    );
    assert_eq!(
        SessionDescription::parse(b""),
        Err(SdpError::NotVersionZero)
    );
    assert_eq!(
        SessionDescription::parse(b"v=0\r\nbad line\r\n"),
        Err(SdpError::BadLine(2))
    );
    assert_eq!(
        SessionDescription::parse(b"v=0\r\nm=audio x RTP/AVP 0\r\n"),
        Err(SdpError::BadMedia(2))
    );
    assert_eq!(
        SessionDescription::parse(b"v=0\r\nc=IN IP4 host.example\r\n"),
        Err(SdpError::BadConnection(2))
    );
    assert_eq!(
        SessionDescription::parse(b"v=0\r\nc=IN IP6 192.0.2.1\r\n"),
        Err(SdpError::BadConnection(2))
    );
    assert_eq!(
        SessionDescription::parse(&[b'v', b'=', b'0', b'\n', 0xff]),
        Err(SdpError::NotText)
    );
    let big = vec![b'a'; MAX_SDP_BYTES + 1];
    assert_eq!(SessionDescription::parse(&big), Err(SdpError::TooLarge));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(sdp) = SessionDescription::parse(&bytes) {
            let _ = AudioOffer::read(&sdp, None);
        }
    }

    #[test]
    fn arbitrary_sdp_lines_never_panic(
        lines in proptest::collection::vec(
            prop_oneof![
                "m=audio [0-9]{1,6} RTP/S?AVP( [0-9]{1,3}){1,4}",
                "c=IN IP[46] [0-9.:a-f]{1,20}",
                "a=(rtpmap|fmtp|ptime|crypto|ssrc|extmap|sendonly|inactive):[ -~]{0,40}",
                "[a-z]=[ -~]{0,30}",
            ],
            0..12,
        )
    ) {
        let text = format!("v=0\r\n{}", lines.join("\r\n"));
        if let Ok(sdp) = SessionDescription::parse(text.as_bytes()) {
            if let Ok(audio) = AudioOffer::read(&sdp, None) {
                let answer = write_answer(&sdp, &audio, &AnswerMedia {
                    local: "127.0.0.1:20000".parse().unwrap(),
                    direction: Direction::SendRecv,
                    crypto: None,
                    session_id: 1,
                    session_version: 1,
                });
                prop_assert!(SessionDescription::parse(answer.as_bytes()).is_ok());
            }
        }
    }
}
