//! Ours (WUTS has webhooks only): `GET|PUT /events/outputs`, which of the tenant's events the
//! operator's broker outputs (NATS JetStream, RabbitMQ) carry, and how those outputs are doing.

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Auth, Json};
use crate::AppState;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use wuts_core::outputs::OutputReport;
use wuts_core::time::rfc3339;
use wuts_service::event_outputs::EventOutputs;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_outputs, put_outputs))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputsBody {
    /// Whether the tenant's events go to the brokers at all (default true).
    enabled: Option<bool>,
    /// Catalogue event names; absent or `null`: every event.
    #[schema(example = json!(["message.received", "message.sent"]))]
    enabled_events: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema)]
pub struct OutputState {
    /// `nats` or `rabbitmq`.
    #[schema(example = "nats")]
    name: &'static str,
    /// The broker, without credentials.
    target: String,
    /// The JetStream stream or the RabbitMQ exchange.
    destination: String,
    /// `up` or `down` (the last attempt failed; events wait in the outbox).
    #[schema(example = "up")]
    state: &'static str,
    last_error: Option<String>,
    /// Events the broker confirmed since this node started.
    published: u64,
    /// Failed attempts since this node started.
    retries: u64,
    /// Age of the oldest event not yet published (0 when caught up).
    lag_seconds: f64,
}

pub(crate) fn state(r: OutputReport) -> OutputState {
    OutputState {
        name: r.name,
        target: r.target,
        destination: r.destination,
        state: if r.up { "up" } else { "down" },
        last_error: r.last_error,
        published: r.published,
        retries: r.retries,
        lag_seconds: r.lag_ms as f64 / 1000.0,
    }
}

#[derive(Serialize, ToSchema)]
pub struct OutputsResponse {
    success: bool,
    enabled: bool,
    /// `null`: every event.
    enabled_events: Option<Vec<String>>,
    /// When the tenant last changed it (`null`: never, the default applies).
    updated_at: Option<String>,
    /// The outputs the operator configured (empty: none).
    outputs: Vec<OutputState>,
}

fn answer(o: EventOutputs) -> axum::Json<OutputsResponse> {
    axum::Json(OutputsResponse {
        success: true,
        enabled: o.filter.enabled,
        enabled_events: o.filter.enabled_events,
        updated_at: o.filter.updated_at.map(rfc3339),
        outputs: o.outputs.into_iter().map(state).collect(),
    })
}

/// The tenant's broker filter and the state of each configured output.
#[utoipa::path(get, path = "/events/outputs", tag = "webhooks", security(("bearerAuth" = [])),
    responses((status = 200, body = OutputsResponse), (status = 401, body = ErrorBody)))]
async fn get_outputs(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> ApiResult<axum::Json<OutputsResponse>> {
    Ok(answer(s.services.event_outputs(&p).await?))
}

/// Sets which of the tenant's events go to the brokers (admins and managers).
#[utoipa::path(put, path = "/events/outputs", tag = "webhooks", security(("bearerAuth" = [])),
    request_body = OutputsBody,
    responses((status = 200, body = OutputsResponse), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn put_outputs(
    State(s): State<AppState>,
    Auth(p): Auth,
    Json(b): Json<OutputsBody>,
) -> ApiResult<axum::Json<OutputsResponse>> {
    Ok(answer(
        s.services
            .set_event_outputs(&p, b.enabled, b.enabled_events)
            .await?,
    ))
}
