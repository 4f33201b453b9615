//! Operations: liveness, readiness (database reachable; the broker outputs' state) and Prometheus metrics (no auth, as WUTS).

use crate::error::{ApiResult, ErrorBody};
use crate::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(ready))
        .routes(routes!(metrics))
}

#[derive(Serialize, ToSchema)]
pub struct HealthResponse {
    success: bool,
    status: &'static str,
    /// `GET /ready` only: the broker outputs (ours). A broker that is down does not make the
    /// node unready: events wait in the database until it is back.
    #[serde(skip_serializing_if = "Option::is_none")]
    outputs: Option<Vec<super::event_outputs::OutputState>>,
    /// `GET /ready` only: media conversion (FFmpeg). Without it the node still serves; the
    /// sends that need a conversion answer 503 naming what to install.
    #[serde(skip_serializing_if = "Option::is_none")]
    media_conversion: Option<ConversionState>,
}

#[derive(Serialize, ToSchema)]
pub struct ConversionState {
    available: bool,
    /// The `ffmpeg` program used.
    ffmpeg: Option<String>,
    version: Option<String>,
    /// Why conversion is unavailable.
    reason: Option<String>,
    /// Conversions at once, running now, waiting for a slot.
    concurrency: usize,
    running: usize,
    waiting: usize,
}

/// The process is up.
#[utoipa::path(get, path = "/health", tag = "operations", responses((status = 200, body = HealthResponse)))]
async fn health() -> axum::Json<HealthResponse> {
    axum::Json(HealthResponse {
        success: true,
        status: "ok",
        outputs: None,
        media_conversion: None,
    })
}

/// The process can serve: its database answers.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses((status = 200, body = HealthResponse), (status = 503, body = ErrorBody)))]
async fn ready(State(s): State<AppState>) -> ApiResult<axum::Json<HealthResponse>> {
    s.services.ready().await?;
    Ok(axum::Json(HealthResponse {
        success: true,
        status: "ready",
        outputs: Some(
            s.services
                .output_reports()
                .into_iter()
                .map(super::event_outputs::state)
                .collect(),
        ),
        media_conversion: Some({
            let c = s.services.conversion_status();
            ConversionState {
                available: c.available,
                ffmpeg: c.ffmpeg,
                version: c.version,
                reason: c.reason,
                concurrency: c.concurrency,
                running: c.running,
                waiting: c.waiting,
            }
        }),
    }))
}

/// Prometheus metrics in the text exposition format (no authentication: scrape it internally).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, content_type = "text/plain", body = String)))]
async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(),
    )
}
