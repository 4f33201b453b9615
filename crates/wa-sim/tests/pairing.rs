//! Pairing real whatsapp-rust clients with the simulated phone, and logging in again.

mod common;

use common::{admin_get, admin_post, init_logs, TestClient};
use serde_json::json;
use std::sync::Arc;
use wa_sim::SimServer;
use whatsapp_rust::prelude::Event;
use whatsapp_rust::wacore::store::in_memory::InMemoryBackend;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qr_pairing_then_login_with_stored_credentials() {
    init_logs();
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let backend = Arc::new(InMemoryBackend::new());
    let mut client = TestClient::start(&sim, backend.clone()).await;
    let qr = client.qr().await;
    let (status, scanned) = admin_post(
        &sim,
        "/admin/scan-qr",
        json!({"qr": qr, "phone": "15550001111"}),
    )
    .await;
    assert_eq!(status, 200, "{scanned}");
    assert_eq!(scanned["jid"], json!("15550001111@s.whatsapp.net"));

    client
        .wait_for(15, "pair success", |e| matches!(e, Event::PairSuccess(_)))
        .await;
    client
        .wait_for(30, "connected", |e| matches!(e, Event::Connected(_)))
        .await;
    let (_, dump) = admin_get(&sim, "/admin/accounts/15550001111").await;
    assert_eq!(dump["devices"].as_array().unwrap().len(), 2, "{dump}");
    assert_eq!(dump["devices"][1]["online"], json!(true), "{dump}");
    client.stop().await;

    // The same store logs in again without any QR.
    let mut again = TestClient::start(&sim, backend).await;
    again
        .wait_for(30, "connected again", |e| matches!(e, Event::Connected(_)))
        .await;
    assert!(!again.seen_qr(), "no QR on a login with stored credentials");
    again.stop().await;
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_removes_the_device() {
    init_logs();
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let mut client = common::paired(&sim, "15550006001").await;
    let backend = client.backend.clone();
    client.handle.client().logout().await;
    client
        .wait_for(10, "logged out", |e| matches!(e, Event::LoggedOut(_)))
        .await;
    let (_, dump) = admin_get(&sim, "/admin/accounts/15550006001").await;
    assert_eq!(
        dump["devices"].as_array().unwrap().len(),
        1,
        "only the phone is left: {dump}"
    );
    client.stop().await;

    // The old credentials are refused from now on.
    let mut again = TestClient::start(&sim, backend).await;
    again
        .wait_for(20, "logged out on connect", |e| {
            matches!(e, Event::LoggedOut(_))
        })
        .await;
    again.stop().await;
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pair_code_pairing() {
    init_logs();
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let mut client = TestClient::start_with_pair_code(&sim, "15550007001").await;
    let e = client
        .wait_for(30, "a pair code", |e| matches!(e, Event::PairingCode(_)))
        .await;
    let Event::PairingCode(code) = &*e else {
        unreachable!()
    };
    // A wrong code never links the device.
    let (status, _) = admin_post(
        &sim,
        "/admin/pair-code",
        json!({"phone": "15550007001", "code": "short"}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, body) = admin_post(
        &sim,
        "/admin/pair-code",
        json!({"phone": "15550007001", "code": code.code}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    client
        .wait_for(30, "pair success", |e| matches!(e, Event::PairSuccess(_)))
        .await;
    client
        .wait_for(30, "connected", |e| matches!(e, Event::Connected(_)))
        .await;
    let (_, dump) = admin_get(&sim, "/admin/accounts/15550007001").await;
    assert_eq!(dump["devices"].as_array().unwrap().len(), 2, "{dump}");
    client.stop().await;
    sim.stop().await;
}
