//! The subscriptions of one server: their dialogs, expiry times, and the NOTIFYs they
//! send.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use super::{check_subscribe, NotifyState, Package, Refusal, SubscriptionLimits};
use crate::sip::dialog::{Dialog, DialogError, DialogId};
use crate::sip::header::KnownHeader;
use crate::sip::message::response_for;
use crate::sip::transaction::outgoing::{OutgoingId, OutgoingRequest, OutgoingResult};
use crate::sip::transaction::{Peer, TransportKind};
use crate::sip::{Message, Method};

/// Names one subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriptionId(pub u64);

/// One subscription.
#[derive(Debug)]
pub struct Subscription {
    /// Its package.
    pub package: Package,
    /// What it watches: a conference URI's user part or a user name.
    pub resource: String,
    /// The authenticated subscriber.
    pub subscriber: String,
    /// Where NOTIFYs go (where the last SUBSCRIBE came from).
    pub peer: Peer,
    /// NOTIFYs sent so far (the next document's version is one more).
    pub notified: u32,
    /// The `id` parameter of the SUBSCRIBE's Event header, echoed in each NOTIFY.
    event_id: Option<String>,
    dialog: Dialog,
    expires_at: Instant,
}

impl Subscription {
    /// The dialog's identity.
    pub fn dialog_id(&self) -> &DialogId {
        self.dialog.id()
    }

    /// When it ends unless refreshed.
    pub fn expires_at(&self) -> Instant {
        self.expires_at
    }
}

/// Every subscription of a notifier.
#[derive(Debug, Default)]
pub struct SubscriptionSet {
    limits: SubscriptionLimits,
    next_id: u64,
    subscriptions: HashMap<SubscriptionId, Subscription>,
    by_dialog: HashMap<DialogId, SubscriptionId>,
    expiries: BTreeSet<(Instant, SubscriptionId)>,
    next_notify: u64,
    /// The subscription each NOTIFY in flight belongs to.
    in_flight: HashMap<OutgoingId, SubscriptionId>,
}

fn ok_response<T: AsRef<[u8]>>(
    request: &Message<T>,
    tag: &str,
    expires: u32,
    contact: Option<&str>,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = response_for(request, 200, "OK", Some(tag), &mut out);
    w.known(KnownHeader::Expires, expires);
    if let Some(contact) = contact {
        w.known(KnownHeader::Contact, format_args!("<{contact}>"));
    }
    w.finish(b"");
    out
}

impl SubscriptionSet {
    /// An empty set with these limits.
    pub fn new(limits: SubscriptionLimits) -> SubscriptionSet {
        SubscriptionSet {
            limits,
            ..SubscriptionSet::default()
        }
    }

    /// The limits.
    pub fn limits(&self) -> SubscriptionLimits {
        self.limits
    }

    /// Checks an initial SUBSCRIBE (outside a dialog); see [`check_subscribe`].
    pub fn check<T: AsRef<[u8]>>(
        &self,
        request: &Message<T>,
    ) -> Result<super::SubscribeRequest, Refusal> {
        check_subscribe(request, self.limits)
    }

    /// Accepts an initial SUBSCRIBE the caller has checked and allowed: creates the
    /// subscription and its dialog (our tag `tag`, our Contact at `host`) and returns its
    /// id and the 200 to send. Send the first NOTIFY at once after it.
    #[allow(clippy::too_many_arguments)]
    pub fn accept<T: AsRef<[u8]>>(
        &mut self,
        request: &Message<T>,
        package: Package,
        expires: u32,
        resource: &str,
        subscriber: &str,
        peer: Peer,
        host: &str,
        tag: &str,
        now: Instant,
    ) -> Result<(SubscriptionId, Vec<u8>), Refusal> {
        let contact = match peer.transport {
            TransportKind::Udp => format!("sip:{resource}@{host}"),
            TransportKind::Tcp => format!("sip:{resource}@{host};transport=tcp"),
            TransportKind::Tls => format!("sips:{resource}@{host}"),
        };
        let dialog = Dialog::as_uas(request, tag, &contact).map_err(|_| Refusal::Malformed)?;
        self.next_id += 1;
        let id = SubscriptionId(self.next_id);
        let expires_at = now + Duration::from_secs(expires.into());
        self.by_dialog.insert(dialog.id().clone(), id);
        self.expiries.insert((expires_at, id));
        self.subscriptions.insert(
            id,
            Subscription {
                package,
                resource: resource.to_owned(),
                subscriber: subscriber.to_owned(),
                peer,
                notified: 0,
                event_id: request.event().and_then(|e| e.id()).map(str::to_owned),
                dialog,
                expires_at,
            },
        );
        Ok((id, ok_response(request, tag, expires, Some(&contact))))
    }

    /// A SUBSCRIBE inside a dialog: refreshes the subscription (or, with Expires 0, ends
    /// it: send the final NOTIFY with [`SubscriptionSet::terminate`]). Returns the id, the
    /// duration granted and the 200 to send.
    pub fn refresh<T: AsRef<[u8]>>(
        &mut self,
        request: &Message<T>,
        peer: Peer,
        now: Instant,
    ) -> Result<(SubscriptionId, u32, Vec<u8>), Refusal> {
        let key = DialogId {
            call_id: request.call_id().to_owned(),
            local_tag: request.to_tag().unwrap_or_default().to_owned(),
            remote_tag: request.from_tag().unwrap_or_default().to_owned(),
        };
        let id = *self
            .by_dialog
            .get(&key)
            .ok_or(Refusal::NoSuchSubscription)?;
        let checked = check_subscribe(request, self.limits)?;
        let sub = self
            .subscriptions
            .get_mut(&id)
            .ok_or(Refusal::NoSuchSubscription)?;
        if checked.package != sub.package {
            return Err(Refusal::BadEvent);
        }
        sub.dialog.on_request(request).map_err(|e| match e {
            DialogError::OutOfOrder { .. } => Refusal::OutOfOrder,
            _ => Refusal::Malformed,
        })?;
        sub.peer = peer;
        self.expiries.remove(&(sub.expires_at, id));
        sub.expires_at = now + Duration::from_secs(checked.expires.into());
        self.expiries.insert((sub.expires_at, id));
        let tag = sub.dialog.id().local_tag.clone();
        let answer = ok_response(request, &tag, checked.expires, sub.dialog.local_contact());
        Ok((id, checked.expires, answer))
    }

    /// The subscription `id`.
    pub fn get(&self, id: SubscriptionId) -> Option<&Subscription> {
        self.subscriptions.get(&id)
    }

    /// Every subscription.
    pub fn iter(&self) -> impl Iterator<Item = (SubscriptionId, &Subscription)> {
        self.subscriptions.iter().map(|(&id, s)| (id, s))
    }

    /// How many subscriptions there are.
    pub fn len(&self) -> usize {
        self.subscriptions.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.subscriptions.is_empty()
    }

    /// Writes the next NOTIFY of subscription `id` with `body` of `content_type` (the I/O
    /// shell adds the Via): Subscription-State active with the seconds left, or, when it
    /// has expired, terminated with reason timeout (the subscription is then removed).
    pub fn notify(
        &mut self,
        id: SubscriptionId,
        content_type: &str,
        body: &[u8],
        now: Instant,
    ) -> Option<OutgoingRequest> {
        let expires_at = self.subscriptions.get(&id)?.expires_at;
        let left = expires_at.saturating_duration_since(now).as_secs();
        if left == 0 {
            return self.terminate(id, "timeout", content_type, body);
        }
        let state = NotifyState::Active {
            expires: u32::try_from(left).unwrap_or(u32::MAX),
        };
        self.write_notify(id, state, content_type, body)
    }

    /// Writes the final NOTIFY of subscription `id` (terminated with `reason`) and removes
    /// the subscription.
    pub fn terminate(
        &mut self,
        id: SubscriptionId,
        reason: &'static str,
        content_type: &str,
        body: &[u8],
    ) -> Option<OutgoingRequest> {
        let state = NotifyState::Terminated { reason };
        let notify = self.write_notify(id, state, content_type, body);
        self.remove(id);
        notify
    }

    fn write_notify(
        &mut self,
        id: SubscriptionId,
        state: NotifyState,
        content_type: &str,
        body: &[u8],
    ) -> Option<OutgoingRequest> {
        let sub = self.subscriptions.get_mut(&id)?;
        sub.notified = sub.notified.saturating_add(1);
        let mut out = Vec::new();
        let mut w = sub
            .dialog
            .write_request_without_via(Method::Notify, &mut out);
        match &sub.event_id {
            Some(id) => w.known(KnownHeader::Event, format_args!("{};id={id}", sub.package)),
            None => w.known(KnownHeader::Event, sub.package),
        };
        w.known(KnownHeader::SubscriptionState, state);
        if body.is_empty() {
            w.finish(b"");
        } else {
            w.finish_with(content_type, body);
        }
        self.next_notify += 1;
        let outgoing = OutgoingId(self.next_notify);
        self.in_flight.insert(outgoing, id);
        Some(OutgoingRequest {
            id: outgoing,
            peer: sub.peer,
            request: out,
            stateless: false,
        })
    }

    /// What became of a NOTIFY: a final response other than 2xx, or none at all, ends its
    /// subscription (RFC 6665 sec. 4.2.2); the removed subscription is returned.
    pub fn on_outgoing_result(
        &mut self,
        notify: OutgoingId,
        result: &OutgoingResult,
    ) -> Option<Subscription> {
        let status = result.status();
        if status < 200 {
            return None;
        }
        let id = self.in_flight.remove(&notify)?;
        if status < 300 {
            return None;
        }
        self.remove(id)
    }

    /// Removes subscription `id` without a NOTIFY (the subscriber answered one with an
    /// error, or could not be reached).
    pub fn remove(&mut self, id: SubscriptionId) -> Option<Subscription> {
        let sub = self.subscriptions.remove(&id)?;
        self.by_dialog.remove(sub.dialog.id());
        self.expiries.remove(&(sub.expires_at, id));
        Some(sub)
    }

    /// When the next subscription expires.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.expiries.first().map(|&(when, _)| when)
    }

    /// The subscriptions expired at `now`; end each with [`SubscriptionSet::terminate`].
    pub fn expired(&self, now: Instant) -> Vec<SubscriptionId> {
        self.expiries
            .iter()
            .take_while(|&&(when, _)| when <= now)
            .map(|&(_, id)| id)
            .collect()
    }
}
