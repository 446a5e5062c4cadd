//! Legs: add one to a conference (its core binds the socket and answers with the address),
//! read its counters, remove it.

use std::net::SocketAddr;

use medianode_dataplane::conference::{ConferenceError, ConferenceId, LegId};
use serde_json::json;

use super::error::ApiError;
use super::fields::parse_body;
use super::leg_request::{receive_name, LegMedia, LegRequest};
use super::registry::LegRecord;
use super::{views, AdminApi, ApiResponse};
use crate::runtime::{AddLegError, CoreCommand};

/// A leg a core accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddedLeg {
    /// Its id.
    pub leg: LegId,
    /// The address its socket is bound to.
    pub local: SocketAddr,
}

/// The status for a core's refusal of a leg.
fn add_leg_error(error: AddLegError) -> ApiError {
    match error {
        AddLegError::NoFreePort { .. } => ApiError::unavailable(error.to_string()),
        AddLegError::Bind { .. } => ApiError::internal(error.to_string()),
        AddLegError::Conference(ConferenceError::UnknownConference(id)) => {
            ApiError::not_found(format!("unknown conference \"{}\"", id.0))
        }
        AddLegError::Conference(ConferenceError::ParticipantAlreadyInConference { .. }) => {
            ApiError::conflict(error.to_string())
        }
        AddLegError::Conference(other) => ApiError::with_status(400, other.to_string()),
    }
}

impl AdminApi {
    pub(super) fn add_leg(&self, text: &str, body: &[u8]) -> Result<ApiResponse, ApiError> {
        let (conference, _) = self.known_conference(text)?;
        let request = LegRequest::from_json(&parse_body(body)?)?;
        let AddedLeg { leg, local } = self.add_leg_with(conference, &request)?;
        let mut answer = json!({
            "leg": leg.0.to_string(),
            "conference": conference.0.to_string(),
            "local": local.to_string(),
            "mode": request.media.name(),
            "receive": receive_name(request.receive),
        });
        if let LegMedia::HopByHop(keys) = &request.media {
            answer["srtp"] = json!({
                "suite": keys.suite.sdes_name(),
                "tx_key": keys.tx.to_string(),
            });
        }
        Ok(ApiResponse::json(201, answer))
    }

    /// Adds the leg `request` describes to `conference` on its core and records it: the one
    /// way legs come to exist, for this API and the SIP focus.
    pub fn add_leg_with(
        &self,
        conference: ConferenceId,
        request: &LegRequest,
    ) -> Result<AddedLeg, ApiError> {
        let unknown = || ApiError::not_found(format!("unknown conference \"{}\"", conference.0));
        let mut config = request.leg_config();
        let (leg, core) = {
            let mut registry = self.registry();
            let core = registry.conference(conference).ok_or_else(unknown)?.core;
            if let Some(name) = &request.participant {
                let already = registry
                    .participant_conferences(name)
                    .iter()
                    .any(|&(c, _)| c == conference);
                if already {
                    return Err(ApiError::conflict(format!(
                        "participant {name:?} already has a leg in conference \"{}\"",
                        conference.0
                    )));
                }
                config = config.with_participant(registry.participant(name));
            }
            (registry.next_leg_id(), core)
        };
        let answer = self.client.ask(core, |reply| CoreCommand::AddLeg {
            conference,
            leg,
            config: Box::new(config),
            reply,
        });
        let local = match answer {
            Ok(Ok(local)) => local,
            Ok(Err(error)) => return Err(add_leg_error(error)),
            Err(error) => {
                let (reply, _) = crossbeam_channel::bounded(1);
                // Undo the leg should the core still add it; a gone core has nothing.
                let _ = self
                    .client
                    .tell(core, CoreCommand::RemoveLeg { leg, reply });
                return Err(error);
            }
        };
        let suite = match &request.media {
            LegMedia::HopByHop(keys) => Some(keys.suite),
            _ => None,
        };
        self.registry().insert_leg(
            leg,
            LegRecord {
                conference,
                local,
                codec: request.codec_name,
                payload_type: request.payload_type,
                mode: request.media.name(),
                suite,
                participant: request.participant.clone(),
            },
        );
        tracing::info!(
            conference = conference.0,
            leg = leg.0,
            core,
            %local,
            mode = request.media.name(),
            codec = request.codec_name,
            remote = ?request.remote,
            "leg added"
        );
        Ok(AddedLeg { leg, local })
    }

    /// Changes leg `leg` in place to what `request` describes (same id and socket; its
    /// conference and participant stay): the way an offered leg takes its answer.
    pub fn replace_leg_with(&self, leg: LegId, request: &LegRequest) -> Result<AddedLeg, ApiError> {
        let unknown = || ApiError::not_found(format!("unknown leg \"{}\"", leg.0));
        let mut config = request.leg_config();
        let (record, core) = {
            let mut registry = self.registry();
            let record = registry.leg(leg).cloned().ok_or_else(unknown)?;
            let core = registry
                .conference(record.conference)
                .ok_or_else(unknown)?
                .core;
            if let Some(name) = &record.participant {
                config = config.with_participant(registry.participant(name));
            }
            (record, core)
        };
        self.client
            .ask(core, |reply| CoreCommand::ReplaceLeg {
                leg,
                config: Box::new(config),
                reply,
            })?
            .map_err(|error| match error {
                ConferenceError::UnknownLeg(_) => unknown(),
                other => ApiError::with_status(400, other.to_string()),
            })?;
        let suite = match &request.media {
            LegMedia::HopByHop(keys) => Some(keys.suite),
            _ => None,
        };
        let local = record.local;
        self.registry().insert_leg(
            leg,
            LegRecord {
                codec: request.codec_name,
                payload_type: request.payload_type,
                mode: request.media.name(),
                suite,
                ..record
            },
        );
        tracing::info!(leg = leg.0, core, remote = ?request.remote, "leg changed in place");
        Ok(AddedLeg { leg, local })
    }

    /// Removes a leg from its core and from the registry; 404 if the registry does not
    /// know it.
    pub fn remove_leg_by_id(&self, leg: LegId) -> Result<(), ApiError> {
        let (conference, core) = {
            let registry = self.registry();
            let record = registry
                .leg(leg)
                .ok_or_else(|| ApiError::not_found(format!("unknown leg \"{}\"", leg.0)))?;
            let core = registry
                .conference(record.conference)
                .map(|c| c.core)
                .ok_or_else(|| ApiError::not_found(format!("unknown leg \"{}\"", leg.0)))?;
            (record.conference, core)
        };
        // An unknown leg on the core means it is already gone there; forget it here too.
        let _ = self
            .client
            .ask(core, |reply| CoreCommand::RemoveLeg { leg, reply })?;
        self.registry().remove_leg(leg);
        tracing::info!(conference = conference.0, leg = leg.0, "leg removed");
        Ok(())
    }

    pub(super) fn get_leg(&self, text: &str, leg_text: &str) -> Result<ApiResponse, ApiError> {
        let (conference, core) = self.known_conference(text)?;
        let leg = self.known_leg(conference, leg_text)?;
        let view = self
            .client
            .ask(core, |reply| CoreCommand::Snapshot { conference, reply })?;
        let stats = view
            .and_then(|view| view.legs.into_iter().find(|stats| stats.leg == leg))
            .ok_or_else(|| ApiError::not_found(format!("unknown leg {leg_text:?}")))?;
        let record = self.registry().leg(leg).cloned();
        Ok(ApiResponse::json(
            200,
            views::leg_detail(&stats, record.as_ref()),
        ))
    }

    pub(super) fn delete_leg(&self, text: &str, leg_text: &str) -> Result<ApiResponse, ApiError> {
        let (conference, _) = self.known_conference(text)?;
        let leg: LegId = self.known_leg(conference, leg_text)?;
        self.remove_leg_by_id(leg)?;
        self.tell_sip(super::calls::SipOrder::LegRemoved(leg));
        Ok(ApiResponse::no_content())
    }
}
