//! Media jobs (ours; WUTS answers 202 with a `job_id` and has no way to read it):
//! `GET /jobs/{job_id}`.

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Auth, Path};
use crate::AppState;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use wuts_core::time::rfc3339;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_job))
}

#[derive(Serialize, ToSchema)]
pub struct JobResponse {
    success: bool,
    job_id: String,
    /// `queued`, `processing` (converting, uploading), `sending`, `done` or `failed`.
    status: String,
    /// `audio` or `video`.
    kind: String,
    device_id: String,
    chat_jid: String,
    /// The sent message's id (`done`; also while `sending`).
    message_id: Option<String>,
    /// Why it failed (`failed`).
    error: Option<String>,
    /// The input's type as received and its size.
    input_mime_type: String,
    input_size_bytes: i64,
    /// Attempts started (a restart during one starts another; at most 3).
    attempts: i64,
    created_at: String,
    started_at: Option<String>,
    finished_at: Option<String>,
    /// How long the conversion took.
    conversion_ms: Option<i64>,
    /// From accepted to done or failed.
    total_ms: Option<i64>,
}

/// A media job: what a send answered with 202 became. Its end is also an event:
/// `message.sent` with the `job_id`, or `message.failed`.
#[utoipa::path(get, path = "/jobs/{job_id}", tag = "messages", security(("bearerAuth" = [])),
    params(("job_id" = String, Path, description = "The `job_id` of a 202 answer")),
    responses((status = 200, body = JobResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_job(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(job_id): Path<String>,
) -> ApiResult<axum::Json<JobResponse>> {
    let j = s.services.job(&p, &job_id).await?;
    Ok(axum::Json(JobResponse {
        success: true,
        total_ms: j.finished_at.map(|f| f - j.created_at),
        job_id: j.job_id,
        status: j.status,
        kind: j.kind,
        device_id: j.device_id,
        chat_jid: j.chat_jid,
        message_id: j.message_id,
        error: j.error,
        input_mime_type: j.input_mime,
        input_size_bytes: j.input_bytes,
        attempts: j.attempts,
        created_at: rfc3339(j.created_at),
        started_at: j.started_at.map(rfc3339),
        finished_at: j.finished_at.map(rfc3339),
        conversion_ms: j.converted_ms,
    }))
}
