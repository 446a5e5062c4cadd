use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::*;
use crate::sip::dialog::ViaSpec;
use crate::sip::header::KnownHeader;
use crate::sip::transaction::outgoing::{with_via, OutgoingRequest, OutgoingResult};
use crate::sip::transaction::{Peer, TransportKind};
use crate::sip::Method;

fn peer() -> Peer {
    Peer {
        addr: "127.0.0.1:5070".parse::<SocketAddr>().unwrap(),
        transport: TransportKind::Udp,
    }
}

fn subscribe(event: &str, expires: Option<u32>, to_tag: &str, cseq: u32) -> Message<Vec<u8>> {
    let expires = expires.map_or(String::new(), |e| format!("Expires: {e}\r\n"));
    let event = if event.is_empty() {
        String::new()
    } else {
        format!("Event: {event}\r\n")
    };
    let text = format!(
        "SUBSCRIBE sip:conf-7@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK{cseq}\r\n\
         To: <sip:conf-7@127.0.0.1>{to_tag}\r\nFrom: <sip:carol@example.com>;tag=f1\r\n\
         Call-ID: sub-1\r\nCSeq: {cseq} SUBSCRIBE\r\nContact: <sip:carol@127.0.0.1:5070>\r\n\
         {event}{expires}Content-Length: 0\r\n\r\n"
    );
    Message::new_checked(text.into_bytes()).unwrap()
}

fn parse(bytes: &[u8]) -> Message<Vec<u8>> {
    Message::new_checked(bytes.to_vec()).unwrap()
}

/// A NOTIFY as the I/O shell sends it: with a Via.
fn parse_sent(request: &OutgoingRequest) -> Message<Vec<u8>> {
    let via = ViaSpec {
        transport: "UDP",
        sent_by: "127.0.0.1:5060",
        branch: "z9hG4bKtest",
    };
    parse(&with_via(&request.request, &via).unwrap())
}

#[test]
fn checks_event_and_expires() {
    let limits = SubscriptionLimits::default();
    let ok = check_subscribe(&subscribe("conference", Some(600), "", 1), limits).unwrap();
    assert_eq!(
        ok,
        SubscribeRequest {
            package: Package::Conference,
            expires: 600
        }
    );
    let default = check_subscribe(&subscribe("presence", None, "", 1), limits).unwrap();
    assert_eq!(default.expires, limits.default);
    let capped = check_subscribe(&subscribe("presence.winfo", Some(99_999), "", 1), limits);
    assert_eq!(capped.unwrap().expires, limits.max);
    assert_eq!(
        check_subscribe(&subscribe("dialog", Some(600), "", 1), limits),
        Err(Refusal::BadEvent)
    );
    assert_eq!(
        check_subscribe(&subscribe("", Some(600), "", 1), limits),
        Err(Refusal::BadEvent)
    );
    assert_eq!(
        check_subscribe(&subscribe("presence", Some(5), "", 1), limits),
        Err(Refusal::IntervalTooBrief { min: 60 })
    );
    assert_eq!(
        check_subscribe(&subscribe("presence", Some(0), "", 1), limits)
            .unwrap()
            .expires,
        0
    );

    let text = "SUBSCRIBE sip:alice@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
                To: <sip:alice@h>\r\nFrom: <sip:b@h>;tag=1\r\nCall-ID: c\r\nCSeq: 1 SUBSCRIBE\r\n\
                Event: presence\r\nAccept: application/cpim-pidf+xml\r\nContent-Length: 0\r\n\r\n";
    let picky = Message::new_checked(text.as_bytes()).unwrap();
    assert_eq!(check_subscribe(&picky, limits), Err(Refusal::NotAcceptable));
    let text = text.replace("application/cpim-pidf+xml", "text/plain, application/*");
    let open = Message::new_checked(text.as_bytes()).unwrap();
    assert!(check_subscribe(&open, limits).is_ok());

    let request = subscribe("dialog", None, "", 1);
    let answer = parse(&Refusal::BadEvent.response(&request, "t"));
    assert_eq!(answer.status(), Some(489));
    assert_eq!(answer.header(KnownHeader::AllowEvents), Some(ALLOW_EVENTS));
    let answer = parse(&Refusal::IntervalTooBrief { min: 60 }.response(&request, "t"));
    assert_eq!(answer.header(KnownHeader::MinExpires), Some("60"));
}

#[test]
fn subscribe_notify_refresh_unsubscribe() {
    let now = Instant::now();
    let mut set = SubscriptionSet::new(SubscriptionLimits::default());
    let request = subscribe("conference;id=7", Some(600), "", 1);
    let (id, ok) = set
        .accept(
            &request,
            Package::Conference,
            600,
            "conf-7",
            "carol",
            peer(),
            "127.0.0.1:5060",
            "n1",
            now,
        )
        .unwrap();
    let ok = parse(&ok);
    assert_eq!(ok.status(), Some(200));
    assert_eq!(ok.expires(), Some(600));
    assert_eq!(ok.to_tag(), Some("n1"));
    assert_eq!(set.poll_timeout(), Some(now + Duration::from_secs(600)));

    let sent = set
        .notify(
            id,
            "application/conference-info+xml",
            b"<x/>",
            now + Duration::from_secs(10),
        )
        .unwrap();
    assert_eq!(sent.peer, peer());
    assert!(!sent.stateless);
    let notify = parse_sent(&sent);
    assert_eq!(notify.max_forwards(), Some(70));
    assert_eq!(notify.method(), Method::Notify);
    assert_eq!(notify.event().unwrap().value(), "conference");
    assert_eq!(notify.event().unwrap().id(), Some("7"));
    let state = notify.subscription_state().unwrap();
    assert_eq!((state.value(), state.expires()), ("active", Some(590)));
    assert_eq!(notify.from_tag(), Some("n1"));
    assert_eq!(notify.to_tag(), Some("f1"));
    assert_eq!(notify.body(), b"<x/>");
    assert!(notify
        .request_uri()
        .unwrap()
        .as_str()
        .contains("127.0.0.1:5070"));
    let first_cseq = notify.cseq().number;

    // A refresh in the dialog; an older CSeq is refused; a stranger's dialog is 481.
    let refresh = subscribe("conference", Some(1200), ";tag=n1", 2);
    let (same, granted, ok) = set
        .refresh(&refresh, peer(), now + Duration::from_secs(20))
        .unwrap();
    assert_eq!((same, granted), (id, 1200));
    assert_eq!(parse(&ok).expires(), Some(1200));
    assert_eq!(set.poll_timeout(), Some(now + Duration::from_secs(1220)));
    let stale = subscribe("conference", Some(600), ";tag=n1", 1);
    assert_eq!(
        set.refresh(&stale, peer(), now).unwrap_err(),
        Refusal::OutOfOrder
    );
    let stranger = subscribe("conference", Some(600), ";tag=other", 3);
    assert_eq!(
        set.refresh(&stranger, peer(), now).unwrap_err(),
        Refusal::NoSuchSubscription
    );
    let wrong_event = subscribe("presence", Some(600), ";tag=n1", 3);
    assert_eq!(
        set.refresh(&wrong_event, peer(), now).unwrap_err(),
        Refusal::BadEvent
    );

    // Unsubscribe: Expires 0, then the final NOTIFY removes it.
    let unsubscribe = subscribe("conference", Some(0), ";tag=n1", 4);
    let (_, granted, _) = set.refresh(&unsubscribe, peer(), now).unwrap();
    assert_eq!(granted, 0);
    let last = set
        .terminate(id, "timeout", "application/conference-info+xml", b"<y/>")
        .unwrap();
    let last = parse_sent(&last);
    assert!(last.cseq().number > first_cseq);
    let state = last.subscription_state().unwrap();
    assert_eq!(
        (state.value(), state.reason()),
        ("terminated", Some("timeout"))
    );
    assert!(set.is_empty());
    assert_eq!(set.poll_timeout(), None);
    assert_eq!(
        set.refresh(
            &subscribe("conference", Some(600), ";tag=n1", 5),
            peer(),
            now
        )
        .unwrap_err(),
        Refusal::NoSuchSubscription
    );
}

#[test]
fn expiry_ends_subscriptions_in_time_order() {
    let now = Instant::now();
    let mut set = SubscriptionSet::new(SubscriptionLimits::default());
    let request = subscribe("presence", Some(60), "", 1);
    let (a, _) = set
        .accept(
            &request,
            Package::Presence,
            60,
            "alice",
            "carol",
            peer(),
            "h:1",
            "a",
            now,
        )
        .unwrap();
    let (b, _) = set
        .accept(
            &request,
            Package::Presence,
            120,
            "alice",
            "carol",
            peer(),
            "h:1",
            "b",
            now,
        )
        .unwrap();
    assert!(set.expired(now + Duration::from_secs(59)).is_empty());
    assert_eq!(set.expired(now + Duration::from_secs(60)), vec![a]);
    // A NOTIFY after expiry is the terminating one.
    let notify = set
        .notify(
            a,
            "application/pidf+xml",
            b"",
            now + Duration::from_secs(61),
        )
        .unwrap();
    let notify = parse_sent(&notify);
    assert_eq!(notify.subscription_state().unwrap().value(), "terminated");
    assert!(notify.header(KnownHeader::ContentType).is_none());
    assert!(set.get(a).is_none());
    assert_eq!(set.expired(now + Duration::from_secs(200)), vec![b]);
    assert_eq!(set.remove(b).map(|s| s.resource), Some("alice".to_owned()));
    assert!(set.is_empty());
}

#[test]
fn initial_subscribe_without_contact_is_malformed() {
    let text = "SUBSCRIBE sip:alice@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
                To: <sip:alice@h>\r\nFrom: <sip:b@h>;tag=1\r\nCall-ID: c\r\n\
                CSeq: 1 SUBSCRIBE\r\nEvent: presence\r\nContent-Length: 0\r\n\r\n";
    let request = Message::new_checked(text.as_bytes()).unwrap();
    let mut set = SubscriptionSet::default();
    let refused = set
        .accept(
            &request,
            Package::Presence,
            60,
            "alice",
            "b",
            peer(),
            "h:1",
            "t",
            Instant::now(),
        )
        .unwrap_err();
    assert_eq!(refused, Refusal::Malformed);
    assert_eq!(refused.status().0, 400);
}

#[test]
fn a_refused_or_lost_notify_ends_the_subscription() {
    let now = Instant::now();
    let mut set = SubscriptionSet::default();
    let request = subscribe("presence", Some(600), "", 1);
    let (id, _) = set
        .accept(
            &request,
            Package::Presence,
            600,
            "alice",
            "carol",
            peer(),
            "h:1",
            "t",
            now,
        )
        .unwrap();
    let first = set.notify(id, "application/pidf+xml", b"x", now).unwrap();
    let ok = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:a@h>;tag=f1\r\n\
              From: <sip:b@h>;tag=t\r\nCall-ID: sub-1\r\nCSeq: 1 NOTIFY\r\nContent-Length: 0\r\n\r\n";
    let ok = OutgoingResult::Response(parse(ok.as_bytes()));
    assert!(set.on_outgoing_result(first.id, &ok).is_none());
    assert!(set.get(id).is_some());
    let second = set.notify(id, "application/pidf+xml", b"y", now).unwrap();
    assert_ne!(second.id, first.id);
    let gone = set.on_outgoing_result(second.id, &OutgoingResult::Timeout);
    assert_eq!(gone.map(|s| s.subscriber), Some("carol".to_owned()));
    assert!(set.is_empty());
}
