use std::net::Ipv6Addr;

use super::*;

fn sip(text: &str) -> SipUri<'_> {
    match Uri::parse(text) {
        Ok(Uri::Sip(u)) => u,
        other => panic!("{text}: {other:?}"),
    }
}

#[test]
fn full_sip_uri() {
    let u = sip("sips:alice:secret@atlanta.example.com:5061;transport=tls;lr?subject=project%20x&priority=urgent");
    assert!(u.is_secure());
    assert_eq!(u.user(), Some("alice"));
    assert_eq!(u.password(), Some("secret"));
    assert_eq!(u.host(), Host::Domain("atlanta.example.com"));
    assert_eq!(u.port(), Some(5061));
    assert_eq!(u.transport(), Some("tls"));
    assert!(u.is_loose_route());
    let headers: Vec<_> = u.headers().collect();
    assert_eq!(
        headers,
        [("subject", "project%20x"), ("priority", "urgent")]
    );
    assert_eq!(
        u.without_headers(),
        "sips:alice:secret@atlanta.example.com:5061;transport=tls;lr"
    );
}

#[test]
fn rfc4475_intmeth_request_uri() {
    let u = sip("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com");
    assert_eq!(
        u.user(),
        Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
    );
    assert_eq!(
        u.password(),
        Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
    );
    assert_eq!(u.host(), Host::Domain("example.com"));
    assert_eq!(u.params().count(), 0);
}

#[test]
fn rfc4475_semiuri_user_holds_semicolon() {
    let u = sip("sip:user;par=u%40example.net@example.com");
    assert_eq!(u.user(), Some("user;par=u%40example.net"));
    assert_eq!(
        u.user_unescaped().as_deref(),
        Some(&b"user;par=u@example.net"[..])
    );
    assert_eq!(u.params().count(), 0);
}

#[test]
fn rfc4475_esc01_escapes_stay_until_asked() {
    let u = sip("sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31");
    assert_eq!(u.user_unescaped().as_deref(), Some(&b"caller"[..]));
    let params: Vec<_> = u.params().collect();
    assert_eq!(
        params,
        [("%6C%72", None), ("n%61me", Some("v%61lue%25%34%31"))]
    );
    assert_eq!(&*unescape("v%61lue%25%34%31"), b"value%41");
    let r = sip("sip:sips%3Auser%40example.com@example.net");
    assert_eq!(
        r.user_unescaped().as_deref(),
        Some(&b"sips:user@example.com"[..])
    );
    assert_eq!(r.host(), Host::Domain("example.net"));
}

#[test]
fn ipv6_hosts_and_ports() {
    let u = sip("sip:[2001:db8::10]:5070");
    assert_eq!(
        u.host(),
        Host::Ipv6("2001:db8::10".parse::<Ipv6Addr>().unwrap())
    );
    assert_eq!(u.host_str(), "[2001:db8::10]");
    assert_eq!(u.port(), Some(5070));
    assert_eq!(Uri::parse("sip:[2001:db8::10"), Err(UriError::BadHost));
}

#[test]
fn other_schemes_are_opaque() {
    for text in [
        "nobodyKnowsThisScheme:totallyopaquecontent",
        "soap.beep://192.0.2.103:3002",
        "isbn:2983792873",
        "http://www.example.com",
        "name:John_Smith",
    ] {
        let u = Uri::parse(text).unwrap();
        assert!(matches!(u, Uri::Other(_)), "{text}");
        assert_eq!(u.as_str(), text);
    }
    assert_eq!(
        Uri::parse("soap.beep://192.0.2.103:3002").unwrap().scheme(),
        "soap.beep"
    );
}

#[test]
fn tel_uri() {
    let Ok(Uri::Tel(t)) = Uri::parse("tel:+1-201-555-0123;ext=1234") else {
        panic!("tel URI did not parse");
    };
    assert_eq!(t.number(), "+1-201-555-0123");
    assert!(t.is_global());
    assert_eq!(t.params().collect::<Vec<_>>(), [("ext", Some("1234"))]);
    assert_eq!(Uri::parse("tel:"), Err(UriError::BadTelephoneNumber));
}

#[test]
fn malformed_uris() {
    let cases = [
        ("<sip:user@example.com>", UriError::IllegalCharacter),
        ("sip:user@example.com; lr", UriError::IllegalCharacter),
        ("user@example.com", UriError::BadScheme),
        ("1sip:x", UriError::BadScheme),
        ("sip:@example.com", UriError::BadUser),
        ("sip:us er@example.com", UriError::IllegalCharacter),
        ("sip:user@", UriError::BadHost),
        ("sip:user@host:port", UriError::BadPort),
        ("sip:user@host;;lr", UriError::BadParameter),
        ("sip:user@host;a=", UriError::BadParameter),
        ("sip:user@host?noequals", UriError::BadHeaders),
        ("sip:us%zzer@host", UriError::BadUser),
    ];
    for (text, expected) in cases {
        assert_eq!(Uri::parse(text), Err(expected), "{text}");
    }
}
