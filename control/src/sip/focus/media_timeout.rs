//! A call whose endpoint stopped sending media ends: a phone that crashed or lost its
//! network never sends BYE, and without this its leg and its place in the conference would
//! stay until the conference ends. The media core reports the silence (no RTP for
//! `media.media_timeout_ms`); the focus then ends the call as if the endpoint had left and
//! tells the endpoint with a BYE, in case it is still there but cannot send.

use medianode_dataplane::conference::LegId;

use super::outgoing::Sent;
use super::{Focus, MediaWork, Pending};
use crate::sip::Method;

impl Focus {
    /// The core saw no media on `leg` for its media timeout: the SIP call or trunk call
    /// on it ends (BYE, the leg removed, the conference left). A leg no call owns (one
    /// made through the admin API) is left to its owner.
    pub fn on_media_timeout(&mut self, leg: LegId) {
        if self.trunk_call_on(leg) {
            tracing::warn!(
                leg = leg.0,
                "no media from the phone: hanging up the trunk call"
            );
            // Ends the trunk call with BYE and removes its leg.
            self.hang_up_trunk_leg(leg);
            return;
        }
        let dialog = self
            .calls
            .iter()
            .find(|(_, call)| call.leg == Some(leg))
            .map(|(id, _)| id.clone());
        let Some(mut call) = dialog.and_then(|id| self.calls.remove(&id)) else {
            return;
        };
        tracing::warn!(
            conference = call.conference.0,
            user = call.user.as_str(),
            leg = leg.0,
            "no media from the participant: ending its call"
        );
        let mut bye = Vec::new();
        call.dialog
            .write_request_without_via(Method::Bye, &mut bye)
            .finish(b"");
        self.send(call.peer, bye, Sent::Notice);
        self.start_job(MediaWork::RemoveLeg { leg }, Pending::Cleanup);
        self.leave_conference(call.conference);
    }
}
