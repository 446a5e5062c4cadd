//! The canonical serializer. Parsing its output gives back the same message (the fuzz
//! target `sip_message` checks exactly that), so canonical bytes are a message's identity.

use std::io::Write;

use super::{Message, StartLine};
use crate::sip::header::{HeaderName, KnownHeader};

pub(super) fn write<T: AsRef<[u8]>>(message: &Message<T>, out: &mut Vec<u8>) {
    // Writing into a Vec cannot fail.
    let _ = match message.start_line() {
        StartLine::Request { method, uri } => write!(out, "{method} {uri} SIP/2.0\r\n"),
        StartLine::Response { code, reason } => write!(out, "SIP/2.0 {code} {reason}\r\n"),
    };
    for field in message.headers() {
        if field.name == HeaderName::Known(KnownHeader::ContentLength) {
            continue;
        }
        out.extend_from_slice(field.name.canonical().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(field.value_unfolded().as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    let body = message.body();
    let _ = write!(out, "Content-Length: {}\r\n\r\n", body.len());
    out.extend_from_slice(body);
}
