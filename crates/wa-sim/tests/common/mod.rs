//! A real whatsapp-rust client (in-memory store) driven against a running wa-sim, with events
//! collected so tests wait on them instead of sleeping.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use wa_sim::SimServer;
use whatsapp_rust::bot::{Bot, BotHandle};
use whatsapp_rust::prelude::Event;
use whatsapp_rust::wacore::store::in_memory::InMemoryBackend;
use whatsapp_rust::TokioRuntime;
use whatsapp_rust_tokio_transport::TokioWebSocketTransportFactory;
use whatsapp_rust_ureq_http_client::UreqHttpClient;

pub struct TestClient {
    pub handle: BotHandle,
    pub backend: Arc<InMemoryBackend>,
    pub events: mpsc::UnboundedReceiver<Arc<Event>>,
    seen: Vec<Arc<Event>>,
}

pub fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_test_writer()
        .try_init();
}

impl TestClient {
    /// A client over `backend` (fresh for a new device, reused to log in again).
    pub async fn start(sim: &SimServer, backend: Arc<InMemoryBackend>) -> Self {
        Self::start_with(sim, backend, None).await
    }

    /// A client that links by pair code for `phone` instead of QR.
    pub async fn start_with_pair_code(sim: &SimServer, phone: &str) -> Self {
        Self::start_with(sim, Arc::new(InMemoryBackend::new()), Some(phone)).await
    }

    async fn start_with(
        sim: &SimServer,
        backend: Arc<InMemoryBackend>,
        pair_code_phone: Option<&str>,
    ) -> Self {
        let (tx, events) = mpsc::unbounded_channel();
        let mut builder = Bot::builder()
            .with_backend_arc(backend.clone())
            .with_transport_factory(TokioWebSocketTransportFactory::new().with_url(sim.ws_url()))
            .with_http_client(UreqHttpClient::new())
            .with_runtime(TokioRuntime)
            // The client otherwise asks web.whatsapp.com for the current version.
            .with_version((2, 3000, 1_030_000_000))
            .on_event(move |e, _c| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(e);
                }
            });
        if let Some(phone) = pair_code_phone {
            builder = builder.with_pair_code(whatsapp_rust::pair_code::PairCodeOptions {
                phone_number: phone.to_string(),
                ..Default::default()
            });
        }
        let bot = builder.build().await.expect("bot builds");
        Self {
            handle: bot.spawn(),
            backend,
            events,
            seen: Vec::new(),
        }
    }

    /// Waits up to `secs` for an event matching `pred` (also among those already seen).
    pub async fn wait_for(
        &mut self,
        secs: u64,
        what: &str,
        pred: impl Fn(&Event) -> bool,
    ) -> Arc<Event> {
        match self.try_wait_for(secs, pred).await {
            Some(e) => e,
            None => panic!(
                "timed out after {secs}s waiting for {what}; saw: {:?}",
                self.seen
                    .iter()
                    .map(|e| format!("{e:?}"))
                    .collect::<Vec<_>>()
            ),
        }
    }

    /// Like `wait_for`, but answers None at the deadline (for asserting that nothing arrives).
    pub async fn try_wait_for(
        &mut self,
        secs: u64,
        pred: impl Fn(&Event) -> bool,
    ) -> Option<Arc<Event>> {
        if let Some(e) = self.seen.iter().find(|e| pred(e)) {
            return Some(e.clone());
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(e)) => {
                    self.seen.push(e.clone());
                    if pred(&e) {
                        return Some(e);
                    }
                }
                Ok(None) | Err(_) => return None,
            }
        }
    }

    /// Waits for the first QR code and answers its text.
    pub async fn qr(&mut self) -> String {
        let e = self
            .wait_for(15, "a QR code", |e| matches!(e, Event::PairingQrCode(_)))
            .await;
        match &*e {
            Event::PairingQrCode(q) => q.code.clone(),
            _ => unreachable!(),
        }
    }

    pub fn seen_qr(&self) -> bool {
        self.seen
            .iter()
            .any(|e| matches!(**e, Event::PairingQrCode(_)))
    }

    pub async fn stop(self) {
        self.handle.shutdown().await;
    }
}

/// POSTs JSON to the simulator's admin API.
pub async fn admin_post(
    sim: &SimServer,
    path: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let res = reqwest::Client::new()
        .post(format!("{}{path}", sim.http_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

pub async fn admin_get(sim: &SimServer, path: &str) -> (u16, serde_json::Value) {
    let res = reqwest::get(format!("{}{path}", sim.http_url()))
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// A new client paired by QR to the account of `phone`, connected.
pub async fn paired(sim: &SimServer, phone: &str) -> TestClient {
    let mut c = TestClient::start(sim, Arc::new(InMemoryBackend::new())).await;
    let qr = c.qr().await;
    let (status, body) = admin_post(
        sim,
        "/admin/scan-qr",
        serde_json::json!({"qr": qr, "phone": phone}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    c.wait_for(40, "connected", |e| matches!(e, Event::Connected(_)))
        .await;
    c
}

/// The text of a received message event, if it is one.
pub fn text_of(e: &Event) -> Option<String> {
    e.messages().find_map(|m| m.message.conversation.clone())
}

/// Polls the account dump of `phone` until the phone has received a message with `text`
/// (within `secs`); answers that message.
#[allow(dead_code)]
pub async fn phone_received(
    sim: &SimServer,
    phone: &str,
    text: &str,
    secs: u64,
) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        let (_, dump) = admin_get(sim, &format!("/admin/accounts/{phone}")).await;
        if let Some(m) = dump["messages"]
            .as_array()
            .and_then(|l| l.iter().find(|m| m["text"] == text))
        {
            return m.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the phone {phone} never received {text:?}: {}",
            dump["messages"]
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
