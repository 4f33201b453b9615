//! The one error envelope: `{success:false, error, error_code, timestamp, validation?}`, and the
//! HTTP status of each `error_code` (the catalogue is in `docs/compat.md`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use wuts_core::{time, DomainError, FieldError};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Always false.
    pub success: bool,
    /// Human-readable; do not branch on it.
    pub error: String,
    /// Stable code to branch on, e.g. `VALIDATION_ERROR`.
    pub error_code: &'static str,
    /// RFC 3339, UTC.
    pub timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation: Option<Vec<FieldError>>,
}

/// An error answer: a status and the envelope.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub validation: Option<Vec<FieldError>>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            validation: None,
        }
    }

    pub fn validation(message: impl Into<String>, fields: Vec<FieldError>) -> Self {
        Self {
            validation: Some(fields),
            ..Self::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message)
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        let code = e.code();
        let status = match &e {
            DomainError::Validation { .. } => StatusCode::BAD_REQUEST,
            DomainError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            DomainError::Forbidden(_) => StatusCode::FORBIDDEN,
            DomainError::NotFound(_) => StatusCode::NOT_FOUND,
            DomainError::Conflict(_) | DomainError::DeviceNotReady(_) => StatusCode::CONFLICT,
            DomainError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            DomainError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        match e {
            DomainError::Validation { message, fields } => Self::validation(message, fields),
            other => Self::new(status, code, other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            success: false,
            error: self.message,
            error_code: self.code,
            timestamp: time::now_rfc3339(),
            validation: self.validation,
        };
        (self.status, Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
