use super::*;

const INVITE: &str = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:alice@pc33.atlanta.example.com>\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 4\r\n\
\r\n\
v=0\n";

fn check(text: &str) -> Result<Message<&[u8]>, ParseError> {
    Message::new_checked(text.as_bytes())
}

#[test]
fn request_accessors() {
    let m = check(INVITE).unwrap();
    assert!(m.is_request());
    assert_eq!(m.method(), Method::Invite);
    assert_eq!(
        m.request_uri().map(|u| u.as_str()),
        Some("sip:bob@biloxi.example.com")
    );
    assert_eq!(m.call_id(), "a84b4c76e66710@pc33.atlanta.example.com");
    assert_eq!(m.cseq().number, 314159);
    assert_eq!(m.cseq().method, Method::Invite);
    assert_eq!(m.from_tag(), Some("1928301774"));
    assert_eq!(m.to_tag(), None);
    assert_eq!(
        m.top_via().and_then(|v| v.branch()),
        Some("z9hG4bK776asdhds")
    );
    assert_eq!(m.max_forwards(), Some(70));
    assert!(m.content_type().unwrap().is("application", "sdp"));
    assert_eq!(m.body(), b"v=0\n");
    assert_eq!(m.contacts().count(), 1);
    assert_eq!(m.status(), None);
}

#[test]
fn response_accessors() {
    let m = check("SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nTo: <sip:b@h>;tag=x\r\nFrom: <sip:a@h>;tag=y\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n").unwrap();
    assert!(!m.is_request());
    assert_eq!(m.status(), Some(180));
    assert_eq!(m.reason(), Some("Ringing"));
    assert_eq!(m.method(), Method::Invite);
    assert_eq!(m.body(), b"");
}

#[test]
fn start_line_errors() {
    let tail = "Via: SIP/2.0/UDP h;branch=z9hG4bKx\r\nTo: <sip:b@h>\r\nFrom: <sip:a@h>;tag=y\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n";
    let cases = [
        ("OPTIONS sip:h SIP/7.0\r\n", ParseError::VersionNotSupported),
        ("OPTIONS  sip:h SIP/2.0\r\n", ParseError::BadRequestLine),
        ("OPTIONS sip:h SIP/2.0 \r\n", ParseError::BadRequestLine),
        ("OPTIONS sip:h HTTP/1.1\r\n", ParseError::BadRequestLine),
        (
            "OPTIONS <sip:h> SIP/2.0\r\n",
            ParseError::BadRequestUri(crate::sip::uri::UriError::IllegalCharacter),
        ),
        (
            "OPTIONS sip:h?Route=x SIP/2.0\r\n",
            ParseError::RequestUriHeaders,
        ),
        ("OPT@IONS sip:h SIP/2.0\r\n", ParseError::BadRequestLine),
        ("SIP/2.0 4294967301 x\r\n", ParseError::BadStatusCode),
        ("SIP/2.0 099 x\r\n", ParseError::BadStatusCode),
        ("SIP/2.0\r\n", ParseError::BadStatusLine),
    ];
    for (line, expected) in cases {
        assert_eq!(
            check(&format!("{line}{tail}")).err(),
            Some(expected),
            "{line}"
        );
    }
}

#[test]
fn header_section_errors() {
    let base = |extra: &str| {
        format!("OPTIONS sip:h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nTo: <sip:b@h>\r\nFrom: <sip:a@h>;tag=y\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n{extra}\r\n")
    };
    assert!(check(&base("")).is_ok());
    assert_eq!(
        check(&base("NoColon\r\n")).err(),
        Some(ParseError::BadHeaderLine)
    );
    assert_eq!(
        check(&base("Bad Name: x\r\n")).err(),
        Some(ParseError::BadHeaderLine)
    );
    assert_eq!(
        check(&base("X: a\nY: b\r\n")).err(),
        Some(ParseError::BadHeaderLine)
    );
    assert_eq!(
        check(&base("Call-ID: d\r\n")).err(),
        Some(ParseError::DuplicateHeader(KnownHeader::CallId))
    );
    assert_eq!(
        check(&base("Max-Forwards: 256\r\n")).err(),
        Some(ParseError::BadHeader {
            header: KnownHeader::MaxForwards,
            error: header::HeaderError::OutOfRange
        })
    );
    assert_eq!(
        check(&base("Content-Length: 5\r\n")).err(),
        Some(ParseError::BodyTruncated {
            declared: 5,
            available: 0
        })
    );
    assert_eq!(check("\r\n\r\n").err(), Some(ParseError::Empty));
    assert_eq!(
        check("OPTIONS sip:h SIP/2.0\r\nVia: x").err(),
        Some(ParseError::Truncated)
    );
    assert_eq!(
        Message::new_checked(&b"OPTIONS sip:h SIP/2.0\r\nX: \xff\r\n\r\n"[..]).err(),
        Some(ParseError::HeadNotUtf8)
    );
    let no_via = "OPTIONS sip:h SIP/2.0\r\nTo: <sip:b@h>\r\nFrom: <sip:a@h>;tag=y\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n";
    assert_eq!(
        check(no_via).err(),
        Some(ParseError::MissingHeader(KnownHeader::Via))
    );
    let mismatch = base("").replace("CSeq: 1 OPTIONS", "CSeq: 1 INVITE");
    assert_eq!(check(&mismatch).err(), Some(ParseError::CSeqMethodMismatch));
}

#[test]
fn folded_values_and_unknown_headers_survive() {
    let text = base_with("NewFangledHeader:   newfangled value\r\n continued newfangled value\r\nUnknownHeaderWithUnusualValue: ;;,,;;,;\r\n");
    let m = check(&text).unwrap();
    let field = m
        .headers()
        .find(|h| h.name == HeaderName::Extension("NewFangledHeader"))
        .unwrap();
    assert_eq!(
        field.value,
        "newfangled value\r\n continued newfangled value"
    );
    assert_eq!(
        field.value_unfolded(),
        "newfangled value continued newfangled value"
    );
    assert_eq!(
        m.extension_values("unknownheaderwithunusualvalue")
            .collect::<Vec<_>>(),
        [";;,,;;,;"]
    );
}

fn base_with(extra: &str) -> String {
    format!("OPTIONS sip:h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nTo: <sip:b@h>\r\nFrom: <sip:a@h>;tag=y\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n{extra}\r\n")
}

#[test]
fn datagram_framing() {
    let with_noise = format!("{}INVITE sip:x SIP/2.0\r\n", INVITE);
    let m = check(&with_noise).unwrap();
    assert_eq!(m.body(), b"v=0\n");
    assert_eq!(m.message_len(), INVITE.len());
    let no_length = INVITE.replace("Content-Length: 4\r\n", "");
    let m = check(&no_length).unwrap();
    assert_eq!(m.body(), b"v=0\n");
    let leading = format!("\r\n\r\n{INVITE}");
    assert!(check(&leading).is_ok());
}

#[test]
fn canonical_form_is_a_fixpoint() {
    let text = "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0\r\n\
TO :\r\n sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\r\n\
from   : \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8\r\n\
MaX-fOrWaRdS: 0068\r\n\
Call-ID: wsinv.ndaksdj@192.0.2.1\r\n\
cseq: 0009\r\n  INVITE\r\n\
Via  : SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw\r\n\
l: 3\r\n\r\nabc";
    let m = check(text).unwrap();
    let once = m.to_canonical_bytes();
    let again = Message::new_checked(once.as_slice()).unwrap();
    assert_eq!(again.to_canonical_bytes(), once);
    assert_eq!(again.body(), b"abc");
    assert_eq!(again.from_tag(), Some("98asjd8"));
    assert_eq!(again.cseq().number, 9);
    let text_out = String::from_utf8(once).unwrap();
    assert!(text_out.starts_with(
        "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0\r\nTo: sip:vivekg"
    ));
    assert!(text_out.contains("\r\nContent-Length: 3\r\n\r\nabc"));
    assert!(!text_out.contains("\r\n "));
}

#[test]
fn writer_and_response_for() {
    let request = check(INVITE).unwrap();
    let mut out = Vec::new();
    let mut w = response_for(&request, 200, "OK", Some("tag9"), &mut out);
    w.known(KnownHeader::Contact, "<sip:bob@192.0.2.4>");
    w.header("Subject", "hi\r\nInjected: yes");
    w.finish_with("application/sdp", b"v=0\r\n");
    let response = Message::new_checked(out.as_slice()).unwrap();
    assert_eq!(response.status(), Some(200));
    assert_eq!(response.to_tag(), Some("tag9"));
    assert_eq!(response.from_tag(), Some("1928301774"));
    assert_eq!(response.call_id(), request.call_id());
    assert_eq!(response.cseq(), request.cseq());
    assert_eq!(
        response.top_via().and_then(|v| v.branch()),
        Some("z9hG4bK776asdhds")
    );
    assert!(response.extension_values("Injected").next().is_none());
    assert_eq!(
        response.header(KnownHeader::Subject),
        Some("hi  Injected: yes")
    );
    assert_eq!(response.body(), b"v=0\r\n");
    let mut trying = Vec::new();
    response_for(&request, 100, "Trying", Some("tag9"), &mut trying).finish(b"");
    let trying = Message::new_checked(trying.as_slice()).unwrap();
    assert_eq!(trying.to_tag(), None);
}
