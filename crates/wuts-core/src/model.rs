//! The domain's records. Times are unix milliseconds.

use crate::role::Role;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: String,
    pub tenant_id: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    /// A webhook URL staged on the user and applied (with every event) to the devices it creates.
    pub pending_webhook_url: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Who is calling: a user of a tenant, authenticated by their token.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub user_id: String,
    pub tenant_id: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    pub id: String,
    pub tenant_id: String,
    pub user_id: String,
    pub name: String,
    /// The WhatsApp JID once paired.
    pub jid: Option<String>,
    pub phone_number: Option<String>,
    pub connected: bool,
    pub last_seen: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WebhookConfig {
    pub id: String,
    pub device_id: String,
    pub tenant_id: String,
    pub url: String,
    pub enabled_events: Vec<String>,
    pub enabled: bool,
    pub retry_attempts: u32,
    pub timeout_secs: u32,
    /// Write-only: used for signing, never shown.
    pub secret: Option<String>,
    pub headers: BTreeMap<String, String>,
    pub created_at: i64,
    pub updated_at: i64,
}
