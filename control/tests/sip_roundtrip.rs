//! Property tests: generated SIP messages (random header spellings, compact forms, folds,
//! display names, parameters, bodies) parse to what was generated, and their canonical
//! serialization parses back to the same message; arbitrary mutations never panic and
//! never break the canonical round trip.

use proptest::prelude::*;

use medianode_control::sip::framing::{Frame, StreamDeframer};
use medianode_control::sip::header::KnownHeader;
use medianode_control::sip::{Message, Method, StartLine};

/// What a generated message must parse back to.
#[derive(Debug, Clone)]
struct Expected {
    method: String,
    status: Option<u16>,
    call_id: String,
    cseq: u32,
    from_tag: String,
    branches: Vec<String>,
    max_forwards: Option<u8>,
    body: Vec<u8>,
    extension: (String, String),
}

fn token() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9.!%*_+`'~-]{0,11}"
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]([a-z0-9-]{0,6}[a-z0-9])?(\\.[a-z][a-z0-9]{0,5}){0,2}",
        (0u8..=255, 0u8..=255, 1u8..=254).prop_map(|(a, b, c)| format!("192.{a}.{b}.{c}")),
        Just("[2001:db8::7]".to_string()),
    ]
}

/// A header name spelled the long way in random case, or compact.
fn spelled(long: &'static str, compact: Option<char>) -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        proptest::collection::vec(any::<bool>(), long.len()),
    )
        .prop_map(move |(short, upper)| match compact {
            Some(c) if short => c.to_string(),
            _ => long
                .chars()
                .zip(upper)
                .map(|(ch, up)| {
                    if up {
                        ch.to_ascii_uppercase()
                    } else {
                        ch.to_ascii_lowercase()
                    }
                })
                .collect(),
        })
}

/// Folds some of the single spaces of a value onto continuation lines (a fold is one
/// space's worth of white space, so runs of spaces are left alone).
fn folded(value: String, folds: Vec<bool>) -> String {
    let mut out = String::new();
    let mut n = 0;
    let chars: Vec<char> = value.chars().collect();
    for (i, ch) in chars.iter().enumerate() {
        let lone_space = *ch == ' '
            && chars.get(i + 1) != Some(&' ')
            && (i == 0 || chars.get(i - 1) != Some(&' '));
        if lone_space {
            out.push_str(if folds.get(n).copied().unwrap_or(false) {
                "\r\n "
            } else {
                " "
            });
            n += 1;
        } else {
            out.push(*ch);
        }
    }
    out
}

prop_compose! {
    fn message()(
        is_request in any::<bool>(),
        method in prop_oneof![
            Just("INVITE".to_string()), Just("OPTIONS".to_string()), Just("SUBSCRIBE".to_string()),
            Just("MESSAGE".to_string()), "[A-Z]{3,9}"
        ],
        status in 100u16..=699,
        reason in "[A-Za-z ]{0,20}",
        user in "[a-z0-9._-]{1,10}",
        uri_host in host(),
        port in proptest::option::of(1u16..),
        uri_params in proptest::collection::vec("[a-z0-9-]{1,8}(=[a-zA-Z0-9.!~*'()]{1,6})?", 0..3),
        branches in proptest::collection::vec("[a-zA-Z0-9]{1,12}", 1..4),
        transports in proptest::collection::vec(prop_oneof![Just("UDP"), Just("TCP"), Just("TLS"), Just("SCTP")], 3),
        via_name in spelled("Via", Some('v')),
        from_name in spelled("From", Some('f')),
        to_name in spelled("To", Some('t')),
        call_id_name in spelled("Call-ID", Some('i')),
        cseq_name in spelled("CSeq", None),
        display in proptest::option::of("[A-Za-z ,.\\\\\"]{0,12}"),
        from_tag in token(),
        call_id in "[a-zA-Z0-9.!%*_+`'~()<>:\"/?{}-]{1,20}(@[a-z0-9.]{1,12})?",
        cseq in 0u32..(1 << 31),
        max_forwards in proptest::option::of(any::<u8>()),
        extension_name in "X-[A-Za-z0-9-]{1,10}",
        extension_value in "[ -~]{0,30}",
        folds in proptest::collection::vec(any::<bool>(), 16),
        body in proptest::collection::vec(any::<u8>(), 0..64),
        declare_length in any::<bool>(),
    ) -> (Vec<u8>, Expected) {
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        let params: String = uri_params.iter().map(|p| format!(";{p}")).collect();
        let uri = format!("sip:{user}@{uri_host}{port}{params}");
        let mut text = if is_request {
            format!("{method} {uri} SIP/2.0\r\n")
        } else {
            format!("SIP/2.0 {status} {reason}\r\n")
        };
        let vias: Vec<String> = branches
            .iter()
            .zip(transports.iter().cycle())
            .map(|(b, t)| format!("SIP / 2.0 / {t} {uri_host} ;branch=z9hG4bK{b}"))
            .collect();
        text += &format!("{via_name}: {}\r\n", folded(vias.join(" , "), folds.clone()));
        let display = display
            .map(|d| {
                let escaped: String = d.chars().flat_map(|c| match c {
                    '"' | '\\' => vec!['\\', c],
                    c => vec![c],
                }).collect();
                format!("\"{escaped}\" ")
            })
            .unwrap_or_default();
        text += &format!("{from_name}: {}\r\n", folded(format!("{display}<sip:{user}@{uri_host}> ; tag = {from_tag}"), folds.clone()));
        text += &format!("{to_name} :  <{uri}>\r\n");
        text += &format!("{call_id_name}:{call_id}\r\n");
        let cseq_method = if is_request { method.clone() } else { "INVITE".to_string() };
        text += &format!("{cseq_name}: {}\r\n", folded(format!("{cseq} {cseq_method}"), folds.clone()));
        if let Some(mf) = max_forwards {
            text += &format!("Max-Forwards: {mf:03}\r\n");
        }
        text += &format!("{extension_name}: {}\r\n", folded(extension_value.trim().to_string(), folds));
        if !body.is_empty() {
            text += "Content-Type: application/octet-stream\r\n";
        }
        if declare_length {
            text += &format!("l: {}\r\n", body.len());
        }
        text += "\r\n";
        let mut bytes = text.into_bytes();
        bytes.extend_from_slice(&body);
        let expected = Expected {
            method: cseq_method,
            status: (!is_request).then_some(status),
            call_id,
            cseq,
            from_tag,
            branches: branches.iter().map(|b| format!("z9hG4bK{b}")).collect(),
            max_forwards,
            body,
            extension: (extension_name, extension_value.trim().to_string()),
        };
        (bytes, expected)
    }
}

fn check<T: AsRef<[u8]>>(m: &Message<T>, e: &Expected) {
    assert_eq!(m.method().as_str(), e.method);
    assert_eq!(m.status(), e.status);
    assert_eq!(m.call_id(), e.call_id);
    assert_eq!(m.cseq().number, e.cseq);
    assert_eq!(m.from_tag(), Some(e.from_tag.as_str()));
    let branches: Vec<String> = m
        .vias()
        .filter_map(|v| v.branch().map(str::to_string))
        .collect();
    assert_eq!(branches, e.branches);
    assert_eq!(m.max_forwards(), e.max_forwards);
    assert_eq!(m.body(), e.body.as_slice());
    let ext: Vec<_> = m
        .extension_values(&e.extension.0)
        .map(|v| v.replace("\r\n ", " "))
        .collect();
    assert_eq!(ext, std::slice::from_ref(&e.extension.1));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_messages_parse_and_round_trip((bytes, expected) in message()) {
        let first = Message::new_checked(bytes.as_slice())
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)));
        check(&first, &expected);
        let canonical = first.to_canonical_bytes();
        let second = Message::new_checked(canonical.as_slice()).unwrap();
        check(&second, &expected);
        prop_assert_eq!(second.to_canonical_bytes(), canonical.clone());
        prop_assert_eq!(second.start_line(), first.start_line());
        let mut deframer = StreamDeframer::default();
        deframer.push(&canonical);
        prop_assert_eq!(deframer.next_frame(), Ok(Some(Frame::Message(canonical.as_slice()))));
    }

    #[test]
    fn mutations_never_panic_or_break_the_round_trip(
        (bytes, _) in message(),
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut bytes = bytes;
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if let Ok(m) = Message::new_checked(bytes.as_slice()) {
            let canonical = m.to_canonical_bytes();
            let again = Message::new_checked(canonical.as_slice()).unwrap();
            prop_assert_eq!(again.to_canonical_bytes(), canonical);
        }
        let _ = medianode_control::sip::admission::response_to_malformed(&bytes);
    }
}

#[test]
fn writer_output_always_parses() {
    let mut out = Vec::new();
    let mut w = medianode_control::sip::message::MessageWriter::request(
        &mut out,
        Method::Message,
        "sip:room@conf.example",
    );
    w.known(
        KnownHeader::Via,
        "SIP/2.0/TCP 198.51.100.1;branch=z9hG4bKw1",
    );
    w.known(
        KnownHeader::From,
        "\"Focus\" <sip:focus@conf.example>;tag=f",
    );
    w.known(KnownHeader::To, "<sip:room@conf.example>");
    w.known(KnownHeader::CallId, "w1@conf.example");
    w.known(KnownHeader::CSeq, "1 MESSAGE");
    w.finish_with("text/plain", "héllo\r\nworld".as_bytes());
    let m = Message::new_checked(out.as_slice()).unwrap();
    assert_eq!(
        m.start_line(),
        StartLine::Request {
            method: Method::Message,
            uri: "sip:room@conf.example"
        }
    );
    assert_eq!(m.body(), "héllo\r\nworld".as_bytes());
}
