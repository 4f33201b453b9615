//! How a device reaches WhatsApp: directly, or through its proxy (the device's override, else its
//! tenant's), read from the database at every dial, so a change takes effect with a reconnect.
//!
//! whatsapp-rust 0.7 has no proxy option, so this is its transport factory: TCP to the proxy, the
//! SOCKS5 or HTTP `CONNECT` handshake (hyper-util's connectors), TLS when the endpoint is `wss`,
//! the WebSocket upgrade, then the library's own `from_websocket`. A proxy that fails is never
//! bypassed: the attempt fails, the device says why, and the library retries with its backoff.
//! Media follows the proxy of the connection in use ([`crate::media_http`]).

use crate::live::LiveState;
use async_trait::async_trait;
use base64::Engine;
use std::sync::{Arc, Mutex, RwLock};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tower::ServiceExt;
use whatsapp_rust::wacore::net::{
    Transport, TransportEvent, TransportFactory, WHATSAPP_WEB_ORIGIN,
};
use whatsapp_rust_tokio_transport::{from_websocket, Connector, TokioWebSocketTransportFactory};
use wuts_core::events::{DisconnectedData, Event};
use wuts_core::proxy::{ProxyScheme, ProxyUrl};
use wuts_core::Device;
use wuts_store::Store;

/// The proxy of a device's current (or last) connection; media requests read it.
pub(crate) type CurrentProxy = Arc<RwLock<Option<ProxyUrl>>>;

pub(crate) struct DeviceTransport {
    ws_url: String,
    direct: TokioWebSocketTransportFactory,
    store: Store,
    device: Device,
    state: Arc<watch::Sender<LiveState>>,
    pub(crate) current: CurrentProxy,
    /// The reason of the last failed dial, so a failing proxy is reported once, not at every
    /// retry.
    last_failure: Mutex<Option<String>>,
}

impl DeviceTransport {
    pub(crate) fn new(
        ws_url: Option<&str>,
        store: Store,
        device: Device,
        state: Arc<watch::Sender<LiveState>>,
    ) -> Self {
        let ws_url = ws_url
            .unwrap_or(whatsapp_rust::wacore::net::WHATSAPP_WEB_WS_URL)
            .to_string();
        Self {
            direct: TokioWebSocketTransportFactory::new().with_url(ws_url.clone()),
            ws_url,
            store,
            device,
            state,
            current: Default::default(),
            last_failure: Mutex::new(None),
        }
    }

    async fn dial(
        &self,
    ) -> Result<(Arc<dyn Transport>, async_channel::Receiver<TransportEvent>), String> {
        let (proxy, source) = self
            .store
            .effective_proxy(&self.device.id)
            .await
            .map_err(|e| format!("cannot read the device's proxy: {e}"))?;
        let proxy = proxy.map(|p| p.url);
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = proxy.clone();
        self.state.send_modify(|s| {
            s.proxy = proxy.as_ref().map(ProxyUrl::masked);
            s.proxy_source = source.as_str();
        });
        let result = match &proxy {
            None => self.direct.create_transport().await.map_err(|e| e.to_string()),
            Some(p) => self.through(p).await.map_err(|e| {
                metrics::counter!("wuts_proxy_handshake_failures_total", "scheme" => p.scheme.as_str())
                    .increment(1);
                format!("proxy {}: {e}", p.masked())
            }),
        };
        if result.is_ok() {
            metrics::counter!("wuts_proxy_connections_total", "source" => source.as_str())
                .increment(1);
        }
        result
    }

    /// The WebSocket over a tunnel through `p`.
    async fn through(
        &self,
        p: &ProxyUrl,
    ) -> Result<(Arc<dyn Transport>, async_channel::Receiver<TransportEvent>), String> {
        let uri: http::Uri = self
            .ws_url
            .parse()
            .map_err(|e| format!("bad WhatsApp URL: {e}"))?;
        let secure = uri.scheme_str() == Some("wss");
        let host = uri
            .host()
            .ok_or("the WhatsApp URL has no host")?
            .to_string();
        let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
        let tcp = tunnel(p, &host, port).await?;
        let _ = tcp.set_nodelay(true);
        let connector = if secure {
            whatsapp_rust_tokio_transport::default_tls_connector()
        } else {
            Connector::Plain
        };
        let stream = connector
            .wrap(host.trim_start_matches('[').trim_end_matches(']'), tcp)
            .await
            .map_err(|e| format!("TLS through the proxy failed: {e}"))?;
        let origin = http::HeaderValue::from_static(WHATSAPP_WEB_ORIGIN);
        let (ws, _) = tokio_websockets::ClientBuilder::from_uri(uri)
            .add_header(http::header::ORIGIN, origin)
            .map_err(|e| e.to_string())?
            .connect_on(stream)
            .await
            .map_err(|e| format!("WebSocket upgrade through the proxy failed: {e}"))?;
        Ok(from_websocket(ws))
    }

    /// Keeps the device's live state and events in step with the outcome of a dial: a failure
    /// is recorded once (until it changes or a dial succeeds) as `device.disconnected` with its
    /// reason.
    async fn report(&self, outcome: &Result<(), String>) {
        let fresh = {
            let mut last = self.last_failure.lock().unwrap_or_else(|p| p.into_inner());
            match outcome {
                Ok(()) => {
                    *last = None;
                    None
                }
                Err(reason) if last.as_deref() != Some(reason.as_str()) => {
                    *last = Some(reason.clone());
                    Some(reason.clone())
                }
                Err(_) => None,
            }
        };
        self.state.send_modify(|s| {
            s.last_error = outcome.clone().err();
            s.dials += 1;
        });
        if let Some(reason) = fresh {
            tracing::warn!(device_id = %self.device.id, "cannot connect: {reason}");
            crate::events::record(
                &self.store,
                &self.device,
                Event::DeviceDisconnected(DisconnectedData {
                    reason: Some(reason),
                }),
            )
            .await;
        }
    }
}

#[async_trait]
impl TransportFactory for DeviceTransport {
    async fn create_transport(
        &self,
    ) -> Result<(Arc<dyn Transport>, async_channel::Receiver<TransportEvent>), anyhow::Error> {
        let result = self.dial().await;
        self.report(&result.as_ref().map(|_| ()).map_err(Clone::clone))
            .await;
        result.map_err(anyhow::Error::msg)
    }
}

/// A TCP stream to `host:port` through the proxy `p` (SOCKS5 or HTTP `CONNECT`).
pub(crate) async fn tunnel(p: &ProxyUrl, host: &str, port: u16) -> Result<TcpStream, String> {
    use hyper_util::client::legacy::connect::proxy::{SocksV5, Tunnel};
    use hyper_util::client::legacy::connect::HttpConnector;
    let proxy_uri: http::Uri = format!("http://{}", p.address())
        .parse()
        .map_err(|e| format!("bad proxy address: {e}"))?;
    let target: http::Uri = format!("http://{}:{port}", bracketed(host))
        .parse()
        .map_err(|e| format!("bad target address: {e}"))?;
    let mut inner = HttpConnector::new();
    inner.set_nodelay(true);
    let io = match p.scheme {
        ProxyScheme::Socks5 | ProxyScheme::Socks5h => {
            let mut socks =
                SocksV5::new(proxy_uri, inner).local_dns(p.scheme == ProxyScheme::Socks5);
            if let Some(user) = &p.username {
                socks = socks.with_auth(user.clone(), p.password.clone().unwrap_or_default());
            }
            socks.oneshot(target).await.map_err(|e| chain(&e))?
        }
        ProxyScheme::Http => {
            let mut tunnel = Tunnel::new(proxy_uri, inner);
            if let Some(user) = &p.username {
                let basic = base64::engine::general_purpose::STANDARD.encode(format!(
                    "{user}:{}",
                    p.password.as_deref().unwrap_or_default()
                ));
                let mut value = http::HeaderValue::from_str(&format!("Basic {basic}"))
                    .map_err(|_| "the proxy credentials cannot go in a header".to_string())?;
                value.set_sensitive(true);
                tunnel = tunnel.with_auth(value);
            }
            tunnel.oneshot(target).await.map_err(|e| {
                let text = chain(&e);
                // hyper-util names only a 407; any other answer but 200 is "unsuccessful".
                if text.ends_with("unsuccessful") {
                    format!("{text} (the proxy refused the CONNECT: wrong credentials, or the destination is not allowed)")
                } else {
                    text
                }
            })?
        }
    };
    Ok(io.into_inner())
}

fn bracketed(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// An error and its causes, on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}
