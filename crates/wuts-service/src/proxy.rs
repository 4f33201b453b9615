//! WUTS "proxy": a tenant-wide outbound proxy and per-device overrides that win over it.
//! Admins and managers set the tenant's; a device's owner (or an admin or manager of its
//! tenant) sets the device's. Every change reconnects the running devices it affects: the one
//! device at once, a tenant's devices in the background, a few at a time.

use crate::Services;
use std::sync::Arc;
use std::time::Duration;
use wuts_core::error::DomainResult;
use wuts_core::proxy::ProxyUrl;
use wuts_core::{time, Device, DomainError, FieldError, Principal, Role};
pub use wuts_store::proxies::{DeviceProxy, ProxySource, StoredProxy};

/// Devices reconnecting at once after a tenant proxy change.
const RECONNECT_CONCURRENCY: usize = 4;
/// How long a device change waits for the device to be connected again before answering.
const RECONNECT_WAIT: Duration = Duration::from_secs(15);

/// The tenant's proxy and the overrides the caller may see.
pub struct ProxyOverview {
    pub tenant: Option<StoredProxy>,
    pub overrides: Vec<DeviceProxy>,
}

/// One device's override and the proxy it uses.
pub struct DeviceProxyView {
    pub device_id: String,
    pub over: Option<StoredProxy>,
    pub effective: Option<ProxyUrl>,
    pub source: ProxySource,
}

fn parse(raw: Option<&str>) -> DomainResult<ProxyUrl> {
    let raw = raw.unwrap_or_default();
    ProxyUrl::parse(raw).map_err(|m| DomainError::fields(vec![FieldError::new("proxy_url", m)]))
}

fn may_manage(caller: &Principal) -> bool {
    caller.role >= Role::Manager
}

impl Services {
    /// The tenant proxy, with every override of the tenant for admins and managers, and the
    /// overrides of the caller's own devices for a user.
    pub async fn proxy_overview(&self, caller: &Principal) -> DomainResult<ProxyOverview> {
        let tenant = self.store.tenant_proxy(&caller.tenant_id).await?;
        let mut overrides = self.store.device_proxies(&caller.tenant_id).await?;
        if !may_manage(caller) {
            let own: std::collections::HashSet<String> = self
                .store
                .list_user_devices(&caller.tenant_id, &caller.user_id)
                .await?
                .into_iter()
                .map(|(d, _)| d.id)
                .collect();
            overrides.retain(|o| own.contains(&o.device_id));
        }
        Ok(ProxyOverview { tenant, overrides })
    }

    /// Sets the tenant proxy; answers it and how many running devices reconnect to it.
    pub async fn set_tenant_proxy(
        &self,
        caller: &Principal,
        proxy_url: Option<&str>,
    ) -> DomainResult<(ProxyUrl, usize)> {
        let url = parse(proxy_url)?;
        if !may_manage(caller) {
            return Err(DomainError::Forbidden(
                "only admins and managers change the tenant proxy".into(),
            ));
        }
        let stored = StoredProxy {
            url: url.clone(),
            updated_at: time::now_millis(),
        };
        self.store
            .set_tenant_proxy(&caller.tenant_id, &stored)
            .await?;
        tracing::info!(tenant_id = %caller.tenant_id, proxy = %url, "tenant proxy set");
        let n = self.reconnect_tenant(&caller.tenant_id).await?;
        Ok((url, n))
    }

    /// Removes the tenant proxy; answers how many running devices reconnect without it.
    pub async fn delete_tenant_proxy(&self, caller: &Principal) -> DomainResult<usize> {
        if !may_manage(caller) {
            return Err(DomainError::Forbidden(
                "only admins and managers change the tenant proxy".into(),
            ));
        }
        if !self.store.delete_tenant_proxy(&caller.tenant_id).await? {
            return Err(DomainError::NotFound("the tenant has no proxy".into()));
        }
        tracing::info!(tenant_id = %caller.tenant_id, "tenant proxy removed");
        self.reconnect_tenant(&caller.tenant_id).await
    }

    /// The running devices of the tenant that follow the tenant proxy (no override of their
    /// own) reconnect in the background, a few at a time; answers how many.
    async fn reconnect_tenant(&self, tenant_id: &str) -> DomainResult<usize> {
        let with_override: std::collections::HashSet<String> = self
            .store
            .device_proxies(tenant_id)
            .await?
            .into_iter()
            .map(|o| o.device_id)
            .collect();
        let ids: Vec<String> = self
            .store
            .tenant_devices(tenant_id)
            .await?
            .into_iter()
            .map(|d| d.id)
            .filter(|id| !with_override.contains(id))
            .collect();
        let running = self.devices.running_among(&ids).await;
        let n = running.len();
        let devices = self.devices.clone();
        tokio::spawn(async move {
            let gate = Arc::new(tokio::sync::Semaphore::new(RECONNECT_CONCURRENCY));
            let mut tasks = tokio::task::JoinSet::new();
            for id in running {
                let (devices, gate) = (devices.clone(), gate.clone());
                tasks.spawn(async move {
                    let Ok(_permit) = gate.acquire().await else {
                        return;
                    };
                    let outcome = devices.reconnect(&id, RECONNECT_WAIT).await;
                    tracing::info!(device_id = %id, outcome, "reconnected for the tenant proxy");
                });
            }
            while tasks.join_next().await.is_some() {}
        });
        Ok(n)
    }

    /// A device of the caller's tenant that the caller may configure: their own, or any for an
    /// admin or manager.
    async fn proxy_device(&self, caller: &Principal, device_id: &str) -> DomainResult<Device> {
        let id = crate::uuid_field("deviceID", device_id)?;
        let device = self
            .store
            .get_device(&caller.tenant_id, &id)
            .await?
            .ok_or_else(|| DomainError::NotFound("device not found".into()))?;
        if device.user_id != caller.user_id && !may_manage(caller) {
            return Err(DomainError::Forbidden(
                "device belongs to another user".into(),
            ));
        }
        Ok(device)
    }

    pub async fn device_proxy(
        &self,
        caller: &Principal,
        device_id: &str,
    ) -> DomainResult<DeviceProxyView> {
        let device = self.proxy_device(caller, device_id).await?;
        let over = self.store.device_proxy(&device.id).await?;
        let (effective, source) = self.store.effective_proxy(&device.id).await?;
        Ok(DeviceProxyView {
            device_id: device.id,
            over,
            effective: effective.map(|p| p.url),
            source,
        })
    }

    /// Sets a device's override and reconnects the device through it; answers the override and
    /// how the reconnect went (`connected`, `connecting`, `offline`).
    pub async fn set_device_proxy(
        &self,
        caller: &Principal,
        device_id: &str,
        proxy_url: Option<&str>,
    ) -> DomainResult<(String, ProxyUrl, &'static str)> {
        let url = parse(proxy_url)?;
        let device = self.proxy_device(caller, device_id).await?;
        let stored = StoredProxy {
            url: url.clone(),
            updated_at: time::now_millis(),
        };
        self.store
            .set_device_proxy(&device.tenant_id, &device.id, &stored)
            .await?;
        tracing::info!(device_id = %device.id, proxy = %url, "device proxy set");
        let outcome = self.devices.reconnect(&device.id, RECONNECT_WAIT).await;
        Ok((device.id, url, outcome))
    }

    /// Removes a device's override; the device reconnects through its tenant's proxy or
    /// directly.
    pub async fn delete_device_proxy(
        &self,
        caller: &Principal,
        device_id: &str,
    ) -> DomainResult<(String, &'static str)> {
        let device = self.proxy_device(caller, device_id).await?;
        if !self.store.delete_device_proxy(&device.id).await? {
            return Err(DomainError::NotFound(
                "the device has no proxy override".into(),
            ));
        }
        tracing::info!(device_id = %device.id, "device proxy removed");
        let outcome = self.devices.reconnect(&device.id, RECONNECT_WAIT).await;
        Ok((device.id, outcome))
    }
}
