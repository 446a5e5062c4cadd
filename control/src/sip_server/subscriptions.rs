//! The SIP thread's notifier: SUBSCRIBE requests for `Event: conference`, `presence` and
//! `presence.winfo` become subscriptions ([`crate::sip::subscription`]), and each turn of
//! the thread compares what subscribers were last told with what is true now and sends a
//! NOTIFY where it differs.
//!
//! Where the state comes from:
//! - a conference's participants from the focus, their legs (none while on hold) and the
//!   cores' talker sets from the admin registry;
//! - a user's presence from its registrations in the database, read again only when a
//!   REGISTER changed them or expired ones were purged, and from whether one of the
//!   user's legs is in a conference (a user on hold has no leg, so is not on the phone);
//! - a user's watchers from the presence subscriptions themselves.
//!
//! Who may subscribe: conference state needs the `[sip.policy] watch` permission and either
//! being in the conference or being a supervisor (`[sip.policy] supervise`); presence
//! follows [`crate::sip::presence::rules`] over the target's buddy list; watcher
//! information is only for the user itself.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::PoisonError;
use std::time::{Duration, Instant};

use medianode_dataplane::conference::ConferenceId;

use super::presence_store;
use super::store::{lock, SharedStore};
use crate::admin::{Registry, SharedRegistry};
use crate::config::PolicyConfig;
use crate::sip::focus::{Arrival, Focus};
use crate::sip::policy::{Action, Policy};
use crate::sip::presence::pidf::PIDF_CONTENT_TYPE;
use crate::sip::presence::rules::{may_watch_presence, may_watch_watchers};
use crate::sip::presence::watcherinfo::WATCHERINFO_CONTENT_TYPE;
use crate::sip::presence::{write_pidf, write_watcherinfo, PresenceState, Watcher};
use crate::sip::subscription::conference_info::{
    write_full, write_partial, ConferenceNames, Participant, Roster, CONFERENCE_INFO_CONTENT_TYPE,
};
use crate::sip::subscription::{
    Package, Refusal, SubscriptionId, SubscriptionLimits, SubscriptionSet,
};
use crate::sip::transaction::outgoing::{OutgoingId, OutgoingRequest, OutgoingResult};
use crate::sip::transaction::Peer;
use crate::sip::Message;

/// What the notifier reads the state from, lent for one call.
#[derive(Debug, Clone, Copy)]
pub struct World<'a> {
    /// The conference focus.
    pub focus: &'a Focus,
    /// The admin registry (legs and talkers).
    pub registry: &'a SharedRegistry,
    /// The database (users, registrations, buddy lists).
    pub store: &'a SharedStore,
    /// The wall clock, in seconds since the epoch (registrations expire by it).
    pub unix_now: u64,
}

/// What a subscription was last told.
#[derive(Debug)]
enum View {
    Conference {
        id: ConferenceId,
        uri: String,
        sent: Roster,
    },
    Presence {
        sent: PresenceState,
    },
    WatcherInfo {
        sent: Vec<Watcher>,
    },
}

/// The notifier of one SIP server.
#[derive(Debug)]
pub struct Subscriptions {
    set: SubscriptionSet,
    domain: String,
    policy: Policy,
    supervisors: HashSet<String>,
    views: HashMap<SubscriptionId, View>,
    /// Users whose registrations changed since their watchers were last told.
    changed_users: HashSet<String>,
    /// Every user's registrations may have changed (expired ones were purged).
    all_users_changed: bool,
    /// When to look at the talker sets again (they change without any SIP traffic).
    next_talker_check: Option<Instant>,
    out: VecDeque<OutgoingRequest>,
}

/// How often conference subscriptions look for new active speakers.
const TALKER_CHECK: Duration = Duration::from_millis(200);

/// A conference's participants as the documents describe them.
fn roster_of(id: ConferenceId, focus: &Focus, registry: &Registry) -> Roster {
    let mut roster: Roster = focus
        .participants(id)
        .into_iter()
        .map(|user| {
            let on_hold = Participant {
                on_hold: true,
                speaking: false,
            };
            (user, on_hold)
        })
        .collect();
    let record = registry.conference(id);
    // Phones called through the PSTN trunk, by the URI they were called at.
    for (uri, leg) in focus.phones_in(id) {
        let speaking = leg.is_some_and(|leg| record.is_some_and(|r| r.talkers.contains(&leg)));
        roster.insert(
            uri,
            Participant {
                on_hold: false,
                speaking,
            },
        );
    }
    if let Some(record) = record {
        for leg in &record.legs {
            let Some(user) = registry.leg(*leg).and_then(|l| l.participant.as_ref()) else {
                continue;
            };
            if let Some(p) = roster.get_mut(user) {
                p.on_hold = false;
                p.speaking |= record.talkers.contains(leg);
            }
        }
    }
    roster
}

/// Whether the focus or the admin API knows conference `id`.
fn conference_exists(id: ConferenceId, focus: &Focus, registry: &Registry) -> bool {
    focus.knows(id) || registry.conference(id).is_some()
}

/// Users with media in a conference (one pass over the legs; a user on hold has none).
fn users_in_conferences(registry: &Registry) -> HashSet<String> {
    registry
        .conferences()
        .flat_map(|(_, record)| record.legs.iter())
        .filter_map(|leg| registry.leg(*leg)?.participant.clone())
        .collect()
}

fn request_user<T: AsRef<[u8]>>(request: &Message<T>) -> Option<String> {
    request
        .request_uri()
        .and_then(|uri| uri.as_sip().and_then(|s| s.user()).map(str::to_owned))
}

fn request_uri_text<T: AsRef<[u8]>>(request: &Message<T>) -> String {
    request
        .request_uri()
        .map(|u| u.as_str().to_owned())
        .unwrap_or_default()
}

impl Subscriptions {
    /// A notifier for users of `domain` under `policy`.
    pub fn new(domain: &str, policy: &PolicyConfig) -> Subscriptions {
        Subscriptions {
            set: SubscriptionSet::new(SubscriptionLimits::default()),
            domain: domain.to_owned(),
            policy: Policy::from_config(policy),
            supervisors: policy.supervise.iter().cloned().collect(),
            views: HashMap::new(),
            changed_users: HashSet::new(),
            all_users_changed: false,
            next_talker_check: None,
            out: VecDeque::new(),
        }
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// An initial SUBSCRIBE from authenticated `user`: the response to send (then the
    /// first NOTIFY comes out of [`Subscriptions::poll_output`]).
    pub fn on_initial(
        &mut self,
        request: &Message<Vec<u8>>,
        user: &str,
        arrival: &Arrival,
        tag: &str,
        now: Instant,
        world: World<'_>,
    ) -> Vec<u8> {
        match self.start(request, user, arrival, tag, now, world) {
            Ok(answer) => answer,
            Err(refusal) => {
                tracing::info!(user, %refusal, uri = %request_uri_text(request), "SUBSCRIBE refused");
                refusal.response(request, tag)
            }
        }
    }

    fn start(
        &mut self,
        request: &Message<Vec<u8>>,
        user: &str,
        arrival: &Arrival,
        tag: &str,
        now: Instant,
        world: World<'_>,
    ) -> Result<Vec<u8>, Refusal> {
        let checked = self.set.check(request)?;
        let target = request_user(request).ok_or(Refusal::NotFound)?;
        let view = match checked.package {
            Package::Conference => {
                let id = Focus::conference_of_user_part(&target).ok_or(Refusal::NotFound)?;
                let registry = world
                    .registry
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if !conference_exists(id, world.focus, &registry) {
                    return Err(Refusal::NotFound);
                }
                let member = world.focus.participants(id).iter().any(|p| p == user);
                let allowed = self.policy.allows(Action::Watch, user)
                    && (member || self.supervisors.contains(user));
                if !allowed {
                    return Err(Refusal::Forbidden);
                }
                View::Conference {
                    id,
                    uri: request_uri_text(request),
                    sent: Roster::new(),
                }
            }
            Package::Presence => {
                let store = lock(world.store);
                let exists = store.user(&target).map_err(|_| Refusal::NotFound)?;
                if exists.is_none() {
                    return Err(Refusal::NotFound);
                }
                let buddies = presence_store::buddies(&store, &target).map_err(|error| {
                    tracing::error!(%error, "cannot read a buddy list");
                    Refusal::Forbidden
                })?;
                let policy = self.policy.allows(Action::Watch, user);
                if !may_watch_presence(user, &target, &buddies, policy) {
                    return Err(Refusal::Forbidden);
                }
                View::Presence {
                    sent: PresenceState {
                        registered: false,
                        in_conference: false,
                    },
                }
            }
            Package::WatcherInfo => {
                if !may_watch_watchers(user, &target) {
                    return Err(Refusal::Forbidden);
                }
                View::WatcherInfo { sent: Vec::new() }
            }
        };
        let (id, answer) = self.set.accept(
            request,
            checked.package,
            checked.expires,
            &target,
            user,
            arrival.peer,
            &arrival.host,
            tag,
            now,
        )?;
        tracing::info!(
            user,
            package = %checked.package,
            resource = target.as_str(),
            expires = checked.expires,
            "subscription started"
        );
        self.views.insert(id, view);
        self.first_notify(id, checked.expires == 0, now, world);
        Ok(answer)
    }

    /// A SUBSCRIBE inside a dialog (refresh or unsubscribe): the response to send. A
    /// presence watcher no longer allowed (taken off the target's buddy list since) gets its
    /// subscription ended with reason `rejected`.
    pub fn on_refresh(
        &mut self,
        request: &Message<Vec<u8>>,
        peer: Peer,
        tag: &str,
        now: Instant,
        world: World<'_>,
    ) -> Vec<u8> {
        match self.set.refresh(request, peer, now) {
            Ok((id, expires, answer)) => {
                if expires == 0 {
                    tracing::info!(subscription = id.0, "unsubscribed");
                    self.finish(id, "timeout");
                } else if !self.still_allowed(id, world) {
                    tracing::info!(subscription = id.0, "watcher no longer allowed");
                    self.finish(id, "rejected");
                } else {
                    // RFC 6665 sec. 4.2.1.2: a refresh is answered with the current state.
                    self.first_notify(id, false, now, world);
                }
                answer
            }
            Err(refusal) => refusal.response(request, tag),
        }
    }

    /// Whether the subscriber of presence subscription `id` may still watch its target
    /// (other packages' permissions do not change while a subscription lasts).
    fn still_allowed(&self, id: SubscriptionId, world: World<'_>) -> bool {
        let Some(sub) = self.set.get(id) else {
            return false;
        };
        if sub.package != Package::Presence {
            return true;
        }
        let buddies = match presence_store::buddies(&lock(world.store), &sub.resource) {
            Ok(buddies) => buddies,
            Err(error) => {
                tracing::error!(%error, "cannot read a buddy list");
                return true;
            }
        };
        let policy = self.policy.allows(Action::Watch, &sub.subscriber);
        may_watch_presence(&sub.subscriber, &sub.resource, &buddies, policy)
    }

    /// Registrations of `user` changed.
    pub fn registrations_changed(&mut self, user: &str) {
        if !self.set.is_empty() {
            self.changed_users.insert(user.to_owned());
        }
    }

    /// Expired registrations were removed: anyone's presence may have changed.
    pub fn all_registrations_changed(&mut self) {
        if !self.set.is_empty() {
            self.all_users_changed = true;
        }
    }

    /// When [`Subscriptions::update`] must run at the latest: the next expiry, or the next
    /// look at the talker sets while anyone watches a conference.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.set.poll_timeout(), self.next_talker_check]
            .into_iter()
            .flatten()
            .min()
    }

    /// The next NOTIFY to send.
    pub fn poll_output(&mut self) -> Option<OutgoingRequest> {
        self.out.pop_front()
    }

    /// What became of NOTIFY `id`.
    pub fn on_outgoing_result(&mut self, id: OutgoingId, result: &OutgoingResult) {
        if let Some(gone) = self.set.on_outgoing_result(id, result) {
            tracing::info!(
                subscriber = gone.subscriber.as_str(),
                package = %gone.package,
                status = result.status(),
                "a NOTIFY failed; subscription ended"
            );
            self.views.retain(|id, _| self.set.get(*id).is_some());
        }
    }

    /// Ends expired subscriptions and notifies every change since the last call.
    pub fn update(&mut self, now: Instant, world: World<'_>) {
        if self.set.is_empty() && self.next_talker_check.is_none() {
            return;
        }
        for id in self.set.expired(now) {
            self.finish(id, "timeout");
        }
        if self.set.is_empty() {
            self.changed_users.clear();
            self.all_users_changed = false;
            self.next_talker_check = None;
            return;
        }
        let ids: Vec<SubscriptionId> = self.views.keys().copied().collect();
        let mut busy: Option<HashSet<String>> = None;
        let mut rosters: HashMap<ConferenceId, Option<Roster>> = HashMap::new();
        let mut registered: HashMap<String, bool> = HashMap::new();
        let any_winfo = self
            .views
            .values()
            .any(|v| matches!(v, View::WatcherInfo { .. }));
        let watchers = if any_winfo {
            self.watchers()
        } else {
            BTreeMap::new()
        };
        let mut ended = Vec::new();
        for id in ids {
            let Some(sub) = self.set.get(id) else {
                self.views.remove(&id);
                continue;
            };
            let resource = sub.resource.clone();
            let Some(view) = self.views.get_mut(&id) else {
                continue;
            };
            let body = match view {
                View::Conference {
                    id: conf,
                    uri,
                    sent,
                } => {
                    let current = rosters.entry(*conf).or_insert_with(|| {
                        let registry = world
                            .registry
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner);
                        conference_exists(*conf, world.focus, &registry)
                            .then(|| roster_of(*conf, world.focus, &registry))
                    });
                    let names = ConferenceNames {
                        uri,
                        domain: &self.domain,
                    };
                    let version = sub.notified.saturating_add(1);
                    let mut body = String::new();
                    match current {
                        Some(current) => {
                            if write_partial(names, version, sent, current, &mut body) {
                                *sent = current.clone();
                                Some((CONFERENCE_INFO_CONTENT_TYPE, body))
                            } else {
                                None
                            }
                        }
                        None => {
                            write_partial(names, version, sent, &Roster::new(), &mut body);
                            ended.push((id, body));
                            None
                        }
                    }
                }
                View::Presence { sent } => {
                    let changed = self.all_users_changed || self.changed_users.contains(&resource);
                    let is_registered = if changed {
                        *registered
                            .entry(resource.clone())
                            .or_insert_with(|| has_registration(&resource, world))
                    } else {
                        sent.registered
                    };
                    let busy = busy.get_or_insert_with(|| {
                        let registry = world
                            .registry
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner);
                        users_in_conferences(&registry)
                    });
                    let current = PresenceState {
                        registered: is_registered,
                        in_conference: busy.contains(&resource),
                    };
                    if current == *sent {
                        None
                    } else {
                        *sent = current;
                        let mut body = String::new();
                        write_pidf(&resource, &self.domain, current, &mut body);
                        Some((PIDF_CONTENT_TYPE, body))
                    }
                }
                View::WatcherInfo { sent } => {
                    let current = watchers.get(&resource).cloned().unwrap_or_default();
                    if current == *sent {
                        None
                    } else {
                        *sent = current;
                        let mut body = String::new();
                        write_watcherinfo(&resource, &self.domain, sub.notified, sent, &mut body);
                        Some((WATCHERINFO_CONTENT_TYPE, body))
                    }
                }
            };
            if let Some((content_type, body)) = body {
                if let Some(notify) = self.set.notify(id, content_type, body.as_bytes(), now) {
                    self.out.push_back(notify);
                }
            }
        }
        for (id, body) in ended {
            self.finish_with(id, "noresource", CONFERENCE_INFO_CONTENT_TYPE, body);
        }
        let watching_conferences = self
            .views
            .values()
            .any(|v| matches!(v, View::Conference { .. }));
        self.next_talker_check = watching_conferences.then(|| now + TALKER_CHECK);
        self.changed_users.clear();
        self.all_users_changed = false;
        self.views.retain(|id, _| self.set.get(*id).is_some());
    }

    /// The presence watchers of each watched user.
    fn watchers(&self) -> BTreeMap<String, Vec<Watcher>> {
        let mut by_user: BTreeMap<String, Vec<Watcher>> = BTreeMap::new();
        for (id, sub) in self.set.iter() {
            if sub.package == Package::Presence {
                by_user
                    .entry(sub.resource.clone())
                    .or_default()
                    .push(Watcher {
                        id: format!("w{}", id.0),
                        user: sub.subscriber.clone(),
                        active: true,
                    });
            }
        }
        for list in by_user.values_mut() {
            list.sort();
        }
        by_user
    }

    /// The full state of subscription `id` as its first NOTIFY (or, for a fetch, its only
    /// one).
    fn first_notify(&mut self, id: SubscriptionId, fetch: bool, now: Instant, world: World<'_>) {
        let Some(sub) = self.set.get(id) else {
            return;
        };
        let resource = sub.resource.clone();
        let version = sub.notified.saturating_add(1);
        let watchers = self.watchers();
        let Some(view) = self.views.get_mut(&id) else {
            return;
        };
        let mut body = String::new();
        let content_type = match view {
            View::Conference {
                id: conf,
                uri,
                sent,
            } => {
                let registry = world
                    .registry
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                *sent = roster_of(*conf, world.focus, &registry);
                let names = ConferenceNames {
                    uri,
                    domain: &self.domain,
                };
                write_full(names, version, sent, &mut body);
                CONFERENCE_INFO_CONTENT_TYPE
            }
            View::Presence { sent } => {
                let registered = has_registration(&resource, world);
                let registry = world
                    .registry
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                *sent = PresenceState {
                    registered,
                    in_conference: users_in_conferences(&registry).contains(&resource),
                };
                write_pidf(&resource, &self.domain, *sent, &mut body);
                PIDF_CONTENT_TYPE
            }
            View::WatcherInfo { sent } => {
                *sent = watchers.get(&resource).cloned().unwrap_or_default();
                write_watcherinfo(
                    &resource,
                    &self.domain,
                    version.saturating_sub(1),
                    sent,
                    &mut body,
                );
                WATCHERINFO_CONTENT_TYPE
            }
        };
        if fetch {
            self.finish_with(id, "timeout", content_type, body);
        } else if let Some(notify) = self.set.notify(id, content_type, body.as_bytes(), now) {
            self.out.push_back(notify);
        }
    }

    /// Ends subscription `id` with a final NOTIFY carrying its current full state.
    fn finish(&mut self, id: SubscriptionId, reason: &'static str) {
        let Some(sub) = self.set.get(id) else {
            return;
        };
        let resource = sub.resource.clone();
        let version = sub.notified.saturating_add(1);
        let mut body = String::new();
        let content_type = match self.views.get(&id) {
            Some(View::Conference { uri, sent, .. }) => {
                let names = ConferenceNames {
                    uri,
                    domain: &self.domain,
                };
                write_full(names, version, sent, &mut body);
                CONFERENCE_INFO_CONTENT_TYPE
            }
            Some(View::Presence { sent }) => {
                write_pidf(&resource, &self.domain, *sent, &mut body);
                PIDF_CONTENT_TYPE
            }
            Some(View::WatcherInfo { sent }) => {
                write_watcherinfo(
                    &resource,
                    &self.domain,
                    version.saturating_sub(1),
                    sent,
                    &mut body,
                );
                WATCHERINFO_CONTENT_TYPE
            }
            None => "",
        };
        self.finish_with(id, reason, content_type, body);
    }

    fn finish_with(
        &mut self,
        id: SubscriptionId,
        reason: &'static str,
        content_type: &str,
        body: String,
    ) {
        if let Some(notify) = self
            .set
            .terminate(id, reason, content_type, body.as_bytes())
        {
            self.out.push_back(notify);
        }
        self.views.remove(&id);
    }
}

fn has_registration(user: &str, world: World<'_>) -> bool {
    match lock(world.store).bindings(user, world.unix_now) {
        Ok(bindings) => !bindings.is_empty(),
        Err(error) => {
            tracing::error!(%error, "cannot read a user's registrations");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use medianode_dataplane::conference::SelectionPolicy;
    use medianode_dataplane::srtp::SrtpSuite;

    use super::*;
    use crate::admin::Registry;
    use crate::config::IN_MEMORY_DATABASE;
    use crate::sip::dialog::ViaSpec;
    use crate::sip::focus::FocusConfig;
    use crate::sip::registrar::{Binding, BindingChange};
    use crate::sip::transaction::outgoing::with_via;
    use crate::sip::transaction::TransportKind;
    use crate::sip_server::store::{Store, UserRecord, UserSource};

    struct Fixture {
        focus: Focus,
        registry: SharedRegistry,
        store: SharedStore,
        notifier: Subscriptions,
        now: Instant,
    }

    impl Fixture {
        fn new(policy: PolicyConfig) -> Fixture {
            let store = Store::open(IN_MEMORY_DATABASE).unwrap();
            for name in ["alice", "bob", "carol"] {
                store
                    .put_user(&UserRecord {
                        name: name.to_owned(),
                        realm: "example.com".to_owned(),
                        ha1_md5: None,
                        ha1_sha256: None,
                        source: UserSource::Admin,
                    })
                    .unwrap();
            }
            presence_store::add_buddy(&store, "alice", "bob").unwrap();
            Fixture {
                focus: Focus::new(FocusConfig {
                    factory_user: "conference".to_owned(),
                    policy: Policy::default(),
                    allow_plain_keys: true,
                    conference_suite: SrtpSuite::AesCm128HmacSha1_80,
                    empty_conference: Duration::from_secs(30),
                    selection: SelectionPolicy::default(),
                }),
                registry: Arc::new(Mutex::new(Registry::new(1))),
                store: Arc::new(Mutex::new(store)),
                notifier: Subscriptions::new("example.com", &policy),
                now: Instant::now(),
            }
        }

        fn subscribe(&mut self, user: &str, uri: &str, event: &str, to_tag: &str) -> u16 {
            let text = format!(
                "SUBSCRIBE {uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK{user}\r\n\
                 To: <{uri}>{to_tag}\r\nFrom: <sip:{user}@example.com>;tag={user}\r\n\
                 Call-ID: {user}-{event}\r\nCSeq: 1 SUBSCRIBE\r\n\
                 Contact: <sip:{user}@127.0.0.1:5070>\r\nEvent: {event}\r\nExpires: 60\r\n\
                 Content-Length: 0\r\n\r\n"
            );
            let request = Message::new_checked(text.into_bytes()).unwrap();
            let arrival = Arrival {
                peer: Peer {
                    addr: "127.0.0.1:5070".parse().unwrap(),
                    transport: TransportKind::Udp,
                },
                host: "127.0.0.1:5060".to_owned(),
            };
            let world = World {
                focus: &self.focus,
                registry: &self.registry,
                store: &self.store,
                unix_now: 1_000,
            };
            let answer = self
                .notifier
                .on_initial(&request, user, &arrival, "n", self.now, world);
            Message::new_checked(answer).unwrap().status().unwrap()
        }

        fn refresh(&mut self, user: &str, uri: &str, event: &str) -> u16 {
            let text = format!(
                "SUBSCRIBE {uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKr{user}\r\n\
                 To: <{uri}>;tag=n\r\nFrom: <sip:{user}@example.com>;tag={user}\r\n\
                 Call-ID: {user}-{event}\r\nCSeq: 2 SUBSCRIBE\r\n\
                 Contact: <sip:{user}@127.0.0.1:5070>\r\nEvent: {event}\r\nExpires: 60\r\n\
                 Content-Length: 0\r\n\r\n"
            );
            let request = Message::new_checked(text.into_bytes()).unwrap();
            let peer = Peer {
                addr: "127.0.0.1:5070".parse().unwrap(),
                transport: TransportKind::Udp,
            };
            let world = World {
                focus: &self.focus,
                registry: &self.registry,
                store: &self.store,
                unix_now: 1_000,
            };
            let answer = self
                .notifier
                .on_refresh(&request, peer, "x", self.now, world);
            Message::new_checked(answer).unwrap().status().unwrap()
        }

        fn update(&mut self, at: Duration) {
            let world = World {
                focus: &self.focus,
                registry: &self.registry,
                store: &self.store,
                unix_now: 1_000,
            };
            self.notifier.update(self.now + at, world);
        }

        /// The NOTIFYs sent since the last call, with a Via as the engine adds it.
        fn sent(&mut self) -> Vec<Message<Vec<u8>>> {
            let via = ViaSpec {
                transport: "UDP",
                sent_by: "127.0.0.1:5060",
                branch: "z9hG4bKn",
            };
            std::iter::from_fn(|| self.notifier.poll_output())
                .map(|n| Message::new_checked(with_via(&n.request, &via).unwrap()).unwrap())
                .collect()
        }

        fn register_alice(&self, expires_at: u64) {
            let change = BindingChange::Put(Binding {
                contact: "sip:alice@127.0.0.1:5080".to_owned(),
                expires_at,
                call_id: "r".to_owned(),
                cseq: 1,
                q: None,
                source: "udp:127.0.0.1:5080".to_owned(),
            });
            lock(&self.store).apply("alice", &[change]).unwrap();
        }
    }

    fn body(message: &Message<Vec<u8>>) -> String {
        String::from_utf8_lossy(message.body()).into_owned()
    }

    #[test]
    fn presence_follows_registrations_and_the_owner_sees_its_watchers() {
        let mut f = Fixture::new(PolicyConfig::default());
        let alice = "sip:alice@example.com";
        assert_eq!(f.subscribe("carol", alice, "presence", ""), 403);
        assert_eq!(
            f.subscribe("bob", "sip:nobody@example.com", "presence", ""),
            404
        );
        assert_eq!(f.subscribe("bob", alice, "dialog", ""), 489);
        assert!(f.sent().is_empty());

        assert_eq!(f.subscribe("bob", alice, "presence", ""), 200);
        let first = f.sent();
        assert_eq!(first.len(), 1);
        assert!(body(&first[0]).contains("<basic>closed</basic>"));
        f.update(Duration::from_secs(1));
        assert!(f.sent().is_empty(), "nothing changed");

        f.register_alice(2_000);
        f.update(Duration::from_secs(2));
        assert!(f.sent().is_empty(), "the registrar has not said so yet");
        f.notifier.registrations_changed("alice");
        f.update(Duration::from_secs(2));
        let open = f.sent();
        assert_eq!(open.len(), 1);
        assert!(body(&open[0]).contains("<basic>open</basic>"));

        assert_eq!(f.subscribe("bob", alice, "presence.winfo", ""), 403);
        assert_eq!(f.subscribe("alice", alice, "presence.winfo", ""), 200);
        let winfo = f.sent();
        assert_eq!(winfo.len(), 1);
        assert!(body(&winfo[0]).contains(">sip:bob@example.com</watcher>"));

        // A refresh answers with the current state.
        assert_eq!(f.refresh("bob", alice, "presence"), 200);
        let again = f.sent();
        assert_eq!(again.len(), 1);
        assert!(body(&again[0]).contains("<basic>open</basic>"));
        assert_eq!(f.refresh("carol", alice, "presence"), 481);

        // Both subscriptions expire after 60 s with a terminated NOTIFY each.
        assert_eq!(
            f.notifier.poll_timeout(),
            Some(f.now + Duration::from_secs(60))
        );
        f.update(Duration::from_secs(61));
        let last = f.sent();
        assert_eq!(last.len(), 2);
        for notify in &last {
            let state = notify.subscription_state().unwrap();
            assert_eq!(
                (state.value(), state.reason()),
                ("terminated", Some("timeout"))
            );
        }
        assert!(f.notifier.is_empty());
        assert_eq!(f.notifier.poll_timeout(), None);
    }

    #[test]
    fn a_watcher_taken_off_the_buddy_list_is_rejected_at_its_next_refresh() {
        let mut f = Fixture::new(PolicyConfig::default());
        let alice = "sip:alice@example.com";
        assert_eq!(f.subscribe("bob", alice, "presence", ""), 200);
        assert_eq!(f.sent().len(), 1);
        presence_store::remove_buddy(&lock(&f.store), "alice", "bob").unwrap();
        assert_eq!(f.refresh("bob", alice, "presence"), 200);
        let last = f.sent();
        assert_eq!(last.len(), 1);
        let state = last[0].subscription_state().unwrap();
        assert_eq!(
            (state.value(), state.reason()),
            ("terminated", Some("rejected"))
        );
        assert!(f.notifier.is_empty());
    }

    #[test]
    fn conference_state_needs_membership_or_the_supervisor_role() {
        let policy = PolicyConfig {
            supervise: vec!["carol".to_owned()],
            ..PolicyConfig::default()
        };
        let mut f = Fixture::new(policy);
        let uri = "sip:conf-1@127.0.0.1:5060";
        assert_eq!(f.subscribe("carol", uri, "conference", ""), 404);
        f.registry.lock().unwrap().insert_conference(
            ConferenceId(1),
            0,
            SelectionPolicy::default(),
        );
        assert_eq!(f.subscribe("bob", uri, "conference", ""), 403);
        assert_eq!(f.subscribe("carol", uri, "conference", ""), 200);
        let full = f.sent();
        assert_eq!(full.len(), 1);
        let text = body(&full[0]);
        assert!(text.contains("state=\"full\" version=\"1\""), "{text}");
        assert!(text.contains("<user-count>0</user-count>"), "{text}");
        assert!(f.notifier.poll_timeout().unwrap() <= f.now + Duration::from_secs(60));

        // The conference goes away: the subscription ends with noresource.
        f.registry
            .lock()
            .unwrap()
            .remove_conference(ConferenceId(1));
        f.update(Duration::from_secs(1));
        let last = f.sent();
        assert_eq!(last.len(), 1);
        let state = last[0].subscription_state().unwrap();
        assert_eq!(
            (state.value(), state.reason()),
            ("terminated", Some("noresource"))
        );
        assert!(f.notifier.is_empty());
        assert_eq!(f.notifier.poll_timeout(), None);
    }

    /// A counter as the focus's randomness (tags and keys need not be random here).
    struct Counter(u8);

    impl crate::sip::focus::Entropy for Counter {
        fn fill(&mut self, bytes: &mut [u8]) {
            for b in bytes {
                self.0 = self.0.wrapping_add(1);
                *b = self.0;
            }
        }
    }

    /// Drives the focus through a call to `tel:+15550100` into conference 1 that the trunk
    /// (127.0.0.1:5090) answers; the leg is 5.
    fn answer_a_phone_call(f: &mut Fixture) {
        use crate::admin::AddedLeg;
        use crate::sip::focus::{FocusOutput, MediaOutcome};
        use crate::sip::header::KnownHeader;
        use crate::sip::transaction::outgoing::OutgoingResult;

        let config =
            crate::config::Config::from_toml_str("[pstn]\ntrunk = \"127.0.0.1:5090\"\n", "t")
                .unwrap();
        f.focus
            .set_pstn_route(crate::sip::pstn::PstnRoute::from_config(&config.pstn));
        f.focus.adopt(ConferenceId(1));
        let arrival = Arrival {
            peer: Peer {
                addr: "127.0.0.1:5070".parse().unwrap(),
                transport: TransportKind::Udp,
            },
            host: "127.0.0.1:5060".to_owned(),
        };
        let mut entropy = Counter(0);
        f.focus
            .call_number(
                ConferenceId(1),
                "tel:+15550100",
                &arrival,
                f.now,
                &mut entropy,
            )
            .unwrap();
        let added = AddedLeg {
            leg: medianode_dataplane::conference::LegId(5),
            local: "127.0.0.1:21000".parse().unwrap(),
        };
        let via = ViaSpec {
            transport: "UDP",
            sent_by: "127.0.0.1:5060",
            branch: "z9hG4bKt",
        };
        let mut answered = false;
        while let Some(output) = f.focus.poll_output() {
            match output {
                FocusOutput::Media(job) => {
                    let outcome = MediaOutcome::Added(added);
                    f.focus.on_media_done(job.id, outcome, f.now, &mut entropy);
                }
                FocusOutput::Send(request) if !answered => {
                    answered = true;
                    let invite =
                        Message::new_checked(with_via(&request.request, &via).unwrap()).unwrap();
                    let sdp = "v=0\r\no=gw 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n\
                               t=0 0\r\nm=audio 30000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n";
                    let header = |name| invite.header(name).unwrap();
                    let ok = format!(
                        "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag=gw\r\n\
                         Call-ID: {}\r\nCSeq: 1 INVITE\r\nContact: <sip:gw@127.0.0.1:5090>\r\n\
                         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
                        header(KnownHeader::Via),
                        header(KnownHeader::From),
                        header(KnownHeader::To),
                        invite.call_id(),
                        sdp.len()
                    );
                    let ok = Message::new_checked(ok.into_bytes()).unwrap();
                    f.focus.on_outgoing_result(
                        request.id,
                        OutgoingResult::Response(ok),
                        &mut entropy,
                    );
                }
                _ => {}
            }
        }
        assert!(answered, "the focus called the trunk");
    }

    #[test]
    fn an_answered_phone_is_listed_by_the_uri_it_was_called_at() {
        let policy = PolicyConfig {
            supervise: vec!["carol".to_owned()],
            ..PolicyConfig::default()
        };
        let mut f = Fixture::new(policy);
        f.registry.lock().unwrap().insert_conference(
            ConferenceId(1),
            0,
            SelectionPolicy::default(),
        );
        answer_a_phone_call(&mut f);
        assert_eq!(
            f.subscribe("carol", "sip:conf-1@127.0.0.1:5060", "conference", ""),
            200
        );
        let full = f.sent();
        let text = body(&full[0]);
        let phone = "sip:+15550100@127.0.0.1:5090;user=phone";
        assert!(
            text.contains(&format!("<user entity=\"{phone}\" state=\"full\">")),
            "{text}"
        );
        assert!(text.contains("<user-count>1</user-count>"), "{text}");
    }
}
