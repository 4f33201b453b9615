//! The device registry and the one rule that picks a request's device.

use crate::helpers::{assert_error, Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::json;

both_backends!(registry_lists_and_deletes, device_selection_rules);

async fn registry_lists_and_deletes(b: Backend) {
    let app = TestApp::start(b).await;
    let (_, admin_id, admin) = app.register("reg").await;
    let (st, c) = app
        .post("/devices", &admin, json!({"name": "Sales phone"}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    assert_eq!(c["message"], json!("Device created successfully"));
    let id = c["device"]["id"].as_str().unwrap().to_string();
    assert_eq!(c["data"], json!({"device_id": id, "name": "Sales phone"}));
    assert_eq!(c["device"]["user_id"], json!(admin_id));
    assert_eq!(c["device"]["connected"], json!(false));
    // No body at all is fine: a name is made up.
    let res = app
        .http
        .post(format!("{}/devices", app.base))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let second: serde_json::Value = res.json().await.unwrap();
    assert!(second["device"]["name"]
        .as_str()
        .unwrap()
        .starts_with("device-"));

    let (st, list) = app.get("/devices", &admin).await;
    assert_eq!(st, StatusCode::OK);
    let devices = list["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 2);
    for key in [
        "id",
        "user_id",
        "name",
        "whatsapp_jid",
        "connected",
        "last_seen",
        "webhook_url",
        "created_at",
        "updated_at",
    ] {
        assert!(devices[0].get(key).is_some(), "devices[] lacks {key}");
    }
    let (st, sum) = app.get("/user/devices", &admin).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(sum["data"]["count"], json!(2));
    assert_eq!(sum["data"]["user_id"], json!(admin_id));
    assert_eq!(sum["data"]["devices"][0]["id"], json!(id));

    let (st, d) = app
        .call(
            Method::DELETE,
            &format!("/devices/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{d}");
    assert_eq!(d["message"], json!("Device disconnected"));
    let (_, list) = app.get("/devices", &admin).await;
    assert_eq!(list["devices"].as_array().unwrap().len(), 1);
    let (st, e) = app
        .call(
            Method::DELETE,
            &format!("/devices/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_error(st, &e, StatusCode::NOT_FOUND, "NOT_FOUND");
    let (st, e) = app
        .post("/devices", &admin, json!({"name": "x".repeat(101)}))
        .await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(e["validation"][0]["field"], json!("name"));
    app.stop().await;
}

async fn device_selection_rules(b: Backend) {
    let app = TestApp::start(b).await;
    let (_, _, admin) = app.register("sel").await;
    let (_, user) = app.user(&admin, "user").await;
    let (_, _, stranger) = app.register("other").await;
    let hook = json!({"webhook_url": "https://h.test/x", "enabled_events": ["message.received"]});

    // No device yet: a clear 404.
    let (st, e) = app.get("/webhook", &user).await;
    assert_error(st, &e, StatusCode::NOT_FOUND, "NOT_FOUND");
    assert!(e["error"].as_str().unwrap().contains("POST /devices"));

    // One device: used without device_id.
    let d1 = app.device(&user, "one").await;
    let (st, w) = app.post("/webhook", &user, hook.clone()).await;
    assert_eq!(st, StatusCode::OK, "{w}");
    assert_eq!(w["webhook"]["device_id"], json!(d1));

    // Two devices: device_id is required, and named in the error.
    let d2 = app.device(&user, "two").await;
    let (st, e) = app.get("/webhook", &user).await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(e["validation"][0]["field"], json!("device_id"));
    let (st, w) = app.get(&format!("/webhook?device_id={d1}"), &user).await;
    assert_eq!(st, StatusCode::OK, "{w}");
    // device_id in the body selects too; the query wins over the body.
    let mut with_body = hook.clone();
    with_body["device_id"] = json!(d2);
    let (st, w) = app.post("/webhook", &user, with_body.clone()).await;
    assert_eq!(st, StatusCode::OK, "{w}");
    assert_eq!(w["webhook"]["device_id"], json!(d2));
    let (st, w) = app
        .post(&format!("/webhook?device_id={d1}"), &user, with_body)
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(w["webhook"]["device_id"], json!(d1));

    // Another user's device in the same tenant: forbidden, even for the tenant's admin.
    let (st, e) = app.get(&format!("/webhook?device_id={d1}"), &admin).await;
    assert_error(st, &e, StatusCode::FORBIDDEN, "FORBIDDEN");
    let (st, e) = app
        .call(
            Method::DELETE,
            &format!("/devices/{d1}"),
            Some(&admin),
            None,
        )
        .await;
    assert_error(st, &e, StatusCode::FORBIDDEN, "FORBIDDEN");
    // Another tenant's device: not found (its existence is not revealed).
    let (st, e) = app
        .get(&format!("/webhook?device_id={d1}"), &stranger)
        .await;
    assert_error(st, &e, StatusCode::NOT_FOUND, "NOT_FOUND");
    let (st, e) = app
        .call(
            Method::DELETE,
            &format!("/devices/{d1}"),
            Some(&stranger),
            None,
        )
        .await;
    assert_error(st, &e, StatusCode::NOT_FOUND, "NOT_FOUND");
    // Not a UUID: a validation error.
    let (st, e) = app.get("/webhook?device_id=abc", &user).await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(e["validation"][0]["field"], json!("device_id"));
    // Deleting a device removes its configuration with it.
    let (st, _) = app
        .call(Method::DELETE, &format!("/devices/{d1}"), Some(&user), None)
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, w) = app.get("/webhook", &user).await;
    assert_eq!(st, StatusCode::OK, "the only device left is used: {w}");
    assert_eq!(w["webhook"]["device_id"], json!(d2));
    app.stop().await;
}
