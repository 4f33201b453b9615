//! The device runtime end to end: wuts + wa-sim + the simulated phone, over real sockets, on
//! both databases.

use crate::helpers::{assert_error, Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use wa_sim::SimServer;

both_backends!(
    qr_pairing_restart_disconnect_logout,
    pair_code_pairing,
    other_users_and_tenants_refused
);

async fn app(b: Backend, sim: &SimServer) -> TestApp {
    let url = sim.ws_url();
    TestApp::start_with(b, move |c| {
        c.whatsapp_url = url;
        c.whatsapp_version = "2.3000.1030000000".into();
    })
    .await
}

async fn sim_post(sim: &SimServer, path: &str, body: Value) -> (StatusCode, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}{path}", sim.http_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

async fn sim_get(sim: &SimServer, path: &str) -> Value {
    reqwest::get(format!("{}{path}", sim.http_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Polls `GET /status` until `pred` holds (deadline 30 s).
async fn status_until(
    app: &TestApp,
    token: &str,
    device: &str,
    what: &str,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (st, body) = app.get(&format!("/status?device_id={device}"), token).await;
        assert_eq!(st, StatusCode::OK, "{body}");
        if pred(&body["data"]) {
            return body["data"].clone();
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn qr_pairing_restart_disconnect_logout(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let mut app = app(b, &sim).await;
    let (_, _, admin) = app.register("inst").await;
    let device = app.device(&admin, "sales").await;

    let (st, s) = app
        .get(&format!("/status?device_id={device}"), &admin)
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(s["data"]["connected"], json!(false));
    assert_eq!(s["data"]["status"], json!("needs_qr"));

    let (st, qr) = app.get(&format!("/qr?device_id={device}"), &admin).await;
    assert_eq!(st, StatusCode::OK, "{qr}");
    let code = qr["data"]["qr_code"].as_str().unwrap().to_string();
    assert!(code.starts_with("2@"), "{code}");
    assert!(qr["data"]["image"]
        .as_str()
        .unwrap()
        .starts_with("data:image/png;base64,"));
    assert_eq!(qr["data"]["ttl"], json!(60));
    let (_, again) = app.get(&format!("/qr?device_id={device}"), &admin).await;
    assert_eq!(again["data"]["cached"], json!(true));
    let (_, qs) = app
        .get(&format!("/qr/status?device_id={device}"), &admin)
        .await;
    assert_eq!(qs["data"]["exists"], json!(true));

    let (st, scanned) = sim_post(
        &sim,
        "/admin/scan-qr",
        json!({"qr": code, "phone": "15552220001"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{scanned}");
    let s = status_until(&app, &admin, &device, "connected", |d| {
        d["connected"] == json!(true)
    })
    .await;
    assert_eq!(s["jid"], json!("15552220001@s.whatsapp.net"));
    assert_eq!(s["is_logged_in"], json!(true));
    let (_, list) = app.get("/devices", &admin).await;
    assert_eq!(list["devices"][0]["connected"], json!(true));
    assert_eq!(
        list["devices"][0]["whatsapp_jid"],
        json!("15552220001@s.whatsapp.net")
    );
    let (st, e) = app.get(&format!("/qr?device_id={device}"), &admin).await;
    assert_error(st, &e, StatusCode::CONFLICT, "CONFLICT");

    // The connected account's privacy settings and profile photo.
    let (st, pv) = app
        .get(&format!("/privacy?device_id={device}"), &admin)
        .await;
    assert_eq!(st, StatusCode::OK, "{pv}");
    assert_eq!(pv["data"]["LastSeen"], json!("all"), "{pv}");
    assert_eq!(pv["data"]["ReadReceipts"], json!("all"), "{pv}");
    // A tiny JPEG (the SOI and APP0 bytes are all the check needs).
    let jpeg = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAEBAQ==";
    let pic_path = format!("/profile/picture?device_id={device}");
    let (st, pic) = app
        .post(&pic_path, &admin, json!({"image_base64": jpeg}))
        .await;
    assert_eq!(st, StatusCode::OK, "{pic}");
    let dump = sim_get(&sim, "/admin/accounts/15552220001").await;
    assert_eq!(dump["picture_id"], pic["picture_id"], "{dump}");
    let (st, e) = app
        .post(&pic_path, &admin, json!({"image_base64": "aGVsbG8="}))
        .await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (st, e) = app
        .post(&pic_path, &admin, json!({"image_base64": "%%%"}))
        .await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");

    // A dropped connection comes back by itself.
    let (st, _) = sim_post(
        &sim,
        "/admin/drop",
        json!({"phone": "15552220001", "device": 1}),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let store = wuts_store::Store::connect(&app.database_url, 1)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let events = store.all_events_for_tests(&device).await;
        let connects = events.iter().filter(|e| *e == "device.connected").count();
        if events.iter().any(|e| e == "device.disconnected") && connects >= 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no reconnect after a drop: {events:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    store.close().await;
    status_until(&app, &admin, &device, "connected after drop", |d| {
        d["connected"] == json!(true)
    })
    .await;

    // A gateway restart: the device comes back by itself, without a QR.
    app = app.restart().await;
    status_until(&app, &admin, &device, "reconnected after restart", |d| {
        d["connected"] == json!(true)
    })
    .await;

    // Disconnect keeps the credentials; connect brings the device back.
    let (st, d) = app
        .call(
            Method::POST,
            &format!("/disconnect?device_id={device}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{d}");
    let s = status_until(&app, &admin, &device, "disconnected", |d| {
        d["connected"] == json!(false)
    })
    .await;
    assert_eq!(s["is_logged_in"], json!(true));
    let (st, c) = app
        .call(
            Method::POST,
            &format!("/connect?device_id={device}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{c}");
    assert_eq!(
        c["data"],
        json!({"status": "connected", "device_id": device, "needs_qr": false})
    );

    // Logout unlinks the device on WhatsApp's side; connecting then needs a QR.
    let (st, l) = app
        .call(
            Method::POST,
            &format!("/logout?device_id={device}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{l}");
    let dump = sim_get(&sim, "/admin/accounts/15552220001").await;
    assert_eq!(
        dump["devices"].as_array().unwrap().len(),
        1,
        "only the phone is left: {dump}"
    );
    let (_, c) = app
        .call(
            Method::POST,
            &format!("/connect?device_id={device}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(c["data"]["needs_qr"], json!(true), "{c}");
    let (st, e) = app
        .call(
            Method::POST,
            &format!("/logout?device_id={device}"),
            Some(&admin),
            None,
        )
        .await;
    assert_error(st, &e, StatusCode::CONFLICT, "DEVICE_NOT_READY");
    let (st, e) = app
        .get(&format!("/privacy?device_id={device}"), &admin)
        .await;
    assert_error(st, &e, StatusCode::CONFLICT, "DEVICE_NOT_READY");

    // Linked again, then removed from the phone: the gateway marks it logged out, stops retrying.
    let (_, qr) = app.get(&format!("/qr?device_id={device}"), &admin).await;
    let code = qr["data"]["qr_code"].as_str().unwrap().to_string();
    sim_post(
        &sim,
        "/admin/scan-qr",
        json!({"qr": code, "phone": "15552220001"}),
    )
    .await;
    let s = status_until(&app, &admin, &device, "connected again", |d| {
        d["connected"] == json!(true)
    })
    .await;
    assert_eq!(s["jid"], json!("15552220001@s.whatsapp.net"));
    let dump = sim_get(&sim, "/admin/accounts/15552220001").await;
    let dev_id = dump["devices"][1]["id"].as_u64().unwrap();
    let (st, _) = sim_post(
        &sim,
        "/admin/unlink",
        json!({"phone": "15552220001", "device": dev_id}),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    status_until(&app, &admin, &device, "logged out by the phone", |d| {
        d["status"] == json!("needs_qr")
    })
    .await;

    // The state changes were recorded as catalogue events.
    let events: Vec<String> = {
        let store = wuts_store::Store::connect(&app.database_url, 1)
            .await
            .unwrap();
        let tenant = list["devices"][0]["user_id"].as_str().unwrap().to_string();
        let _ = tenant;
        let (_, me) = app.get("/user/devices", &admin).await;
        let _ = me;
        let rows = store.all_events_for_tests(&device).await;
        store.close().await;
        rows
    };
    for e in [
        "qr.generated",
        "pair.success",
        "device.connected",
        "device.disconnected",
        "device.logged_out",
    ] {
        assert!(
            events.iter().any(|x| x == e),
            "{e} not recorded: {events:?}"
        );
    }
    app.stop().await;
    sim.stop().await;
}

async fn pair_code_pairing(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = app(b, &sim).await;
    let (_, _, admin) = app.register("code").await;
    let device = app.device(&admin, "d").await;
    let (st, e) = app
        .post(
            &format!("/paircode?device_id={device}"),
            &admin,
            json!({"phone": "12"}),
        )
        .await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (st, pc) = app
        .post(
            "/paircode",
            &admin,
            json!({"phone": "+1 555 222 0002", "device_id": device}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{pc}");
    let code = pc["data"]["code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 9, "{code}");
    assert_eq!(pc["data"]["phone"], json!("15552220002"));
    assert_eq!(pc["data"]["expires_in"], json!(300));
    let (st, body) = sim_post(
        &sim,
        "/admin/pair-code",
        json!({"phone": "15552220002", "code": code}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let s = status_until(&app, &admin, &device, "connected by code", |d| {
        d["connected"] == json!(true)
    })
    .await;
    assert_eq!(s["jid"], json!("15552220002@s.whatsapp.net"));
    app.stop().await;
    sim.stop().await;
}

async fn other_users_and_tenants_refused(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = app(b, &sim).await;
    let (_, _, admin) = app.register("own").await;
    let (_, user) = app.user(&admin, "user").await;
    let (_, _, stranger) = app.register("strange").await;
    let device = app.device(&user, "mine").await;
    for (m, path) in [
        (Method::GET, "/qr"),
        (Method::GET, "/qr/status"),
        (Method::GET, "/status"),
        (Method::POST, "/connect"),
        (Method::POST, "/disconnect"),
        (Method::POST, "/logout"),
        (Method::GET, "/privacy"),
    ] {
        let p = format!("{path}?device_id={device}");
        let (st, e) = app.call(m.clone(), &p, Some(&admin), None).await;
        assert_error(st, &e, StatusCode::FORBIDDEN, "FORBIDDEN");
        let (st, e) = app.call(m.clone(), &p, Some(&stranger), None).await;
        assert_error(st, &e, StatusCode::NOT_FOUND, "NOT_FOUND");
        let (st, _) = app.call(m, &p, None, None).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
    }
    let (st, e) = app.get("/qr/status", &user).await;
    assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    app.stop().await;
    sim.stop().await;
}

/// No `WUTS_WHATSAPP_VERSION` and no route to web.whatsapp.com (as in the demo, or behind a
/// proxy that lets only WhatsApp's socket through): the built-in version is used and the device
/// pairs all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairs_without_a_configured_version() {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let url = sim.ws_url();
    let app = TestApp::start_with(Backend::Sqlite, move |c| {
        c.whatsapp_url = url;
        c.whatsapp_version = String::new();
    })
    .await;
    let (_, _, admin) = app.register("noversion").await;
    let device = app.device(&admin, "d").await;
    let (st, qr) = app.get("/qr", &admin).await;
    assert_eq!(st, StatusCode::OK, "{qr}");
    let (st, body) = sim_post(
        &sim,
        "/admin/scan-qr",
        json!({"qr": qr["data"]["qr_code"], "phone": "15552220077"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let s = status_until(&app, &admin, &device, "connected", |d| {
        d["connected"] == json!(true)
    })
    .await;
    assert_eq!(s["jid"], json!("15552220077@s.whatsapp.net"));
    app.stop().await;
    sim.stop().await;
}
