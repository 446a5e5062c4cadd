//! Any bytes through the SIP message parser, the admission checks and every typed accessor;
//! a message that passes must serialize canonically, parse again, and serialize to the same
//! bytes with the same meaning.
#![no_main]

use libfuzzer_sys::fuzz_target;
use medianode_control::sip::admission::{admit, response_to_malformed, UasProfile};
use medianode_control::sip::header::{HeaderName, KnownHeader};
use medianode_control::sip::Message;

/// Reads everything a checked message offers, so a panic anywhere shows up.
fn touch<T: AsRef<[u8]>>(m: &Message<T>) -> usize {
    let mut n = 0;
    n += m.request_uri().map_or(0, |u| u.as_str().len());
    n += m.call_id().len() + m.cseq().method.as_str().len();
    n += m.from().map_or(0, |a| a.params().iter().count());
    n += m
        .to()
        .map_or(0, |a| a.display_name().map_or(0, |d| d.text().len()));
    n += m
        .vias()
        .map(|v| v.branch().map_or(0, str::len) + usize::from(v.has_rfc3261_branch()))
        .sum::<usize>();
    n += m
        .contacts()
        .map(|c| c.expires().unwrap_or(0) as usize + usize::from(c.q().unwrap_or(0)))
        .sum::<usize>();
    n += m.routes().chain(m.record_routes()).count();
    n += m
        .authorizations()
        .chain(m.www_authenticates())
        .map(|a| a.params().count())
        .sum::<usize>();
    n += m.accept().count() + m.allow().count() + m.require().count() + m.supported().count();
    n += usize::from(m.max_forwards().unwrap_or(0)) + m.expires().unwrap_or(0) as usize;
    n += m.event().map_or(0, |e| e.params().iter().count());
    n += m
        .subscription_state()
        .map_or(0, |s| s.expires().unwrap_or(0) as usize);
    n += m.refer_to().map_or(0, |r| r.uri().as_str().len());
    n += m.content_type().map_or(0, |t| t.subtype().len());
    n
}

fuzz_target!(|data: &[u8]| {
    let _ = response_to_malformed(data);
    let _ = admit(data, &UasProfile::default());
    let Ok(first) = Message::new_checked(data) else {
        return;
    };
    let touched = touch(&first);
    let canonical = first.to_canonical_bytes();
    let second = Message::new_checked(canonical.as_slice()).expect("canonical form parses");
    assert_eq!(
        second.to_canonical_bytes(),
        canonical,
        "canonical form is a fixpoint"
    );
    assert_eq!(second.start_line(), first.start_line());
    assert_eq!(second.body(), first.body());
    assert_eq!(second.call_id(), first.call_id());
    assert_eq!(second.cseq(), first.cseq());
    assert_eq!(touch(&second), touched);
    let not_length = |h: &medianode_control::sip::message::HeaderField<'_>| {
        h.name != HeaderName::Known(KnownHeader::ContentLength)
    };
    assert_eq!(
        second.headers().filter(not_length).count(),
        first.headers().filter(not_length).count()
    );
});
