//! WUTS "newsletters" (channels): create, list the followed ones, read one and its invite, the
//! posts with views and reactions, mark posts viewed, post texts and media, follow and (ours)
//! unfollow.

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{DeviceCtx, DeviceJson, DeviceQuery, Path, Query};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use wuts_core::time::rfc3339;
use wuts_service::newsletters::{Channel, ChannelMedia, ChannelPosted, CHANNEL_MEDIA_BODY_MAX};

pub fn router() -> OpenApiRouter<AppState> {
    let media = OpenApiRouter::new().routes(routes!(post_media));
    OpenApiRouter::new()
        .routes(routes!(create_newsletter, list_newsletters))
        .routes(routes!(get_newsletter))
        .routes(routes!(invite))
        .routes(routes!(messages, post_text))
        .routes(routes!(mark_read))
        .routes(routes!(subscribe, unsubscribe))
        .merge(crate::extract::body_limit(media, CHANNEL_MEDIA_BODY_MAX))
}

#[derive(Serialize, ToSchema)]
pub struct NewsletterState {
    /// `active`, `suspended`, `geosuspended`.
    r#type: String,
}

#[derive(Serialize, ToSchema)]
pub struct NewsletterText {
    text: String,
}

#[derive(Serialize, ToSchema)]
pub struct NewsletterPicture {
    direct_path: String,
}

#[derive(Serialize, ToSchema)]
pub struct ThreadMetadata {
    /// Unix seconds, as a string (WhatsApp's own shape).
    creation_time: Option<String>,
    name: NewsletterText,
    description: NewsletterText,
    invite: Option<String>,
    /// As a string (WhatsApp's own shape).
    subscribers_count: String,
    /// `VERIFIED` or `UNVERIFIED`.
    verification: String,
    picture: Option<NewsletterPicture>,
    preview: Option<NewsletterPicture>,
}

#[derive(Serialize, ToSchema)]
pub struct ViewerMetadata {
    /// `on` or `off`.
    mute: String,
    /// `owner`, `admin`, `subscriber` or `guest`.
    role: String,
}

/// A channel as WUTS (whatsmeow) answers it.
#[derive(Serialize, ToSchema)]
pub struct Newsletter {
    /// `<digits>@newsletter`.
    id: String,
    state: NewsletterState,
    thread_metadata: ThreadMetadata,
    viewer_metadata: ViewerMetadata,
}

fn newsletter(c: Channel) -> Newsletter {
    Newsletter {
        id: c.jid,
        state: NewsletterState { r#type: c.state },
        thread_metadata: ThreadMetadata {
            creation_time: c.created_at.map(|t| t.to_string()),
            name: NewsletterText { text: c.name },
            description: NewsletterText {
                text: c.description,
            },
            invite: c.invite,
            subscribers_count: c.subscribers.to_string(),
            verification: c.verification,
            picture: c
                .picture
                .map(|direct_path| NewsletterPicture { direct_path }),
            preview: c
                .preview
                .map(|direct_path| NewsletterPicture { direct_path }),
        },
        viewer_metadata: ViewerMetadata {
            mute: c.mute,
            role: c.role,
        },
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// 1–100 characters.
    #[schema(required = true)]
    #[serde(default)]
    name: String,
    /// At most 2,048 characters.
    description: Option<String>,
    /// A JPEG, base64 (a data URI too), at most 2 MiB.
    picture: Option<String>,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NewsletterResponse {
    success: bool,
    newsletter: Newsletter,
}

/// Creates a channel owned by the device's account.
#[utoipa::path(post, path = "/newsletters", tag = "newsletters", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = CreateBody,
    responses((status = 201, body = NewsletterResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn create_newsletter(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<CreateBody>,
) -> ApiResult<(StatusCode, axum::Json<NewsletterResponse>)> {
    let c = s
        .services
        .create_channel(&at, &b.name, b.description.as_deref(), b.picture.as_deref())
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(NewsletterResponse {
            success: true,
            newsletter: newsletter(c),
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct NewslettersResponse {
    success: bool,
    newsletters: Vec<Newsletter>,
    count: usize,
}

/// The channels the account follows or owns.
#[utoipa::path(get, path = "/newsletters", tag = "newsletters", security(("bearerAuth" = [])), params(DeviceQuery),
    responses((status = 200, body = NewslettersResponse), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn list_newsletters(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
) -> ApiResult<axum::Json<NewslettersResponse>> {
    let list: Vec<Newsletter> = s
        .services
        .channels(&at)
        .await?
        .into_iter()
        .map(newsletter)
        .collect();
    Ok(axum::Json(NewslettersResponse {
        success: true,
        count: list.len(),
        newsletters: list,
    }))
}

/// A channel's metadata.
#[utoipa::path(get, path = "/newsletters/{jid}", tag = "newsletters", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "channel JID (…@newsletter)"), DeviceQuery),
    responses((status = 200, body = NewsletterResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn get_newsletter(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
    Path(jid): Path<String>,
) -> ApiResult<axum::Json<NewsletterResponse>> {
    let c = s.services.channel(&at, &jid).await?;
    Ok(axum::Json(NewsletterResponse {
        success: true,
        newsletter: newsletter(c),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct InviteResponse {
    success: bool,
    jid: String,
    invite_code: String,
    invite_link: String,
}

/// The channel's invite code and link.
#[utoipa::path(get, path = "/newsletters/{jid}/invite", tag = "newsletters", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "channel JID (…@newsletter)"), DeviceQuery),
    responses((status = 200, body = InviteResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn invite(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
    Path(jid): Path<String>,
) -> ApiResult<axum::Json<InviteResponse>> {
    let c = s.services.channel(&at, &jid).await?;
    let code = c
        .invite
        .filter(|i| !i.is_empty())
        .ok_or_else(|| crate::error::ApiError::not_found("WhatsApp gave this channel no invite"))?;
    Ok(axum::Json(InviteResponse {
        success: true,
        jid: c.jid,
        invite_link: format!("https://whatsapp.com/channel/{code}"),
        invite_code: code,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessagesQuery {
    /// Read by the device extractor; here for the OpenAPI document.
    #[allow(dead_code)]
    device_id: Option<String>,
    /// 1–100; 20 by default.
    count: Option<u32>,
    /// A `MessageServerID`: only older posts.
    before: Option<String>,
}

/// One post, in WUTS's (whatsmeow's) field names.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct NewsletterMessage {
    #[serde(rename = "MessageServerID")]
    message_server_id: u64,
    #[serde(rename = "MessageID")]
    message_id: String,
    /// `text`, `media`, ...
    r#type: String,
    /// RFC 3339.
    timestamp: String,
    views_count: u64,
    reaction_counts: BTreeMap<String, u64>,
    /// Ours: the text or caption.
    text: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MessagesResponse {
    success: bool,
    messages: Vec<NewsletterMessage>,
    count: usize,
}

/// A page of the channel's posts, oldest first, with views and reactions.
#[utoipa::path(get, path = "/newsletters/{jid}/messages", tag = "newsletters", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "channel JID (…@newsletter)"), MessagesQuery),
    responses((status = 200, body = MessagesResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn messages(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
    Path(jid): Path<String>,
    Query(q): Query<MessagesQuery>,
) -> ApiResult<axum::Json<MessagesResponse>> {
    let posts = s
        .services
        .channel_posts(&at, &jid, q.count, q.before.as_deref())
        .await?;
    let messages: Vec<NewsletterMessage> = posts
        .into_iter()
        .map(|p| NewsletterMessage {
            message_server_id: p.server_id,
            message_id: p.message_id,
            r#type: p.kind,
            timestamp: rfc3339(p.timestamp as i64 * 1000),
            views_count: p.views,
            reaction_counts: p.reactions.into_iter().collect(),
            text: p.text,
        })
        .collect();
    Ok(axum::Json(MessagesResponse {
        success: true,
        count: messages.len(),
        messages,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadBody {
    /// Server message ids (digits, as strings).
    #[schema(required = true)]
    #[serde(default)]
    server_ids: Vec<String>,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReadResponse {
    success: bool,
    newsletter: String,
    count: usize,
}

/// Marks posts viewed (each counts once per account).
#[utoipa::path(post, path = "/newsletters/{jid}/read", tag = "newsletters", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "channel JID (…@newsletter)"), DeviceQuery),
    request_body = ReadBody,
    responses((status = 200, body = ReadResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn mark_read(
    State(s): State<AppState>,
    Path(jid): Path<String>,
    DeviceJson { at, body: b }: DeviceJson<ReadBody>,
) -> ApiResult<axum::Json<ReadResponse>> {
    let count = s
        .services
        .view_channel_posts(&at, &jid, &b.server_ids)
        .await?;
    Ok(axum::Json(ReadResponse {
        success: true,
        newsletter: jid.trim().to_string(),
        count,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextBody {
    #[schema(required = true)]
    #[serde(default)]
    text: String,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PostedResponse {
    success: bool,
    message_id: String,
    /// RFC 3339.
    timestamp: String,
    newsletter: String,
    /// `text`, `image`, `video` or `document`.
    status_type: &'static str,
}

fn posted(jid: &str, p: ChannelPosted) -> axum::Json<PostedResponse> {
    axum::Json(PostedResponse {
        success: true,
        message_id: p.message_id,
        timestamp: rfc3339(p.sent_at),
        newsletter: jid.trim().to_string(),
        status_type: p.kind,
    })
}

/// Posts a text to a channel the account owns.
#[utoipa::path(post, path = "/newsletters/{jid}/messages", tag = "newsletters", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "channel JID (…@newsletter)"), DeviceQuery),
    request_body = TextBody,
    responses((status = 200, body = PostedResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn post_text(
    State(s): State<AppState>,
    Path(jid): Path<String>,
    DeviceJson { at, body: b }: DeviceJson<TextBody>,
) -> ApiResult<axum::Json<PostedResponse>> {
    let p = s.services.post_channel_text(&at, &jid, &b.text).await?;
    Ok(posted(&jid, p))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaBody {
    /// `image`, `video` or `document`; from `mime_type` when absent.
    media_type: Option<String>,
    /// Base64, optionally a data URI (`base64` is accepted as its name too). Exactly one of
    /// `data` and `media_url`.
    #[serde(alias = "base64")]
    data: Option<String>,
    /// An http(s) URL to fetch the media from.
    #[serde(alias = "url")]
    media_url: Option<String>,
    caption: Option<String>,
    mime_type: Option<String>,
    /// Documents: the name shown.
    file_name: Option<String>,
    device_id: Option<String>,
}

/// Posts an image, video or document to a channel the account owns (the whole request at most
/// 32 MB).
#[utoipa::path(post, path = "/newsletters/{jid}/media", tag = "newsletters", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "channel JID (…@newsletter)"), DeviceQuery),
    request_body = MediaBody,
    responses((status = 200, body = PostedResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn post_media(
    State(s): State<AppState>,
    Path(jid): Path<String>,
    DeviceJson { at, body: b }: DeviceJson<MediaBody>,
) -> ApiResult<axum::Json<PostedResponse>> {
    let m = ChannelMedia {
        media_type: b.media_type,
        data: b.data,
        url: b.media_url,
        caption: b.caption,
        mime_type: b.mime_type,
        file_name: b.file_name,
    };
    let p = s.services.post_channel_media(&at, &jid, m).await?;
    Ok(posted(&jid, p))
}

#[derive(Serialize, ToSchema)]
pub struct SubscribeResponse {
    success: bool,
    jid: String,
    subscribed: bool,
}

/// Follows a channel.
#[utoipa::path(post, path = "/newsletters/{jid}/subscribe", tag = "newsletters", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "channel JID (…@newsletter)"), DeviceQuery),
    responses((status = 200, body = SubscribeResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn subscribe(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
    Path(jid): Path<String>,
) -> ApiResult<axum::Json<SubscribeResponse>> {
    s.services.follow_channel(&at, &jid, true).await?;
    Ok(axum::Json(SubscribeResponse {
        success: true,
        jid: jid.trim().to_string(),
        subscribed: true,
    }))
}

/// Unfollows a channel (ours; the catalogue has no unfollow).
#[utoipa::path(delete, path = "/newsletters/{jid}/subscribe", tag = "newsletters", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "channel JID (…@newsletter)"), DeviceQuery),
    responses((status = 200, body = SubscribeResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn unsubscribe(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
    Path(jid): Path<String>,
) -> ApiResult<axum::Json<SubscribeResponse>> {
    s.services.follow_channel(&at, &jid, false).await?;
    Ok(axum::Json(SubscribeResponse {
        success: true,
        jid: jid.trim().to_string(),
        subscribed: false,
    }))
}

crate::extract::device_id_in_body!(CreateBody, ReadBody, TextBody, MediaBody);
