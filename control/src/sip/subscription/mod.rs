//! RFC 6665 subscriptions, notifier side, sans-IO: the checks on a SUBSCRIBE, the dialog
//! it creates, refreshes and unsubscriptions, expiry, and the NOTIFY requests that carry
//! each state change.
//!
//! The set keeps subscriptions and their dialogs; it does not know what the watched
//! resources are. The I/O shell ([`crate::sip_server`]) decides who may subscribe to what,
//! writes the documents (conference-info in [`conference_info`], PIDF and watcher info in
//! [`crate::sip::presence`]) and hands each NOTIFY to the transaction layer. NOTIFYs go to
//! the address the subscriber's SUBSCRIBE came from (its last refresh), which reaches
//! clients behind NAT the way responses do.

pub mod conference_info;
mod set;

#[cfg(test)]
mod tests;

use core::fmt;

use crate::sip::header::KnownHeader;
use crate::sip::message::response_for;
use crate::sip::Message;

pub use set::{Subscription, SubscriptionId, SubscriptionSet};

/// The event packages the server notifies, as Allow-Events lists them.
pub const ALLOW_EVENTS: &str = "conference, presence, presence.winfo";

/// An event package the server implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Package {
    /// RFC 4575 conference state.
    Conference,
    /// RFC 3856 presence.
    Presence,
    /// RFC 3857 watcher information about presence.
    WatcherInfo,
}

impl Package {
    /// The package an Event header value names (`presence.winfo` is the `winfo` template
    /// package applied to presence).
    pub fn from_event(name: &str) -> Option<Package> {
        if name.eq_ignore_ascii_case("conference") {
            Some(Package::Conference)
        } else if name.eq_ignore_ascii_case("presence") {
            Some(Package::Presence)
        } else if name.eq_ignore_ascii_case("presence.winfo") {
            Some(Package::WatcherInfo)
        } else {
            None
        }
    }

    /// The Event header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Package::Conference => "conference",
            Package::Presence => "presence",
            Package::WatcherInfo => "presence.winfo",
        }
    }

    /// The `(type, subtype)` of the package's documents.
    pub fn content_type(self) -> (&'static str, &'static str) {
        match self {
            Package::Conference => ("application", "conference-info+xml"),
            Package::Presence => ("application", "pidf+xml"),
            Package::WatcherInfo => ("application", "watcherinfo+xml"),
        }
    }
}

impl fmt::Display for Package {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How long subscriptions may last, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionLimits {
    /// Shortest non-zero Expires accepted (shorter gets 423 with Min-Expires).
    pub min: u32,
    /// Longest granted; longer requests are cut to it.
    pub max: u32,
    /// Granted when the SUBSCRIBE has no Expires.
    pub default: u32,
}

impl Default for SubscriptionLimits {
    /// One minute to two hours, one hour by default.
    fn default() -> Self {
        SubscriptionLimits {
            min: 60,
            max: 7200,
            default: 3600,
        }
    }
}

/// Why a SUBSCRIBE is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// No Event header, or a package the server does not implement: 489.
    BadEvent,
    /// A non-zero Expires below the minimum: 423 with Min-Expires.
    IntervalTooBrief {
        /// The minimum.
        min: u32,
    },
    /// A refresh for a subscription that does not exist (or ended): 481.
    NoSuchSubscription,
    /// A refresh older than the last request in the dialog: 500.
    OutOfOrder,
    /// The initial SUBSCRIBE has no From tag or no Contact: 400.
    Malformed,
    /// The resource does not exist: 404.
    NotFound,
    /// Accept excludes the package's document type: 406.
    NotAcceptable,
    /// The subscriber may not watch the resource: 403.
    Forbidden,
}

impl Refusal {
    /// The status code and reason phrase.
    pub fn status(self) -> (u16, &'static str) {
        match self {
            Refusal::BadEvent => (489, "Bad Event"),
            Refusal::IntervalTooBrief { .. } => (423, "Interval Too Brief"),
            Refusal::NoSuchSubscription => (481, "Subscription Does Not Exist"),
            Refusal::OutOfOrder => (500, "Server Internal Error"),
            Refusal::Malformed => (400, "Bad Request"),
            Refusal::NotFound => (404, "Not Found"),
            Refusal::NotAcceptable => (406, "Not Acceptable"),
            Refusal::Forbidden => (403, "Forbidden"),
        }
    }

    /// The response to `request`, with Allow-Events for 489 and Min-Expires for 423.
    pub fn response<T: AsRef<[u8]>>(self, request: &Message<T>, to_tag: &str) -> Vec<u8> {
        let (code, reason) = self.status();
        let mut out = Vec::new();
        let mut w = response_for(request, code, reason, Some(to_tag), &mut out);
        match self {
            Refusal::BadEvent => {
                w.known(KnownHeader::AllowEvents, ALLOW_EVENTS);
            }
            Refusal::IntervalTooBrief { min } => {
                w.known(KnownHeader::MinExpires, min);
            }
            _ => {}
        }
        w.finish(b"");
        out
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (code, reason) = self.status();
        write!(f, "{code} {reason}")
    }
}

impl std::error::Error for Refusal {}

/// What a SUBSCRIBE asks for, once checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscribeRequest {
    /// The event package.
    pub package: Package,
    /// The duration granted, in seconds (0: fetch the state once, or unsubscribe).
    pub expires: u32,
}

/// Checks the Event, Accept and Expires of a SUBSCRIBE (RFC 6665 sec. 4.2.1.1).
pub fn check_subscribe<T: AsRef<[u8]>>(
    request: &Message<T>,
    limits: SubscriptionLimits,
) -> Result<SubscribeRequest, Refusal> {
    let package = request
        .event()
        .and_then(|e| Package::from_event(e.value()))
        .ok_or(Refusal::BadEvent)?;
    let (main, sub) = package.content_type();
    if request.header(KnownHeader::Accept).is_some()
        && !request.accept().any(|range| range.covers(main, sub))
    {
        return Err(Refusal::NotAcceptable);
    }
    let expires = request.expires().unwrap_or(limits.default);
    if expires != 0 && expires < limits.min {
        return Err(Refusal::IntervalTooBrief { min: limits.min });
    }
    Ok(SubscribeRequest {
        package,
        expires: expires.min(limits.max),
    })
}

/// The Subscription-State a NOTIFY carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyState {
    /// The subscription goes on for this many more seconds.
    Active {
        /// Seconds left.
        expires: u32,
    },
    /// The subscription ends with this NOTIFY.
    Terminated {
        /// The RFC 6665 sec. 8.2.3 reason: `timeout`, `noresource`, `deactivated` ...
        reason: &'static str,
    },
}

impl fmt::Display for NotifyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotifyState::Active { expires } => write!(f, "active;expires={expires}"),
            NotifyState::Terminated { reason } => write!(f, "terminated;reason={reason}"),
        }
    }
}
