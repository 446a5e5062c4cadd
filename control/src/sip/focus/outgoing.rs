//! The focus as a UAC: every request it sends itself (INVITEs to invitees and trunks,
//! MESSAGE copies, re-INVITEs with new keys, NOTIFYs, BYEs) goes out through
//! [`super::FocusOutput::Send`] under an [`OutgoingId`], with a note of what it was for
//! ([`Sent`]), so that the answer the shell reports back reaches the part of the focus
//! that asked.

use super::{Entropy, Focus};
use crate::sip::transaction::outgoing::{OutgoingId, OutgoingRequest, OutgoingResult};
use crate::sip::transaction::Peer;

/// What an outgoing request of the focus was for.
#[derive(Debug)]
pub(super) enum Sent {
    /// An INVITE to an invitee's contact.
    Invite(Box<super::invitation::InviteFork>),
    /// An INVITE to an invitee that made a call: its 2xx retransmissions get this ACK.
    Answered {
        /// Where the ACK goes.
        peer: Peer,
        /// The ACK, without Via.
        ack: Vec<u8>,
    },
    /// A copy of a text conference's MESSAGE.
    Copy {
        /// The fan-out it belongs to.
        delivery: super::text::DeliveryId,
        /// Who it went to.
        recipient: String,
    },
    /// A re-INVITE carrying a new conference key; its 2xx gets an ACK.
    Rekey {
        /// The participant's call.
        dialog: crate::sip::dialog::DialogId,
        /// The re-INVITE's CSeq.
        cseq: u32,
    },
    /// The INVITE of a call to a phone number, to the trunk.
    Trunk(super::trunk_call::TrunkCallId),
    /// A request whose answer changes nothing (NOTIFY, BYE).
    Notice,
}

impl Focus {
    fn next_outgoing(&mut self) -> OutgoingId {
        self.next_outgoing += 1;
        OutgoingId(self.next_outgoing)
    }

    /// Emits `request` (without Via) to `peer`, remembering what it was for.
    pub(super) fn send(&mut self, peer: Peer, request: Vec<u8>, sent: Sent) -> OutgoingId {
        let id = self.next_outgoing();
        self.sent.insert(id, sent);
        self.out
            .push_back(super::FocusOutput::Send(OutgoingRequest {
                id,
                peer,
                request,
                stateless: false,
            }));
        id
    }

    pub(super) fn send_ack(&mut self, peer: Peer, request: Vec<u8>) {
        let id = self.next_outgoing();
        self.out
            .push_back(super::FocusOutput::Send(OutgoingRequest {
                id,
                peer,
                request,
                stateless: true,
            }));
    }

    /// What became of a request the focus sent (through [`super::FocusOutput::Send`]).
    pub fn on_outgoing_result(
        &mut self,
        id: OutgoingId,
        result: OutgoingResult,
        entropy: &mut dyn Entropy,
    ) {
        let status = result.status();
        if status < 200 {
            if let (Some(&Sent::Trunk(call)), OutgoingResult::Response(response)) =
                (self.sent.get(&id), result)
            {
                // A trunk's provisional answer brings early media.
                self.trunk_early(id, call, response);
            }
            return;
        }
        if let OutgoingResult::Response(response) = result {
            if status < 300 {
                match self.sent.get(&id) {
                    Some(Sent::Invite(_)) => self.fork_answered(id, response, entropy),
                    Some(&Sent::Trunk(call)) => self.trunk_answered(id, call, response, entropy),
                    Some(Sent::Answered { peer, ack }) => {
                        // A retransmitted 2xx: the ACK went missing.
                        let (peer, ack) = (*peer, ack.clone());
                        self.send_ack(peer, ack);
                    }
                    Some(Sent::Copy { .. }) => {
                        if let Some(Sent::Copy {
                            delivery,
                            recipient,
                        }) = self.sent.remove(&id)
                        {
                            self.copy_answered(delivery, recipient, status);
                        }
                    }
                    Some(Sent::Rekey { .. }) => {
                        if let Some(Sent::Rekey { dialog, cseq }) = self.sent.remove(&id) {
                            self.rekey_answered(id, &dialog, cseq);
                        }
                    }
                    Some(Sent::Notice) => {
                        self.sent.remove(&id);
                    }
                    None => {}
                }
                return;
            }
        }
        match self.sent.remove(&id) {
            Some(Sent::Invite(fork)) => self.fork_failed(id, *fork, status, entropy),
            Some(Sent::Trunk(call)) => self.trunk_failed(id, call, status, entropy),
            Some(Sent::Copy {
                delivery,
                recipient,
            }) => self.copy_answered(delivery, recipient, status),
            Some(Sent::Rekey { .. }) => {
                tracing::warn!(status, "a participant refused the new conference key");
            }
            Some(Sent::Notice | Sent::Answered { .. }) => {
                tracing::debug!(status, "a request of the focus failed");
            }
            None => {}
        }
    }

    /// The client transaction of request `id` is over: nothing more will come for it, so
    /// what the focus kept to answer its retransmitted 2xx goes.
    pub fn on_outgoing_ended(&mut self, id: OutgoingId) {
        if matches!(
            self.sent.get(&id),
            Some(Sent::Answered { .. } | Sent::Notice)
        ) {
            self.sent.remove(&id);
        }
    }
}
