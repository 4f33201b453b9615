//! WUTS "contacts" (live-socket part): block, unblock, the block list, who is on WhatsApp.

use crate::error::{ApiResult, ErrorBody};
use crate::extract::DeviceQuery;
use crate::extract::Query;
use crate::extract::{DeviceCtx, DeviceJson};
use crate::AppState;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use wuts_service::contacts::contact;
use wuts_service::Target;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(block))
        .routes(routes!(unblock))
        .routes(routes!(blocklist))
        .routes(routes!(check))
        .routes(routes!(profile))
        .routes(routes!(app_state_sync))
        .routes(routes!(list_contacts))
        .routes(routes!(resolve))
        .routes(routes!(profile_picture))
}

/// The target of a block or unblock, in the query (used when the body does not name one).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TargetQuery {
    /// Read by the device extractor; here for the OpenAPI document.
    #[allow(dead_code)]
    device_id: Option<String>,
    jid: Option<String>,
    number: Option<String>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct TargetBody {
    /// A user JID or a LID.
    jid: Option<String>,
    /// A phone number (normalised); used when `jid` is absent.
    number: Option<String>,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct BlockData {
    jid: String,
    phone_number: Option<String>,
    action: &'static str,
    blocked: bool,
    count: usize,
    dhash: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct BlockResponse {
    success: bool,
    data: BlockData,
}

async fn set_blocked(
    s: AppState,
    at: Target,
    q: TargetQuery,
    b: TargetBody,
    block: bool,
) -> ApiResult<axum::Json<BlockResponse>> {
    let named_in_body = b.jid.is_some() || b.number.is_some();
    let target = if named_in_body {
        contact(b.jid.as_deref(), b.number.as_deref())?
    } else {
        contact(q.jid.as_deref(), q.number.as_deref())?
    };
    let o = s.services.set_blocked(&at, &target, block).await?;
    Ok(axum::Json(BlockResponse {
        success: true,
        data: BlockData {
            jid: o.jid,
            phone_number: o.phone_number,
            action: if block { "block" } else { "unblock" },
            blocked: o.blocked,
            count: o.count,
            dhash: o.dhash,
        },
    }))
}

/// Blocks a contact (`jid` or `number`, in the body or the query).
#[utoipa::path(post, path = "/contacts/block", tag = "contacts", security(("bearerAuth" = [])), params(TargetQuery),
    request_body = TargetBody,
    responses((status = 200, body = BlockResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn block(
    State(s): State<AppState>,
    Query(q): Query<TargetQuery>,
    DeviceJson { at, body: b }: DeviceJson<TargetBody>,
) -> ApiResult<axum::Json<BlockResponse>> {
    set_blocked(s, at, q, b, true).await
}

/// Unblocks a contact (`jid` or `number`, in the body or the query).
#[utoipa::path(post, path = "/contacts/unblock", tag = "contacts", security(("bearerAuth" = [])), params(TargetQuery),
    request_body = TargetBody,
    responses((status = 200, body = BlockResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn unblock(
    State(s): State<AppState>,
    Query(q): Query<TargetQuery>,
    DeviceJson { at, body: b }: DeviceJson<TargetBody>,
) -> ApiResult<axum::Json<BlockResponse>> {
    set_blocked(s, at, q, b, false).await
}

#[derive(Serialize, ToSchema)]
pub struct BlockedItem {
    jid: String,
    phone_number: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct BlocklistData {
    items: Vec<BlockedItem>,
    count: usize,
    dhash: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct BlocklistResponse {
    success: bool,
    data: BlocklistData,
}

/// The block list as WhatsApp has it.
#[utoipa::path(get, path = "/contacts/blocklist", tag = "contacts", security(("bearerAuth" = [])), params(DeviceQuery),
    responses((status = 200, body = BlocklistResponse), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn blocklist(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
) -> ApiResult<axum::Json<BlocklistResponse>> {
    let list = s.services.blocklist(&at).await?;
    let items: Vec<BlockedItem> = list
        .items
        .into_iter()
        .map(|(jid, pn)| BlockedItem {
            jid,
            phone_number: pn.map(|p| p.trim_end_matches("@s.whatsapp.net").to_string()),
        })
        .collect();
    Ok(axum::Json(BlocklistResponse {
        success: true,
        data: BlocklistData {
            count: items.len(),
            items,
            dhash: list.dhash,
        },
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    /// Phone numbers (normalised before the lookup).
    #[schema(required = true)]
    #[serde(default)]
    numbers: Vec<String>,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CheckResponse {
    success: bool,
    /// Cleaned number → on WhatsApp.
    data: BTreeMap<String, bool>,
}

/// Which numbers are on WhatsApp.
#[utoipa::path(post, path = "/contact/check", tag = "contacts", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = CheckBody,
    responses((status = 200, body = CheckResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn check(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<CheckBody>,
) -> ApiResult<axum::Json<CheckResponse>> {
    let found = s.services.check_numbers(&at, &b.numbers).await?;
    Ok(axum::Json(CheckResponse {
        success: true,
        data: found.into_iter().collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProfileQuery {
    /// Read by the device extractor; here for the OpenAPI document.
    #[allow(dead_code)]
    device_id: Option<String>,
    /// A user JID or LID (groups too, for the picture).
    jid: Option<String>,
    /// A phone number; used when `jid` is absent.
    number: Option<String>,
    /// Picture only: `false` or `0` for the full-resolution image.
    preview: Option<String>,
    /// Picture only: the id the caller has; when still current the answer says `unchanged`.
    existing_id: Option<String>,
}

/// WUTS shows user info under whatsmeow's field names.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct UserInfoDto {
    status: Option<String>,
    #[serde(rename = "PictureID")]
    picture_id: Option<String>,
    devices: Vec<String>,
    verified_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ProfileData {
    jid: String,
    user_info: UserInfoDto,
    /// Not fetched yet (null).
    business_profile: Option<serde_json::Value>,
}

#[derive(Serialize, ToSchema)]
pub struct ProfileResponse {
    success: bool,
    data: ProfileData,
}

/// A contact's user info.
#[utoipa::path(get, path = "/contacts/profile", tag = "contacts", security(("bearerAuth" = [])), params(ProfileQuery),
    responses((status = 200, body = ProfileResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn profile(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
    Query(q): Query<ProfileQuery>,
) -> ApiResult<axum::Json<ProfileResponse>> {
    let (jid, info) = s
        .services
        .contact_profile(&at, q.jid.as_deref(), q.number.as_deref())
        .await?;
    Ok(axum::Json(ProfileResponse {
        success: true,
        data: ProfileData {
            jid,
            user_info: UserInfoDto {
                status: info.status,
                picture_id: info.picture_id,
                devices: info.devices,
                verified_name: info.verified_name,
            },
            business_profile: None,
        },
    }))
}

#[derive(Serialize, ToSchema)]
pub struct PictureData {
    jid: String,
    /// null when `existing_id` is still current.
    url: Option<String>,
    id: String,
    r#type: &'static str,
    direct_path: Option<String>,
    unchanged: bool,
}

#[derive(Serialize, ToSchema)]
pub struct PictureResponse {
    success: bool,
    data: PictureData,
}

/// A contact's or group's profile picture, fetched over the live socket.
#[utoipa::path(get, path = "/contacts/profile-picture", tag = "contacts", security(("bearerAuth" = [])), params(ProfileQuery),
    responses((status = 200, body = PictureResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn profile_picture(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
    Query(q): Query<ProfileQuery>,
) -> ApiResult<axum::Json<PictureResponse>> {
    let preview = !matches!(q.preview.as_deref().map(str::trim), Some("false" | "0"));
    let (jid, id, picture) = s
        .services
        .contact_picture(
            &at,
            q.jid.as_deref(),
            q.number.as_deref(),
            preview,
            q.existing_id.as_deref(),
        )
        .await?;
    Ok(axum::Json(PictureResponse {
        success: true,
        data: PictureData {
            jid,
            unchanged: picture.is_none(),
            url: picture.as_ref().map(|p| p.url.clone()),
            id,
            r#type: "image",
            direct_path: picture.and_then(|p| p.direct_path),
        },
    }))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct SyncBody {
    /// Any of contacts, chats, settings, pins, critical (contacts, chats and settings when absent).
    scopes: Option<Vec<String>>,
    /// Resync from scratch instead of from the stored version.
    #[serde(default)]
    full: bool,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SyncResponse {
    success: bool,
    scopes: Vec<String>,
    full_sync: bool,
}

/// Fetches fresh app-state patches from WhatsApp (the body is optional).
#[utoipa::path(post, path = "/appstate/sync", tag = "contacts", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = SyncBody,
    responses((status = 200, body = SyncResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn app_state_sync(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<SyncBody>,
) -> ApiResult<axum::Json<SyncResponse>> {
    let scopes = s.services.sync_app_state(&at, b.scopes, b.full).await?;
    Ok(axum::Json(SyncResponse {
        success: true,
        scopes,
        full_sync: b.full,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ContactDto {
    jid: String,
    /// Ours: the contact's LID when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    lid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<String>,
    full_name: Option<String>,
    push_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    business_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ContactsResponse {
    success: bool,
    count: usize,
    contacts: Vec<ContactDto>,
}

/// Every contact the device knows (from app state and push names).
#[utoipa::path(get, path = "/contacts", tag = "contacts", security(("bearerAuth" = [])), params(DeviceQuery),
    responses((status = 200, body = ContactsResponse), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn list_contacts(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
) -> ApiResult<axum::Json<ContactsResponse>> {
    let rows = s.services.list_contacts(&at).await?;
    let contacts: Vec<ContactDto> = rows
        .into_iter()
        .map(|c| ContactDto {
            jid: c.jid,
            lid: c.lid,
            first_name: c.first_name,
            full_name: c.full_name,
            push_name: c.push_name,
            business_name: c.business_name,
        })
        .collect();
    Ok(axum::Json(ContactsResponse {
        success: true,
        count: contacts.len(),
        contacts,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    /// Phone numbers, PN JIDs or LIDs (at most 160).
    #[schema(required = true)]
    #[serde(default)]
    jids: Vec<String>,
    /// Not available yet (400).
    group_jid: Option<String>,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ResolvedItem {
    input: String,
    input_jid: String,
    resolved_jid: Option<String>,
    jid: Option<String>,
    phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lid_jid: Option<String>,
    full_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    push_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ResolveResponse {
    success: bool,
    count: usize,
    items: Vec<ResolvedItem>,
}

/// Resolves identifiers (phones, PN JIDs, LIDs) to both identities and known names.
#[utoipa::path(post, path = "/contacts/resolve", tag = "contacts", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = ResolveBody,
    responses((status = 200, body = ResolveResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn resolve(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<ResolveBody>,
) -> ApiResult<axum::Json<ResolveResponse>> {
    let found = s
        .services
        .resolve_contacts(&at, &b.jids, b.group_jid.as_deref())
        .await?;
    let items: Vec<ResolvedItem> = found
        .into_iter()
        .map(|r| ResolvedItem {
            input: r.input,
            input_jid: r.input_jid,
            resolved_jid: r.resolved.clone(),
            jid: r.resolved,
            phone_number: r.phone_number,
            lid_jid: r.lid,
            full_name: r.full_name,
            push_name: r.push_name,
        })
        .collect();
    Ok(axum::Json(ResolveResponse {
        success: true,
        count: items.len(),
        items,
    }))
}

crate::extract::device_id_in_body!(CheckBody, ResolveBody, SyncBody, TargetBody);
