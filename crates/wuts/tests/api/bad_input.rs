//! Bad input answers the envelope with the right status; nothing produces a 500.

use crate::helpers::{assert_error, Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::json;

both_backends!(
    malformed_and_mistyped_bodies,
    oversized_bodies,
    paths_routes_and_methods,
    garbage_never_500
);

async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: impl Into<reqwest::Body>,
) -> (StatusCode, serde_json::Value) {
    let res = app
        .http
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("content-type", "application/json")
        // The server may answer an oversized body before reading it and close the connection:
        // this request's connection must not go back to the pool for the next request.
        .header("connection", "close")
        .body(body)
        .send()
        .await
        .unwrap();
    let st = res.status();
    let text = res.text().await.unwrap();
    (
        st,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: not JSON: {text}")),
    )
}

async fn malformed_and_mistyped_bodies(b: Backend) {
    let app = TestApp::start(b).await;
    let (_, _, admin) = app.register("bad").await;
    let (st, e) = raw(&app, Method::POST, "/users", &admin, "{\"email\": ").await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(e["validation"][0]["field"], json!("body"), "{e}");
    assert!(
        e["validation"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("malformed JSON"),
        "{e}"
    );
    let (st, e) = raw(&app, Method::POST, "/users", &admin, "not json at all").await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(e["validation"][0]["field"], json!("body"), "{e}");
    let (st, e) = app
        .post("/users", &admin, json!({"email": 42, "password": "x"}))
        .await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(e["validation"][0]["field"], json!("email"));
    let (st, e) = app.post("/users", &admin, json!(["an", "array"])).await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (st, e) = app
        .post(
            "/users",
            &admin,
            json!({"email": "a@b.test", "password": "long-enough", "rol": "admin"}),
        )
        .await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert!(e["error"].as_str().unwrap().contains("rol"), "{e}");
    let (st, e) = app.post("/users", &admin, json!({})).await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(e["validation"][0]["field"], json!("email"));
    let (st, e) = app
        .post(
            "/users",
            &admin,
            json!({"email": "ok@b.test", "password": "short"}),
        )
        .await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(e["validation"][0]["field"], json!("password"));
    let (_, users) = app.get("/users", &admin).await;
    let id = users["users"][0]["id"].as_str().unwrap().to_string();
    let (st, e) = app
        .call(
            Method::PUT,
            &format!("/users/{id}"),
            Some(&admin),
            Some(json!({"active": "yes"})),
        )
        .await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(e["validation"][0]["field"], json!("active"));
    app.device(&admin, "d").await;
    let (st, e) = app
        .post(
            "/webhook",
            &admin,
            json!({"webhook_url": "https://x.test", "enabled_events": "message.sent"}),
        )
        .await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(e["validation"][0]["field"], json!("enabled_events"));
    let (st, e) = app.post("/webhook", &admin, json!({"webhook_url": "https://x.test", "enabled_events": ["message.sent"], "timeout": 1e30})).await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    app.stop().await;
}

async fn oversized_bodies(b: Backend) {
    let app = TestApp::start_with(b, |c| c.body_limit = 64 * 1024).await;
    let (_, _, admin) = app.register("big").await;
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(200 * 1024));
    let (st, e) = raw(&app, Method::POST, "/devices", &admin, huge).await;
    assert_error(st, &e, StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE");
    let (st, e) = raw(
        &app,
        Method::POST,
        "/register",
        &app.master,
        vec![b'{'; 1024 * 1024],
    )
    .await;
    assert_error(st, &e, StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE");
    // A long but legal field is judged by its own rule.
    let (st, e) = app
        .post("/devices", &admin, json!({"name": "y".repeat(10_000)}))
        .await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    app.stop().await;
}

async fn paths_routes_and_methods(b: Backend) {
    let app = TestApp::start(b).await;
    let (_, _, admin) = app.register("paths").await;
    for path in [
        "/users/not-a-uuid",
        "/users/123",
        "/users/%00",
        "/global/tenants/xyz",
    ] {
        let token = if path.starts_with("/global") {
            app.master.clone()
        } else {
            admin.clone()
        };
        let (st, e) = app.get(path, &token).await;
        assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    }
    let (st, e) = app
        .call(Method::DELETE, "/devices/nope", Some(&admin), None)
        .await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (st, e) = app.get("/no/such/route", &admin).await;
    assert_error(st, &e, StatusCode::NOT_FOUND, "NOT_FOUND");
    let (st, e) = app.call(Method::PATCH, "/users", Some(&admin), None).await;
    assert_error(st, &e, StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");
    let (st, e) = app
        .call(Method::DELETE, "/webhook/events", Some(&admin), None)
        .await;
    assert_error(st, &e, StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");
    let (st, e) = app.get("/devices?device_id=%ZZ", &admin).await;
    assert_eq!(
        st,
        StatusCode::OK,
        "unrelated query strings are ignored: {e}"
    );
    app.stop().await;
}

/// A crude fuzz: junk bodies and paths at every route never yield a 5xx.
async fn garbage_never_500(b: Backend) {
    let app = TestApp::start(b).await;
    let (_, _, admin) = app.register("fuzz").await;
    app.device(&admin, "d").await;
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"{}".to_vec(),
        b"123".to_vec(),
        b"\"str\"".to_vec(),
        b"{\"email\": null, \"password\": [], \"role\": {}}".to_vec(),
        b"{\"webhook_url\": \"https://\", \"enabled_events\": [1,2], \"headers\": [\"x\"]}"
            .to_vec(),
        b"{\"new_role\": \"\\u0000\"}".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x41],
        "{\"tenant_name\": \"\u{202e}\u{0000}\", \"email\": \"a@b\"}"
            .as_bytes()
            .to_vec(),
    ];
    let routes = [
        (Method::POST, "/register"),
        (Method::POST, "/users"),
        (Method::PUT, "/users/00000000-0000-4000-8000-000000000000"),
        (
            Method::POST,
            "/users/00000000-0000-4000-8000-000000000000/promote",
        ),
        (Method::POST, "/devices"),
        (Method::POST, "/webhook"),
        (Method::POST, "/user/webhook"),
        (Method::GET, "/users/%F0%9F%92%A9"),
        (Method::DELETE, "/devices/%20"),
    ];
    for (m, path) in routes {
        for token in [admin.as_str(), app.master.as_str(), "x"] {
            for body in &bodies {
                let (st, e) = raw(&app, m.clone(), path, token, body.clone()).await;
                assert!(st.as_u16() < 500, "{m} {path} -> {st}: {e}");
                if !st.is_success() {
                    assert_eq!(e["success"], json!(false), "{m} {path}: {e}");
                    assert!(e["error_code"].is_string(), "{m} {path}: {e}");
                }
            }
        }
    }
    app.stop().await;
}
