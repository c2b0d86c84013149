//! The one place errors become HTTP: `{code, message, errors?}` with a status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::case::FieldError;
use crate::packet::Refusal;
use crate::service::ServiceError;
use crate::uploads::UploadError;

/// An error response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    errors: Option<Vec<FieldError>>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
}

impl ApiError {
    /// An error with a status, a stable code and a message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), errors: None }
    }

    /// 400.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403 (a session without its CSRF token).
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    /// 422 for one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_request",
            message: format!("{field}: {message}"),
            errors: Some(vec![FieldError { field: field.to_owned(), message }]),
        }
    }

    /// 413 for a body over `limit` bytes.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the request body is over the limit of {} KB", limit / 1024),
        )
    }

    /// A body that could not be read: 413 over `limit`, 400 otherwise.
    pub fn body(e: &axum::extract::rejection::BytesRejection, limit: usize) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE { Self::too_large(limit) } else { Self::bad_request("bad_body", e.body_text()) }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Field → rule, for a 422 about fields.
    pub fn field_errors(&self) -> std::collections::BTreeMap<String, String> {
        self.errors.iter().flatten().map(|e| (e.field.clone(), e.message.clone())).collect()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, "{}", self.message);
        }
        let message = if self.status.is_server_error() {
            "something went wrong on our side; the request changed nothing, try again".to_owned()
        } else {
            self.message
        };
        let body = Body { code: self.code, message: &message, errors: self.errors.as_deref() };
        (self.status, Json(body)).into_response()
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let message = e.to_string();
        match e {
            ServiceError::InvalidCase(errors) => Self {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid_case",
                message: format!("the case data breaks {} rule(s); see errors", errors.0.len()),
                errors: Some(errors.0),
            },
            ServiceError::InvalidField { field, message } => Self::field(field, message),
            ServiceError::NameMismatch(m) => Self::field("name", m.to_string()),
            ServiceError::NotFound(_) => Self::new(StatusCode::NOT_FOUND, "not_found", message),
            ServiceError::Refused(r) => refusal(r),
            ServiceError::Busy => Self::new(StatusCode::CONFLICT, "conflict", message),
            ServiceError::Link(_) => Self::new(StatusCode::GONE, "link_unusable", message),
            ServiceError::SessionEnded => Self::new(StatusCode::UNAUTHORIZED, "session_ended", message),
            ServiceError::Upload(UploadError::TooLarge(_)) => Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message),
            ServiceError::Upload(UploadError::UnsupportedType | UploadError::Empty) => {
                Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_type", message)
            }
            ServiceError::Internal(_) => Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message),
        }
    }
}

fn refusal(r: Refusal) -> ApiError {
    let message = r.to_string();
    let (status, code) = match r {
        Refusal::NoSuchStep(_) | Refusal::NoSuchPage(..) => (StatusCode::NOT_FOUND, "not_found"),
        Refusal::BadProducerId => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"),
        Refusal::NoConsent => (StatusCode::CONFLICT, "consent_required"),
        Refusal::OutOfOrder { .. } => (StatusCode::CONFLICT, "out_of_order"),
        Refusal::AlreadyDone(_) => (StatusCode::CONFLICT, "already_done"),
        Refusal::NotViewed(_) => (StatusCode::CONFLICT, "not_viewed"),
        Refusal::StaleView(_) => (StatusCode::CONFLICT, "stale"),
        Refusal::WrongAction(..) => (StatusCode::CONFLICT, "wrong_action"),
        Refusal::Incomplete(_) => (StatusCode::CONFLICT, "incomplete"),
        Refusal::WrongStatus(_) => (StatusCode::CONFLICT, "wrong_status"),
    };
    ApiError::new(status, code, message)
}
