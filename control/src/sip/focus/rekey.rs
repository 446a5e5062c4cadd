//! Re-keying an end-to-end conference (issue 5 items 3 and 6): the owner asks, the focus
//! draws a new conference key and, for every participant, a new SSRC claimed under it,
//! and re-INVITEs each participant with an offer carrying them (`a=crypto` with the new
//! key, `a=ssrc` with its SSRC) at the leg's unchanged media address. The core forwards
//! end-to-end ciphertext untouched, so no leg changes; only the participants switch keys,
//! and the core's mixer, which gets the new key with the mixer's SSRCs claimed again
//! under it. A participant refusing the offer keeps the old key and hears nothing more.

use std::fmt::Write;

use medianode_dataplane::conference::ConferenceId;

use super::call::NegotiatedMedia;
use super::conference::{EndToEndKey, Keying};
use super::outgoing::Sent;
use super::{Entropy, Focus, MediaWork, Pending};
use crate::sip::dialog::DialogId;
use crate::sip::sdp::AUDIO_LEVEL_URN;
use crate::sip::Method;

/// The focus's offer of the new key to one participant.
fn rekey_offer(media: &NegotiatedMedia, suite: &str, key: &str, ssrc: u32) -> String {
    let address = match media.local.ip() {
        std::net::IpAddr::V4(v4) => format!("IN IP4 {v4}"),
        std::net::IpAddr::V6(v6) => format!("IN IP6 {v6}"),
    };
    let audio = &media.audio;
    let codec = audio.codec;
    let port = media.local.port();
    let mut sdp = String::with_capacity(512);
    // Writing to a String cannot fail.
    let _ = write!(
        sdp,
        "v=0\r\no=medianode {} {} {address}\r\ns=medianode\r\nc={address}\r\nt=0 0\r\n\
         m=audio {port} RTP/SAVP {}",
        media.session_id, media.session_version, audio.payload_type
    );
    if let Some(te) = audio.telephone_event {
        let _ = write!(sdp, " {te}");
    }
    let _ = write!(
        sdp,
        "\r\na=rtpmap:{} {}/{}",
        audio.payload_type,
        codec.encoding(),
        codec.clock_rate()
    );
    if let Some(channels) = codec.channels() {
        let _ = write!(sdp, "/{channels}");
    }
    sdp.push_str("\r\n");
    if let Some(te) = audio.telephone_event {
        let _ = write!(
            sdp,
            "a=rtpmap:{te} telephone-event/{}\r\na=fmtp:{te} 0-16\r\n",
            codec.clock_rate()
        );
    }
    if let Some(ptime) = audio.ptime {
        let _ = write!(sdp, "a=ptime:{ptime}\r\n");
    }
    let _ = write!(sdp, "a=sendrecv\r\na=rtcp:{port}\r\n");
    if let Some(id) = audio.audio_level_id {
        let _ = write!(sdp, "a=extmap:{id} {AUDIO_LEVEL_URN}\r\n");
    }
    let _ = write!(
        sdp,
        "a=crypto:1 {suite} {key}\r\na=ssrc:{ssrc} cname:medianode\r\n"
    );
    sdp
}

impl Focus {
    /// Gives end-to-end conference `id` a new key and sends it to every participant.
    pub(super) fn rekey(
        &mut self,
        id: ConferenceId,
        entropy: &mut dyn Entropy,
    ) -> Result<(), String> {
        let suite = self.config.conference_suite;
        let end_to_end = self.conferences.get(&id).is_some_and(|c| c.is_end_to_end());
        if !end_to_end {
            return Err(
                "rekey applies to end-to-end rooms (hop-by-hop legs key themselves)".to_owned(),
            );
        }
        let mut key = match self.conferences.get(&id).map(|c| &c.keying) {
            Some(Keying::EndToEnd(old)) => old.successor(entropy),
            _ => EndToEndKey::generate(suite, entropy),
        }
        .ok_or_else(|| "no key could be drawn".to_owned())?;
        let mixer_key = key
            .mixer_key(entropy)
            .ok_or_else(|| "no SSRC for the mixer under the new key".to_owned())?;
        let key_text = key.sdes_key().to_string();
        let suite_name = key.sdes_key().master_key.suite().to_string();
        let dialogs: Vec<DialogId> = self
            .calls
            .iter()
            .filter(|(_, call)| call.conference == id)
            .map(|(dialog, _)| dialog.clone())
            .collect();
        let mut offers = Vec::new();
        for dialog in dialogs {
            let Some(ssrc) = key.claim_ssrc(entropy) else {
                return Err("no free SSRC under the new key".to_owned());
            };
            let Some(call) = self.calls.get_mut(&dialog) else {
                continue;
            };
            call.media.session_version += 1;
            let offer = rekey_offer(&call.media, &suite_name, &key_text, ssrc);
            let mut bytes = Vec::new();
            call.dialog
                .write_request_without_via(Method::Invite, &mut bytes)
                .finish_with("application/sdp", offer.as_bytes());
            let cseq = call.dialog.local_seq();
            offers.push((call.peer, bytes, dialog, cseq));
        }
        if let Some(conference) = self.conferences.get_mut(&id) {
            conference.keying = Keying::EndToEnd(Box::new(key));
        }
        self.start_job(
            MediaWork::SetMixerKey {
                conference: id,
                key: Box::new(mixer_key),
            },
            Pending::Cleanup,
        );
        tracing::info!(
            conference = id.0,
            participants = offers.len(),
            "conference re-keyed; re-INVITEs sent"
        );
        for (peer, bytes, dialog, cseq) in offers {
            self.send(peer, bytes, Sent::Rekey { dialog, cseq });
        }
        Ok(())
    }

    /// A participant's answer to a re-keying re-INVITE: a 2xx is acknowledged.
    pub(super) fn rekey_answered(&mut self, id: super::OutgoingId, dialog: &DialogId, cseq: u32) {
        let Some(call) = self.calls.get(dialog) else {
            return;
        };
        let mut ack = Vec::new();
        call.dialog
            .write_ack_without_via(cseq, &mut ack)
            .finish(b"");
        let peer = call.peer;
        self.send_ack(peer, ack.clone());
        self.sent.insert(id, Sent::Answered { peer, ack });
    }
}
