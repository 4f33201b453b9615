//! WUTS "messages": the send endpoints beyond text that need no media (location, contact
//! cards, polls, reactions), and editing and deleting sent messages.

use crate::error::{ApiResult, ErrorBody};
use crate::extract::DeviceJson;
use crate::extract::DeviceQuery;
use crate::extract::Path;
use crate::AppState;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use wuts_core::time::rfc3339;
use wuts_service::message_kinds::{ContactCard, DeleteType, LiveLocation, Location, SentKind};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_location))
        .routes(routes!(send_live_location))
        .routes(routes!(send_contact))
        .routes(routes!(send_contacts))
        .routes(routes!(send_poll))
        .routes(routes!(send_reaction))
        .routes(routes!(edit_message))
        .routes(routes!(delete_message))
}

/// `{success, message_id, timestamp, message}`, as WUTS answers these sends.
#[derive(Serialize, ToSchema)]
pub struct KindResponse {
    success: bool,
    message_id: String,
    timestamp: String,
    message: &'static str,
    chat_jid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact_count: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    options_count: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    multiple_choice: Option<bool>,
}

pub(crate) fn kind_response(sent: SentKind, message: &'static str) -> KindResponse {
    KindResponse {
        success: true,
        message_id: sent.message_id,
        timestamp: rfc3339(sent.sent_at),
        message,
        chat_jid: sent.chat_jid,
        contact_count: None,
        options_count: None,
        multiple_choice: None,
    }
}

#[derive(Deserialize, ToSchema)]
pub struct LocationRequest {
    #[schema(required = true)]
    #[serde(default)]
    to: String,
    #[schema(required = true)]
    latitude: Option<f64>,
    #[schema(required = true)]
    longitude: Option<f64>,
    name: Option<String>,
    address: Option<String>,
    url: Option<String>,
    comment: Option<String>,
    device_id: Option<String>,
}

/// Sends a static location.
#[utoipa::path(post, path = "/send/location", tag = "messages", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = LocationRequest,
    responses((status = 200, body = KindResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn send_location(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<LocationRequest>,
) -> ApiResult<axum::Json<KindResponse>> {
    let location = Location {
        latitude: b.latitude,
        longitude: b.longitude,
        name: b.name,
        address: b.address,
        url: b.url,
        comment: b.comment,
    };
    let sent = s.services.send_location(&at, &b.to, location).await?;
    Ok(axum::Json(kind_response(
        sent,
        "Location sent successfully",
    )))
}

#[derive(Deserialize, ToSchema)]
pub struct LiveLocationRequest {
    #[schema(required = true)]
    #[serde(default)]
    to: String,
    #[schema(required = true)]
    latitude: Option<f64>,
    #[schema(required = true)]
    longitude: Option<f64>,
    accuracy_in_meters: Option<u32>,
    speed_in_mps: Option<f32>,
    degrees_clockwise_from_magnetic_north: Option<u32>,
    caption: Option<String>,
    sequence_number: Option<i64>,
    time_offset: Option<u32>,
    /// Accepted; WhatsApp's live-location message has no duration field (see docs/compat.md).
    #[allow(dead_code)]
    duration_in_seconds: Option<u32>,
    device_id: Option<String>,
}

/// Sends one point of a live location.
#[utoipa::path(post, path = "/send/live-location", tag = "messages", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = LiveLocationRequest,
    responses((status = 200, body = KindResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn send_live_location(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<LiveLocationRequest>,
) -> ApiResult<axum::Json<KindResponse>> {
    let point = LiveLocation {
        latitude: b.latitude,
        longitude: b.longitude,
        accuracy_in_meters: b.accuracy_in_meters,
        speed_in_mps: b.speed_in_mps,
        degrees_clockwise_from_magnetic_north: b.degrees_clockwise_from_magnetic_north,
        caption: b.caption,
        sequence_number: b.sequence_number,
        time_offset: b.time_offset,
    };
    let sent = s.services.send_live_location(&at, &b.to, point).await?;
    Ok(axum::Json(kind_response(
        sent,
        "Live location sent successfully",
    )))
}

#[derive(Deserialize, ToSchema, Default)]
pub struct ContactEntry {
    #[schema(required = true)]
    #[serde(default)]
    display_name: String,
    #[schema(required = true)]
    #[serde(default)]
    phone: String,
    first_name: Option<String>,
    last_name: Option<String>,
    company: Option<String>,
    email: Option<String>,
}

impl From<ContactEntry> for ContactCard {
    fn from(c: ContactEntry) -> Self {
        ContactCard {
            display_name: c.display_name,
            phone: c.phone,
            first_name: c.first_name,
            last_name: c.last_name,
            company: c.company,
            email: c.email,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct ContactRequest {
    #[schema(required = true)]
    #[serde(default)]
    to: String,
    #[schema(required = true)]
    #[serde(default)]
    contact: ContactEntry,
    device_id: Option<String>,
}

/// Sends one contact card (vCard).
#[utoipa::path(post, path = "/send/contact", tag = "messages", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = ContactRequest,
    responses((status = 200, body = KindResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn send_contact(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<ContactRequest>,
) -> ApiResult<axum::Json<KindResponse>> {
    let sent = s
        .services
        .send_contacts(&at, &b.to, vec![b.contact.into()], "contact")
        .await?;
    Ok(axum::Json(kind_response(sent, "Contact sent successfully")))
}

#[derive(Deserialize, ToSchema)]
pub struct ContactsRequest {
    #[schema(required = true)]
    #[serde(default)]
    to: String,
    #[schema(required = true)]
    #[serde(default)]
    contacts: Vec<ContactEntry>,
    device_id: Option<String>,
}

/// Sends several contact cards in one message.
#[utoipa::path(post, path = "/send/contacts", tag = "messages", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = ContactsRequest,
    responses((status = 200, body = KindResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn send_contacts(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<ContactsRequest>,
) -> ApiResult<axum::Json<KindResponse>> {
    let count = b.contacts.len();
    let cards = b.contacts.into_iter().map(Into::into).collect();
    let sent = s
        .services
        .send_contacts(&at, &b.to, cards, "contacts")
        .await?;
    let mut r = kind_response(sent, "Contacts sent successfully");
    r.contact_count = Some(count);
    Ok(axum::Json(r))
}

#[derive(Deserialize, ToSchema)]
pub struct PollOption {
    #[schema(required = true)]
    #[serde(default)]
    option_name: String,
}

#[derive(Deserialize, ToSchema)]
pub struct PollRequest {
    #[schema(required = true)]
    #[serde(default)]
    to: String,
    #[schema(required = true)]
    #[serde(default)]
    question: String,
    #[schema(required = true)]
    #[serde(default)]
    options: Vec<PollOption>,
    #[serde(default)]
    allow_multiple_answers: bool,
    device_id: Option<String>,
}

/// Sends a poll (2–12 options).
#[utoipa::path(post, path = "/send/poll", tag = "messages", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = PollRequest,
    responses((status = 200, body = KindResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn send_poll(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<PollRequest>,
) -> ApiResult<axum::Json<KindResponse>> {
    let options: Vec<String> = b.options.into_iter().map(|o| o.option_name).collect();
    let sent = s
        .services
        .send_poll(&at, &b.to, &b.question, &options, b.allow_multiple_answers)
        .await?;
    let mut r = kind_response(sent, "Poll sent successfully");
    r.options_count = Some(options.len());
    r.multiple_choice = Some(b.allow_multiple_answers);
    Ok(axum::Json(r))
}

#[derive(Deserialize, ToSchema)]
pub struct ReactionRequest {
    #[schema(required = true)]
    #[serde(default)]
    number: String,
    #[schema(required = true)]
    #[serde(default, rename = "messageId", alias = "message_id")]
    message_id: String,
    /// An emoji; empty removes the reaction.
    #[serde(default)]
    reaction: String,
    #[serde(rename = "fromMe", alias = "from_me")]
    from_me: Option<bool>,
    /// The original author, for other people's messages in groups.
    participant: Option<String>,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReactionMetadata {
    device_id: String,
    user_id: String,
    processing_time_ms: i64,
    original_message_id: String,
    reaction_emoji: String,
    sent_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReactionResponse {
    success: bool,
    message_id: String,
    timestamp: String,
    status: &'static str,
    chat_jid: String,
    metadata: ReactionMetadata,
}

/// Reacts to a message.
#[utoipa::path(post, path = "/send/reaction", tag = "messages", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = ReactionRequest,
    responses((status = 200, body = ReactionResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn send_reaction(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<ReactionRequest>,
) -> ApiResult<axum::Json<ReactionResponse>> {
    let sent = s
        .services
        .send_reaction(
            &at,
            &wuts_service::message_kinds::Reaction {
                number: &b.number,
                message_id: &b.message_id,
                reaction: &b.reaction,
                from_me: b.from_me,
                participant: b.participant.as_deref(),
            },
        )
        .await?;
    Ok(axum::Json(ReactionResponse {
        success: true,
        message_id: sent.message_id,
        timestamp: rfc3339(sent.sent_at),
        status: "sent",
        chat_jid: sent.chat_jid,
        metadata: ReactionMetadata {
            device_id: sent.device.id,
            user_id: at.principal().user_id.clone(),
            processing_time_ms: sent.processing_ms,
            original_message_id: b.message_id.trim().to_string(),
            reaction_emoji: b.reaction,
            sent_at: rfc3339(sent.sent_at),
        },
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct EditRequest {
    #[schema(required = true)]
    #[serde(default)]
    to: String,
    /// The new text.
    #[schema(required = true)]
    #[serde(default)]
    message: String,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EditResponse {
    success: bool,
    message_id: String,
    timestamp: String,
    message: &'static str,
}

/// Edits the text of a message this device sent.
#[utoipa::path(put, path = "/messages/{id}", tag = "messages", security(("bearerAuth" = [])),
    params(("id" = String, Path, description = "message id"), DeviceQuery), request_body = EditRequest,
    responses((status = 200, body = EditResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn edit_message(
    State(s): State<AppState>,
    Path(id): Path<String>,
    DeviceJson { at, body: b }: DeviceJson<EditRequest>,
) -> ApiResult<axum::Json<EditResponse>> {
    let (_, at) = s.services.edit_message(&at, &id, &b.to, &b.message).await?;
    Ok(axum::Json(EditResponse {
        success: true,
        message_id: id.trim().to_string(),
        timestamp: rfc3339(at),
        message: "Message edited successfully",
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct DeleteRequest {
    #[schema(required = true)]
    #[serde(default, rename = "messageId", alias = "message_id")]
    message_id: String,
    #[schema(required = true)]
    #[serde(default, rename = "chatJid", alias = "chat_jid")]
    chat_jid: String,
    /// `for_everyone` (default) or `for_me`.
    #[serde(rename = "deleteType", alias = "delete_type")]
    delete_type: Option<String>,
    reason: Option<String>,
    /// Accepted for compatibility: ownership is always checked for `for_everyone`.
    #[serde(rename = "validateOwnership", alias = "validate_ownership")]
    #[allow(dead_code)]
    validate_ownership: Option<bool>,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DeleteMetadata {
    time_elapsed_minutes: i64,
    within_time_limit: bool,
    reason: Option<String>,
    processing_time_ms: i64,
}

#[derive(Serialize, ToSchema)]
pub struct DeleteResponse {
    success: bool,
    message_id: String,
    deleted_at: String,
    delete_type: &'static str,
    chat_jid: String,
    metadata: DeleteMetadata,
}

/// Deletes a message for everyone (revoked on WhatsApp) or for this device only.
#[utoipa::path(delete, path = "/messages/delete", tag = "messages", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = DeleteRequest,
    responses((status = 200, body = DeleteResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn delete_message(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<DeleteRequest>,
) -> ApiResult<axum::Json<DeleteResponse>> {
    let (kind, name) = match b.delete_type.as_deref().map(str::trim) {
        None | Some("") | Some("for_everyone") => (DeleteType::ForEveryone, "for_everyone"),
        Some("for_me") => (DeleteType::ForMe, "for_me"),
        Some(other) => {
            return Err(
                wuts_core::DomainError::fields(vec![wuts_core::FieldError::new(
                    "deleteType",
                    "must be for_everyone or for_me",
                )
                .with_value(other)])
                .into(),
            )
        }
    };
    let d = s
        .services
        .delete_message(&at, &b.message_id, &b.chat_jid, kind)
        .await?;
    Ok(axum::Json(DeleteResponse {
        success: true,
        message_id: b.message_id.trim().to_string(),
        deleted_at: rfc3339(d.deleted_at),
        delete_type: name,
        chat_jid: d.chat_jid,
        metadata: DeleteMetadata {
            time_elapsed_minutes: d.elapsed_minutes,
            within_time_limit: true,
            reason: b.reason,
            processing_time_ms: d.processing_ms,
        },
    }))
}

crate::extract::device_id_in_body!(
    ContactRequest,
    ContactsRequest,
    DeleteRequest,
    EditRequest,
    LiveLocationRequest,
    LocationRequest,
    PollRequest,
    ReactionRequest
);
