//! WUTS "webhooks": per-device configuration and the event catalogue. (Delivery is its own crate.)

use crate::dto::{MessageResponse, WebhookDto};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Auth, DeviceCtx, DeviceJson, Json, Path};
use crate::AppState;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use wuts_core::events::EVENT_NAMES;
use wuts_service::webhooks::WebhookInput;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(put_webhook, get_webhook, delete_webhook))
        .routes(routes!(list_events))
        .routes(routes!(set_user_webhook))
        .routes(routes!(dead_letters))
        .routes(routes!(redeliver))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    /// https URL (http only when the operator allows it).
    #[schema(required = true)]
    #[serde(default)]
    webhook_url: String,
    /// At least one name from `GET /webhook/events`.
    #[schema(required = true)]
    #[serde(default)]
    enabled_events: Vec<String>,
    /// Default true.
    enabled: Option<bool>,
    /// 0–10, default 3.
    retry_attempts: Option<i64>,
    /// Seconds, 1–60, default 10.
    timeout: Option<i64>,
    /// Write-only signing secret; left out of an update, the stored one is kept; "" removes it.
    secret: Option<String>,
    /// Extra headers sent with each delivery.
    headers: Option<BTreeMap<String, String>>,
    /// The device to configure, when not in the query string.
    device_id: Option<String>,
}

crate::extract::device_id_in_body!(WebhookRequest);

#[derive(Serialize, ToSchema)]
pub struct WebhookSaved {
    success: bool,
    message: String,
    webhook: WebhookDto,
}

/// Create or update the device's webhook configuration.
#[utoipa::path(post, path = "/webhook", tag = "webhooks", security(("bearerAuth" = [])),
    params(("device_id" = Option<String>, Query, description = "Needed when the caller has several devices")),
    request_body = WebhookRequest,
    responses((status = 200, body = WebhookSaved), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn put_webhook(
    State(s): State<AppState>,
    req: DeviceJson<WebhookRequest>,
) -> ApiResult<axum::Json<WebhookSaved>> {
    let b = req.body;
    let input = WebhookInput {
        url: b.webhook_url,
        enabled_events: b.enabled_events,
        enabled: b.enabled,
        retry_attempts: b.retry_attempts,
        timeout: b.timeout,
        secret: b.secret,
        headers: b.headers,
    };
    let w = s.services.put_webhook(&req.at, input).await?;
    Ok(axum::Json(WebhookSaved {
        success: true,
        message: "Webhook configured successfully".into(),
        webhook: WebhookDto::from(&w),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct WebhookResponse {
    success: bool,
    webhook: WebhookDto,
}

/// The device's webhook configuration (without the secret).
#[utoipa::path(get, path = "/webhook", tag = "webhooks", security(("bearerAuth" = [])),
    params(("device_id" = Option<String>, Query, description = "Needed when the caller has several devices")),
    responses((status = 200, body = WebhookResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_webhook(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
) -> ApiResult<axum::Json<WebhookResponse>> {
    let w = s.services.get_webhook(&at).await?;
    Ok(axum::Json(WebhookResponse {
        success: true,
        webhook: WebhookDto::from(&w),
    }))
}

/// Remove the device's webhook configuration; deliveries stop.
#[utoipa::path(delete, path = "/webhook", tag = "webhooks", security(("bearerAuth" = [])),
    params(("device_id" = Option<String>, Query, description = "Needed when the caller has several devices")),
    responses((status = 200, body = MessageResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn delete_webhook(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
) -> ApiResult<axum::Json<MessageResponse>> {
    s.services.delete_webhook(&at).await?;
    Ok(axum::Json(MessageResponse::new(
        "Webhook deleted successfully",
    )))
}

#[derive(Serialize, ToSchema)]
pub struct EventsResponse {
    success: bool,
    events: Vec<&'static str>,
}

/// Every event name a webhook can subscribe to.
#[utoipa::path(get, path = "/webhook/events", tag = "webhooks", security(("bearerAuth" = [])),
    responses((status = 200, body = EventsResponse), (status = 401, body = ErrorBody)))]
async fn list_events(_: Auth) -> axum::Json<EventsResponse> {
    axum::Json(EventsResponse {
        success: true,
        events: EVENT_NAMES.to_vec(),
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserWebhookRequest {
    #[schema(required = true)]
    #[serde(default)]
    webhook_url: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserWebhookData {
    webhook_url: String,
    available_events: Vec<&'static str>,
    events_count: usize,
}

#[derive(Serialize, ToSchema)]
pub struct UserWebhookResponse {
    success: bool,
    message: String,
    data: UserWebhookData,
}

/// Stage a webhook URL on the caller; each device they create gets it with every event.
#[utoipa::path(post, path = "/user/webhook", tag = "webhooks", security(("bearerAuth" = [])),
    request_body = UserWebhookRequest,
    responses((status = 200, body = UserWebhookResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn set_user_webhook(
    State(s): State<AppState>,
    Auth(p): Auth,
    Json(b): Json<UserWebhookRequest>,
) -> ApiResult<axum::Json<UserWebhookResponse>> {
    let url = s.services.set_user_webhook(&p, &b.webhook_url).await?;
    Ok(axum::Json(UserWebhookResponse {
        success: true,
        message: "Webhook URL stored; it applies to the devices you create from now on".into(),
        data: UserWebhookData {
            webhook_url: url,
            available_events: EVENT_NAMES.to_vec(),
            events_count: EVENT_NAMES.len(),
        },
    }))
}

#[derive(Serialize, ToSchema)]
pub struct DeadLetter {
    /// The envelope id it was (and will be) delivered with.
    id: String,
    event: String,
    created_at: String,
    attempts: i64,
    last_error: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DeadLettersResponse {
    success: bool,
    events: Vec<DeadLetter>,
    count: usize,
}

/// Events of the device whose delivery failed after every retry (kept, never dropped).
#[utoipa::path(get, path = "/webhook/dead-letters", tag = "webhooks", security(("bearerAuth" = [])),
    params(("device_id" = Option<String>, Query, description = "Needed when the caller has several devices")),
    responses((status = 200, body = DeadLettersResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn dead_letters(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
) -> ApiResult<axum::Json<DeadLettersResponse>> {
    let events: Vec<DeadLetter> = s
        .services
        .dead_letters(&at)
        .await?
        .into_iter()
        .map(|e| DeadLetter {
            id: e.id,
            event: e.event,
            created_at: wuts_core::time::rfc3339(e.created_at),
            attempts: e.attempts,
            last_error: e.last_error,
        })
        .collect();
    Ok(axum::Json(DeadLettersResponse {
        success: true,
        count: events.len(),
        events,
    }))
}

/// Queues a dead event for delivery again, with the same id.
#[utoipa::path(post, path = "/webhook/dead-letters/{id}/redeliver", tag = "webhooks", security(("bearerAuth" = [])),
    params(("id" = String, Path, description = "Event id"),
        ("device_id" = Option<String>, Query, description = "Needed when the caller has several devices")),
    responses((status = 200, body = MessageResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn redeliver(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<MessageResponse>> {
    s.services.redeliver(&at, &id).await?;
    Ok(axum::Json(MessageResponse::new(
        "Event queued for redelivery",
    )))
}
