//! WUTS "calls": `POST /calls/reject`, and (ours) the device's incoming-call policy,
//! `GET|PUT /calls/settings`.

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{DeviceCtx, DeviceJson, DeviceQuery};
use crate::AppState;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use wuts_service::calls::CallSettings;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(reject))
        .routes(routes!(get_settings, set_settings))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    /// The `call_id` of the `call.offer` event.
    #[schema(required = true)]
    #[serde(default)]
    call_id: String,
    /// The caller (the event's `from`); needed only for a call this device did not hear ring.
    from: Option<String>,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RejectResponse {
    success: bool,
}

/// Rejects an incoming call (best effort: WhatsApp may let the phone keep ringing).
#[utoipa::path(post, path = "/calls/reject", tag = "calls", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = RejectBody,
    responses((status = 200, body = RejectResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn reject(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<RejectBody>,
) -> ApiResult<axum::Json<RejectResponse>> {
    s.services
        .reject_call(&at, &b.call_id, b.from.as_deref())
        .await?;
    Ok(axum::Json(RejectResponse { success: true }))
}

#[derive(Serialize, ToSchema)]
pub struct SettingsResponse {
    success: bool,
    device_id: String,
    /// Every incoming call is rejected at once.
    reject_calls: bool,
    /// Sent to the caller of a rejected call.
    reject_message: Option<String>,
}

fn settings(device_id: String, c: CallSettings) -> axum::Json<SettingsResponse> {
    axum::Json(SettingsResponse {
        success: true,
        device_id,
        reject_calls: c.reject_calls,
        reject_message: c.reject_message,
    })
}

/// The device's incoming-call policy.
#[utoipa::path(get, path = "/calls/settings", tag = "calls", security(("bearerAuth" = [])), params(DeviceQuery),
    responses((status = 200, body = SettingsResponse), (status = 401, body = ErrorBody)))]
async fn get_settings(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
) -> ApiResult<axum::Json<SettingsResponse>> {
    let (id, c) = s.services.call_settings(&at).await?;
    Ok(settings(id, c))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsBody {
    #[schema(required = true)]
    reject_calls: Option<bool>,
    /// At most 1,024 characters; empty or absent sends nothing.
    reject_message: Option<String>,
    device_id: Option<String>,
}

/// Sets the device's incoming-call policy: reject every call, with a message to the caller.
#[utoipa::path(put, path = "/calls/settings", tag = "calls", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = SettingsBody,
    responses((status = 200, body = SettingsResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn set_settings(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<SettingsBody>,
) -> ApiResult<axum::Json<SettingsResponse>> {
    let (id, c) = s
        .services
        .set_call_settings(&at, b.reject_calls, b.reject_message)
        .await?;
    Ok(settings(id, c))
}

crate::extract::device_id_in_body!(RejectBody, SettingsBody);
