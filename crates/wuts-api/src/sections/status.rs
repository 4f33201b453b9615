//! WUTS "status" (stories): the audience rules and text and media posts. These endpoints answer
//! errors in WUTS's nested shape, `{success:false, error:{code, message}}`, with the codes the
//! catalogue gives them; `error_code`, `timestamp` and `validation` of the common envelope ride
//! along (see `docs/compat.md`).

use crate::error::ApiResult;
use crate::extract::{DeviceCtx, DeviceJson, DeviceQuery};
use crate::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use wuts_core::time::rfc3339;
use wuts_service::status::StatusMedia;

/// The routes that answer errors in the nested shape.
pub const NESTED_PATHS: [&str; 3] = ["/status/privacy", "/status/text", "/status/media"];

pub fn router() -> OpenApiRouter<AppState> {
    let media = OpenApiRouter::new().routes(routes!(post_media));
    OpenApiRouter::new()
        .routes(routes!(get_privacy, set_privacy))
        .routes(routes!(post_text))
        .merge(crate::extract::body_limit(
            media,
            super::media::MEDIA_BODY_LIMIT,
        ))
        .layer(axum::middleware::from_fn(nested_errors))
}

/// The nested code of an error on `op` (`privacy_get`, `privacy_set`, `text`, `media`).
fn nested_code(op: &str, status: StatusCode, flat: &Value) -> &'static str {
    let code = flat["error_code"].as_str().unwrap_or("");
    let message = flat["error"].as_str().unwrap_or("").to_ascii_lowercase();
    let timed_out = message.contains("timed out") || message.contains("timeout");
    match code {
        "VALIDATION_ERROR" if op == "media" => {
            let field = flat["validation"][0]["field"].as_str().unwrap_or("");
            if field == "caption" || field == "device_id" {
                "invalid_request"
            } else {
                "invalid_media"
            }
        }
        "VALIDATION_ERROR" | "PAYLOAD_TOO_LARGE" => "invalid_request",
        "DEVICE_NOT_READY" => "device_disconnected",
        "NOT_FOUND" => "device_error",
        "UNAUTHORIZED" => "unauthorized",
        "FORBIDDEN" => "forbidden",
        _ if status == StatusCode::CONFLICT => "status_failed",
        _ => match (op, timed_out) {
            ("privacy_get", _) => "privacy_fetch_failed",
            ("privacy_set", true) => "privacy_update_timeout",
            ("privacy_set", false) => "privacy_update_failed",
            ("media", true) if message.contains("upload") => "upload_timeout",
            ("media", false) if message.contains("upload") => "upload_failed",
            (_, true) => "status_timeout",
            _ => "status_failed",
        },
    }
}

/// Rewrites the common error envelope of these routes into WUTS's nested one.
async fn nested_errors(req: Request<Body>, next: axum::middleware::Next) -> Response {
    let op = match (req.method().as_str(), req.uri().path()) {
        ("GET", _) => "privacy_get",
        ("PUT", _) => "privacy_set",
        (_, "/status/text") => "text",
        _ => "media",
    };
    let res = next.run(req).await;
    let status = res.status();
    if status.is_success() {
        return res;
    }
    let (parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (status, "error").into_response();
    };
    let Ok(flat) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let mut error = json!({
        "code": nested_code(op, status, &flat),
        "message": flat["error"],
    });
    if let Some(v) = flat.get("validation") {
        error["validation"] = v.clone();
    }
    let body = json!({
        "success": false,
        "error": error,
        "error_code": flat["error_code"],
        "timestamp": flat["timestamp"],
    });
    let mut res = Response::from_parts(parts, Body::from(body.to_string()));
    res.headers_mut().remove(header::CONTENT_LENGTH);
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    res
}

/// An error of these endpoints.
#[derive(Serialize, ToSchema)]
pub struct NestedErrorBody {
    /// Always false.
    success: bool,
    error: NestedError,
    /// The common envelope's code (`VALIDATION_ERROR`, `DEVICE_NOT_READY`, ...).
    error_code: String,
    /// RFC 3339, UTC.
    timestamp: String,
}

#[derive(Serialize, ToSchema)]
pub struct NestedError {
    /// `invalid_request`, `invalid_media`, `device_error`, `device_disconnected`,
    /// `privacy_fetch_failed`, `privacy_update_failed`, `privacy_update_timeout`,
    /// `status_failed`, `status_timeout`, `upload_failed`, `upload_timeout`, `unauthorized`,
    /// `forbidden`.
    code: String,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    validation: Option<Vec<wuts_core::FieldError>>,
}

#[derive(Serialize, ToSchema)]
pub struct PrivacyList {
    /// `contacts`, `whitelist` or `blacklist`.
    r#type: &'static str,
    /// The rule in force.
    default: bool,
    /// User JIDs.
    list: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PrivacyResponse {
    success: bool,
    lists: Vec<PrivacyList>,
}

/// The audience rules for status posts; `default` marks the one in force.
#[utoipa::path(get, path = "/status/privacy", tag = "status", security(("bearerAuth" = [])), params(DeviceQuery),
    responses((status = 200, body = PrivacyResponse), (status = 401, body = NestedErrorBody),
        (status = 409, body = NestedErrorBody), (status = 503, body = NestedErrorBody)))]
async fn get_privacy(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
) -> ApiResult<axum::Json<PrivacyResponse>> {
    let lists = s.services.status_privacy(&at).await?;
    Ok(axum::Json(PrivacyResponse {
        success: true,
        lists: lists
            .into_iter()
            .map(|l| PrivacyList {
                r#type: l.audience.as_str(),
                default: l.default,
                list: l.users,
            })
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPrivacyBody {
    /// `contacts` (everyone saved; `list` ignored), `whitelist` (only the listed; not empty) or
    /// `blacklist` (everyone saved but the listed).
    #[schema(required = true)]
    #[serde(default)]
    r#type: String,
    /// Phone numbers (any formatting), user JIDs or LIDs.
    #[serde(default)]
    list: Vec<String>,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SetPrivacyResponse {
    success: bool,
    r#type: &'static str,
    count: usize,
    list: Vec<String>,
}

/// Sets who sees status posts.
#[utoipa::path(put, path = "/status/privacy", tag = "status", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = SetPrivacyBody,
    responses((status = 200, body = SetPrivacyResponse), (status = 400, body = NestedErrorBody),
        (status = 401, body = NestedErrorBody), (status = 409, body = NestedErrorBody), (status = 503, body = NestedErrorBody)))]
async fn set_privacy(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<SetPrivacyBody>,
) -> ApiResult<axum::Json<SetPrivacyResponse>> {
    let (audience, list) = s
        .services
        .set_status_privacy(&at, &b.r#type, &b.list)
        .await?;
    Ok(axum::Json(SetPrivacyResponse {
        success: true,
        r#type: audience.as_str(),
        count: list.len(),
        list,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextBody {
    /// 1–700 characters.
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
    /// `text`, `image` or `video`.
    status_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    mime_type: Option<String>,
    /// How many contacts it went to.
    recipients: usize,
}

fn posted(p: wuts_service::status::PostedStatus) -> axum::Json<PostedResponse> {
    axum::Json(PostedResponse {
        success: true,
        message_id: p.message_id,
        timestamp: rfc3339(p.sent_at),
        status_type: p.kind,
        mime_type: p.mime_type,
        recipients: p.audience,
    })
}

/// Posts a text status to the audience the rules in force give.
#[utoipa::path(post, path = "/status/text", tag = "status", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = TextBody,
    responses((status = 200, body = PostedResponse), (status = 400, body = NestedErrorBody),
        (status = 401, body = NestedErrorBody), (status = 409, body = NestedErrorBody), (status = 503, body = NestedErrorBody)))]
async fn post_text(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<TextBody>,
) -> ApiResult<axum::Json<PostedResponse>> {
    Ok(posted(s.services.post_status_text(&at, &b.text).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaBody {
    /// `image` or `video`; from `mime_type` when absent.
    media_type: Option<String>,
    mime_type: Option<String>,
    /// Base64 or a data URI.
    data: Option<String>,
    /// An http(s) URL to fetch the media from.
    url: Option<String>,
    caption: Option<String>,
    #[serde(default)]
    view_once: bool,
    device_id: Option<String>,
}

/// Posts an image or video status.
#[utoipa::path(post, path = "/status/media", tag = "status", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = MediaBody,
    responses((status = 200, body = PostedResponse), (status = 400, body = NestedErrorBody),
        (status = 401, body = NestedErrorBody), (status = 409, body = NestedErrorBody), (status = 413, body = NestedErrorBody),
        (status = 503, body = NestedErrorBody)))]
async fn post_media(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<MediaBody>,
) -> ApiResult<axum::Json<PostedResponse>> {
    let m = StatusMedia {
        media_type: b.media_type,
        mime_type: b.mime_type,
        data: b.data,
        url: b.url,
        caption: b.caption,
        view_once: b.view_once,
    };
    Ok(posted(s.services.post_status_media(&at, m).await?))
}

crate::extract::device_id_in_body!(SetPrivacyBody, TextBody, MediaBody);
