//! The trunk's SDP answers: the early one of a `183 Session Progress` (or a `180`) and the
//! final one of the 2xx.
//!
//! A telco's network plays ringback and announcements before the called phone answers,
//! and the caller side expects to hear them: so an answer in a provisional response is
//! applied to the gateway leg at once (remote address, law, key), as the 2xx's would be,
//! and media flows while the call still rings. The node does not ask for reliable
//! provisional responses (no 100rel): the 2xx then confirms the early answer, changing
//! the leg again only if its answer differs. A provisional response without SDP changes
//! nothing; a failure after early media ends the call like any failure (the leg goes).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;

use super::super::join::read_offer;
use super::super::outgoing::Sent;
use super::super::{Entropy, Focus, MediaOutcome, MediaWork, Pending};
use super::{trunk_request, TrunkCall, TrunkCallId, TrunkJob, TrunkState};
use crate::admin::leg_request::{LegMedia, LegRequest};
use crate::admin::HopByHopKeys;
use crate::sip::dialog::Dialog;
use crate::sip::pstn::G711Law;
use crate::sip::sdp::{AudioCodec, AudioOffer};
use crate::sip::transaction::outgoing::OutgoingId;
use crate::sip::Message;

/// What the leg takes from one answer of the trunk, to tell whether a later answer
/// changes anything. The trunk's key is kept as a digest only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TrunkAnswer {
    law: G711Law,
    telephone_event: Option<u8>,
    remote: SocketAddr,
    key_digest: Option<u64>,
}

/// The early answer of a call that still rings.
#[derive(Debug, Clone, Copy)]
pub(super) struct EarlyMedia {
    answer: TrunkAnswer,
    /// Whether the leg has taken it (its change job succeeded).
    taken: bool,
}

/// What a response's body offers the leg.
enum AnswerBody {
    /// No SDP at all.
    Missing,
    /// SDP the gateway leg cannot use (not G.711, on hold, SRTP where the trunk is plain
    /// or the other way round).
    Unusable,
    /// An answer, and the leg change that applies it.
    Usable(TrunkAnswer, Box<LegRequest>),
}

/// Reads the trunk's answer in `response` for `call`.
fn read_answer<T: AsRef<[u8]>>(response: &Message<T>, call: &TrunkCall) -> AnswerBody {
    let (tx_key, number) = (call.tx_key.as_ref(), &call.number);
    if response.body().is_empty() {
        return AnswerBody::Missing;
    }
    let Some(audio) = read_offer(response)
        .ok()
        .and_then(|sdp| AudioOffer::read(&sdp, None).ok())
    else {
        return AnswerBody::Unusable;
    };
    let law = match audio.codec {
        AudioCodec::Pcma => G711Law::ALaw,
        AudioCodec::Pcmu => G711Law::MuLaw,
        AudioCodec::Opus => return AnswerBody::Unusable,
    };
    let Some(remote) = audio.remote else {
        return AnswerBody::Unusable;
    };
    if audio.is_hold() || audio.crypto.is_some() != tx_key.is_some() {
        return AnswerBody::Unusable;
    }
    let (media, key_digest) = match (&audio.crypto, tx_key) {
        (Some(rx), Some(tx)) => match HopByHopKeys::from_sdes(rx, tx.clone()) {
            Ok(keys) => {
                let mut digest = DefaultHasher::new();
                rx.to_string().hash(&mut digest);
                (LegMedia::HopByHop(Box::new(keys)), Some(digest.finish()))
            }
            Err(_) => return AnswerBody::Unusable,
        },
        _ => (LegMedia::Plain, None),
    };
    let Ok(request) = trunk_request(law, audio.telephone_event, media, number, call.mix_ssrc)
    else {
        return AnswerBody::Unusable;
    };
    let answer = TrunkAnswer {
        law,
        telephone_event: audio.telephone_event,
        remote,
        key_digest,
    };
    AnswerBody::Usable(answer, Box::new(request.with_remote(remote)))
}

impl Focus {
    /// A provisional response of the trunk: with SDP, its answer is applied to the leg
    /// at once (early media); without, nothing changes.
    pub(in crate::sip::focus) fn trunk_early(
        &mut self,
        invite: OutgoingId,
        call_id: TrunkCallId,
        response: Message<Vec<u8>>,
    ) {
        if self.trunk.cancelled.contains_key(&invite) {
            return;
        }
        let Some(call) = self.trunk.calls.get_mut(&call_id) else {
            return;
        };
        if !matches!(call.state, TrunkState::Calling { .. }) {
            return;
        }
        let (answer, request) = match read_answer(&response, call) {
            AnswerBody::Missing => return,
            AnswerBody::Unusable => {
                tracing::info!(
                    number = call.number.as_str(),
                    "the trunk's early answer is not usable G.711; waiting for its answer"
                );
                return;
            }
            AnswerBody::Usable(answer, request) => (answer, request),
        };
        let Some(leg) = call.leg else {
            return;
        };
        if call.early.is_some_and(|early| early.answer == answer) {
            return;
        }
        tracing::info!(
            number = call.number.as_str(),
            remote = %answer.remote,
            "early media from the trunk"
        );
        call.early = Some(EarlyMedia {
            answer,
            taken: false,
        });
        self.start_job(
            MediaWork::ChangeLeg { leg, request },
            Pending::Trunk(TrunkJob::Early(call_id)),
        );
    }

    /// The leg of call `id` took (or could not take) the trunk's early answer.
    pub(super) fn trunk_early_done(&mut self, id: TrunkCallId, outcome: MediaOutcome) {
        let Some(call) = self.trunk.calls.get_mut(&id) else {
            return;
        };
        match outcome {
            MediaOutcome::Added(_) => {
                if let Some(early) = &mut call.early {
                    early.taken = true;
                }
            }
            other => {
                tracing::warn!(?other, "the trunk's early answer could not be applied");
                // The 2xx's answer is applied in full.
                call.early = None;
            }
        }
    }

    /// The trunk's 2xx: ACK it, and let the leg take the answer unless it took the same
    /// one early.
    pub(in crate::sip::focus) fn trunk_answered(
        &mut self,
        invite: OutgoingId,
        call_id: TrunkCallId,
        response: Message<Vec<u8>>,
        entropy: &mut dyn Entropy,
    ) {
        let Some(peer) = self.trunk_peer() else {
            return;
        };
        if let Some(request) = self.trunk.cancelled.remove(&invite) {
            // The trunk answered as the call was being cancelled: ACK, then BYE.
            if let Ok(dialog) = Dialog::as_uac(request.as_ref(), &response) {
                let mut ack = Vec::new();
                dialog
                    .write_ack_without_via(request.cseq().number, &mut ack)
                    .finish(b"");
                self.send_ack(peer, ack.clone());
                self.sent.insert(invite, Sent::Answered { peer, ack });
                let mut bye = Vec::new();
                let mut dialog = dialog;
                dialog
                    .write_request_without_via(crate::sip::Method::Bye, &mut bye)
                    .finish(b"");
                self.send(peer, bye, Sent::Notice);
            }
            return;
        }
        let Some(call) = self.trunk.calls.get(&call_id) else {
            return;
        };
        let TrunkState::Calling { request, .. } = &call.state else {
            return;
        };
        let Ok(dialog) = Dialog::as_uac(request.as_ref(), &response) else {
            return;
        };
        let cseq = request.cseq().number;
        let deadline = call.deadline;
        let mut ack = Vec::new();
        dialog.write_ack_without_via(cseq, &mut ack).finish(b"");
        self.send_ack(peer, ack.clone());
        // Retransmissions of the 2xx get the same ACK.
        self.sent.insert(invite, Sent::Answered { peer, ack });
        self.trunk.deadlines.remove(&(deadline, call_id));
        let Some(call) = self.trunk.calls.get_mut(&call_id) else {
            return;
        };
        let taken_early = call.early.filter(|early| early.taken).map(|e| e.answer);
        let change = match read_answer(&response, call) {
            // A 2xx confirming the early answer (or, against RFC 3261, without one).
            AnswerBody::Usable(answer, _) if Some(answer) == taken_early => None,
            AnswerBody::Missing if taken_early.is_some() => None,
            AnswerBody::Usable(_, request) => Some(Some(request)),
            AnswerBody::Missing | AnswerBody::Unusable => Some(None),
        };
        let dialog = Box::new(dialog);
        match (change, call.leg) {
            (None, Some(_)) => {
                call.state = TrunkState::Up { dialog };
                tracing::info!(
                    number = call.number.as_str(),
                    "the phone joined (as its early media)"
                );
                if let Some(invitation) = call.invitation.take() {
                    self.finish_invitation(invitation, 200, entropy);
                }
            }
            (Some(Some(request)), Some(leg)) => {
                call.state = TrunkState::Answering { dialog };
                self.start_job(
                    MediaWork::ChangeLeg { leg, request },
                    Pending::Trunk(TrunkJob::Changed(call_id)),
                );
            }
            _ => {
                tracing::info!(
                    number = call.number.as_str(),
                    "the trunk's answer is not usable G.711; hanging up"
                );
                call.state = TrunkState::Up { dialog };
                self.end_trunk_call(call_id, 488, entropy);
            }
        }
    }
}
