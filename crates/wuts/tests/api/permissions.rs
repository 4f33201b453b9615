//! Every endpoint against no token, a malformed token, the master token, another tenant's admin,
//! and each role of the tenant, with the expected statuses.

use crate::helpers::{Backend, TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

both_backends!(permission_matrix);

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Nobody,
    Malformed,
    Master,
    OtherTenantAdmin,
    Admin,
    Manager,
    User,
}

const ALL: [Who; 7] = [
    Who::Nobody,
    Who::Malformed,
    Who::Master,
    Who::OtherTenantAdmin,
    Who::Admin,
    Who::Manager,
    Who::User,
];

/// Tenant A (admin, manager, and a plain user owning device D) and tenant B (its admin).
/// Tiny valid files, base64, for the media sends.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
const MP4: &str = "AAAAGGZ0eXBtcDQyAAAAAG1wNDJpc29t";
const MP3: &str = "SUQzBAAAAAAAAA==";
const WEBP: &str = "UklGRhYAAABXRUJQVlA4IAoAAAAAAAAAAAAAAAAA";

struct World {
    admin: String,
    manager: String,
    user: String,
    other_admin: String,
}

impl World {
    fn token<'a>(&'a self, app: &'a TestApp, who: Who) -> Option<&'a str> {
        match who {
            Who::Nobody => None,
            Who::Malformed => Some("not-a-real-token"),
            Who::Master => Some(&app.master),
            Who::OtherTenantAdmin => Some(&self.other_admin),
            Who::Admin => Some(&self.admin),
            Who::Manager => Some(&self.manager),
            Who::User => Some(&self.user),
        }
    }
}

/// One request, built from fresh fixtures so destructive calls do not interfere.
struct Case {
    name: &'static str,
    method: Method,
    path: String,
    body: Option<Value>,
}

async fn case(app: &TestApp, w: &World, name: &'static str) -> Case {
    let fresh_user = || async { app.user(&w.admin, "user").await.0 };
    let fresh_device = || async { app.device(&w.user, "fixture").await };
    let hook = json!({"webhook_url": "https://h.test/x", "enabled_events": ["message.received"]});
    let (method, path, body) = match name {
        "POST /register" => (
            Method::POST,
            "/register".to_string(),
            Some(
                json!({"tenant_name": format!("t-{}", uuid::Uuid::new_v4()), "email": "a@b.test", "password": PASSWORD}),
            ),
        ),
        "GET /tenants" => (Method::GET, "/tenants".into(), None),
        "GET /global/tenants/{id}" => {
            let (tid, _, _) = app
                .register(&format!("g-{}", uuid::Uuid::new_v4().simple()))
                .await;
            (Method::GET, format!("/global/tenants/{tid}"), None)
        }
        "DELETE /global/tenants/{id}" => {
            let (tid, _, _) = app
                .register(&format!("d-{}", uuid::Uuid::new_v4().simple()))
                .await;
            (Method::DELETE, format!("/global/tenants/{tid}"), None)
        }
        "POST /users" => (
            Method::POST,
            "/users".into(),
            Some(
                json!({"email": format!("{}@x.test", uuid::Uuid::new_v4().simple()), "password": PASSWORD, "role": "user"}),
            ),
        ),
        "GET /users" => (Method::GET, "/users".into(), None),
        "GET /users/{id}" => (Method::GET, format!("/users/{}", fresh_user().await), None),
        "PUT /users/{id}" => (
            Method::PUT,
            format!("/users/{}", fresh_user().await),
            Some(json!({"active": false})),
        ),
        "DELETE /users/{id}" => (
            Method::DELETE,
            format!("/users/{}", fresh_user().await),
            None,
        ),
        "POST /users/{id}/promote" => (
            Method::POST,
            format!("/users/{}/promote", fresh_user().await),
            Some(json!({"new_role": "manager"})),
        ),
        "POST /devices" => (Method::POST, "/devices".into(), Some(json!({"name": "x"}))),
        "GET /devices" => (Method::GET, "/devices".into(), None),
        "GET /user/devices" => (Method::GET, "/user/devices".into(), None),
        "DELETE /devices/{id}" => (
            Method::DELETE,
            format!("/devices/{}", fresh_device().await),
            None,
        ),
        "POST /webhook" => (
            Method::POST,
            format!("/webhook?device_id={}", fresh_device().await),
            Some(hook),
        ),
        "GET /webhook" | "DELETE /webhook" => {
            let d = fresh_device().await;
            let (st, _) = app
                .post(&format!("/webhook?device_id={d}"), &w.user, hook)
                .await;
            assert_eq!(st, StatusCode::OK);
            let m = if name.starts_with("GET") {
                Method::GET
            } else {
                Method::DELETE
            };
            (m, format!("/webhook?device_id={d}"), None)
        }
        "GET /webhook/events" => (Method::GET, "/webhook/events".into(), None),
        "POST /send/text" => (
            Method::POST,
            format!("/send/text?device_id={}", fresh_device().await),
            Some(json!({"number": "15550001111", "text": "hi"})),
        ),
        "POST /chats/{jid}/pin" => (
            Method::POST,
            format!("/chats/15550001111/pin?device_id={}", fresh_device().await),
            Some(json!({})),
        ),
        "POST /chats/{jid}/archive" => (
            Method::POST,
            format!(
                "/chats/15550001111/archive?device_id={}",
                fresh_device().await
            ),
            Some(json!({"archived": true})),
        ),
        "PUT /chats/{jid}/disappearing" => (
            Method::PUT,
            format!(
                "/chats/15550001111/disappearing?device_id={}",
                fresh_device().await
            ),
            Some(json!({"preset": "7d"})),
        ),
        "GET /chats" => (
            Method::GET,
            format!("/chats?device_id={}", fresh_device().await),
            None,
        ),
        "GET /contacts" => (
            Method::GET,
            format!("/contacts?device_id={}", fresh_device().await),
            None,
        ),
        "POST /appstate/sync" => (
            Method::POST,
            format!("/appstate/sync?device_id={}", fresh_device().await),
            None,
        ),
        "GET /contacts/profile" => (
            Method::GET,
            format!(
                "/contacts/profile?number=15550001111&device_id={}",
                fresh_device().await
            ),
            None,
        ),
        "POST /send/image" => (
            Method::POST,
            format!("/send/image?device_id={}", fresh_device().await),
            Some(json!({"number": "15550001111", "image": PNG})),
        ),
        "POST /send/video" => (
            Method::POST,
            format!("/send/video?device_id={}", fresh_device().await),
            Some(json!({"number": "15550001111", "video": MP4})),
        ),
        "POST /send/audio" => (
            Method::POST,
            format!("/send/audio?device_id={}", fresh_device().await),
            Some(json!({"number": "15550001111", "audio": MP3})),
        ),
        "POST /send/document" => (
            Method::POST,
            format!("/send/document?device_id={}", fresh_device().await),
            Some(json!({"number": "15550001111", "document": "aGVsbG8=", "file_name": "a.txt"})),
        ),
        "POST /send/sticker" => (
            Method::POST,
            format!("/send/sticker?device_id={}", fresh_device().await),
            Some(json!({"to": "15550001111", "sticker": WEBP})),
        ),
        "POST /send/buttons" => (
            Method::POST,
            format!("/send/buttons?device_id={}", fresh_device().await),
            Some(
                json!({"to": "15550001111", "message": "m", "buttons": [{"id": "a", "display_text": "A"}]}),
            ),
        ),
        "POST /send/buttons-response" => (
            Method::POST,
            format!("/send/buttons-response?device_id={}", fresh_device().await),
            Some(
                json!({"to": "15550001111", "selected_button_id": "a", "selected_display_text": "A", "quoted": {"message_id": "3EB0X", "participant": "15550001111"}}),
            ),
        ),
        "POST /send/interactive" => (
            Method::POST,
            format!("/send/interactive?device_id={}", fresh_device().await),
            Some(
                json!({"to": "15550001111", "title": "t", "body": "b", "button_text": "o", "sections": [{"title": "s", "rows": [{"id": "r", "title": "R"}]}]}),
            ),
        ),
        "POST /send/list-response" => (
            Method::POST,
            format!("/send/list-response?device_id={}", fresh_device().await),
            Some(
                json!({"to": "15550001111", "selected_row_id": "r", "title": "R", "quoted": {"message_id": "3EB0X", "participant": "15550001111"}}),
            ),
        ),
        "POST /send/template" => (
            Method::POST,
            format!("/send/template?device_id={}", fresh_device().await),
            Some(
                json!({"number": "15550001111", "body": "b", "header": {"type": "text", "text": "h"}}),
            ),
        ),
        "POST /send/product" => (
            Method::POST,
            format!("/send/product?device_id={}", fresh_device().await),
            Some(
                json!({"number": "15550001111", "business_owner_jid": "15550001111", "product": {"product_id": "p", "title": "P"}}),
            ),
        ),
        "POST /send/catalog" => (
            Method::POST,
            format!("/send/catalog?device_id={}", fresh_device().await),
            Some(
                json!({"number": "15550001111", "business_owner_jid": "15550001111", "title": "t", "button_text": "b", "sections": [{"title": "s", "product_ids": ["p"]}]}),
            ),
        ),
        "POST /messages/{id}/retry" => (
            Method::POST,
            format!("/messages/3EB0X/retry?device_id={}", fresh_device().await),
            Some(json!({"chat_jid": "15550001111"})),
        ),
        "POST /messages/history/request" => (
            Method::POST,
            format!(
                "/messages/history/request?device_id={}",
                fresh_device().await
            ),
            Some(
                json!({"chat_jid": "15550001111", "last_message_id": "3EB0X", "last_message_timestamp": 1700000000}),
            ),
        ),
        "GET /messages/queue" => (
            Method::GET,
            format!("/messages/queue?device_id={}", fresh_device().await),
            None,
        ),
        "GET /messages/{id}/media" => (
            Method::GET,
            format!("/messages/3EB0X/media?device_id={}", fresh_device().await),
            None,
        ),
        "GET /jobs/{job_id}" => (Method::GET, "/jobs/job_nope".to_string(), None),
        "POST /groups" => (
            Method::POST,
            format!("/groups?device_id={}", fresh_device().await),
            Some(json!({"name": "team", "participants": ["15550001111"]})),
        ),
        "GET /groups" => (
            Method::GET,
            format!("/groups?device_id={}", fresh_device().await),
            None,
        ),
        "GET /groups/{jid}" => (
            Method::GET,
            format!(
                "/groups/120363000000000001@g.us?device_id={}",
                fresh_device().await
            ),
            None,
        ),
        "PUT /groups/{jid}/ephemeral" => (
            Method::PUT,
            format!(
                "/groups/120363000000000001@g.us/ephemeral?device_id={}",
                fresh_device().await
            ),
            Some(json!({"duration_seconds": 86400})),
        ),
        "DELETE /groups/{jid}/leave" => (
            Method::DELETE,
            format!(
                "/groups/120363000000000001@g.us/leave?device_id={}",
                fresh_device().await
            ),
            None,
        ),
        "POST /groups/{jid}/participants" => (
            Method::POST,
            format!(
                "/groups/120363000000000001@g.us/participants?device_id={}",
                fresh_device().await
            ),
            Some(json!({"participants": ["15550001111"]})),
        ),
        "DELETE /groups/{jid}/participants" => (
            Method::DELETE,
            format!(
                "/groups/120363000000000001@g.us/participants?device_id={}",
                fresh_device().await
            ),
            Some(json!({"participants": ["15550001111"]})),
        ),
        "PATCH /groups/{jid}" => (
            Method::PATCH,
            format!(
                "/groups/120363000000000001@g.us?device_id={}",
                fresh_device().await
            ),
            Some(json!({"name": "renamed"})),
        ),
        "GET /groups/{jid}/invite" => (
            Method::GET,
            format!(
                "/groups/120363000000000001@g.us/invite?device_id={}",
                fresh_device().await
            ),
            None,
        ),
        "POST /groups/{jid}/invite/reset" => (
            Method::POST,
            format!(
                "/groups/120363000000000001@g.us/invite/reset?device_id={}",
                fresh_device().await
            ),
            None,
        ),
        "POST /groups/join" => (
            Method::POST,
            format!("/groups/join?device_id={}", fresh_device().await),
            Some(json!({"link": "https://chat.whatsapp.com/AbCdEf123"})),
        ),
        "POST /groups/{jid}/picture" => (
            Method::POST,
            format!(
                "/groups/120363000000000001@g.us/picture?device_id={}",
                fresh_device().await
            ),
            Some(json!({"image_base64": "/9j/4AAQSkZJRg=="})),
        ),
        "POST /newsletters" => (
            Method::POST,
            format!("/newsletters?device_id={}", fresh_device().await),
            Some(json!({"name": "c"})),
        ),
        "GET /newsletters" => (
            Method::GET,
            format!("/newsletters?device_id={}", fresh_device().await),
            None,
        ),
        "GET /newsletters/{jid}" => (
            Method::GET,
            format!(
                "/newsletters/120363000000000003@newsletter?device_id={}",
                fresh_device().await
            ),
            None,
        ),
        "GET /newsletters/{jid}/invite" => (
            Method::GET,
            format!(
                "/newsletters/120363000000000003@newsletter/invite?device_id={}",
                fresh_device().await
            ),
            None,
        ),
        "GET /newsletters/{jid}/messages" => (
            Method::GET,
            format!(
                "/newsletters/120363000000000003@newsletter/messages?device_id={}",
                fresh_device().await
            ),
            None,
        ),
        "POST /newsletters/{jid}/read" => (
            Method::POST,
            format!(
                "/newsletters/120363000000000003@newsletter/read?device_id={}",
                fresh_device().await
            ),
            Some(json!({"server_ids": ["100"]})),
        ),
        "POST /newsletters/{jid}/messages" => (
            Method::POST,
            format!(
                "/newsletters/120363000000000003@newsletter/messages?device_id={}",
                fresh_device().await
            ),
            Some(json!({"text": "hi"})),
        ),
        "POST /newsletters/{jid}/media" => (
            Method::POST,
            format!(
                "/newsletters/120363000000000003@newsletter/media?device_id={}",
                fresh_device().await
            ),
            Some(json!({"media_type": "image", "data": PNG})),
        ),
        "POST /newsletters/{jid}/subscribe" => (
            Method::POST,
            format!(
                "/newsletters/120363000000000003@newsletter/subscribe?device_id={}",
                fresh_device().await
            ),
            Some(json!({})),
        ),
        "DELETE /newsletters/{jid}/subscribe" => (
            Method::DELETE,
            format!(
                "/newsletters/120363000000000003@newsletter/subscribe?device_id={}",
                fresh_device().await
            ),
            None,
        ),
        "POST /payment/request" => (
            Method::POST,
            format!("/payment/request?device_id={}", fresh_device().await),
            Some(json!({"to": "15550001111", "amount": 100, "currency": "BRL"})),
        ),
        "POST /payment/cancel" => (
            Method::POST,
            format!("/payment/cancel?device_id={}", fresh_device().await),
            Some(json!({"to": "15550001111", "request_message_key": "3EB0A"})),
        ),
        "POST /payment/decline" => (
            Method::POST,
            format!("/payment/decline?device_id={}", fresh_device().await),
            Some(json!({"to": "15550001111", "request_message_key": "3EB0A"})),
        ),
        "POST /payment/send" => (
            Method::POST,
            format!("/payment/send?device_id={}", fresh_device().await),
            Some(
                json!({"to": "15550001111", "request_message_key": "3EB0A", "amount": 100, "currency": "BRL"}),
            ),
        ),
        "POST /calls/reject" => (
            Method::POST,
            format!("/calls/reject?device_id={}", fresh_device().await),
            Some(json!({"call_id": "ABC", "from": "15550001111"})),
        ),
        "GET /calls/settings" => (
            Method::GET,
            format!("/calls/settings?device_id={}", fresh_device().await),
            None,
        ),
        "PUT /calls/settings" => (
            Method::PUT,
            format!("/calls/settings?device_id={}", fresh_device().await),
            Some(json!({"reject_calls": false})),
        ),
        "GET /labels" => (
            Method::GET,
            format!("/labels?device_id={}", fresh_device().await),
            None,
        ),
        "PUT /labels/{labelId}" => (
            Method::PUT,
            format!("/labels/1?device_id={}", fresh_device().await),
            Some(json!({"name": "VIP"})),
        ),
        "POST /chats/{jid}/labels" => (
            Method::POST,
            format!(
                "/chats/15550001111/labels?device_id={}",
                fresh_device().await
            ),
            Some(json!({"label_id": "1"})),
        ),
        "DELETE /chats/{jid}/labels/{labelId}" => (
            Method::DELETE,
            format!(
                "/chats/15550001111/labels/1?device_id={}",
                fresh_device().await
            ),
            None,
        ),
        "POST /messages/{id}/labels" => (
            Method::POST,
            format!("/messages/3EB0A/labels?device_id={}", fresh_device().await),
            Some(json!({"label_id": "1", "chat_jid": "15550001111"})),
        ),
        "DELETE /messages/{id}/labels/{labelId}" => (
            Method::DELETE,
            format!(
                "/messages/3EB0A/labels/1?chat_jid=15550001111&device_id={}",
                fresh_device().await
            ),
            None,
        ),
        "GET /status/privacy" => (
            Method::GET,
            format!("/status/privacy?device_id={}", fresh_device().await),
            None,
        ),
        "PUT /status/privacy" => (
            Method::PUT,
            format!("/status/privacy?device_id={}", fresh_device().await),
            Some(json!({"type": "contacts"})),
        ),
        "POST /status/text" => (
            Method::POST,
            format!("/status/text?device_id={}", fresh_device().await),
            Some(json!({"text": "hello"})),
        ),
        "POST /status/media" => (
            Method::POST,
            format!("/status/media?device_id={}", fresh_device().await),
            Some(json!({"mime_type": "image/png", "data": PNG})),
        ),
        "POST /communities" => (
            Method::POST,
            format!("/communities?device_id={}", fresh_device().await),
            Some(json!({"name": "c"})),
        ),
        "POST /communities/{jid}/participants" => (
            Method::POST,
            format!(
                "/communities/120363000000000001@g.us/participants?device_id={}",
                fresh_device().await
            ),
            Some(json!({"participants": ["15550001111"]})),
        ),
        "DELETE /communities/{jid}/participants" => (
            Method::DELETE,
            format!(
                "/communities/120363000000000001@g.us/participants?device_id={}",
                fresh_device().await
            ),
            Some(json!({"participants": ["15550001111"]})),
        ),
        "POST /communities/{jid}/groups" => (
            Method::POST,
            format!(
                "/communities/120363000000000001@g.us/groups?device_id={}",
                fresh_device().await
            ),
            Some(json!({"group_jid": "120363000000000002@g.us"})),
        ),
        "DELETE /communities/{jid}/groups/{group_jid}" => (
            Method::DELETE,
            format!(
                "/communities/120363000000000001@g.us/groups/120363000000000002@g.us?device_id={}",
                fresh_device().await
            ),
            None,
        ),
        "POST /send/location" => (
            Method::POST,
            format!("/send/location?device_id={}", fresh_device().await),
            Some(json!({"to": "15550001111", "latitude": 1.0, "longitude": 2.0})),
        ),
        "POST /send/poll" => (
            Method::POST,
            format!("/send/poll?device_id={}", fresh_device().await),
            Some(json!({"to": "15550001111", "question": "q",
                        "options": [{"option_name": "a"}, {"option_name": "b"}]})),
        ),
        "POST /send/reaction" => (
            Method::POST,
            format!("/send/reaction?device_id={}", fresh_device().await),
            Some(json!({"number": "15550001111", "messageId": "3EB0X", "reaction": "x"})),
        ),
        "PUT /messages/{id}" => (
            Method::PUT,
            format!("/messages/3EB0X?device_id={}", fresh_device().await),
            Some(json!({"to": "15550001111", "message": "x"})),
        ),
        "DELETE /messages/delete" => (
            Method::DELETE,
            format!("/messages/delete?device_id={}", fresh_device().await),
            Some(json!({"messageId": "3EB0X", "chatJid": "15550001111"})),
        ),
        "POST /contacts/block" => (
            Method::POST,
            format!("/contacts/block?device_id={}", fresh_device().await),
            Some(json!({"number": "15550001111"})),
        ),
        "GET /contacts/blocklist" => (
            Method::GET,
            format!("/contacts/blocklist?device_id={}", fresh_device().await),
            None,
        ),
        "POST /contact/check" => (
            Method::POST,
            format!("/contact/check?device_id={}", fresh_device().await),
            Some(json!({"numbers": ["15550001111"]})),
        ),
        "POST /presence" => (
            Method::POST,
            format!("/presence?device_id={}", fresh_device().await),
            Some(json!({})),
        ),
        "POST /chats/{jid}/typing" => (
            Method::POST,
            format!(
                "/chats/15550001111/typing?device_id={}",
                fresh_device().await
            ),
            Some(json!({})),
        ),
        "GET /messages/{id}/status" => (
            Method::GET,
            format!("/messages/3EB0X/status?device_id={}", fresh_device().await),
            None,
        ),
        "POST /messages/{id}/read" => (
            Method::POST,
            format!("/messages/3EB0X/read?device_id={}", fresh_device().await),
            Some(json!({"chat_jid": "15550001111"})),
        ),
        "POST /messages/{id}/delivered" => (
            Method::POST,
            format!(
                "/messages/3EB0X/delivered?device_id={}",
                fresh_device().await
            ),
            Some(json!({"chat_jid": "15550001111"})),
        ),
        "GET /webhook/dead-letters" => (
            Method::GET,
            format!("/webhook/dead-letters?device_id={}", fresh_device().await),
            None,
        ),
        "POST /webhook/dead-letters/{id}/redeliver" => (
            Method::POST,
            format!(
                "/webhook/dead-letters/{}/redeliver?device_id={}",
                uuid::Uuid::new_v4(),
                fresh_device().await
            ),
            Some(json!({})),
        ),
        "POST /user/webhook" => (
            Method::POST,
            "/user/webhook".into(),
            Some(json!({"webhook_url": "https://h.test/u"})),
        ),
        "GET /proxy" => (Method::GET, "/proxy".into(), None),
        "GET /events/outputs" => (Method::GET, "/events/outputs".into(), None),
        "PUT /events/outputs" => (
            Method::PUT,
            "/events/outputs".into(),
            Some(json!({"enabled_events": ["message.received"]})),
        ),
        "PUT /proxy" => (
            Method::PUT,
            "/proxy".into(),
            Some(json!({"proxy_url": "socks5://u:p@127.0.0.1:9"})),
        ),
        "DELETE /proxy" => {
            for t in [&w.admin, &w.other_admin] {
                let (st, b) = app
                    .call(
                        Method::PUT,
                        "/proxy",
                        Some(t),
                        Some(json!({"proxy_url": "socks5://u:p@127.0.0.1:9"})),
                    )
                    .await;
                assert_eq!(st, StatusCode::OK, "{b}");
            }
            (Method::DELETE, "/proxy".into(), None)
        }
        "GET /devices/{id}/proxy" => (
            Method::GET,
            format!("/devices/{}/proxy", fresh_device().await),
            None,
        ),
        "PUT /devices/{id}/proxy" => (
            Method::PUT,
            format!("/devices/{}/proxy", fresh_device().await),
            Some(json!({"proxy_url": "http://127.0.0.1:9"})),
        ),
        "DELETE /devices/{id}/proxy" => {
            let d = fresh_device().await;
            let (st, b) = app
                .call(
                    Method::PUT,
                    &format!("/devices/{d}/proxy"),
                    Some(&w.user),
                    Some(json!({"proxy_url": "http://127.0.0.1:9"})),
                )
                .await;
            assert_eq!(st, StatusCode::OK, "{b}");
            (Method::DELETE, format!("/devices/{d}/proxy"), None)
        }
        other => panic!("no case {other}"),
    };
    Case {
        name,
        method,
        path,
        body,
    }
}

/// The expected status of `who` on the endpoint `name`.
fn expected(name: &str, who: Who) -> StatusCode {
    use Who::*;
    const OK: StatusCode = StatusCode::OK;
    const CREATED: StatusCode = StatusCode::CREATED;
    const UNAUTH: StatusCode = StatusCode::UNAUTHORIZED;
    const FORBID: StatusCode = StatusCode::FORBIDDEN;
    const NOTFOUND: StatusCode = StatusCode::NOT_FOUND;
    if matches!(who, Nobody | Malformed) {
        return UNAUTH;
    }
    match name {
        "POST /register" => {
            if who == Master {
                CREATED
            } else {
                UNAUTH
            }
        }
        "GET /tenants" | "GET /global/tenants/{id}" | "DELETE /global/tenants/{id}" => {
            if who == Master {
                OK
            } else {
                UNAUTH
            }
        }
        "POST /users" => match who {
            Admin | OtherTenantAdmin => CREATED,
            Manager | User => FORBID,
            _ => UNAUTH,
        },
        "GET /users" => match who {
            Admin | OtherTenantAdmin => OK,
            Manager | User => FORBID,
            _ => UNAUTH,
        },
        "GET /users/{id}" => match who {
            Admin | Manager | Master => OK,
            User => FORBID,
            OtherTenantAdmin => NOTFOUND,
            _ => UNAUTH,
        },
        "PUT /users/{id}" | "DELETE /users/{id}" | "POST /users/{id}/promote" => match who {
            Admin | Manager => OK,
            User => FORBID,
            OtherTenantAdmin => NOTFOUND,
            _ => UNAUTH,
        },
        "POST /devices" => {
            if who == Master {
                UNAUTH
            } else {
                CREATED
            }
        }
        "GET /devices" | "GET /user/devices" | "GET /webhook/events" | "POST /user/webhook" => {
            if who == Master {
                UNAUTH
            } else {
                OK
            }
        }
        // The owner's device has no WhatsApp session in this test.
        "POST /send/text"
        | "POST /messages/{id}/read"
        | "POST /messages/{id}/delivered"
        | "POST /contacts/block"
        | "GET /contacts/blocklist"
        | "POST /contact/check"
        | "POST /presence"
        | "POST /chats/{jid}/typing"
        | "POST /send/location"
        | "POST /send/poll"
        | "POST /send/reaction"
        | "PUT /messages/{id}"
        | "DELETE /messages/delete"
        | "POST /chats/{jid}/pin"
        | "POST /chats/{jid}/archive"
        | "PUT /chats/{jid}/disappearing"
        | "GET /contacts/profile"
        | "GET /chats"
        | "GET /contacts"
        | "POST /send/image"
        | "POST /send/video"
        | "POST /send/audio"
        | "POST /send/document"
        | "POST /send/sticker"
        | "POST /send/buttons"
        | "POST /send/buttons-response"
        | "POST /send/interactive"
        | "POST /send/list-response"
        | "POST /send/template"
        | "POST /send/product"
        | "POST /send/catalog"
        | "POST /messages/{id}/retry"
        | "POST /messages/history/request"
        | "POST /appstate/sync"
        | "POST /groups"
        | "GET /groups"
        | "GET /groups/{jid}"
        | "PUT /groups/{jid}/ephemeral"
        | "DELETE /groups/{jid}/leave"
        | "POST /groups/{jid}/participants"
        | "DELETE /groups/{jid}/participants"
        | "PATCH /groups/{jid}"
        | "GET /groups/{jid}/invite"
        | "POST /groups/{jid}/invite/reset"
        | "POST /groups/join"
        | "POST /groups/{jid}/picture"
        | "POST /communities"
        | "POST /communities/{jid}/participants"
        | "DELETE /communities/{jid}/participants"
        | "POST /communities/{jid}/groups"
        | "DELETE /communities/{jid}/groups/{group_jid}"
        | "POST /newsletters"
        | "GET /newsletters"
        | "GET /newsletters/{jid}"
        | "GET /newsletters/{jid}/invite"
        | "GET /newsletters/{jid}/messages"
        | "POST /newsletters/{jid}/read"
        | "POST /newsletters/{jid}/messages"
        | "POST /newsletters/{jid}/media"
        | "POST /newsletters/{jid}/subscribe"
        | "DELETE /newsletters/{jid}/subscribe"
        | "POST /payment/request"
        | "POST /payment/cancel"
        | "POST /payment/decline"
        | "POST /payment/send"
        | "PUT /labels/{labelId}"
        | "POST /chats/{jid}/labels"
        | "DELETE /chats/{jid}/labels/{labelId}"
        | "POST /messages/{id}/labels"
        | "DELETE /messages/{id}/labels/{labelId}"
        | "POST /calls/reject"
        | "GET /status/privacy"
        | "PUT /status/privacy"
        | "POST /status/text"
        | "POST /status/media" => match who {
            User => StatusCode::CONFLICT,
            Admin | Manager => FORBID,
            OtherTenantAdmin => NOTFOUND,
            _ => UNAUTH,
        },
        // No such dead event (or sent message): the owner is told so.
        // No media message with this id anywhere in the caller's tenant.
        "GET /messages/{id}/media" => match who {
            User | Admin | Manager | OtherTenantAdmin => NOTFOUND,
            _ => UNAUTH,
        },
        // No such job in the caller's tenant (media_jobs tests a real one across tenants).
        "GET /jobs/{job_id}" => match who {
            User | Admin | Manager | OtherTenantAdmin => NOTFOUND,
            _ => UNAUTH,
        },
        "POST /webhook/dead-letters/{id}/redeliver" | "GET /messages/{id}/status" => match who {
            User => NOTFOUND,
            Admin | Manager => FORBID,
            OtherTenantAdmin => NOTFOUND,
            _ => UNAUTH,
        },
        // Device-scoped: only the owner (the plain user) acts on their device.
        "DELETE /devices/{id}"
        | "POST /webhook"
        | "GET /webhook"
        | "DELETE /webhook"
        | "GET /webhook/dead-letters"
        | "GET /messages/queue"
        | "GET /calls/settings"
        | "PUT /calls/settings"
        | "GET /labels" => match who {
            User => OK,
            Admin | Manager => FORBID,
            OtherTenantAdmin => NOTFOUND,
            _ => UNAUTH,
        },
        // Anyone of a tenant reads its proxy setup; admins and managers change the tenant's.
        "GET /proxy" | "GET /events/outputs" => match who {
            Master => UNAUTH,
            _ => OK,
        },
        "PUT /proxy" | "DELETE /proxy" | "PUT /events/outputs" => match who {
            Admin | Manager | OtherTenantAdmin => OK,
            User => FORBID,
            _ => UNAUTH,
        },
        // A device's proxy: its owner, and the tenant's admins and managers.
        "GET /devices/{id}/proxy" | "PUT /devices/{id}/proxy" | "DELETE /devices/{id}/proxy" => {
            match who {
                User | Admin | Manager => OK,
                OtherTenantAdmin => NOTFOUND,
                _ => UNAUTH,
            }
        }
        other => panic!("no expectation for {other}"),
    }
}

const ENDPOINTS: &[&str] = &[
    "POST /register",
    "GET /tenants",
    "GET /global/tenants/{id}",
    "DELETE /global/tenants/{id}",
    "POST /users",
    "GET /users",
    "GET /users/{id}",
    "PUT /users/{id}",
    "DELETE /users/{id}",
    "POST /users/{id}/promote",
    "POST /devices",
    "GET /devices",
    "GET /user/devices",
    "DELETE /devices/{id}",
    "POST /webhook",
    "GET /webhook",
    "DELETE /webhook",
    "GET /webhook/events",
    "POST /user/webhook",
    "GET /webhook/dead-letters",
    "POST /webhook/dead-letters/{id}/redeliver",
    "POST /send/text",
    "GET /messages/{id}/status",
    "POST /contacts/block",
    "POST /send/location",
    "POST /chats/{jid}/pin",
    "POST /chats/{jid}/archive",
    "PUT /chats/{jid}/disappearing",
    "GET /contacts/profile",
    "GET /chats",
    "GET /contacts",
    "POST /appstate/sync",
    "POST /send/poll",
    "POST /send/reaction",
    "PUT /messages/{id}",
    "DELETE /messages/delete",
    "GET /contacts/blocklist",
    "POST /contact/check",
    "POST /presence",
    "POST /chats/{jid}/typing",
    "POST /messages/{id}/read",
    "POST /messages/{id}/delivered",
    "POST /send/image",
    "POST /send/video",
    "POST /send/audio",
    "POST /send/document",
    "POST /send/sticker",
    "POST /send/buttons",
    "POST /send/buttons-response",
    "POST /send/interactive",
    "POST /send/list-response",
    "POST /send/template",
    "POST /send/product",
    "POST /send/catalog",
    "POST /messages/{id}/retry",
    "POST /messages/history/request",
    "GET /messages/queue",
    "GET /messages/{id}/media",
    "GET /jobs/{job_id}",
    "POST /groups",
    "GET /groups",
    "GET /groups/{jid}",
    "PUT /groups/{jid}/ephemeral",
    "DELETE /groups/{jid}/leave",
    "POST /groups/{jid}/participants",
    "DELETE /groups/{jid}/participants",
    "PATCH /groups/{jid}",
    "GET /groups/{jid}/invite",
    "POST /groups/{jid}/invite/reset",
    "POST /groups/join",
    "POST /groups/{jid}/picture",
    "POST /communities",
    "POST /communities/{jid}/participants",
    "DELETE /communities/{jid}/participants",
    "POST /communities/{jid}/groups",
    "DELETE /communities/{jid}/groups/{group_jid}",
    "POST /newsletters",
    "GET /newsletters",
    "GET /newsletters/{jid}",
    "GET /newsletters/{jid}/invite",
    "GET /newsletters/{jid}/messages",
    "POST /newsletters/{jid}/read",
    "POST /newsletters/{jid}/messages",
    "POST /newsletters/{jid}/media",
    "POST /newsletters/{jid}/subscribe",
    "DELETE /newsletters/{jid}/subscribe",
    "POST /payment/request",
    "POST /payment/cancel",
    "POST /payment/decline",
    "POST /payment/send",
    "GET /labels",
    "PUT /labels/{labelId}",
    "POST /chats/{jid}/labels",
    "DELETE /chats/{jid}/labels/{labelId}",
    "POST /messages/{id}/labels",
    "DELETE /messages/{id}/labels/{labelId}",
    "POST /calls/reject",
    "GET /calls/settings",
    "PUT /calls/settings",
    "GET /status/privacy",
    "PUT /status/privacy",
    "POST /status/text",
    "POST /status/media",
    "GET /proxy",
    "PUT /proxy",
    "DELETE /proxy",
    "GET /devices/{id}/proxy",
    "PUT /devices/{id}/proxy",
    "DELETE /devices/{id}/proxy",
    "GET /events/outputs",
    "PUT /events/outputs",
];

async fn permission_matrix(b: Backend) {
    let app = TestApp::start(b).await;
    let (_, _, admin) = app.register("tenant-a").await;
    let (_, manager) = app.user(&admin, "manager").await;
    let (_, user) = app.user(&admin, "user").await;
    let (_, _, other_admin) = app.register("tenant-b").await;
    let w = World {
        admin,
        manager,
        user,
        other_admin,
    };
    let mut failures = Vec::new();
    for name in ENDPOINTS {
        for who in ALL {
            let c = case(&app, &w, name).await;
            let (status, body) = app
                .call(
                    c.method.clone(),
                    &c.path,
                    w.token(&app, who),
                    c.body.clone(),
                )
                .await;
            let want = expected(c.name, who);
            if status != want {
                failures.push(format!(
                    "{} as {who:?}: got {status}, want {want}: {body}",
                    c.name
                ));
            }
            if !status.is_success() && body["success"] != json!(false) {
                failures.push(format!(
                    "{} as {who:?}: not the error envelope: {body}",
                    c.name
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Another tenant's admin lists only their own tenant's users and devices.
    let (_, users) = app.get("/users", &w.other_admin).await;
    assert!(users["users"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["email"].as_str().unwrap() != "admin@tenant-a.test"));
    app.stop().await;
}
