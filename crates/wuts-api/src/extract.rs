//! Request extractors that answer in the envelope: JSON bodies, queries and paths; the caller's
//! identity (user token or master token); and the device a request acts on.

use crate::error::ApiError;
use crate::AppState;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use wuts_core::{FieldError, Principal};
use wuts_service::Target;

/// A JSON body. Malformed JSON, wrong types, missing or unknown fields and oversized bodies all
/// answer in the envelope, naming the field. An empty body reads as `{}`. The Content-Type is not
/// checked (see docs/compat.md).
pub struct Json<T>(pub T);

fn body_rejection(e: BytesRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            format!("cannot read the body: {e}"),
        )
    }
}

pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let inner = e.inner();
        if inner.is_syntax() || inner.is_eof() {
            // `VALIDATION_ERROR` is the one 400 code WUTS clients know; the parser's message
            // (with its line and column) is the `body` field's error.
            let message = format!("malformed JSON: {inner}");
            return ApiError::validation(message.clone(), vec![FieldError::new("body", message)]);
        }
        let path = e.path().to_string();
        let field = if path == "." {
            "body".to_string()
        } else {
            path
        };
        let message = inner.to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_string();
        ApiError::validation(
            format!("{field}: {message}"),
            vec![FieldError::new(field, message)],
        )
    })
}

/// The body limit of a route, as set by [`body_limit`]; read before the body is, so that an
/// announced `Content-Length` over it is refused at once (no `100 Continue`, no upload).
#[derive(Clone, Copy)]
pub struct BodyLimit(pub usize);

/// The layer that limits request bodies to `max` bytes: axum's own limit while reading, and the
/// up-front check of the announced length.
pub fn body_limit<S: Clone + Send + Sync + 'static>(
    router: utoipa_axum::router::OpenApiRouter<S>,
    max: usize,
) -> utoipa_axum::router::OpenApiRouter<S> {
    router
        .layer(axum::extract::DefaultBodyLimit::max(max))
        .layer(axum::Extension(BodyLimit(max)))
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        "request body is too large",
    )
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let announced = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if let (Some(len), Some(BodyLimit(max))) = (announced, req.extensions().get()) {
            if len > *max as u64 {
                return Err(too_large());
            }
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(body_rejection)?;
        parse_json(&bytes).map(Json)
    }
}

/// A query string.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e: QueryRejection| {
                let message = e.body_text();
                ApiError::validation(message.clone(), vec![FieldError::new("query", message)])
            })
    }
}

/// Path parameters.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|e: PathRejection| {
                let message = e.body_text();
                ApiError::validation(message.clone(), vec![FieldError::new("path", message)])
            })
    }
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive; a bare token is
/// accepted). Only that header is read.
fn bearer(parts: &Parts) -> &str {
    let Some(value) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return "";
    };
    let value = value.trim();
    match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => value,
    }
}

/// The calling user, from their token.
pub struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Auth(state.services.authenticate(bearer(parts)).await?))
    }
}

/// The platform operator, by the master token.
pub struct Master;

impl FromRequestParts<AppState> for Master {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        state.services.authenticate_master(bearer(parts)).await?;
        Ok(Master)
    }
}

/// A user token or the master token (for the endpoints super-admins may also call).
pub enum Caller {
    User(Principal),
    Master,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts);
        match state.services.authenticate(token).await {
            Ok(p) => Ok(Caller::User(p)),
            Err(user_err) => match state.services.authenticate_master(token).await {
                Ok(()) => Ok(Caller::Master),
                Err(_) => Err(user_err.into()),
            },
        }
    }
}

/// `?device_id=`: which of the caller's devices a request acts on (see [`DeviceCtx`]); the one
/// definition every section's handlers and OpenAPI parameters use.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeviceQuery {
    /// One of the caller's devices (UUID); needed when the caller has several.
    pub device_id: Option<String>,
}

/// A body that may name its device (`device_id`), as most catalogue endpoints do.
pub trait DeviceIdInBody {
    fn device_id(&self) -> Option<&str>;
}

/// `impl DeviceIdInBody` for request bodies with a `device_id: Option<String>` field.
macro_rules! device_id_in_body {
    ($($t:ty),+ $(,)?) => {$(
        impl $crate::extract::DeviceIdInBody for $t {
            fn device_id(&self) -> Option<&str> {
                self.device_id.as_deref()
            }
        }
    )+};
}
pub(crate) use device_id_in_body;

/// The device a request acts on: the caller (by token) and the `device_id` of the query string.
/// The device itself is chosen by the use case, after it has checked the request's fields, by
/// the one rule of `Services::device` (see [`Target`]). The one way a handler gets its device.
pub struct DeviceCtx(pub Target);

impl FromRequestParts<AppState> for DeviceCtx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Auth(principal) = Auth::from_request_parts(parts, state).await?;
        let Query(q) = Query::<DeviceQuery>::from_request_parts(parts, state).await?;
        Ok(DeviceCtx(Target::new(principal, q.device_id)))
    }
}

/// A device-scoped request with a JSON body; `device_id` may be in the query or in the body (the
/// query wins when both are given). Order of errors: token, then the body (malformed JSON, wrong
/// types), then the use case's field checks, then the device (404, 403, 409).
pub struct DeviceJson<T> {
    pub at: Target,
    pub body: T,
}

impl<T: DeserializeOwned + DeviceIdInBody + Send> FromRequest<AppState> for DeviceJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let (mut parts, body) = req.into_parts();
        let DeviceCtx(at) = DeviceCtx::from_request_parts(&mut parts, state).await?;
        let req = Request::from_parts(parts, body);
        let Json(body) = Json::<T>::from_request(req, state).await?;
        let at = match (at.requested(), body.device_id()) {
            (None, Some(id)) => Target::new(at.principal().clone(), Some(id.to_string())),
            _ => at,
        };
        Ok(DeviceJson { at, body })
    }
}
