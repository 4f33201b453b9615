//! WUTS "labels" (WhatsApp Business): `PUT /labels/{labelId}`, labels on chats and messages,
//! and (ours) `GET /labels`.

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{DeviceCtx, DeviceJson, DeviceQuery, Path, Query};
use crate::AppState;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_labels))
        .routes(routes!(edit_label))
        .routes(routes!(label_chat))
        .routes(routes!(unlabel_chat))
        .routes(routes!(label_message))
        .routes(routes!(unlabel_message))
}

#[derive(Serialize, ToSchema)]
pub struct LabelDto {
    label_id: String,
    name: Option<String>,
    /// WhatsApp's colour index (0–19).
    color: Option<i64>,
    /// How many chats and messages carry it.
    chats: i64,
    messages: i64,
}

#[derive(Serialize, ToSchema)]
pub struct LabelsResponse {
    success: bool,
    labels: Vec<LabelDto>,
    count: usize,
}

/// The device's labels (ours: the catalogue has no list).
#[utoipa::path(get, path = "/labels", tag = "labels", security(("bearerAuth" = [])), params(DeviceQuery),
    responses((status = 200, body = LabelsResponse), (status = 401, body = ErrorBody)))]
async fn list_labels(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
) -> ApiResult<axum::Json<LabelsResponse>> {
    let labels: Vec<LabelDto> = s
        .services
        .labels(&at)
        .await?
        .into_iter()
        .map(|l| LabelDto {
            label_id: l.label_id,
            name: l.name,
            color: l.color,
            chats: l.chats,
            messages: l.messages,
        })
        .collect();
    Ok(axum::Json(LabelsResponse {
        success: true,
        count: labels.len(),
        labels,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditBody {
    /// Needed for a new label; at most 100 characters.
    name: Option<String>,
    /// WhatsApp's colour index, 0–19.
    color: Option<i64>,
    /// true deletes the label (its chats and messages lose it).
    #[serde(default)]
    deleted: bool,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EditResponse {
    success: bool,
    label_id: String,
    name: Option<String>,
    color: Option<i64>,
    deleted: bool,
}

/// Creates, renames, recolours or deletes a label.
#[utoipa::path(put, path = "/labels/{labelId}", tag = "labels", security(("bearerAuth" = [])),
    params(("labelId" = String, Path, description = "label id"), DeviceQuery),
    request_body = EditBody,
    responses((status = 200, body = EditResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn edit_label(
    State(s): State<AppState>,
    Path(id): Path<String>,
    DeviceJson { at, body: b }: DeviceJson<EditBody>,
) -> ApiResult<axum::Json<EditResponse>> {
    let l = s
        .services
        .edit_label(&at, &id, b.name.as_deref(), b.color, b.deleted)
        .await?;
    Ok(axum::Json(EditResponse {
        success: true,
        label_id: l.label_id,
        name: l.name,
        color: l.color,
        deleted: l.deleted,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatLabelBody {
    #[schema(required = true)]
    #[serde(default)]
    label_id: String,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ChatLabelResponse {
    success: bool,
    chat_jid: String,
    label_id: String,
    labeled: bool,
}

/// Puts a label on a chat.
#[utoipa::path(post, path = "/chats/{jid}/labels", tag = "labels", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "chat JID or phone number"), DeviceQuery),
    request_body = ChatLabelBody,
    responses((status = 200, body = ChatLabelResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn label_chat(
    State(s): State<AppState>,
    Path(jid): Path<String>,
    DeviceJson { at, body: b }: DeviceJson<ChatLabelBody>,
) -> ApiResult<axum::Json<ChatLabelResponse>> {
    let chat = s.services.label_chat(&at, &jid, &b.label_id, true).await?;
    Ok(axum::Json(ChatLabelResponse {
        success: true,
        chat_jid: chat,
        label_id: b.label_id.trim().to_string(),
        labeled: true,
    }))
}

/// Takes a label off a chat.
#[utoipa::path(delete, path = "/chats/{jid}/labels/{labelId}", tag = "labels", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "chat JID or phone number"), ("labelId" = String, Path, description = "label id"), DeviceQuery),
    responses((status = 200, body = ChatLabelResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn unlabel_chat(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
    Path((jid, label)): Path<(String, String)>,
) -> ApiResult<axum::Json<ChatLabelResponse>> {
    let chat = s.services.label_chat(&at, &jid, &label, false).await?;
    Ok(axum::Json(ChatLabelResponse {
        success: true,
        chat_jid: chat,
        label_id: label.trim().to_string(),
        labeled: false,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageLabelBody {
    #[schema(required = true)]
    #[serde(default)]
    label_id: String,
    #[schema(required = true)]
    chat_jid: Option<String>,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MessageLabelResponse {
    success: bool,
    chat_jid: String,
    message_id: String,
    label_id: String,
    labeled: bool,
}

/// Puts a label on a message.
#[utoipa::path(post, path = "/messages/{id}/labels", tag = "labels", security(("bearerAuth" = [])),
    params(("id" = String, Path, description = "message id"), DeviceQuery),
    request_body = MessageLabelBody,
    responses((status = 200, body = MessageLabelResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn label_message(
    State(s): State<AppState>,
    Path(id): Path<String>,
    DeviceJson { at, body: b }: DeviceJson<MessageLabelBody>,
) -> ApiResult<axum::Json<MessageLabelResponse>> {
    let chat = s
        .services
        .label_message(&at, &id, b.chat_jid.as_deref(), &b.label_id, true)
        .await?;
    Ok(axum::Json(MessageLabelResponse {
        success: true,
        chat_jid: chat,
        message_id: id.trim().to_string(),
        label_id: b.label_id.trim().to_string(),
        labeled: true,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnlabelQuery {
    /// Read by the device extractor; here for the OpenAPI document.
    #[allow(dead_code)]
    device_id: Option<String>,
    /// The message's chat (required).
    chat_jid: Option<String>,
}

/// Takes a label off a message.
#[utoipa::path(delete, path = "/messages/{id}/labels/{labelId}", tag = "labels", security(("bearerAuth" = [])),
    params(("id" = String, Path, description = "message id"), ("labelId" = String, Path, description = "label id"), UnlabelQuery),
    responses((status = 200, body = MessageLabelResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn unlabel_message(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
    Path((id, label)): Path<(String, String)>,
    Query(q): Query<UnlabelQuery>,
) -> ApiResult<axum::Json<MessageLabelResponse>> {
    let chat = s
        .services
        .label_message(&at, &id, q.chat_jid.as_deref(), &label, false)
        .await?;
    Ok(axum::Json(MessageLabelResponse {
        success: true,
        chat_jid: chat,
        message_id: id.trim().to_string(),
        label_id: label.trim().to_string(),
        labeled: false,
    }))
}

crate::extract::device_id_in_body!(EditBody, ChatLabelBody, MessageLabelBody);
