//! The WUTS HTTP API over axum: one router module per documentation section, the error envelope,
//! the extractors (identity, device choice), OpenAPI generated from the handlers and a docs UI.

pub mod dto;
pub mod error;
pub mod extract;
mod observe;
mod openapi;
pub mod sections;
pub mod server;

use axum::http::{header, HeaderName, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use bytes::Bytes;
use error::ApiError;
use metrics_exporter_prometheus::PrometheusHandle;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_http::LatencyUnit;
use tracing::Level;
use utoipa_axum::router::OpenApiRouter;
use utoipa_scalar::Scalar;
use wuts_service::Services;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub metrics: PrometheusHandle,
}

/// HTTP-level settings.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Allowed CORS origins; empty disables CORS, `*` allows any.
    pub cors_origins: Vec<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            body_limit: 16 * 1024 * 1024,
            cors_origins: Vec::new(),
        }
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole API with its middleware, ready to serve.
pub fn app(services: Services, config: &HttpConfig) -> Router {
    let state = AppState {
        services,
        metrics: observe::prometheus(),
    };
    let sections = OpenApiRouter::with_openapi(openapi::base())
        .merge(sections::users_admin::router())
        .merge(sections::instances::router())
        .merge(sections::pairing::router())
        .merge(sections::messages::router())
        .merge(sections::send::router())
        .merge(sections::media::router())
        .merge(sections::jobs::router())
        .merge(sections::business::router())
        .merge(sections::chats::router())
        .merge(sections::contacts::router())
        .merge(sections::groups::router())
        .merge(sections::newsletters::router())
        .merge(sections::status::router())
        .merge(sections::payments::router())
        .merge(sections::calls::router())
        .merge(sections::labels::router())
        .merge(sections::proxy::router())
        .merge(sections::event_outputs::router())
        .merge(sections::stream::router())
        .merge(sections::webhooks::router())
        .merge(sections::ops::router());
    let (router, mut api) = extract::body_limit(sections, config.body_limit).split_for_parts();
    openapi::complete(&mut api);
    // Both documents are rendered once and shared (a `Bytes` clone per request, none per
    // connection).
    let spec = Bytes::from(serde_json::to_vec(&api).expect("the OpenAPI document serializes"));
    let docs = Bytes::from(Scalar::new(api).to_html());
    let router = router
        .route("/openapi.json", document("application/json", spec))
        .route("/docs", document("text/html; charset=utf-8", docs))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(axum::middleware::from_fn(observe::track))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_ERROR",
                "internal error",
            )
            .into_response()
        }))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<_>| {
                    let id = req
                        .headers()
                        .get(&REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", id, method = %req.method(), path = req.uri().path())
                })
                .on_response(
                    DefaultOnResponse::new()
                        .level(Level::INFO)
                        .latency_unit(LatencyUnit::Micros),
                ),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::map_request(bound_request_id));
    match cors(&config.cors_origins) {
        Some(layer) => router.layer(layer),
        None => router,
    }
}

/// A route answering `body`, rendered once, as `content_type`.
fn document<S: Clone + Send + Sync + 'static>(
    content_type: &'static str,
    body: Bytes,
) -> axum::routing::MethodRouter<S> {
    axum::routing::get(move || {
        let body = body.clone();
        async move { ([(header::CONTENT_TYPE, content_type)], body) }
    })
}

/// The longest `x-request-id` kept from a caller.
pub const REQUEST_ID_MAX: usize = 128;

/// A caller's `x-request-id` is kept only when short and printable (at most
/// [`REQUEST_ID_MAX`] visible ASCII characters); otherwise a new one is made, so that it can
/// neither bloat answers nor logs.
async fn bound_request_id(mut req: axum::extract::Request) -> axum::extract::Request {
    let fits = req
        .headers()
        .get(&REQUEST_ID)
        .map(|v| v.len() <= REQUEST_ID_MAX && v.as_bytes().iter().all(u8::is_ascii_graphic));
    if fits == Some(false) {
        req.headers_mut().remove(&REQUEST_ID);
    }
    req
}

fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| o.parse().ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods(Any)
            .allow_headers(Any)
            .max_age(Duration::from_secs(3600)),
    )
}

async fn not_found(method: Method, uri: Uri) -> Response {
    ApiError::not_found(format!("no route for {method} {}", uri.path())).into_response()
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!("{method} is not allowed on {}", uri.path()),
    )
    .into_response()
}
