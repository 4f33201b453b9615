//! The contacts and chats endpoints that act over the live socket, against wa-sim: the block
//! list (effect checked in the simulator's account), who is on WhatsApp, presence, typing.

use crate::helpers::{Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use wa_sim::SimServer;

async fn gateway(b: Backend, sim: &SimServer) -> TestApp {
    let url = sim.ws_url();
    TestApp::start_with(b, move |c| {
        c.whatsapp_url = url;
        c.whatsapp_version = "2.3000.1030000000".into();
    })
    .await
}

async fn sim_post(sim: &SimServer, path: &str, body: Value) -> Value {
    let res = reqwest::Client::new()
        .post(format!("{}{path}", sim.http_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{path}");
    res.json().await.unwrap()
}

/// Polls the simulator's dump of `phone` until `pred` holds (stanzas without an answer land
/// after the request that sent them returned).
async fn dump_until(sim: &SimServer, phone: &str, what: &str, pred: impl Fn(&Value) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let d = dump(sim, phone).await;
        if pred(&d) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: {d}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn dump(sim: &SimServer, phone: &str) -> Value {
    reqwest::get(format!("{}/admin/accounts/{phone}", sim.http_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A paired, connected device of the gateway on account `phone`; answers the admin token.
async fn connected(app: &TestApp, sim: &SimServer, phone: &str) -> String {
    let (_, _, admin) = app.register(&format!("t{phone}")).await;
    app.device(&admin, "d").await;
    let (st, qr) = app.get("/qr", &admin).await;
    assert_eq!(st, StatusCode::OK, "{qr}");
    sim_post(
        sim,
        "/admin/scan-qr",
        json!({"qr": qr["data"]["qr_code"], "phone": phone}),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.get("/status", &admin).await.1["data"]["connected"] != json!(true) {
        assert!(Instant::now() < deadline, "not connected");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    admin
}

both_backends!(block_list_check_presence_typing);

async fn block_list_check_presence_typing(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    let contact = sim_post(&sim, "/admin/accounts", json!({"phone": "15556660002"})).await;
    let lid = contact["lid"].as_str().unwrap().to_string();
    let admin = connected(&app, &sim, "15556660001").await;

    // Who is on WhatsApp: numbers are normalised; unknown numbers are not.
    let (st, r) = app
        .post(
            "/contact/check",
            &admin,
            json!({"numbers": ["+1 (555) 666-0002", "15550009999"]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(
        r["data"],
        json!({"15556660002": true, "15550009999": false})
    );

    // Block by phone number in the query string (no body): the simulator's account lists the
    // contact, and the answer carries the list's size and hash.
    let (st, r) = app
        .call(
            reqwest::Method::POST,
            "/contacts/block?number=%2B1%20555%20666%200002",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["data"]["action"], json!("block"));
    assert_eq!(r["data"]["blocked"], json!(true));
    assert_eq!(r["data"]["count"], json!(1));
    assert_eq!(r["data"]["jid"], json!(lid));
    assert_eq!(r["data"]["phone_number"], json!("15556660002"));
    let dhash = r["data"]["dhash"].as_str().unwrap().to_string();
    let d = dump(&sim, "15556660001").await;
    assert_eq!(d["blocklist"], json!([lid]), "{d}");
    let (st, list) = app.get("/contacts/blocklist", &admin).await;
    assert_eq!(st, StatusCode::OK, "{list}");
    assert_eq!(
        list["data"],
        json!({"items": [{"jid": lid, "phone_number": "15556660002"}], "count": 1, "dhash": dhash})
    );

    // Unblock by LID in the body; block again by LID.
    let (st, r) = app
        .post("/contacts/unblock", &admin, json!({"jid": lid}))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["data"]["blocked"], json!(false));
    assert_eq!(r["data"]["count"], json!(0));
    assert_eq!(dump(&sim, "15556660001").await["blocklist"], json!([]));
    let (st, r) = app
        .post("/contacts/block", &admin, json!({"jid": lid}))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(dump(&sim, "15556660001").await["blocklist"], json!([lid]));

    // Presence and presence subscriptions land in the simulator.
    let (st, r) = app
        .post("/presence", &admin, json!({"state": "offline"}))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["state"], json!("unavailable"));
    dump_until(&sim, "15556660001", "presence unavailable", |d| {
        d["presence"] == json!("unavailable")
    })
    .await;
    let (st, r) = app
        .post(
            "/presence/subscribe",
            &admin,
            json!({"jid": "15556660002@s.whatsapp.net", "ensure_online": true}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["subject_jid"], json!("15556660002@s.whatsapp.net"));
    dump_until(&sim, "15556660002", "subscribed", |d| {
        d["presence_subscribers"] == json!(["15556660001:1"])
    })
    .await;
    dump_until(&sim, "15556660001", "presence available", |d| {
        d["presence"] == json!("available")
    })
    .await;

    // Typing and recording indicators.
    let (st, r) = app
        .post(
            "/chats/15556660002@s.whatsapp.net/typing",
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(
        r,
        json!({"success": true, "chat_jid": "15556660002@s.whatsapp.net", "state": "composing", "media": "text"})
    );
    let (_, r) = app
        .post(
            "/chats/15556660002/typing",
            &admin,
            json!({"state": "typing", "media": "audio"}),
        )
        .await;
    assert_eq!(r["state"], json!("recording"));

    // Profiles: another account of the gateway sets a photo; A sees its user info and photo.
    let other = connected(&app, &sim, "15556660003").await;
    let (st, pic) = app
        .post(
            "/profile/picture",
            &other,
            json!({"image_base64": "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAEBAQ=="}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{pic}");
    let pic_id = pic["picture_id"].as_str().unwrap().to_string();
    let (st, prof) = app
        .get("/contacts/profile?number=15556660003", &admin)
        .await;
    assert_eq!(st, StatusCode::OK, "{prof}");
    assert_eq!(prof["data"]["jid"], json!("15556660003@s.whatsapp.net"));
    let info = &prof["data"]["user_info"];
    assert_eq!(info["PictureID"], json!(pic_id), "{prof}");
    assert!(info["Status"].is_string(), "{prof}");
    let devices = info["Devices"].as_array().unwrap();
    assert!(
        devices.contains(&json!("15556660003:1@s.whatsapp.net")),
        "{prof}"
    );
    let (st, p) = app
        .get(
            "/contacts/profile-picture?jid=15556660003@s.whatsapp.net&preview=false",
            &admin,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{p}");
    assert_eq!(p["data"]["id"], json!(pic_id));
    assert_eq!(p["data"]["type"], json!("image"));
    assert!(
        p["data"]["url"].as_str().unwrap().starts_with("http"),
        "{p}"
    );
    let (_, p) = app
        .get(
            &format!("/contacts/profile-picture?number=15556660003&existing_id={pic_id}"),
            &admin,
        )
        .await;
    assert_eq!(p["data"]["unchanged"], json!(true), "{p}");
    assert!(p["data"]["url"].is_null());
    let (st, e) = app
        .get("/contacts/profile-picture?number=15556660002", &admin)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "no photo: {e}");
    for q in ["", "?number=12", "?jid=x@y"] {
        let (st, e) = app.get(&format!("/contacts/profile{q}"), &admin).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{q}: {e}");
    }

    // Resolve: a phone number, its LID and an unknown number.
    let (st, r) = app
        .post(
            "/contacts/resolve",
            &admin,
            json!({"jids": ["+1 555 666 0003", lid, "15550001234"]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["count"], json!(3));
    let items = r["items"].as_array().unwrap();
    assert_eq!(items[0]["input_jid"], json!("15556660003@s.whatsapp.net"));
    assert_eq!(items[0]["phone_number"], json!("15556660003"));
    assert!(
        items[0]["lid_jid"]
            .as_str()
            .is_some_and(|l| l.ends_with("@lid")),
        "{r}"
    );
    assert_eq!(
        items[1]["resolved_jid"],
        json!("15556660002@s.whatsapp.net"),
        "{r}"
    );
    assert_eq!(items[1]["lid_jid"], json!(lid));
    assert_eq!(items[2]["phone_number"], json!("15550001234"));
    assert!(items[2].get("lid_jid").is_none(), "unknown: no LID: {r}");
    let many: Vec<String> = (0..161).map(|i| format!("1555000{i:04}")).collect();
    for (body, field) in [
        (json!({"jids": many}), "jids"),
        (json!({"jids": []}), "jids"),
        (json!({"jids": ["12"]}), "jids[0]"),
        (
            json!({"jids": ["15556660002"], "group_jid": "1203630@g.us"}),
            "group_jid",
        ),
    ] {
        let (st, e) = app.post("/contacts/resolve", &admin, body.clone()).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{body}: {e}");
        assert!(
            e.to_string().contains(&format!("\"{field}\"")),
            "{field}: {e}"
        );
    }

    // Bad input names the field; a device without a session is not ready.
    for (path, body, field) in [
        ("/contacts/block", json!({}), "jid"),
        ("/contacts/block", json!({"jid": "12345@g.us"}), "jid"),
        ("/contacts/block", json!({"number": "123"}), "number"),
        ("/contacts/unblock", json!({"jid": "nope"}), "jid"),
        ("/contact/check", json!({"numbers": []}), "numbers"),
        ("/contact/check", json!({"numbers": ["12"]}), "numbers[0]"),
        ("/presence", json!({"state": "busy"}), "state"),
        ("/presence/subscribe", json!({"jid": ""}), "jid"),
        (
            "/chats/15556660002/typing",
            json!({"state": "dancing"}),
            "state",
        ),
        (
            "/chats/15556660002/typing",
            json!({"media": "video"}),
            "media",
        ),
        ("/chats/abc/typing", json!({}), "jid"),
    ] {
        let (st, e) = app.post(path, &admin, body.clone()).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{path} {body}: {e}");
        assert_eq!(e["error_code"], json!("VALIDATION_ERROR"), "{e}");
        assert!(
            e.to_string().contains(&format!("\"{field}\"")),
            "{path} {body} should name {field}: {e}"
        );
    }
    for (body, field) in [
        (json!({}), "preset"),
        (json!({"preset": "1w"}), "preset"),
        (json!({"seconds": -1}), "seconds"),
        (json!({"seconds": 3600}), "seconds"),
        (json!({"preset": "7d", "seconds": 604800}), "preset"),
        (json!({"seconds": "7d"}), "seconds"),
    ] {
        let (st, e) = app
            .call(
                reqwest::Method::PUT,
                "/chats/15556660002/disappearing",
                Some(&admin),
                Some(body.clone()),
            )
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{body}: {e}");
        assert!(
            e.to_string().contains(field),
            "{body} should name {field}: {e}"
        );
    }
    let (_, _, idle) = app.register("idle").await;
    app.device(&idle, "idle").await;
    for (path, body) in [
        ("/contacts/block", json!({"number": "15556660002"})),
        ("/contact/check", json!({"numbers": ["15556660002"]})),
        ("/presence", json!({})),
        ("/chats/15556660002/typing", json!({})),
    ] {
        let (st, e) = app.post(path, &idle, body).await;
        assert_eq!(st, StatusCode::CONFLICT, "{path}: {e}");
        assert_eq!(e["error_code"], json!("DEVICE_NOT_READY"));
    }
    let (st, _) = app.get("/contacts/blocklist", &idle).await;
    assert_eq!(st, StatusCode::CONFLICT);
    app.stop().await;
    sim.stop().await;
}
