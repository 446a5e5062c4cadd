//! One participant's call: its dialog, its leg (none while on hold) and the media it
//! negotiated, from which every answer in the dialog is written.

use std::net::SocketAddr;

use medianode_dataplane::conference::{ConferenceId, LegId, Receive};
use medianode_dataplane::srtp::{MasterKey, SdesKey, SrtpSuite};

use super::conference::{FocusConference, Keying};
use super::Entropy;
use crate::admin::leg_request::{LegMedia, LegRequest};
use crate::admin::HopByHopKeys;
use crate::config::SipReceive;
use crate::sip::dialog::Dialog;
use crate::sip::sdp::{
    write_answer, AnswerCrypto, AnswerMedia, AudioOffer, Direction, SessionDescription,
};
use crate::sip::transaction::{Peer, ServerTxId};

/// A participant in a conference.
#[derive(Debug)]
pub struct Call {
    /// Its conference.
    pub conference: ConferenceId,
    /// The authenticated user.
    pub user: String,
    /// The dialog.
    pub dialog: Dialog,
    /// The INVITE transaction that created it (its 2xx may go unacknowledged); `None`
    /// for an invitee the focus called.
    pub invite_tx: Option<ServerTxId>,
    /// Its leg on the conference's core; `None` while on hold.
    pub leg: Option<LegId>,
    /// What the current answer says.
    pub media: NegotiatedMedia,
    /// The node's Contact in this dialog.
    pub contact: String,
    /// A re-INVITE is being worked on (another gets 491).
    pub busy: bool,
    /// The flow the participant's requests came over, where the focus's requests go.
    pub peer: Peer,
}

/// The media of the current offer/answer exchange.
#[derive(Debug, Clone)]
pub struct NegotiatedMedia {
    /// The offer's audio stream.
    pub audio: AudioOffer,
    /// The node's media address in the answer (kept on hold).
    pub local: SocketAddr,
    /// The key the node sends with on a hop-by-hop RTP/SAVP leg.
    pub tx_key: Option<SdesKey>,
    /// `o=` session id.
    pub session_id: u64,
    /// `o=` session version.
    pub session_version: u64,
}

/// The answer's direction: nothing flows on hold; a listen-only endpoint gets media.
pub fn answer_direction(audio: &AudioOffer) -> Direction {
    if audio.is_hold() {
        Direction::Inactive
    } else if audio.direction == Direction::RecvOnly {
        Direction::SendOnly
    } else {
        Direction::SendRecv
    }
}

/// Whether two offers ask for the same leg (so a re-INVITE changes nothing on the core).
pub fn same_leg(a: &AudioOffer, b: &AudioOffer) -> bool {
    let key = |o: &AudioOffer| {
        o.crypto.as_ref().and_then(|c| {
            c.keys.first().map(|k| {
                (
                    c.suite,
                    k.master_key.key_bytes().to_vec(),
                    k.master_key.salt_bytes().to_vec(),
                )
            })
        })
    };
    a.remote == b.remote
        && a.codec == b.codec
        && a.payload_type == b.payload_type
        && a.telephone_event == b.telephone_event
        && a.audio_level_id == b.audio_level_id
        && a.is_hold() == b.is_hold()
        && key(a) == key(b)
}

/// A fresh SDES key of `suite` for the node's sending direction.
pub fn fresh_sdes_key(suite: SrtpSuite, entropy: &mut dyn Entropy) -> Option<SdesKey> {
    let mut material = zeroize::Zeroizing::new(vec![0u8; suite.key_salt_len()]);
    entropy.fill(&mut material);
    MasterKey::from_key_salt(suite, &material)
        .ok()
        .map(SdesKey::new)
}

/// The leg `audio` asks for in `conference` (not on hold), with the node's key `tx_key`
/// for a hop-by-hop RTP/SAVP stream.
pub fn leg_request(
    audio: &AudioOffer,
    conference: &FocusConference,
    tx_key: Option<&SdesKey>,
    participant: Option<&str>,
    receive: SipReceive,
) -> Result<LegRequest, String> {
    let media = match (&conference.keying, &audio.crypto, tx_key) {
        (Keying::EndToEnd(_), _, _) => LegMedia::EndToEnd,
        (Keying::HopByHop, Some(rx), Some(tx)) => {
            LegMedia::HopByHop(Box::new(HopByHopKeys::from_sdes(rx, tx.clone())?))
        }
        (Keying::HopByHop, Some(_), None) => return Err("no key for the node".to_owned()),
        (Keying::HopByHop, None, _) => LegMedia::Plain,
    };
    let field = |(field, problem): (&str, String)| format!("{field}: {problem}");
    let mut request = LegRequest::new(
        audio.codec.encoding(),
        Some(audio.payload_type),
        audio.telephone_event,
        media,
    )
    .map_err(field)?;
    if let Some(remote) = audio.remote {
        request = request.with_remote(remote);
    }
    if let Some(id) = audio.audio_level_id {
        request = request.with_audio_level(id).map_err(field)?;
    }
    if let Some(name) = participant {
        request = request.with_participant(name).map_err(field)?;
    }
    Ok(request.with_receive(receive_for(receive, audio)))
}

/// Gives a leg of an end-to-end conference that receives the mix the SSRC of its
/// mix-minus, claimed under the conference key (a new one for every new leg: SRTP must
/// never protect two streams under one SSRC and key).
pub fn with_mix_ssrc(
    request: LegRequest,
    conference: &mut FocusConference,
    entropy: &mut dyn Entropy,
) -> Result<LegRequest, String> {
    match &mut conference.keying {
        Keying::EndToEnd(key) if request.receive == Receive::Mix => key
            .claim_mix_minus(entropy)
            .map(|ssrc| request.with_mix_ssrc(ssrc))
            .ok_or_else(|| "no free SSRC for the mix under the conference key".to_owned()),
        _ => Ok(request),
    }
}

/// What a SIP leg receives under the operator's `sip.receive`: see [`SipReceive`]. In an
/// end-to-end conference the same holds: the focus hands the conference key to the
/// node's mixer.
pub fn receive_for(policy: SipReceive, audio: &AudioOffer) -> Receive {
    match policy {
        SipReceive::Mix => Receive::Mix,
        SipReceive::Streams => Receive::Streams,
        _ if audio.proto.ends_with("AVPF") => Receive::Streams,
        _ => Receive::Mix,
    }
}

impl NegotiatedMedia {
    /// The SDP answer to `offer` for this media; `conference_key` is the end-to-end key
    /// text, if the conference has one.
    pub fn answer(&self, offer: &SessionDescription, conference_key: Option<&SdesKey>) -> String {
        let key_text;
        let crypto = match (&self.audio.crypto, conference_key, &self.tx_key) {
            (Some(offered), Some(key), _) => {
                key_text = key.to_string();
                Some(AnswerCrypto {
                    tag: offered.tag,
                    suite: offered.suite,
                    key: &key_text,
                })
            }
            (Some(offered), None, Some(tx)) => {
                key_text = tx.to_string();
                Some(AnswerCrypto {
                    tag: offered.tag,
                    suite: offered.suite,
                    key: &key_text,
                })
            }
            _ => None,
        };
        write_answer(
            offer,
            &self.audio,
            &AnswerMedia {
                local: self.local,
                direction: answer_direction(&self.audio),
                crypto,
                session_id: self.session_id,
                session_version: self.session_version,
            },
        )
    }
}
