//! Helpers for tests of the WhatsApp side: a gateway pointed at wa-sim, pairing a device through
//! the simulated phone, waiting for connections, and a real local webhook receiver.

use super::{Backend, TestApp};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxStatus};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wa_sim::SimServer;

/// A receiver that records every request and answers from a script (then 200).
#[derive(Clone, Default)]
pub struct Receiver {
    seen: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    script: Arc<Mutex<Vec<u16>>>,
}

impl Receiver {
    pub async fn start(script: Vec<u16>) -> (Self, String) {
        let r = Receiver {
            seen: Default::default(),
            script: Arc::new(Mutex::new(script)),
        };
        let app = axum::Router::new()
            .route(
                "/hook",
                axum::routing::post(
                    |State(r): State<Receiver>, headers: HeaderMap, body: String| async move {
                        r.seen.lock().unwrap().push((headers, body));
                        let mut s = r.script.lock().unwrap();
                        let code = if s.is_empty() { 200 } else { s.remove(0) };
                        AxStatus::from_u16(code).unwrap()
                    },
                ),
            )
            .with_state(r.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (r, url)
    }

    pub fn requests(&self) -> Vec<(HeaderMap, Value)> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|(h, b)| (h.clone(), serde_json::from_str(b).unwrap()))
            .collect()
    }

    pub fn raw(&self) -> Vec<(HeaderMap, String)> {
        self.seen.lock().unwrap().clone()
    }

    pub async fn until(
        &self,
        what: &str,
        pred: impl Fn(&[(HeaderMap, Value)]) -> bool,
    ) -> Vec<(HeaderMap, Value)> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let r = self.requests();
            if pred(&r) {
                return r;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {:?}",
                r.iter().map(|x| x.1["event"].clone()).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

pub async fn gateway(b: Backend, sim: &SimServer) -> TestApp {
    gateway_with(b, sim, |_| {}).await
}

/// A gateway on wa-sim with more settings changed by `tweak`.
pub async fn gateway_with(
    b: Backend,
    sim: &SimServer,
    tweak: impl FnOnce(&mut wuts::config::Config),
) -> TestApp {
    let url = sim.ws_url();
    TestApp::start_with(b, move |c| {
        c.whatsapp_url = url;
        c.whatsapp_version = "2.3000.1030000000".into();
        c.webhook_retry_base_ms = 50;
        tweak(c);
    })
    .await
}

pub async fn pair(app: &TestApp, sim: &SimServer, token: &str, phone: &str) {
    let (st, qr) = app.get("/qr", token).await;
    assert_eq!(st, StatusCode::OK, "{qr}");
    let res = reqwest::Client::new()
        .post(format!("{}/admin/scan-qr", sim.http_url()))
        .json(&json!({"qr": qr["data"]["qr_code"], "phone": phone}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
}

/// Waits until the device of `token` is connected.
pub async fn wait_connected(app: &TestApp, token: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.get("/status", token).await.1["data"]["connected"] != json!(true) {
        assert!(Instant::now() < deadline, "not connected");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A tenant whose admin and a second user each have a device paired to its own account
/// (`phones[0]`, `phones[1]`) and connected; answers the two tokens.
pub async fn two_accounts(
    app: &TestApp,
    sim: &SimServer,
    tenant: &str,
    phones: [&str; 2],
) -> (String, String) {
    let (_, _, admin) = app.register(tenant).await;
    let (_, user_b) = app.user(&admin, "user").await;
    for (token, phone) in [(&admin, phones[0]), (&user_b, phones[1])] {
        app.device(token, "d").await;
        pair(app, sim, token, phone).await;
    }
    wait_connected(app, &admin).await;
    wait_connected(app, &user_b).await;
    (admin, user_b)
}

/// A webhook receiver for the device of `token`, taking `events`.
pub async fn hook(app: &TestApp, token: &str, events: &[&str]) -> Receiver {
    let (rx, url) = Receiver::start(vec![]).await;
    let (st, b) = app
        .post(
            "/webhook",
            token,
            json!({"webhook_url": url, "enabled_events": events}),
        )
        .await;
    assert!(st.is_success(), "{b}");
    rx
}

impl Receiver {
    /// The data of the event about message `id`, once it arrived.
    pub async fn data_of(&self, id: &str) -> Value {
        let got = self
            .until(&format!("an event of {id}"), |r| {
                r.iter().any(|x| x.1["data"]["message_id"] == json!(id))
            })
            .await;
        got.into_iter()
            .find(|x| x.1["data"]["message_id"] == json!(id))
            .unwrap()
            .1["data"]
            .clone()
    }
}

/// What the simulated phone of `phone` received with `text` (a text, caption or poll name),
/// once it has (within 20 s), as wa-sim's admin API shows it.
pub async fn phone_received(sim: &SimServer, phone: &str, text: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let url = format!("{}/admin/accounts/{phone}", sim.http_url());
        let dump: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
        if let Some(m) = dump["messages"]
            .as_array()
            .and_then(|l| l.iter().find(|m| m["text"] == json!(text)))
        {
            return m.clone();
        }
        assert!(
            Instant::now() < deadline,
            "the phone {phone} never received {text:?}: {}",
            dump["messages"]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The LID of the simulated account of `phone` (`<lid>@lid`).
pub async fn lid_of(sim: &SimServer, phone: &str) -> String {
    let url = format!("{}/admin/accounts/{phone}", sim.http_url());
    let dump: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    dump["lid"].as_str().unwrap().to_string()
}

/// A POST to wa-sim's admin API that must succeed; its JSON answer.
pub async fn sim_post(sim: &SimServer, path: &str, body: Value) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", sim.http_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap()
}
