//! Matching messages to transactions (RFC 3261 sec. 17.1.3 and 17.2.3).
//!
//! A request whose top Via branch carries the magic cookie is matched by branch, sent-by
//! and method (ACK counting as INVITE). Anything else (RFC 2543 clients, RFC 4475
//! badbranch's bare cookie) falls back to the older rule: Request-URI, From tag, Call-ID,
//! CSeq and top Via together; the To tag of an ACK is checked against the response sent.

use crate::sip::{Message, Method};

/// Identifies a server transaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum ServerKey {
    Branch {
        branch: String,
        sent_by: String,
        method: String,
    },
    Legacy {
        request_uri: String,
        call_id: String,
        from_tag: String,
        cseq: u32,
        via: String,
        method: String,
    },
}

/// Identifies a client transaction: the branch it sent and the method of its CSeq.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ClientKey {
    pub(crate) branch: String,
    pub(crate) method: String,
}

/// Finds the INVITE server transaction a 2xx ACK belongs to (the ACK has its own branch).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct DialogAckKey {
    pub(crate) call_id: String,
    pub(crate) cseq: u32,
    pub(crate) from_tag: String,
}

/// The server key of `request`; `method_override` replaces its method (CANCEL matching
/// looks for the INVITE it cancels).
pub(crate) fn server_key<T: AsRef<[u8]>>(
    request: &Message<T>,
    method_override: Option<Method<'_>>,
) -> Option<ServerKey> {
    let via = request.top_via()?;
    let method = match method_override.unwrap_or(request.method()) {
        Method::Ack => Method::Invite,
        m => m,
    };
    let method = method.as_str().to_string();
    if via.has_rfc3261_branch() {
        return Some(ServerKey::Branch {
            branch: via.branch()?.to_string(),
            sent_by: via.sent_by().to_ascii_lowercase(),
            method,
        });
    }
    Some(ServerKey::Legacy {
        request_uri: request.request_uri()?.as_str().to_string(),
        call_id: request.call_id().to_string(),
        from_tag: request.from_tag().unwrap_or("").to_string(),
        cseq: request.cseq().number,
        via: format!(
            "{}/{}/{}",
            via.transport(),
            via.sent_by(),
            via.branch().unwrap_or("")
        )
        .to_ascii_lowercase(),
        method,
    })
}

/// The client key a response matches: its top Via branch and CSeq method.
pub(crate) fn client_key_of_response<T: AsRef<[u8]>>(response: &Message<T>) -> Option<ClientKey> {
    Some(ClientKey {
        branch: response.top_via()?.branch()?.to_string(),
        method: response.cseq().method.as_str().to_string(),
    })
}

/// The dialog-level key of an INVITE or of the ACK to its 2xx.
pub(crate) fn dialog_ack_key<T: AsRef<[u8]>>(message: &Message<T>) -> DialogAckKey {
    DialogAckKey {
        call_id: message.call_id().to_string(),
        cseq: message.cseq().number,
        from_tag: message.from_tag().unwrap_or("").to_string(),
    }
}
