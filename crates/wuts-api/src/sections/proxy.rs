//! WUTS "proxy": `GET|PUT|DELETE /proxy` (the tenant's) and
//! `GET|PUT|DELETE /devices/{deviceID}/proxy` (a device's override). Passwords are masked
//! (`***`) in every answer.

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Auth, Json, Path};
use crate::AppState;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use wuts_core::time::rfc3339;
use wuts_service::proxy::StoredProxy;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_tenant, put_tenant, delete_tenant))
        .routes(routes!(get_device, put_device, delete_device))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProxyBody {
    /// `socks5://[user:pass@]host:port`, `socks5h://...` (the proxy resolves WhatsApp's host
    /// name) or `http://[user:pass@]host:port` (HTTP `CONNECT`).
    #[schema(required = true, example = "socks5://user:pass@proxy.example:1080")]
    proxy_url: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ProxyEntry {
    /// Password masked as `***`.
    proxy_url: String,
    updated_at: String,
}

fn entry(p: StoredProxy) -> ProxyEntry {
    ProxyEntry {
        proxy_url: p.url.masked(),
        updated_at: rfc3339(p.updated_at),
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeviceOverride {
    device_id: String,
    proxy_url: String,
    updated_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct TenantProxyResponse {
    success: bool,
    /// `null` when the tenant has none.
    tenant_proxy: Option<ProxyEntry>,
    /// Admins and managers see every device's; a user sees their own devices'.
    device_overrides: Vec<DeviceOverride>,
}

/// The tenant's proxy and the per-device overrides.
#[utoipa::path(get, path = "/proxy", tag = "proxy", security(("bearerAuth" = [])),
    responses((status = 200, body = TenantProxyResponse), (status = 401, body = ErrorBody)))]
async fn get_tenant(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> ApiResult<axum::Json<TenantProxyResponse>> {
    let o = s.services.proxy_overview(&p).await?;
    Ok(axum::Json(TenantProxyResponse {
        success: true,
        tenant_proxy: o.tenant.map(entry),
        device_overrides: o
            .overrides
            .into_iter()
            .map(|d| DeviceOverride {
                device_id: d.device_id,
                proxy_url: d.proxy.url.masked(),
                updated_at: rfc3339(d.proxy.updated_at),
            })
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct TenantSetResponse {
    success: bool,
    #[schema(example = "tenant")]
    scope: &'static str,
    proxy_url: String,
    /// Running devices without an override of their own, reconnecting in the background.
    reconnecting_devices: usize,
}

/// Sets the proxy of every device of the tenant without an override (admins and managers);
/// running devices reconnect through it in the background, others use it when they connect.
#[utoipa::path(put, path = "/proxy", tag = "proxy", security(("bearerAuth" = [])),
    request_body = ProxyBody,
    responses((status = 200, body = TenantSetResponse), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn put_tenant(
    State(s): State<AppState>,
    Auth(p): Auth,
    Json(b): Json<ProxyBody>,
) -> ApiResult<axum::Json<TenantSetResponse>> {
    let (url, n) = s
        .services
        .set_tenant_proxy(&p, b.proxy_url.as_deref())
        .await?;
    Ok(axum::Json(TenantSetResponse {
        success: true,
        scope: "tenant",
        proxy_url: url.masked(),
        reconnecting_devices: n,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct TenantDeleteResponse {
    success: bool,
    #[schema(example = "tenant")]
    scope: &'static str,
    deleted: bool,
    reconnecting_devices: usize,
}

/// Removes the tenant's proxy (admins and managers); its running devices reconnect directly.
#[utoipa::path(delete, path = "/proxy", tag = "proxy", security(("bearerAuth" = [])),
    responses((status = 200, body = TenantDeleteResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_tenant(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> ApiResult<axum::Json<TenantDeleteResponse>> {
    let n = s.services.delete_tenant_proxy(&p).await?;
    Ok(axum::Json(TenantDeleteResponse {
        success: true,
        scope: "tenant",
        deleted: true,
        reconnecting_devices: n,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Effective {
    /// What the device connects through (`null`: directly), password masked.
    proxy_url: Option<String>,
    /// `device`, `tenant` or `none`.
    #[schema(example = "device")]
    source: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct DeviceProxyResponse {
    success: bool,
    device_id: String,
    /// The device's own proxy; `null` when it has none.
    #[serde(rename = "override")]
    over: Option<ProxyEntry>,
    effective: Effective,
}

/// A device's proxy override and the proxy it uses.
#[utoipa::path(get, path = "/devices/{deviceID}/proxy", tag = "proxy", security(("bearerAuth" = [])),
    params(("deviceID" = uuid::Uuid, Path, description = "Device id (UUID)")),
    responses((status = 200, body = DeviceProxyResponse), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_device(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(device_id): Path<String>,
) -> ApiResult<axum::Json<DeviceProxyResponse>> {
    let v = s.services.device_proxy(&p, &device_id).await?;
    Ok(axum::Json(DeviceProxyResponse {
        success: true,
        device_id: v.device_id,
        over: v.over.map(entry),
        effective: Effective {
            proxy_url: v.effective.map(|u| u.masked()),
            source: v.source.as_str(),
        },
    }))
}

#[derive(Serialize, ToSchema)]
pub struct DeviceSetResponse {
    success: bool,
    #[schema(example = "device")]
    scope: &'static str,
    device_id: String,
    proxy_url: String,
    /// `connected` (connected again through it), `connecting` (still on its way, or failing:
    /// see `GET /status`) or `offline` (not running; it uses the proxy when it connects).
    #[schema(example = "connected")]
    reconnect: &'static str,
}

/// Sets a device's own proxy (it wins over the tenant's); the device reconnects through it.
#[utoipa::path(put, path = "/devices/{deviceID}/proxy", tag = "proxy", security(("bearerAuth" = [])),
    params(("deviceID" = uuid::Uuid, Path, description = "Device id (UUID)")),
    request_body = ProxyBody,
    responses((status = 200, body = DeviceSetResponse), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn put_device(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(device_id): Path<String>,
    Json(b): Json<ProxyBody>,
) -> ApiResult<axum::Json<DeviceSetResponse>> {
    let (id, url, reconnect) = s
        .services
        .set_device_proxy(&p, &device_id, b.proxy_url.as_deref())
        .await?;
    Ok(axum::Json(DeviceSetResponse {
        success: true,
        scope: "device",
        device_id: id,
        proxy_url: url.masked(),
        reconnect,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct DeviceDeleteResponse {
    success: bool,
    #[schema(example = "device")]
    scope: &'static str,
    device_id: String,
    deleted: bool,
    /// As for `PUT`.
    #[schema(example = "connected")]
    reconnect: &'static str,
}

/// Removes a device's own proxy; it reconnects through the tenant's proxy or directly.
#[utoipa::path(delete, path = "/devices/{deviceID}/proxy", tag = "proxy", security(("bearerAuth" = [])),
    params(("deviceID" = uuid::Uuid, Path, description = "Device id (UUID)")),
    responses((status = 200, body = DeviceDeleteResponse), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_device(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(device_id): Path<String>,
) -> ApiResult<axum::Json<DeviceDeleteResponse>> {
    let (id, reconnect) = s.services.delete_device_proxy(&p, &device_id).await?;
    Ok(axum::Json(DeviceDeleteResponse {
        success: true,
        scope: "device",
        device_id: id,
        deleted: true,
        reconnect,
    }))
}
