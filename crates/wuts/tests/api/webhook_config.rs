//! Per-device webhook configuration, the event catalogue and the user-level staged URL.

use crate::helpers::{assert_error, Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::json;

both_backends!(
    configure_update_delete,
    validation_and_https_rule,
    events_and_user_webhook
);

async fn configure_update_delete(b: Backend) {
    let app = TestApp::start(b).await;
    let (_, _, admin) = app.register("wh").await;
    let device = app.device(&admin, "d").await;
    let (st, e) = app.get("/webhook", &admin).await;
    assert_error(st, &e, StatusCode::NOT_FOUND, "NOT_FOUND");

    let body = json!({
        "webhook_url": "https://recv.test/hook",
        "enabled_events": ["message.received", "message.read", "message.received"],
        "retry_attempts": 5,
        "timeout": 30,
        "secret": "s3cret",
        "headers": {"X-Api-Key": "k"}
    });
    let (st, w) = app.post("/webhook", &admin, body).await;
    assert_eq!(st, StatusCode::OK, "{w}");
    assert_eq!(w["message"], json!("Webhook configured successfully"));
    let hook = &w["webhook"];
    assert!(hook["id"].as_str().unwrap().starts_with("wh_"));
    assert_eq!(hook["device_id"], json!(device));
    assert_eq!(
        hook["enabled_events"],
        json!(["message.received", "message.read"])
    );
    assert_eq!(hook["enabled"], json!(true));
    assert_eq!(hook["retry_attempts"], json!(5));
    assert_eq!(hook["timeout"], json!(30));
    assert_eq!(hook["headers"], json!({"X-Api-Key": "k"}));
    assert_eq!(hook["has_secret"], json!(true));
    assert!(
        !w.to_string().contains("s3cret"),
        "the secret is write-only"
    );

    // An update keeps the id, the creation time and (when left out) the secret; defaults apply.
    let (st, w2) = app.post("/webhook", &admin, json!({"webhook_url": "https://recv.test/v2", "enabled_events": ["message.sent"], "enabled": false})).await;
    assert_eq!(st, StatusCode::OK, "{w2}");
    assert_eq!(w2["webhook"]["id"], hook["id"]);
    assert_eq!(w2["webhook"]["created_at"], hook["created_at"]);
    assert_eq!(w2["webhook"]["has_secret"], json!(true));
    assert_eq!(w2["webhook"]["enabled"], json!(false));
    assert_eq!(w2["webhook"]["retry_attempts"], json!(3));
    assert_eq!(w2["webhook"]["timeout"], json!(10));
    let (st, g) = app.get("/webhook", &admin).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(g["webhook"]["webhook_url"], json!("https://recv.test/v2"));
    assert!(!g.to_string().contains("s3cret"));
    // An empty secret removes it.
    let (_, w3) = app.post("/webhook", &admin, json!({"webhook_url": "https://recv.test/v2", "enabled_events": ["message.sent"], "secret": ""})).await;
    assert_eq!(w3["webhook"]["has_secret"], json!(false));

    let (st, d) = app
        .call(Method::DELETE, "/webhook", Some(&admin), None)
        .await;
    assert_eq!(st, StatusCode::OK, "{d}");
    let (st, e) = app.get("/webhook", &admin).await;
    assert_error(st, &e, StatusCode::NOT_FOUND, "NOT_FOUND");
    let (st, e) = app
        .call(Method::DELETE, "/webhook", Some(&admin), None)
        .await;
    assert_error(st, &e, StatusCode::NOT_FOUND, "NOT_FOUND");
    let (_, list) = app.get("/devices", &admin).await;
    assert_eq!(list["devices"][0]["webhook_url"], json!(null));
    app.stop().await;
}

async fn validation_and_https_rule(b: Backend) {
    let app = TestApp::start_with(b, |c| c.webhook_allow_http = false).await;
    let (_, _, admin) = app.register("val").await;
    app.device(&admin, "d").await;
    let (st, e) = app
        .post(
            "/webhook",
            &admin,
            json!({
                "webhook_url": "http://recv.test/hook",
                "enabled_events": ["message.received", "bogus.event"],
                "retry_attempts": 11,
                "timeout": 0,
                "headers": {"Content-Length": "1", "Bad Header": "x"}
            }),
        )
        .await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let fields: Vec<&str> = e["validation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for f in [
        "webhook_url",
        "enabled_events[1]",
        "retry_attempts",
        "timeout",
        "headers.Content-Length",
        "headers.Bad Header",
    ] {
        assert!(fields.contains(&f), "{f} not reported in {fields:?}");
    }
    let (st, e) = app
        .post(
            "/webhook",
            &admin,
            json!({"webhook_url": "https://recv.test/hook", "enabled_events": []}),
        )
        .await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(e["validation"][0]["field"], json!("enabled_events"));
    let (st, e) = app.post("/webhook", &admin, json!({"webhook_url": "https://recv.test/hook", "enabled_events": ["message.sent"], "retries": 2})).await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (st, e) = app
        .post(
            "/user/webhook",
            &admin,
            json!({"webhook_url": "http://recv.test/hook"}),
        )
        .await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    app.stop().await;
}

async fn events_and_user_webhook(b: Backend) {
    let app = TestApp::start(b).await;
    let (_, _, admin) = app.register("ev").await;
    let (st, ev) = app.get("/webhook/events", &admin).await;
    assert_eq!(st, StatusCode::OK);
    let events = ev["events"].as_array().unwrap();
    assert_eq!(events.len(), 59);
    for name in [
        "message.received",
        "connection.keepalive_restored",
        "app_state.sync_complete",
        "call.unknown",
    ] {
        assert!(events.contains(&json!(name)), "{name}");
    }
    let (st, u) = app
        .post(
            "/user/webhook",
            &admin,
            json!({"webhook_url": "https://later.test/in"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{u}");
    assert_eq!(u["data"]["webhook_url"], json!("https://later.test/in"));
    assert_eq!(u["data"]["events_count"], json!(59));
    assert_eq!(u["data"]["available_events"].as_array().unwrap().len(), 59);
    // Devices created afterwards get it with every event.
    let device = app.device(&admin, "later").await;
    let (_, w) = app
        .get(&format!("/webhook?device_id={device}"), &admin)
        .await;
    assert_eq!(w["webhook"]["webhook_url"], json!("https://later.test/in"));
    assert_eq!(w["webhook"]["enabled_events"].as_array().unwrap().len(), 59);
    app.stop().await;
}
