//! Requests the node starts itself (the focus inviting a user, NOTIFYs of a REFER or a
//! subscription, MESSAGE copies), in a form a sans-IO transaction user can emit without
//! knowing the node's sockets.
//!
//! The TU writes the whole request except its Via (it does not know which socket, and so
//! which sent-by, the request leaves from) and names the peer to send it to. The I/O
//! shell adds `Via: SIP/2.0/<transport> <sent-by>;branch=<fresh>;rport` as the first
//! header ([`with_via`]), runs it as a client transaction, and reports every response
//! (and a timeout) back under the TU's [`OutgoingId`] as an [`OutgoingResult`]. An ACK to
//! a 2xx is not a transaction: the TU emits it the same way, marked
//! [`OutgoingRequest::stateless`], and hears nothing back.

use std::net::SocketAddr;

use super::types::{Peer, TransportKind};
use crate::sip::dialog::ViaSpec;
use crate::sip::Message;

/// Names one outgoing request; chosen by the TU that sends it, unique among its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OutgoingId(pub u64);

/// A request for the I/O shell to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingRequest {
    /// Results come back under this id.
    pub id: OutgoingId,
    /// Where to send it: a registered contact's flow, a dialog's remote target.
    pub peer: Peer,
    /// The whole request without any Via header.
    pub request: Vec<u8>,
    /// True for an ACK to a 2xx: sent once, outside any transaction, no result.
    pub stateless: bool,
}

/// What became of an outgoing request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutgoingResult {
    /// A response (provisional ones included; an INVITE's 2xx again for each retransmission,
    /// so the TU can repeat its ACK).
    Response(Message<Vec<u8>>),
    /// No final response in time (timer B or F): treat as 408.
    Timeout,
    /// It could not be sent: malformed, or no connection to a TCP/TLS peer (the node does
    /// not open outbound connections). Treat as 503.
    Unsent,
}

impl OutgoingResult {
    /// The status code the result amounts to: the response's, 408 or 503.
    pub fn status(&self) -> u16 {
        match self {
            OutgoingResult::Response(response) => response.status().unwrap_or(500),
            OutgoingResult::Timeout => 408,
            OutgoingResult::Unsent => 503,
        }
    }
}

/// The Via token of a transport: `UDP`, `TCP`, `TLS`.
pub fn via_transport(kind: TransportKind) -> &'static str {
    match kind {
        TransportKind::Udp => "UDP",
        TransportKind::Tcp => "TCP",
        TransportKind::Tls => "TLS",
    }
}

/// `request` (a request without Via) with `via` inserted as its first header line, plus
/// `;rport` so a peer behind NAT answers where the request came from. `None` when
/// `request` has no request line.
pub fn with_via(request: &[u8], via: &ViaSpec<'_>) -> Option<Vec<u8>> {
    let line_end = request.windows(2).position(|w| w == b"\r\n")? + 2;
    let (start, rest) = request.split_at(line_end);
    let parts = [via.transport, via.sent_by, via.branch];
    if parts.iter().any(|p| p.contains(['\r', '\n'])) {
        return None;
    }
    let header = format!(
        "Via: SIP/2.0/{} {};branch={};rport\r\n",
        via.transport, via.sent_by, via.branch
    );
    let mut out = Vec::with_capacity(request.len() + header.len());
    out.extend_from_slice(start);
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(rest);
    Some(out)
}

/// The peer to reach a registered contact through. Over TCP and TLS, the connection its
/// REGISTER came over (`source`, `tcp:1.2.3.4:5060` as the registrar stores it): the node
/// opens no connections of its own. Over UDP, the contact URI's own address when it is an
/// IP literal (`sip:u@1.2.3.4:5070`; a UA may register a contact other than its own
/// socket), else the address the REGISTER came from. The node does no DNS look-ups.
pub fn peer_of_binding(source: &str, contact: &str) -> Option<Peer> {
    let flow = source.split_once(':').and_then(|(transport, addr)| {
        let transport = match transport {
            "udp" => TransportKind::Udp,
            "tcp" => TransportKind::Tcp,
            "tls" => TransportKind::Tls,
            _ => return None,
        };
        let addr = addr.parse::<SocketAddr>().ok()?;
        Some(Peer { addr, transport })
    });
    match flow {
        Some(peer) if peer.transport.is_reliable() => Some(peer),
        _ => peer_of_uri(contact).or(flow),
    }
}

/// The peer a SIP URI with an IP-literal host names (port 5060, or 5061 for `sips:`, when
/// absent; `;transport=` picks TCP or TLS).
pub fn peer_of_uri(uri: &str) -> Option<Peer> {
    let parsed = crate::sip::uri::Uri::parse(uri).ok()?;
    let sip = parsed.as_sip()?;
    let secure = parsed.scheme().eq_ignore_ascii_case("sips");
    let transport = match sip.transport() {
        Some(t) if t.eq_ignore_ascii_case("tls") => TransportKind::Tls,
        Some(t) if t.eq_ignore_ascii_case("tcp") && secure => TransportKind::Tls,
        Some(t) if t.eq_ignore_ascii_case("tcp") => TransportKind::Tcp,
        _ if secure => TransportKind::Tls,
        _ => TransportKind::Udp,
    };
    let default_port = if secure { 5061 } else { 5060 };
    let ip = sip.host().ip()?;
    let port = sip.port().unwrap_or(default_port);
    Some(Peer {
        addr: SocketAddr::new(ip, port),
        transport,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn via_goes_first_and_the_request_still_parses() {
        let request = b"NOTIFY sip:a@127.0.0.1:5070 SIP/2.0\r\nMax-Forwards: 70\r\n\
            To: <sip:a@h>;tag=1\r\nFrom: <sip:conf-1@h>;tag=2\r\nCall-ID: c\r\n\
            CSeq: 1 NOTIFY\r\nContent-Length: 0\r\n\r\n";
        let via = ViaSpec {
            transport: "UDP",
            sent_by: "127.0.0.1:5060",
            branch: "z9hG4bKabc",
        };
        let bytes = with_via(request, &via).unwrap();
        let message = Message::new_checked(bytes.as_slice()).unwrap();
        let top = message.top_via().unwrap();
        assert!(top.has_rfc3261_branch());
        assert_eq!(top.branch(), Some("z9hG4bKabc"));
        assert_eq!(message.call_id(), "c");
        assert!(with_via(b"no line end", &via).is_none());
    }

    #[test]
    fn bindings_are_reached_through_their_flow_then_their_uri() {
        let flow = peer_of_binding("tcp:127.0.0.1:4000", "sip:a@10.0.0.1:5070").unwrap();
        assert_eq!(flow.transport, TransportKind::Tcp);
        assert_eq!(flow.addr, "127.0.0.1:4000".parse().unwrap());
        let uri = peer_of_binding("udp:127.0.0.1:4000", "sip:a@10.0.0.1:5070").unwrap();
        assert_eq!(uri.transport, TransportKind::Udp);
        assert_eq!(uri.addr, "10.0.0.1:5070".parse().unwrap());
        let named = peer_of_binding("udp:127.0.0.1:4000", "sip:a@pc.example.com").unwrap();
        assert_eq!(named.addr, "127.0.0.1:4000".parse().unwrap());
        let tls = peer_of_uri("sips:a@[::1]").unwrap();
        assert_eq!(tls.transport, TransportKind::Tls);
        assert_eq!(tls.addr, "[::1]:5061".parse().unwrap());
        assert!(peer_of_uri("sip:a@example.com").is_none());
        assert!(peer_of_binding("bogus", "tel:+1").is_none());
    }

    #[test]
    fn results_map_to_statuses() {
        let response = Message::new_checked(
            b"SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
              To: <sip:a@h>;tag=1\r\nFrom: <sip:b@h>;tag=2\r\nCall-ID: c\r\n\
              CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
                .to_vec(),
        )
        .unwrap();
        assert_eq!(OutgoingResult::Response(response).status(), 486);
        assert_eq!(OutgoingResult::Timeout.status(), 408);
        assert_eq!(OutgoingResult::Unsent.status(), 503);
    }
}
