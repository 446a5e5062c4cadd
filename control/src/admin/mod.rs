//! The HTTP JSON admin API under `/v1/`: conferences, their legs, participants' focus.
//!
//! Requests are checked here (a 400 names the field at fault), routed to the core a
//! conference lives on as typed [`CoreCommand`](crate::runtime::CoreCommand)s, and answered
//! from the core's reply (a core that does not answer in time is a 503). The control side's
//! [`Registry`] says which core that is; the cores' events keep its talker sets current
//! ([`events`]). Keys are never logged.
//!
//! | method and path | what |
//! |---|---|
//! | `GET /v1/conferences` | every conference: core, policy, legs, latest talkers |
//! | `POST /v1/conferences` | create (`{"loudest_n": 3}`, `"mode": "all"`) on the least-loaded core |
//! | `GET /v1/conferences/{id}` | one conference with every leg's counters and its talkers |
//! | `PATCH /v1/conferences/{id}` | change `loudest_n` and/or `mode` while it runs |
//! | `DELETE /v1/conferences/{id}` | remove it with its legs |
//! | `POST /v1/conferences/{id}/legs` | add a leg (see [`leg_request`]) |
//! | `GET`, `DELETE /v1/conferences/{id}/legs/{leg}` | one leg's counters; remove it |
//! | `POST /v1/conferences/{id}/calls` | call a phone number through the PSTN trunk (`{"to": "tel:+15550100"}`, [`calls`]) |
//! | `POST`, `DELETE /v1/participants/{p}/focus` | focus on `{"conference": id}`; unfocus |
//! | `POST`, `DELETE /v1/conferences/{id}/recording` | start, stop recording its mix ([`crate::recording`]) |
//! | `GET /v1/recordings/{id}/key` | a recording's key, with `Authorization: Bearer <token>` |
//! | `GET /v1/users` | every SIP user: source, digest algorithms, live registrations |
//! | `GET`, `PUT`, `DELETE /v1/users/{name}` | one user with its registrations; add or replace (`{"password": ...}` or HA1s); remove |
//! | `GET /v1/users/{name}/buddies` | the user's buddy list (who it watches and who may watch it) |
//! | `GET`, `PUT`, `DELETE /v1/users/{name}/buddies/{buddy}` | one entry; add it (no body); remove it |

mod buddies;
pub mod calls;
mod conferences;
mod core_client;
mod error;
pub mod events;
mod fields;
mod focus;
pub mod leg_request;
mod legs;
mod recordings;
mod registry;
mod srtp_keys;
pub mod token;
mod users;
mod views;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use medianode_dataplane::conference::{ConferenceId, LegId};
use serde_json::Value;
use tiny_http::Method;

pub use core_client::CoreClient;
pub use error::ApiError;
pub use fields::MAX_BODY_BYTES;
pub use legs::AddedLeg;
pub use recordings::recording_key_path;
pub use registry::{ConferenceRecord, LegRecord, Registry};
pub use srtp_keys::HopByHopKeys;

/// The registry as the HTTP and events threads share it.
pub type SharedRegistry = Arc<Mutex<Registry>>;

/// An admin answer: status, JSON body (none for 204) and, for 405, the methods allowed.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    /// HTTP status code.
    pub status: u16,
    /// The JSON body.
    pub body: Option<Value>,
    /// The `Allow` header of a 405.
    pub allow: Option<&'static str>,
}

impl ApiResponse {
    fn json(status: u16, body: Value) -> ApiResponse {
        ApiResponse {
            status,
            body: Some(body),
            allow: None,
        }
    }

    fn no_content() -> ApiResponse {
        ApiResponse {
            status: 204,
            body: None,
            allow: None,
        }
    }

    fn error(error: &ApiError) -> ApiResponse {
        ApiResponse::json(error.status, error.body())
    }
}

/// The admin API of one node.
#[derive(Debug)]
pub struct AdminApi {
    client: CoreClient,
    registry: SharedRegistry,
    users: Option<crate::sip_server::UserDirectory>,
    recordings: Option<Arc<crate::recording::Recordings>>,
    sip: Option<calls::SipSlot>,
    token: Option<token::AdminToken>,
}

/// The resources under `/v1/`, by the shape of their path.
enum Route<'a> {
    Conferences,
    Conference(&'a str),
    Legs(&'a str),
    Leg(&'a str, &'a str),
    Calls(&'a str),
    Focus(&'a str),
    Recording(&'a str),
    Users,
    User(&'a str),
    Buddies(&'a str),
    Buddy(&'a str, &'a str),
}

impl<'a> Route<'a> {
    fn parse(path: &'a str) -> Option<Route<'a>> {
        let rest = path.strip_prefix("/v1/")?;
        let segments: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
        match segments.as_slice() {
            ["conferences"] => Some(Route::Conferences),
            ["conferences", id] => Some(Route::Conference(id)),
            ["conferences", id, "legs"] => Some(Route::Legs(id)),
            ["conferences", id, "legs", leg] => Some(Route::Leg(id, leg)),
            ["conferences", id, "calls"] => Some(Route::Calls(id)),
            ["participants", p, "focus"] => Some(Route::Focus(p)),
            ["conferences", id, "recording"] => Some(Route::Recording(id)),
            ["users"] => Some(Route::Users),
            ["users", name] => Some(Route::User(name)),
            ["users", name, "buddies"] => Some(Route::Buddies(name)),
            ["users", name, "buddies", buddy] => Some(Route::Buddy(name, buddy)),
            _ => None,
        }
    }

    fn allow(&self) -> &'static str {
        match self {
            Route::Conferences => "GET, POST",
            Route::Conference(_) => "GET, PATCH, DELETE",
            Route::Legs(_) => "POST",
            Route::Leg(..) => "GET, DELETE",
            Route::Calls(_) => "POST",
            Route::Focus(_) => "POST, DELETE",
            Route::Recording(_) => "POST, DELETE",
            Route::Users => "GET",
            Route::User(_) => "GET, PUT, DELETE",
            Route::Buddies(_) => "GET",
            Route::Buddy(..) => "GET, PUT, DELETE",
        }
    }
}

impl AdminApi {
    /// An API over `client`'s cores, keeping its book in `registry`.
    pub fn new(client: CoreClient, registry: SharedRegistry) -> AdminApi {
        AdminApi {
            client,
            registry,
            users: None,
            recordings: None,
            sip: None,
            token: None,
        }
    }

    /// Requiring `Authorization: Bearer <token>` on every request (see [`token`]).
    pub fn with_token(mut self, token: Option<token::AdminToken>) -> AdminApi {
        self.token = token;
        self
    }

    /// Whether a request with this `Authorization` header value may use the API: any
    /// request when no token is configured.
    pub fn authorizes(&self, authorization: Option<&str>) -> bool {
        self.token.as_ref().is_none_or(|t| t.admits(authorization))
    }

    /// With recording under `/v1/conferences/{id}/recording` and `/v1/recordings`.
    pub fn with_recordings(mut self, recordings: Arc<crate::recording::Recordings>) -> AdminApi {
        self.recordings = Some(recordings);
        self
    }

    /// With calls to phone numbers under `/v1/conferences/{id}/calls`, through the SIP
    /// server that fills `slot` once it runs; it also hears of removed legs and
    /// conferences.
    pub fn with_sip(mut self, slot: calls::SipSlot) -> AdminApi {
        self.sip = Some(slot);
        self
    }

    /// With the SIP users under `/v1/users`.
    pub fn with_users(mut self, users: crate::sip_server::UserDirectory) -> AdminApi {
        self.users = Some(users);
        self
    }

    /// Whether `path` belongs to the admin API.
    pub fn owns(path: &str) -> bool {
        path == "/v1" || path.starts_with("/v1/")
    }

    /// Answers one request.
    pub fn handle(&self, method: &Method, path: &str, body: &[u8]) -> ApiResponse {
        let Some(route) = Route::parse(path) else {
            return ApiResponse::error(&ApiError::not_found(format!("no resource at {path}")));
        };
        let result = match (&route, method) {
            (Route::Conferences, Method::Get) => Ok(self.list_conferences()),
            (Route::Conferences, Method::Post) => self.create_conference(body),
            (Route::Conference(id), Method::Get) => self.get_conference(id),
            (Route::Conference(id), Method::Patch) => self.patch_conference(id, body),
            (Route::Conference(id), Method::Delete) => self.delete_conference(id),
            (Route::Legs(id), Method::Post) => self.add_leg(id, body),
            (Route::Leg(id, leg), Method::Get) => self.get_leg(id, leg),
            (Route::Leg(id, leg), Method::Delete) => self.delete_leg(id, leg),
            (Route::Calls(id), Method::Post) => self.place_call(id, body),
            (Route::Focus(p), Method::Post) => self.focus(p, body),
            (Route::Focus(p), Method::Delete) => self.unfocus(p),
            (Route::Recording(id), Method::Post) => self.start_recording(id),
            (Route::Recording(id), Method::Delete) => self.stop_recording(id),
            (Route::Users, Method::Get) => self.list_users(),
            (Route::User(name), Method::Get) => self.get_user(name),
            (Route::User(name), Method::Put) => self.put_user(name, body),
            (Route::User(name), Method::Delete) => self.delete_user(name),
            (Route::Buddies(name), Method::Get) => self.list_buddies(name),
            (Route::Buddy(name, buddy), Method::Get) => self.get_buddy(name, buddy),
            (Route::Buddy(name, buddy), Method::Put) => self.put_buddy(name, buddy),
            (Route::Buddy(name, buddy), Method::Delete) => self.delete_buddy(name, buddy),
            _ => {
                return ApiResponse {
                    allow: Some(route.allow()),
                    ..ApiResponse::error(&ApiError::with_status(
                        405,
                        format!(
                            "{method} is not allowed on {path} (allowed: {})",
                            route.allow()
                        ),
                    ))
                }
            }
        };
        result.unwrap_or_else(|error| ApiResponse::error(&error))
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        // A panic elsewhere while holding the lock leaves the book as it was at that
        // point, which is still the best knowledge there is.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The conference named by a path segment, with its core.
    fn known_conference(&self, text: &str) -> Result<(ConferenceId, usize), ApiError> {
        let unknown = || ApiError::not_found(format!("unknown conference {text:?}"));
        let id = text
            .parse::<u32>()
            .map(ConferenceId)
            .map_err(|_| unknown())?;
        let core = self.registry().conference(id).ok_or_else(unknown)?.core;
        Ok((id, core))
    }

    /// The leg named by a path segment, which must belong to `conference`.
    fn known_leg(&self, conference: ConferenceId, text: &str) -> Result<LegId, ApiError> {
        let unknown = || {
            ApiError::not_found(format!(
                "unknown leg {text:?} in conference {}",
                conference.0
            ))
        };
        let id = text.parse::<u32>().map(LegId).map_err(|_| unknown())?;
        match self.registry().leg(id) {
            Some(record) if record.conference == conference => Ok(id),
            _ => Err(unknown()),
        }
    }
}

#[cfg(test)]
mod tests;
