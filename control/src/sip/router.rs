//! Which part of the server a request goes to, by method (and, for INVITE, by whether it
//! is inside a dialog), and the methods the server implements.
//!
//! Each part of issue 5 has a [`Route`] and a place in [`server_profile`]: SUBSCRIBE
//! (presence and conference state), REFER (invitations), MESSAGE (text conferences and
//! room commands); methods not listed there get 501 Not Implemented with an Allow header
//! from the admission checks.

use crate::sip::admission::UasProfile;
use crate::sip::header::KnownHeader;
use crate::sip::message::response_for;
use crate::sip::{Message, Method};

/// Where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Route {
    /// OPTIONS: answered at once with what the server supports.
    Options,
    /// REGISTER: the registrar.
    Register,
    /// INVITE outside a dialog: the conference focus (factory or join).
    Invite,
    /// INVITE inside a dialog: the focus (hold, resume, media change).
    Reinvite,
    /// BYE: the focus (leave).
    Bye,
    /// CANCEL: the transaction it cancels, then the focus.
    Cancel,
    /// ACK: consumed by the transaction layer; nothing more to do.
    Ack,
    /// REFER: the focus invites the Refer-To target into the conference.
    Refer,
    /// MESSAGE: the focus fans it out to the conference's other participants.
    Message,
    /// SUBSCRIBE: the notifier (conference state, presence, watcher information).
    Subscribe,
    /// A method the profile admits but nothing here handles: 405.
    NotAllowed,
}

/// The methods the server implements, as Allow lists them.
pub const ALLOW: &str = "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, REFER, SUBSCRIBE, MESSAGE";

/// The methods and bodies this server takes (the admission checks answer others).
pub fn server_profile() -> UasProfile {
    let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
    UasProfile {
        methods: strings(&[
            "INVITE",
            "ACK",
            "BYE",
            "CANCEL",
            "OPTIONS",
            "REGISTER",
            "REFER",
            "SUBSCRIBE",
            "MESSAGE",
        ]),
        content_types: strings(&[
            "application/sdp",
            "text/plain",
            "message/cpim",
            crate::sip::focus::SPAWN_CONTENT_TYPE,
            crate::sip::focus::ROOM_CONTROL_CONTENT_TYPE,
        ]),
        extensions: Vec::new(),
    }
}

/// The route of `request`.
pub fn route<T: AsRef<[u8]>>(request: &Message<T>) -> Route {
    match request.method() {
        Method::Options => Route::Options,
        Method::Register => Route::Register,
        Method::Invite if request.to_tag().is_none() => Route::Invite,
        Method::Invite => Route::Reinvite,
        Method::Bye => Route::Bye,
        Method::Cancel => Route::Cancel,
        Method::Ack => Route::Ack,
        Method::Refer => Route::Refer,
        Method::Message => Route::Message,
        Method::Subscribe => Route::Subscribe,
        _ => Route::NotAllowed,
    }
}

/// `200 OK` to OPTIONS: Allow, Accept and Accept-Encoding say what the server takes.
pub fn options_ok<T: AsRef<[u8]>>(request: &Message<T>, to_tag: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = response_for(request, 200, "OK", Some(to_tag), &mut out);
    w.known(KnownHeader::Allow, ALLOW);
    w.known(KnownHeader::Accept, "application/sdp");
    w.known(KnownHeader::AcceptEncoding, "identity");
    w.known(
        KnownHeader::AllowEvents,
        crate::sip::subscription::ALLOW_EVENTS,
    );
    w.finish(b"");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_go_where_they_belong() {
        let cases = [
            ("OPTIONS", "", Route::Options),
            ("REGISTER", "", Route::Register),
            ("INVITE", "", Route::Invite),
            ("INVITE", ";tag=a", Route::Reinvite),
            ("BYE", ";tag=a", Route::Bye),
            ("CANCEL", "", Route::Cancel),
            ("ACK", ";tag=a", Route::Ack),
            ("REFER", "", Route::Refer),
            ("MESSAGE", "", Route::Message),
            ("SUBSCRIBE", "", Route::Subscribe),
            ("SUBSCRIBE", ";tag=a", Route::Subscribe),
            ("INFO", ";tag=a", Route::NotAllowed),
        ];
        for (method, tag, expected) in cases {
            let text = format!(
                "{method} sip:a@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
                 To: <sip:a@h>{tag}\r\nFrom: <sip:b@h>;tag=1\r\nCall-ID: c\r\n\
                 CSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n"
            );
            let m = Message::new_checked(text.as_bytes()).unwrap();
            assert_eq!(route(&m), expected, "{method}{tag}");
        }
        let m = Message::new_checked(
            &b"OPTIONS sip:a@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
               To: <sip:a@h>\r\nFrom: <sip:b@h>;tag=1\r\nCall-ID: c\r\n\
               CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"[..],
        )
        .unwrap();
        let ok = options_ok(&m, "t");
        let ok = Message::new_checked(ok.as_slice()).unwrap();
        assert_eq!(ok.status(), Some(200));
        assert!(ok.allow().any(|m| m == Method::Register));
        assert!(ok
            .header(KnownHeader::AllowEvents)
            .is_some_and(|e| e.contains("presence")));
        assert!(server_profile()
            .methods
            .iter()
            .all(|m| ALLOW.contains(m.as_str())));
    }
}
