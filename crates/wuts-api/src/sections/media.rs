//! WUTS "messages": the media sends (image, video, audio, document, sticker) and
//! `GET /messages/{id}/media`.

use crate::error::{ApiResult, ErrorBody};
use crate::extract::DeviceJson;
use crate::extract::DeviceQuery;
use crate::extract::{Auth, Path};
use crate::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use wuts_core::time::rfc3339;
use wuts_core::Principal;
use wuts_service::media::{MediaKind, MediaRequest, MediaSend, SentMedia};
use wuts_service::Target;

/// Media sends carry base64 bodies: a 64 MB video is about 86 MB of JSON.
pub const MEDIA_BODY_LIMIT: usize = 160 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    let sends = OpenApiRouter::new()
        .routes(routes!(send_image))
        .routes(routes!(send_video))
        .routes(routes!(send_audio))
        .routes(routes!(send_document))
        .routes(routes!(send_sticker));
    crate::extract::body_limit(sends, MEDIA_BODY_LIMIT).routes(routes!(message_media))
}

/// The standard send answer, with the kind's metadata.
#[derive(Serialize, ToSchema)]
pub struct MediaSendResponse {
    success: bool,
    message_id: String,
    timestamp: String,
    status: &'static str,
    chat_jid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_animated: Option<bool>,
    /// `device_id`, `user_id`, `processing_time_ms`, `sent_at` and the kind's fields
    /// (`image_size_bytes`, `image_format`, `download_time_ms`, `upload_time_ms`, ...).
    #[schema(value_type = Object)]
    metadata: Value,
}

fn respond(kind: MediaKind, m: SentMedia, caller: &Principal) -> MediaSendResponse {
    let k = kind.as_str();
    let format = m
        .mime_type
        .split(';')
        .next()
        .unwrap_or("")
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_string();
    let mut metadata = json!({
        "device_id": m.sent.device.id,
        "user_id": caller.user_id,
        "processing_time_ms": m.sent.processing_ms,
        "sent_at": rfc3339(m.sent.sent_at),
        "download_time_ms": m.download_ms,
        "upload_time_ms": m.upload_ms,
        format!("{k}_size_bytes"): m.size_bytes,
        "mime_type": m.mime_type,
        "async_processing": false,
    });
    let extra = match kind {
        MediaKind::Image => json!({"image_format": format, "view_once_enabled": m.view_once}),
        MediaKind::Video => json!({"video_format": format, "video_duration_seconds": m.seconds,
            "was_converted": false, "has_custom_thumbnail": m.has_thumbnail,
            "view_once_enabled": m.view_once}),
        MediaKind::Audio => {
            json!({"audio_duration_seconds": m.seconds, "conversion_applied": false,
            "original_format": format, "ptt_enabled": m.ptt, "waveform_generated": m.waveform})
        }
        MediaKind::Document => json!({"file_name": m.file_name}),
        MediaKind::Sticker => json!({"is_animated": m.animated}),
    };
    if let (Some(a), Value::Object(b)) = (metadata.as_object_mut(), extra) {
        a.extend(b);
    }
    MediaSendResponse {
        success: true,
        message_id: m.sent.message_id,
        timestamp: rfc3339(m.sent.sent_at),
        status: "sent",
        chat_jid: m.sent.chat_jid,
        message: (kind == MediaKind::Sticker).then(|| "Sticker sent successfully".to_string()),
        is_animated: (kind == MediaKind::Sticker).then_some(m.animated),
        metadata,
    }
}

/// The 202 answer of a send accepted as a media job (WUTS's shape, with `timestamp` and
/// `metadata` as every send answer has them).
#[derive(Serialize, ToSchema)]
pub struct MediaProcessingResponse {
    success: bool,
    /// Empty: the message gets its id when it is sent (`message.sent` carries it and the
    /// `job_id`; so does `GET /jobs/{job_id}`).
    message_id: String,
    timestamp: String,
    /// `processing`.
    status: &'static str,
    chat_jid: String,
    job_id: String,
    /// `device_id`, `user_id`, `async_processing` (true).
    #[schema(value_type = Object)]
    metadata: Value,
}

async fn send(
    s: &AppState,
    at: &Target,
    recipient_field: &str,
    to: &str,
    kind: MediaKind,
    r: MediaRequest,
) -> ApiResult<Response> {
    let sent = s
        .services
        .send_media(at, recipient_field, to, kind, r)
        .await?;
    Ok(match sent {
        MediaSend::Sent(m) => axum::Json(respond(kind, m, at.principal())).into_response(),
        MediaSend::Processing(j) => (
            axum::http::StatusCode::ACCEPTED,
            axum::Json(MediaProcessingResponse {
                success: true,
                message_id: String::new(),
                timestamp: rfc3339(j.accepted_at),
                status: "processing",
                chat_jid: j.chat_jid,
                job_id: j.job_id,
                metadata: json!({"device_id": j.device.id, "user_id": at.principal().user_id,
                    "async_processing": true}),
            }),
        )
            .into_response(),
    })
}

#[derive(Deserialize, ToSchema)]
pub struct ImageRequest {
    #[schema(required = true)]
    #[serde(default)]
    number: String,
    /// Base64, optionally as a data URI. Exactly one of `image` and `image_url`.
    image: Option<String>,
    image_url: Option<String>,
    caption: Option<String>,
    delay: Option<f64>,
    #[serde(default, rename = "viewOnce")]
    view_once: bool,
    #[serde(default, alias = "mentioned")]
    mentions: Vec<String>,
    device_id: Option<String>,
}

/// Sends an image (JPEG, PNG or WebP; at most 16 MB).
#[utoipa::path(post, path = "/send/image", tag = "messages", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = ImageRequest,
    responses((status = 200, body = MediaSendResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn send_image(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<ImageRequest>,
) -> ApiResult<Response> {
    let r = MediaRequest {
        data: b.image,
        url: b.image_url,
        caption: b.caption,
        view_once: b.view_once,
        mentions: b.mentions,
        delay: b.delay,
        ..Default::default()
    };
    let kind = MediaKind::Image;
    send(&s, &at, "number", &b.number, kind, r).await
}

#[derive(Deserialize, ToSchema)]
pub struct VideoRequest {
    #[schema(required = true)]
    #[serde(default)]
    number: String,
    video: Option<String>,
    video_url: Option<String>,
    caption: Option<String>,
    seconds: Option<u32>,
    #[serde(default, rename = "viewOnce")]
    view_once: bool,
    /// A JPEG frame of the video as its thumbnail (FFmpeg; the send becomes a 202 job) when
    /// no `thumbnail` is given.
    #[serde(default, rename = "generateThumbnail")]
    generate_thumbnail: bool,
    /// A JPEG thumbnail, base64 (wins over `generateThumbnail`).
    thumbnail: Option<String>,
    /// Convert to H.264/AAC MP4 with `+faststart` (FFmpeg; a 202 job). Videos that are not
    /// MP4, 3GPP or QuickTime are converted anyway.
    #[serde(default, rename = "convertToMP4")]
    convert_to_mp4: bool,
    /// A GIF-like clip: sent without sound, played in a loop (a GIF in `video` is converted).
    #[serde(default, rename = "gifPlayback")]
    gif_playback: bool,
    delay: Option<f64>,
    #[serde(default, alias = "mentioned")]
    mentions: Vec<String>,
    device_id: Option<String>,
}

/// Sends a video (at most 64 MB). MP4, 3GPP and QuickTime go as they are; anything else, or
/// `convertToMP4`/`generateThumbnail`, or more than the async threshold, is accepted as a job
/// (202) and sent when converted.
#[utoipa::path(post, path = "/send/video", tag = "messages", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = VideoRequest,
    responses((status = 200, body = MediaSendResponse), (status = 202, body = MediaProcessingResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn send_video(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<VideoRequest>,
) -> ApiResult<Response> {
    let r = MediaRequest {
        data: b.video,
        url: b.video_url,
        caption: b.caption,
        seconds: b.seconds,
        view_once: b.view_once,
        thumbnail: b.thumbnail,
        mentions: b.mentions,
        delay: b.delay,
        convert_mp4: b.convert_to_mp4,
        generate_thumbnail: b.generate_thumbnail,
        gif_playback: b.gif_playback,
        ..Default::default()
    };
    let kind = MediaKind::Video;
    send(&s, &at, "number", &b.number, kind, r).await
}

#[derive(Deserialize, ToSchema)]
pub struct AudioRequest {
    #[schema(required = true)]
    #[serde(default)]
    number: String,
    audio: Option<String>,
    audio_url: Option<String>,
    /// A voice note: anything that is not Ogg Opus is converted (FFmpeg; a 202 job); its
    /// duration and a waveform of the decoded audio are computed.
    #[serde(default)]
    ptt: bool,
    #[serde(default, rename = "viewOnce")]
    view_once: bool,
    delay: Option<f64>,
    #[serde(default, alias = "mentioned")]
    mentions: Vec<String>,
    device_id: Option<String>,
}

/// Sends audio or a voice note (at most 16 MB). Ogg Opus goes as it is, and MP3, M4A/AAC and
/// AMR too as an audio file; any other audio, and anything but Ogg Opus as a voice note, is
/// converted to Ogg Opus (mono, 48 kHz) in a job (202).
#[utoipa::path(post, path = "/send/audio", tag = "messages", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = AudioRequest,
    responses((status = 200, body = MediaSendResponse), (status = 202, body = MediaProcessingResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn send_audio(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<AudioRequest>,
) -> ApiResult<Response> {
    let r = MediaRequest {
        data: b.audio,
        url: b.audio_url,
        ptt: b.ptt,
        view_once: b.view_once,
        mentions: b.mentions,
        delay: b.delay,
        ..Default::default()
    };
    let kind = MediaKind::Audio;
    send(&s, &at, "number", &b.number, kind, r).await
}

#[derive(Deserialize, ToSchema)]
pub struct DocumentRequest {
    #[schema(required = true)]
    #[serde(default)]
    number: String,
    document: Option<String>,
    document_url: Option<String>,
    mime_type: Option<String>,
    /// Required with `document_url`.
    file_name: Option<String>,
    caption: Option<String>,
    thumbnail: Option<String>,
    delay: Option<f64>,
    #[serde(default, alias = "mentioned")]
    mentions: Vec<String>,
    device_id: Option<String>,
}

/// Sends a document (any type; at most 100 MB).
#[utoipa::path(post, path = "/send/document", tag = "messages", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = DocumentRequest,
    responses((status = 200, body = MediaSendResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn send_document(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<DocumentRequest>,
) -> ApiResult<Response> {
    let r = MediaRequest {
        data: b.document,
        url: b.document_url,
        mime_type: b.mime_type,
        file_name: b.file_name,
        caption: b.caption,
        thumbnail: b.thumbnail,
        mentions: b.mentions,
        delay: b.delay,
        ..Default::default()
    };
    let kind = MediaKind::Document;
    send(&s, &at, "number", &b.number, kind, r).await
}

#[derive(Deserialize, ToSchema)]
pub struct StickerRequest {
    #[schema(required = true)]
    #[serde(default)]
    to: String,
    sticker: Option<String>,
    sticker_url: Option<String>,
    is_animated: Option<bool>,
    device_id: Option<String>,
}

/// Sends a sticker (WebP, at most 500 KB; animation detected unless flagged).
#[utoipa::path(post, path = "/send/sticker", tag = "messages", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = StickerRequest,
    responses((status = 200, body = MediaSendResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn send_sticker(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<StickerRequest>,
) -> ApiResult<Response> {
    let r = MediaRequest {
        data: b.sticker,
        url: b.sticker_url,
        animated: b.is_animated,
        ..Default::default()
    };
    let kind = MediaKind::Sticker;
    send(&s, &at, "to", &b.to, kind, r).await
}

/// Downloads and decrypts the media of a message any device of the tenant (that the caller
/// may use) received or sent.
#[utoipa::path(get, path = "/messages/{id}/media", tag = "messages", security(("bearerAuth" = [])),
    params(("id" = String, Path, description = "The message id")),
    responses((status = 200, description = "The media bytes", content_type = "application/octet-stream"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn message_media(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let file = s.services.message_media(&p, &id).await?;
    let mut headers = vec![(axum::http::header::CONTENT_TYPE, file.mime_type)];
    if let Some(name) = file.file_name {
        let safe: String = name
            .chars()
            .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
            .collect();
        headers.push((
            axum::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{safe}\""),
        ));
    }
    let headers: Vec<(axum::http::HeaderName, axum::http::HeaderValue)> = headers
        .into_iter()
        .filter_map(|(k, v)| axum::http::HeaderValue::from_str(&v).ok().map(|v| (k, v)))
        .collect();
    let mut response = file.bytes.into_response();
    for (k, v) in headers {
        response.headers_mut().insert(k, v);
    }
    Ok(response)
}

crate::extract::device_id_in_body!(
    AudioRequest,
    DocumentRequest,
    ImageRequest,
    StickerRequest,
    VideoRequest
);
