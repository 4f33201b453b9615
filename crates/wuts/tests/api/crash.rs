//! SIGKILL in the middle of pairing and after it: the database stays consistent and the device
//! reconnects on the next start (the real `wuts` binary, against wa-sim).

use crate::helpers::process::{drop_db, free_port, fresh_db, Gateway};
use crate::helpers::Backend;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use wa_sim::SimServer;

/// The simulated phone of `phone` scans `qr`.
pub(crate) async fn scan(sim: &SimServer, qr: &str, phone: &str) {
    let res = reqwest::Client::new()
        .post(format!("{}/admin/scan-qr", sim.http_url()))
        .json(&json!({"qr": qr, "phone": phone}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
}

async fn kill_during_and_after_pairing(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (db, pg) = fresh_db(b, dir.path()).await;
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let master = uuid::Uuid::new_v4().to_string();
    let gw = Gateway::start(&db, &sim, &master).await;
    let (token, _) = gw.tenant_with_device(&master, "crash").await;

    // Killed while a QR is on show: nothing half-paired survives, pairing starts over.
    let (st, qr) = gw.call(reqwest::Method::GET, "/qr", &token, None).await;
    assert_eq!(st, StatusCode::OK, "{qr}");
    gw.kill9();
    let gw = Gateway::start(&db, &sim, &master).await;
    let (_, s) = gw.call(reqwest::Method::GET, "/status", &token, None).await;
    assert_eq!(s["data"]["status"], json!("needs_qr"), "{s}");
    let (st, qr) = gw.call(reqwest::Method::GET, "/qr", &token, None).await;
    assert_eq!(st, StatusCode::OK, "{qr}");
    scan(&sim, qr["data"]["qr_code"].as_str().unwrap(), "15553330001").await;
    gw.status_until_connected(&token).await;

    // Killed while connected: the next start reconnects from the database, no QR.
    gw.kill9();
    let gw = Gateway::start(&db, &sim, &master).await;
    let s = gw.status_until_connected(&token).await;
    assert_eq!(s["data"]["jid"], json!("15553330001@s.whatsapp.net"));
    let (_, list) = gw
        .call(reqwest::Method::GET, "/devices", &token, None)
        .await;
    assert_eq!(list["devices"][0]["connected"], json!(true), "{list}");

    // Killed, then started where WhatsApp cannot be reached: the record still says connected
    // from the last run, but every answer that says `connected` gives the live state.
    gw.kill9();
    let nowhere = format!("ws://127.0.0.1:{}/ws/chat", free_port());
    let gw = Gateway::start_with(&db, &sim, &master, &[("WUTS_WHATSAPP_URL", &nowhere)]).await;
    let (_, list) = gw
        .call(reqwest::Method::GET, "/devices", &token, None)
        .await;
    assert_eq!(list["devices"][0]["connected"], json!(false), "{list}");
    let (_, mine) = gw
        .call(reqwest::Method::GET, "/user/devices", &token, None)
        .await;
    assert_eq!(
        mine["data"]["devices"][0]["connected"],
        json!(false),
        "{mine}"
    );
    let (_, s) = gw.call(reqwest::Method::GET, "/status", &token, None).await;
    assert_eq!(s["data"]["connected"], json!(false), "{s}");
    // A new device cannot get a QR there: 503, saying where WhatsApp was looked for.
    let (other, _) = gw.tenant_with_device(&master, "offline").await;
    let (st, b) = gw.call(reqwest::Method::GET, "/qr", &other, None).await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{b}");
    assert_eq!(b["error_code"], json!("SERVICE_UNAVAILABLE"), "{b}");
    assert!(
        b["error"].as_str().unwrap().contains(&nowhere),
        "names the endpoint: {b}"
    );
    gw.kill9();
    sim.stop().await;
    drop_db(pg).await;
}

both_backends!(
    kill_during_and_after_pairing,
    kill_during_inbound_burst,
    kill_with_paced_sends_queued
);

/// Sends are paced per number (3 s apart here): a burst waits in the outbox, visible through
/// `GET /messages/queue`. SIGKILLed with a message still queued, the gateway sends it after
/// the restart, once the device is back.
async fn kill_with_paced_sends_queued(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (db, pg) = fresh_db(b, dir.path()).await;
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let master = uuid::Uuid::new_v4().to_string();
    let slow = [("WUTS_SEND_INTERVAL_MS", "3000")];
    let gw = Gateway::start_with(&db, &sim, &master, &slow).await;
    let mut tokens = Vec::new();
    for (i, phone) in ["15553330201", "15553330202"].iter().enumerate() {
        let (token, _) = gw.tenant_with_device(&master, &format!("q{i}")).await;
        let (_, qr) = gw.call(reqwest::Method::GET, "/qr", &token, None).await;
        scan(&sim, qr["data"]["qr_code"].as_str().unwrap(), phone).await;
        gw.status_until_connected(&token).await;
        tokens.push(token);
    }
    let sender = tokens[0].clone();
    let mut sends = Vec::new();
    for i in 0..3 {
        let (base, token) = (gw.base.clone(), sender.clone());
        sends.push(tokio::spawn(async move {
            let _ = reqwest::Client::new()
                .post(format!("{base}/send/text"))
                .bearer_auth(token)
                .json(&json!({"number": "15553330202", "text": format!("paced {i}")}))
                .send()
                .await;
        }));
    }
    // The burst waits in the queue, oldest first.
    let deadline = Instant::now() + Duration::from_secs(10);
    let queued = loop {
        let (st, q) = gw
            .call(reqwest::Method::GET, "/messages/queue", &sender, None)
            .await;
        assert_eq!(st, StatusCode::OK, "{q}");
        if q["count"].as_u64().unwrap() >= 2 {
            break q;
        }
        assert!(Instant::now() < deadline, "nothing queued: {q}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // The newest has the longest wait ahead (a busy machine can take seconds per request).
    let newest = queued["messages"].as_array().unwrap().len() - 1;
    let waiting = queued["messages"][newest]["message_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, st) = gw
        .call(
            reqwest::Method::GET,
            &format!("/messages/{waiting}/status"),
            &sender,
            None,
        )
        .await;
    assert_eq!(st["status"], json!("queued"), "{st}");
    // Another tenant's token sees its own (empty) queue, not this one.
    let (_, other) = gw
        .call(reqwest::Method::GET, "/messages/queue", &tokens[1], None)
        .await;
    assert_eq!(other["count"], json!(0), "{other}");
    gw.kill9();
    for s in sends {
        let _ = s.await;
    }

    let gw = Gateway::start(&db, &sim, &master).await;
    gw.status_until_connected(&sender).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, q) = gw
            .call(reqwest::Method::GET, "/messages/queue", &sender, None)
            .await;
        if q["count"] == json!(0) {
            break;
        }
        assert!(Instant::now() < deadline, "queue never drained: {q}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, st) = gw
        .call(
            reqwest::Method::GET,
            &format!("/messages/{waiting}/status"),
            &sender,
            None,
        )
        .await;
    assert_ne!(st["status"], json!("queued"), "{st}");
    gw.kill9();
    sim.stop().await;
    drop_db(pg).await;
}

/// The phone of another account sends a burst of texts; the gateway is SIGKILLed in the middle
/// and started again: every message ends up recorded exactly once (same event id for any
/// redelivery), none is lost.
async fn kill_during_inbound_burst(b: Backend) {
    const N: usize = 1000;
    let dir = tempfile::tempdir().unwrap();
    let (db, pg) = fresh_db(b, dir.path()).await;
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let master = uuid::Uuid::new_v4().to_string();
    let gw = Gateway::start(&db, &sim, &master).await;
    let (token, device) = gw.tenant_with_device(&master, "burst").await;
    let (_, qr) = gw.call(reqwest::Method::GET, "/qr", &token, None).await;
    scan(&sim, qr["data"]["qr_code"].as_str().unwrap(), "15553330010").await;
    gw.status_until_connected(&token).await;
    let http = reqwest::Client::new();
    let send = |i: usize| {
        http.post(format!("{}/admin/send", sim.http_url()))
            .json(
                &json!({"from": "15553330011", "to": "15553330010", "text": format!("burst-{i}")}),
            )
            .send()
    };
    http.post(format!("{}/admin/accounts", sim.http_url()))
        .json(&json!({"phone": "15553330011"}))
        .send()
        .await
        .unwrap();
    for i in 0..N / 2 {
        assert!(send(i).await.unwrap().status().is_success());
    }
    gw.kill9();
    for i in N / 2..N {
        assert!(send(i).await.unwrap().status().is_success());
    }
    let gw = Gateway::start(&db, &sim, &master).await;
    gw.status_until_connected(&token).await;
    let store = wuts_store::Store::connect(&db, 1).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let rows = store
            .event_data_for_tests(&device, "message.received")
            .await;
        let mut texts: Vec<String> = rows
            .iter()
            .filter_map(|(_, d)| {
                serde_json::from_str::<Value>(d).ok()?["content"]
                    .as_str()
                    .map(String::from)
            })
            .collect();
        let total = texts.len();
        texts.sort();
        texts.dedup();
        assert_eq!(texts.len(), total, "a message was recorded twice");
        if texts.len() == N {
            break;
        }
        if Instant::now() >= deadline {
            let missing: Vec<usize> = (0..N)
                .filter(|i| texts.binary_search(&format!("burst-{i}")).is_err())
                .collect();
            panic!(
                "{} of {N} messages recorded; missing {missing:?}",
                texts.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    store.close().await;
    gw.kill9();
    sim.stop().await;
    drop_db(pg).await;
}
