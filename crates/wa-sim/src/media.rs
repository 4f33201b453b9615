//! The media servers: clients upload encrypted media (`POST /mms/{type}/{token}`) and download it
//! by the direct path the upload answered (`GET /v/...`), over plain HTTP on the simulator's port
//! (the `media_conn` answer names that host). The token of a download must be the base64url
//! SHA-256 of the stored bytes, as WhatsApp's CDN checks; the auth must be one the simulator gave.

use crate::state::Sim;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The largest upload accepted (WhatsApp's own limit for documents is far higher).
pub const MAX_UPLOAD: usize = 128 * 1024 * 1024;

/// One stored media file.
#[derive(Clone)]
pub struct Blob {
    pub bytes: Bytes,
    /// `image`, `video`, `md-msg-hist`, ...
    pub mms_type: String,
}

pub fn router() -> Router<Arc<Sim>> {
    Router::new()
        .route(
            "/mms/{kind}/{token}",
            post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route(
            "/newsletter/{kind}/{token}",
            post(upload_newsletter).layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route("/v/{*path}", get(download))
}

#[derive(Deserialize)]
struct UploadQuery {
    auth: Option<String>,
    resume: Option<String>,
}

fn token_of(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(bytes))
}

/// Stores `bytes` under a new direct path and answers it.
pub fn store(sim: &Sim, mms_type: &str, bytes: Bytes) -> String {
    let direct_path = format!(
        "/v/t62.7118-24/{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>()
    );
    sim.media_lock().insert(
        direct_path.clone(),
        Blob {
            bytes,
            mms_type: mms_type.to_string(),
        },
    );
    direct_path
}

async fn upload(
    State(sim): State<Arc<Sim>>,
    Path((kind, token)): Path<(String, String)>,
    Query(q): Query<UploadQuery>,
    body: Bytes,
) -> Response {
    if !q.auth.as_deref().is_some_and(|a| sim.media_auth_valid(a)) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "bad auth"}))).into_response();
    }
    if q.resume.is_some() {
        // Nothing is kept of interrupted uploads: start again.
        return Json(json!({})).into_response();
    }
    if token_of(&body) != token {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "token is not the SHA-256 of the body"})),
        )
            .into_response();
    }
    let direct_path = store(&sim, &kind, body);
    let host = sim.http_host.get().cloned().unwrap_or_default();
    Json(json!({
        "url": format!("https://{host}{direct_path}"),
        "direct_path": direct_path,
    }))
    .into_response()
}

/// Channel media (`newsletter-image`, `newsletter-video`, `newsletter-document`, ...): uploaded
/// as is, unencrypted (channels are not end-to-end encrypted); the answer adds the `handle` a
/// post names its media by.
async fn upload_newsletter(
    State(sim): State<Arc<Sim>>,
    Path((kind, token)): Path<(String, String)>,
    Query(q): Query<UploadQuery>,
    body: Bytes,
) -> Response {
    if !q.auth.as_deref().is_some_and(|a| sim.media_auth_valid(a)) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "bad auth"}))).into_response();
    }
    if !kind.starts_with("newsletter-") {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "unknown media kind"})),
        )
            .into_response();
    }
    if token_of(&body) != token {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "token is not the SHA-256 of the body"})),
        )
            .into_response();
    }
    let direct_path = store(&sim, &kind, body);
    let host = sim.http_host.get().cloned().unwrap_or_default();
    let handle = format!(
        "{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>()
    );
    sim.lock()
        .newsletter_media
        .insert(handle.clone(), direct_path.clone());
    Json(json!({
        "url": format!("https://{host}{direct_path}"),
        "direct_path": direct_path,
        "handle": handle,
    }))
    .into_response()
}

#[derive(Deserialize)]
struct DownloadQuery {
    token: Option<String>,
}

async fn download(
    State(sim): State<Arc<Sim>>,
    Path(path): Path<String>,
    Query(q): Query<DownloadQuery>,
) -> Response {
    let direct_path = format!("/v/{path}");
    let Some(blob) = sim.media_lock().get(&direct_path).cloned() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if q.token.as_deref() != Some(token_of(&blob.bytes).as_str()) {
        return StatusCode::FORBIDDEN.into_response();
    }
    (
        [(axum::http::header::CONTENT_TYPE, "application/octet-stream")],
        blob.bytes,
    )
        .into_response()
}
