//! The control side's end of the cores' event channel: a thread that logs what the cores
//! report, keeps the registry's talker sets current, and tells the SIP server (once it
//! runs) about media timeouts, which end SIP calls.
//!
//! Active-speaker changes can come several times a second per conference, so they are
//! logged at debug level; latching, media timeouts and RTCP BYE are what an operator looks
//! for and are logged at info or warn.

use std::sync::PoisonError;
use std::thread::JoinHandle;

use medianode_dataplane::conference::CoreEvent;

use super::calls::{SipOrder, SipSlot};
use super::SharedRegistry;
use crate::runtime::NodeEvent;

/// Starts the thread; it ends when every core has dropped its end of `events`.
pub fn spawn(
    events: crossbeam_channel::Receiver<NodeEvent>,
    registry: SharedRegistry,
    sip: SipSlot,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("medianode-events".to_owned())
        .spawn(move || {
            for event in events.iter() {
                apply(&event, &registry);
                if let CoreEvent::MediaTimeout { leg, .. } = event.event {
                    if let Some(line) = sip.get() {
                        line.tell(SipOrder::MediaTimedOut(leg));
                    }
                }
            }
        })
}

/// Logs one event and records what the registry keeps of it.
pub fn apply(event: &NodeEvent, registry: &SharedRegistry) {
    let core = event.core;
    match &event.event {
        CoreEvent::ActiveSpeakers {
            conference,
            talkers,
        } => {
            tracing::debug!(
                core,
                conference = conference.0,
                talkers = ?talkers.iter().map(|l| l.0).collect::<Vec<_>>(),
                "active speakers"
            );
            registry
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .set_talkers(*conference, talkers.clone());
        }
        CoreEvent::LegLatched {
            conference,
            leg,
            remote,
        } => tracing::info!(
            core,
            conference = conference.0,
            leg = leg.0,
            %remote,
            "leg latched"
        ),
        CoreEvent::MediaTimeout { conference, leg } => tracing::warn!(
            core,
            conference = conference.0,
            leg = leg.0,
            "media timeout: no RTP on the leg"
        ),
        CoreEvent::MediaResumed { conference, leg } => tracing::info!(
            core,
            conference = conference.0,
            leg = leg.0,
            "media resumed"
        ),
        CoreEvent::RtcpBye {
            conference,
            leg,
            ssrc,
        } => tracing::info!(
            core,
            conference = conference.0,
            leg = leg.0,
            ssrc = ?ssrc,
            "RTCP BYE from the endpoint"
        ),
        other => tracing::debug!(core, event = ?other, "core event"),
    }
}
