use super::*;
use crate::sip::message::response_for;

const INVITE: &str = "INVITE sip:conf-7@focus.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKinv\r\n\
Max-Forwards: 70\r\n\
From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n\
To: <sip:conf-7@focus.example.com>\r\n\
Call-ID: dlg-1@192.0.2.10\r\n\
CSeq: 10 INVITE\r\n\
Contact: <sip:alice@192.0.2.10:5060>\r\n\
Record-Route: <sip:p2.example.com;lr>, <sip:p1.example.com;lr>\r\n\
Content-Length: 0\r\n\r\n";

const VIA: ViaSpec<'static> = ViaSpec {
    transport: "UDP",
    sent_by: "198.51.100.1:5060",
    branch: "z9hG4bKnew",
};

fn msg(bytes: &[u8]) -> Message<&[u8]> {
    Message::new_checked(bytes).unwrap()
}

fn ok_from_focus(request: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = response_for(&msg(request), 200, "OK", Some("f9"), &mut out);
    w.known(KnownHeader::Contact, "<sip:conf-7@198.51.100.1:5060>");
    w.finish(b"");
    out
}

#[test]
fn uac_dialog_routes_in_reverse_and_builds_bye() {
    let ok = ok_from_focus(INVITE.as_bytes());
    let mut dialog = Dialog::as_uac(&msg(INVITE.as_bytes()), &msg(&ok)).unwrap();
    assert_eq!(dialog.state(), DialogState::Confirmed);
    assert_eq!(
        dialog.id(),
        &DialogId {
            call_id: "dlg-1@192.0.2.10".into(),
            local_tag: "a1".into(),
            remote_tag: "f9".into()
        }
    );
    assert_eq!(dialog.remote_target(), "sip:conf-7@198.51.100.1:5060");
    assert_eq!(
        dialog.route_set(),
        ["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]
    );
    assert!(dialog.matches(&msg(&ok)));

    let mut out = Vec::new();
    dialog
        .write_request(Method::Bye, &VIA, &mut out)
        .finish(b"");
    let bye = msg(&out);
    assert_eq!(bye.method(), Method::Bye);
    assert_eq!(
        bye.request_uri().map(|u| u.as_str()),
        Some("sip:conf-7@198.51.100.1:5060")
    );
    let routes: Vec<_> = bye.routes().map(|r| r.uri().as_str().to_string()).collect();
    assert_eq!(routes, ["sip:p1.example.com;lr", "sip:p2.example.com;lr"]);
    assert_eq!(bye.cseq().number, 11);
    assert_eq!(bye.from_tag(), Some("a1"));
    assert_eq!(bye.to_tag(), Some("f9"));
    assert_eq!(bye.call_id(), "dlg-1@192.0.2.10");
    assert_eq!(bye.top_via().and_then(|v| v.branch()), Some("z9hG4bKnew"));
    assert_eq!(bye.contacts().count(), 0, "BYE is not a target refresh");

    let mut out = Vec::new();
    dialog.write_ack(10, &VIA, &mut out).finish(b"");
    let ack = msg(&out);
    assert_eq!(ack.cseq().number, 10);
    assert_eq!(ack.method(), Method::Ack);
    assert_eq!(dialog.local_seq(), 11, "ACK does not take a CSeq");
}

#[test]
fn strict_route_puts_the_target_last() {
    let invite = INVITE.replace(
        "Record-Route: <sip:p2.example.com;lr>, <sip:p1.example.com;lr>",
        "Record-Route: <sip:p2.example.com;lr>, <sip:strict.example.com>",
    );
    let ok = ok_from_focus(invite.as_bytes());
    let mut dialog = Dialog::as_uac(&msg(invite.as_bytes()), &msg(&ok)).unwrap();
    let mut out = Vec::new();
    dialog
        .write_request(Method::Info, &VIA, &mut out)
        .finish(b"");
    let info = msg(&out);
    assert_eq!(
        info.request_uri().map(|u| u.as_str()),
        Some("sip:strict.example.com")
    );
    let routes: Vec<_> = info
        .routes()
        .map(|r| r.uri().as_str().to_string())
        .collect();
    assert_eq!(
        routes,
        ["sip:p2.example.com;lr", "sip:conf-7@198.51.100.1:5060"]
    );
}

#[test]
fn uas_dialog_notify_and_cseq_order() {
    let subscribe = INVITE
        .replace("INVITE sip", "SUBSCRIBE sip")
        .replace("CSeq: 10 INVITE", "CSeq: 10 SUBSCRIBE")
        .replace(
            "Content-Length: 0",
            "Event: conference\r\nContent-Length: 0",
        );
    let mut dialog = Dialog::as_uas(
        &msg(subscribe.as_bytes()),
        "f9",
        "sip:conf-7@198.51.100.1:5060",
    )
    .unwrap();
    assert_eq!(
        dialog.route_set(),
        ["<sip:p2.example.com;lr>", "<sip:p1.example.com;lr>"]
    );
    assert_eq!(dialog.remote_seq(), Some(10));

    let mut out = Vec::new();
    let mut w = dialog.write_request(Method::Notify, &VIA, &mut out);
    w.known(KnownHeader::Event, "conference");
    w.known(KnownHeader::SubscriptionState, "active;expires=600");
    w.finish_with("application/conference-info+xml", b"<conference-info/>");
    let notify = msg(&out);
    assert_eq!(notify.cseq().number, 1);
    assert_eq!(
        notify.request_uri().map(|u| u.as_str()),
        Some("sip:alice@192.0.2.10:5060")
    );
    assert_eq!(notify.from_tag(), Some("f9"));
    assert_eq!(notify.to_tag(), Some("a1"));
    assert_eq!(notify.event().map(|e| e.value()), Some("conference"));
    assert_eq!(
        notify.subscription_state().and_then(|s| s.expires()),
        Some(600)
    );
    assert_eq!(
        notify
            .contacts()
            .next()
            .and_then(|c| c.address().map(|a| a.uri().as_str().to_string())),
        Some("sip:conf-7@198.51.100.1:5060".to_string())
    );

    let refresh = subscribe
        .replace("CSeq: 10 SUBSCRIBE", "CSeq: 11 SUBSCRIBE")
        .replace(
            "To: <sip:conf-7@focus.example.com>",
            "To: <sip:conf-7@focus.example.com>;tag=f9",
        )
        .replace(
            "<sip:alice@192.0.2.10:5060>",
            "<sip:alice@203.0.113.5:5062>",
        );
    assert!(dialog.matches(&msg(refresh.as_bytes())));
    dialog.on_request(&msg(refresh.as_bytes())).unwrap();
    assert_eq!(dialog.remote_target(), "sip:alice@203.0.113.5:5062");
    assert_eq!(
        dialog.on_request(&msg(subscribe.as_bytes())),
        Err(DialogError::OutOfOrder { got: 10, last: 11 })
    );
}

#[test]
fn dialog_creation_errors() {
    let invite = msg(INVITE.as_bytes());
    let mut out = Vec::new();
    response_for(&invite, 486, "Busy Here", Some("x"), &mut out).finish(b"");
    assert_eq!(
        Dialog::as_uac(&invite, &msg(&out)).err(),
        Some(DialogError::NotDialogCreating)
    );
    let mut out = Vec::new();
    response_for(&invite, 200, "OK", Some("x"), &mut out).finish(b"");
    assert_eq!(
        Dialog::as_uac(&invite, &msg(&out)).err(),
        Some(DialogError::MissingContact)
    );
    let mut out = Vec::new();
    let mut w = response_for(&invite, 180, "Ringing", Some("x"), &mut out);
    w.known(KnownHeader::Contact, "<sip:x@h>");
    w.finish(b"");
    let early = Dialog::as_uac(&invite, &msg(&out)).unwrap();
    assert_eq!(early.state(), DialogState::Early);
    let no_contact = INVITE.replace("Contact: <sip:alice@192.0.2.10:5060>\r\n", "");
    assert_eq!(
        Dialog::as_uas(&msg(no_contact.as_bytes()), "t", "sip:me@h").err(),
        Some(DialogError::MissingContact)
    );
}

#[test]
fn cancel_copies_the_invite_identity() {
    let mut out = Vec::new();
    write_cancel(&msg(INVITE.as_bytes()), &mut out);
    let cancel = msg(&out);
    let invite = msg(INVITE.as_bytes());
    assert_eq!(cancel.method(), Method::Cancel);
    assert_eq!(cancel.request_uri(), invite.request_uri());
    assert_eq!(cancel.top_via(), invite.top_via());
    assert_eq!(cancel.cseq().number, 10);
    assert_eq!(cancel.call_id(), invite.call_id());
    assert_eq!(cancel.from_tag(), Some("a1"));
}
