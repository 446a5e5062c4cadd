//! Building requests inside a dialog (RFC 3261 sec. 12.2.1.1) and the CANCEL of a pending
//! INVITE (sec. 9.1).

use super::{is_target_refresh, Dialog};
use crate::sip::header::{AddressForm, KnownHeader, NameAddr};
use crate::sip::message::MessageWriter;
use crate::sip::{Message, Method, StartLine};

/// The Via a new request carries: our transport, our sent-by, and a fresh branch (which
/// must start with `z9hG4bK`; see [`crate::sip::ids::new_branch`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViaSpec<'a> {
    /// `UDP`, `TCP` or `TLS`.
    pub transport: &'a str,
    /// `host[:port]` where we receive responses.
    pub sent_by: &'a str,
    /// The transaction's branch.
    pub branch: &'a str,
}

impl ViaSpec<'_> {
    fn write(&self, w: &mut MessageWriter<'_>) {
        w.known(
            KnownHeader::Via,
            format_args!(
                "SIP/2.0/{} {};branch={}",
                self.transport, self.sent_by, self.branch
            ),
        );
    }
}

/// A display name as a quoted string; quotes, backslashes and control characters are
/// replaced so the name cannot end the string early.
fn quoted(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if matches!(c, '"' | '\\') || c.is_control() {
                '\''
            } else {
                c
            }
        })
        .collect();
    format!("\"{clean}\"")
}

/// The URI inside a route entry, without `<>` and header parameters.
fn route_uri(route: &str) -> String {
    NameAddr::parse(route, AddressForm::NameAddrOnly)
        .ok()
        .map(|a| {
            let uri = a.uri();
            uri.as_sip()
                .map_or(uri.as_str(), |s| s.without_headers())
                .to_string()
        })
        .unwrap_or_default()
}

impl Dialog {
    fn write_common<'o>(
        &self,
        method: Method<'_>,
        cseq: u32,
        via: Option<&ViaSpec<'_>>,
        display_name: Option<&str>,
        out: &'o mut Vec<u8>,
    ) -> MessageWriter<'o> {
        let strict = self
            .route_set
            .first()
            .is_some_and(|first| !Dialog::route_is_loose(first));
        let request_uri = if strict {
            self.route_set
                .first()
                .map(|r| route_uri(r))
                .unwrap_or_default()
        } else {
            self.remote_target.clone()
        };
        let mut w = MessageWriter::request(out, method, &request_uri);
        if let Some(via) = via {
            via.write(&mut w);
        }
        w.known(KnownHeader::MaxForwards, 70);
        let routes = if strict {
            self.route_set.get(1..).unwrap_or(&[])
        } else {
            &self.route_set[..]
        };
        for route in routes {
            w.known(KnownHeader::Route, route);
        }
        if strict {
            w.known(KnownHeader::Route, format_args!("<{}>", self.remote_target));
        }
        match display_name {
            Some(name) => w.known(
                KnownHeader::From,
                format_args!(
                    "{} <{}>;tag={}",
                    quoted(name),
                    self.local_uri,
                    self.id.local_tag
                ),
            ),
            None => w.known(
                KnownHeader::From,
                format_args!("<{}>;tag={}", self.local_uri, self.id.local_tag),
            ),
        };
        w.known(
            KnownHeader::To,
            format_args!("<{}>;tag={}", self.remote_uri, self.id.remote_tag),
        );
        w.known(KnownHeader::CallId, &self.id.call_id);
        w.known(KnownHeader::CSeq, format_args!("{cseq} {method}"));
        w
    }

    /// Starts the next request in the dialog (BYE, re-INVITE, NOTIFY, REFER, INFO ...):
    /// bumps the local CSeq, writes the request line, Via, Max-Forwards, the route set
    /// (loose or strict routing), From, To, Call-ID, CSeq, and our Contact for a target
    /// refresh. Add headers and finish the writer. ACK and CANCEL are built by
    /// [`Dialog::write_ack`] and [`write_cancel`].
    pub fn write_request<'o>(
        &mut self,
        method: Method<'_>,
        via: &ViaSpec<'_>,
        out: &'o mut Vec<u8>,
    ) -> MessageWriter<'o> {
        self.start_request(method, Some(via), None, out)
    }

    /// Like [`Dialog::write_request`] without the Via, for requests handed to the I/O
    /// shell as [`crate::sip::transaction::outgoing::OutgoingRequest`]s (it adds the Via).
    pub fn write_request_without_via<'o>(
        &mut self,
        method: Method<'_>,
        out: &'o mut Vec<u8>,
    ) -> MessageWriter<'o> {
        self.start_request(method, None, None, out)
    }

    /// Like [`Dialog::write_request_without_via`], with `display_name` in From (the
    /// focus names the author of a text message this way; only From's URI and tag
    /// identify the dialog).
    pub fn write_request_named<'o>(
        &mut self,
        method: Method<'_>,
        display_name: &str,
        out: &'o mut Vec<u8>,
    ) -> MessageWriter<'o> {
        self.start_request(method, None, Some(display_name), out)
    }

    fn start_request<'o>(
        &mut self,
        method: Method<'_>,
        via: Option<&ViaSpec<'_>>,
        display_name: Option<&str>,
        out: &'o mut Vec<u8>,
    ) -> MessageWriter<'o> {
        self.local_seq = self.local_seq.wrapping_add(1) & 0x7fff_ffff;
        let mut w = self.write_common(method, self.local_seq, via, display_name, out);
        if is_target_refresh(method) {
            if let Some(contact) = &self.local_contact {
                w.known(KnownHeader::Contact, format_args!("<{contact}>"));
            }
        }
        w
    }

    /// Starts the ACK for a 2xx to the INVITE sent with CSeq `invite_cseq` (a new
    /// transaction of its own: `via` needs a fresh branch). Finish it with the SDP answer
    /// when the offer came in the 2xx, or with an empty body.
    pub fn write_ack<'o>(
        &self,
        invite_cseq: u32,
        via: &ViaSpec<'_>,
        out: &'o mut Vec<u8>,
    ) -> MessageWriter<'o> {
        self.write_common(Method::Ack, invite_cseq, Some(via), None, out)
    }

    /// Like [`Dialog::write_ack`] without the Via (sent as a stateless
    /// [`crate::sip::transaction::outgoing::OutgoingRequest`]).
    pub fn write_ack_without_via<'o>(
        &self,
        invite_cseq: u32,
        out: &'o mut Vec<u8>,
    ) -> MessageWriter<'o> {
        self.write_common(Method::Ack, invite_cseq, None, None, out)
    }
}

/// Writes the CANCEL for a pending INVITE we sent: same Request-URI, Call-ID, From, To,
/// CSeq number and top Via (so it reaches the same server transaction), and the same Route
/// headers.
pub fn write_cancel<T: AsRef<[u8]>>(invite: &Message<T>, out: &mut Vec<u8>) {
    let uri = match invite.start_line() {
        StartLine::Request { uri, .. } => uri,
        StartLine::Response { .. } => "",
    };
    let mut w = MessageWriter::request(out, Method::Cancel, uri);
    if let Some(via) = invite.list_items(KnownHeader::Via).next() {
        w.known(KnownHeader::Via, via);
    }
    w.known(KnownHeader::MaxForwards, 70);
    for route in invite.header_values(KnownHeader::Route) {
        w.known(KnownHeader::Route, route);
    }
    if let Some(from) = invite.header(KnownHeader::From) {
        w.known(KnownHeader::From, from);
    }
    if let Some(to) = invite.header(KnownHeader::To) {
        w.known(KnownHeader::To, to);
    }
    w.known(KnownHeader::CallId, invite.call_id());
    w.known(
        KnownHeader::CSeq,
        format_args!("{} CANCEL", invite.cseq().number),
    );
    w.finish(b"");
}
