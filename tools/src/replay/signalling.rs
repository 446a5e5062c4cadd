//! How a run sets calls up: through the admin API (create a conference, add legs, delete
//! it), or through the node's SIP like a telephone would (the first participant INVITEs
//! the factory and follows the 302, the others INVITE the conference URI, each with an
//! SDP offer; BYE at the end). The run asks for the same three things either way.

use std::collections::HashMap;
use std::net::SocketAddr;

use medianode_dataplane::srtp::SdesKey;
use serde_json::{json, Value};

use super::admin_client::{AddedLeg, AdminClient, AdminError, CreatedConference};
use super::keys::random_u32;
use super::options::PolicyRequest;
use super::run::ReplayError;
use super::sip::client::SipClient;
use super::sip::sdp::{Answer, Offer};
use super::sip::uac::{CallIds, Dialog};
use super::sip::SipError;
use super::source::AudioCodec;

/// Where and as whom a replay calls the node's SIP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipTarget {
    /// The node's SIP address (UDP).
    pub server: SocketAddr,
    /// The SIP domain: the factory URI is `sip:<factory>@<domain>`.
    pub domain: String,
    /// The factory URI's user part.
    pub factory: String,
    /// The user the replay calls as.
    pub user: String,
    /// Its digest password, if the node asks for one.
    pub password: Option<String>,
}

/// How a participant's media is protected.
#[derive(Debug, Clone, Copy)]
pub enum LegProtection<'a> {
    /// Plain RTP.
    Plain,
    /// Hop-by-hop SRTP: the participant sends with this key.
    HopByHop(&'a SdesKey),
    /// End-to-end SRTP: the node forwards ciphertext (admin API only).
    EndToEnd,
}

/// One participant's leg as the run asks for it.
#[derive(Debug, Clone)]
pub struct LegSpec<'a> {
    /// Its codec.
    pub codec: AudioCodec,
    /// Its payload type.
    pub payload_type: u8,
    /// Where the node sends it media (the replay's socket).
    pub remote: SocketAddr,
    /// Its name on the node.
    pub participant: &'a str,
    /// Its SSRC.
    pub ssrc: u32,
    /// The audio level extension id announced, if any.
    pub audio_level_id: Option<u8>,
    /// Its protection.
    pub protection: LegProtection<'a>,
    /// Whether it receives the node's mix rather than forwarded packets.
    pub receive_mix: bool,
}

/// A SIP conference: its URI, the call the creator started, the calls made in it.
#[derive(Debug)]
struct SipConference {
    uri: String,
    creator: Option<(CallIds, u32)>,
    dialogs: Vec<Dialog>,
}

/// The node's SIP, with the admin API kept for reading each conference's policy.
#[derive(Debug)]
pub struct SipSignalling {
    client: SipClient,
    admin: AdminClient,
    factory_uri: String,
    conferences: HashMap<String, SipConference>,
}

/// A way of setting calls up.
#[derive(Debug)]
pub enum Signalling {
    /// The admin API.
    Admin(AdminClient),
    /// The node's SIP.
    Sip(Box<SipSignalling>),
}

impl From<SipError> for ReplayError {
    fn from(e: SipError) -> Self {
        ReplayError::Sip(e)
    }
}

/// The conference id in a conference URI `sip:conf-<id>@host...`.
fn conference_id(uri: &str) -> Option<String> {
    let rest = uri
        .strip_prefix("sip:")
        .or_else(|| uri.strip_prefix("sips:"))?;
    let user = rest.split('@').next()?;
    let id = user.strip_prefix("conf-")?;
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then(|| id.to_owned())
}

impl Signalling {
    /// Calls set up through `admin`, or through SIP at `sip` (reading policies from
    /// `admin`); the SIP socket binds to `bind_ip`.
    pub fn new(
        admin: AdminClient,
        sip: Option<&SipTarget>,
        bind_ip: std::net::IpAddr,
    ) -> Result<Signalling, ReplayError> {
        let Some(target) = sip else {
            return Ok(Signalling::Admin(admin));
        };
        let client = SipClient::new(
            target.server,
            bind_ip,
            &target.user,
            target.password.as_deref(),
            &target.domain,
        )?;
        Ok(Signalling::Sip(Box::new(SipSignalling {
            client,
            admin,
            factory_uri: format!("sip:{}@{}", target.factory, target.domain),
            conferences: HashMap::new(),
        })))
    }

    /// Creates a conference. Through SIP the node's own policy applies (`policy` is only
    /// for the admin API), and the factory call is continued by the first leg.
    pub fn create_conference(
        &mut self,
        policy: PolicyRequest,
    ) -> Result<CreatedConference, ReplayError> {
        match self {
            Signalling::Admin(admin) => {
                let (n, all) = match policy {
                    PolicyRequest::Loudest(n) => (n, false),
                    PolicyRequest::All => (3, true),
                };
                Ok(admin.create_conference(n, all)?)
            }
            Signalling::Sip(sip) => {
                let factory = sip.factory_uri.clone();
                let (ids, cseq, uri) = sip.client.redirect(&factory)?;
                let id = conference_id(&uri).ok_or_else(|| {
                    ReplayError::Sip(SipError::Unexpected(format!(
                        "the factory redirected to {uri}, not a conference URI"
                    )))
                })?;
                let policy = sip.admin.conference_policy(&id)?;
                sip.conferences.insert(
                    id.clone(),
                    SipConference {
                        uri,
                        creator: Some((ids, cseq)),
                        dialogs: Vec::new(),
                    },
                );
                Ok(CreatedConference { id, policy })
            }
        }
    }

    /// Adds a participant to `conference`.
    pub fn add_leg(
        &mut self,
        conference: &str,
        leg: &LegSpec<'_>,
    ) -> Result<AddedLeg, ReplayError> {
        match self {
            Signalling::Admin(admin) => {
                let mut body = json!({
                    "codec": leg.codec.api_name(),
                    "payload_type": leg.payload_type,
                    "remote": leg.remote.to_string(),
                    "participant": leg.participant,
                });
                if let Some(id) = leg.audio_level_id {
                    body["audio_level_id"] = Value::from(id);
                }
                if leg.receive_mix {
                    body["receive"] = Value::from("mix");
                }
                match leg.protection {
                    LegProtection::Plain => {}
                    LegProtection::HopByHop(key) => {
                        body["srtp"] = json!({
                            "suite": key.master_key.suite().sdes_name(),
                            "rx_key": key.to_string(),
                        });
                    }
                    LegProtection::EndToEnd => body["mode"] = Value::from("end_to_end"),
                }
                Ok(admin.add_leg(conference, &body)?)
            }
            Signalling::Sip(sip) => sip.join(conference, leg),
        }
    }

    /// Ends `conference`: deletes it, or leaves every call in it (the node ends a SIP
    /// conference when its last participant has left).
    pub fn end_conference(&mut self, conference: &str) -> Result<(), ReplayError> {
        match self {
            Signalling::Admin(admin) => Ok(admin.delete_conference(conference)?),
            Signalling::Sip(sip) => {
                let Some(mut entry) = sip.conferences.remove(conference) else {
                    return Ok(());
                };
                let mut first_error = None;
                for dialog in &mut entry.dialogs {
                    if let Err(e) = sip.client.bye(dialog) {
                        first_error.get_or_insert(e);
                    }
                }
                first_error.map_or(Ok(()), |e| Err(e.into()))
            }
        }
    }
}

impl SipSignalling {
    fn join(&mut self, conference: &str, leg: &LegSpec<'_>) -> Result<AddedLeg, ReplayError> {
        let entry = self.conferences.get_mut(conference).ok_or_else(|| {
            ReplayError::Options(format!("conference {conference} was not made through SIP"))
        })?;
        let key = match leg.protection {
            LegProtection::Plain => None,
            LegProtection::HopByHop(key) => Some(key),
            LegProtection::EndToEnd => {
                return Err(ReplayError::Options(
                    "--e2e is for the admin API: over SIP the replay sets up hop-by-hop legs"
                        .to_owned(),
                ))
            }
        };
        let session_id = random_u32()?;
        let offer = Offer {
            media: leg.remote,
            codec: leg.codec,
            payload_type: leg.payload_type,
            audio_level_id: leg.audio_level_id,
            key,
            ssrc: leg.ssrc,
            session_id: u64::from(session_id),
        }
        .to_sdp();
        let (ids, cseq) = entry
            .creator
            .take()
            .map_or((None, 1), |(ids, cseq)| (Some(ids), cseq));
        let (dialog, answer_text) = self.client.join(ids, cseq, &entry.uri, &offer)?;
        let call_id = dialog.ids().call_id.clone();
        entry.dialogs.push(dialog);
        let answer = Answer::parse(&answer_text)
            .map_err(|e| ReplayError::Sip(SipError::Unexpected(format!("{e}: {answer_text:?}"))))?;
        let tx_key = match (key, &answer.crypto) {
            (Some(_), Some(crypto)) => Some(
                crypto
                    .keys
                    .first()
                    .map(ToString::to_string)
                    .ok_or_else(|| AdminError::BadAnswer("an a=crypto without key".to_owned()))?,
            ),
            (Some(_), None) => {
                return Err(ReplayError::Sip(SipError::Unexpected(
                    "the answer to an RTP/SAVP offer has no a=crypto".to_owned(),
                )))
            }
            _ => None,
        };
        Ok(AddedLeg {
            id: call_id,
            local: answer.media,
            tx_key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conference_ids_come_from_conference_uris_only() {
        assert_eq!(
            conference_id("sip:conf-12@127.0.0.1:5060").as_deref(),
            Some("12")
        );
        assert_eq!(
            conference_id("sips:conf-3@node.example;transport=tls").as_deref(),
            Some("3")
        );
        assert_eq!(conference_id("sip:conference@node.example"), None);
        assert_eq!(conference_id("sip:conf-@x"), None);
        assert_eq!(conference_id("sip:conf-1a@x"), None);
    }
}
