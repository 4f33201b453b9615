//! WUTS "instances": the device registry. (Pairing and connection arrive with the device runtime.)

use crate::dto::{DeviceDto, MessageResponse};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Auth, Json, Path};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use wuts_core::time::rfc3339;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_device, list_devices))
        .routes(routes!(delete_device))
        .routes(routes!(user_devices))
}

#[derive(Deserialize, ToSchema)]
pub struct CreateDeviceRequest {
    /// A display name; one is made up when left out.
    #[serde(default)]
    name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedDeviceIds {
    device_id: String,
    name: String,
}

/// Carries both shapes WUTS documents: `device` (reference page) and `data` (Quickstart).
#[derive(Serialize, ToSchema)]
pub struct CreateDeviceResponse {
    success: bool,
    message: String,
    device: DeviceDto,
    data: CreatedDeviceIds,
}

/// Register a new device for the caller; it starts disconnected and must be paired.
#[utoipa::path(post, path = "/devices", tag = "instances", security(("bearerAuth" = [])),
    request_body = CreateDeviceRequest,
    responses((status = 201, body = CreateDeviceResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn create_device(
    State(s): State<AppState>,
    Auth(p): Auth,
    Json(b): Json<CreateDeviceRequest>,
) -> ApiResult<(StatusCode, axum::Json<CreateDeviceResponse>)> {
    let (d, webhook_url) = s.services.create_device(&p, b.name.as_deref()).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CreateDeviceResponse {
            success: true,
            message: "Device created successfully".into(),
            data: CreatedDeviceIds {
                device_id: d.id.clone(),
                name: d.name.clone(),
            },
            device: DeviceDto::new(&d, webhook_url),
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct DevicesResponse {
    success: bool,
    devices: Vec<DeviceDto>,
}

/// Every device of the caller, in full.
#[utoipa::path(get, path = "/devices", tag = "instances", security(("bearerAuth" = [])),
    responses((status = 200, body = DevicesResponse), (status = 401, body = ErrorBody)))]
async fn list_devices(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> ApiResult<axum::Json<DevicesResponse>> {
    let devices = s.services.list_devices(&p).await?;
    Ok(axum::Json(DevicesResponse {
        success: true,
        devices: devices
            .into_iter()
            .map(|(d, url)| DeviceDto::new(&d, url))
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct DeviceSummary {
    id: String,
    name: String,
    connected: bool,
    last_seen: Option<String>,
    created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct DeviceSummaries {
    devices: Vec<DeviceSummary>,
    count: usize,
    user_id: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserDevicesResponse {
    success: bool,
    data: DeviceSummaries,
}

/// A summary of the caller's devices.
#[utoipa::path(get, path = "/user/devices", tag = "instances", security(("bearerAuth" = [])),
    responses((status = 200, body = UserDevicesResponse), (status = 401, body = ErrorBody)))]
async fn user_devices(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> ApiResult<axum::Json<UserDevicesResponse>> {
    let devices: Vec<DeviceSummary> = s
        .services
        .list_devices(&p)
        .await?
        .into_iter()
        .map(|(d, _)| DeviceSummary {
            id: d.id,
            name: d.name,
            connected: d.connected,
            last_seen: d.last_seen.map(rfc3339),
            created_at: rfc3339(d.created_at),
        })
        .collect();
    Ok(axum::Json(UserDevicesResponse {
        success: true,
        data: DeviceSummaries {
            count: devices.len(),
            devices,
            user_id: p.user_id,
        },
    }))
}

/// Remove one of the caller's devices: its session is dropped and its record, configuration and
/// stored state are deleted.
#[utoipa::path(delete, path = "/devices/{deviceID}", tag = "instances", security(("bearerAuth" = [])),
    params(("deviceID" = uuid::Uuid, Path, description = "Device id (UUID)")),
    responses((status = 200, body = MessageResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_device(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(device_id): Path<String>,
) -> ApiResult<axum::Json<MessageResponse>> {
    s.services.delete_device(&p, &device_id).await?;
    Ok(axum::Json(MessageResponse::new("Device disconnected")))
}
