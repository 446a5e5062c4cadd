//! `POST /v1/conferences/{id}/legs`: the request body, checked field by field, turned into
//! the [`LegConfig`] a core adds.
//!
//! A leg's media mode follows from `mode` and `srtp`:
//! - `plain` (the default without `srtp`): RTP in clear;
//! - `hop_by_hop` (the default with `srtp`): the endpoint sends under `srtp.rx_key`, the
//!   node decrypts, selects, and re-encrypts under `srtp.tx_key` (generated if absent);
//! - `end_to_end`: the endpoint sends under the conference key, so there is no `srtp`
//!   object; the node forwards ciphertext to the other end-to-end legs and selects on the
//!   clear RFC 6464 header extension.
//!
//! `receive` says what the leg gets: `streams` (the default), the selected talkers'
//! packets as they arrived; or `mix`, one stream mixed by the node, for endpoints that
//! take one. An `end_to_end` leg receives the mix only in a conference the SIP focus made
//! end-to-end: the focus holds that key and hands it to the node's mixer; this API has no
//! way to hand over a key, so it refuses `end_to_end` with `mix`.

use std::net::SocketAddr;

use medianode_dataplane::conference::{Codec, LegConfig, MediaMode, PayloadTypes, Receive};

use super::error::ApiError;
use super::fields::Fields;
use super::srtp_keys::HopByHopKeys;

/// Longest participant id accepted.
const MAX_PARTICIPANT_LEN: usize = 64;

/// A leg's protection as requested.
#[derive(Debug)]
pub enum LegMedia {
    /// RTP in clear.
    Plain,
    /// SRTP terminated at the node, with keys per direction.
    HopByHop(Box<HopByHopKeys>),
    /// SRTP under the conference key, forwarded untouched.
    EndToEnd,
}

impl LegMedia {
    /// The mode's name in the API.
    pub fn name(&self) -> &'static str {
        match self {
            LegMedia::Plain => "plain",
            LegMedia::HopByHop(_) => "hop_by_hop",
            LegMedia::EndToEnd => "end_to_end",
        }
    }
}

/// A checked leg request.
#[derive(Debug)]
pub struct LegRequest {
    /// The audio codec's name as the API spells it.
    pub codec_name: &'static str,
    /// The audio payload type.
    pub payload_type: u8,
    /// The RFC 4733 telephone-event payload type, if any.
    pub telephone_event: Option<u8>,
    /// Where media goes; `None` latches.
    pub remote: Option<SocketAddr>,
    /// The RFC 6464 extension id, if negotiated.
    pub audio_level_id: Option<u8>,
    /// Protection.
    pub media: LegMedia,
    /// The user the leg belongs to, for focus.
    pub participant: Option<String>,
    /// Forwarded streams or the mix.
    pub receive: Receive,
    /// An end-to-end leg's mix-minus SSRC under the conference key (SIP focus only).
    pub mix_ssrc: Option<u32>,
    payload_types: PayloadTypes,
}

/// The API's name of what a leg receives.
pub fn receive_name(receive: Receive) -> &'static str {
    match receive {
        Receive::Mix => "mix",
        Receive::Streams => "streams",
    }
}

impl LegRequest {
    /// Reads and checks a leg request body.
    pub fn from_json(body: &serde_json::Value) -> Result<LegRequest, ApiError> {
        let mut fields = Fields::of(body, "body")?;
        let codec_text = fields.required_string("codec")?;
        let payload_type = fields.integer("payload_type", 0..=127)?.map(|pt| pt as u8);
        let telephone_event = fields
            .integer("telephone_event", 0..=127)?
            .map(|pt| pt as u8);
        let (codec_name, payload_type, payload_types) =
            payload_types_for(codec_text, payload_type, telephone_event)
                .map_err(|(field, problem)| fields.error(field, problem))?;
        let remote = match fields.string("remote")? {
            None => None,
            Some(text) => Some(parse_remote(text).map_err(|p| fields.error("remote", p))?),
        };
        let audio_level_id = fields
            .integer("audio_level_id", 1..=255)?
            .map(|id| id as u8);
        let srtp = fields.object("srtp")?;
        let mode = fields.string("mode")?;
        let media = match (mode, srtp) {
            (None | Some("hop_by_hop"), Some(srtp)) => {
                LegMedia::HopByHop(Box::new(HopByHopKeys::from_fields(srtp)?))
            }
            (Some("hop_by_hop"), None) => {
                return Err(fields.error("srtp", "is required for a hop_by_hop leg"))
            }
            (None | Some("plain"), None) => LegMedia::Plain,
            (Some("plain"), Some(_)) => {
                return Err(fields.error(
                    "mode",
                    "a plain leg has no srtp; use hop_by_hop, or omit srtp",
                ))
            }
            (Some("end_to_end"), None) => LegMedia::EndToEnd,
            (Some("end_to_end"), Some(_)) => {
                return Err(fields.error(
                    "srtp",
                    "an end_to_end leg is keyed with the conference key, which the node never \
                     holds; omit srtp",
                ))
            }
            (Some(other), _) => {
                return Err(fields.error(
                    "mode",
                    format!("unknown mode {other:?} (expected plain, hop_by_hop or end_to_end)"),
                ))
            }
        };
        let participant = match fields.value("participant") {
            None => None,
            Some(value) => Some(
                participant_id(value).map_err(|problem| fields.error("participant", problem))?,
            ),
        };
        let receive = match fields.value("receive") {
            None => Receive::Streams,
            Some(value) => match value.as_str() {
                Some("streams") => Receive::Streams,
                Some("mix") => Receive::Mix,
                _ => {
                    return Err(fields.error("receive", "must be \"mix\" or \"streams\""));
                }
            },
        };
        if receive == Receive::Mix && matches!(media, LegMedia::EndToEnd) {
            return Err(fields.error(
                "receive",
                "an end_to_end leg receives the mix only in a conference the SIP focus made \
                 end-to-end (the node holds no key for this API's conferences)",
            ));
        }
        fields.finish()?;
        Ok(LegRequest {
            codec_name,
            payload_type,
            telephone_event,
            remote,
            audio_level_id,
            media,
            participant,
            receive,
            mix_ssrc: None,
            payload_types,
        })
    }

    /// A leg request built by the node itself (the SIP focus) rather than read from JSON:
    /// the same checks as [`LegRequest::from_json`]; an error names the field at fault.
    pub fn new(
        codec: &str,
        payload_type: Option<u8>,
        telephone_event: Option<u8>,
        media: LegMedia,
    ) -> Result<LegRequest, (&'static str, String)> {
        let (codec_name, payload_type, payload_types) =
            payload_types_for(codec, payload_type, telephone_event)?;
        Ok(LegRequest {
            codec_name,
            payload_type,
            telephone_event,
            remote: None,
            audio_level_id: None,
            media,
            participant: None,
            receive: Receive::Streams,
            mix_ssrc: None,
            payload_types,
        })
    }

    /// Receiving the mix or the streams.
    pub fn with_receive(mut self, receive: Receive) -> LegRequest {
        self.receive = receive;
        self
    }

    /// An end-to-end leg's mix-minus SSRC, claimed under the conference key by the focus.
    pub fn with_mix_ssrc(mut self, ssrc: u32) -> LegRequest {
        self.mix_ssrc = Some(ssrc);
        self
    }

    /// With a known remote address (otherwise the leg latches).
    pub fn with_remote(mut self, remote: SocketAddr) -> LegRequest {
        self.remote = Some(remote);
        self
    }

    /// With the RFC 6464 audio level extension under `id` (1 to 255).
    pub fn with_audio_level(mut self, id: u8) -> Result<LegRequest, (&'static str, String)> {
        if id == 0 {
            return Err(("audio_level_id", "must be 1 to 255".to_owned()));
        }
        self.audio_level_id = Some(id);
        Ok(self)
    }

    /// Belonging to participant `name` (checked like the JSON field).
    pub fn with_participant(mut self, name: &str) -> Result<LegRequest, (&'static str, String)> {
        check_participant(name).map_err(|problem| ("participant", problem))?;
        self.participant = Some(name.to_owned());
        Ok(self)
    }

    /// The leg's configuration for its core; the core fills in the local port.
    pub fn leg_config(&self) -> LegConfig {
        let media = match &self.media {
            LegMedia::Plain => MediaMode::Plain,
            LegMedia::HopByHop(keys) => keys.media_mode(),
            LegMedia::EndToEnd => MediaMode::SrtpEndToEnd,
        };
        let mut config = LegConfig::new(0, self.payload_types)
            .with_media(media)
            .with_receive(self.receive);
        if let Some(remote) = self.remote {
            config = config.with_remote(remote);
        }
        if let Some(id) = self.audio_level_id {
            config = config.with_audio_level(id);
        }
        if let Some(ssrc) = self.mix_ssrc {
            config = config.with_mix_ssrc(ssrc);
        }
        config
    }
}

/// The codec's API name, the audio payload type (the codec's default if `None`) and the
/// payload type table with the optional telephone-event type; an error names the field.
fn payload_types_for(
    codec_text: &str,
    payload_type: Option<u8>,
    telephone_event: Option<u8>,
) -> Result<(&'static str, u8, PayloadTypes), (&'static str, String)> {
    let (codec_name, codec, default_pt) = codec_by_name(codec_text).ok_or_else(|| {
        (
            "codec",
            format!("unknown codec {codec_text:?} (expected PCMU, PCMA or opus)"),
        )
    })?;
    let payload_type = payload_type.unwrap_or(default_pt);
    let payload_types =
        PayloadTypes::single(payload_type, codec).map_err(|e| ("payload_type", e.to_string()))?;
    let payload_types = match telephone_event {
        Some(pt) if pt == payload_type => {
            return Err((
                "telephone_event",
                "must differ from the audio payload type".to_owned(),
            ))
        }
        Some(pt) => payload_types
            .with(
                pt,
                Codec::TelephoneEvent {
                    clock_rate: codec.clock_rate(),
                },
            )
            .map_err(|e| ("telephone_event", e.to_string()))?,
        None => payload_types,
    };
    Ok((codec_name, payload_type, payload_types))
}

/// The codec, its API name and its default payload type.
fn codec_by_name(name: &str) -> Option<(&'static str, Codec, u8)> {
    if name.eq_ignore_ascii_case("PCMU") {
        Some(("PCMU", Codec::Pcmu, 0))
    } else if name.eq_ignore_ascii_case("PCMA") {
        Some(("PCMA", Codec::Pcma, 8))
    } else if name.eq_ignore_ascii_case("opus") {
        Some(("opus", Codec::Opus, 111))
    } else {
        None
    }
}

fn parse_remote(text: &str) -> Result<SocketAddr, String> {
    let addr: SocketAddr = text
        .parse()
        .map_err(|_| format!("{text:?} is not an IP address and port (e.g. 192.0.2.7:40000)"))?;
    if addr.port() == 0 || addr.ip().is_unspecified() {
        return Err(format!(
            "{text:?} cannot receive media (port 0 or no address)"
        ));
    }
    Ok(addr)
}

/// A participant id: a string of URL-safe characters (it appears in
/// `/v1/participants/{id}/focus`), or a non-negative integer taken as its decimal text.
pub fn participant_id(value: &serde_json::Value) -> Result<String, String> {
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) if n.is_u64() => n.to_string(),
        _ => return Err("expected a string or a non-negative integer".to_owned()),
    };
    check_participant(&text)?;
    Ok(text)
}

/// Checks a participant id's length and characters.
pub fn check_participant(text: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._~@+-".contains(c);
    if text.is_empty() || text.len() > MAX_PARTICIPANT_LEN || !text.chars().all(allowed) {
        return Err(format!(
            "expected 1 to {MAX_PARTICIPANT_LEN} characters of A-Z a-z 0-9 . _ ~ @ + -"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_follow_the_codec_and_srtp_picks_hop_by_hop() {
        let request = LegRequest::from_json(&json!({ "codec": "pcma" })).unwrap();
        assert_eq!((request.codec_name, request.payload_type), ("PCMA", 8));
        assert!(matches!(request.media, LegMedia::Plain));
        assert_eq!(request.remote, None);

        let request = LegRequest::from_json(&json!({
            "codec": "opus", "telephone_event": 101, "remote": "[::1]:4000",
            "audio_level_id": 3, "participant": 42
        }))
        .unwrap();
        assert_eq!(request.payload_type, 111);
        assert_eq!(request.participant.as_deref(), Some("42"));
        let config = request.leg_config();
        assert_eq!(config.payload_types.get(111), Some(Codec::Opus));
        assert_eq!(
            config.payload_types.get(101),
            Some(Codec::TelephoneEvent { clock_rate: 48_000 })
        );
        assert_eq!(config.audio_level_ext_id, Some(3));
        assert_eq!(config.remote, Some("[::1]:4000".parse().unwrap()));

        let key = "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
        let request = LegRequest::from_json(&json!({
            "codec": "PCMU", "srtp": { "suite": "AES_CM_128_HMAC_SHA1_80", "rx_key": key }
        }))
        .unwrap();
        assert!(matches!(request.media, LegMedia::HopByHop(_)));
        assert!(!request.leg_config().media.is_end_to_end());
        let request =
            LegRequest::from_json(&json!({ "codec": "PCMU", "mode": "end_to_end" })).unwrap();
        assert!(request.leg_config().media.is_end_to_end());
    }

    #[test]
    fn participant_ids_are_url_safe_and_bounded() {
        assert!(check_participant("alice@example.com").is_ok());
        assert!(check_participant("").is_err());
        assert!(check_participant("a/b").is_err());
        assert!(check_participant(&"x".repeat(65)).is_err());
        assert!(participant_id(&json!(-1)).is_err());
        assert!(participant_id(&json!(["a"])).is_err());
    }
}
