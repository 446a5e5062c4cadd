//! The registrar's rules (RFC 3261 sec. 10.3), sans-IO: given an authenticated REGISTER,
//! the bindings its address of record has now and the time, decide what changes (add,
//! refresh, remove one, remove all) or why the request fails; then write the 200 that
//! lists the bindings in force. Storage is the caller's (the node keeps bindings in
//! SQLite so they survive restarts).
//!
//! Expiry is absolute (Unix seconds), so a binding read back after a restart keeps the
//! time it had left.

use core::fmt;

use crate::sip::header::{Contact, KnownHeader};
use crate::sip::message::response_for;
use crate::sip::Message;

/// Most bindings one address of record may hold.
pub const MAX_BINDINGS: usize = 16;

/// One registered contact of an address of record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The contact URI (without the angle brackets and header parameters).
    pub contact: String,
    /// When it expires, in Unix seconds.
    pub expires_at: u64,
    /// The Call-ID of the REGISTER that last set it.
    pub call_id: String,
    /// That REGISTER's CSeq number.
    pub cseq: u32,
    /// The `q` preference in thousandths, if given.
    pub q: Option<u16>,
    /// Where the REGISTER came from (`transport:address`), the flow to reach the contact.
    pub source: String,
}

/// Registration lengths, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryLimits {
    /// Shortest accepted (shorter non-zero ones get 423).
    pub min: u32,
    /// Longest granted.
    pub max: u32,
    /// Granted when the request names none.
    pub default: u32,
}

/// A change to an address of record's bindings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindingChange {
    /// Adds or refreshes a binding (keyed by contact).
    Put(Binding),
    /// Removes the binding of this contact.
    Remove(String),
    /// Removes every binding (`Contact: *`, `Expires: 0`).
    RemoveAll,
}

/// Why a REGISTER fails.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegisterError {
    /// `Contact: *` with other contacts or a non-zero expiry (400).
    BadWildcard,
    /// A contact asked for less than the minimum (423 with Min-Expires).
    IntervalTooBrief {
        /// The minimum, for the Min-Expires header.
        min: u32,
    },
    /// A request older than the one that set a binding, same Call-ID (500).
    OutOfOrder,
    /// More bindings than [`MAX_BINDINGS`] (403).
    TooManyBindings,
}

impl RegisterError {
    /// The status and reason phrase to answer with.
    pub fn status(&self) -> (u16, &'static str) {
        match self {
            RegisterError::BadWildcard => (400, "Bad Request"),
            RegisterError::IntervalTooBrief { .. } => (423, "Interval Too Brief"),
            RegisterError::OutOfOrder => (500, "Server Internal Error"),
            RegisterError::TooManyBindings => (403, "Forbidden"),
        }
    }
}

impl fmt::Display for RegisterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadWildcard => f.write_str("Contact: * needs Expires: 0 and no other contact"),
            Self::IntervalTooBrief { min } => write!(f, "registrations last at least {min} s"),
            Self::OutOfOrder => f.write_str("CSeq is not above the binding's"),
            Self::TooManyBindings => write!(f, "at most {MAX_BINDINGS} bindings per user"),
        }
    }
}

impl std::error::Error for RegisterError {}

/// The user part of a REGISTER's To: the address of record the node keys bindings by.
pub fn address_of_record<T: AsRef<[u8]>>(request: &Message<T>) -> Option<String> {
    let to = request.to()?;
    let uri = to.uri();
    let user = uri.as_sip()?.user()?;
    Some(user.to_owned())
}

/// The changes `request` asks of the bindings `existing` (the AOR's bindings in force at
/// `now`), or why it fails. `source` names where the request came from.
pub fn plan<T: AsRef<[u8]>>(
    request: &Message<T>,
    existing: &[Binding],
    limits: ExpiryLimits,
    now: u64,
    source: &str,
) -> Result<Vec<BindingChange>, RegisterError> {
    let contacts: Vec<Contact<'_>> = request.contacts().collect();
    let header_expires = request.expires();
    let call_id = request.call_id();
    let cseq = request.cseq().number;
    if contacts.iter().any(|c| matches!(c, Contact::Wildcard)) {
        if contacts.len() != 1 || header_expires != Some(0) {
            return Err(RegisterError::BadWildcard);
        }
        if existing
            .iter()
            .any(|b| b.call_id == call_id && b.cseq >= cseq)
        {
            return Err(RegisterError::OutOfOrder);
        }
        return Ok(vec![BindingChange::RemoveAll]);
    }
    let mut changes = Vec::with_capacity(contacts.len());
    let mut count = existing.len();
    for contact in &contacts {
        let Some(address) = contact.address() else {
            continue;
        };
        let uri = address.uri().as_str().to_owned();
        let expires = contact
            .expires()
            .or(header_expires)
            .unwrap_or(limits.default);
        if expires != 0 && expires < limits.min {
            return Err(RegisterError::IntervalTooBrief { min: limits.min });
        }
        let current = existing.iter().find(|b| b.contact == uri);
        if current.is_some_and(|b| b.call_id == call_id && b.cseq >= cseq) {
            return Err(RegisterError::OutOfOrder);
        }
        if expires == 0 {
            if current.is_some() {
                count -= 1;
                changes.push(BindingChange::Remove(uri));
            }
            continue;
        }
        if current.is_none() {
            count += 1;
            if count > MAX_BINDINGS {
                return Err(RegisterError::TooManyBindings);
            }
        }
        changes.push(BindingChange::Put(Binding {
            contact: uri,
            expires_at: now + u64::from(expires.min(limits.max)),
            call_id: call_id.to_owned(),
            cseq,
            q: contact.q(),
            source: source.to_owned(),
        }));
    }
    Ok(changes)
}

/// Applies `changes` to a list of bindings (what the store does, for callers that keep
/// bindings in memory and for tests).
pub fn apply(bindings: &mut Vec<Binding>, changes: &[BindingChange]) {
    for change in changes {
        match change {
            BindingChange::Put(binding) => {
                match bindings.iter_mut().find(|b| b.contact == binding.contact) {
                    Some(slot) => *slot = binding.clone(),
                    None => bindings.push(binding.clone()),
                }
            }
            BindingChange::Remove(contact) => bindings.retain(|b| &b.contact != contact),
            BindingChange::RemoveAll => bindings.clear(),
        }
    }
}

/// The 200 to a REGISTER: every binding in force with the seconds it has left.
pub fn write_ok<T: AsRef<[u8]>>(
    request: &Message<T>,
    bindings: &[Binding],
    now: u64,
    to_tag: &str,
    out: &mut Vec<u8>,
) {
    let mut w = response_for(request, 200, "OK", Some(to_tag), out);
    for binding in bindings {
        let left = binding.expires_at.saturating_sub(now);
        w.known(
            KnownHeader::Contact,
            format_args!("<{}>;expires={left}", binding.contact),
        );
    }
    w.finish(b"");
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ExpiryLimits = ExpiryLimits {
        min: 60,
        max: 3600,
        default: 1800,
    };

    fn register(cseq: u32, call_id: &str, extra: &str) -> Message<Vec<u8>> {
        let text = format!(
            "REGISTER sip:example.com SIP/2.0\r\n\
             Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK{cseq}\r\n\
             To: <sip:alice@example.com>\r\nFrom: <sip:alice@example.com>;tag=1\r\n\
             Call-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\n{extra}Content-Length: 0\r\n\r\n"
        );
        Message::new_checked(text.into_bytes()).unwrap()
    }

    #[test]
    fn add_refresh_cap_and_remove() {
        let mut bindings = Vec::new();
        let r = register(
            1,
            "c1",
            "Contact: <sip:alice@192.0.2.1:5060>\r\nExpires: 7200\r\n",
        );
        assert_eq!(address_of_record(&r).as_deref(), Some("alice"));
        let changes = plan(&r, &bindings, LIMITS, 1000, "udp:192.0.2.1:5060").unwrap();
        apply(&mut bindings, &changes);
        assert_eq!(bindings.len(), 1);
        assert_eq!(bindings[0].expires_at, 1000 + 3600, "capped at max");
        let r = register(
            2,
            "c1",
            "Contact: <sip:alice@192.0.2.1:5060>;expires=120, <sip:alice@192.0.2.2>;q=0.5\r\n",
        );
        let changes = plan(&r, &bindings, LIMITS, 1100, "udp:192.0.2.1:5060").unwrap();
        apply(&mut bindings, &changes);
        assert_eq!(bindings.len(), 2);
        assert_eq!(bindings[0].expires_at, 1220);
        assert_eq!(bindings[1].expires_at, 1100 + 1800, "the default");
        assert_eq!(bindings[1].q, Some(500));
        let mut out = Vec::new();
        write_ok(&r, &bindings, 1100, "tag9", &mut out);
        let ok = Message::new_checked(out.as_slice()).unwrap();
        assert_eq!(ok.status(), Some(200));
        assert_eq!(ok.to_tag(), Some("tag9"));
        let listed: Vec<Option<u32>> = ok.contacts().map(|c| c.expires()).collect();
        assert_eq!(listed, vec![Some(120), Some(1800)]);

        let r = register(3, "c1", "Contact: <sip:alice@192.0.2.2>;expires=0\r\n");
        let changes = plan(&r, &bindings, LIMITS, 1200, "x").unwrap();
        assert_eq!(
            changes,
            vec![BindingChange::Remove("sip:alice@192.0.2.2".to_owned())]
        );
        apply(&mut bindings, &changes);
        assert_eq!(bindings.len(), 1);
        let r = register(4, "c1", "Contact: *\r\nExpires: 0\r\n");
        let changes = plan(&r, &bindings, LIMITS, 1200, "x").unwrap();
        apply(&mut bindings, &changes);
        assert!(bindings.is_empty());
    }

    #[test]
    fn failures_follow_rfc_3261_10_3() {
        let r = register(1, "c1", "Contact: <sip:alice@h>;expires=10\r\n");
        assert_eq!(
            plan(&r, &[], LIMITS, 0, "x"),
            Err(RegisterError::IntervalTooBrief { min: 60 })
        );
        let r = register(1, "c1", "Contact: *\r\n");
        assert_eq!(
            plan(&r, &[], LIMITS, 0, "x"),
            Err(RegisterError::BadWildcard)
        );
        let r = register(1, "c1", "Contact: *, <sip:alice@h>\r\nExpires: 0\r\n");
        assert_eq!(
            plan(&r, &[], LIMITS, 0, "x"),
            Err(RegisterError::BadWildcard)
        );
        let existing = vec![Binding {
            contact: "sip:alice@h".to_owned(),
            expires_at: 100,
            call_id: "c1".to_owned(),
            cseq: 5,
            q: None,
            source: String::new(),
        }];
        let r = register(5, "c1", "Contact: <sip:alice@h>\r\n");
        assert_eq!(
            plan(&r, &existing, LIMITS, 0, "x"),
            Err(RegisterError::OutOfOrder)
        );
        let r = register(1, "other", "Contact: <sip:alice@h>\r\n");
        assert!(
            plan(&r, &existing, LIMITS, 0, "x").is_ok(),
            "another Call-ID replaces"
        );
        let many: String = (0..=MAX_BINDINGS)
            .map(|i| format!("Contact: <sip:alice@h{i}>\r\n"))
            .collect();
        let r = register(1, "c1", &many);
        assert_eq!(
            plan(&r, &[], LIMITS, 0, "x"),
            Err(RegisterError::TooManyBindings)
        );
        let r = register(1, "c1", "");
        assert_eq!(
            plan(&r, &existing, LIMITS, 0, "x"),
            Ok(Vec::new()),
            "a query"
        );
        assert_eq!(RegisterError::OutOfOrder.status().0, 500);
    }
}
