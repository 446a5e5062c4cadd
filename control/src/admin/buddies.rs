//! Buddy lists under `/v1/users/{user}/buddies`: list them, and read, add (`PUT`, no body)
//! or remove (`DELETE`) one entry. A user's buddy list names who it watches and who may
//! watch its presence (the rule is in [`crate::sip::presence::rules`]); entries are kept
//! in the node's database ([`crate::sip_server::presence_store`]).

use serde_json::json;

use super::error::ApiError;
use super::{AdminApi, ApiResponse};
use crate::config::is_user_name;
use crate::sip_server::presence_store;
use crate::sip_server::store::lock;

fn store_error(error: crate::sip_server::StoreError) -> ApiError {
    ApiError::internal(error.to_string())
}

impl AdminApi {
    /// The owner, which must be a provisioned user.
    fn buddy_owner(&self, owner: &str) -> Result<crate::sip_server::SharedStore, ApiError> {
        let directory = self
            .users
            .as_ref()
            .ok_or_else(|| ApiError::unavailable("this node keeps no users"))?;
        let store = directory.store().clone();
        if lock(&store).user(owner).map_err(store_error)?.is_none() {
            return Err(ApiError::not_found(format!("unknown user {owner:?}")));
        }
        Ok(store)
    }

    pub(super) fn list_buddies(&self, owner: &str) -> Result<ApiResponse, ApiError> {
        let store = self.buddy_owner(owner)?;
        let buddies = presence_store::buddies(&lock(&store), owner).map_err(store_error)?;
        Ok(ApiResponse::json(
            200,
            json!({ "user": owner, "buddies": buddies }),
        ))
    }

    pub(super) fn get_buddy(&self, owner: &str, buddy: &str) -> Result<ApiResponse, ApiError> {
        let store = self.buddy_owner(owner)?;
        if !presence_store::has_buddy(&lock(&store), owner, buddy).map_err(store_error)? {
            return Err(ApiError::not_found(format!(
                "{buddy:?} is not on the buddy list of {owner:?}"
            )));
        }
        Ok(ApiResponse::json(
            200,
            json!({ "user": owner, "buddy": buddy }),
        ))
    }

    pub(super) fn put_buddy(&self, owner: &str, buddy: &str) -> Result<ApiResponse, ApiError> {
        if !is_user_name(buddy) {
            return Err(ApiError::bad_field(
                "buddy",
                "expected 1 to 64 characters of A-Z a-z 0-9 - _ . + ~",
            ));
        }
        let store = self.buddy_owner(owner)?;
        let added = presence_store::add_buddy(&lock(&store), owner, buddy).map_err(store_error)?;
        if added {
            tracing::info!(user = owner, buddy, "buddy added through the admin API");
        }
        Ok(ApiResponse::json(
            if added { 201 } else { 200 },
            json!({ "user": owner, "buddy": buddy }),
        ))
    }

    pub(super) fn delete_buddy(&self, owner: &str, buddy: &str) -> Result<ApiResponse, ApiError> {
        let store = self.buddy_owner(owner)?;
        if !presence_store::remove_buddy(&lock(&store), owner, buddy).map_err(store_error)? {
            return Err(ApiError::not_found(format!(
                "{buddy:?} is not on the buddy list of {owner:?}"
            )));
        }
        tracing::info!(user = owner, buddy, "buddy removed through the admin API");
        Ok(ApiResponse::no_content())
    }
}
