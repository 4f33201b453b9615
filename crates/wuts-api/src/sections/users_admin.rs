//! WUTS "users-and-admin": tenants (master token) and the users of a tenant.

use crate::dto::{MessageResponse, TenantDto, UserDto};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Auth, Caller, Json, Master, Path};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use wuts_core::{time, Role};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(list_tenants))
        .routes(routes!(get_tenant, delete_tenant))
        .routes(routes!(create_user, list_users))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(promote_user))
}

const WEBHOOK_NOTE: &str =
    "The webhook is applied, with every event, to each device this user creates.";
const NO_WEBHOOK_NOTE: &str = "No webhook staged: configure one per device with POST /webhook or for future devices with POST /user/webhook.";

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(required = true)]
    #[serde(default)]
    tenant_name: String,
    #[schema(required = true)]
    #[serde(default)]
    email: String,
    #[schema(required = true)]
    #[serde(default)]
    password: String,
    /// Ignored: the first user of a tenant is always an admin.
    #[serde(default)]
    #[allow(dead_code)]
    role: Option<String>,
    /// Staged on the user and applied to each device they create.
    #[serde(default)]
    webhook_url: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RegisterResponse {
    success: bool,
    user: UserDto,
    tenant: TenantDto,
    /// The admin's API token, shown only here.
    token: String,
    webhook_configured: bool,
    webhook_url: Option<String>,
    note: String,
}

fn webhook_note(url: &Option<String>) -> String {
    if url.is_some() {
        WEBHOOK_NOTE
    } else {
        NO_WEBHOOK_NOTE
    }
    .to_string()
}

/// Create a tenant with its first (admin) user and token.
#[utoipa::path(post, path = "/register", tag = "users-and-admin", security(("masterToken" = [])),
    request_body = RegisterRequest,
    responses((status = 201, body = RegisterResponse), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn register(
    State(s): State<AppState>,
    _: Master,
    Json(b): Json<RegisterRequest>,
) -> ApiResult<(StatusCode, axum::Json<RegisterResponse>)> {
    let r = s
        .services
        .register(
            &b.tenant_name,
            &b.email,
            &b.password,
            b.webhook_url.as_deref(),
        )
        .await?;
    let webhook_url = r.user.pending_webhook_url.clone();
    Ok((
        StatusCode::CREATED,
        axum::Json(RegisterResponse {
            success: true,
            user: UserDto::new(&r.user, Some(r.token.clone())),
            tenant: TenantDto::from(&r.tenant),
            token: r.token,
            webhook_configured: webhook_url.is_some(),
            note: webhook_note(&webhook_url),
            webhook_url,
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct TenantsResponse {
    success: bool,
    tenants: Vec<TenantDto>,
}

/// List every tenant.
#[utoipa::path(get, path = "/tenants", tag = "users-and-admin", security(("masterToken" = [])),
    responses((status = 200, body = TenantsResponse), (status = 401, body = ErrorBody)))]
async fn list_tenants(
    State(s): State<AppState>,
    _: Master,
) -> ApiResult<axum::Json<TenantsResponse>> {
    let tenants = s.services.list_tenants().await?;
    Ok(axum::Json(TenantsResponse {
        success: true,
        tenants: tenants.iter().map(TenantDto::from).collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct TenantResponse {
    success: bool,
    data: TenantDto,
}

/// Get one tenant.
#[utoipa::path(get, path = "/global/tenants/{id}", tag = "users-and-admin", security(("masterToken" = [])),
    params(("id" = uuid::Uuid, Path, description = "Tenant id (UUID)")),
    responses((status = 200, body = TenantResponse), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_tenant(
    State(s): State<AppState>,
    _: Master,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<TenantResponse>> {
    let t = s.services.get_tenant(&id).await?;
    Ok(axum::Json(TenantResponse {
        success: true,
        data: TenantDto::from(&t),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct DeletedTenant {
    tenant_id: String,
    tenant_name: String,
    deleted_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct DeleteTenantResponse {
    success: bool,
    message: String,
    data: DeletedTenant,
}

/// Delete a tenant and everything it owns (users, devices, sessions, webhooks). Irreversible.
#[utoipa::path(delete, path = "/global/tenants/{id}", tag = "users-and-admin", security(("masterToken" = [])),
    params(("id" = uuid::Uuid, Path, description = "Tenant id (UUID)")),
    responses((status = 200, body = DeleteTenantResponse), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_tenant(
    State(s): State<AppState>,
    _: Master,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<DeleteTenantResponse>> {
    let t = s.services.delete_tenant(&id).await?;
    Ok(axum::Json(DeleteTenantResponse {
        success: true,
        message: "Tenant and all its data deleted".into(),
        data: DeletedTenant {
            tenant_id: t.id,
            tenant_name: t.name,
            deleted_at: time::now_rfc3339(),
        },
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    #[schema(required = true)]
    #[serde(default)]
    email: String,
    #[schema(required = true)]
    #[serde(default)]
    password: String,
    /// `admin`, `manager` or `user` (default `user`).
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    webhook_url: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CreateUserResponse {
    success: bool,
    /// Carries the new user's `token`, shown only here.
    user: UserDto,
    webhook_configured: bool,
    webhook_url: Option<String>,
    note: String,
}

/// Create a user in the caller's tenant (admin only).
#[utoipa::path(post, path = "/users", tag = "users-and-admin", security(("bearerAuth" = [])),
    request_body = CreateUserRequest,
    responses((status = 201, body = CreateUserResponse), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_user(
    State(s): State<AppState>,
    Auth(p): Auth,
    Json(b): Json<CreateUserRequest>,
) -> ApiResult<(StatusCode, axum::Json<CreateUserResponse>)> {
    let c = s
        .services
        .create_user(
            &p,
            &b.email,
            &b.password,
            b.role.as_deref(),
            b.webhook_url.as_deref(),
        )
        .await?;
    let webhook_url = c.user.pending_webhook_url.clone();
    Ok((
        StatusCode::CREATED,
        axum::Json(CreateUserResponse {
            success: true,
            user: UserDto::new(&c.user, Some(c.token)),
            webhook_configured: webhook_url.is_some(),
            note: webhook_note(&webhook_url),
            webhook_url,
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct UsersResponse {
    success: bool,
    users: Vec<UserDto>,
}

/// List the tenant's users (admin only).
#[utoipa::path(get, path = "/users", tag = "users-and-admin", security(("bearerAuth" = [])),
    responses((status = 200, body = UsersResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_users(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> ApiResult<axum::Json<UsersResponse>> {
    let users = s.services.list_users(&p).await?;
    Ok(axum::Json(UsersResponse {
        success: true,
        users: users.iter().map(|u| UserDto::new(u, None)).collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct UserResponse {
    success: bool,
    data: UserDto,
}

/// Get a user (yourself; managers and admins: anyone in the tenant; the master token: anyone).
#[utoipa::path(get, path = "/users/{id}", tag = "users-and-admin", security(("bearerAuth" = []), ("masterToken" = [])),
    params(("id" = uuid::Uuid, Path, description = "User id (UUID)")),
    responses((status = 200, body = UserResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_user(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<UserResponse>> {
    let u = match caller {
        Caller::User(p) => s.services.get_user(&p, &id).await?,
        Caller::Master => s.services.get_user_as_master(&id).await?,
    };
    Ok(axum::Json(UserResponse {
        success: true,
        data: UserDto::new(&u, None),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    active: Option<bool>,
    role: Option<String>,
}

/// Update a user's `active` flag and/or `role`. Takes effect at once (a deactivated user's token
/// stops working on the next request).
#[utoipa::path(put, path = "/users/{id}", tag = "users-and-admin", security(("bearerAuth" = [])),
    params(("id" = uuid::Uuid, Path, description = "User id (UUID)")), request_body = UpdateUserRequest,
    responses((status = 200, body = MessageResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn update_user(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Json(b): Json<UpdateUserRequest>,
) -> ApiResult<axum::Json<MessageResponse>> {
    s.services
        .update_user(&p, &id, b.active, b.role.as_deref())
        .await?;
    Ok(axum::Json(MessageResponse::new(
        "User updated successfully",
    )))
}

/// Delete a user permanently, with their devices. Nobody deletes themself.
#[utoipa::path(delete, path = "/users/{id}", tag = "users-and-admin", security(("bearerAuth" = [])),
    params(("id" = uuid::Uuid, Path, description = "User id (UUID)")),
    responses((status = 200, body = MessageResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_user(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<MessageResponse>> {
    s.services.delete_user(&p, &id).await?;
    Ok(axum::Json(MessageResponse::new("User permanently deleted")))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromoteRequest {
    #[schema(required = true)]
    #[serde(default)]
    new_role: String,
}

#[derive(Serialize, ToSchema)]
pub struct RoleChange {
    user_id: String,
    old_role: Role,
    new_role: Role,
}

#[derive(Serialize, ToSchema)]
pub struct PromoteResponse {
    success: bool,
    message: String,
    data: RoleChange,
}

/// Change a user's role, under the transition rules in docs/compat.md.
#[utoipa::path(post, path = "/users/{id}/promote", tag = "users-and-admin", security(("bearerAuth" = [])),
    params(("id" = uuid::Uuid, Path, description = "User id (UUID)")), request_body = PromoteRequest,
    responses((status = 200, body = PromoteResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn promote_user(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Json(b): Json<PromoteRequest>,
) -> ApiResult<axum::Json<PromoteResponse>> {
    let (old_role, new_role) = s.services.promote_user(&p, &id, &b.new_role).await?;
    Ok(axum::Json(PromoteResponse {
        success: true,
        message: format!("User role changed from {old_role} to {new_role}"),
        data: RoleChange {
            user_id: id,
            old_role,
            new_role,
        },
    }))
}
