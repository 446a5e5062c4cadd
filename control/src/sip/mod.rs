//! The sans-IO SIP core: message parsing and building, stream framing, RFC 4475 answers
//! to malformed requests, the RFC 3261 transaction layer, dialogs, and digest
//! authentication. Nothing here owns a socket or reads a clock; callers pass bytes and the
//! current time in and take bytes to send and deadlines out.
//!
//! Why a parser of our own rather than `rsip` or `parsip`: `rsip` builds an owned tree with
//! a `String` per header and per parameter, which is one allocation per header on the
//! receive path of a server meant to take thousands of requests per second; its error type
//! does not say which response a malformed request deserves, and RFC 4475 asks for exact
//! answers (400 vs 505 vs dropping a response). `parsip` only frames the start line and
//! header names. The parser here is zero-copy (a message is its buffer plus
//! a table of byte ranges), allocates once per message for that table, validates every
//! known header's grammar up front, and maps each failure to its status code.
//!
//! Layout:
//! - [`uri`], [`header`], [`method`]: the grammar pieces, each a borrowing view;
//! - [`message`]: [`Message`], the checked view, with the canonical serializer and a writer;
//! - [`framing`]: the stream deframer (Content-Length framing, keep-alives, limits);
//! - [`admission`]: what to answer a datagram that is malformed or asks for too much;
//! - [`transaction`]: client and server transactions, timers A to M;
//! - [`dialog`]: dialog state and in-dialog request building;
//! - [`digest`]: RFC 7616/8760 digest challenges and verification;
//! - [`ids`]: random tags, branches and Call-IDs for the I/O shell.
//!
//! The transaction user, sans-IO as well (the I/O shell is [`crate::sip_server`]):
//! - [`gate`]: digest authentication of every state-creating request;
//! - [`registrar`]: REGISTER bindings (RFC 3261 sec. 10.3);
//! - [`sdp`]: SDP offer/answer for the conference's audio;
//! - [`focus`]: the conference focus (factory, 302, joins, re-INVITE, BYE, keys);
//! - [`policy`]: who may create, join, invite and watch;
//! - [`subscription`]: RFC 6665 subscriptions and NOTIFYs, with RFC 4575 conference state;
//! - [`presence`]: PIDF, watcher information, and who may watch whom;
//! - [`router`]: which part of the server each request goes to, by method.

pub mod admission;
pub mod dialog;
pub mod digest;
pub mod focus;
pub mod framing;
pub mod gate;
pub mod header;
pub mod ids;
pub mod message;
pub mod method;
pub mod policy;
pub mod presence;
pub mod pstn;
pub mod registrar;
pub mod router;
pub mod sdp;
pub mod subscription;
pub(crate) mod syntax;
pub mod transaction;
pub mod uri;

pub use message::{Message, ParseError, StartLine};
pub use method::Method;
