//! On-demand history and retry receipts against wa-sim: the phone answers a history request
//! with the chat's older messages (a `history.sync` event carrying them), and a retry receipt
//! reaches the sender's devices.

use crate::helpers::wa::{gateway, hook, two_accounts};
use crate::helpers::{assert_error, Backend};
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};
use wa_sim::SimServer;

both_backends!(history_request_and_retry_receipt);

async fn history_request_and_retry_receipt(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    let (admin, user_b) = two_accounts(&app, &sim, "hist", ["15554440071", "15554440072"]).await;
    let rx_a = hook(&app, &admin, &["history.sync"]).await;

    // The phone of A knows three older messages of its chat with B.
    let chat = "15554440072@s.whatsapp.net";
    let res = reqwest::Client::new()
        .post(format!("{}/admin/history", sim.http_url()))
        .json(&json!({"phone": "15554440071", "chat": chat, "messages": [
            {"id": "3EB0OLD1", "from_me": true, "text": "first", "timestamp": 1_700_000_000},
            {"id": "3EB0OLD2", "from_me": false, "text": "second", "timestamp": 1_700_000_100},
            {"id": "3EB0OLD3", "from_me": true, "text": "third", "timestamp": 1_700_000_200}]}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());

    let (st, r) = app
        .post(
            "/messages/history/request",
            &admin,
            json!({"chat_jid": chat, "last_message_id": "3EB0OLD3", "last_message_from_me": true,
                "last_message_timestamp": 1_700_000_200, "count": 10}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["requested_count"], json!(10));
    let got = rx_a
        .until("history.sync", |r| {
            r.iter().any(|x| x.1["event"] == json!("history.sync"))
        })
        .await;
    let data = &got
        .iter()
        .find(|x| x.1["event"] == json!("history.sync"))
        .unwrap()
        .1["data"];
    let messages = &data["chats"][0]["messages"];
    assert_eq!(data["chats"][0]["chat_jid"], json!(chat), "{data}");
    assert_eq!(messages.as_array().unwrap().len(), 2, "{data}");
    assert_eq!(messages[0]["message_id"], json!("3EB0OLD1"));
    assert_eq!(messages[1]["content"], json!("second"));
    assert_eq!(messages[1]["from_me"], json!(false));
    // The history joined the device's message records: its own message has a status.
    let (st, s) = app.get("/messages/3EB0OLD1/status", &admin).await;
    assert_eq!(st, StatusCode::OK, "{s}");
    assert_eq!(s["chat_jid"], json!(chat));
    let (_, chats) = app.get("/chats", &admin).await;
    assert!(chats.to_string().contains(chat), "{chats}");

    // Bad history requests name the field.
    for (body, field) in [
        (
            json!({"chat_jid": chat, "last_message_timestamp": 1}),
            "last_message_id",
        ),
        (
            json!({"chat_jid": chat, "last_message_id": "X"}),
            "last_message_timestamp",
        ),
        (
            json!({"chat_jid": chat, "last_message_id": "X", "last_message_timestamp": 1, "count": 51}),
            "count",
        ),
        (
            json!({"last_message_id": "X", "last_message_timestamp": 1}),
            "chat_jid",
        ),
    ] {
        let (st, e) = app.post("/messages/history/request", &admin, body).await;
        assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
        assert_eq!(e["validation"][0]["field"], json!(field), "{e}");
    }

    // A retry receipt from B for A's message reaches A's devices (its phone shows it).
    let (st, sent) = app
        .post(
            "/send/text",
            &admin,
            json!({"number": "15554440072", "text": "say again?"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{sent}");
    let id = sent["message_id"].as_str().unwrap().to_string();
    let (st, r) = app
        .post(
            &format!("/messages/{id}/retry"),
            &user_b,
            json!({"chat_jid": "15554440071", "sender_jid": "15554440071"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["receipt_type"], json!("retry"));
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let dump: serde_json::Value =
            reqwest::get(format!("{}/admin/accounts/15554440071", sim.http_url()))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
        let seen = dump["receipts"].as_array().unwrap().iter().any(|r| {
            r["type"] == json!("retry") && r["ids"].as_array().unwrap().contains(&json!(id))
        });
        if seen {
            break;
        }
        assert!(Instant::now() < deadline, "no retry receipt: {dump}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    app.stop().await;
    sim.stop().await;
}
