//! Address parsing against the RFC 4475 header values that exercise it.

use super::*;
use crate::sip::uri::{Host, Uri, UriError};

fn addr(text: &str) -> Result<NameAddr<'_>, HeaderError> {
    NameAddr::parse(text, AddressForm::NameAddrOrSpec)
}

#[test]
fn wsinv_to_and_from() {
    let to = addr("\r\n sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n").unwrap();
    assert!(to.display_name().is_none());
    assert!(!to.is_bracketed());
    assert_eq!(to.tag(), Some("1918181833n"));
    let from =
        addr("\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8")
            .unwrap();
    assert_eq!(
        from.display_name().map(|d| d.raw()),
        Some("J Rosenberg \\\\\\\"")
    );
    assert_eq!(from.display_name().unwrap().text(), "J Rosenberg \\\"");
    assert_eq!(from.tag(), Some("98asjd8"));
}

#[test]
fn lwsdisp_and_token_display_names() {
    let from = addr("caller<sip:caller@example.com>;tag=323").unwrap();
    assert_eq!(from.display_name(), Some(DisplayName::Tokens("caller")));
    assert_eq!(from.tag(), Some("323"));
    let from = addr("token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"\u{440}\u{430}\";tag=_token~1'+`*%!-.").unwrap();
    assert_eq!(
        from.display_name().map(|d| d.raw()),
        Some("token1~` token2'+_ token3*%!.-")
    );
    assert_eq!(from.tag(), Some("_token~1'+`*%!-."));
    assert_eq!(
        from.params().value("fromParam''~+*_!.-%"),
        Some(Some("\u{440}\u{430}"))
    );
}

#[test]
fn cparam_contact_versus_uri_parameters() {
    let Ok(Contact::Address(c)) = Contact::parse("sip:+19725552222@gw1.example.net;unknownparam")
    else {
        panic!("cparam01 contact");
    };
    assert_eq!(c.params().value("unknownparam"), Some(None));
    assert_eq!(c.uri().as_sip().map(|u| u.params().count()), Some(0));
    let Ok(Contact::Address(c)) = Contact::parse("<sip:+19725552222@gw1.example.net;unknownparam>")
    else {
        panic!("cparam02 contact");
    };
    assert!(c.params().is_empty());
    assert_eq!(
        c.uri().as_sip().and_then(|u| u.param("unknownparam")),
        Some(None)
    );
}

#[test]
fn other_schemes_in_addresses() {
    assert!(matches!(
        addr("isbn:2983792873").unwrap().uri(),
        Uri::Other(_)
    ));
    let from = addr("<http://www.example.com>;tag=3234233").unwrap();
    assert_eq!(from.uri().scheme(), "http");
    assert_eq!(from.tag(), Some("3234233"));
}

#[test]
fn malformed_addresses() {
    assert_eq!(
        addr("\"Mr. J. User <sip:j.user@example.com>").err(),
        Some(HeaderError::UnterminatedQuote)
    );
    assert_eq!(
        addr("Bell, Alexander <sip:a.g.bell@example.com>;tag=43").err(),
        Some(HeaderError::BadDisplayName)
    );
    assert_eq!(
        addr("\"Watson, Thomas\" < sip:t.watson@example.org >").err(),
        Some(HeaderError::BadUri(UriError::IllegalCharacter))
    );
    assert_eq!(
        addr("sip:user@example.com?Route=%3Csip:sip.example.com%3E").err(),
        Some(HeaderError::AngleBracketsRequired)
    );
    assert_eq!(
        addr("<sip:a@b").err(),
        Some(HeaderError::UnbalancedAngleBrackets)
    );
    assert_eq!(
        addr("<sip:a@b> x").err(),
        Some(HeaderError::TrailingCharacters)
    );
    assert_eq!(addr("   ").err(), Some(HeaderError::Empty));
    assert_eq!(
        NameAddr::parse("sip:p.example.com;lr", AddressForm::NameAddrOnly).err(),
        Some(HeaderError::AngleBracketsRequired)
    );
}

#[test]
fn escaped_headers_inside_brackets_are_fine() {
    let c = addr("<sip:user@example.com?Route=%3Csip:sip.example.com%3E>").unwrap();
    let uri = c.uri();
    let sip = uri.as_sip().unwrap();
    assert_eq!(
        sip.headers().collect::<Vec<_>>(),
        [("Route", "%3Csip:sip.example.com%3E")]
    );
    assert_eq!(sip.host(), Host::Domain("example.com"));
}

#[test]
fn validate_dispatch() {
    assert!(validate(
        KnownHeader::Via,
        "SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/TCP b"
    )
    .is_ok());
    assert_eq!(
        validate(KnownHeader::Via, "SIP/2.0/UDP 192.0.2.15;;,;,,"),
        Err(HeaderError::BadParameter)
    );
    assert_eq!(validate(KnownHeader::Via, ""), Err(HeaderError::Empty));
    assert!(validate(KnownHeader::Date, "Fri, 01 Jan 2010 16:00:00 EST").is_ok());
    assert_eq!(
        validate(KnownHeader::MaxForwards, "300"),
        Err(HeaderError::OutOfRange)
    );
    assert!(validate(KnownHeader::Allow, "").is_ok());
    assert!(validate(KnownHeader::Require, "").is_err());
}
