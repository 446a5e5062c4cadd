//! An admin request's failure: the HTTP status and a message for the operator, with the
//! request field at fault when there is one.

use std::fmt;

use serde_json::json;

/// A failed admin request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// The request field at fault, as a dotted path (`srtp.rx_key`), if one is.
    pub field: Option<String>,
    /// What is wrong, for a human.
    pub message: String,
}

impl ApiError {
    /// 400: `field` is wrong; the message names it.
    pub fn bad_field(field: &str, problem: impl fmt::Display) -> ApiError {
        ApiError {
            status: 400,
            field: Some(field.to_owned()),
            message: format!("`{field}`: {problem}"),
        }
    }

    /// 404: no such thing.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::with_status(404, message)
    }

    /// 409: the request contradicts the current state.
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::with_status(409, message)
    }

    /// 503: a core did not answer in time, or is gone.
    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::with_status(503, message)
    }

    /// 500: something that should not fail did.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::with_status(500, message)
    }

    /// Any status with a message.
    pub fn with_status(status: u16, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            field: None,
            message: message.into(),
        }
    }

    /// The JSON body: `{"error": message}` plus `"field"` when known.
    pub fn body(&self) -> serde_json::Value {
        match &self.field {
            Some(field) => json!({ "error": self.message, "field": field }),
            None => json!({ "error": self.message }),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

impl std::error::Error for ApiError {}
