//! Users under `/v1/users`: list them, read one with its registrations, add or replace one
//! (`PUT` with a password or HA1 values), remove one. Users from the config file are
//! read-only here (409). Secrets are write-only: no answer carries a password or an HA1.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use super::error::ApiError;
use super::fields::{parse_body, Fields};
use super::{AdminApi, ApiResponse};
use crate::config::is_user_name;
use crate::sip_server::{UserDirectory, UserError, UserRecord, UserSecret};

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn user_error(error: UserError) -> ApiError {
    match error {
        UserError::ProvisionedInConfig => ApiError::conflict(error.to_string()),
        UserError::Store(e) => ApiError::internal(e.to_string()),
    }
}

fn summary(user: &UserRecord) -> Value {
    json!({
        "name": user.name,
        "source": user.source.as_str(),
        "algorithms": user.algorithms(),
    })
}

fn unknown_user(name: &str) -> ApiError {
    ApiError::not_found(format!("unknown user {name:?}"))
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Reads `{"password": ...}` or `{"ha1_md5": ..., "ha1_sha256": ...}`.
fn secret_of(body: &[u8]) -> Result<UserSecret, ApiError> {
    let value = parse_body(body)?;
    let mut fields = Fields::of(&value, "body")?;
    let password = fields.string("password")?;
    let md5 = fields.string("ha1_md5")?;
    let sha256 = fields.string("ha1_sha256")?;
    if md5.is_some_and(|h| !is_hex(h, 32)) {
        return Err(fields.error("ha1_md5", "expected 32 hex digits"));
    }
    if sha256.is_some_and(|h| !is_hex(h, 64)) {
        return Err(fields.error("ha1_sha256", "expected 64 hex digits"));
    }
    let secret = match (password, md5.is_some() || sha256.is_some()) {
        (Some(_), true) => {
            return Err(fields.error(
                "password",
                "give either password or ha1_md5/ha1_sha256, not both",
            ))
        }
        (Some(""), false) => return Err(fields.error("password", "must not be empty")),
        (Some(p), false) => UserSecret::Password(p.to_owned()),
        (None, true) => UserSecret::Ha1 {
            md5: md5.map(str::to_owned),
            sha256: sha256.map(str::to_owned),
        },
        (None, false) => {
            return Err(fields.error("password", "is required (or ha1_md5/ha1_sha256)"))
        }
    };
    fields.finish()?;
    Ok(secret)
}

impl AdminApi {
    fn users_directory(&self) -> Result<&UserDirectory, ApiError> {
        self.users
            .as_ref()
            .ok_or_else(|| ApiError::unavailable("this node keeps no users"))
    }

    pub(super) fn list_users(&self) -> Result<ApiResponse, ApiError> {
        let users = self
            .users_directory()?
            .list(unix_now())
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let list: Vec<Value> = users
            .iter()
            .map(|(user, bindings)| {
                let mut view = summary(user);
                view["bindings"] = json!(bindings);
                view
            })
            .collect();
        Ok(ApiResponse::json(200, json!({ "users": list })))
    }

    pub(super) fn get_user(&self, name: &str) -> Result<ApiResponse, ApiError> {
        let now = unix_now();
        let (user, bindings) = self
            .users_directory()?
            .get(name, now)
            .map_err(|e| ApiError::internal(e.to_string()))?
            .ok_or_else(|| unknown_user(name))?;
        let mut view = summary(&user);
        view["bindings"] = bindings
            .iter()
            .map(|b| {
                json!({
                    "contact": b.contact,
                    "expires_in": b.expires_at.saturating_sub(now),
                    "source": b.source,
                })
            })
            .collect();
        Ok(ApiResponse::json(200, view))
    }

    pub(super) fn put_user(&self, name: &str, body: &[u8]) -> Result<ApiResponse, ApiError> {
        if !is_user_name(name) {
            return Err(ApiError::bad_field(
                "name",
                "expected 1 to 64 characters of A-Z a-z 0-9 - _ . + ~",
            ));
        }
        let secret = secret_of(body)?;
        let directory = self.users_directory()?;
        let created = directory.put(name, &secret).map_err(user_error)?;
        let user = directory.record(name, &secret, crate::sip_server::UserSource::Admin);
        tracing::info!(
            user = name,
            created,
            "user provisioned through the admin API"
        );
        Ok(ApiResponse::json(
            if created { 201 } else { 200 },
            summary(&user),
        ))
    }

    pub(super) fn delete_user(&self, name: &str) -> Result<ApiResponse, ApiError> {
        if !self.users_directory()?.delete(name).map_err(user_error)? {
            return Err(unknown_user(name));
        }
        tracing::info!(user = name, "user removed through the admin API");
        Ok(ApiResponse::no_content())
    }
}
