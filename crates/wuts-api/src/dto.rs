//! The JSON objects the API shows, shaped as the WUTS catalogue shows them.

use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use wuts_core::time::rfc3339;
use wuts_core::{Device, Role, Tenant, User, WebhookConfig};

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantDto {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Tenant> for TenantDto {
    fn from(t: &Tenant) -> Self {
        Self {
            id: t.id.clone(),
            name: t.name.clone(),
            created_at: rfc3339(t.created_at),
            updated_at: rfc3339(t.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: String,
    pub tenant_id: String,
    pub email: String,
    pub role: Role,
    /// Only in the answer that created the user: it is never shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub active: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl UserDto {
    pub fn new(u: &User, token: Option<String>) -> Self {
        Self {
            id: u.id.clone(),
            tenant_id: u.tenant_id.clone(),
            email: u.email.clone(),
            role: u.role,
            token,
            active: u.active,
            created_at: rfc3339(u.created_at),
            updated_at: rfc3339(u.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceDto {
    pub id: String,
    pub user_id: String,
    pub name: String,
    /// The WhatsApp JID once paired.
    pub whatsapp_jid: Option<String>,
    pub phone_number: Option<String>,
    pub connected: bool,
    pub last_seen: Option<String>,
    pub webhook_url: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl DeviceDto {
    pub fn new(d: &Device, webhook_url: Option<String>) -> Self {
        Self {
            id: d.id.clone(),
            user_id: d.user_id.clone(),
            name: d.name.clone(),
            whatsapp_jid: d.jid.clone(),
            phone_number: d.phone_number.clone(),
            connected: d.connected,
            last_seen: d.last_seen.map(rfc3339),
            webhook_url,
            created_at: rfc3339(d.created_at),
            updated_at: rfc3339(d.updated_at),
        }
    }
}

/// A webhook configuration. The secret is write-only: `has_secret` says whether one is set.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDto {
    pub id: String,
    pub device_id: String,
    pub webhook_url: String,
    pub enabled_events: Vec<String>,
    pub enabled: bool,
    pub retry_attempts: u32,
    /// Seconds.
    pub timeout: u32,
    pub headers: BTreeMap<String, String>,
    pub has_secret: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&WebhookConfig> for WebhookDto {
    fn from(w: &WebhookConfig) -> Self {
        Self {
            id: w.id.clone(),
            device_id: w.device_id.clone(),
            webhook_url: w.url.clone(),
            enabled_events: w.enabled_events.clone(),
            enabled: w.enabled,
            retry_attempts: w.retry_attempts,
            timeout: w.timeout_secs,
            headers: w.headers.clone(),
            has_secret: w.secret.is_some(),
            created_at: rfc3339(w.created_at),
            updated_at: rfc3339(w.updated_at),
        }
    }
}

/// `{success:true, message}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageResponse {
    pub success: bool,
    pub message: String,
}

impl MessageResponse {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            success: true,
            message: message.into(),
        }
    }
}
