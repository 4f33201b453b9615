//! Payments through the gateway (issue 15): a request, its decline and cancel, and the
//! "payment sent" notice, each received by the other gateway device with its kind and fields;
//! bad currencies, amounts and expiries named.

use crate::helpers::wa::{gateway, hook, two_accounts};
use crate::helpers::Backend;
use reqwest::StatusCode;
use serde_json::json;
use wa_sim::SimServer;

both_backends!(payments_reach_the_other_account);

async fn payments_reach_the_other_account(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    let (a, user_b) = two_accounts(&app, &sim, "payments", ["15554440101", "15554440102"]).await;
    let rx_a = hook(&app, &a, &["message.received"]).await;
    let rx_b = hook(&app, &user_b, &["message.received"]).await;

    let (st, r) = app
        .post(
            "/payment/request",
            &a,
            json!({"to": "15554440102", "amount": 15000, "currency": "brl", "note_message": "lunch"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["amount"], json!("150.00 BRL"));
    assert_eq!(r["message"], json!("Payment request sent successfully"));
    let req_id = r["message_id"].as_str().unwrap().to_string();
    let got = rx_b.data_of(&req_id).await;
    assert_eq!(got["message_type"], json!("payment_request"), "{got}");
    assert_eq!(got["content"], json!("lunch"));
    assert_eq!(
        got["payment"]["amount_formatted"],
        json!("150.00 BRL"),
        "{got}"
    );
    assert_eq!(got["payment"]["currency"], json!("BRL"));
    assert_eq!(got["payment"]["amount"], json!(15000));
    let expiry = got["payment"]["expiry_timestamp"].as_i64().unwrap();
    let week = wuts_core::time::now_millis() / 1000 + 7 * 24 * 3600;
    assert!((expiry - week).abs() < 120, "{expiry} vs {week}");

    // Yen have no decimals.
    let (st, r) = app
        .post(
            "/payment/request",
            &a,
            json!({"to": "15554440102", "amount": 1500, "currency": "JPY"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["amount"], json!("1500 JPY"));

    let (st, r) = app
        .post(
            "/payment/decline",
            &user_b,
            json!({"to": "15554440101", "request_message_key": req_id}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let got = rx_a.data_of(r["message_id"].as_str().unwrap()).await;
    assert_eq!(got["message_type"], json!("payment_decline"), "{got}");
    assert_eq!(got["payment"]["request_message_id"], json!(req_id));

    let (st, r) = app
        .post(
            "/payment/cancel",
            &a,
            json!({"to": "15554440102", "request_message_key": {"id": req_id, "from_me": true}}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let got = rx_b.data_of(r["message_id"].as_str().unwrap()).await;
    assert_eq!(got["message_type"], json!("payment_cancel"), "{got}");
    assert_eq!(got["payment"]["request_message_id"], json!(req_id));

    let (st, r) = app
        .post(
            "/payment/send",
            &user_b,
            json!({"to": "15554440101", "request_message_key": req_id, "currency": "BRL",
                "amount": 15000, "note_message": "paid"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(
        r["message"],
        json!("Payment notification sent successfully")
    );
    let got = rx_a.data_of(r["message_id"].as_str().unwrap()).await;
    assert_eq!(got["message_type"], json!("payment_sent"), "{got}");
    assert_eq!(got["content"], json!("paid (150.00 BRL)"));
    assert_eq!(got["payment"]["request_message_id"], json!(req_id));

    // Bad input, each named.
    let past = wuts_core::time::now_millis() / 1000 - 60;
    for (path, body, field) in [
        (
            "/payment/request",
            json!({"to": "15554440102", "amount": 100, "currency": "XYZ"}),
            "currency",
        ),
        (
            "/payment/request",
            json!({"to": "15554440102", "amount": 100, "currency": ""}),
            "currency",
        ),
        (
            "/payment/request",
            json!({"to": "15554440102", "amount": 0, "currency": "BRL"}),
            "amount",
        ),
        (
            "/payment/request",
            json!({"to": "15554440102", "amount": -5, "currency": "BRL"}),
            "amount",
        ),
        (
            "/payment/request",
            json!({"to": "15554440102", "currency": "BRL"}),
            "amount",
        ),
        (
            "/payment/request",
            json!({"to": "15554440102", "amount": 100000000000i64, "currency": "BRL"}),
            "amount",
        ),
        (
            "/payment/request",
            json!({"to": "15554440102", "amount": 100, "currency": "BRL",
            "expiry_timestamp": past}),
            "expiry_timestamp",
        ),
        (
            "/payment/request",
            json!({"to": "12", "amount": 100, "currency": "BRL"}),
            "to",
        ),
        (
            "/payment/cancel",
            json!({"to": "15554440102"}),
            "request_message_key",
        ),
        (
            "/payment/decline",
            json!({"to": "15554440102", "request_message_key": "bad id!"}),
            "request_message_key",
        ),
        (
            "/payment/send",
            json!({"to": "15554440102", "request_message_key": "3EB0A", "amount": 5,
            "currency": "EURO"}),
            "currency",
        ),
    ] {
        let (st, r) = app.post(path, &a, body.clone()).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{path} {body}: {r}");
        assert_eq!(r["error_code"], json!("VALIDATION_ERROR"), "{r}");
        assert_eq!(
            r["validation"][0]["field"],
            json!(field),
            "{path} {body}: {r}"
        );
    }
    app.stop().await;
}
