//! WUTS users-and-admin: tenants (master token), users, roles, tokens.

use crate::helpers::{assert_error, Backend, TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::json;

both_backends!(
    register_and_tenants,
    users_crud_and_tokens,
    role_transitions_over_http,
    deactivation_applies_at_once,
    tenant_delete_cascades,
    webhook_prestaging_on_register_and_users,
);

async fn register_and_tenants(b: Backend) {
    let app = TestApp::start(b).await;
    let (st, r) = app
        .post("/register", &app.master, json!({"tenant_name": "acme", "email": "Boss@Acme.test", "password": PASSWORD, "role": "user"}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    assert_eq!(r["success"], json!(true));
    assert_eq!(
        r["user"]["role"],
        json!("admin"),
        "first user is always admin"
    );
    assert_eq!(r["user"]["email"], json!("boss@acme.test"));
    assert_eq!(r["user"]["tenant_id"], r["tenant"]["id"]);
    assert_eq!(r["webhook_configured"], json!(false));
    let token = r["token"].as_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(token).unwrap().get_version_num(), 4);
    assert_eq!(r["user"]["token"], r["token"]);

    // The token works, with any scheme case or none at all.
    for header in [
        format!("Bearer {token}"),
        format!("bearer {token}"),
        format!("BEARER  {token}"),
        token.to_string(),
    ] {
        let res = app
            .http
            .get(format!("{}/devices", app.base))
            .header("Authorization", header.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{header}");
    }
    // Only the header counts.
    let res = app
        .http
        .get(format!("{}/devices?token={token}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let (st, dup) = app
        .post(
            "/register",
            &app.master,
            json!({"tenant_name": "acme", "email": "x@y.test", "password": PASSWORD}),
        )
        .await;
    assert_error(st, &dup, StatusCode::CONFLICT, "CONFLICT");
    assert!(dup["error"]
        .as_str()
        .unwrap()
        .starts_with("tenant already exists"));

    let (st, list) = app.get("/tenants", &app.master).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(list["tenants"].as_array().unwrap().len(), 1);
    assert_eq!(list["tenants"][0]["name"], json!("acme"));
    let tid = r["tenant"]["id"].as_str().unwrap();
    let (st, one) = app
        .get(&format!("/global/tenants/{tid}"), &app.master)
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(one["data"]["id"], json!(tid));
    let (st, e) = app
        .get(
            &format!("/global/tenants/{}", uuid::Uuid::new_v4()),
            &app.master,
        )
        .await;
    assert_error(st, &e, StatusCode::NOT_FOUND, "NOT_FOUND");

    // The master token is not a user token, and a user token is not the master token.
    let (st, e) = app.get("/tenants", token).await;
    assert_error(st, &e, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    assert_eq!(e["error"], json!("invalid master token"));
    let (st, e) = app.call(Method::GET, "/tenants", None, None).await;
    assert_eq!(e["error"], json!("master token required"));
    assert_error(st, &e, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    let (st, e) = app.get("/devices", &app.master).await;
    assert_error(st, &e, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    assert_eq!(e["error"], json!("Invalid token"));

    // Validation names the fields.
    let (st, e) = app
        .post(
            "/register",
            &app.master,
            json!({"tenant_name": " ", "email": "nope", "password": "short"}),
        )
        .await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(e["validation"][0]["field"], json!("tenant_name"));
    app.stop().await;
}

async fn users_crud_and_tokens(b: Backend) {
    let app = TestApp::start(b).await;
    let (tenant, admin_id, admin) = app.register("crud").await;
    let (st, c) = app
        .post(
            "/users",
            &admin,
            json!({"email": "u1@crud.test", "password": PASSWORD, "role": "manager"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    assert_eq!(c["user"]["tenant_id"], json!(tenant));
    assert_eq!(c["user"]["role"], json!("manager"));
    assert_eq!(c["user"]["active"], json!(true));
    let uid = c["user"]["id"].as_str().unwrap().to_string();
    let utoken = c["user"]["token"].as_str().unwrap().to_string();

    let (st, e) = app
        .post(
            "/users",
            &admin,
            json!({"email": "U1@crud.test", "password": PASSWORD}),
        )
        .await;
    assert_error(st, &e, StatusCode::CONFLICT, "CONFLICT");
    let (st, e) = app
        .post(
            "/users",
            &admin,
            json!({"email": "u2@crud.test", "password": PASSWORD, "role": "owner"}),
        )
        .await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(e["validation"][0]["field"], json!("role"));

    let (st, list) = app.get("/users", &admin).await;
    assert_eq!(st, StatusCode::OK);
    let users = list["users"].as_array().unwrap();
    assert_eq!(users.len(), 2);
    assert!(
        users.iter().all(|u| u.get("token").is_none()),
        "tokens are shown once only"
    );

    let (st, one) = app.get(&format!("/users/{uid}"), &admin).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(one["data"]["email"], json!("u1@crud.test"));
    assert!(one["data"].get("token").is_none());
    // Everyone sees themself; the master token sees anyone.
    let (st, _) = app.get(&format!("/users/{uid}"), &utoken).await;
    assert_eq!(st, StatusCode::OK);
    let (st, m) = app.get(&format!("/users/{uid}"), &app.master).await;
    assert_eq!(st, StatusCode::OK, "{m}");

    let (st, u) = app
        .call(
            Method::PUT,
            &format!("/users/{uid}"),
            Some(&admin),
            Some(json!({"role": "user"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{u}");
    assert_eq!(u["message"], json!("User updated successfully"));
    let (_, one) = app.get(&format!("/users/{uid}"), &admin).await;
    assert_eq!(one["data"]["role"], json!("user"));
    let (st, e) = app
        .call(
            Method::PUT,
            &format!("/users/{uid}"),
            Some(&admin),
            Some(json!({})),
        )
        .await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");

    let (st, p) = app
        .post(
            &format!("/users/{uid}/promote"),
            &admin,
            json!({"new_role": "manager"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{p}");
    assert_eq!(
        p["data"],
        json!({"user_id": uid, "old_role": "user", "new_role": "manager"})
    );

    // Nobody deletes themself; admins delete others, and the token dies with the user.
    let (st, e) = app
        .call(
            Method::DELETE,
            &format!("/users/{admin_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_error(st, &e, StatusCode::FORBIDDEN, "FORBIDDEN");
    let (st, d) = app
        .call(Method::DELETE, &format!("/users/{uid}"), Some(&admin), None)
        .await;
    assert_eq!(st, StatusCode::OK, "{d}");
    assert_eq!(d["message"], json!("User permanently deleted"));
    let (st, e) = app.get("/devices", &utoken).await;
    assert_error(st, &e, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    let (st, e) = app.get(&format!("/users/{uid}"), &admin).await;
    assert_error(st, &e, StatusCode::NOT_FOUND, "NOT_FOUND");
    app.stop().await;
}

/// The matrix of docs/compat.md, exercised over HTTP for every caller/target pair.
async fn role_transitions_over_http(b: Backend) {
    let app = TestApp::start(b).await;
    let (_, _, admin) = app.register("matrix").await;
    let (_, manager) = app.user(&admin, "manager").await;
    let (_, user) = app.user(&admin, "user").await;
    let callers = [("admin", &admin), ("manager", &manager), ("user", &user)];
    for (caller_role, caller) in callers {
        for target_role in ["admin", "manager", "user"] {
            for to in ["admin", "manager", "user"] {
                let (tid, _) = app.user(&admin, target_role).await;
                let (st, body) = app
                    .post(
                        &format!("/users/{tid}/promote"),
                        caller,
                        json!({"new_role": to}),
                    )
                    .await;
                let allowed = match caller_role {
                    "admin" => true,
                    "manager" => target_role == "user" && to != "admin",
                    _ => false,
                };
                let want = if allowed {
                    StatusCode::OK
                } else {
                    StatusCode::FORBIDDEN
                };
                assert_eq!(st, want, "{caller_role} sets {target_role} -> {to}: {body}");
            }
            let (tid, _) = app.user(&admin, target_role).await;
            let (st, body) = app
                .call(
                    Method::PUT,
                    &format!("/users/{tid}"),
                    Some(caller),
                    Some(json!({"active": false})),
                )
                .await;
            let allowed =
                caller_role == "admin" || (caller_role == "manager" && target_role == "user");
            assert_eq!(
                st,
                if allowed {
                    StatusCode::OK
                } else {
                    StatusCode::FORBIDDEN
                },
                "{caller_role} deactivates {target_role}: {body}"
            );
            let (st, body) = app
                .call(Method::DELETE, &format!("/users/{tid}"), Some(caller), None)
                .await;
            assert_eq!(
                st,
                if allowed {
                    StatusCode::OK
                } else {
                    StatusCode::FORBIDDEN
                },
                "{caller_role} deletes {target_role}: {body}"
            );
            let (tid, _) = app.user(&admin, target_role).await;
            let (st, body) = app.get(&format!("/users/{tid}"), caller).await;
            let allowed = caller_role != "user";
            assert_eq!(
                st,
                if allowed {
                    StatusCode::OK
                } else {
                    StatusCode::FORBIDDEN
                },
                "{caller_role} views {target_role}: {body}"
            );
        }
        // Creating and listing users is for admins.
        let (st, _) = app.post("/users", caller, json!({"email": format!("new-{caller_role}@m.test"), "password": PASSWORD, "role": "user"})).await;
        assert_eq!(
            st,
            if caller_role == "admin" {
                StatusCode::CREATED
            } else {
                StatusCode::FORBIDDEN
            }
        );
        let (st, _) = app.get("/users", caller).await;
        assert_eq!(
            st,
            if caller_role == "admin" {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            }
        );
    }
    // Nobody changes their own role or active flag.
    let (st, me) = app.get("/devices", &manager).await;
    assert_eq!(st, StatusCode::OK, "{me}");
    let (_, users) = app.get("/users", &admin).await;
    let admin_id = users["users"][0]["id"].as_str().unwrap();
    let (st, e) = app
        .post(
            &format!("/users/{admin_id}/promote"),
            &admin,
            json!({"new_role": "user"}),
        )
        .await;
    assert_error(st, &e, StatusCode::FORBIDDEN, "FORBIDDEN");
    let (st, e) = app
        .call(
            Method::PUT,
            &format!("/users/{admin_id}"),
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await;
    assert_error(st, &e, StatusCode::FORBIDDEN, "FORBIDDEN");
    app.stop().await;
}

async fn deactivation_applies_at_once(b: Backend) {
    let app = TestApp::start(b).await;
    let (_, _, admin) = app.register("deact").await;
    let (uid, token) = app.user(&admin, "user").await;
    // Warm the authentication cache, then deactivate: the very next request is refused.
    assert_eq!(app.get("/devices", &token).await.0, StatusCode::OK);
    assert_eq!(app.get("/devices", &token).await.0, StatusCode::OK);
    let (st, _) = app
        .call(
            Method::PUT,
            &format!("/users/{uid}"),
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, e) = app.get("/devices", &token).await;
    assert_error(st, &e, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    let (st, _) = app
        .call(
            Method::PUT,
            &format!("/users/{uid}"),
            Some(&admin),
            Some(json!({"active": true})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(app.get("/devices", &token).await.0, StatusCode::OK);
    // A role change applies at once too.
    let (st, _) = app
        .post(
            &format!("/users/{uid}/promote"),
            &admin,
            json!({"new_role": "admin"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(app.get("/users", &token).await.0, StatusCode::OK);
    app.stop().await;
}

async fn tenant_delete_cascades(b: Backend) {
    let app = TestApp::start(b).await;
    let (tid, _, admin) = app.register("gone").await;
    let (_, other_admin) = (
        app.register("stays").await.1,
        app.register("stays2").await.2,
    );
    let (_, user) = app.user(&admin, "user").await;
    let device = app.device(&user, "d1").await;
    let (st, _) = app
        .post(
            &format!("/webhook?device_id={device}"),
            &user,
            json!({"webhook_url": "https://h.test/x", "enabled_events": ["message.received"]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let other_device = app.device(&other_admin, "keep").await;

    let (st, d) = app
        .call(
            Method::DELETE,
            &format!("/global/tenants/{tid}"),
            Some(&app.master),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{d}");
    assert_eq!(d["data"]["tenant_id"], json!(tid));
    assert_eq!(d["data"]["tenant_name"], json!("gone"));
    for t in [&admin, &user] {
        let (st, e) = app.get("/devices", t).await;
        assert_error(st, &e, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    }
    let (st, e) = app
        .call(
            Method::DELETE,
            &format!("/global/tenants/{tid}"),
            Some(&app.master),
            None,
        )
        .await;
    assert_error(st, &e, StatusCode::NOT_FOUND, "NOT_FOUND");
    // Nothing of the tenant is left in the database; the others are untouched.
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut c = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    for table in ["users", "devices", "webhooks"] {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM {table} WHERE tenant_id = $1"
        ))
        .bind(&tid)
        .fetch_one(&mut c)
        .await
        .unwrap();
        assert_eq!(n, 0, "{table} rows left for the deleted tenant");
    }
    let (_, devs) = app.get("/devices", &other_admin).await;
    assert_eq!(devs["devices"][0]["id"], json!(other_device));
    c.close().await.unwrap();
    app.stop().await;
}

async fn webhook_prestaging_on_register_and_users(b: Backend) {
    let app = TestApp::start(b).await;
    let (st, r) = app
        .post("/register", &app.master, json!({"tenant_name": "hooks", "email": "a@hooks.test", "password": PASSWORD, "webhook_url": "https://recv.test/wuts"}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    assert_eq!(r["webhook_configured"], json!(true));
    assert_eq!(r["webhook_url"], json!("https://recv.test/wuts"));
    let admin = r["token"].as_str().unwrap();
    let device = app.device(admin, "d").await;
    let (st, w) = app
        .get(&format!("/webhook?device_id={device}"), admin)
        .await;
    assert_eq!(st, StatusCode::OK, "{w}");
    assert_eq!(w["webhook"]["webhook_url"], json!("https://recv.test/wuts"));
    assert_eq!(w["webhook"]["enabled_events"].as_array().unwrap().len(), 59);

    let (st, u) = app
        .post("/users", admin, json!({"email": "b@hooks.test", "password": PASSWORD, "webhook_url": "https://other.test/in"}))
        .await;
    assert_eq!(st, StatusCode::CREATED);
    assert_eq!(u["webhook_configured"], json!(true));
    let utoken = u["user"]["token"].as_str().unwrap();
    app.device(utoken, "d").await;
    let (_, devs) = app.get("/devices", utoken).await;
    assert_eq!(
        devs["devices"][0]["webhook_url"],
        json!("https://other.test/in")
    );

    let (st, e) = app
        .post(
            "/users",
            admin,
            json!({"email": "c@hooks.test", "password": PASSWORD, "webhook_url": "not a url"}),
        )
        .await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(e["validation"][0]["field"], json!("webhook_url"));
    app.stop().await;
}
