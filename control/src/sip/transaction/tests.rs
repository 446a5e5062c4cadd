use std::time::{Duration, Instant};

use super::*;
use crate::sip::message::response_for;

const UAC: &str = "192.0.2.10:5060";

fn udp() -> Peer {
    Peer {
        addr: UAC.parse().unwrap(),
        transport: TransportKind::Udp,
    }
}

fn tcp() -> Peer {
    Peer {
        transport: TransportKind::Tcp,
        ..udp()
    }
}

fn request(method: &str, branch: &str, cseq: u32, to_tag: Option<&str>) -> Vec<u8> {
    let to_tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
    format!(
        "{method} sip:conference@example.com SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.10:5060;branch={branch}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@example.com>;tag=a1\r\n\
         To: <sip:conference@example.com>{to_tag}\r\n\
         Call-ID: call-1@192.0.2.10\r\n\
         CSeq: {cseq} {method}\r\n\
         Route: <sip:proxy.example.com;lr>\r\n\
         Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

fn msg(bytes: &[u8]) -> Message<&[u8]> {
    Message::new_checked(bytes).unwrap()
}

fn respond_bytes(req: &[u8], code: u16, reason: &str) -> Vec<u8> {
    let mut out = Vec::new();
    response_for(&msg(req), code, reason, Some("srv"), &mut out).finish(b"");
    out
}

/// Runs every timer up to `until`, returning what was sent.
fn advance(layer: &mut TransactionLayer, until: Instant) -> Vec<(Instant, Vec<u8>)> {
    let mut sent = Vec::new();
    while let Some(at) = layer.poll_timeout() {
        if at > until {
            break;
        }
        layer.handle_timeout(at);
        while let Some(t) = layer.poll_transmit() {
            sent.push((at, t.bytes));
        }
    }
    sent
}

fn drain_transmits(layer: &mut TransactionLayer) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| layer.poll_transmit().map(|t| t.bytes)).collect()
}

fn drain_events(layer: &mut TransactionLayer) -> Vec<TransactionEvent> {
    std::iter::from_fn(|| layer.poll_event()).collect()
}

fn status_of(bytes: &[u8]) -> Option<u16> {
    msg(bytes).status()
}

fn offsets(start: Instant, sent: &[(Instant, Vec<u8>)]) -> Vec<u64> {
    sent.iter()
        .map(|(at, _)| (*at - start).as_millis() as u64)
        .collect()
}

#[test]
fn non_invite_server_absorbs_and_repeats() {
    let mut layer = TransactionLayer::default();
    let t0 = Instant::now();
    let req = request("OPTIONS", "z9hG4bKopt1", 1, None);
    layer.handle_message(&msg(&req), udp(), t0);
    let events = drain_events(&mut layer);
    let [TransactionEvent::Request {
        transaction,
        request,
        peer,
    }] = events.as_slice()
    else {
        panic!("{events:?}");
    };
    assert_eq!(request.call_id(), "call-1@192.0.2.10");
    assert_eq!(*peer, udp());
    assert!(
        drain_transmits(&mut layer).is_empty(),
        "no 100 for non-INVITE"
    );
    layer.handle_message(&msg(&req), udp(), t0);
    assert!(
        drain_transmits(&mut layer).is_empty(),
        "retransmission absorbed in Trying"
    );
    assert!(drain_events(&mut layer).is_empty());

    layer
        .respond(*transaction, respond_bytes(&req, 200, "OK"), t0)
        .unwrap();
    let sent = drain_transmits(&mut layer);
    assert_eq!(sent.len(), 1);
    layer.handle_message(&msg(&req), udp(), t0 + Duration::from_secs(1));
    assert_eq!(
        drain_transmits(&mut layer),
        sent,
        "retransmission gets the final response again"
    );
    assert_eq!(
        layer.respond(*transaction, respond_bytes(&req, 500, "Oops"), t0),
        Err(TransactionError::AlreadyFinal)
    );
    assert_eq!(
        layer.poll_timeout(),
        Some(t0 + Duration::from_secs(32)),
        "timer J = 64*T1"
    );
    advance(&mut layer, t0 + Duration::from_secs(32));
    assert_eq!(
        drain_events(&mut layer),
        [TransactionEvent::Terminated(TransactionId::Server(
            *transaction
        ))]
    );
    assert!(layer.is_empty());
}

#[test]
fn reliable_non_invite_server_ends_with_its_response() {
    let mut layer = TransactionLayer::default();
    let t0 = Instant::now();
    let req = request("BYE", "z9hG4bKbye1", 2, Some("x"));
    layer.handle_message(&msg(&req), tcp(), t0);
    let Some(TransactionEvent::Request { transaction, .. }) = layer.poll_event() else {
        panic!("no request event");
    };
    layer
        .respond(transaction, respond_bytes(&req, 200, "OK"), t0)
        .unwrap();
    assert_eq!(drain_transmits(&mut layer).len(), 1);
    assert_eq!(
        layer.poll_event(),
        Some(TransactionEvent::Terminated(TransactionId::Server(
            transaction
        )))
    );
    assert_eq!(layer.poll_timeout(), None);
}

#[test]
fn invite_server_error_response_retransmits_until_ack() {
    let mut layer = TransactionLayer::default();
    let t0 = Instant::now();
    let invite = request("INVITE", "z9hG4bKinv1", 1, None);
    layer.handle_message(&msg(&invite), udp(), t0);
    let trying = drain_transmits(&mut layer);
    assert_eq!(trying.len(), 1);
    assert_eq!(status_of(&trying[0]), Some(100));
    let Some(TransactionEvent::Request { transaction, .. }) = layer.poll_event() else {
        panic!("no request event");
    };
    layer.handle_message(&msg(&invite), udp(), t0);
    assert_eq!(
        drain_transmits(&mut layer),
        trying,
        "INVITE retransmission gets the 100 again"
    );

    let busy = respond_bytes(&invite, 486, "Busy Here");
    layer.respond(transaction, busy.clone(), t0).unwrap();
    assert_eq!(drain_transmits(&mut layer), std::slice::from_ref(&busy));
    let sent = advance(&mut layer, t0 + Duration::from_millis(7600));
    assert_eq!(
        offsets(t0, &sent),
        [500, 1500, 3500, 7500],
        "timer G: T1 doubling to T2"
    );
    assert!(sent.iter().all(|(_, b)| *b == busy));

    let ack = request("ACK", "z9hG4bKinv1", 1, Some("srv"));
    layer.handle_message(&msg(&ack), udp(), t0 + Duration::from_secs(8));
    assert!(
        drain_events(&mut layer).is_empty(),
        "the ACK of a non-2xx stays in the layer"
    );
    assert_eq!(
        layer.server_state(transaction),
        Some(ServerState::Confirmed)
    );
    let sent = advance(&mut layer, t0 + Duration::from_secs(20));
    assert!(sent.is_empty(), "no retransmission after the ACK");
    assert_eq!(
        drain_events(&mut layer),
        [TransactionEvent::Terminated(TransactionId::Server(
            transaction
        ))],
        "timer I = T4 ends it"
    );
}

#[test]
fn invite_server_without_ack_times_out() {
    let mut layer = TransactionLayer::default();
    let t0 = Instant::now();
    let invite = request("INVITE", "z9hG4bKinv2", 1, None);
    layer.handle_message(&msg(&invite), udp(), t0);
    let Some(TransactionEvent::Request { transaction, .. }) = layer.poll_event() else {
        panic!("no request event");
    };
    layer
        .respond(transaction, respond_bytes(&invite, 603, "Decline"), t0)
        .unwrap();
    advance(&mut layer, t0 + Duration::from_secs(32));
    assert_eq!(
        drain_events(&mut layer),
        [
            TransactionEvent::AckTimeout { transaction },
            TransactionEvent::Terminated(TransactionId::Server(transaction))
        ]
    );
}

#[test]
fn invite_server_2xx_retransmits_until_the_dialog_ack() {
    let mut layer = TransactionLayer::default();
    let t0 = Instant::now();
    let invite = request("INVITE", "z9hG4bKinv3", 7, None);
    layer.handle_message(&msg(&invite), udp(), t0);
    let Some(TransactionEvent::Request { transaction, .. }) = layer.poll_event() else {
        panic!("no request event");
    };
    drain_transmits(&mut layer);
    let ok = respond_bytes(&invite, 200, "OK");
    layer.respond(transaction, ok.clone(), t0).unwrap();
    assert_eq!(drain_transmits(&mut layer), std::slice::from_ref(&ok));
    assert_eq!(layer.server_state(transaction), Some(ServerState::Accepted));
    let sent = advance(&mut layer, t0 + Duration::from_millis(3600));
    assert_eq!(offsets(t0, &sent), [500, 1500, 3500]);

    layer.handle_message(&msg(&invite), udp(), t0 + Duration::from_secs(4));
    assert!(
        drain_transmits(&mut layer).is_empty(),
        "INVITE retransmission absorbed when Accepted"
    );

    let ack = request("ACK", "z9hG4bKack3", 7, Some("srv"));
    layer.handle_message(&msg(&ack), udp(), t0 + Duration::from_secs(4));
    let events = drain_events(&mut layer);
    assert!(
        matches!(events.as_slice(), [TransactionEvent::Ack { transaction: Some(t), .. }] if *t == transaction),
        "{events:?}"
    );
    let sent = advance(&mut layer, t0 + Duration::from_secs(40));
    assert!(sent.is_empty(), "2xx retransmission stops at the ACK");
    assert_eq!(
        drain_events(&mut layer),
        [TransactionEvent::Terminated(TransactionId::Server(
            transaction
        ))],
        "timer L ends it without an AckTimeout"
    );
}

#[test]
fn invite_server_2xx_never_acked() {
    let mut layer = TransactionLayer::default();
    let t0 = Instant::now();
    let invite = request("INVITE", "z9hG4bKinv4", 1, None);
    layer.handle_message(&msg(&invite), udp(), t0);
    let Some(TransactionEvent::Request { transaction, .. }) = layer.poll_event() else {
        panic!("no request event");
    };
    layer
        .respond(transaction, respond_bytes(&invite, 200, "OK"), t0)
        .unwrap();
    assert_eq!(
        drain_transmits(&mut layer).len(),
        2,
        "100 Trying and the 200"
    );
    let sent = advance(&mut layer, t0 + Duration::from_secs(32));
    assert_eq!(
        sent.len(),
        10,
        "500 ms, 1 s, 2 s, then every 4 s up to 32 s"
    );
    assert_eq!(
        drain_events(&mut layer),
        [
            TransactionEvent::AckTimeout { transaction },
            TransactionEvent::Terminated(TransactionId::Server(transaction))
        ]
    );
}

#[test]
fn non_invite_client_retransmits_and_completes() {
    let mut layer = TransactionLayer::default();
    let t0 = Instant::now();
    let req = request("NOTIFY", "z9hG4bKntf1", 3, Some("x"));
    let id = layer.send_request(req.clone(), udp(), t0).unwrap();
    assert_eq!(drain_transmits(&mut layer), std::slice::from_ref(&req));
    let sent = advance(&mut layer, t0 + Duration::from_millis(11_600));
    assert_eq!(
        offsets(t0, &sent),
        [500, 1500, 3500, 7500, 11_500],
        "timer E: T1 doubling to T2"
    );

    let trying = respond_bytes(&req, 100, "Trying");
    layer.handle_message(&msg(&trying), udp(), t0 + Duration::from_secs(12));
    assert_eq!(layer.client_state(id), Some(ClientState::Proceeding));
    let ok = respond_bytes(&req, 200, "OK");
    layer.handle_message(&msg(&ok), udp(), t0 + Duration::from_secs(13));
    layer.handle_message(&msg(&ok), udp(), t0 + Duration::from_secs(13));
    let events = drain_events(&mut layer);
    let codes: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            TransactionEvent::Response {
                transaction,
                response,
            } if *transaction == id => response.status(),
            _ => None,
        })
        .collect();
    assert_eq!(codes, [100, 200], "the retransmitted 200 is absorbed");
    advance(&mut layer, t0 + Duration::from_secs(18));
    assert_eq!(
        drain_events(&mut layer),
        [TransactionEvent::Terminated(TransactionId::Client(id))],
        "timer K = T4"
    );
}

#[test]
fn non_invite_client_times_out() {
    let mut layer = TransactionLayer::default();
    let t0 = Instant::now();
    let id = layer
        .send_request(request("MESSAGE", "z9hG4bKmsg1", 1, None), tcp(), t0)
        .unwrap();
    drain_transmits(&mut layer);
    let sent = advance(&mut layer, t0 + Duration::from_secs(40));
    assert!(sent.is_empty(), "no retransmission over TCP");
    assert_eq!(
        drain_events(&mut layer),
        [
            TransactionEvent::Timeout { transaction: id },
            TransactionEvent::Terminated(TransactionId::Client(id))
        ]
    );
}

#[test]
fn invite_client_acks_error_responses_itself() {
    let mut layer = TransactionLayer::default();
    let t0 = Instant::now();
    let invite = request("INVITE", "z9hG4bKcli1", 5, None);
    let id = layer.send_request(invite.clone(), udp(), t0).unwrap();
    drain_transmits(&mut layer);
    let sent = advance(&mut layer, t0 + Duration::from_millis(1600));
    assert_eq!(offsets(t0, &sent), [500, 1500], "timer A");

    let busy = respond_bytes(&invite, 486, "Busy Here");
    layer.handle_message(&msg(&busy), udp(), t0 + Duration::from_secs(2));
    let acks = drain_transmits(&mut layer);
    assert_eq!(acks.len(), 1);
    let ack = msg(&acks[0]);
    assert_eq!(ack.method(), Method::Ack);
    assert_eq!(
        ack.request_uri().map(|u| u.as_str()),
        Some("sip:conference@example.com")
    );
    assert_eq!(ack.top_via().and_then(|v| v.branch()), Some("z9hG4bKcli1"));
    assert_eq!(ack.cseq().number, 5);
    assert_eq!(ack.to_tag(), Some("srv"));
    assert_eq!(ack.from_tag(), Some("a1"));
    assert_eq!(ack.routes().count(), 1);
    layer.handle_message(&msg(&busy), udp(), t0 + Duration::from_secs(3));
    assert_eq!(
        drain_transmits(&mut layer),
        acks,
        "a retransmitted 486 gets the same ACK"
    );
    let responses = drain_events(&mut layer)
        .into_iter()
        .filter(|e| matches!(e, TransactionEvent::Response { .. }))
        .count();
    assert_eq!(responses, 1);
    advance(&mut layer, t0 + Duration::from_secs(40));
    assert_eq!(
        drain_events(&mut layer),
        [TransactionEvent::Terminated(TransactionId::Client(id))],
        "timer D"
    );
}

#[test]
fn invite_client_passes_every_2xx_and_times_out_unanswered() {
    let mut layer = TransactionLayer::default();
    let t0 = Instant::now();
    let invite = request("INVITE", "z9hG4bKcli2", 1, None);
    let id = layer.send_request(invite.clone(), udp(), t0).unwrap();
    let ok = respond_bytes(&invite, 200, "OK");
    layer.handle_message(&msg(&ok), udp(), t0 + Duration::from_millis(100));
    layer.handle_message(&msg(&ok), udp(), t0 + Duration::from_millis(600));
    let responses = drain_events(&mut layer)
        .into_iter()
        .filter(|e| matches!(e, TransactionEvent::Response { .. }))
        .count();
    assert_eq!(
        responses, 2,
        "2xx retransmissions reach the TU, which re-sends its ACK"
    );
    assert_eq!(layer.client_state(id), Some(ClientState::Accepted));

    let mut other = TransactionLayer::default();
    let id = other
        .send_request(request("INVITE", "z9hG4bKcli3", 1, None), udp(), t0)
        .unwrap();
    assert_eq!(drain_transmits(&mut other).len(), 1);
    let sent = advance(&mut other, t0 + Duration::from_secs(32));
    assert_eq!(
        offsets(t0, &sent),
        [500, 1500, 3500, 7500, 15_500, 31_500],
        "A doubles without cap"
    );
    assert_eq!(
        drain_events(&mut other),
        [
            TransactionEvent::Timeout { transaction: id },
            TransactionEvent::Terminated(TransactionId::Client(id))
        ]
    );
}

#[test]
fn rfc2543_requests_match_without_a_cookie() {
    let mut layer = TransactionLayer::default();
    let t0 = Instant::now();
    let invite = request("INVITE", "1234", 56, None);
    layer.handle_message(&msg(&invite), udp(), t0);
    let Some(TransactionEvent::Request { transaction, .. }) = layer.poll_event() else {
        panic!("no request event");
    };
    drain_transmits(&mut layer);
    layer.handle_message(&msg(&invite), udp(), t0);
    assert_eq!(
        drain_transmits(&mut layer).len(),
        1,
        "matched as a retransmission"
    );
    assert!(drain_events(&mut layer).is_empty());
    layer
        .respond(transaction, respond_bytes(&invite, 404, "Not Found"), t0)
        .unwrap();
    let wrong_tag = request("ACK", "1234", 56, Some("not-ours"));
    layer.handle_message(&msg(&wrong_tag), udp(), t0);
    assert_eq!(
        layer.server_state(transaction),
        Some(ServerState::Completed)
    );
    assert!(matches!(
        layer.poll_event(),
        Some(TransactionEvent::Ack {
            transaction: None,
            ..
        })
    ));
    let ack = request("ACK", "1234", 56, Some("srv"));
    layer.handle_message(&msg(&ack), udp(), t0);
    assert_eq!(
        layer.server_state(transaction),
        Some(ServerState::Confirmed)
    );
}

#[test]
fn stray_responses_are_dropped() {
    let mut layer = TransactionLayer::default();
    let req = request("OPTIONS", "z9hG4bKnobody", 1, None);
    layer.handle_message(&msg(&respond_bytes(&req, 200, "OK")), udp(), Instant::now());
    assert_eq!(layer.stray_responses(), 1);
    assert!(layer.poll_event().is_none());
    assert!(layer.poll_transmit().is_none());
}

#[test]
fn cancel_finds_its_invite() {
    let mut layer = TransactionLayer::default();
    let t0 = Instant::now();
    let invite = request("INVITE", "z9hG4bKcan1", 9, None);
    layer.handle_message(&msg(&invite), udp(), t0);
    let Some(TransactionEvent::Request { transaction, .. }) = layer.poll_event() else {
        panic!("no request event");
    };
    let cancel = request("CANCEL", "z9hG4bKcan1", 9, None);
    layer.handle_message(&msg(&cancel), udp(), t0);
    let Some(TransactionEvent::Request {
        transaction: cancel_tx,
        request,
        ..
    }) = layer.poll_event()
    else {
        panic!("CANCEL is its own transaction");
    };
    assert_ne!(cancel_tx, transaction);
    assert_eq!(layer.invite_for_cancel(&request), Some(transaction));
    let unrelated = request_with_branch("CANCEL", "z9hG4bKother");
    assert_eq!(layer.invite_for_cancel(&msg(&unrelated)), None);
}

fn request_with_branch(method: &str, branch: &str) -> Vec<u8> {
    request(method, branch, 9, None)
}

#[test]
fn refused_requests() {
    let mut layer = TransactionLayer::default();
    let t0 = Instant::now();
    assert_eq!(
        layer.send_request(request("ACK", "z9hG4bKa", 1, None), udp(), t0),
        Err(TransactionError::AckIsNotATransaction)
    );
    assert_eq!(
        layer.send_request(request("OPTIONS", "old", 1, None), udp(), t0),
        Err(TransactionError::NoBranch)
    );
    assert!(matches!(
        layer.send_request(b"garbage".to_vec(), udp(), t0),
        Err(TransactionError::Malformed(_))
    ));
    layer
        .send_request(request("OPTIONS", "z9hG4bKdup", 1, None), udp(), t0)
        .unwrap();
    assert_eq!(
        layer.send_request(request("OPTIONS", "z9hG4bKdup", 1, None), udp(), t0),
        Err(TransactionError::DuplicateTransaction)
    );
    assert_eq!(
        layer.respond(
            ServerTxId(999),
            respond_bytes(&request("OPTIONS", "z9hG4bKx", 1, None), 200, "OK"),
            t0
        ),
        Err(TransactionError::UnknownTransaction)
    );
}
