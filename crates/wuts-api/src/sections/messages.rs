//! WUTS "messages": sending text, delivery status, and delivery/read receipts.

use crate::error::{ApiResult, ErrorBody};
use crate::extract::DeviceQuery;
use crate::extract::Path;
use crate::extract::{DeviceCtx, DeviceJson};
use crate::AppState;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use wuts_core::time::rfc3339;
use wuts_service::messages::{Quoted, SendText};
use wuts_service::receipts::{ReceiptRequest, ReceiptSend};
use wuts_service::Target;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_text))
        .routes(routes!(message_status))
        .routes(routes!(mark_delivered))
        .routes(routes!(mark_read))
        .routes(routes!(request_retry))
        .routes(routes!(request_history))
        .routes(routes!(message_queue))
}

/// The message a reply quotes (WhatsApp's own shape).
#[derive(Deserialize, ToSchema)]
pub struct QuotedRequest {
    key: QuotedKey,
    message: Option<QuotedMessage>,
}

#[derive(Deserialize, ToSchema)]
pub struct QuotedKey {
    #[schema(required = true)]
    #[serde(default)]
    id: String,
    #[serde(default, rename = "fromMe")]
    from_me: bool,
}

#[derive(Deserialize, ToSchema)]
pub struct QuotedMessage {
    conversation: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct SendTextRequest {
    /// Phone number (normalised) or a user/group JID.
    #[schema(required = true)]
    #[serde(default)]
    number: String,
    /// 1–4096 characters.
    #[schema(required = true)]
    #[serde(default)]
    text: String,
    /// Seconds to wait before sending (0–60).
    delay: Option<f64>,
    /// Seconds of "typing…" shown before sending (0–60).
    #[serde(rename = "typingDuration")]
    typing_duration: Option<f64>,
    /// The message this one replies to.
    quoted: Option<QuotedRequest>,
    /// JIDs or phone numbers to mention (`mentioned` is accepted too).
    #[serde(default, alias = "mentioned")]
    mentions: Vec<String>,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SendMetadata {
    device_id: String,
    user_id: String,
    processing_time_ms: i64,
    presence_sent: bool,
    presence_duration_seconds: f64,
    mentions_processed: usize,
    quoted_message_found: bool,
    sent_at: String,
}

/// Both identities of the recipient (absent for groups, or when WhatsApp did not tell us).
#[derive(Serialize, ToSchema)]
pub struct Recipient {
    jid: String,
    phone_jid: Option<String>,
    lid: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SendResponse {
    success: bool,
    message_id: String,
    timestamp: String,
    status: &'static str,
    chat_jid: String,
    recipient: Recipient,
    metadata: SendMetadata,
}

/// Sends a text message (optionally a reply, with mentions, after a delay or "typing…").
#[utoipa::path(post, path = "/send/text", tag = "messages", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = SendTextRequest,
    responses((status = 200, body = SendResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn send_text(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<SendTextRequest>,
) -> ApiResult<axum::Json<SendResponse>> {
    let req = SendText {
        number: b.number,
        text: b.text,
        quoted: b.quoted.map(|q| Quoted {
            id: q.key.id,
            from_me: q.key.from_me,
            text: q.message.and_then(|m| m.conversation),
        }),
        mentions: b.mentions,
        delay: b.delay,
        typing: b.typing_duration,
    };
    let sent = s.services.send_text(&at, req).await?;
    Ok(axum::Json(SendResponse {
        success: true,
        message_id: sent.message_id,
        timestamp: rfc3339(sent.sent_at),
        status: "sent",
        recipient: Recipient {
            jid: sent.chat_jid.clone(),
            phone_jid: sent.recipient_pn,
            lid: sent.recipient_lid,
        },
        chat_jid: sent.chat_jid,
        metadata: SendMetadata {
            device_id: sent.device.id,
            user_id: at.principal().user_id.clone(),
            processing_time_ms: sent.processing_ms,
            presence_sent: sent.presence_sent,
            presence_duration_seconds: sent.presence_secs,
            mentions_processed: sent.mentions,
            quoted_message_found: sent.quoted_found,
            sent_at: rfc3339(sent.sent_at),
        },
    }))
}

#[derive(Serialize, ToSchema)]
pub struct StatusResponse {
    success: bool,
    message_id: String,
    chat_jid: String,
    is_group: bool,
    /// pending | delivered | read | played
    status: String,
    delivered_at: Option<String>,
    read_at: Option<String>,
    played_at: Option<String>,
    /// Groups only: each participant that sent a receipt, first delivered first.
    #[serde(skip_serializing_if = "Option::is_none")]
    participants: Option<Vec<ParticipantStatus>>,
}

#[derive(Serialize, ToSchema)]
pub struct ParticipantStatus {
    jid: String,
    /// delivered | read | played
    status: &'static str,
    delivered_at: Option<String>,
    read_at: Option<String>,
    played_at: Option<String>,
}

/// The delivery status of a message this device sent, from the receipts WhatsApp reported.
#[utoipa::path(get, path = "/messages/{id}/status", tag = "messages", security(("bearerAuth" = [])),
    params(("id" = String, Path, description = "message id"), DeviceQuery),
    responses((status = 200, body = StatusResponse), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn message_status(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<StatusResponse>> {
    let (m, per) = s.services.message_status(&at, &id).await?;
    let participants = m.is_group.then(|| {
        per.into_iter()
            .map(|p| ParticipantStatus {
                status: if p.played_at.is_some() {
                    "played"
                } else if p.read_at.is_some() {
                    "read"
                } else {
                    "delivered"
                },
                jid: p.participant,
                delivered_at: p.delivered_at.map(rfc3339),
                read_at: p.read_at.map(rfc3339),
                played_at: p.played_at.map(rfc3339),
            })
            .collect()
    });
    Ok(axum::Json(StatusResponse {
        participants,
        success: true,
        message_id: m.message_id,
        chat_jid: m.chat_jid,
        is_group: m.is_group,
        status: m.status,
        delivered_at: m.delivered_at.map(rfc3339),
        read_at: m.read_at.map(rfc3339),
        played_at: m.played_at.map(rfc3339),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct ReceiptBody {
    #[schema(required = true)]
    #[serde(default)]
    chat_jid: String,
    /// The author of the messages: required in groups, the chat otherwise.
    sender_jid: Option<String>,
    /// The messages (the path id when omitted).
    #[schema(required = true)]
    #[serde(default)]
    message_ids: Vec<String>,
    /// Unix seconds (read receipts only).
    timestamp: Option<i64>,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReceiptResponse {
    success: bool,
    chat_jid: String,
    sender_jid: String,
    message_ids: Vec<String>,
    /// delivered | read
    receipt_type: &'static str,
    timestamp: String,
}

async fn receipts(
    s: AppState,
    at: Target,
    id: String,
    b: ReceiptBody,
    kind: ReceiptSend,
) -> ApiResult<axum::Json<ReceiptResponse>> {
    let req = ReceiptRequest {
        chat_jid: b.chat_jid,
        sender_jid: b.sender_jid,
        message_ids: b.message_ids,
        timestamp: b.timestamp,
    };
    let r = s.services.send_receipts(&at, &id, kind, req).await?;
    Ok(axum::Json(ReceiptResponse {
        success: true,
        chat_jid: r.chat_jid,
        sender_jid: r.sender_jid,
        message_ids: r.message_ids,
        receipt_type: kind.as_str(),
        timestamp: rfc3339(r.at),
    }))
}

/// Sends delivery receipts (double grey ticks) for received messages.
#[utoipa::path(post, path = "/messages/{id}/delivered", tag = "messages", security(("bearerAuth" = [])),
    params(("id" = String, Path, description = "message id"), DeviceQuery), request_body = ReceiptBody,
    responses((status = 200, body = ReceiptResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn mark_delivered(
    State(s): State<AppState>,
    Path(id): Path<String>,
    DeviceJson { at, body: b }: DeviceJson<ReceiptBody>,
) -> ApiResult<axum::Json<ReceiptResponse>> {
    receipts(s, at, id, b, ReceiptSend::Delivered).await
}

/// Sends read receipts (blue ticks) for received messages.
#[utoipa::path(post, path = "/messages/{id}/read", tag = "messages", security(("bearerAuth" = [])),
    params(("id" = String, Path, description = "message id"), DeviceQuery), request_body = ReceiptBody,
    responses((status = 200, body = ReceiptResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn mark_read(
    State(s): State<AppState>,
    Path(id): Path<String>,
    DeviceJson { at, body: b }: DeviceJson<ReceiptBody>,
) -> ApiResult<axum::Json<ReceiptResponse>> {
    receipts(s, at, id, b, ReceiptSend::Read).await
}

/// Sends retry receipts, asking the sender's device to send messages again that this device
/// could not decrypt.
#[utoipa::path(post, path = "/messages/{id}/retry", tag = "messages", security(("bearerAuth" = [])),
    params(("id" = String, Path, description = "message id"), DeviceQuery), request_body = ReceiptBody,
    responses((status = 200, body = ReceiptResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn request_retry(
    State(s): State<AppState>,
    Path(id): Path<String>,
    DeviceJson { at, body: b }: DeviceJson<ReceiptBody>,
) -> ApiResult<axum::Json<ReceiptResponse>> {
    receipts(s, at, id, b, ReceiptSend::Retry).await
}

#[derive(Deserialize, ToSchema)]
pub struct HistoryRequestBody {
    #[schema(required = true)]
    #[serde(default)]
    chat_jid: String,
    /// The oldest message the caller has of the chat: history before it is asked for.
    #[schema(required = true)]
    #[serde(default)]
    last_message_id: String,
    #[serde(default)]
    last_message_from_me: bool,
    /// Unix seconds.
    last_message_timestamp: Option<i64>,
    /// Messages wanted (1-50; default 50).
    count: Option<i64>,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct HistoryRequestResponse {
    success: bool,
    message: String,
    chat_jid: String,
    requested_count: i64,
    request_id: String,
}

/// Asks the phone for older messages of one chat; they arrive as the `history.sync` event.
#[utoipa::path(post, path = "/messages/history/request", tag = "messages", security(("bearerAuth" = [])),
    params(DeviceQuery), request_body = HistoryRequestBody,
    responses((status = 200, body = HistoryRequestResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn request_history(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<HistoryRequestBody>,
) -> ApiResult<axum::Json<HistoryRequestResponse>> {
    let req = wuts_service::receipts::HistoryRequest {
        chat_jid: b.chat_jid,
        last_message_id: b.last_message_id,
        last_message_from_me: b.last_message_from_me,
        last_message_timestamp: b.last_message_timestamp,
        count: b.count,
    };
    let r = s.services.request_history(&at, req).await?;
    Ok(axum::Json(HistoryRequestResponse {
        success: true,
        message: format!(
            "History sync requested for {}; the messages arrive as the history.sync event",
            r.chat_jid
        ),
        chat_jid: r.chat_jid,
        requested_count: r.count,
        request_id: r.request_id,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct QueuedMessage {
    message_id: String,
    chat_jid: String,
    message_type: String,
    queued_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct QueueResponse {
    success: bool,
    device_id: String,
    count: usize,
    messages: Vec<QueuedMessage>,
}

/// The device's messages accepted and not yet handed to WhatsApp (paced sends, or waiting for
/// the device to reconnect), oldest first.
#[utoipa::path(get, path = "/messages/queue", tag = "messages", security(("bearerAuth" = [])),
    params(DeviceQuery),
    responses((status = 200, body = QueueResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn message_queue(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
) -> ApiResult<axum::Json<QueueResponse>> {
    let (device, queued) = s.services.queued_messages(&at).await?;
    Ok(axum::Json(QueueResponse {
        success: true,
        device_id: device.id,
        count: queued.len(),
        messages: queued
            .into_iter()
            .map(|m| QueuedMessage {
                message_id: m.message_id,
                chat_jid: m.chat_jid,
                message_type: m.message_type,
                queued_at: rfc3339(m.queued_at),
            })
            .collect(),
    }))
}

crate::extract::device_id_in_body!(HistoryRequestBody, ReceiptBody, SendTextRequest);
