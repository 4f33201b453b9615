//! Calls through the gateway (issue 15): a simulated phone calls a gateway device, the webhook
//! gets `call.offer`, `POST /calls/reject` reaches the caller, a cancelled call is
//! `call.terminate`, and with `reject_calls` on a call is rejected with no API call and the
//! caller's phone gets the message.

use crate::helpers::wa::{gateway, hook, phone_received, sim_post, two_accounts};
use crate::helpers::Backend;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use wa_sim::SimServer;

/// Waits until wa-sim shows the call `id` in `state`; answers it.
async fn call_in(sim: &SimServer, id: &str, state: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let url = format!("{}/admin/calls", sim.http_url());
        let calls: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
        if let Some(c) = calls
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == json!(id) && c["state"] == json!(state))
        {
            return c.clone();
        }
        assert!(
            Instant::now() < deadline,
            "call {id} never {state}: {calls}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const A: &str = "15554440111";
const C: &str = "15554440113";

both_backends!(calls_ring_and_are_rejected);

async fn calls_ring_and_are_rejected(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    sim_post(&sim, "/admin/accounts", json!({"phone": C})).await;
    let (a, _) = two_accounts(&app, &sim, "calls", [A, "15554440112"]).await;
    let rx = hook(&app, &a, &["call.offer", "call.terminate"]).await;

    // C calls; A rejects through the API.
    let id = sim_post(&sim, "/admin/calls", json!({"from": C, "to": A})).await["call_id"]
        .as_str()
        .unwrap()
        .to_string();
    let got = rx
        .until("call.offer", |r| {
            r.iter()
                .any(|x| x.1["event"] == json!("call.offer") && x.1["data"]["call_id"] == json!(id))
        })
        .await;
    let offer = &got
        .iter()
        .find(|x| x.1["data"]["call_id"] == json!(id))
        .unwrap()
        .1["data"];
    assert_eq!(
        offer["from_pn"],
        json!(format!("{C}@s.whatsapp.net")),
        "{offer}"
    );
    assert_eq!(offer["is_video"], json!(false), "{offer}");
    let (st, r) = app
        .post("/calls/reject", &a, json!({"call_id": id, "from": C}))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r, json!({"success": true}));
    let c = call_in(&sim, &id, "rejected").await;
    assert!(c["by"].as_str().unwrap().starts_with(A), "{c}");

    // C hangs up before anyone answers.
    let id2 = sim_post(
        &sim,
        "/admin/calls",
        json!({"from": C, "to": A, "video": true}),
    )
    .await["call_id"]
        .as_str()
        .unwrap()
        .to_string();
    rx.until("the second offer", |r| {
        r.iter()
            .any(|x| x.1["data"]["call_id"] == json!(id2) && x.1["data"]["is_video"] == json!(true))
    })
    .await;
    sim_post(&sim, &format!("/admin/calls/{id2}/cancel"), json!({})).await;
    rx.until("call.terminate", |r| {
        r.iter().any(|x| {
            x.1["event"] == json!("call.terminate") && x.1["data"]["call_id"] == json!(id2)
        })
    })
    .await;

    // Reject every call, with a message.
    let (st, r) = app
        .call(
            Method::PUT,
            "/calls/settings",
            Some(&a),
            Some(json!({"reject_calls": true, "reject_message": "Busy: please text me"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["reject_calls"], json!(true));
    let (_, r) = app.get("/calls/settings", &a).await;
    assert_eq!(r["reject_message"], json!("Busy: please text me"), "{r}");
    let id3 = sim_post(&sim, "/admin/calls", json!({"from": C, "to": A})).await["call_id"]
        .as_str()
        .unwrap()
        .to_string();
    call_in(&sim, &id3, "rejected").await;
    let m = phone_received(&sim, C, "Busy: please text me").await;
    assert_eq!(m["sender"], json!(format!("{A}@s.whatsapp.net")), "{m}");

    // Bad input.
    for (body, field) in [
        (json!({}), "call_id"),
        (json!({"call_id": "bad id!"}), "call_id"),
        (json!({"call_id": "ABC", "from": "12"}), "from"),
    ] {
        let (st, r) = app.post("/calls/reject", &a, body.clone()).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{body}: {r}");
        assert_eq!(r["validation"][0]["field"], json!(field), "{body}: {r}");
    }
    let (st, r) = app
        .post("/calls/reject", &a, json!({"call_id": "FFFF"}))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{r}");
    for (body, field) in [
        (json!({"reject_message": "x"}), "reject_calls"),
        (
            json!({"reject_calls": true, "reject_message": "x".repeat(1025)}),
            "reject_message",
        ),
        (json!({"reject_calls": "yes"}), "reject_calls"),
    ] {
        let (st, r) = app
            .call(Method::PUT, "/calls/settings", Some(&a), Some(body.clone()))
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{body}: {r}");
        assert_eq!(r["validation"][0]["field"], json!(field), "{body}: {r}");
    }
    app.stop().await;
}
