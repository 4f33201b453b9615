//! WUTS "instances", the session half: pairing by QR or code, live status, connect, disconnect,
//! logout. These answer `{success, data}` as WUTS does, with errors in the common envelope.

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::DeviceQuery;
use crate::extract::Query;
use crate::extract::{DeviceCtx, DeviceJson};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use wuts_core::time::rfc3339;
use wuts_service::instances::{PAIR_CODE_TTL_SECS, QR_TTL_SECS};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(qr))
        .routes(routes!(qr_status))
        .routes(routes!(pair_code))
        .routes(routes!(status))
        .routes(routes!(connect))
        .routes(routes!(disconnect))
        .routes(routes!(logout))
        .routes(routes!(privacy))
        .routes(routes!(profile_picture))
}

#[derive(Serialize, ToSchema)]
pub struct Data<T: ToSchema> {
    success: bool,
    data: T,
}

fn ok<T: ToSchema>(data: T) -> axum::Json<Data<T>> {
    axum::Json(Data {
        success: true,
        data,
    })
}

/// WUTS accepts several spellings of its boolean flags.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct QrQuery {
    /// Read by the device extractor; here for the OpenAPI document.
    #[allow(dead_code)]
    device_id: Option<String>,
    #[serde(alias = "reuse", alias = "use_cache", alias = "cached")]
    reuse_cache: Option<bool>,
    #[serde(alias = "force_refresh", alias = "force_new")]
    refresh: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct QrData {
    /// The raw QR payload (`2@...`).
    qr_code: String,
    /// The same as a PNG data URI.
    image: String,
    cached: bool,
    expires_at: String,
    ttl: i64,
}

fn png_data_uri(code: &str) -> Result<String, ApiError> {
    let internal =
        |e: String| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", e);
    let qr = qrcode::QrCode::new(code.as_bytes()).map_err(|e| internal(e.to_string()))?;
    let img = qr
        .render::<image::Luma<u8>>()
        .min_dimensions(256, 256)
        .build();
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png)
        .map_err(|e| internal(e.to_string()))?;
    Ok(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png.into_inner())
    ))
}

/// A pairing QR for the device; starts connecting in the background.
#[utoipa::path(get, path = "/qr", tag = "instances", security(("bearerAuth" = [])), params(QrQuery),
    responses((status = 200, body = Data<QrData>), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn qr(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
    Query(q): Query<QrQuery>,
) -> ApiResult<axum::Json<Data<QrData>>> {
    let refresh = q.refresh.unwrap_or(false) || q.reuse_cache == Some(false);
    let (_, qr) = s.services.qr(&at, refresh).await?;
    Ok(ok(QrData {
        image: png_data_uri(&qr.code)?,
        qr_code: qr.code,
        cached: qr.cached,
        expires_at: rfc3339(qr.generated_at + QR_TTL_SECS * 1000),
        ttl: QR_TTL_SECS,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct QrStatusData {
    exists: bool,
    generated_at: Option<String>,
}

/// Whether a QR is cached for the device (`device_id` required).
#[utoipa::path(get, path = "/qr/status", tag = "instances", security(("bearerAuth" = [])), params(DeviceQuery),
    responses((status = 200, body = Data<QrStatusData>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn qr_status(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
) -> ApiResult<axum::Json<Data<QrStatusData>>> {
    let at = s.services.qr_status(&at).await?;
    Ok(ok(QrStatusData {
        exists: at.is_some(),
        generated_at: at.map(rfc3339),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct PairCodeRequest {
    #[schema(required = true)]
    #[serde(default)]
    phone: String,
    device_id: Option<String>,
    #[allow(dead_code)]
    reuse_cache: Option<bool>,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct RefreshQuery {
    #[serde(alias = "force_refresh", alias = "force_new")]
    refresh: Option<bool>,
    /// Read by the device extractor; here for the OpenAPI document.
    #[allow(dead_code)]
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PairCodeData {
    /// `ABCD-1234`.
    code: String,
    phone: String,
    expires_in: i64,
    cached: bool,
    instructions: String,
}

const INSTRUCTIONS: &str =
    "No WhatsApp do celular: Configurações > Aparelhos conectados > Conectar um aparelho > \
Conectar com número de telefone, e digite o código.";

/// An 8-character code to enter on the phone, instead of scanning a QR.
#[utoipa::path(post, path = "/paircode", tag = "instances", security(("bearerAuth" = [])), params(RefreshQuery),
    request_body = PairCodeRequest,
    responses((status = 200, body = Data<PairCodeData>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn pair_code(
    State(s): State<AppState>,
    Query(q): Query<RefreshQuery>,
    DeviceJson { at, body: b }: DeviceJson<PairCodeRequest>,
) -> ApiResult<axum::Json<Data<PairCodeData>>> {
    let (_, pc) = s
        .services
        .pair_code(&at, &b.phone, q.refresh.unwrap_or(false))
        .await?;
    let code = if pc.code.len() == 8 {
        format!("{}-{}", &pc.code[..4], &pc.code[4..])
    } else {
        pc.code
    };
    Ok(ok(PairCodeData {
        code,
        phone: pc.phone,
        expires_in: PAIR_CODE_TTL_SECS,
        cached: pc.cached,
        instructions: INSTRUCTIONS.into(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct StatusData {
    connected: bool,
    /// `connected`, `disconnected` or `needs_qr`.
    status: &'static str,
    device_id: String,
    jid: Option<String>,
    phone_number: Option<String>,
    is_logged_in: bool,
    last_seen: Option<String>,
    /// The proxy the device connects through (password masked); `null` for a direct
    /// connection.
    proxy_url: Option<String>,
    /// Where that proxy comes from: `device`, `tenant` or `none`.
    proxy_source: &'static str,
    /// Why the last connection attempt failed (e.g. the proxy refused), until one succeeds.
    last_error: Option<String>,
}

/// The device's live connection and login state.
#[utoipa::path(get, path = "/status", tag = "instances", security(("bearerAuth" = [])), params(DeviceQuery),
    responses((status = 200, body = Data<StatusData>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn status(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
) -> ApiResult<axum::Json<Data<StatusData>>> {
    let st = s.services.status(&at).await?;
    let status = if st.connected {
        "connected"
    } else if st.logged_in {
        "disconnected"
    } else {
        "needs_qr"
    };
    Ok(ok(StatusData {
        connected: st.connected,
        status,
        device_id: st.device.id.clone(),
        jid: st.jid,
        phone_number: st.phone_number,
        is_logged_in: st.logged_in,
        last_seen: st.device.last_seen.map(rfc3339),
        proxy_url: st.proxy_url,
        proxy_source: st.proxy_source,
        last_error: st.last_error,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ConnectData {
    status: &'static str,
    device_id: String,
    needs_qr: bool,
}

/// Reconnects from stored credentials (no QR); `needs_qr` when there are none.
#[utoipa::path(post, path = "/connect", tag = "instances", security(("bearerAuth" = [])), params(DeviceQuery),
    responses((status = 200, body = Data<ConnectData>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn connect(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
) -> ApiResult<axum::Json<Data<ConnectData>>> {
    let (device, connected, needs_qr) = s.services.connect(&at).await?;
    Ok(ok(ConnectData {
        status: if connected { "connected" } else { "needs_qr" },
        device_id: device.id,
        needs_qr,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct DoneData {
    message: &'static str,
    device_id: String,
}

/// Drops the WhatsApp connection and keeps the credentials.
#[utoipa::path(post, path = "/disconnect", tag = "instances", security(("bearerAuth" = [])), params(DeviceQuery),
    responses((status = 200, body = Data<DoneData>), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn disconnect(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
) -> ApiResult<axum::Json<Data<DoneData>>> {
    let device = s.services.disconnect(&at).await?;
    Ok(ok(DoneData {
        message: "device disconnected",
        device_id: device.id,
    }))
}

/// Logs out: WhatsApp removes the linked device and its credentials are wiped.
#[utoipa::path(post, path = "/logout", tag = "instances", security(("bearerAuth" = [])), params(DeviceQuery),
    responses((status = 200, body = Data<DoneData>), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn logout(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
) -> ApiResult<axum::Json<Data<DoneData>>> {
    let device = s.services.logout(&at).await?;
    Ok(ok(DoneData {
        message: "device logged out successfully",
        device_id: device.id,
    }))
}

/// The connected account's own privacy settings (whatsmeow's field names, as WUTS shows them).
#[utoipa::path(get, path = "/privacy", tag = "instances", security(("bearerAuth" = [])), params(DeviceQuery),
    responses((status = 200, body = Data<std::collections::BTreeMap<String, String>>), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn privacy(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
) -> ApiResult<axum::Json<Data<std::collections::BTreeMap<&'static str, String>>>> {
    Ok(ok(s.services.privacy(&at).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct PictureRequest {
    /// A JPEG, base64 (a data URI is accepted), at most 2 MiB decoded.
    #[schema(required = true)]
    #[serde(default)]
    image_base64: String,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PictureResponse {
    success: bool,
    picture_id: String,
}

/// Sets the connected account's own profile photo.
#[utoipa::path(post, path = "/profile/picture", tag = "instances", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = PictureRequest,
    responses((status = 200, body = PictureResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn profile_picture(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<PictureRequest>,
) -> ApiResult<axum::Json<PictureResponse>> {
    let picture_id = s.services.set_profile_picture(&at, &b.image_base64).await?;
    Ok(axum::Json(PictureResponse {
        success: true,
        picture_id,
    }))
}

crate::extract::device_id_in_body!(PairCodeRequest, PictureRequest);
