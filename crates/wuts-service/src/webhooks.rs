//! Per-device webhook configuration.

use crate::devices::new_webhook_id;
use crate::{Services, Target};
use std::collections::BTreeMap;
use wuts_core::error::DomainResult;
use wuts_core::validate::{self, RETRY_ATTEMPTS_MAX, TIMEOUT_MAX, TIMEOUT_MIN};
use wuts_core::{time, Device, DomainError, WebhookConfig};

pub const DEFAULT_RETRY_ATTEMPTS: u32 = 3;
pub const DEFAULT_TIMEOUT_SECS: u32 = 10;

/// A configuration as a caller gives it; `None` takes the default.
#[derive(Debug, Default)]
pub struct WebhookInput {
    pub url: String,
    pub enabled_events: Vec<String>,
    pub enabled: Option<bool>,
    pub retry_attempts: Option<i64>,
    pub timeout: Option<i64>,
    pub secret: Option<String>,
    pub headers: Option<BTreeMap<String, String>>,
}

impl Services {
    /// Creates or replaces the device's configuration. A secret left out of an update is kept.
    pub async fn put_webhook(
        &self,
        at: &Target,
        input: WebhookInput,
    ) -> DomainResult<WebhookConfig> {
        let mut errors = Vec::new();
        let mut take = |r: DomainResult<()>| {
            if let Err(DomainError::Validation { fields, .. }) = r {
                errors.extend(fields);
            }
        };
        let mut url = String::new();
        let mut events = Vec::new();
        let mut retry = DEFAULT_RETRY_ATTEMPTS;
        let mut timeout = DEFAULT_TIMEOUT_SECS;
        let mut headers = BTreeMap::new();
        take(
            validate::webhook_url("webhook_url", &input.url, self.config.webhook_allow_http)
                .map(|u| url = u),
        );
        take(validate::event_names("enabled_events", &input.enabled_events).map(|e| events = e));
        if let Some(r) = input.retry_attempts {
            take(validate::in_range("retry_attempts", r, 0, RETRY_ATTEMPTS_MAX).map(|r| retry = r));
        }
        if let Some(t) = input.timeout {
            take(validate::in_range("timeout", t, TIMEOUT_MIN, TIMEOUT_MAX).map(|t| timeout = t));
        }
        if let Some(h) = &input.headers {
            take(validate::headers("headers", h).map(|h| headers = h));
        }
        if let Some(s) = &input.secret {
            if s.len() > 512 {
                take(Err(DomainError::field(
                    "secret",
                    "must be at most 512 bytes",
                )));
            }
        }
        if !errors.is_empty() {
            return Err(DomainError::fields(errors));
        }
        let device = &self.device(at).await?;
        let existing = self
            .store
            .get_webhook(&device.tenant_id, &device.id)
            .await?;
        let now = time::now_millis();
        let secret = match input.secret {
            Some(s) if s.is_empty() => None,
            Some(s) => Some(s),
            None => existing.as_ref().and_then(|w| w.secret.clone()),
        };
        let config = WebhookConfig {
            id: existing
                .as_ref()
                .map_or_else(new_webhook_id, |w| w.id.clone()),
            device_id: device.id.clone(),
            tenant_id: device.tenant_id.clone(),
            url,
            enabled_events: events,
            enabled: input.enabled.unwrap_or(true),
            retry_attempts: retry,
            timeout_secs: timeout,
            secret,
            headers,
            created_at: existing.as_ref().map_or(now, |w| w.created_at),
            updated_at: now,
        };
        Ok(self.store.put_webhook(&config).await?)
    }

    pub async fn get_webhook(&self, at: &Target) -> DomainResult<WebhookConfig> {
        let device = &self.device(at).await?;
        self.store
            .get_webhook(&device.tenant_id, &device.id)
            .await?
            .ok_or_else(|| DomainError::NotFound("no webhook configured for this device".into()))
    }

    pub async fn delete_webhook(&self, at: &Target) -> DomainResult<()> {
        let device = &self.device(at).await?;
        if self
            .store
            .delete_webhook(&device.tenant_id, &device.id)
            .await?
        {
            Ok(())
        } else {
            Err(DomainError::NotFound(
                "no webhook configured for this device".into(),
            ))
        }
    }
}

impl Services {
    /// Events of the device that exhausted their delivery attempts.
    pub async fn dead_letters(
        &self,
        at: &Target,
    ) -> DomainResult<Vec<wuts_store::events::DeadEvent>> {
        let device = &self.device(at).await?;
        Ok(self
            .store
            .dead_events(&device.tenant_id, &device.id)
            .await?)
    }

    /// Queues a dead event for delivery again (same id, so receivers can drop duplicates).
    pub async fn redeliver(&self, at: &Target, event_id: &str) -> DomainResult<()> {
        let device = &self.device(at).await?;
        if self
            .store
            .requeue_dead_event(&device.tenant_id, &device.id, event_id)
            .await?
        {
            Ok(())
        } else {
            Err(DomainError::NotFound(
                "no dead event with this id for this device".into(),
            ))
        }
    }
}

impl Services {
    /// The device's events after the one with id `after` (all when `None`), up to `limit`.
    pub async fn events_after(
        &self,
        device: &Device,
        after: Option<&str>,
        limit: i64,
    ) -> DomainResult<(i64, Vec<wuts_store::events::PendingEvent>)> {
        let seq = match after {
            Some(id) => self
                .store
                .event_seq(&device.tenant_id, &device.id, id)
                .await?
                .ok_or_else(|| DomainError::NotFound("unknown last event id".into()))?,
            None => 0,
        };
        Ok((
            seq,
            self.store
                .events_after(&device.tenant_id, &device.id, seq, limit)
                .await?,
        ))
    }

    /// The device's events after sequence `seq`.
    pub async fn events_after_seq(
        &self,
        device: &Device,
        seq: i64,
        limit: i64,
    ) -> DomainResult<Vec<wuts_store::events::PendingEvent>> {
        Ok(self
            .store
            .events_after(&device.tenant_id, &device.id, seq, limit)
            .await?)
    }

    /// Changes whenever an event is recorded.
    pub fn events_changed(&self) -> tokio::sync::watch::Receiver<u64> {
        self.store.events_changed()
    }
}
