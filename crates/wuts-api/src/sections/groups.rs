//! WUTS "groups" with communities: create, list, read, update, the disappearing timer,
//! participants, invites and joins, pictures, leave; communities, their members and the groups
//! linked to them.

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{DeviceCtx, DeviceJson, DeviceQuery, Path};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use wuts_core::time::rfc3339;
use wuts_service::groups::{CreateGroup, GroupInfo, JoinGroup, ParticipantAction, UpdateGroup};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_group, list_groups))
        .routes(routes!(get_group, update_group))
        .routes(routes!(set_ephemeral))
        .routes(routes!(leave_group))
        .routes(routes!(add_participants, remove_participants))
        .routes(routes!(invite_link))
        .routes(routes!(reset_invite))
        .routes(routes!(join_group))
        .routes(routes!(set_picture))
        .routes(routes!(create_community))
        .routes(routes!(
            add_community_participants,
            remove_community_participants
        ))
        .routes(routes!(link_group))
        .routes(routes!(unlink_group))
}

#[derive(Serialize, ToSchema)]
pub struct Participant {
    jid: String,
    phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lid: Option<String>,
    is_admin: bool,
    is_super_admin: bool,
}

/// A group as WUTS answers it; `participants` only where the catalogue shows them.
#[derive(Serialize, ToSchema)]
pub struct Group {
    jid: String,
    name: String,
    topic: Option<String>,
    owner: Option<String>,
    /// RFC 3339.
    created_at: Option<String>,
    is_announce: bool,
    is_locked: bool,
    join_approval: bool,
    /// Seconds; 0 off.
    ephemeral_duration: u32,
    members_count: usize,
    /// A community (a parent group).
    is_community: bool,
    /// The community the group belongs to.
    parent_jid: Option<String>,
    /// A community's announcement group (made with the community; only admins send).
    is_announcement_group: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    participants: Option<Vec<Participant>>,
}

fn group(g: GroupInfo, with_participants: bool) -> Group {
    Group {
        participants: with_participants.then(|| {
            g.participants
                .into_iter()
                .map(|p| Participant {
                    jid: p.jid,
                    phone_number: p.phone_number,
                    lid: p.lid,
                    is_admin: p.is_admin,
                    is_super_admin: p.is_super_admin,
                })
                .collect()
        }),
        jid: g.jid,
        name: g.name,
        topic: g.topic,
        owner: g.owner,
        created_at: g.created_at.map(|s| rfc3339(s as i64 * 1000)),
        is_announce: g.is_announce,
        is_locked: g.is_locked,
        join_approval: g.join_approval,
        ephemeral_duration: g.ephemeral,
        members_count: g.members_count,
        is_community: g.is_community,
        parent_jid: g.parent_jid,
        is_announcement_group: g.is_announcement_group,
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct GroupOptions {
    /// Only admins send.
    #[serde(default)]
    announcement: bool,
    /// Only admins edit the group's info.
    #[serde(default)]
    locked: bool,
    /// Joins need an admin's approval.
    #[serde(default)]
    join_approval: bool,
    /// Create a community (a parent group) instead; WhatsApp makes its announcement group.
    #[serde(default)]
    community: bool,
    /// The community (…@g.us) the new group belongs to.
    parent_jid: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroupBody {
    /// 1–100 characters.
    #[schema(required = true)]
    #[serde(default)]
    name: String,
    /// Phone numbers (any formatting), user JIDs or LIDs.
    #[schema(required = true)]
    #[serde(default)]
    participants: Vec<String>,
    #[serde(default)]
    options: Option<GroupOptions>,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct GroupResponse {
    success: bool,
    group: Group,
}

/// Creates a group with the device's account as super admin.
#[utoipa::path(post, path = "/groups", tag = "groups", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = CreateGroupBody,
    responses((status = 201, body = GroupResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn create_group(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<CreateGroupBody>,
) -> ApiResult<(StatusCode, axum::Json<GroupResponse>)> {
    let o = b.options.unwrap_or_default();
    let g = s
        .services
        .create_group(
            &at,
            CreateGroup {
                name: b.name,
                participants: b.participants,
                announcement: o.announcement,
                locked: o.locked,
                join_approval: o.join_approval,
                community: o.community,
                parent_jid: o.parent_jid,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(GroupResponse {
            success: true,
            group: group(g, true),
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct GroupsResponse {
    success: bool,
    groups: Vec<Group>,
}

/// Every group the account is in.
#[utoipa::path(get, path = "/groups", tag = "groups", security(("bearerAuth" = [])), params(DeviceQuery),
    responses((status = 200, body = GroupsResponse), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn list_groups(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
) -> ApiResult<axum::Json<GroupsResponse>> {
    let groups = s.services.list_groups(&at).await?;
    Ok(axum::Json(GroupsResponse {
        success: true,
        groups: groups.into_iter().map(|g| group(g, false)).collect(),
    }))
}

/// One group with its participants.
#[utoipa::path(get, path = "/groups/{jid}", tag = "groups", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "group JID (…@g.us)"), DeviceQuery),
    responses((status = 200, body = GroupResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn get_group(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
    Path(jid): Path<String>,
) -> ApiResult<axum::Json<GroupResponse>> {
    let g = s.services.group(&at, &jid).await?;
    Ok(axum::Json(GroupResponse {
        success: true,
        group: group(g, true),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGroupBody {
    /// 1–100 characters.
    name: Option<String>,
    /// The description (as `description`); empty removes it.
    topic: Option<String>,
    /// At most 2,048 characters; empty removes it.
    description: Option<String>,
    /// Only admins send.
    announcement: Option<bool>,
    /// Only admins edit the group's info.
    locked: Option<bool>,
    /// Joins need an admin's approval.
    join_approval: Option<bool>,
    /// `admin` (only admins add members) or `all`.
    member_add_mode: Option<String>,
    device_id: Option<String>,
}

/// Updates one or more of the group's properties; answers the group (without participants).
#[utoipa::path(patch, path = "/groups/{jid}", tag = "groups", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "group JID (…@g.us)"), DeviceQuery), request_body = UpdateGroupBody,
    responses((status = 200, body = GroupResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn update_group(
    State(s): State<AppState>,
    Path(jid): Path<String>,
    DeviceJson { at, body: b }: DeviceJson<UpdateGroupBody>,
) -> ApiResult<axum::Json<GroupResponse>> {
    let g = s
        .services
        .update_group(
            &at,
            &jid,
            UpdateGroup {
                name: b.name,
                topic: b.topic,
                description: b.description,
                announcement: b.announcement,
                locked: b.locked,
                join_approval: b.join_approval,
                member_add_mode: b.member_add_mode,
            },
        )
        .await?;
    Ok(axum::Json(GroupResponse {
        success: true,
        group: group(g, false),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EphemeralBody {
    /// 0 (off), 86400, 604800 or 7776000.
    #[schema(required = true)]
    duration_seconds: Option<i64>,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EphemeralResponse {
    success: bool,
    duration_seconds: u32,
}

/// Sets the group's disappearing timer.
#[utoipa::path(put, path = "/groups/{jid}/ephemeral", tag = "groups", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "group JID (…@g.us)"), DeviceQuery), request_body = EphemeralBody,
    responses((status = 200, body = EphemeralResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn set_ephemeral(
    State(s): State<AppState>,
    Path(jid): Path<String>,
    DeviceJson { at, body: b }: DeviceJson<EphemeralBody>,
) -> ApiResult<axum::Json<EphemeralResponse>> {
    let secs = s
        .services
        .set_group_ephemeral(&at, &jid, b.duration_seconds)
        .await?;
    Ok(axum::Json(EphemeralResponse {
        success: true,
        duration_seconds: secs,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantsBody {
    /// Phone numbers (any formatting), user JIDs or LIDs.
    #[schema(required = true)]
    #[serde(default)]
    participants: Vec<String>,
    /// `add`, `remove`, `promote` or `demote` (default: add for POST, remove for DELETE).
    action: Option<String>,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ParticipantOutcome {
    jid: String,
    phone_number: Option<String>,
    is_admin: bool,
    is_super_admin: bool,
    /// Whether WhatsApp made the change for this participant.
    success: bool,
    /// WhatsApp's code when it did not (409 already a member, 404 not a member, 403 not
    /// allowed, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ParticipantsResponse {
    success: bool,
    group_jid: String,
    /// `add`, `remove`, `promote` or `demote`.
    action: &'static str,
    participants: Vec<ParticipantOutcome>,
}

async fn participants(
    s: AppState,
    at: wuts_service::Target,
    jid: String,
    b: ParticipantsBody,
    default: ParticipantAction,
) -> ApiResult<axum::Json<ParticipantsResponse>> {
    let (action, results) = s
        .services
        .change_participants(&at, &jid, b.action.as_deref(), default, &b.participants)
        .await?;
    let admin_now = action == ParticipantAction::Promote;
    Ok(axum::Json(ParticipantsResponse {
        success: true,
        group_jid: jid.trim().to_string(),
        action: match action {
            ParticipantAction::Add => "add",
            ParticipantAction::Remove => "remove",
            ParticipantAction::Promote => "promote",
            ParticipantAction::Demote => "demote",
        },
        participants: results
            .into_iter()
            .map(|r| ParticipantOutcome {
                jid: r.jid,
                phone_number: r.phone_number,
                is_admin: admin_now && r.error.is_none(),
                is_super_admin: false,
                success: r.error.is_none(),
                error: r.error,
            })
            .collect(),
    }))
}

/// Adds participants (or removes, promotes, demotes them with `action`).
#[utoipa::path(post, path = "/groups/{jid}/participants", tag = "groups", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "group JID (…@g.us)"), DeviceQuery), request_body = ParticipantsBody,
    responses((status = 200, body = ParticipantsResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn add_participants(
    State(s): State<AppState>,
    Path(jid): Path<String>,
    DeviceJson { at, body: b }: DeviceJson<ParticipantsBody>,
) -> ApiResult<axum::Json<ParticipantsResponse>> {
    participants(s, at, jid, b, ParticipantAction::Add).await
}

/// Removes participants (or another `action`).
#[utoipa::path(delete, path = "/groups/{jid}/participants", tag = "groups", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "group JID (…@g.us)"), DeviceQuery), request_body = ParticipantsBody,
    responses((status = 200, body = ParticipantsResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn remove_participants(
    State(s): State<AppState>,
    Path(jid): Path<String>,
    DeviceJson { at, body: b }: DeviceJson<ParticipantsBody>,
) -> ApiResult<axum::Json<ParticipantsResponse>> {
    participants(s, at, jid, b, ParticipantAction::Remove).await
}

#[derive(Serialize, ToSchema)]
pub struct InviteResponse {
    success: bool,
    group_jid: String,
    invite_link: String,
    /// After a reset: when (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    reset_at: Option<String>,
}

/// The group's current invite link (not regenerated).
#[utoipa::path(get, path = "/groups/{jid}/invite", tag = "groups", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "group JID (…@g.us)"), DeviceQuery),
    responses((status = 200, body = InviteResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn invite_link(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
    Path(jid): Path<String>,
) -> ApiResult<axum::Json<InviteResponse>> {
    let link = s.services.invite_link(&at, &jid, false).await?;
    Ok(axum::Json(InviteResponse {
        success: true,
        group_jid: jid.trim().to_string(),
        invite_link: link,
        reset_at: None,
    }))
}

/// Revokes the invite link and issues a new one; the old link stops working.
#[utoipa::path(post, path = "/groups/{jid}/invite/reset", tag = "groups", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "group JID (…@g.us)"), DeviceQuery),
    responses((status = 200, body = InviteResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn reset_invite(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
    Path(jid): Path<String>,
) -> ApiResult<axum::Json<InviteResponse>> {
    let link = s.services.invite_link(&at, &jid, true).await?;
    Ok(axum::Json(InviteResponse {
        success: true,
        group_jid: jid.trim().to_string(),
        invite_link: link,
        reset_at: Some(rfc3339(wuts_core::time::now_millis())),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinBody {
    /// `https://chat.whatsapp.com/<code>` (or the bare code).
    link: Option<String>,
    /// A v4 invite's code, with `group_jid` and `inviter_jid` (instead of `link`).
    code: Option<String>,
    group_jid: Option<String>,
    inviter_jid: Option<String>,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct JoinResponse {
    success: bool,
    /// True when an admin must approve the join first.
    pending_approval: bool,
    group_jid: String,
}

/// Joins a group by invite link, or by a v4 invite's code, group and inviter.
#[utoipa::path(post, path = "/groups/join", tag = "groups", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = JoinBody,
    responses((status = 200, body = JoinResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn join_group(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<JoinBody>,
) -> ApiResult<axum::Json<JoinResponse>> {
    let (group_jid, pending) = s
        .services
        .join_group(
            &at,
            JoinGroup {
                link: b.link,
                code: b.code,
                group_jid: b.group_jid,
                inviter_jid: b.inviter_jid,
            },
        )
        .await?;
    Ok(axum::Json(JoinResponse {
        success: true,
        pending_approval: pending,
        group_jid,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PictureBody {
    /// A JPEG of at most 2 MiB, base64 (a `data:` URI too).
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

/// Sets the group's photo.
#[utoipa::path(post, path = "/groups/{jid}/picture", tag = "groups", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "group JID (…@g.us)"), DeviceQuery), request_body = PictureBody,
    responses((status = 200, body = PictureResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn set_picture(
    State(s): State<AppState>,
    Path(jid): Path<String>,
    DeviceJson { at, body: b }: DeviceJson<PictureBody>,
) -> ApiResult<axum::Json<PictureResponse>> {
    let id = s
        .services
        .set_group_picture(&at, &jid, &b.image_base64)
        .await?;
    Ok(axum::Json(PictureResponse {
        success: true,
        picture_id: id,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct LeaveResponse {
    success: bool,
}

/// The device's account leaves the group.
#[utoipa::path(delete, path = "/groups/{jid}/leave", tag = "groups", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "group JID (…@g.us)"), DeviceQuery),
    responses((status = 200, body = LeaveResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn leave_group(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
    Path(jid): Path<String>,
) -> ApiResult<axum::Json<LeaveResponse>> {
    s.services.leave_group(&at, &jid).await?;
    Ok(axum::Json(LeaveResponse { success: true }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCommunityBody {
    /// 1–100 characters.
    #[schema(required = true)]
    #[serde(default)]
    name: String,
    /// Optional: phone numbers (any formatting), user JIDs or LIDs.
    #[serde(default)]
    participants: Vec<String>,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CommunityResponse {
    success: bool,
    community: Group,
}

/// Creates a community (a parent group); WhatsApp makes its announcement group with it.
#[utoipa::path(post, path = "/communities", tag = "groups", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = CreateCommunityBody,
    responses((status = 201, body = CommunityResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn create_community(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<CreateCommunityBody>,
) -> ApiResult<(StatusCode, axum::Json<CommunityResponse>)> {
    let g = s
        .services
        .create_community(&at, &b.name, &b.participants)
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CommunityResponse {
            success: true,
            community: group(g, true),
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommunityParticipantsBody {
    /// Phone numbers (any formatting), user JIDs or LIDs.
    #[schema(required = true)]
    #[serde(default)]
    participants: Vec<String>,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CommunityParticipantsResponse {
    success: bool,
    jid: String,
    /// `add` or `remove`.
    action: &'static str,
    participants: Vec<ParticipantOutcome>,
}

async fn community_participants(
    s: AppState,
    at: wuts_service::Target,
    jid: String,
    b: CommunityParticipantsBody,
    add: bool,
) -> ApiResult<axum::Json<CommunityParticipantsResponse>> {
    let results = s
        .services
        .community_participants(&at, &jid, add, &b.participants)
        .await?;
    Ok(axum::Json(CommunityParticipantsResponse {
        success: true,
        jid: jid.trim().to_string(),
        action: if add { "add" } else { "remove" },
        participants: results
            .into_iter()
            .map(|r| ParticipantOutcome {
                jid: r.jid,
                phone_number: r.phone_number,
                is_admin: false,
                is_super_admin: false,
                success: r.error.is_none(),
                error: r.error,
            })
            .collect(),
    }))
}

/// Adds people to a community (and so to its announcement group).
#[utoipa::path(post, path = "/communities/{jid}/participants", tag = "groups", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "community JID (…@g.us)"), DeviceQuery),
    request_body = CommunityParticipantsBody,
    responses((status = 200, body = CommunityParticipantsResponse), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn add_community_participants(
    State(s): State<AppState>,
    Path(jid): Path<String>,
    DeviceJson { at, body: b }: DeviceJson<CommunityParticipantsBody>,
) -> ApiResult<axum::Json<CommunityParticipantsResponse>> {
    community_participants(s, at, jid, b, true).await
}

/// Removes people from a community and from every group linked to it.
#[utoipa::path(delete, path = "/communities/{jid}/participants", tag = "groups", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "community JID (…@g.us)"), DeviceQuery),
    request_body = CommunityParticipantsBody,
    responses((status = 200, body = CommunityParticipantsResponse), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn remove_community_participants(
    State(s): State<AppState>,
    Path(jid): Path<String>,
    DeviceJson { at, body: b }: DeviceJson<CommunityParticipantsBody>,
) -> ApiResult<axum::Json<CommunityParticipantsResponse>> {
    community_participants(s, at, jid, b, false).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkGroupBody {
    /// The group (…@g.us) to link; the device's account administers both.
    #[schema(required = true)]
    #[serde(default)]
    group_jid: String,
    device_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LinkResponse {
    success: bool,
    community_jid: String,
    group_jid: String,
    /// Whether the group is linked to the community now.
    linked: bool,
}

/// Links a group to a community.
#[utoipa::path(post, path = "/communities/{jid}/groups", tag = "groups", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "community JID (…@g.us)"), DeviceQuery), request_body = LinkGroupBody,
    responses((status = 200, body = LinkResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn link_group(
    State(s): State<AppState>,
    Path(jid): Path<String>,
    DeviceJson { at, body: b }: DeviceJson<LinkGroupBody>,
) -> ApiResult<axum::Json<LinkResponse>> {
    s.services.link_group(&at, &jid, &b.group_jid, true).await?;
    Ok(axum::Json(LinkResponse {
        success: true,
        community_jid: jid.trim().to_string(),
        group_jid: b.group_jid.trim().to_string(),
        linked: true,
    }))
}

/// Unlinks a group from a community (its members stay in it).
#[utoipa::path(delete, path = "/communities/{jid}/groups/{group_jid}", tag = "groups", security(("bearerAuth" = [])),
    params(("jid" = String, Path, description = "community JID (…@g.us)"),
        ("group_jid" = String, Path, description = "the linked group (…@g.us)"), DeviceQuery),
    responses((status = 200, body = LinkResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn unlink_group(
    State(s): State<AppState>,
    DeviceCtx(at): DeviceCtx,
    Path((jid, group_jid)): Path<(String, String)>,
) -> ApiResult<axum::Json<LinkResponse>> {
    s.services.link_group(&at, &jid, &group_jid, false).await?;
    Ok(axum::Json(LinkResponse {
        success: true,
        community_jid: jid.trim().to_string(),
        group_jid: group_jid.trim().to_string(),
        linked: false,
    }))
}

crate::extract::device_id_in_body!(
    CommunityParticipantsBody,
    CreateCommunityBody,
    LinkGroupBody,
    CreateGroupBody,
    EphemeralBody,
    JoinBody,
    ParticipantsBody,
    PictureBody,
    UpdateGroupBody
);
