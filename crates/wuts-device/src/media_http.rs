//! The HTTP client whatsapp-rust uses for media upload and download.
//!
//! whatsapp-rust builds every media URL as `https://<host from media_conn>/...`. Against the real
//! WhatsApp that is right; against wa-sim (a plain `ws://` endpoint on loopback) the media hosts
//! the simulator names serve plain HTTP, so the scheme is rewritten for those hosts only.
//!
//! Media goes the way the device's socket goes: each device has a [`DeviceMedia`] view that
//! follows the proxy of its current connection, and the process keeps one pooled client per
//! distinct proxy plus one direct client. No client reads `*_PROXY` from the environment: a
//! direct device is direct.

use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use whatsapp_rust::http::{HttpClient, HttpRequest, HttpResponse};
use whatsapp_rust_ureq_http_client::UreqHttpClient;
use wuts_core::proxy::ProxyUrl;

/// Media HTTP for every device of this process.
#[derive(Clone)]
pub struct MediaHttp {
    direct: Arc<UreqHttpClient>,
    /// One client per distinct proxy, made on first use.
    proxied: Arc<Mutex<HashMap<ProxyUrl, Arc<UreqHttpClient>>>>,
    /// `host:port` values whose media is fetched over plain HTTP (wa-sim on loopback).
    plain_http_host: Option<String>,
}

/// A pooled agent like whatsapp-rust's own (small buffers, a few idle connections), with the
/// proxy given or, for `None`, none at all (not the environment's).
fn agent(proxy: Option<ureq::Proxy>) -> ureq::Agent {
    ureq::config::Config::builder()
        .input_buffer_size(16 * 1024)
        .output_buffer_size(16 * 1024)
        .max_idle_connections(3)
        .max_idle_connections_per_host(2)
        .proxy(proxy)
        .build()
        .into()
}

impl MediaHttp {
    /// `whatsapp_url` is the configured WebSocket endpoint: a plain `ws://` one means a simulator,
    /// whose host serves media over plain HTTP.
    pub fn new(whatsapp_url: Option<&str>) -> Self {
        let plain_http_host = whatsapp_url
            .and_then(|u| u.strip_prefix("ws://"))
            .map(|rest| rest.split('/').next().unwrap_or_default().to_string())
            .filter(|h| !h.is_empty());
        Self {
            direct: Arc::new(UreqHttpClient::with_agent(agent(None))),
            proxied: Default::default(),
            plain_http_host,
        }
    }

    /// The media view of one device, following `current`.
    pub(crate) fn for_device(&self, current: crate::proxy::CurrentProxy) -> DeviceMedia {
        DeviceMedia {
            shared: self.clone(),
            current,
        }
    }

    /// The client for `proxy` (direct for none).
    fn client(&self, proxy: Option<&ProxyUrl>) -> anyhow::Result<Arc<UreqHttpClient>> {
        let Some(p) = proxy else {
            return Ok(self.direct.clone());
        };
        let mut map = self.proxied.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = map.get(p) {
            return Ok(c.clone());
        }
        let ureq_proxy = ureq::Proxy::new(&p.expose())
            .map_err(|e| anyhow::anyhow!("proxy {} is unusable for media: {e}", p.masked()))?;
        let c = Arc::new(UreqHttpClient::with_agent(agent(Some(ureq_proxy))));
        map.insert(p.clone(), c.clone());
        Ok(c)
    }

    fn rewrite(&self, mut request: HttpRequest) -> HttpRequest {
        if let Some(host) = &self.plain_http_host {
            let secure = format!("https://{host}/");
            if request.url.starts_with(&secure) {
                request.url = format!("http://{}", &request.url["https://".len()..]);
            }
        }
        request
    }
}

/// Direct requests (the client-version lookup, which no device owns).
#[async_trait]
impl HttpClient for MediaHttp {
    async fn execute(&self, request: HttpRequest) -> anyhow::Result<HttpResponse> {
        self.direct.execute(self.rewrite(request)).await
    }
}

/// One device's media client: through the proxy its socket uses.
#[derive(Clone)]
pub struct DeviceMedia {
    shared: MediaHttp,
    current: crate::proxy::CurrentProxy,
}

impl DeviceMedia {
    fn client(&self) -> anyhow::Result<Arc<UreqHttpClient>> {
        let proxy = self
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        self.shared.client(proxy.as_ref())
    }
}

#[async_trait]
impl HttpClient for DeviceMedia {
    async fn execute(&self, request: HttpRequest) -> anyhow::Result<HttpResponse> {
        self.client()?.execute(self.shared.rewrite(request)).await
    }

    fn supports_streaming(&self) -> bool {
        self.shared.direct.supports_streaming()
    }

    fn execute_streaming(
        &self,
        request: HttpRequest,
    ) -> anyhow::Result<whatsapp_rust::wacore::net::StreamingHttpResponse> {
        self.client()?
            .execute_streaming(self.shared.rewrite(request))
    }

    fn supports_upload_streaming(&self) -> bool {
        self.shared.direct.supports_upload_streaming()
    }

    fn execute_upload(
        &self,
        request: HttpRequest,
        body: whatsapp_rust::wacore::net::UploadBody,
        content_length: u64,
    ) -> anyhow::Result<HttpResponse> {
        self.client()?
            .execute_upload(self.shared.rewrite(request), body, content_length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_simulator_host_goes_plain() {
        let m = MediaHttp::new(Some("ws://127.0.0.1:4000/ws/chat"));
        let r = m.rewrite(HttpRequest::get("https://127.0.0.1:4000/v/t62/x?token=a"));
        assert_eq!(r.url, "http://127.0.0.1:4000/v/t62/x?token=a");
        let r = m.rewrite(HttpRequest::get("https://mmg.whatsapp.net/v/t62/x"));
        assert_eq!(r.url, "https://mmg.whatsapp.net/v/t62/x");
        let real = MediaHttp::new(None);
        let r = real.rewrite(HttpRequest::get("https://127.0.0.1:4000/v"));
        assert!(r.url.starts_with("https://"));
    }
}
