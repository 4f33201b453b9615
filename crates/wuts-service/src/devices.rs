//! The device registry and the one rule for picking a request's device.

use crate::{uuid_field, Services};
use std::sync::Arc;
use tokio::sync::OnceCell;
use wuts_core::error::DomainResult;
use wuts_core::events::EVENT_NAMES;
use wuts_core::{time, validate, Device, DomainError, FieldError, Principal, WebhookConfig};

pub(crate) fn new_webhook_id() -> String {
    format!("wh_{}", uuid::Uuid::new_v4().simple())
}

/// The device a request acts on: the caller and the `device_id` they named (query string or
/// body), chosen by the one rule of `Services::resolve_device` the first time a use case asks for it and
/// kept for the rest of the request. A use case checks its fields first and asks for the
/// device after, so that field errors come before device errors (404, 403, 409), whichever
/// layer built the target.
pub struct Target {
    principal: Principal,
    requested: Option<String>,
    device: OnceCell<Device>,
}

impl Target {
    pub fn new(principal: Principal, device_id: Option<String>) -> Self {
        Target {
            principal,
            requested: device_id,
            device: OnceCell::new(),
        }
    }

    /// A target whose device is already known.
    pub fn resolved(principal: Principal, device: Device) -> Self {
        Target {
            principal,
            requested: Some(device.id.clone()),
            device: OnceCell::new_with(Some(device)),
        }
    }

    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The `device_id` the caller named, if any (blank counts as none).
    pub fn requested(&self) -> Option<&str> {
        self.requested
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}

impl Services {
    /// The target's device (chosen once per request).
    pub async fn device(&self, at: &Target) -> DomainResult<Device> {
        at.device
            .get_or_try_init(|| self.resolve_device(&at.principal, at.requested.as_deref()))
            .await
            .cloned()
    }

    /// The target's device and its live runtime, when connected; else `DEVICE_NOT_READY`: the
    /// one way the use cases ask whether a device is connected.
    pub async fn live(&self, at: &Target) -> DomainResult<(Device, Arc<wuts_device::LiveDevice>)> {
        let device = self.device(at).await?;
        let live = self.connected_device(&device).await?;
        Ok((device, live))
    }

    /// Registers a device for the caller (disconnected). A webhook URL staged on the user is
    /// applied to it with every event; that URL is the second value.
    pub async fn create_device(
        &self,
        caller: &Principal,
        name: Option<&str>,
    ) -> DomainResult<(Device, Option<String>)> {
        let now = time::now_millis();
        let name = match name.map(str::trim) {
            None | Some("") => {
                format!("device-{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
            }
            Some(n) => validate::name("name", n)?,
        };
        let device = Device {
            id: uuid::Uuid::new_v4().to_string(),
            tenant_id: caller.tenant_id.clone(),
            user_id: caller.user_id.clone(),
            name,
            jid: None,
            phone_number: None,
            connected: false,
            last_seen: None,
            created_at: now,
            updated_at: now,
        };
        let staged = self
            .store
            .get_user(&caller.tenant_id, &caller.user_id)
            .await?
            .and_then(|u| u.pending_webhook_url);
        let webhook = staged.map(|url| WebhookConfig {
            id: new_webhook_id(),
            device_id: device.id.clone(),
            tenant_id: caller.tenant_id.clone(),
            url,
            enabled_events: EVENT_NAMES.iter().map(|s| s.to_string()).collect(),
            enabled: true,
            retry_attempts: 3,
            timeout_secs: 10,
            secret: None,
            headers: Default::default(),
            created_at: now,
            updated_at: now,
        });
        self.store.create_device(&device, webhook.as_ref()).await?;
        Ok((device, webhook.map(|w| w.url)))
    }

    /// The caller's devices, each with its webhook URL.
    pub async fn list_devices(
        &self,
        caller: &Principal,
    ) -> DomainResult<Vec<(Device, Option<String>)>> {
        let mut devices = self
            .store
            .list_user_devices(&caller.tenant_id, &caller.user_id)
            .await?;
        // `connected` is the live state: the stored flag is only what the last run saw (after
        // a restart, every device is shown disconnected until its runtime is back).
        for (d, _) in &mut devices {
            d.connected = self.connected_now(d).await;
        }
        Ok(devices)
    }

    /// The device a request acts on: `device_id` when given (it must be the caller's own), else
    /// the caller's only device. Another tenant's device is "not found"; another user's device
    /// of the same tenant is "forbidden".
    async fn resolve_device(
        &self,
        caller: &Principal,
        device_id: Option<&str>,
    ) -> DomainResult<Device> {
        match device_id.map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => {
                let id = uuid_field("device_id", raw)?;
                let device = self
                    .store
                    .get_device(&caller.tenant_id, &id)
                    .await?
                    .ok_or_else(|| DomainError::NotFound("device not found".into()))?;
                if device.user_id != caller.user_id {
                    return Err(DomainError::Forbidden(
                        "device belongs to another user".into(),
                    ));
                }
                Ok(device)
            }
            None => {
                let mut devices = self
                    .store
                    .list_user_devices(&caller.tenant_id, &caller.user_id)
                    .await?;
                match devices.len() {
                    0 => Err(DomainError::NotFound(
                        "no device: create one with POST /devices".into(),
                    )),
                    1 => Ok(devices.remove(0).0),
                    n => Err(DomainError::fields(vec![FieldError::new(
                        "device_id",
                        format!("is required: you have {n} devices, name one with device_id"),
                    )])),
                }
            }
        }
    }

    /// Removes one of the caller's devices with its configuration.
    pub async fn delete_device(&self, caller: &Principal, device_id: &str) -> DomainResult<Device> {
        let at = Target::new(caller.clone(), Some(device_id.to_string()));
        let device = self.device(&at).await?;
        self.retire_device(&device).await;
        self.store
            .delete_device(&caller.tenant_id, &device.id)
            .await?;
        Ok(device)
    }
}
