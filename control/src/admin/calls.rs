//! `POST /v1/conferences/{id}/calls` with `{"to": "tel:+15550100"}`: the node calls a phone
//! number through the PSTN trunk into a conference, as a REFER naming it would (issue 6
//! item 5). The SIP thread owns the calls, so the HTTP thread hands it a [`CallOrder`]
//! over a channel, wakes its poller and waits (bounded) for the call's id: 202 once the
//! call is under way (its leg is being added, the INVITE follows), 404 for an unknown
//! conference or when no trunk is configured, 400 when `to` is not a phone number, 503
//! when SIP does not run.
//!
//! The same channel tells the SIP thread when this API removed a leg or a conference, so
//! a phone whose leg is gone is hung up (BYE to the trunk).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use medianode_dataplane::conference::{ConferenceId, LegId};
use mio::Waker;
use serde_json::json;

use super::error::ApiError;
use super::fields::{parse_body, Fields};
use super::{AdminApi, ApiResponse};

/// How long the HTTP thread waits for the SIP thread to take an order.
const ORDER_TIMEOUT: Duration = Duration::from_secs(2);

/// A call the admin API asks the SIP thread to place.
#[derive(Debug)]
pub struct CallOrder {
    /// The conference the phone joins.
    pub conference: ConferenceId,
    /// The called party (`tel:` or a SIP URI with a phone number).
    pub to: String,
    /// The call's id, or why there is none.
    pub reply: crossbeam_channel::Sender<Result<u64, ApiError>>,
}

/// What the admin API tells the SIP thread.
#[derive(Debug)]
#[non_exhaustive]
pub enum SipOrder {
    /// Place a call to a phone number.
    Call(CallOrder),
    /// A leg was removed through this API.
    LegRemoved(LegId),
    /// A conference was removed through this API, with its legs.
    ConferenceRemoved(ConferenceId),
    /// A core saw no media on a leg for its media timeout.
    MediaTimedOut(LegId),
}

/// The HTTP side's end of the channel to the SIP thread.
#[derive(Debug, Clone)]
pub struct SipLine {
    orders: crossbeam_channel::Sender<SipOrder>,
    waker: Arc<Waker>,
}

/// Where the SIP server puts its [`SipLine`] once it runs (it starts after HTTP).
pub type SipSlot = Arc<OnceLock<SipLine>>;

impl SipLine {
    /// A line over `orders`, waking the SIP thread's poller with `waker`.
    pub fn new(orders: crossbeam_channel::Sender<SipOrder>, waker: Arc<Waker>) -> SipLine {
        SipLine { orders, waker }
    }

    /// Places a call and waits for its id.
    pub fn place(&self, conference: ConferenceId, to: &str) -> Result<u64, ApiError> {
        let (reply, answer) = crossbeam_channel::bounded(1);
        let order = CallOrder {
            conference,
            to: to.to_owned(),
            reply,
        };
        let gone = || ApiError::unavailable("the SIP server is not running");
        self.orders
            .send_timeout(SipOrder::Call(order), ORDER_TIMEOUT)
            .map_err(|_| gone())?;
        self.waker.wake().map_err(|_| gone())?;
        answer.recv_timeout(ORDER_TIMEOUT).map_err(|_| {
            ApiError::unavailable(format!(
                "the SIP server did not take the call within {} ms",
                ORDER_TIMEOUT.as_millis()
            ))
        })?
    }

    /// Tells the SIP thread something without waiting; a full or closed channel drops it
    /// (the SIP thread is stuck or gone, and the removal itself has happened).
    pub fn tell(&self, order: SipOrder) {
        if self.orders.try_send(order).is_ok() {
            if let Err(error) = self.waker.wake() {
                tracing::warn!(%error, "cannot wake the SIP thread");
            }
        }
    }
}

impl AdminApi {
    /// Tells the SIP server, if it runs, about a removal made through this API.
    pub(super) fn tell_sip(&self, order: SipOrder) {
        if let Some(line) = self.sip.as_ref().and_then(|slot| slot.get()) {
            line.tell(order);
        }
    }

    pub(super) fn place_call(&self, text: &str, body: &[u8]) -> Result<ApiResponse, ApiError> {
        let (conference, _) = self.known_conference(text)?;
        let value = parse_body(body)?;
        let mut fields = Fields::of(&value, "body")?;
        let to = fields.required_string("to")?.to_owned();
        fields.finish()?;
        let line = self
            .sip
            .as_ref()
            .and_then(|slot| slot.get())
            .ok_or_else(|| ApiError::unavailable("the SIP server is not running"))?;
        let call = line.place(conference, &to)?;
        Ok(ApiResponse::json(
            202,
            json!({
                "call": call.to_string(),
                "conference": conference.0.to_string(),
                "to": to,
            }),
        ))
    }
}
