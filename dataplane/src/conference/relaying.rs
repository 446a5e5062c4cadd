//! Which talkers a conference relays to which listeners, and sending what the relays
//! encode.
//!
//! Forwarding reaches a listener that receives streams only when it decodes the talker's
//! codec and shares its protection mode (`routing`). When it does not (a PSTN phone's
//! G.711 and a WebRTC-style Opus listener; a hop-by-hop talker and an end-to-end listener
//! in a conference whose key the core holds), the talker reaches it through a relay of the
//! conference's mixer: the talker's voice alone, re-encoded in the listener's codec and
//! packet time once per tick, as a stream of its own. A relay is sent to every listener
//! that needs it:
//! - plain and hop-by-hop listeners under the relay's own SSRC, protected per listener;
//! - end-to-end listeners under the SSRC the focus claimed for the talker under the
//!   conference key (`LegConfig::mix_ssrc`), protected once and copied to each of them.
//!
//! The set of relays is worked out again whenever a leg comes or goes; the mixer runs
//! while any relay does.

use std::collections::HashMap;
use std::time::Instant;

use super::leg::{Leg, MixRtp};
use super::media_core::MediaCore;
use super::mix_send::{Relayed, TickSender};
use super::mixer_keying::ConferenceKeying;
use super::slab::{Slab, SlotHandle};
use super::{LegId, Receive};
use crate::mixer::{MixLegConfig, MixedTick, OutputIndex};

/// One relay of a conference: whose voice, in which codec and packet time, to whom.
#[derive(Debug)]
pub(crate) struct RelayRoute {
    pub(crate) source: LegId,
    /// The listeners' configuration (codec and packet time) it is encoded for.
    pub(crate) format: MixLegConfig,
    pub(crate) output: OutputIndex,
    /// The SSRC plain and hop-by-hop listeners receive it under.
    pub(crate) ssrc: u32,
    /// Its stream toward plain and hop-by-hop listeners.
    pub(crate) stream: MixRtp,
    /// The listeners that need it.
    pub(crate) listeners: Vec<SlotHandle>,
}

/// Whether `listener` hears `source`'s packets by forwarding (as `routing` decides).
fn forwarding_reaches(source: &Leg, listener: &Leg) -> bool {
    let Some(mix) = source.mix else {
        return true;
    };
    let listener_end_to_end = listener.crypto.is_end_to_end();
    if source.crypto.is_end_to_end() != listener_end_to_end {
        return false;
    }
    if listener_end_to_end {
        listener.payload_types.get(mix.payload_type) == Some(mix.codec)
    } else {
        listener.payload_types.payload_type_of(mix.codec).is_some()
    }
}

/// The format `listener` needs `source` relayed in, if it needs a relay and can take one.
fn relay_format(source: &Leg, listener: &Leg) -> Option<MixLegConfig> {
    if listener.receive != Receive::Streams || listener.id == source.id {
        return None;
    }
    // The mixer must hear the talker and encode for the listener.
    source.mix?;
    let format = listener.mix?;
    if forwarding_reaches(source, listener) {
        return None;
    }
    if listener.crypto.is_end_to_end() {
        // Under the conference key a talker is relayed only under the SSRC claimed for its
        // relay. An end-to-end talker's SSRC under the key is its own mix-minus's, which
        // a relay must not share: such a talker (forwarded to end-to-end listeners that
        // map its payload type; the focus locks the codec) is not relayed to them.
        if source.crypto.is_end_to_end() {
            return None;
        }
        source.mix_ssrc?;
    }
    Some(format)
}

/// Whether two formats encode the same packets.
fn same_format(a: &MixLegConfig, b: &MixLegConfig) -> bool {
    a.codec == b.codec && a.ptime == b.ptime
}

impl MediaCore {
    /// Works out the conference's relays again: starts the ones now needed (and the
    /// mixer, if it has none), ends the ones no longer needed, and stops a mixer that
    /// nothing needs any more.
    pub(super) fn refresh_relays(&mut self, conference_slot: u32, now: Instant) {
        let Some(conference) = self.conferences.get(conference_slot) else {
            return;
        };
        let mut wanted: Vec<(LegId, MixLegConfig, Vec<SlotHandle>)> = Vec::new();
        for &source_handle in &conference.legs {
            let Some(source) = self.legs.get_handle(source_handle) else {
                continue;
            };
            for &listener_handle in &conference.legs {
                let Some(listener) = self.legs.get_handle(listener_handle) else {
                    continue;
                };
                let Some(format) = relay_format(source, listener) else {
                    continue;
                };
                let entry = wanted
                    .iter_mut()
                    .find(|(id, f, _)| *id == source.id && same_format(f, &format));
                match entry {
                    Some((_, _, listeners)) => listeners.push(listener_handle),
                    None => wanted.push((source.id, format, vec![listener_handle])),
                }
            }
        }
        if !wanted.is_empty() && self.start_mixer(conference_slot, now).is_err() {
            return;
        }
        let Self {
            conferences, rng, ..
        } = self;
        let Some(conference) = conferences.get_mut(conference_slot) else {
            return;
        };
        let mut routes = std::mem::take(&mut conference.relays);
        routes.retain(|route| {
            let keep = wanted
                .iter()
                .any(|(id, f, _)| *id == route.source && same_format(f, &route.format));
            if !keep {
                if let Some(state) = conference.mixer.as_deref_mut() {
                    state.mixer.remove_relay(route.output);
                }
            }
            keep
        });
        for (source, format, listeners) in wanted {
            let existing = routes
                .iter_mut()
                .find(|r| r.source == source && same_format(&r.format, &format));
            if let Some(route) = existing {
                route.listeners = listeners;
                continue;
            }
            let Some(state) = conference.mixer.as_deref_mut() else {
                continue;
            };
            // A talker the mixer does not hear is not relayed.
            let Ok(output) = state.mixer.add_relay(source, format) else {
                continue;
            };
            routes.push(RelayRoute {
                source,
                format,
                output,
                ssrc: rng.next_ssrc(),
                stream: MixRtp {
                    next_seq: rng.next_ssrc() as u16,
                    timestamp_base: rng.next_ssrc(),
                },
                listeners,
            });
        }
        conference.relays = routes;
        let idle = conference
            .mixer
            .as_deref()
            .is_some_and(|state| state.listeners == 0);
        if idle && conference.relays.is_empty() {
            self.drop_mixer(conference_slot);
        }
    }
}

/// Sends each relay's packets of this tick to its listeners; returns how many left.
pub(super) fn send_relays(
    relays: &mut [RelayRoute],
    tick: &MixedTick<'_>,
    legs: &mut Slab<Leg>,
    leg_slots: &HashMap<LegId, u32>,
    mut keying: Option<&mut ConferenceKeying>,
    sender: &mut TickSender<'_>,
) -> u64 {
    let mut sent = 0;
    for route in relays {
        let Some(output) = tick.output(route.output) else {
            continue;
        };
        if output.packets().next().is_none() {
            continue;
        }
        let relayed = Relayed {
            source: route.source,
            ssrc: leg_slots
                .get(&route.source)
                .and_then(|&slot| legs.get(slot))
                .and_then(|leg| leg.mix_ssrc),
        };
        // Every plain and hop-by-hop listener gets the same packets: the stream moves on
        // once per tick.
        let mut next = route.stream;
        for &handle in &route.listeners {
            let Some(leg) = legs.get_handle_mut(handle) else {
                continue;
            };
            let Some(mix) = leg.mix.filter(|_| !leg.suppressed) else {
                continue;
            };
            sent += if !leg.crypto.is_end_to_end() {
                next = route.stream;
                sender.send_to(leg, output, mix.payload_type, route.ssrc, &mut next)
            } else if let Some(keying) = keying.as_deref_mut() {
                sender.send_sealed_once(leg, keying, output, mix.payload_type, Some(relayed))
            } else {
                0
            };
        }
        route.stream = next;
    }
    sent
}
