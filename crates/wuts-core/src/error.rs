//! Domain errors. Each kind maps to one WUTS `error_code`; the HTTP layer picks the status.

use serde::Serialize;

/// One failed field of a request, as WUTS reports it in `validation[]`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            value: None,
        }
    }

    pub fn with_value(mut self, value: impl Into<serde_json::Value>) -> Self {
        self.value = Some(value.into());
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The input broke a rule; `fields` says which.
    #[error("{message}")]
    Validation {
        message: String,
        fields: Vec<FieldError>,
    },
    /// No valid credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// Valid credentials, not allowed on this resource.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The device exists but has no live WhatsApp session.
    #[error("{0}")]
    DeviceNotReady(String),
    /// Something on our side failed; the message is safe to show, details are logged.
    #[error("{0}")]
    Internal(String),
    /// A dependency (the database) is unavailable.
    #[error("{0}")]
    Unavailable(String),
}

impl DomainError {
    /// A validation error about one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::Validation {
            message: format!("{field}: {message}"),
            fields: vec![FieldError::new(field, message)],
        }
    }

    /// A validation error gathering several field errors (at least one).
    pub fn fields(fields: Vec<FieldError>) -> Self {
        let message = fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; ");
        Self::Validation { message, fields }
    }

    /// The WUTS `error_code` of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation { .. } => "VALIDATION_ERROR",
            Self::Unauthorized(_) => "UNAUTHORIZED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Conflict(_) => "CONFLICT",
            Self::DeviceNotReady(_) => "DEVICE_NOT_READY",
            Self::Internal(_) => "INTERNAL_ERROR",
            Self::Unavailable(_) => "SERVICE_UNAVAILABLE",
        }
    }
}

pub type DomainResult<T> = Result<T, DomainError>;
