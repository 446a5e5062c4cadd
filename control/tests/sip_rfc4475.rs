//! The 49 RFC 4475 torture messages (fixtures/rfc4475, see SOURCES.md there) through the
//! parser, the admission checks, the transaction layer and digest authentication: valid
//! messages parse with the meaning the RFC describes, invalid ones get the response the
//! RFC asks for or are dropped, and none panics whichever way it arrives.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use medianode_control::sip::admission::{admit, response_to_malformed, Admission, UasProfile};
use medianode_control::sip::digest::{
    AuthRole, DigestAlgorithm, DigestAuthenticator, NonceIssuer, NonceKey, Verdict,
};
use medianode_control::sip::framing::{Frame, StreamDeframer};
use medianode_control::sip::header::{Contact, DisplayName, HeaderName, KnownHeader};
use medianode_control::sip::transaction::{Peer, TransactionLayer, TransportKind};
use medianode_control::sip::uri::{Host, Uri};
use medianode_control::sip::{Message, Method, ParseError};

fn fixture(name: &str) -> Vec<u8> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "fixtures",
        "rfc4475",
        &format!("{name}.dat"),
    ]
    .iter()
    .collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parsed(name: &str, bytes: &[u8]) -> Message<Vec<u8>> {
    Message::new_checked(bytes.to_vec()).unwrap_or_else(|e| panic!("{name} must parse: {e}"))
}

/// What a UAS with medianode's default profile does with each message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Processed: a request for the application, or a response for the transactions.
    Accept,
    /// Answered with this status before the application sees it.
    Reject(u16),
    /// Silently dropped.
    Drop,
}

use Outcome::{Accept, Drop, Reject};

/// Every message, the section of RFC 4475 it comes from, and the outcome the RFC asks for.
const CASES: &[(&str, &str, Outcome)] = &[
    // 3.1.1 valid messages: parsers must accept them. intmeth and esc02 carry methods an
    // endpoint does not implement (501 with Allow, as the RFC says), mpart01 a multipart
    // body this server does not take (415; the parser accepted it).
    ("wsinv", "3.1.1.1", Accept),
    ("intmeth", "3.1.1.2", Reject(501)),
    ("esc01", "3.1.1.3", Accept),
    ("escnull", "3.1.1.4", Accept),
    ("esc02", "3.1.1.5", Reject(501)),
    ("lwsdisp", "3.1.1.6", Accept),
    ("longreq", "3.1.1.7", Accept),
    ("dblreq", "3.1.1.8", Accept),
    ("semiuri", "3.1.1.9", Accept),
    ("transports", "3.1.1.10", Accept),
    ("mpart01", "3.1.1.11", Reject(415)),
    ("unreason", "3.1.1.12", Accept),
    ("noreason", "3.1.1.13", Accept),
    // 3.1.2 invalid messages.
    ("badinv01", "3.1.2.1", Reject(400)),
    ("clerr", "3.1.2.2", Reject(400)),
    ("ncl", "3.1.2.3", Reject(400)),
    ("scalar02", "3.1.2.4", Reject(400)),
    ("scalarlg", "3.1.2.5", Drop),
    ("quotbal", "3.1.2.6", Reject(400)),
    ("ltgtruri", "3.1.2.7", Reject(400)),
    ("lwsruri", "3.1.2.8", Reject(400)),
    ("lwsstart", "3.1.2.9", Reject(400)),
    ("trws", "3.1.2.10", Reject(400)),
    ("escruri", "3.1.2.11", Reject(400)),
    // The RFC: reject a bad Date only if the element uses Date; medianode does not.
    ("baddate", "3.1.2.12", Accept),
    ("regbadct", "3.1.2.13", Reject(400)),
    ("badaspec", "3.1.2.14", Reject(400)),
    ("baddn", "3.1.2.15", Reject(400)),
    ("badvers", "3.1.2.16", Reject(505)),
    ("mismatch01", "3.1.2.17", Reject(400)),
    // 501 or 400 are both allowed; the CSeq mismatch is caught by the parser first.
    ("mismatch02", "3.1.2.18", Reject(400)),
    ("bigcode", "3.1.2.19", Drop),
    // 3.2: the bare magic cookie falls back to RFC 2543 matching (allowed by the RFC).
    ("badbranch", "3.2.1", Accept),
    // 3.3 application-layer semantics.
    ("insuf", "3.3.1", Reject(400)),
    ("unkscm", "3.3.2", Reject(416)),
    ("novelsc", "3.3.3", Reject(416)),
    // A registrar rejects it with 400: the To of a REGISTER must be a SIP or SIPS AOR.
    ("unksm2", "3.3.4", Reject(400)),
    ("bext01", "3.3.5", Reject(420)),
    ("invut", "3.3.6", Reject(415)),
    // Parsed and admitted; the registrar's digest check then challenges (see below).
    ("regaut01", "3.3.7", Accept),
    ("multi01", "3.3.8", Reject(400)),
    ("mcl01", "3.3.9", Reject(400)),
    // A response: admitted, then dropped by the transaction layer (no such transaction).
    ("bcast", "3.3.10", Accept),
    // An endpoint processes Max-Forwards 0 normally (483 is for proxies).
    ("zeromf", "3.3.11", Accept),
    ("cparam01", "3.3.12", Accept),
    ("cparam02", "3.3.13", Accept),
    ("regescrt", "3.3.14", Accept),
    ("sdp01", "3.3.15", Reject(406)),
    ("inv2543", "3.4.1", Accept),
];

#[test]
fn all_49_messages_are_covered() {
    assert_eq!(CASES.len(), 49);
    let dir: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", "rfc4475"]
        .iter()
        .collect();
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".dat").map(str::to_string))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CASES.iter().map(|(n, ..)| n.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

#[test]
fn every_message_gets_the_rfc_outcome() {
    let profile = UasProfile::default();
    for (name, section, expected) in CASES {
        let bytes = fixture(name);
        let got = match admit(&bytes, &profile) {
            Admission::Accept(_) => Accept,
            Admission::Reject(r) => {
                let text = String::from_utf8_lossy(&r.bytes).into_owned();
                assert!(
                    text.starts_with(&format!("SIP/2.0 {} ", r.status)),
                    "{name}: {text}"
                );
                assert!(
                    text.ends_with("Content-Length: 0\r\n\r\n"),
                    "{name}: {text}"
                );
                Reject(r.status)
            }
            Admission::Drop(_) => Drop,
        };
        assert_eq!(got, *expected, "{name} (RFC 4475 sec. {section})");
    }
}

#[test]
fn rejections_echo_the_request_and_pick_a_to_tag() {
    let profile = UasProfile::default();
    for name in [
        "quotbal",
        "badvers",
        "mismatch01",
        "unkscm",
        "bext01",
        "invut",
        "sdp01",
        "escruri",
    ] {
        let bytes = fixture(name);
        let Admission::Reject(r) = admit(&bytes, &profile) else {
            panic!("{name} is rejected");
        };
        let text = String::from_utf8_lossy(&r.bytes);
        let request_text = String::from_utf8_lossy(&bytes);
        let call_id = request_text
            .lines()
            .find_map(|l| l.strip_prefix("Call-ID: "))
            .unwrap();
        assert!(
            text.contains(&format!("Call-ID: {call_id}\r\n")),
            "{name}: {text}"
        );
        let response = Message::new_checked(r.bytes.as_slice());
        if let Ok(response) = response {
            assert!(response.to_tag().is_some(), "{name}");
            assert_eq!(response.call_id(), call_id);
        } else {
            // quotbal: the echoed To keeps its unterminated quote; the tag is still added.
            assert!(text.contains(";tag="), "{name}: {text}");
        }
        let again = admit(&bytes, &profile);
        assert!(
            matches!(again, Admission::Reject(ref r2) if r2.bytes == r.bytes),
            "stateless answers repeat exactly"
        );
    }
}

#[test]
fn specific_answers() {
    let profile = UasProfile::default();
    let reject_text = |name: &str| match admit(&fixture(name), &profile) {
        Admission::Reject(r) => String::from_utf8(r.bytes).unwrap(),
        other => panic!("{name}: {other:?}"),
    };
    let bext = reject_text("bext01");
    assert!(
        bext.contains("\r\nUnsupported: nothingSupportsThis, nothingSupportsThisEither\r\n"),
        "{bext}"
    );
    assert!(
        !bext.contains("noProxiesSupportThis"),
        "a UAS ignores Proxy-Require"
    );
    let invut = reject_text("invut");
    assert!(invut.contains("\r\nAccept: application/sdp"), "{invut}");
    let intmeth = reject_text("intmeth");
    assert!(
        intmeth.contains("\r\nAllow: INVITE, ACK, BYE, CANCEL, OPTIONS"),
        "{intmeth}"
    );
    assert!(reject_text("badvers").starts_with("SIP/2.0 505 Version Not Supported\r\n"));
    let insuf = reject_text("insuf");
    assert!(
        insuf.contains("CSeq: 193942 INVITE\r\n") && insuf.contains("branch=z9hG4bKkdj.insuf"),
        "{insuf}"
    );
    assert!(
        insuf.contains("Warning: 399 medianode \"missing To\""),
        "{insuf}"
    );
    for (name, detail) in [
        ("clerr", "Content-Length 9999 but"),
        ("ncl", "malformed Content-Length"),
        ("mcl01", "more than one Content-Length"),
        ("multi01", "more than one CSeq"),
        ("scalar02", "malformed CSeq: number out of range"),
        ("ltgtruri", "malformed Request-URI"),
        ("escruri", "Request-URI carries escaped headers"),
        ("baddn", "malformed From: display name"),
        (
            "regbadct",
            "malformed Contact: URI with ? or , must be enclosed in <>",
        ),
        ("unksm2", "To and From of REGISTER must be SIP or SIPS URIs"),
    ] {
        let text = reject_text(name);
        assert!(text.contains(detail), "{name}: {text}");
    }
}

#[test]
fn parse_errors_name_the_fault() {
    let err = |name: &str| Message::new_checked(fixture(name).as_slice()).err();
    assert_eq!(err("badvers"), Some(ParseError::VersionNotSupported));
    assert_eq!(err("bigcode"), Some(ParseError::BadStatusCode));
    assert_eq!(err("lwsstart"), Some(ParseError::BadRequestLine));
    assert_eq!(err("trws"), Some(ParseError::BadRequestLine));
    assert_eq!(err("lwsruri"), Some(ParseError::BadRequestLine));
    assert_eq!(err("escruri"), Some(ParseError::RequestUriHeaders));
    assert_eq!(err("mismatch01"), Some(ParseError::CSeqMethodMismatch));
    assert_eq!(err("mismatch02"), Some(ParseError::CSeqMethodMismatch));
    assert_eq!(
        err("insuf"),
        Some(ParseError::MissingHeader(KnownHeader::To))
    );
    assert_eq!(
        err("mcl01"),
        Some(ParseError::DuplicateHeader(KnownHeader::ContentLength))
    );
    let clerr = fixture("clerr");
    let body_start = clerr.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(
        err("clerr"),
        Some(ParseError::BodyTruncated {
            declared: 9999,
            available: clerr.len() - body_start
        })
    );
    assert!(matches!(
        err("scalarlg"),
        Some(ParseError::BadHeader {
            header: KnownHeader::CSeq,
            ..
        })
    ));
    assert!(matches!(
        err("quotbal"),
        Some(ParseError::BadHeader {
            header: KnownHeader::To,
            ..
        })
    ));
    assert!(matches!(
        err("badaspec"),
        Some(ParseError::BadHeader {
            header: KnownHeader::To,
            ..
        })
    ));
    assert!(matches!(
        err("badinv01"),
        Some(ParseError::BadHeader {
            header: KnownHeader::Via,
            ..
        })
    ));
    assert!(
        response_to_malformed(&fixture("bigcode")).is_none(),
        "responses are never answered"
    );
    assert!(
        response_to_malformed(&fixture("wsinv")).is_none(),
        "well-formed: nothing to answer"
    );
}

#[test]
fn wsinv_means_what_the_rfc_says() {
    let m = parsed("wsinv", &fixture("wsinv"));
    assert_eq!(m.method(), Method::Invite);
    let uri = m.request_uri().unwrap();
    let sip = uri.as_sip().unwrap();
    assert_eq!(sip.user(), Some("vivekg"));
    assert_eq!(sip.param("unknownparam"), Some(None));
    assert_eq!(m.to_tag(), Some("1918181833n"));
    let from = m.from().unwrap();
    assert_eq!(from.display_name().unwrap().text(), "J Rosenberg \\\"");
    assert_eq!(from.tag(), Some("98asjd8"));
    assert_eq!(m.max_forwards(), Some(68));
    assert_eq!(m.cseq().number, 9);
    assert_eq!(m.body().len(), 150);
    let vias: Vec<_> = m
        .vias()
        .map(|v| {
            (
                v.transport().to_string(),
                v.sent_by().to_string(),
                v.branch().map(str::to_string),
            )
        })
        .collect();
    assert_eq!(
        vias,
        [
            (
                "UDP".to_string(),
                "192.0.2.2".to_string(),
                Some("390skdjuw".to_string())
            ),
            (
                "TCP".to_string(),
                "spindle.example.com".to_string(),
                Some("z9hG4bK9ikj8".to_string())
            ),
            (
                "UDP".to_string(),
                "192.168.255.111".to_string(),
                Some("z9hG4bK30239".to_string())
            ),
        ]
    );
    assert_eq!(m.header(KnownHeader::Subject), Some(""));
    let ext: Vec<_> = m
        .headers()
        .filter(|h| matches!(h.name, HeaderName::Extension(_)))
        .map(|h| h.value_unfolded().into_owned())
        .collect();
    assert_eq!(
        ext,
        ["newfangled value continued newfangled value", ";;,,;;,;"]
    );
    let contact = m.contacts().next().unwrap();
    assert_eq!(contact.q(), Some(330));
    let address = contact.address().unwrap();
    assert_eq!(
        address.display_name(),
        Some(DisplayName::Quoted("Quoted string \\\"\\\""))
    );
    assert_eq!(address.params().value("newparam"), Some(Some("newvalue")));
    assert_eq!(address.params().value("secondparam"), Some(None));
    assert_eq!(
        m.routes()
            .next()
            .unwrap()
            .uri()
            .as_sip()
            .unwrap()
            .param("unknown-no-value"),
        Some(None)
    );
}

#[test]
fn intmeth_and_esc02_keep_percent_literal() {
    let m = parsed("intmeth", &fixture("intmeth"));
    assert_eq!(
        m.method(),
        Method::Extension("!interesting-Method0123456789_*+`.%indeed'~")
    );
    let to = m.to().unwrap();
    assert_eq!(
        to.display_name().unwrap().text(),
        "BEL:\u{7} NUL:\0 DEL:\u{7f}"
    );
    assert_eq!(
        m.from().unwrap().display_name(),
        Some(DisplayName::Tokens("token1~` token2'+_ token3*%!.-"))
    );
    assert_eq!(m.call_id(), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
    assert_eq!(m.top_via().unwrap().branch(), Some("z9hG4bK-.!%66*_+`'~"));
    assert_eq!(
        m.extension_values("extensionHeader-!.%*+_`'~").next(),
        Some("\u{feff}\u{5927}\u{505c}\u{96fb}")
    );

    let m = parsed("esc02", &fixture("esc02"));
    assert_eq!(m.method(), Method::Extension("RE%47IST%45R"));
    assert_eq!(
        m.to().unwrap().display_name(),
        Some(DisplayName::Quoted("%Z%45"))
    );
    assert_eq!(m.contacts().count(), 2, "C%6Fntact is not Contact");
    assert_eq!(
        m.extension_values("C%6Fntact").next(),
        Some("<sip:alias2@host2.example.com>")
    );
}

#[test]
fn escaping_semantics() {
    let m = parsed("esc01", &fixture("esc01"));
    let ruri = m.request_uri().unwrap();
    assert_eq!(
        ruri.as_sip().unwrap().user_unescaped().as_deref(),
        Some(&b"sips:user@example.com"[..])
    );
    let to = m.to().unwrap();
    assert_eq!(
        to.uri().as_sip().unwrap().user_unescaped().as_deref(),
        Some(&b"user"[..])
    );
    let from = m.from().unwrap();
    assert_eq!(
        from.uri().as_sip().unwrap().user_unescaped().as_deref(),
        Some(&b"I have spaces"[..])
    );
    let Some(Contact::Address(contact)) = m.contacts().next() else {
        panic!("esc01 contact")
    };
    let params: Vec<_> = contact.uri().as_sip().unwrap().params().collect();
    assert_eq!(
        params,
        [("%6C%72", None), ("n%61me", Some("v%61lue%25%34%31"))]
    );

    let m = parsed("escnull", &fixture("escnull"));
    let users: Vec<Vec<u8>> = m
        .contacts()
        .map(|c| {
            c.address()
                .unwrap()
                .uri()
                .as_sip()
                .unwrap()
                .user_unescaped()
                .unwrap()
                .into_owned()
        })
        .collect();
    assert_eq!(
        users,
        [b"\0".to_vec(), b"\0\0".to_vec()],
        "two distinct bindings"
    );
    assert_eq!(
        m.to()
            .unwrap()
            .uri()
            .as_sip()
            .unwrap()
            .user_unescaped()
            .as_deref(),
        Some(&b"null-\0-null"[..])
    );

    let m = parsed("semiuri", &fixture("semiuri"));
    let ruri = m.request_uri().unwrap();
    let sip = ruri.as_sip().unwrap();
    assert_eq!(
        sip.user_unescaped().as_deref(),
        Some(&b"user;par=u@example.net"[..])
    );
    assert_eq!(sip.params().count(), 0);
    assert_eq!(m.accept().count(), 6);
}

#[test]
fn lwsdisp_longreq_dblreq_transports() {
    let m = parsed("lwsdisp", &fixture("lwsdisp"));
    assert_eq!(
        m.from().unwrap().display_name(),
        Some(DisplayName::Tokens("caller"))
    );

    let m = parsed("longreq", &fixture("longreq"));
    assert_eq!(m.vias().count(), 34);
    let last = m.vias().last().unwrap();
    assert_eq!(last.received(), Some("192.0.2.5"));
    assert!(last.branch().unwrap().ends_with("branchvalue") && !last.has_rfc3261_branch());
    let to = m.to().unwrap();
    assert_eq!(to.uri().as_sip().unwrap().port(), Some(6000));
    assert_eq!(to.uri().as_sip().unwrap().params().count(), 3);
    assert!(
        m.from_tag().unwrap().starts_with("12982982982982982982")
            && m.from_tag().unwrap().len() > 150
    );
    assert_eq!(m.from().unwrap().params().iter().count(), 3);

    let bytes = fixture("dblreq");
    let m = parsed("dblreq", &bytes);
    assert_eq!(m.method(), Method::Register);
    assert!(m.body().is_empty());
    assert!(
        m.message_len() < bytes.len(),
        "the INVITE after it is datagram noise"
    );
    assert!(!m.to_canonical_bytes().windows(6).any(|w| w == b"INVITE"));

    let m = parsed("transports", &fixture("transports"));
    let transports: Vec<_> = m.vias().map(|v| v.transport().to_string()).collect();
    assert_eq!(transports, ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);
}

#[test]
fn bodies_responses_and_odd_requests() {
    let m = parsed("mpart01", &fixture("mpart01"));
    assert_eq!(m.content_length(), Some(553));
    assert_eq!(m.body().len(), 553);
    assert!(
        m.body().contains(&0),
        "binary part with NUL framed by Content-Length"
    );
    assert!(m.content_type().unwrap().is("multipart", "mixed"));
    assert_eq!(m.top_via().unwrap().rport(), Some(None));

    let m = parsed("unreason", &fixture("unreason"));
    assert_eq!(m.status(), Some(200));
    assert!(m
        .reason()
        .unwrap()
        .starts_with("= 2**3 * 5**2 \u{43d}\u{43e} \u{441}\u{442}\u{43e}"));
    let m = parsed("noreason", &fixture("noreason"));
    assert_eq!((m.status(), m.reason()), (Some(100), Some("")));

    let m = parsed("inv2543", &fixture("inv2543"));
    assert_eq!(m.content_length(), None);
    assert_eq!(m.top_via().unwrap().branch(), None);
    assert_eq!(m.from_tag(), None);
    assert!(m.max_forwards().is_none());
    assert!(
        m.body().starts_with(b"v=0") && m.body().ends_with(b"RTP/AVP 0\r\n"),
        "body runs to the end of the datagram"
    );

    let m = parsed("cparam01", &fixture("cparam01"));
    let c = m.contacts().next().unwrap();
    assert_eq!(
        c.address().unwrap().params().value("unknownparam"),
        Some(None)
    );
    assert_eq!(
        c.address()
            .unwrap()
            .uri()
            .as_sip()
            .unwrap()
            .params()
            .count(),
        0
    );
    let m = parsed("cparam02", &fixture("cparam02"));
    let c = m.contacts().next().unwrap();
    assert!(c.address().unwrap().params().is_empty());
    assert_eq!(
        c.address()
            .unwrap()
            .uri()
            .as_sip()
            .unwrap()
            .param("unknownparam"),
        Some(None)
    );
    let m = parsed("regescrt", &fixture("regescrt"));
    let c = m.contacts().next().unwrap();
    let headers: Vec<_> = c
        .address()
        .unwrap()
        .uri()
        .as_sip()
        .unwrap()
        .headers()
        .collect();
    assert_eq!(headers, [("Route", "%3Csip:sip.example.com%3E")]);

    let m = parsed("unksm2", &fixture("unksm2"));
    assert!(matches!(m.to().unwrap().uri(), Uri::Other(u) if u.scheme() == "isbn"));
    assert_eq!(m.from().unwrap().uri().scheme(), "http");
    assert_eq!(
        m.contacts()
            .next()
            .unwrap()
            .address()
            .unwrap()
            .uri()
            .scheme(),
        "name"
    );
    let m = parsed("novelsc", &fixture("novelsc"));
    assert_eq!(m.request_uri().unwrap().scheme(), "soap.beep");
    let m = parsed("zeromf", &fixture("zeromf"));
    assert_eq!(m.max_forwards(), Some(0));
    let m = parsed("baddate", &fixture("baddate"));
    assert_eq!(
        m.header(KnownHeader::Date),
        Some("Fri, 01 Jan 2010 16:00:00 EST")
    );
}

#[test]
fn bcast_is_dropped_by_the_transaction_layer() {
    let m = parsed("bcast", &fixture("bcast"));
    let vias: Vec<_> = m.vias().map(|v| v.host()).collect();
    assert_eq!(vias[1], Host::Ipv4(std::net::Ipv4Addr::BROADCAST));
    let mut layer = TransactionLayer::default();
    let peer = Peer {
        addr: "192.0.2.198:5060".parse::<SocketAddr>().unwrap(),
        transport: TransportKind::Udp,
    };
    layer.handle_message(&m, peer, Instant::now());
    assert_eq!(layer.stray_responses(), 1);
    assert!(
        layer.poll_transmit().is_none(),
        "never forwarded anywhere, least of all to broadcast"
    );
    assert!(layer.poll_event().is_none());
}

#[test]
fn badbranch_falls_back_to_rfc2543_matching() {
    let bytes = fixture("badbranch");
    let m = parsed("badbranch", &bytes);
    assert_eq!(m.top_via().unwrap().branch(), Some("z9hG4bK"));
    assert!(!m.top_via().unwrap().has_rfc3261_branch());
    let mut layer = TransactionLayer::default();
    let peer = Peer {
        addr: "192.0.2.1:5060".parse::<SocketAddr>().unwrap(),
        transport: TransportKind::Udp,
    };
    let now = Instant::now();
    layer.handle_message(&m, peer, now);
    layer.handle_message(&m, peer, now);
    let requests = std::iter::from_fn(|| layer.poll_event()).count();
    assert_eq!(
        requests, 1,
        "the retransmission matched the first transaction"
    );
}

#[test]
fn regaut01_unknown_scheme_gets_a_digest_challenge() {
    let m = parsed("regaut01", &fixture("regaut01"));
    let auth = m.authorizations().next().unwrap();
    assert_eq!(auth.scheme(), "NoOneKnowsThisScheme");
    assert_eq!(auth.param("opaque-data").map(|p| p.value), Some("here"));
    let issuer = NonceIssuer::new(NonceKey::from_bytes([1; 32]), "example.com", 300);
    let mut registrar = DigestAuthenticator::new(issuer, "example.com", AuthRole::Server);
    let verdict = registrar.verify(&m, 1_800_000_000, |_, _: DigestAlgorithm| None);
    assert_eq!(verdict, Verdict::Missing);
    assert_eq!(
        verdict.challenge(),
        Some(false),
        "a registrar that cares challenges with a scheme it knows"
    );
}

#[test]
fn valid_messages_survive_canonical_round_trips() {
    for (name, _, outcome) in CASES {
        let bytes = fixture(name);
        let Ok(first) = Message::new_checked(bytes.as_slice()) else {
            assert_ne!(*outcome, Accept, "{name}");
            continue;
        };
        let canonical = first.to_canonical_bytes();
        let second =
            Message::new_checked(canonical.as_slice()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(second.to_canonical_bytes(), canonical, "{name}");
        assert_eq!(second.start_line(), first.start_line(), "{name}");
        assert_eq!(second.body(), first.body(), "{name}");
        assert_eq!(second.call_id(), first.call_id(), "{name}");
        assert_eq!(second.cseq(), first.cseq(), "{name}");
        assert_eq!(second.vias().count(), first.vias().count(), "{name}");
    }
}

#[test]
fn nothing_breaks_the_stream_deframer() {
    for (name, _, _) in CASES {
        let bytes = fixture(name);
        let mut by_chunk_size = Vec::new();
        for chunk in [1, 7, 64, bytes.len()] {
            let mut deframer = StreamDeframer::default();
            let mut frames: Vec<Option<Vec<u8>>> = Vec::new();
            for part in bytes.chunks(chunk) {
                deframer.push(part);
                loop {
                    match deframer.next_frame() {
                        Ok(Some(Frame::Message(m))) => {
                            let _ = Message::new_checked(m);
                            frames.push(Some(m.to_vec()));
                        }
                        Ok(Some(_)) => frames.push(None),
                        Ok(None) | Err(_) => break,
                    }
                }
            }
            by_chunk_size.push(frames);
        }
        assert!(
            by_chunk_size.windows(2).all(|w| w[0] == w[1]),
            "{name}: framing depends on how bytes arrive"
        );
    }
    let dblreq = fixture("dblreq");
    let mut deframer = StreamDeframer::default();
    deframer.push(&dblreq);
    let Ok(Some(Frame::Message(first))) = deframer.next_frame() else {
        panic!("dblreq REGISTER")
    };
    assert!(first.starts_with(b"REGISTER ") && first.ends_with(b"Content-Length: 0\r\n\r\n"));
    assert_eq!(
        deframer.next_frame(),
        Ok(Some(Frame::KeepAlivePong)),
        "the stray CRLF"
    );
    let Ok(Some(Frame::Message(second))) = deframer.next_frame() else {
        panic!("dblreq INVITE")
    };
    assert!(
        second.starts_with(b"INVITE ") && Message::new_checked(second).is_ok(),
        "on a stream the INVITE is real"
    );

    let mut deframer = StreamDeframer::default();
    deframer.push(&fixture("ncl"));
    assert!(
        deframer.next_frame().is_err(),
        "a negative Content-Length ends the connection"
    );
    let head = deframer.failed_head().unwrap();
    assert!(response_to_malformed(head).is_some_and(|r| r.status == 400));
}
