//! SIP messages (RFC 3261 sec. 7): a checked view over a buffer in the smoltcp style.
//!
//! [`Message::new_checked`] parses the start line, every header line (folds included), the
//! grammar of every known header and the body framing once, and records where things are.
//! After that no accessor can fail or panic: typed accessors parse the recorded slice again
//! (cheap, and already proven to succeed) and return views borrowing the buffer. The buffer
//! may be borrowed (`Message<&[u8]>`, zero-copy on receive) or owned (`Message<Vec<u8>>`,
//! what transactions keep and hand to the application).

mod canonical;
mod error;
mod layout;
mod parse;
mod writer;

#[cfg(test)]
mod tests;

use crate::sip::header::{
    split_list, AddressForm, AuthHeader, CSeq, Contact, Event, HeaderName, KnownHeader, MediaType,
    NameAddr, SubscriptionState, Via,
};
use crate::sip::method::Method;
use crate::sip::uri::Uri;
use crate::sip::{header, syntax};

pub use error::ParseError;
pub use writer::{response_for, MessageWriter};

use layout::{Layout, Span, StartSpans};

/// A checked SIP request or response over the bytes in `T`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<T: AsRef<[u8]>> {
    buffer: T,
    layout: Layout,
}

/// The start line of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartLine<'a> {
    /// `Method SP Request-URI SP SIP/2.0`.
    Request {
        /// The method.
        method: Method<'a>,
        /// The Request-URI as written.
        uri: &'a str,
    },
    /// `SIP/2.0 SP Status-Code SP Reason-Phrase`.
    Response {
        /// The status code, 100 to 699.
        code: u16,
        /// The reason phrase (may be empty).
        reason: &'a str,
    },
}

/// One header field as found in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderField<'a> {
    /// The name, classified.
    pub name: HeaderName<'a>,
    /// The value as received: trimmed, folds (`CRLF` + white space) kept.
    pub value: &'a str,
}

impl HeaderField<'_> {
    /// The value with every fold replaced by one space.
    pub fn value_unfolded(&self) -> std::borrow::Cow<'_, str> {
        syntax::unfold(self.value)
    }
}

impl<T: AsRef<[u8]>> Message<T> {
    /// Parses and checks the message in `buffer` (datagram framing; see the module docs of
    /// the parser). Errors say which response a malformed request deserves.
    pub fn new_checked(buffer: T) -> Result<Self, ParseError> {
        let layout = parse::parse(buffer.as_ref())?;
        Ok(Message { buffer, layout })
    }

    /// The underlying buffer (may extend past the message: see [`Message::message_len`]).
    pub fn buffer(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// Consumes the message and returns its buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Copies the message into an owned buffer.
    pub fn to_owned_message(&self) -> Message<Vec<u8>> {
        Message {
            buffer: self.buffer.as_ref().to_vec(),
            layout: self.layout.clone(),
        }
    }

    /// Bytes from the start of the buffer to the end of the body; anything after (datagram
    /// noise, RFC 4475 dblreq) is not part of the message.
    pub fn message_len(&self) -> usize {
        self.layout.body.end as usize
    }

    fn text(&self, span: Span) -> &str {
        self.buffer
            .as_ref()
            .get(span.range())
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    /// The start line.
    pub fn start_line(&self) -> StartLine<'_> {
        match self.layout.start {
            StartSpans::Request { method, uri } => StartLine::Request {
                method: Method::parse(self.text(method)),
                uri: self.text(uri),
            },
            StartSpans::Response { code, reason } => StartLine::Response {
                code,
                reason: self.text(reason),
            },
        }
    }

    /// True for a request.
    pub fn is_request(&self) -> bool {
        matches!(self.layout.start, StartSpans::Request { .. })
    }

    /// The method of a request; for a response, the method of its CSeq.
    pub fn method(&self) -> Method<'_> {
        match self.layout.start {
            StartSpans::Request { method, .. } => Method::parse(self.text(method)),
            StartSpans::Response { .. } => self.cseq().method,
        }
    }

    /// The Request-URI of a request.
    pub fn request_uri(&self) -> Option<Uri<'_>> {
        match self.layout.start {
            StartSpans::Request { uri, .. } => Uri::parse(self.text(uri)).ok(),
            StartSpans::Response { .. } => None,
        }
    }

    /// The status code of a response.
    pub fn status(&self) -> Option<u16> {
        match self.layout.start {
            StartSpans::Response { code, .. } => Some(code),
            StartSpans::Request { .. } => None,
        }
    }

    /// The reason phrase of a response.
    pub fn reason(&self) -> Option<&str> {
        match self.layout.start {
            StartSpans::Response { reason, .. } => Some(self.text(reason)),
            StartSpans::Request { .. } => None,
        }
    }

    /// Every header field in order.
    pub fn headers(&self) -> impl Iterator<Item = HeaderField<'_>> {
        self.layout.headers.iter().map(|h| HeaderField {
            name: match h.known {
                Some(k) => HeaderName::Known(k),
                None => HeaderName::Extension(self.text(h.name)),
            },
            value: self.text(h.value),
        })
    }

    /// The raw values of every header line of a known header, in order.
    pub fn header_values(&self, name: KnownHeader) -> impl Iterator<Item = &str> {
        self.layout
            .headers
            .iter()
            .filter(move |h| h.known == Some(name))
            .map(|h| self.text(h.value))
    }

    /// The raw value of the first line of a known header.
    pub fn header(&self, name: KnownHeader) -> Option<&str> {
        self.header_values(name).next()
    }

    /// The raw values of an extension header, matched case-insensitively.
    pub fn extension_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.layout
            .headers
            .iter()
            .filter(move |h| h.known.is_none() && self.text(h.name).eq_ignore_ascii_case(name))
            .map(|h| self.text(h.value))
    }

    /// Every element of a comma-list header, across all its header lines.
    pub fn list_items(&self, name: KnownHeader) -> impl Iterator<Item = &str> {
        self.header_values(name).flat_map(split_list)
    }

    /// The Content-Length header's value, if the message carried one (the body is then
    /// exactly that long; without it, the body ran to the end of the datagram).
    pub fn content_length(&self) -> Option<usize> {
        header::parse_content_length(self.header(KnownHeader::ContentLength)?).ok()
    }

    /// The body (exactly Content-Length bytes when the header is present).
    pub fn body(&self) -> &[u8] {
        self.buffer
            .as_ref()
            .get(self.layout.body.range())
            .unwrap_or(&[])
    }

    /// The Call-ID.
    pub fn call_id(&self) -> &str {
        self.text(self.layout.call_id)
    }

    /// The CSeq.
    pub fn cseq(&self) -> CSeq<'_> {
        CSeq {
            number: self.layout.cseq_number,
            method: Method::parse(self.text(self.layout.cseq_method)),
        }
    }

    /// The From header.
    pub fn from(&self) -> Option<NameAddr<'_>> {
        NameAddr::parse(self.header(KnownHeader::From)?, AddressForm::NameAddrOrSpec).ok()
    }

    /// The To header.
    pub fn to(&self) -> Option<NameAddr<'_>> {
        NameAddr::parse(self.header(KnownHeader::To)?, AddressForm::NameAddrOrSpec).ok()
    }

    /// The `tag` of From.
    pub fn from_tag(&self) -> Option<&str> {
        self.from()?.tag()
    }

    /// The `tag` of To.
    pub fn to_tag(&self) -> Option<&str> {
        self.to()?.tag()
    }

    /// Every Via value, topmost first.
    pub fn vias(&self) -> impl Iterator<Item = Via<'_>> {
        self.list_items(KnownHeader::Via)
            .filter_map(|item| Via::parse(item).ok())
    }

    /// The topmost Via (present in every checked message).
    pub fn top_via(&self) -> Option<Via<'_>> {
        self.vias().next()
    }

    /// Max-Forwards, if present.
    pub fn max_forwards(&self) -> Option<u8> {
        header::parse_max_forwards(self.header(KnownHeader::MaxForwards)?).ok()
    }

    /// The Content-Type.
    pub fn content_type(&self) -> Option<MediaType<'_>> {
        MediaType::parse(self.header(KnownHeader::ContentType)?).ok()
    }

    /// The media ranges of Accept (none when the header is absent or empty).
    pub fn accept(&self) -> impl Iterator<Item = MediaType<'_>> {
        self.list_items(KnownHeader::Accept)
            .filter_map(|item| MediaType::parse(item).ok())
    }

    /// The Expires header in seconds (an oversized value reads as 3600).
    pub fn expires(&self) -> Option<u32> {
        header::parse_delta_seconds(self.header(KnownHeader::Expires)?).ok()
    }

    /// Every Contact value.
    pub fn contacts(&self) -> impl Iterator<Item = Contact<'_>> {
        self.list_items(KnownHeader::Contact)
            .filter_map(|item| Contact::parse(item).ok())
    }

    /// Every Route value, in order.
    pub fn routes(&self) -> impl Iterator<Item = NameAddr<'_>> {
        self.list_items(KnownHeader::Route)
            .filter_map(|item| NameAddr::parse(item, AddressForm::NameAddrOnly).ok())
    }

    /// Every Record-Route value, in order.
    pub fn record_routes(&self) -> impl Iterator<Item = NameAddr<'_>> {
        self.list_items(KnownHeader::RecordRoute)
            .filter_map(|item| NameAddr::parse(item, AddressForm::NameAddrOnly).ok())
    }

    fn auth_values(&self, name: KnownHeader) -> impl Iterator<Item = AuthHeader<'_>> {
        self.header_values(name)
            .filter_map(|v| AuthHeader::parse(v).ok())
    }

    /// Every Authorization value.
    pub fn authorizations(&self) -> impl Iterator<Item = AuthHeader<'_>> {
        self.auth_values(KnownHeader::Authorization)
    }

    /// Every Proxy-Authorization value.
    pub fn proxy_authorizations(&self) -> impl Iterator<Item = AuthHeader<'_>> {
        self.auth_values(KnownHeader::ProxyAuthorization)
    }

    /// Every WWW-Authenticate challenge.
    pub fn www_authenticates(&self) -> impl Iterator<Item = AuthHeader<'_>> {
        self.auth_values(KnownHeader::WwwAuthenticate)
    }

    /// Every Proxy-Authenticate challenge.
    pub fn proxy_authenticates(&self) -> impl Iterator<Item = AuthHeader<'_>> {
        self.auth_values(KnownHeader::ProxyAuthenticate)
    }

    /// The Event header.
    pub fn event(&self) -> Option<Event<'_>> {
        Event::parse(self.header(KnownHeader::Event)?).ok()
    }

    /// The Subscription-State header.
    pub fn subscription_state(&self) -> Option<SubscriptionState<'_>> {
        SubscriptionState::parse(self.header(KnownHeader::SubscriptionState)?).ok()
    }

    /// The Refer-To header.
    pub fn refer_to(&self) -> Option<NameAddr<'_>> {
        NameAddr::parse(
            self.header(KnownHeader::ReferTo)?,
            AddressForm::NameAddrOrSpec,
        )
        .ok()
    }

    /// The methods of Allow.
    pub fn allow(&self) -> impl Iterator<Item = Method<'_>> {
        self.list_items(KnownHeader::Allow).map(Method::parse)
    }

    /// The option tags of Supported.
    pub fn supported(&self) -> impl Iterator<Item = &str> {
        self.list_items(KnownHeader::Supported)
    }

    /// The option tags of Require.
    pub fn require(&self) -> impl Iterator<Item = &str> {
        self.list_items(KnownHeader::Require)
    }

    /// The option tags of Proxy-Require.
    pub fn proxy_require(&self) -> impl Iterator<Item = &str> {
        self.list_items(KnownHeader::ProxyRequire)
    }

    /// Writes the message in canonical form: single spaces in the start line, canonical
    /// header names, folds replaced by a space, one Content-Length (the body's length) last.
    pub fn write_canonical(&self, out: &mut Vec<u8>) {
        canonical::write(self, out);
    }

    /// [`Message::write_canonical`] into a new vector.
    pub fn to_canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.message_len() + 32);
        self.write_canonical(&mut out);
        out
    }
}
