//! `POST`, `DELETE /v1/conferences/{id}/recording` start and stop recording a conference's
//! mix; `GET /v1/recordings/{id}/key` returns a recording's key to a caller with the
//! admin token, or the recording key token (see [`crate::recording`] for the file format
//! and the tokens). Without any token configured, no key is handed out.

use std::sync::Arc;

use medianode_dataplane::conference::ConferenceError;
use serde_json::json;

use super::error::ApiError;
use super::{AdminApi, ApiResponse};
use crate::recording::{KeyRefusal, RecordingError, Recordings};
use crate::runtime::CoreCommand;

/// The id in `/v1/recordings/{id}/key`, if `path` is that.
pub fn recording_key_path(path: &str) -> Option<&str> {
    let id = path.strip_prefix("/v1/recordings/")?;
    id.strip_suffix("/key").filter(|id| !id.contains('/'))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl AdminApi {
    fn recordings(&self) -> Result<&Arc<Recordings>, ApiError> {
        self.recordings.as_ref().ok_or_else(|| {
            ApiError::with_status(503, "recording is not configured on this node".to_owned())
        })
    }

    pub(super) fn start_recording(&self, text: &str) -> Result<ApiResponse, ApiError> {
        let (conference, core) = self.known_conference(text)?;
        let recordings = self.recordings()?;
        let started = recordings.begin(conference).map_err(|error| match error {
            RecordingError::AlreadyRecording(_) => ApiError::conflict(error.to_string()),
            other => ApiError::with_status(500, other.to_string()),
        })?;
        let id = started.id;
        let answer = self.client.ask(core, |reply| CoreCommand::StartRecording {
            conference,
            recording: id,
            frames: started.frames,
            reply,
        });
        let refused = match answer {
            Ok(Ok(())) => None,
            Ok(Err(error @ ConferenceError::AlreadyRecording(_))) => {
                Some(ApiError::conflict(error.to_string()))
            }
            Ok(Err(error)) => Some(ApiError::with_status(400, error.to_string())),
            Err(error) => Some(error),
        };
        if let Some(error) = refused {
            // The core refused or did not answer: its queue is gone or will be with the
            // command, and the writer ends with an empty recording.
            let (reply, _) = crossbeam_channel::bounded(1);
            let _ = self
                .client
                .tell(core, CoreCommand::StopRecording { conference, reply });
            let _ = recordings.finish(conference);
            return Err(error);
        }
        tracing::info!(
            conference = conference.0,
            recording = id.0,
            file = %started.file.display(),
            "recording started"
        );
        Ok(ApiResponse::json(
            201,
            json!({
                "recording": id.0.to_string(),
                "conference": conference.0.to_string(),
                "file": started.file.display().to_string(),
            }),
        ))
    }

    pub(super) fn stop_recording(&self, text: &str) -> Result<ApiResponse, ApiError> {
        let (conference, core) = self.known_conference(text)?;
        let recordings = self.recordings()?;
        if !recordings.is_recording(conference) {
            return Err(ApiError::not_found(format!(
                "conference \"{}\" is not being recorded",
                conference.0
            )));
        }
        // Whatever the core answers, it holds no queue of this recording afterwards.
        let _stopped = self.client.ask(core, |reply| CoreCommand::StopRecording {
            conference,
            reply,
        })?;
        self.finish_recording(conference)
            .ok_or_else(|| ApiError::not_found("no recording".to_owned()))
    }

    /// Waits for a stopped recording's writer and describes the result.
    pub(super) fn finish_recording(
        &self,
        conference: medianode_dataplane::conference::ConferenceId,
    ) -> Option<ApiResponse> {
        let finished = self.recordings.as_ref()?.finish(conference)?;
        let (status, frames, error) = match &finished.frames {
            Ok(frames) => (200, Some(*frames), None),
            Err(error) => (500, None, Some(error.to_string())),
        };
        tracing::info!(
            conference = conference.0,
            recording = finished.id.0,
            ?frames,
            "recording stopped"
        );
        Some(ApiResponse::json(
            status,
            json!({
                "recording": finished.id.0.to_string(),
                "file": finished.file.display().to_string(),
                "frames": frames,
                "error": error,
            }),
        ))
    }

    /// `GET /v1/recordings/{id}/key`, with the request's `Authorization` header.
    pub fn recording_key(
        &self,
        method: &tiny_http::Method,
        id: &str,
        authorization: Option<&str>,
    ) -> ApiResponse {
        let result = (|| {
            if *method != tiny_http::Method::Get {
                return Err(ApiError::with_status(
                    405,
                    format!("{method} is not allowed on a recording key (allowed: GET)"),
                ));
            }
            let recordings = self.recordings()?;
            let unknown = || ApiError::not_found(format!("unknown recording {id:?}"));
            let number = id.parse::<u64>().map_err(|_| unknown())?;
            // The HTTP layer has checked the admin token, if the node has one.
            let admitted = self.token.is_some() && self.authorizes(authorization);
            let (row, key) = recordings.key(number, authorization, admitted).map_err(
                |refusal| match refusal {
                    KeyRefusal::Unauthorized => ApiError::with_status(
                        401,
                        "a recording key needs Authorization: Bearer <http.admin_token or \
                             recording.key_token>"
                            .to_owned(),
                    ),
                    KeyRefusal::Unknown => unknown(),
                    KeyRefusal::Store(e) => ApiError::with_status(500, e.to_string()),
                },
            )?;
            Ok(ApiResponse::json(
                200,
                json!({
                    "recording": id,
                    "conference": row.conference.to_string(),
                    "file": row.file,
                    "cipher": "AES-256-GCM",
                    "key": hex(&key[..]),
                }),
            ))
        })();
        result.unwrap_or_else(|error| ApiResponse::error(&error))
    }
}
