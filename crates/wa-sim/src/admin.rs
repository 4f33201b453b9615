//! The admin HTTP API: stands in for the phones and lets tests inspect the server.

use crate::proto::pairing;
use crate::state::Sim;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::Node;

pub fn router() -> Router<Arc<Sim>> {
    Router::new()
        .route("/admin/accounts", post(create_account))
        .route("/admin/accounts/{phone}", get(account))
        .route("/admin/accounts/{phone}/labels", get(account_labels))
        .route("/admin/scan-qr", post(scan_qr))
        .route("/admin/pair-code", post(pair_code))
        .route("/admin/send", post(phone_send))
        .route("/admin/read", post(phone_read))
        .route("/admin/block", post(phone_block))
        .route("/admin/app-state", post(phone_app_state))
        .route("/admin/groups", post(create_group))
        .route("/admin/groups/{id}", get(group))
        .route(
            "/admin/groups/{id}/participants",
            post(phone_group_participants),
        )
        .route("/admin/groups/{id}/settings", post(phone_group_settings))
        .route("/admin/status", post(phone_status))
        .route("/admin/calls", post(place_call).get(calls))
        .route("/admin/calls/{id}/cancel", post(cancel_call))
        .route("/admin/newsletters", post(create_newsletter))
        .route("/admin/newsletters/follow", post(follow_newsletter))
        .route("/admin/newsletters/{id}", get(newsletter))
        .route("/admin/newsletters/{id}/post", post(newsletter_post))
        .route("/admin/newsletters/{id}/view", post(newsletter_view))
        .route("/admin/newsletters/{id}/react", post(newsletter_react))
        .route("/admin/history", post(phone_history))
        .route("/admin/send-image", post(phone_send_image))
        .route("/admin/media/expire", post(expire_media))
        .route("/admin/drop", post(drop_connection))
        .route("/admin/peers", get(peers))
        .route("/admin/unlink", post(unlink_device))
}

fn error(status: StatusCode, message: impl std::fmt::Display) -> Response {
    (status, Json(json!({"error": message.to_string()}))).into_response()
}

/// Digits only, 7 to 15 of them.
fn phone_ok(p: &str) -> bool {
    (7..=15).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
}

#[derive(Deserialize)]
struct AccountReq {
    phone: String,
}

async fn create_account(State(sim): State<Arc<Sim>>, Json(r): Json<AccountReq>) -> Response {
    if !phone_ok(&r.phone) {
        return error(StatusCode::BAD_REQUEST, "phone must be 7-15 digits");
    }
    let (jid, lid) = sim.create_account(&r.phone);
    (
        StatusCode::CREATED,
        Json(json!({"phone": r.phone, "jid": jid, "lid": lid})),
    )
        .into_response()
}

async fn account(State(sim): State<Arc<Sim>>, Path(phone): Path<String>) -> Response {
    match sim.dump(&phone) {
        Some(d) => Json(d).into_response(),
        None => error(StatusCode::NOT_FOUND, "no such account"),
    }
}

#[derive(Deserialize)]
struct ScanReq {
    qr: String,
    phone: Option<String>,
}

/// The account's labels as its devices pushed them (decoded app state).
async fn account_labels(State(sim): State<Arc<Sim>>, Path(phone): Path<String>) -> Response {
    match crate::phone_app_state::labels(&sim, &number(&phone)).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => error(StatusCode::NOT_FOUND, e),
    }
}

async fn scan_qr(State(sim): State<Arc<Sim>>, Json(r): Json<ScanReq>) -> Response {
    let phone = r
        .phone
        .unwrap_or_else(|| format!("1555{:07}", rand::random::<u32>() % 10_000_000));
    if !phone_ok(&phone) {
        return error(StatusCode::BAD_REQUEST, "phone must be 7-15 digits");
    }
    match pairing::scan(&sim, &r.qr, &phone) {
        Ok((jid, lid)) => Json(json!({"phone": phone, "jid": jid, "lid": lid})).into_response(),
        Err(e) => error(StatusCode::NOT_FOUND, e),
    }
}

#[derive(Deserialize)]
struct CodeReq {
    phone: String,
    code: String,
}

async fn pair_code(State(sim): State<Arc<Sim>>, Json(r): Json<CodeReq>) -> Response {
    if !phone_ok(&r.phone) {
        return error(StatusCode::BAD_REQUEST, "phone must be 7-15 digits");
    }
    // Key derivation from the code is deliberately slow (PBKDF2): off the async workers.
    let (sim2, phone, code) = (sim.clone(), r.phone.clone(), r.code.clone());
    let result = tokio::task::spawn_blocking(move || {
        crate::proto::pair_code::enter_code(&sim2, &phone, &code)
    })
    .await;
    match result {
        Ok(Ok(())) => {
            let (jid, lid) = sim.create_account(&r.phone);
            Json(json!({"phone": r.phone, "jid": jid, "lid": lid})).into_response()
        }
        Ok(Err(e @ crate::proto::pair_code::CodeError::BadCode)) => {
            error(StatusCode::BAD_REQUEST, e)
        }
        Ok(Err(e)) => error(StatusCode::NOT_FOUND, e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

/// The phone number in a JID or a bare number.
fn number(s: &str) -> String {
    s.split('@')
        .next()
        .unwrap_or_default()
        .split(':')
        .next()
        .unwrap_or_default()
        .to_string()
}

#[derive(Deserialize)]
struct SendReq {
    from: String,
    to: String,
    text: String,
}

/// The phone of `from` sends `text` to `to` (a number or JID).
#[derive(Deserialize)]
struct SendImageReq {
    from: String,
    to: String,
    /// The image, base64.
    image: String,
    #[serde(default = "jpeg")]
    mime: String,
    caption: Option<String>,
}

fn jpeg() -> String {
    "image/jpeg".into()
}

/// The phone of `from` sends an image to `to`; answers its message id and direct path.
async fn phone_send_image(State(sim): State<Arc<Sim>>, Json(r): Json<SendImageReq>) -> Response {
    use base64::Engine as _;
    let (from, to) = (number(&r.from), number(&r.to));
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(r.image.trim()) else {
        return error(StatusCode::BAD_REQUEST, "image must be base64");
    };
    match crate::phone_media::send_image(&sim, &from, &to, &bytes, &r.mime, r.caption).await {
        Ok((id, direct_path)) => {
            Json(json!({"id": id, "direct_path": direct_path})).into_response()
        }
        Err(e) => error(StatusCode::NOT_FOUND, e),
    }
}

#[derive(Deserialize)]
struct ExpireReq {
    direct_path: String,
}

/// Drops a stored media file, as the CDN does when media expires: downloads answer 404 until
/// the sending phone uploads it again.
async fn expire_media(State(sim): State<Arc<Sim>>, Json(r): Json<ExpireReq>) -> Response {
    if crate::phone_media::expire(&sim, &r.direct_path) {
        Json(json!({"expired": r.direct_path})).into_response()
    } else {
        error(StatusCode::NOT_FOUND, "no such media")
    }
}

#[derive(Deserialize)]
struct HistoryReq {
    phone: String,
    /// The chat's JID (`<digits>@s.whatsapp.net` or a group's).
    chat: String,
    messages: Vec<crate::phone_history::HistoryMessage>,
}

/// Gives the phone older messages of a chat (as if exchanged before the simulator knew of them):
/// it answers history requests from them.
async fn phone_history(State(sim): State<Arc<Sim>>, Json(r): Json<HistoryReq>) -> Response {
    if !sim.lock().accounts.contains_key(&r.phone) {
        return error(StatusCode::NOT_FOUND, "no such account");
    }
    let n = r.messages.len();
    for m in r.messages {
        crate::phone_history::remember(&sim, &r.phone, &r.chat, m);
    }
    Json(json!({"stored": n})).into_response()
}

async fn phone_send(State(sim): State<Arc<Sim>>, Json(r): Json<SendReq>) -> Response {
    let (from, to) = (number(&r.from), number(&r.to));
    let to_ok = phone_ok(&to) || (r.to.ends_with("@g.us") && !to.is_empty());
    if !phone_ok(&from) || !to_ok {
        return error(
            StatusCode::BAD_REQUEST,
            "from and to must be phone numbers or JIDs (to may be a group's)",
        );
    }
    if r.to.ends_with("@g.us") {
        let message = waproto::whatsapp::Message {
            conversation: Some(r.text.clone()),
            ..Default::default()
        };
        let id = crate::phone::message_id();
        return match crate::phone::send_group(&sim, &from, &to, &id, message, "text").await {
            Ok(()) => Json(json!({"id": id})).into_response(),
            Err(e @ crate::phone::GroupSendError::NoGroup(_)) => error(StatusCode::NOT_FOUND, e),
            Err(e @ crate::phone::GroupSendError::Other(_)) => {
                error(StatusCode::INTERNAL_SERVER_ERROR, e)
            }
            Err(e) => error(StatusCode::FORBIDDEN, e),
        };
    }
    match crate::phone::send_text(&sim, &from, &to, &r.text).await {
        Ok(id) => Json(json!({"id": id})).into_response(),
        Err(e) => error(StatusCode::NOT_FOUND, e),
    }
}

#[derive(Deserialize)]
struct StatusReq {
    phone: String,
    text: String,
    /// The phones who see it (the phone's own address book and status privacy decide).
    audience: Vec<String>,
}

/// The phone of `phone` posts a text status for `audience`.
async fn phone_status(State(sim): State<Arc<Sim>>, Json(r): Json<StatusReq>) -> Response {
    let from = number(&r.phone);
    let audience: Vec<String> = r.audience.iter().map(|a| number(a)).collect();
    if !phone_ok(&from) || audience.iter().any(|a| !phone_ok(a)) || r.text.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "phone and audience must be phone numbers, text must not be empty",
        );
    }
    let message = waproto::whatsapp::Message {
        extended_text_message: buffa::MessageField::some(
            waproto::whatsapp::message::ExtendedTextMessage {
                text: Some(r.text.clone()),
                background_argb: Some(0xFF1E_6E4F),
                ..Default::default()
            },
        ),
        ..Default::default()
    };
    let id = crate::phone::message_id();
    match crate::phone::send_status(&sim, &from, &audience, &id, message, "text").await {
        Ok(()) => Json(json!({"id": id})).into_response(),
        Err(e) => error(StatusCode::NOT_FOUND, e),
    }
}

#[derive(Deserialize)]
struct CallReq {
    from: String,
    to: String,
    #[serde(default)]
    video: bool,
}

/// The phone of `from` calls the account `to` (its companions ring).
async fn place_call(State(sim): State<Arc<Sim>>, Json(r): Json<CallReq>) -> Response {
    let (from, to) = (number(&r.from), number(&r.to));
    match crate::proto::call::offer(&mut sim.lock(), &from, &to, r.video) {
        Some(id) => Json(json!({"call_id": id})).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "no such account, or the callee blocks the caller",
        ),
    }
}

/// Every call, with its state and who ended it.
async fn calls(State(sim): State<Arc<Sim>>) -> Response {
    Json(json!(sim.lock().calls)).into_response()
}

/// The caller hangs up before anyone answered.
async fn cancel_call(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> Response {
    if crate::proto::call::cancel(&mut sim.lock(), &id) {
        Json(json!({"cancelled": true})).into_response()
    } else {
        error(StatusCode::NOT_FOUND, "no such ringing call")
    }
}

#[derive(Deserialize)]
struct NewsletterReq {
    owner: String,
    name: String,
    #[serde(default)]
    description: String,
}

/// The phone of `owner` creates a channel.
async fn create_newsletter(State(sim): State<Arc<Sim>>, Json(r): Json<NewsletterReq>) -> Response {
    let owner = number(&r.owner);
    if !phone_ok(&owner) || r.name.trim().is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "owner must be a phone, name not empty",
        );
    }
    let mut inner = sim.lock();
    if !inner.accounts.contains_key(&owner) {
        return error(StatusCode::NOT_FOUND, format!("no account {owner}"));
    }
    let n = crate::proto::newsletter::create(&mut inner, &owner, r.name.trim(), &r.description);
    Json(json!({"jid": n.jid(), "invite": n.invite})).into_response()
}

/// A channel with its followers and posts (views and reactions by phone).
async fn newsletter(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> Response {
    let id = id.trim_end_matches("@newsletter");
    match sim.lock().newsletters.get(id) {
        Some(n) => Json(json!(n)).into_response(),
        None => error(StatusCode::NOT_FOUND, "no such channel"),
    }
}

#[derive(Deserialize)]
struct FollowReq {
    phone: String,
    invite: String,
    /// false unfollows.
    #[serde(default = "yes")]
    follow: bool,
}

/// The phone of `phone` follows (or unfollows) the channel of an invite code.
async fn follow_newsletter(State(sim): State<Arc<Sim>>, Json(r): Json<FollowReq>) -> Response {
    let phone = number(&r.phone);
    let code = r
        .invite
        .trim()
        .trim_start_matches("https://whatsapp.com/channel/");
    let mut inner = sim.lock();
    let Some(id) = inner
        .newsletters
        .values()
        .find(|n| n.invite == code)
        .map(|n| n.id.clone())
    else {
        return error(StatusCode::NOT_FOUND, "no channel with this invite");
    };
    match crate::proto::newsletter::follow(&mut inner, &phone, &id, r.follow) {
        Some(meta) => Json(meta).into_response(),
        None => error(StatusCode::CONFLICT, "the owner cannot unfollow"),
    }
}

#[derive(Deserialize)]
struct NewsletterPostReq {
    text: String,
}

/// The channel's owner (a phone) posts a text.
async fn newsletter_post(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    Json(r): Json<NewsletterPostReq>,
) -> Response {
    use buffa::Message as _;
    let id = id.trim_end_matches("@newsletter").to_string();
    let message = waproto::whatsapp::Message {
        conversation: Some(r.text),
        ..Default::default()
    };
    let msg_id = crate::phone::message_id();
    let mut inner = sim.lock();
    let owner = match inner.newsletters.get(&id) {
        Some(n) => n.owner.clone(),
        None => return error(StatusCode::NOT_FOUND, "no such channel"),
    };
    let Some((server_id, _)) = crate::proto::newsletter::publish(
        &mut inner,
        &id,
        Some((owner.as_str(), 0)),
        &msg_id,
        "text",
        None,
        message.encode_to_vec(),
    ) else {
        return error(StatusCode::NOT_FOUND, "no such channel");
    };
    Json(json!({"id": msg_id, "server_id": server_id})).into_response()
}

#[derive(Deserialize)]
struct ViewReq {
    phone: String,
    server_ids: Vec<u64>,
}

/// The phone of `phone` views posts of a channel.
async fn newsletter_view(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    Json(r): Json<ViewReq>,
) -> Response {
    let id = id.trim_end_matches("@newsletter");
    let mut inner = sim.lock();
    if !inner.newsletters.contains_key(id) {
        return error(StatusCode::NOT_FOUND, "no such channel");
    }
    let n = crate::proto::newsletter::view(&mut inner, id, &number(&r.phone), &r.server_ids);
    Json(json!({"viewed": n})).into_response()
}

#[derive(Deserialize)]
struct ReactReq {
    phone: String,
    server_id: u64,
    /// An emoji; empty removes the reaction.
    code: String,
}

/// The phone of `phone` reacts to a channel post.
async fn newsletter_react(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    Json(r): Json<ReactReq>,
) -> Response {
    let id = id.trim_end_matches("@newsletter");
    let mut inner = sim.lock();
    if crate::proto::newsletter::react(&mut inner, id, &number(&r.phone), r.server_id, &r.code) {
        Json(json!({"reacted": true})).into_response()
    } else {
        error(StatusCode::NOT_FOUND, "no such channel or post")
    }
}

#[derive(Deserialize)]
struct ReadReq {
    phone: String,
    chat: String,
    ids: Vec<String>,
}

/// The phone of `phone` reads messages `ids` it received from `chat`.
async fn phone_read(State(sim): State<Arc<Sim>>, Json(r): Json<ReadReq>) -> Response {
    if r.ids.is_empty() {
        return error(StatusCode::BAD_REQUEST, "ids must not be empty");
    }
    crate::phone::read(&sim, &number(&r.phone), &number(&r.chat), &r.ids);
    Json(json!({"read": r.ids.len()})).into_response()
}

#[derive(Deserialize)]
struct BlockReq {
    phone: String,
    jid: String,
    #[serde(default = "yes")]
    block: bool,
}

fn yes() -> bool {
    true
}

/// The phone of `phone` blocks (or with `"block": false` unblocks) `jid`.
async fn phone_block(State(sim): State<Arc<Sim>>, Json(r): Json<BlockReq>) -> Response {
    let list = crate::proto::blocklist::set_from_phone(&sim, &number(&r.phone), &r.jid, r.block);
    Json(json!({"blocklist": list})).into_response()
}

#[derive(Deserialize)]
struct DeviceReq {
    phone: String,
    device: u16,
}

/// Drops a device's connection abruptly (as a network failure would).
async fn drop_connection(State(sim): State<Arc<Sim>>, Json(r): Json<DeviceReq>) -> Response {
    let conn = sim
        .lock()
        .online
        .get(&(number(&r.phone), r.device))
        .cloned();
    match conn {
        Some(c) => {
            let _ = c.tx.send(crate::state::Outbound::Close);
            Json(json!({"dropped": true})).into_response()
        }
        None => error(StatusCode::NOT_FOUND, "device not online"),
    }
}

/// The phone removes a linked device: it is unlinked, and told so if online.
async fn unlink_device(State(sim): State<Arc<Sim>>, Json(r): Json<DeviceReq>) -> Response {
    let phone = number(&r.phone);
    let conn = sim.lock().online.get(&(phone.clone(), r.device)).cloned();
    crate::proto::pairing::unlink(&sim, &phone, r.device);
    if let Some(c) = conn {
        let removed = wacore_binary::builder::NodeBuilder::new("stream:error")
            .children([wacore_binary::builder::NodeBuilder::new("conflict")
                .attr("type", "device_removed")
                .build()])
            .build();
        let _ = c.tx.send(crate::state::Outbound::CloseWith(removed));
    }
    Json(json!({"unlinked": true})).into_response()
}

#[derive(Deserialize)]
struct AppStateReq {
    phone: String,
    /// `archive`, `pin`, `contact`, `label`, `label_chat` or `label_message`.
    change: String,
    #[serde(default)]
    jid: String,
    #[serde(default = "yes")]
    value: bool,
    full_name: Option<String>,
    first_name: Option<String>,
    /// Labels: the label's id (`label`, `label_chat`), name and colour (`label`).
    label_id: Option<String>,
    name: Option<String>,
    color: Option<i32>,
    /// `label_message`: the message.
    message_id: Option<String>,
    /// Announce the new version to the devices (false: as when the notification is missed).
    #[serde(default = "yes")]
    notify: bool,
}

/// The phone of `phone` changes app state itself: archives or pins a chat, or names a contact.
async fn phone_app_state(State(sim): State<Arc<Sim>>, Json(r): Json<AppStateReq>) -> Response {
    use crate::phone_app_state::{change, PhoneChange};
    let c = match r.change.as_str() {
        "archive" => PhoneChange::Archive {
            jid: r.jid,
            archived: r.value,
        },
        "pin" => PhoneChange::Pin {
            jid: r.jid,
            pinned: r.value,
        },
        "contact" => PhoneChange::Contact {
            jid: r.jid,
            full_name: r.full_name.unwrap_or_default(),
            first_name: r.first_name,
        },
        // `value: false` deletes the label.
        "label" => PhoneChange::Label {
            id: r.label_id.unwrap_or_default(),
            name: r.name.unwrap_or_default(),
            color: r.color.unwrap_or(0),
            deleted: !r.value,
        },
        "label_chat" => PhoneChange::LabelChat {
            id: r.label_id.unwrap_or_default(),
            jid: r.jid,
            labeled: r.value,
        },
        "label_message" => PhoneChange::LabelMessage {
            id: r.label_id.unwrap_or_default(),
            jid: r.jid,
            message_id: r.message_id.unwrap_or_default(),
            labeled: r.value,
        },
        other => return error(StatusCode::BAD_REQUEST, format!("unknown change {other}")),
    };
    match change(&sim, &number(&r.phone), &c, r.notify).await {
        Ok((collection, version)) => {
            Json(json!({"collection": collection, "version": version})).into_response()
        }
        Err(e) => error(StatusCode::CONFLICT, e),
    }
}

#[derive(Deserialize)]
struct GroupReq {
    creator: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    participants: Vec<String>,
    /// A community (with its announcement group) instead of a group.
    #[serde(default)]
    community: bool,
}

/// Creates a group (or a community) of `creator` and `participants` (phones).
async fn create_group(State(sim): State<Arc<Sim>>, Json(r): Json<GroupReq>) -> Response {
    let members: Vec<String> = r.participants.iter().map(|p| number(p)).collect();
    let mut inner = sim.lock();
    if r.community {
        let made = inner.create_community(&number(&r.creator), &r.subject, &members, false);
        let jid = format!("{}@g.us", made[0]);
        let announcement = made.get(1).map(|id| format!("{id}@g.us"));
        return (
            StatusCode::CREATED,
            Json(json!({"jid": jid, "announcement_group": announcement})),
        )
            .into_response();
    }
    let jid = inner.create_group(&number(&r.creator), &r.subject, &members);
    (StatusCode::CREATED, Json(json!({"jid": jid}))).into_response()
}

/// A group as the server holds it (`{id}`: the user part of the JID).
async fn group(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> Response {
    let id = id.trim_end_matches("@g.us").to_string();
    match sim.lock().groups.get(&id).cloned() {
        Some(g) => Json(g).into_response(),
        None => error(StatusCode::NOT_FOUND, "no such group"),
    }
}

/// The phone of `actor` makes a `w:g2` request about group `id`, as its own IQ would be
/// handled (the same checks, answers and `w:gp2` notifications); answers the IQ's children,
/// or the error with its status.
fn phone_group_iq(
    sim: &Sim,
    actor: &str,
    id: &str,
    change: Node,
) -> Result<Vec<Node>, (StatusCode, String)> {
    let id = id.trim_end_matches("@g.us");
    let iq = NodeBuilder::new("iq")
        .attr("id", crate::phone::message_id())
        .attr("to", format!("{id}@g.us"))
        .attr("type", "set")
        .attr("xmlns", "w:g2")
        .children([change])
        .build();
    let answer = crate::proto::groups::handle(sim, actor, 0, &iq, "set");
    if let Some(e) = answer.get_optional_child("error") {
        let code = e
            .attrs()
            .optional_string("code")
            .and_then(|c| c.parse::<u16>().ok())
            .unwrap_or(500);
        let text = e
            .attrs()
            .optional_string("text")
            .map(|t| t.to_string())
            .unwrap_or_default();
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Err((status, text));
    }
    Ok(answer.children().map(|c| c.to_vec()).unwrap_or_default())
}

#[derive(Deserialize)]
struct PhoneParticipantsReq {
    actor: String,
    /// `add`, `remove`, `promote` or `demote`.
    action: String,
    participants: Vec<String>,
}

/// The phone of `actor` adds, removes, promotes or demotes participants of a group; answers
/// one outcome per participant (`error`: WhatsApp's code).
async fn phone_group_participants(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    Json(r): Json<PhoneParticipantsReq>,
) -> Response {
    let action: &'static str = match r.action.as_str() {
        "add" => "add",
        "remove" => "remove",
        "promote" => "promote",
        "demote" => "demote",
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "action must be add, remove, promote or demote",
            )
        }
    };
    if r.participants.is_empty() {
        return error(StatusCode::BAD_REQUEST, "participants must not be empty");
    }
    let list = r.participants.iter().map(|p| {
        NodeBuilder::new("participant")
            .attr("jid", format!("{}@s.whatsapp.net", number(p)))
            .build()
    });
    let change = NodeBuilder::new(action).children(list).build();
    match phone_group_iq(&sim, &number(&r.actor), &id, change) {
        Ok(children) => {
            let outcomes: Vec<serde_json::Value> = children
                .iter()
                .flat_map(|c| c.children().map(|l| l.to_vec()).unwrap_or_default())
                .map(|p| {
                    json!({
                        "jid": p.attrs().optional_string("jid").map(|v| v.to_string()),
                        "error": p.attrs().optional_string("error").map(|v| v.to_string()),
                    })
                })
                .collect();
            Json(json!({"participants": outcomes})).into_response()
        }
        Err((status, text)) => error(status, text),
    }
}

#[derive(Deserialize)]
struct PhoneSettingsReq {
    actor: String,
    subject: Option<String>,
    description: Option<String>,
    announce: Option<bool>,
    locked: Option<bool>,
}

/// The phone of `actor` changes a group's subject, description, announcement or locked
/// setting (each one request, in that order); answers the group as the server holds it.
async fn phone_group_settings(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    Json(r): Json<PhoneSettingsReq>,
) -> Response {
    let mut changes = Vec::new();
    if let Some(subject) = &r.subject {
        changes.push(
            NodeBuilder::new("subject")
                .string_content(subject.clone())
                .build(),
        );
    }
    if let Some(d) = &r.description {
        changes.push(
            NodeBuilder::new("description")
                .attr("id", format!("{:X}", rand::random::<u64>()))
                .children([NodeBuilder::new("body").string_content(d.clone()).build()])
                .build(),
        );
    }
    if let Some(on) = r.announce {
        changes.push(
            NodeBuilder::new(if on {
                "announcement"
            } else {
                "not_announcement"
            })
            .build(),
        );
    }
    if let Some(on) = r.locked {
        changes.push(NodeBuilder::new(if on { "locked" } else { "unlocked" }).build());
    }
    if changes.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "one of subject, description, announce, locked is required",
        );
    }
    for change in changes {
        if let Err((status, text)) = phone_group_iq(&sim, &number(&r.actor), &id, change) {
            return error(status, text);
        }
    }
    group(State(sim), Path(id)).await
}

/// `GET /admin/peers`: where each socket and media request came from (a bounded log, oldest
/// first), e.g. to see that a client went through a proxy.
async fn peers(State(sim): State<Arc<Sim>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "peers": sim.peers() }))
}
