//! Webhook delivery to a real local HTTP receiver: signed envelopes, in order, retried.

use crate::helpers::wa::{gateway, hook, pair, two_accounts, Receiver};
use crate::helpers::Backend;
use axum::http::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use wa_sim::SimServer;

both_backends!(
    signed_events_in_order,
    retried_after_500_delivered_once,
    dead_after_retries
);

async fn signed_events_in_order(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    let (rx, url) = Receiver::start(vec![]).await;
    let (_, user_id, token) = app.register("hooks").await;
    let device = app.device(&token, "d").await;
    let (st, w) = app
        .post(
            "/webhook",
            &token,
            json!({"webhook_url": url, "enabled_events": ["pair.success", "device.connected"], "secret": "s3cret", "headers": {"X-Env": "test"}}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{w}");
    pair(&app, &sim, &token, "15554440001").await;
    let got = rx
        .until("pair.success then device.connected", |r| {
            r.iter().any(|x| x.1["event"] == json!("device.connected"))
        })
        .await;
    let events: Vec<&Value> = got.iter().map(|x| &x.1["event"]).collect();
    assert_eq!(
        events,
        vec![&json!("pair.success"), &json!("device.connected")],
        "only subscribed events, in order"
    );
    for ((headers, env), (_, raw)) in got.iter().zip(rx.raw()) {
        assert_eq!(env["device_id"], json!(device));
        assert_eq!(env["user_id"], json!(user_id));
        assert!(env["timestamp"].as_i64().unwrap() > 1_700_000_000);
        assert!(env["id"].as_str().is_some());
        assert_eq!(headers["x-env"], "test");
        assert_eq!(headers["x-wuts-event"], env["event"].as_str().unwrap());
        // Header signature: HMAC(secret, timestamp + "." + raw body).
        let ts = headers["x-wuts-timestamp"].to_str().unwrap();
        let sig = headers["x-wuts-signature"].to_str().unwrap();
        assert!(
            wuts_webhooks::verify("s3cret", &format!("{ts}.{raw}"), sig),
            "header signature"
        );
        assert!(!wuts_webhooks::verify("wrong", &format!("{ts}.{raw}"), sig));
        // Body signature: HMAC(secret, the envelope without `signature`).
        let mut unsigned = env.clone();
        let body_sig = unsigned
            .as_object_mut()
            .unwrap()
            .remove("signature")
            .unwrap();
        assert!(
            wuts_webhooks::verify("s3cret", &unsigned.to_string(), body_sig.as_str().unwrap()),
            "body signature"
        );
    }
    assert_eq!(got[1].1["data"]["jid"], json!("15554440001@s.whatsapp.net"));

    // The simulator drops the connection: the receiver hears of it, then of the reconnection.
    let (st, w) = app
        .post(
            "/webhook",
            &token,
            json!({"webhook_url": url, "enabled_events": ["device.connected", "device.disconnected"]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{w}");
    let res = reqwest::Client::new()
        .post(format!("{}/admin/drop", sim.http_url()))
        .json(&json!({"phone": "15554440001", "device": 1}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let got = rx
        .until("device.disconnected then device.connected", |r| {
            r.len() >= 4
                && r[2..]
                    .iter()
                    .any(|x| x.1["event"] == json!("device.connected"))
        })
        .await;
    let after: Vec<&Value> = got[2..].iter().map(|x| &x.1["event"]).collect();
    assert_eq!(after[0], &json!("device.disconnected"), "{after:?}");
    assert_eq!(
        after.last().unwrap(),
        &&json!("device.connected"),
        "{after:?}"
    );
    app.stop().await;
    sim.stop().await;
}

async fn retried_after_500_delivered_once(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    let (rx, url) = Receiver::start(vec![500]).await;
    let (_, _, token) = app.register("retry").await;
    let device = app.device(&token, "d").await;
    app.post(
        "/webhook",
        &token,
        json!({"webhook_url": url, "enabled_events": ["device.connected"], "retry_attempts": 3}),
    )
    .await;
    pair(&app, &sim, &token, "15554440002").await;
    let got = rx.until("a retry", |r| r.len() >= 2).await;
    assert_eq!(
        got[0].1["id"], got[1].1["id"],
        "the retry carries the same event id"
    );
    // Recorded as delivered after two attempts: nothing more is sent for it.
    let store = wuts_store::Store::connect(&app.database_url, 1)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !store
        .event_deliveries_for_tests(&device)
        .await
        .iter()
        .any(|(e, d)| e == "device.connected" && d == "delivered")
    {
        assert!(Instant::now() < deadline, "never marked delivered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    store.close().await;
    assert_eq!(rx.requests().len(), 2);
    app.stop().await;
    sim.stop().await;
}

async fn dead_after_retries(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    let (rx, url) = Receiver::start(vec![500, 500, 500, 500]).await;
    let (_, _, token) = app.register("dead").await;
    let device = app.device(&token, "d").await;
    app.post("/webhook", &token, json!({"webhook_url": url, "enabled_events": ["pair.success", "device.connected"], "retry_attempts": 1})).await;
    pair(&app, &sim, &token, "15554440003").await;
    // pair.success fails twice (1 + 1 retry) and is kept as dead; device.connected fails twice too.
    rx.until("four attempts", |r| r.len() >= 4).await;
    let store = wuts_store::Store::connect(&app.database_url, 1)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let states = store.event_deliveries_for_tests(&device).await;
        if states
            .iter()
            .filter(|(e, d)| (e == "pair.success" || e == "device.connected") && d == "dead")
            .count()
            == 2
        {
            break;
        }
        assert!(Instant::now() < deadline, "{states:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    store.close().await;

    // Both stay listed as dead letters; redelivering one sends it again with the same id.
    let (st, dl) = app.get("/webhook/dead-letters", &token).await;
    assert_eq!(st, StatusCode::OK, "{dl}");
    assert_eq!(dl["count"], json!(2), "{dl}");
    let first = dl["events"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(dl["events"][0]["last_error"], json!("HTTP 500"));
    let before = rx.requests().len();
    let (st, r) = app
        .post(
            &format!("/webhook/dead-letters/{first}/redeliver"),
            &token,
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let got = rx.until("the redelivery", |r| r.len() > before).await;
    assert_eq!(got.last().unwrap().1["id"], json!(first));
    let (st, e) = app
        .post(
            &format!("/webhook/dead-letters/{first}/redeliver"),
            &token,
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{e}");
    app.stop().await;
    sim.stop().await;
}

both_backends!(text_both_ways_reaches_webhooks);

/// Two accounts, each on a device of the gateway: a text sent through the API reaches the other
/// side's webhook as `message.received` (with both identities), the receipt comes back as
/// `message.delivered`, and the phone's own text arrives too.
async fn text_both_ways_reaches_webhooks(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    let (rx_a, url_a) = Receiver::start(vec![]).await;
    let (rx_b, url_b) = Receiver::start(vec![]).await;
    let (_, _, admin) = app.register("talk").await;
    let (_, user_b) = app.user(&admin, "user").await;
    app.device(&admin, "a").await;
    app.device(&user_b, "b").await;
    let events = json!([
        "message.received",
        "message.delivered",
        "message.read",
        "chat.presence",
        "offline.sync_completed",
        "group.info"
    ]);
    app.post(
        "/webhook",
        &admin,
        json!({"webhook_url": url_a, "enabled_events": events}),
    )
    .await;
    app.post(
        "/webhook",
        &user_b,
        json!({"webhook_url": url_b, "enabled_events": events}),
    )
    .await;
    pair(&app, &sim, &admin, "15554440011").await;
    pair(&app, &sim, &user_b, "15554440012").await;
    for t in [&admin, &user_b] {
        let deadline = Instant::now() + Duration::from_secs(30);
        while app.get("/status", t).await.1["data"]["connected"] != json!(true) {
            assert!(Instant::now() < deadline, "not connected");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    let (st, sent) = app
        .post(
            "/send/text",
            &admin,
            json!({"number": "+1 555 444 0012", "text": "hello b"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{sent}");
    assert_eq!(sent["status"], json!("sent"));
    assert_eq!(sent["chat_jid"], json!("15554440012@s.whatsapp.net"));
    let id = sent["message_id"].as_str().unwrap().to_string();
    let got = rx_b
        .until("message.received at b", |r| {
            r.iter().any(|x| x.1["event"] == json!("message.received"))
        })
        .await;
    let data = &got
        .iter()
        .find(|x| x.1["event"] == json!("message.received"))
        .unwrap()
        .1["data"];
    assert_eq!(data["message_id"], json!(id));
    assert_eq!(data["content"], json!("hello b"));
    assert_eq!(data["from"], json!("15554440011@s.whatsapp.net"));
    assert!(
        data["from_lid"]
            .as_str()
            .is_some_and(|l| l.ends_with("@lid")),
        "both identities: {data}"
    );
    rx_a.until("message.delivered at a", |r| {
        r.iter().any(|x| {
            x.1["event"] == json!("message.delivered")
                && x.1["data"]["message_ids"]
                    .as_array()
                    .unwrap()
                    .contains(&json!(id))
        })
    })
    .await;

    // The sent message's status follows the receipts: delivered, then read by B through the API.
    let status_until = |want: &'static str| {
        let (app, admin, id) = (&app, &admin, id.clone());
        async move {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let (st, s) = app.get(&format!("/messages/{id}/status"), admin).await;
                assert_eq!(st, StatusCode::OK, "{s}");
                if s["status"] == json!(want) {
                    return s;
                }
                assert!(Instant::now() < deadline, "status never {want}: {s}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    let s = status_until("delivered").await;
    assert_eq!(s["chat_jid"], json!("15554440012@s.whatsapp.net"));
    assert_eq!(s["is_group"], json!(false));
    assert!(
        s["delivered_at"].is_string() && s["read_at"].is_null(),
        "{s}"
    );
    let (st, r) = app
        .post(
            &format!("/messages/{id}/read"),
            &user_b,
            json!({"chat_jid": "15554440011@s.whatsapp.net", "sender_jid": "15554440011"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["receipt_type"], json!("read"));
    assert_eq!(r["message_ids"], json!([id]));
    let s = status_until("read").await;
    assert!(s["read_at"].is_string(), "{s}");
    rx_a.until("message.read at a", |r| {
        r.iter().any(|x| {
            x.1["event"] == json!("message.read")
                && x.1["data"]["message_ids"]
                    .as_array()
                    .unwrap()
                    .contains(&json!(id))
        })
    })
    .await;
    let (st, e) = app.get("/messages/NOSUCHID/status", &admin).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{e}");
    // B received it, but did not send it: no status there.
    let (st, _) = app.get(&format!("/messages/{id}/status"), &user_b).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // B replies, quoting A's message and mentioning A; the answer names both identities.
    let (st, reply) = app
        .post(
            "/send/text",
            &user_b,
            json!({"number": "15554440011", "text": "@15554440011 got it",
                   "quoted": {"key": {"id": id, "fromMe": false}},
                   "mentioned": ["15554440011"], "typingDuration": 0.2}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{reply}");
    assert_eq!(reply["metadata"]["quoted_message_found"], json!(true));
    assert_eq!(reply["metadata"]["mentions_processed"], json!(1));
    assert_eq!(reply["metadata"]["presence_sent"], json!(true));
    assert_eq!(
        reply["recipient"]["phone_jid"],
        json!("15554440011@s.whatsapp.net")
    );
    assert!(
        reply["recipient"]["lid"]
            .as_str()
            .is_some_and(|l| l.ends_with("@lid")),
        "{reply}"
    );
    let reply_id = reply["message_id"].as_str().unwrap().to_string();
    let got = rx_a
        .until("the reply at a", |r| {
            r.iter()
                .any(|x| x.1["data"]["message_id"] == json!(reply_id))
        })
        .await;
    let data = &got
        .iter()
        .find(|x| x.1["data"]["message_id"] == json!(reply_id))
        .unwrap()
        .1["data"];
    assert_eq!(data["content"], json!("@15554440011 got it"));
    // B's "typing…" before the reply reached A as chat.presence, with both of B's identities;
    // each connection's offline sync was reported.
    let got = rx_a
        .until("chat.presence at a", |r| {
            r.iter().any(|x| x.1["event"] == json!("chat.presence"))
        })
        .await;
    let typing = &got
        .iter()
        .find(|x| x.1["event"] == json!("chat.presence"))
        .unwrap()
        .1["data"];
    assert_eq!(
        typing["sender_pn"],
        json!("15554440012@s.whatsapp.net"),
        "{typing}"
    );
    assert!(
        typing["sender_lid"]
            .as_str()
            .is_some_and(|l| l.ends_with("@lid")),
        "{typing}"
    );
    assert!(got
        .iter()
        .any(|x| x.1["event"] == json!("offline.sync_completed")));
    assert_eq!(data["quoted_message_id"], json!(id));
    assert_eq!(data["mentions"], json!(["15554440011@s.whatsapp.net"]));

    // A turns on disappearing messages in the chat with B: B's client sees the timer.
    let (st, r) = app
        .call(
            reqwest::Method::PUT,
            "/chats/15554440012@s.whatsapp.net/disappearing",
            Some(&admin),
            Some(json!({"preset": "7d"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["seconds"], json!(604800));
    assert_eq!(r["preset"], json!("7d"));
    rx_b.until("the timer at b", |r| {
        r.iter().any(|x| {
            x.1["data"]["message_type"] == json!("ephemeral_setting")
                && x.1["data"]["ephemeral_expiration"] == json!(604800)
                && x.1["data"]["from"] == json!("15554440011@s.whatsapp.net")
        })
    })
    .await;

    // From then on both sides' messages in that chat disappear after 7 days, as a phone's do:
    // A's because A set it, B's because B's device saw A set it.
    for (from, to, rx, text) in [
        (&admin, "15554440012", &rx_b, "from a, timed"),
        (&user_b, "15554440011", &rx_a, "from b, timed"),
    ] {
        let (st, r) = app
            .post("/send/text", from, json!({"number": to, "text": text}))
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        rx.until(text, |r| {
            r.iter().any(|x| {
                x.1["data"]["content"] == json!(text)
                    && x.1["data"]["ephemeral_expiration"] == json!(604800)
            })
        })
        .await;
    }

    // In a group of A and B, A sets the timer: the server holds it and B's device is told.
    let group: Value = reqwest::Client::new()
        .post(format!("{}/admin/groups", sim.http_url()))
        .json(
            &json!({"creator": "15554440011", "subject": "team", "participants": ["15554440012"]}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let gjid = group["jid"].as_str().unwrap().to_string();
    let (st, r) = app
        .call(
            reqwest::Method::PUT,
            &format!("/chats/{gjid}/disappearing"),
            Some(&admin),
            Some(json!({"seconds": 86400})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["preset"], json!("24h"));
    let held: Value = reqwest::get(format!("{}/admin/groups/{gjid}", sim.http_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(held["ephemeral"], json!(86400), "{held}");
    let got = rx_b
        .until("the group timer at b", |r| {
            r.iter().any(|x| {
                x.1["event"] == json!("group.info") && x.1["data"]["group_jid"] == json!(gjid)
            })
        })
        .await;
    let info = &got
        .iter()
        .find(|x| x.1["event"] == json!("group.info"))
        .unwrap()
        .1["data"];
    assert!(info.to_string().contains("86400"), "{info}");

    // The simulated phone of A writes to B; B acknowledges it through the API, and the phone
    // gets the receipts.
    let res = reqwest::Client::new()
        .post(format!("{}/admin/send", sim.http_url()))
        .json(&json!({"from": "15554440011", "to": "15554440012", "text": "from a's phone"}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let got = rx_b
        .until("the phone's text at b", |r| {
            r.iter()
                .any(|x| x.1["data"]["content"] == json!("from a's phone"))
        })
        .await;
    let phone_msg = got
        .iter()
        .find(|x| x.1["data"]["content"] == json!("from a's phone"))
        .unwrap()
        .1["data"]["message_id"]
        .as_str()
        .unwrap()
        .to_string();
    for kind in ["delivered", "read"] {
        let (st, r) = app
            .post(
                &format!("/messages/{phone_msg}/{kind}"),
                &user_b,
                json!({"chat_jid": "15554440011@s.whatsapp.net"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["sender_jid"], json!("15554440011@s.whatsapp.net"));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let dump: Value = reqwest::get(format!("{}/admin/accounts/15554440011", sim.http_url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let kinds: Vec<&str> = dump["receipts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["ids"].as_array().unwrap().contains(&json!(phone_msg)))
            .filter_map(|r| r["type"].as_str())
            .collect();
        if kinds.contains(&"delivery") && kinds.contains(&"read") {
            break;
        }
        assert!(Instant::now() < deadline, "phone receipts: {dump}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // B's contacts: A, by the push name its messages carried.
    let (st, c) = app.get("/contacts", &user_b).await;
    assert_eq!(st, StatusCode::OK, "{c}");
    let a = c["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["jid"] == json!("15554440011@s.whatsapp.net"))
        .cloned()
        .unwrap_or_else(|| panic!("A not among B's contacts: {c}"));
    assert_eq!(a["push_name"], json!("Sim 15554440011"), "{a}");
    assert!(
        a["lid"].as_str().is_some_and(|l| l.ends_with("@lid")),
        "{a}"
    );
    // Receipt requests that cannot be right.
    for body in [
        json!({}),
        json!({"chat_jid": "nope"}),
        json!({"chat_jid": "120363000000000001@g.us"}),
        json!({"chat_jid": "15554440011", "timestamp": -1}),
    ] {
        let (st, e) = app
            .post(
                &format!("/messages/{phone_msg}/read"),
                &user_b,
                body.clone(),
            )
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{body}: {e}");
        assert_eq!(e["error_code"], json!("VALIDATION_ERROR"));
    }

    // Bad input and a device without a session.
    let (st, e) = app
        .post("/send/text", &admin, json!({"number": "12", "text": "x"}))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");
    let (st, e) = app
        .post(
            "/send/text",
            &admin,
            json!({"number": "15554440012", "text": ""}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");
    let (_, _, other) = app.register("idle").await;
    app.device(&other, "idle").await;
    let (st, e) = app
        .post(
            "/send/text",
            &other,
            json!({"number": "15554440012", "text": "x"}),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error_code"], json!("DEVICE_NOT_READY"));
    let (st, e) = app
        .post(
            "/messages/X/read",
            &other,
            json!({"chat_jid": "15554440012"}),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{e}");
    for body in [
        json!({"number": "15554440012", "text": "x", "delay": 61}),
        json!({"number": "15554440012", "text": "x", "quoted": {"key": {"id": ""}}}),
        json!({"number": "15554440012", "text": "x", "mentions": ["abc"]}),
    ] {
        let (st, e) = app.post("/send/text", &admin, body.clone()).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{body}: {e}");
    }
    app.stop().await;
    sim.stop().await;
}

both_backends!(sse_stream_carries_events_and_resumes);

/// Reads SSE frames from `res` until `n` events arrived; answers (id, event, data) of each.
async fn sse_events(res: &mut reqwest::Response, n: usize) -> Vec<(String, String, Value)> {
    let mut buf = String::new();
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while out.len() < n {
        let chunk = tokio::time::timeout_at(deadline.into(), res.chunk())
            .await
            .expect("sse timed out")
            .unwrap()
            .expect("sse ended");
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            let field = |name: &str| {
                frame.lines().find_map(|l| {
                    l.strip_prefix(&format!("{name}:"))
                        .map(|v| v.trim_start().to_string())
                })
            };
            if let (Some(id), Some(event), Some(data)) =
                (field("id"), field("event"), field("data"))
            {
                out.push((id, event, serde_json::from_str(&data).unwrap()));
            }
        }
    }
    out
}

async fn sse_stream_carries_events_and_resumes(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    let (_, _, token) = app.register("sse").await;
    let device = app.device(&token, "d").await;
    let open = |last: Option<String>| {
        let mut r = app
            .http
            .get(format!("{}/events/stream", app.base))
            .bearer_auth(&token);
        if let Some(l) = last {
            r = r.header("last-event-id", l);
        }
        r.send()
    };
    let mut live = open(None).await.unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    pair(&app, &sim, &token, "15554440021").await;
    // Live: the events arrive as they happen, in order, in the webhook envelope.
    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|(_, e, _): &(String, String, Value)| e == "device.connected")
    {
        seen.extend(sse_events(&mut live, 1).await);
    }
    assert!(seen.iter().any(|(_, e, _)| e == "pair.success"));
    for (id, event, env) in &seen {
        assert_eq!(env["id"], json!(id));
        assert_eq!(env["event"], json!(event));
        assert_eq!(env["device_id"], json!(device));
    }
    // Resumed after the first one: the rest, from the second on.
    let mut resumed = open(Some(seen[0].0.clone())).await.unwrap();
    let again = sse_events(&mut resumed, seen.len() - 1).await;
    let ids: Vec<&String> = again.iter().map(|x| &x.0).collect();
    let expected: Vec<&String> = seen[1..].iter().map(|x| &x.0).collect();
    assert_eq!(ids, expected);
    let res = open(Some(uuid::Uuid::new_v4().to_string())).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // A graceful shutdown ends open streams instead of waiting on them.
    tokio::time::timeout(Duration::from_secs(15), app.stop())
        .await
        .expect("shutdown with open streams");
    drop(live);
    drop(resumed);
    sim.stop().await;
}

both_backends!(sse_stream_of_all_devices);

/// `all_devices=true`: one stream of all the caller's devices, resumable from its cursor ids;
/// another user's stream does not see them.
async fn sse_stream_of_all_devices(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    let (_, _, token) = app.register("sse-all").await;
    let (_, other) = app.user(&token, "user").await;
    let d1 = app.device(&token, "one").await;
    let d2 = app.device(&token, "two").await;
    let open = |who: String, last: Option<String>| {
        let mut r = app
            .http
            .get(format!("{}/events/stream?all_devices=true", app.base))
            .bearer_auth(who);
        if let Some(l) = last {
            r = r.header("last-event-id", l);
        }
        r.send()
    };
    let mut live = open(token.clone(), None).await.unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    // Each device shows a QR: a qr.generated event on each.
    for d in [&d1, &d2] {
        let (st, qr) = app.get(&format!("/qr?device_id={d}"), &token).await;
        assert_eq!(st, StatusCode::OK, "{qr}");
    }
    let mut seen: Vec<(String, String, Value)> = Vec::new();
    while [&d1, &d2]
        .iter()
        .any(|d| !seen.iter().any(|(_, _, env)| env["device_id"] == json!(d)))
    {
        seen.extend(sse_events(&mut live, 1).await);
    }
    assert!(seen.iter().all(|(id, _, _)| id.starts_with("v1:")));
    // Resumed from the first event's cursor: the rest, in the same order.
    let mut resumed = open(token.clone(), Some(seen[0].0.clone())).await.unwrap();
    let again = sse_events(&mut resumed, seen.len() - 1).await;
    let env_ids = |v: &[(String, String, Value)]| -> Vec<Value> {
        v.iter().map(|x| x.2["id"].clone()).collect()
    };
    assert_eq!(env_ids(&again), env_ids(&seen[1..]));
    // Junk cursors are refused; the other user's stream has nothing of these devices.
    let res = open(token.clone(), Some("not-a-cursor".into()))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let mut theirs = open(other.clone(), None).await.unwrap();
    assert_eq!(theirs.status(), StatusCode::OK);
    // Their first event is their own device's, not one of ours.
    let d3 = app.device(&other, "three").await;
    let (st, _) = app.get(&format!("/qr?device_id={d3}"), &other).await;
    assert_eq!(st, StatusCode::OK);
    let first = sse_events(&mut theirs, 1).await;
    assert_eq!(first[0].2["device_id"], json!(d3));
    tokio::time::timeout(Duration::from_secs(15), app.stop())
        .await
        .expect("shutdown with open streams");
    drop((live, resumed, theirs));
    sim.stop().await;
}

both_backends!(message_kinds_reach_the_other_account);

/// Location, contact cards, a poll, a reaction, an edit and a delete sent through the API reach
/// the other account's webhook with their type and fields.
async fn message_kinds_reach_the_other_account(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    let (admin, user_b) = two_accounts(&app, &sim, "kinds", ["15554440031", "15554440032"]).await;
    let rx_b = hook(&app, &user_b, &["message.received"]).await;
    let send = |path: &'static str, body: Value| {
        let (app, admin) = (&app, &admin);
        async move {
            let (st, r) = app.post(path, admin, body).await;
            assert_eq!(st, StatusCode::OK, "{path}: {r}");
            r["message_id"].as_str().unwrap().to_string()
        }
    };

    let id = send(
        "/send/location",
        json!({"to": "15554440032", "latitude": 38.72, "longitude": -9.14, "name": "Lisbon"}),
    )
    .await;
    let d = rx_b.data_of(&id).await;
    assert_eq!(d["message_type"], json!("location"));
    assert_eq!(d["location"]["latitude"], json!(38.72));
    assert_eq!(d["location"]["name"], json!("Lisbon"));

    let id = send(
        "/send/live-location",
        json!({"to": "15554440032", "latitude": 38.7, "longitude": -9.1, "speed_in_mps": 1.5,
               "caption": "walking", "sequence_number": 3}),
    )
    .await;
    let d = rx_b.data_of(&id).await;
    assert_eq!(d["message_type"], json!("live_location"));
    assert_eq!(d["content"], json!("walking"));
    assert_eq!(d["location"]["sequence_number"], json!(3));

    let id = send(
        "/send/contact",
        json!({"to": "15554440032", "contact": {"display_name": "Ana", "phone": "+351 912 345 678"}}),
    )
    .await;
    let d = rx_b.data_of(&id).await;
    assert_eq!(d["message_type"], json!("contact"));
    assert!(d["contacts"][0]["vcard"]
        .as_str()
        .unwrap()
        .contains("waid=351912345678"));

    let (st, r) = app
        .post(
            "/send/contacts",
            &admin,
            json!({"to": "15554440032", "contacts": [
                {"display_name": "Ana", "phone": "351912345678"},
                {"display_name": "Rui", "phone": "351912345679"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["contact_count"], json!(2));
    let d = rx_b.data_of(r["message_id"].as_str().unwrap()).await;
    assert_eq!(d["message_type"], json!("contacts"));
    assert_eq!(d["contacts"].as_array().unwrap().len(), 2);

    let (st, r) = app
        .post(
            "/send/poll",
            &admin,
            json!({"to": "15554440032", "question": "Lunch?",
                   "options": [{"option_name": "Yes"}, {"option_name": "No"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["options_count"], json!(2));
    assert_eq!(r["multiple_choice"], json!(false));
    let poll_id = r["message_id"].as_str().unwrap().to_string();
    let d = rx_b.data_of(&poll_id).await;
    assert_eq!(d["message_type"], json!("poll"));
    assert_eq!(d["content"], json!("Lunch?"));
    assert_eq!(d["poll"]["options"], json!(["Yes", "No"]));

    // A reacts to its own poll; then edits and deletes a text.
    let (st, r) = app
        .post(
            "/send/reaction",
            &admin,
            json!({"number": "15554440032", "messageId": poll_id, "reaction": "👍"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["metadata"]["reaction_emoji"], json!("👍"));
    let d = rx_b.data_of(r["message_id"].as_str().unwrap()).await;
    assert_eq!(d["message_type"], json!("reaction"));
    assert_eq!(d["reaction"], json!("👍"));
    assert_eq!(d["original_message_id"], json!(poll_id));
    // The reacted message is the reactor's own (the key is from the reactor's side).
    assert_eq!(d["original_by_sender"], json!(true));

    let text_id = send(
        "/send/text",
        json!({"number": "15554440032", "text": "typo"}),
    )
    .await;
    rx_b.data_of(&text_id).await;
    let (st, r) = app
        .call(
            reqwest::Method::PUT,
            &format!("/messages/{text_id}"),
            Some(&admin),
            Some(json!({"to": "15554440032", "message": "fixed"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["message"], json!("Message edited successfully"));
    rx_b.until("the edit", |r| {
        r.iter().any(|x| {
            x.1["data"]["message_type"] == json!("edit")
                && x.1["data"]["original_message_id"] == json!(text_id)
                && x.1["data"]["content"] == json!("fixed")
        })
    })
    .await;
    let (st, r) = app
        .call(
            reqwest::Method::DELETE,
            "/messages/delete",
            Some(&admin),
            Some(
                json!({"messageId": text_id, "chatJid": "15554440032@s.whatsapp.net",
                        "deleteType": "for_everyone"}),
            ),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["delete_type"], json!("for_everyone"));
    rx_b.until("the revoke", |r| {
        r.iter().any(|x| {
            x.1["data"]["message_type"] == json!("revoke")
                && x.1["data"]["original_message_id"] == json!(text_id)
        })
    })
    .await;
    // Gone from our records: no status, no second delete.
    let (st, _) = app
        .get(&format!("/messages/{text_id}/status"), &admin)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // Bad input names the field.
    for (path, body, field) in [
        (
            "/send/location",
            json!({"to": "15554440032", "latitude": 91, "longitude": 0}),
            "latitude",
        ),
        (
            "/send/location",
            json!({"to": "15554440032", "latitude": 1}),
            "longitude",
        ),
        (
            "/send/location",
            json!({"to": "1", "latitude": 1, "longitude": 1}),
            "to",
        ),
        (
            "/send/live-location",
            json!({"to": "15554440032", "latitude": 1, "longitude": 181}),
            "longitude",
        ),
        (
            "/send/live-location",
            json!({"to": "15554440032", "latitude": 1, "longitude": 1,
                   "degrees_clockwise_from_magnetic_north": 400}),
            "degrees_clockwise_from_magnetic_north",
        ),
        (
            "/send/contact",
            json!({"to": "15554440032", "contact": {"phone": "351912345678"}}),
            "contact.display_name",
        ),
        (
            "/send/contacts",
            json!({"to": "15554440032", "contacts": []}),
            "contacts",
        ),
        (
            "/send/poll",
            json!({"to": "15554440032", "question": "q", "options": [{"option_name": "a"}]}),
            "options",
        ),
        (
            "/send/poll",
            json!({"to": "15554440032", "question": "q",
            "options": [{"option_name": "a"}, {"option_name": "a"}]}),
            "options[1].option_name",
        ),
        (
            "/send/poll",
            json!({"to": "15554440032", "options": [{"option_name": "a"}, {"option_name": "b"}]}),
            "question",
        ),
        (
            "/send/reaction",
            json!({"number": "15554440032", "reaction": "x"}),
            "messageId",
        ),
    ] {
        let (st, e) = app.post(path, &admin, body.clone()).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{path} {body}: {e}");
        assert!(
            e.to_string().contains(&format!("\"{field}\"")),
            "{path} should name {field}: {e}"
        );
    }
    let (st, e) = app
        .call(
            reqwest::Method::DELETE,
            "/messages/delete",
            Some(&admin),
            Some(json!({"messageId": "X", "chatJid": "15554440032", "deleteType": "sideways"})),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");
    let (st, e) = app
        .call(
            reqwest::Method::PUT,
            "/messages/NOTOURS",
            Some(&admin),
            Some(json!({"to": "15554440032", "message": "x"})),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{e}");
    app.stop().await;
    sim.stop().await;
}

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
