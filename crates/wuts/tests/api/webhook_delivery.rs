//! Webhook delivery to a real local HTTP receiver (signed envelopes, in order, retried, dead
//! letters) and the live event stream (SSE, resumable, one device or all).

use crate::helpers::wa::{gateway, pair, Receiver};
use crate::helpers::Backend;
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
