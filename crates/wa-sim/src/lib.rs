//! wa-sim: a WhatsApp server simulator that unmodified `whatsapp-rust` clients connect to.
//!
//! It speaks the real protocol over a real WebSocket (`/ws/chat`): WhatsApp's Noise handshake
//! (XX, and IK for reconnects) with a test certificate chain, the binary node format of the
//! wacore crates, and the stanzas a client exchanges at pairing and login. It plays the phones
//! too: each account has a primary device that "scans" QR codes through the admin API
//! (`/admin/...`, JSON, on the same port).
//!
//! Layout: `noise` (handshake, responder side), `transport` (frames and node encryption), `conn`
//! (one task per socket), `state` (accounts, devices, who is online), `proto/*` (one module per
//! protocol area), `admin` (the phone's and the tester's HTTP API).

pub mod admin;
mod conn;
pub mod media;
pub mod noise;
mod phone;
pub mod phone_app_state;
pub mod phone_history;
pub mod phone_inbox;
pub mod phone_media;
mod proto;
pub mod state;
mod transport;

use axum::routing::get;
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

pub use state::Sim;

/// A running simulator.
pub struct SimServer {
    pub addr: SocketAddr,
    pub sim: Arc<Sim>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl SimServer {
    /// Starts the simulator on `listen` (e.g. `127.0.0.1:0`).
    pub async fn start(listen: &str) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let sim = Arc::new(Sim::new());
        let (phone_tx, phone_rx) = tokio::sync::mpsc::unbounded_channel();
        sim.lock().phone_inbox = Some(phone_tx);
        tokio::spawn(phone_inbox::run(sim.clone(), phone_rx));
        let _ = sim.http_host.set(addr.to_string());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = router(sim.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        });
        Ok(Self {
            addr,
            sim,
            stop: Some(tx),
            task: Some(task),
        })
    }

    /// Where the socket and media requests came from, oldest first.
    pub fn peers(&self) -> Vec<state::PeerSeen> {
        self.sim.peers()
    }

    /// Companion devices (not the phones) logged in right now.
    pub fn online_companions(&self) -> usize {
        self.sim
            .lock()
            .online
            .keys()
            .filter(|(_, d)| *d != 0)
            .count()
    }

    /// The WebSocket URL clients connect to.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws/chat", self.addr)
    }

    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, closes every client connection, and waits for the server to end.
    pub async fn stop(mut self) {
        self.sim.close_all();
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

/// The WebSocket endpoint and the admin API.
pub fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/ws/chat", get(conn::upgrade))
        .merge(admin::router())
        .merge(media::router())
        .layer(axum::middleware::from_fn_with_state(sim.clone(), note_peer))
        .with_state(sim)
}

/// Keeps the peer log: where each socket and media request came from (served with
/// `ConnectInfo`; requests without it are not logged).
async fn note_peer(
    axum::extract::State(sim): axum::extract::State<Arc<Sim>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = request.uri().path();
    let kind = if path == "/ws/chat" {
        Some("socket")
    } else if ["/mms/", "/newsletter/", "/v/"]
        .iter()
        .any(|p| path.starts_with(p))
    {
        Some("media")
    } else {
        None
    };
    if let (Some(kind), Some(axum::extract::ConnectInfo(peer))) = (
        kind,
        request
            .extensions()
            .get::<axum::extract::ConnectInfo<SocketAddr>>(),
    ) {
        sim.record_peer(kind, *peer, path);
    }
    next.run(request).await
}
