//! WUTS "messages": sending (text so far).

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Auth, Json, Query};
use crate::AppState;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use wuts_core::time::rfc3339;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(send_text))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeviceQuery {
    device_id: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct SendTextRequest {
    /// Phone number (normalised) or a user/group JID.
    #[serde(default)]
    number: String,
    /// 1–4096 characters.
    #[serde(default)]
    text: String,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SendMetadata {
    device_id: String,
    user_id: String,
    processing_time_ms: i64,
    sent_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct SendResponse {
    success: bool,
    message_id: String,
    timestamp: String,
    status: &'static str,
    chat_jid: String,
    metadata: SendMetadata,
}

/// Sends a text message.
#[utoipa::path(post, path = "/send/text", tag = "messages", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = SendTextRequest,
    responses((status = 200, body = SendResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn send_text(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<DeviceQuery>,
    Json(b): Json<SendTextRequest>,
) -> ApiResult<axum::Json<SendResponse>> {
    let device_id = q.device_id.as_deref().or(b.device_id.as_deref());
    let sent = s
        .services
        .send_text(&p, device_id, &b.number, &b.text)
        .await?;
    Ok(axum::Json(SendResponse {
        success: true,
        message_id: sent.message_id,
        timestamp: rfc3339(sent.sent_at),
        status: "sent",
        chat_jid: sent.chat_jid,
        metadata: SendMetadata {
            device_id: sent.device.id,
            user_id: p.user_id,
            processing_time_ms: sent.processing_ms,
            sent_at: rfc3339(sent.sent_at),
        },
    }))
}
