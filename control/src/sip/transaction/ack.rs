//! The ACK a client INVITE transaction sends for a non-2xx final response
//! (RFC 3261 sec. 17.1.1.3): same Request-URI, Call-ID, From, CSeq number and top Via as
//! the INVITE, its Route set, and the To of the response (with the tag the UAS chose).

use crate::sip::header::KnownHeader;
use crate::sip::message::MessageWriter;
use crate::sip::{Message, Method, StartLine};

/// What the ACK copies from the INVITE, kept from when the transaction started.
#[derive(Debug, Clone)]
pub(crate) struct AckTemplate {
    request_uri: String,
    top_via: String,
    from: String,
    call_id: String,
    cseq: u32,
    routes: Vec<String>,
}

impl AckTemplate {
    pub(crate) fn from_invite<T: AsRef<[u8]>>(invite: &Message<T>) -> Self {
        let request_uri = match invite.start_line() {
            StartLine::Request { uri, .. } => uri.to_string(),
            StartLine::Response { .. } => String::new(),
        };
        AckTemplate {
            request_uri,
            top_via: invite
                .list_items(KnownHeader::Via)
                .next()
                .unwrap_or("")
                .to_string(),
            from: invite.header(KnownHeader::From).unwrap_or("").to_string(),
            call_id: invite.call_id().to_string(),
            cseq: invite.cseq().number,
            routes: invite
                .header_values(KnownHeader::Route)
                .map(str::to_string)
                .collect(),
        }
    }

    /// Builds the ACK for `response`.
    pub(crate) fn build<T: AsRef<[u8]>>(&self, response: &Message<T>) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.request_uri.len());
        let mut w = MessageWriter::request(&mut out, Method::Ack, &self.request_uri);
        w.known(KnownHeader::Via, &self.top_via);
        w.known(KnownHeader::MaxForwards, 70);
        for route in &self.routes {
            w.known(KnownHeader::Route, route);
        }
        w.known(KnownHeader::From, &self.from);
        w.known(
            KnownHeader::To,
            response.header(KnownHeader::To).unwrap_or(""),
        );
        w.known(KnownHeader::CallId, &self.call_id);
        w.known(KnownHeader::CSeq, format_args!("{} ACK", self.cseq));
        w.finish(b"");
        out
    }
}
