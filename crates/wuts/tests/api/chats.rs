//! Chat settings made through the API (pin, archive, mute) travel as app-state patches to the
//! account's other devices.

use crate::helpers::wa::{gateway, pair, Receiver};
use crate::helpers::Backend;
use axum::http::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use wa_sim::SimServer;

both_backends!(chat_settings_reach_the_other_device);

/// Pin, archive and mute made through the API on one device of an account travel as app-state
/// patches through the simulator and reach another device of the same account.
async fn chat_settings_reach_the_other_device(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    let (rx2, url2) = Receiver::start(vec![]).await;
    let (_, _, one) = app.register("device-one").await;
    let (_, _, two) = app.register("device-two").await;
    app.device(&one, "one").await;
    app.device(&two, "two").await;
    app.post(
        "/webhook",
        &two,
        json!({"webhook_url": url2, "enabled_events": ["chat.pin", "chat.archive", "chat.mute", "app_state.sync_complete"]}),
    )
    .await;
    // Both are companions of the same phone.
    pair(&app, &sim, &one, "15554440041").await;
    pair(&app, &sim, &two, "15554440041").await;
    for t in [&one, &two] {
        let deadline = Instant::now() + Duration::from_secs(30);
        while app.get("/status", t).await.1["data"]["connected"] != json!(true) {
            assert!(Instant::now() < deadline, "not connected");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // The phone shares the app-state key right after linking: until a device has it, a patch
    // cannot be encrypted and the call says so (503). Each device proves it has the key with
    // an unpin of an unrelated chat.
    for t in [&one, &two] {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (st, r) = app
                .call(
                    reqwest::Method::DELETE,
                    "/chats/15554440099/pin",
                    Some(t),
                    None,
                )
                .await;
            if st == StatusCode::OK {
                break;
            }
            assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{r}");
            assert!(Instant::now() < deadline, "no app-state key: {r}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let (st, r) = app
        .post("/chats/15554440042@s.whatsapp.net/pin", &one, json!({}))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["pinned"], json!(true));
    let is_pin = |x: &(HeaderMap, Value)| {
        x.1["event"] == json!("chat.pin")
            && x.1["data"]["jid"] == json!("15554440042@s.whatsapp.net")
    };
    let got = rx2
        .until("chat.pin at the other device", |r| r.iter().any(is_pin))
        .await;
    let pin = &got.iter().find(|x| is_pin(x)).unwrap().1["data"];
    assert_eq!(pin["jid"], json!("15554440042@s.whatsapp.net"), "{pin}");
    let (st, r) = app
        .post(
            "/chats/15554440042/archive",
            &one,
            json!({"archived": true}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["archived"], json!(true));
    let (st, r) = app
        .post(
            "/chats/15554440042/mute",
            &one,
            json!({"muted": true, "duration_seconds": 3600}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["duration_seconds"], json!(3600));
    rx2.until("chat.archive and chat.mute at the other device", |r| {
        r.iter().any(|x| x.1["event"] == json!("chat.archive"))
            && r.iter().any(|x| x.1["event"] == json!("chat.mute"))
    })
    .await;
    // The other device's chat list shows the settings.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (st, r) = app.get("/chats", &two).await;
        assert_eq!(st, StatusCode::OK, "{r}");
        let chat = r["chats"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["jid"] == json!("15554440042@s.whatsapp.net"))
            .cloned();
        if let Some(c) = chat.filter(|c| c["archived"] == json!(true) && c["muted"] == json!(true))
        {
            assert_eq!(c["pinned"], json!(true), "{c}");
            assert_eq!(c["type"], json!("contact"));
            assert!(c["muted_until"].is_string(), "{c}");
            assert_eq!(r["count"], json!(r["chats"].as_array().unwrap().len()));
            break;
        }
        assert!(Instant::now() < deadline, "chat settings never listed: {r}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (st, r) = app
        .call(
            reqwest::Method::DELETE,
            "/chats/15554440042/pin",
            Some(&one),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["pinned"], json!(false));
    let dump: Value = reqwest::get(format!("{}/admin/accounts/15554440041", sim.http_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        dump["app_state"]
            .as_object()
            .unwrap()
            .values()
            .any(|v| v.as_u64().unwrap_or(0) >= 2),
        "patches stored with versions: {dump}"
    );
    // The phone archives a chat and names a contact without telling the devices (as when the
    // notification is missed): nothing shows until the device syncs the matching scope.
    let phone_change = |body: Value| {
        let url = format!("{}/admin/app-state", sim.http_url());
        async move {
            let res = reqwest::Client::new()
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert!(res.status().is_success(), "{:?}", res.text().await);
        }
    };
    phone_change(json!({"phone": "15554440041", "change": "archive",
        "jid": "15554440077@s.whatsapp.net", "notify": false}))
    .await;
    phone_change(json!({"phone": "15554440041", "change": "contact",
        "jid": "15554440042@s.whatsapp.net", "full_name": "Carla Dias", "first_name": "Carla",
        "notify": false}))
    .await;
    let chat77 = |r: &Value| {
        r["chats"].as_array().unwrap().iter().any(|c| {
            c["jid"] == json!("15554440077@s.whatsapp.net") && c["archived"] == json!(true)
        })
    };
    let carla = |r: &Value| {
        r["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["full_name"] == json!("Carla Dias"))
    };
    assert!(
        !chat77(&app.get("/chats", &two).await.1),
        "archived before any sync"
    );
    assert!(
        !carla(&app.get("/contacts", &two).await.1),
        "named before any sync"
    );
    let until = |path: &'static str, what: &'static str, pred: fn(&Value) -> bool| {
        let (app, two) = (&app, &two);
        async move {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let (_, r) = app.get(path, two).await;
                if pred(&r) {
                    return;
                }
                assert!(Instant::now() < deadline, "{what}: {r}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    let (st, r) = app
        .post("/appstate/sync", &two, json!({"scopes": ["chats"]}))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    until("/chats", "archived after syncing chats", chat77).await;
    assert!(
        !carla(&app.get("/contacts", &two).await.1),
        "contacts not synced yet"
    );
    let (st, r) = app
        .post("/appstate/sync", &two, json!({"scopes": ["contacts"]}))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    until("/contacts", "named after syncing contacts", carla).await;

    // The device loses its stored collection state; a full resync recovers it, so the next
    // change the phone announces applies.
    let store = wuts_store::Store::connect(&app.database_url, 1)
        .await
        .unwrap();
    store
        .execute_for_tests("DELETE FROM wa_state WHERE ns IN ('version', 'mac')")
        .await;
    store.close().await;
    let (st, r) = app
        .post(
            "/appstate/sync",
            &two,
            json!({"scopes": ["chats"], "full": true}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    phone_change(json!({"phone": "15554440041", "change": "archive",
        "jid": "15554440078@s.whatsapp.net", "notify": true}))
    .await;
    until(
        "/chats",
        "the announced change after the full resync",
        |r| {
            r["chats"].as_array().unwrap().iter().any(|c| {
                c["jid"] == json!("15554440078@s.whatsapp.net") && c["archived"] == json!(true)
            })
        },
    )
    .await;

    // A forced full resync of the pins scope on the other device: answered once fetched, and
    // reported as app_state.sync_complete.
    let (st, r) = app
        .post(
            "/appstate/sync",
            &two,
            json!({"scopes": ["pins"], "full": true}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(
        r,
        json!({"success": true, "scopes": ["pins"], "full_sync": true})
    );
    let pins_done = |x: &(HeaderMap, Value)| {
        x.1["event"] == json!("app_state.sync_complete") && x.1["data"]["scopes"] == json!(["pins"])
    };
    let got = rx2
        .until("app_state.sync_complete", |r| r.iter().any(pins_done))
        .await;
    let done = &got.iter().find(|x| pins_done(x)).unwrap().1["data"];
    assert_eq!(done["collections"], json!(["regular_low"]));
    let (st, r) = app.post("/appstate/sync", &two, json!({})).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["scopes"], json!(["contacts", "chats", "settings"]));
    assert_eq!(r["full_sync"], json!(false));
    for (body, field) in [
        (json!({"scopes": []}), "scopes"),
        (json!({"scopes": ["contacts", "bogus"]}), "scopes[1]"),
        (json!({"scopes": [1]}), "scopes[0]"),
        (json!({"scopes": "chats"}), "scopes"),
        (json!({"full": "yes"}), "full"),
    ] {
        let (st, e) = app.post("/appstate/sync", &two, body.clone()).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{body}: {e}");
        assert!(
            e.to_string().contains(field),
            "{body} should name {field}: {e}"
        );
    }
    for (path, body) in [
        ("/chats/15554440042/archive", json!({})),
        ("/chats/15554440042/mute", json!({})),
        (
            "/chats/15554440042/mute",
            json!({"muted": true, "duration_seconds": 0}),
        ),
        ("/chats/nope/pin", json!({})),
    ] {
        let (st, e) = app.post(path, &one, body.clone()).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{path} {body}: {e}");
    }
    app.stop().await;
    sim.stop().await;
}
