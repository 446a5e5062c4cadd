//! A participant's focus: sitting in several conferences, it listens to one; its legs in
//! the others receive nothing until it unfocuses (it can still talk there).
//!
//! The media core suppresses legs per core, so a focus is applied by the core of the
//! focused conference and covers the participant's legs on that core. A participant with
//! legs on several cores cannot be focused (409): its conferences were placed apart.

use medianode_dataplane::conference::ConferenceError;
use serde_json::json;

use super::error::ApiError;
use super::fields::{parse_body, Fields};
use super::leg_request::check_participant;
use super::{AdminApi, ApiResponse};
use crate::runtime::CoreCommand;

fn unknown_participant(name: &str) -> ApiError {
    ApiError::not_found(format!("unknown participant {name:?}"))
}

impl AdminApi {
    pub(super) fn focus(&self, name: &str, body: &[u8]) -> Result<ApiResponse, ApiError> {
        check_participant(name).map_err(|_| unknown_participant(name))?;
        let value = parse_body(body)?;
        let mut fields = Fields::of(&value, "body")?;
        let conference_text = match fields.value("conference") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            Some(_) => return Err(fields.error("conference", "expected a conference id")),
            None => return Err(fields.error("conference", "is required")),
        };
        fields.finish()?;
        let (conference, core) = self.known_conference(&conference_text)?;
        let (participant, sits_in) = {
            let registry = self.registry();
            let participant = registry
                .known_participant(name)
                .ok_or_else(|| unknown_participant(name))?;
            (participant, registry.participant_conferences(name))
        };
        if !sits_in.iter().any(|&(c, _)| c == conference) {
            return Err(ApiError::conflict(format!(
                "participant {name:?} has no leg in conference {conference_text:?}"
            )));
        }
        if let Some(&(other, other_core)) = sits_in.iter().find(|&&(_, c)| c != core) {
            return Err(ApiError::conflict(format!(
                "participant {name:?} also sits in conference \"{}\" on core {other_core}, \
                 and focus works within one core (conference {conference_text:?} is on core \
                 {core})",
                other.0
            )));
        }
        self.client
            .ask(core, |reply| CoreCommand::Focus {
                participant,
                conference,
                reply,
            })?
            .map_err(|e| ApiError::conflict(e.to_string()))?;
        self.registry().set_focus(name, Some(conference));
        tracing::info!(participant = name, conference = conference.0, "focused");
        Ok(ApiResponse::json(
            200,
            json!({ "participant": name, "focus": conference.0.to_string() }),
        ))
    }

    pub(super) fn unfocus(&self, name: &str) -> Result<ApiResponse, ApiError> {
        let (participant, conference) = {
            let registry = self.registry();
            let participant = registry
                .known_participant(name)
                .ok_or_else(|| unknown_participant(name))?;
            let conference = registry
                .focus(name)
                .ok_or_else(|| ApiError::not_found(format!("participant {name:?} has no focus")))?;
            (participant, conference)
        };
        let core = self
            .registry()
            .conference(conference)
            .map(|record| record.core)
            .ok_or_else(|| ApiError::not_found(format!("participant {name:?} has no focus")))?;
        match self
            .client
            .ask(core, |reply| CoreCommand::Unfocus { participant, reply })?
        {
            // Not focused on the core either: the books agree once this one forgets it.
            Ok(()) | Err(ConferenceError::NotFocused(_)) => {}
            Err(other) => return Err(ApiError::internal(other.to_string())),
        }
        self.registry().set_focus(name, None);
        tracing::info!(participant = name, "unfocused");
        Ok(ApiResponse::no_content())
    }
}
