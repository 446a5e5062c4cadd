//! Conferences: create on the least-loaded core, list, read with legs, change the talker
//! policy, remove.

use medianode_dataplane::conference::{ConferenceId, MixerKey, SelectionMode, SelectionPolicy};
use serde_json::{json, Value};

use super::error::ApiError;
use super::fields::{parse_body, Fields};
use super::{views, AdminApi, ApiResponse};
use crate::runtime::CoreCommand;

/// Most talkers a conference may select at once.
const MAX_LOUDEST_N: u64 = 64;

/// Applies the optional `loudest_n` and `mode` fields to `policy`; a `loudest_n` without a
/// `mode` means loudest-N selection. Returns whether either field was present.
fn apply_policy_fields(
    fields: &mut Fields<'_>,
    policy: &mut SelectionPolicy,
) -> Result<bool, ApiError> {
    let n = fields.integer("loudest_n", 1..=MAX_LOUDEST_N)?;
    let mode = fields.string("mode")?;
    if let Some(n) = n {
        policy.max_talkers = n as usize;
        policy.mode = SelectionMode::Loudest;
    }
    match mode {
        None => {}
        Some("loudest") => policy.mode = SelectionMode::Loudest,
        Some("all") => policy.mode = SelectionMode::All,
        Some(other) => {
            return Err(fields.error(
                "mode",
                format!("unknown mode {other:?} (expected loudest or all)"),
            ))
        }
    }
    Ok(n.is_some() || mode.is_some())
}

impl AdminApi {
    pub(super) fn list_conferences(&self) -> ApiResponse {
        let registry = self.registry();
        let list: Vec<Value> = registry
            .conferences()
            .map(|(id, record)| views::conference_summary(id, record))
            .collect();
        ApiResponse::json(200, json!({ "conferences": list }))
    }

    pub(super) fn create_conference(&self, body: &[u8]) -> Result<ApiResponse, ApiError> {
        let value = parse_body(body)?;
        let mut fields = Fields::of(&value, "body")?;
        let mut policy = SelectionPolicy::default();
        apply_policy_fields(&mut fields, &mut policy)?;
        fields.finish()?;
        let id = self.create_conference_with(policy)?;
        let summary = self
            .registry()
            .conference(id)
            .map(|record| views::conference_summary(id, record));
        Ok(ApiResponse::json(201, summary.unwrap_or(Value::Null)))
    }

    /// Creates a conference selecting talkers by `policy` on the least-loaded core and
    /// records it: the one way conferences come to exist, for this API and the SIP focus.
    pub fn create_conference_with(
        &self,
        policy: SelectionPolicy,
    ) -> Result<ConferenceId, ApiError> {
        self.create_conference_keyed(policy, None)
    }

    /// As [`Self::create_conference_with`], handing the core an end-to-end conference's
    /// key for its mixer (the SIP focus, which made the key).
    pub fn create_conference_keyed(
        &self,
        policy: SelectionPolicy,
        mixer_key: Option<MixerKey>,
    ) -> Result<ConferenceId, ApiError> {
        let (id, core) = {
            let mut registry = self.registry();
            (registry.next_conference_id(), registry.least_loaded_core())
        };
        let answer = self
            .client
            .ask(core, |reply| CoreCommand::CreateConference {
                id,
                policy,
                mixer_key: mixer_key.map(Box::new),
                reply,
            });
        match answer {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return Err(ApiError::internal(error.to_string())),
            Err(error) => {
                self.undo_create(core, id);
                return Err(error);
            }
        }
        self.registry().insert_conference(id, core, policy);
        tracing::info!(conference = id.0, core, "conference created");
        Ok(id)
    }

    /// Hands a conference's core the new key of its end-to-end conference (a re-key).
    pub fn set_mixer_key(&self, id: ConferenceId, key: MixerKey) -> Result<(), ApiError> {
        let core = self
            .registry()
            .conference(id)
            .map(|record| record.core)
            .ok_or_else(|| ApiError::not_found(format!("unknown conference \"{}\"", id.0)))?;
        self.client
            .ask(core, |reply| CoreCommand::SetMixerKey {
                conference: id,
                key: Box::new(key),
                reply,
            })?
            .map_err(|error| ApiError::internal(error.to_string()))
    }

    /// Removes a conference with its legs from its core and from the registry; 404 if
    /// the registry does not know it.
    pub fn remove_conference_by_id(&self, id: ConferenceId) -> Result<(), ApiError> {
        let core = self
            .registry()
            .conference(id)
            .map(|record| record.core)
            .ok_or_else(|| ApiError::not_found(format!("unknown conference \"{}\"", id.0)))?;
        // An unknown conference on the core means it is already gone there; forget it here
        // too.
        let _ = self
            .client
            .ask(core, |reply| CoreCommand::RemoveConference { id, reply })?;
        self.registry().remove_conference(id);
        tracing::info!(conference = id.0, core, "conference removed");
        Ok(())
    }

    /// Removes a conference whose creation timed out, should the core still make it.
    fn undo_create(&self, core: usize, id: ConferenceId) {
        let (reply, _) = crossbeam_channel::bounded(1);
        // If the core is gone, there is nothing to undo.
        let _ = self
            .client
            .tell(core, CoreCommand::RemoveConference { id, reply });
    }

    pub(super) fn get_conference(&self, text: &str) -> Result<ApiResponse, ApiError> {
        let (id, core) = self.known_conference(text)?;
        let view = self
            .client
            .ask(core, |reply| CoreCommand::Snapshot {
                conference: id,
                reply,
            })?
            .ok_or_else(|| ApiError::not_found(format!("unknown conference {text:?}")))?;
        let registry = self.registry();
        let body = views::conference_detail(id, core, &view, |leg| registry.leg(leg).cloned());
        Ok(ApiResponse::json(200, body))
    }

    pub(super) fn patch_conference(
        &self,
        text: &str,
        body: &[u8],
    ) -> Result<ApiResponse, ApiError> {
        let (id, core) = self.known_conference(text)?;
        let value = parse_body(body)?;
        let mut fields = Fields::of(&value, "body")?;
        let mut policy = self
            .registry()
            .conference(id)
            .map(|record| record.policy)
            .ok_or_else(|| ApiError::not_found(format!("unknown conference {text:?}")))?;
        if !apply_policy_fields(&mut fields, &mut policy)? {
            return Err(ApiError::bad_field(
                "body",
                "nothing to change (expected loudest_n and/or mode)",
            ));
        }
        fields.finish()?;
        self.client
            .ask(core, |reply| CoreCommand::SetPolicy {
                conference: id,
                policy,
                reply,
            })?
            .map_err(|e| ApiError::not_found(e.to_string()))?;
        let summary = {
            let mut registry = self.registry();
            registry.set_policy(id, policy);
            registry
                .conference(id)
                .map(|record| views::conference_summary(id, record))
        };
        tracing::info!(
            conference = id.0,
            mode = ?policy.mode,
            loudest_n = policy.max_talkers,
            "conference policy changed"
        );
        Ok(ApiResponse::json(200, summary.unwrap_or(Value::Null)))
    }

    pub(super) fn delete_conference(&self, text: &str) -> Result<ApiResponse, ApiError> {
        let (id, _) = self.known_conference(text)?;
        self.remove_conference_by_id(id)?;
        self.tell_sip(super::calls::SipOrder::ConferenceRemoved(id));
        // The core ended its recording with it; the writer finishes the file.
        let _ = self.finish_recording(id);
        Ok(ApiResponse::no_content())
    }
}
