//! WUTS "chats" (live-socket part): typing indicators, account presence, presence subscriptions.

use crate::error::{ApiResult, ErrorBody};
use crate::extract::DeviceQuery;
use crate::extract::Path;
use crate::extract::{DeviceCtx, DeviceJson};
use crate::AppState;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use wuts_service::chats::ChatSetting;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(typing))
        .routes(routes!(presence))
        .routes(routes!(subscribe))
        .routes(routes!(disappearing))
        .routes(routes!(pin, unpin))
        .routes(routes!(archive))
        .routes(routes!(mute))
        .routes(routes!(list_chats))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TypingBody {
    /// `typing` (default, sent as `composing`), `recording` or `paused`.
    state: Option<String>,
    /// `text` (default) or `audio` (typing with audio shows "recording").
    media: Option<String>,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TypingResponse {
    success: bool,
    chat_jid: String,
    state: &'static str,
    media: &'static str,
}

/// Shows a typing or recording indicator in a chat.
#[utoipa::path(post, path = "/chats/{jid}/typing", tag = "chats", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "user or group JID"), DeviceQuery), request_body = TypingBody,
    responses((status = 200, body = TypingResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn typing(
    State(s): State<AppState>,
    Path(jid): Path<String>,
    DeviceJson { at, body: b }: DeviceJson<TypingBody>,
) -> ApiResult<axum::Json<TypingResponse>> {
    let (chat_jid, state, media) = s
        .services
        .typing(&at, &jid, b.state.as_deref(), b.media.as_deref())
        .await?;
    Ok(axum::Json(TypingResponse {
        success: true,
        chat_jid,
        state,
        media,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceBody {
    /// `available`/`online` (default) or `unavailable`/`offline`.
    state: Option<String>,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PresenceResponse {
    success: bool,
    state: &'static str,
}

/// Sets the account's availability.
#[utoipa::path(post, path = "/presence", tag = "chats", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = PresenceBody,
    responses((status = 200, body = PresenceResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn presence(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<PresenceBody>,
) -> ApiResult<axum::Json<PresenceResponse>> {
    let state = s.services.set_presence(&at, b.state.as_deref()).await?;
    Ok(axum::Json(PresenceResponse {
        success: true,
        state,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscribeBody {
    #[schema(required = true)]
    #[serde(default)]
    jid: String,
    /// Go online first (WhatsApp only sends presence to online accounts).
    #[serde(default)]
    ensure_online: bool,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SubscribeResponse {
    success: bool,
    subject_jid: String,
}

/// Subscribes to a contact's presence; updates arrive as `contact.presence` events.
#[utoipa::path(post, path = "/presence/subscribe", tag = "chats", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = SubscribeBody,
    responses((status = 200, body = SubscribeResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn subscribe(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<SubscribeBody>,
) -> ApiResult<axum::Json<SubscribeResponse>> {
    let subject_jid = s
        .services
        .subscribe_presence(&at, &b.jid, b.ensure_online)
        .await?;
    Ok(axum::Json(SubscribeResponse {
        success: true,
        subject_jid,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisappearingBody {
    /// `off`, `24h`, `7d` or `90d`.
    preset: Option<String>,
    /// Instead of a preset: 0, 86400, 604800 or 7776000.
    #[serde(alias = "duration", alias = "duration_seconds")]
    seconds: Option<i64>,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DisappearingResponse {
    success: bool,
    chat_jid: String,
    preset: &'static str,
    seconds: u32,
    timestamp: String,
}

/// Sets or clears a chat's disappearing-message timer (user or group chat).
#[utoipa::path(put, path = "/chats/{jid}/disappearing", tag = "chats", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "user or group JID"), DeviceQuery), request_body = DisappearingBody,
    responses((status = 200, body = DisappearingResponse), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn disappearing(
    State(s): State<AppState>,
    Path(jid): Path<String>,
    DeviceJson { at, body: b }: DeviceJson<DisappearingBody>,
) -> ApiResult<axum::Json<DisappearingResponse>> {
    let (chat_jid, preset, seconds) = s
        .services
        .set_disappearing(&at, &jid, b.preset.as_deref(), b.seconds)
        .await?;
    Ok(axum::Json(DisappearingResponse {
        success: true,
        chat_jid,
        preset,
        seconds,
        timestamp: wuts_core::time::rfc3339(wuts_core::time::now_millis()),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct PinResponse {
    success: bool,
    chat_jid: String,
    pinned: bool,
}

/// Pins a chat (an app-state patch: the account's other devices see it).
#[utoipa::path(post, path = "/chats/{jid}/pin", tag = "chats", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "user or group JID"), DeviceQuery),
    responses((status = 200, body = PinResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn pin(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
    Path(jid): Path<String>,
) -> ApiResult<axum::Json<PinResponse>> {
    let chat_jid = s
        .services
        .chat_setting(&at, &jid, ChatSetting::Pin(true))
        .await?;
    Ok(axum::Json(PinResponse {
        success: true,
        chat_jid,
        pinned: true,
    }))
}

/// Unpins a chat.
#[utoipa::path(delete, path = "/chats/{jid}/pin", tag = "chats", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "user or group JID"), DeviceQuery),
    responses((status = 200, body = PinResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn unpin(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
    Path(jid): Path<String>,
) -> ApiResult<axum::Json<PinResponse>> {
    let chat_jid = s
        .services
        .chat_setting(&at, &jid, ChatSetting::Pin(false))
        .await?;
    Ok(axum::Json(PinResponse {
        success: true,
        chat_jid,
        pinned: false,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveBody {
    /// true to archive, false to unarchive.
    archived: Option<bool>,
    /// Accepted for compatibility; no message range is sent (see docs/compat.md).
    #[allow(dead_code)]
    last_message_timestamp: Option<i64>,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ArchiveResponse {
    success: bool,
    chat_jid: String,
    archived: bool,
}

/// Archives or unarchives a chat.
#[utoipa::path(post, path = "/chats/{jid}/archive", tag = "chats", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "user or group JID"), DeviceQuery), request_body = ArchiveBody,
    responses((status = 200, body = ArchiveResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn archive(
    State(s): State<AppState>,
    Path(jid): Path<String>,
    DeviceJson { at, body: b }: DeviceJson<ArchiveBody>,
) -> ApiResult<axum::Json<ArchiveResponse>> {
    let archived = b
        .archived
        .ok_or_else(|| wuts_core::DomainError::field("archived", "is required (true or false)"))?;
    let chat_jid = s
        .services
        .chat_setting(&at, &jid, ChatSetting::Archive(archived))
        .await?;
    Ok(axum::Json(ArchiveResponse {
        success: true,
        chat_jid,
        archived,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MuteBody {
    muted: Option<bool>,
    /// Seconds to stay muted; omit to mute indefinitely.
    duration_seconds: Option<i64>,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MuteResponse {
    success: bool,
    chat_jid: String,
    muted: bool,
    duration_seconds: Option<i64>,
}

/// Mutes (for a time or indefinitely) or unmutes a chat.
#[utoipa::path(post, path = "/chats/{jid}/mute", tag = "chats", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "user or group JID"), DeviceQuery), request_body = MuteBody,
    responses((status = 200, body = MuteResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn mute(
    State(s): State<AppState>,
    Path(jid): Path<String>,
    DeviceJson { at, body: b }: DeviceJson<MuteBody>,
) -> ApiResult<axum::Json<MuteResponse>> {
    let muted = b
        .muted
        .ok_or_else(|| wuts_core::DomainError::field("muted", "is required (true or false)"))?;
    let setting = match (muted, b.duration_seconds) {
        (false, _) => ChatSetting::Unmute,
        (true, None) => ChatSetting::Mute(None),
        (true, Some(secs)) if (1..=366 * 24 * 3600).contains(&secs) => {
            ChatSetting::Mute(Some(wuts_core::time::now_millis() + secs * 1000))
        }
        (true, Some(_)) => {
            return Err(wuts_core::DomainError::field(
                "duration_seconds",
                "must be between 1 and 31622400 seconds (omit it to mute indefinitely)",
            )
            .into())
        }
    };
    let chat_jid = s.services.chat_setting(&at, &jid, setting).await?;
    Ok(axum::Json(MuteResponse {
        success: true,
        chat_jid,
        muted,
        duration_seconds: if muted { b.duration_seconds } else { None },
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ChatDto {
    jid: String,
    /// `group` or `contact`.
    r#type: &'static str,
    name: Option<String>,
    pinned: bool,
    archived: bool,
    muted: bool,
    /// RFC 3339; absent when not muted or muted for good.
    #[serde(skip_serializing_if = "Option::is_none")]
    muted_until: Option<String>,
    /// Groups only: how many participants, when the device has seen the group (null else).
    participant_count: Option<u32>,
    /// The label ids on the chat (WhatsApp Business).
    labels: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ChatsResponse {
    success: bool,
    chats: Vec<ChatDto>,
    count: usize,
}

/// The chats known to the session, with their pin, archive and mute settings.
#[utoipa::path(get, path = "/chats", tag = "chats", security(("bearerAuth" = [])), params(DeviceQuery),
    responses((status = 200, body = ChatsResponse), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn list_chats(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
) -> ApiResult<axum::Json<ChatsResponse>> {
    let rows = s.services.list_chats(&at).await?;
    let chats: Vec<ChatDto> = rows
        .into_iter()
        .map(|(c, labels)| ChatDto {
            r#type: if c.jid.ends_with("@g.us") {
                "group"
            } else {
                "contact"
            },
            jid: c.jid,
            name: c.name,
            pinned: c.pinned,
            archived: c.archived,
            muted: c.muted_until != 0,
            muted_until: (c.muted_until > 0).then(|| wuts_core::time::rfc3339(c.muted_until)),
            participant_count: c
                .participant_count
                .and_then(|n| u32::try_from(n.max(0)).ok()),
            labels,
        })
        .collect();
    Ok(axum::Json(ChatsResponse {
        success: true,
        count: chats.len(),
        chats,
    }))
}

crate::extract::device_id_in_body!(
    ArchiveBody,
    DisappearingBody,
    MuteBody,
    PresenceBody,
    SubscribeBody,
    TypingBody
);
