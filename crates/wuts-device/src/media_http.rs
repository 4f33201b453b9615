//! The HTTP client whatsapp-rust uses for media upload and download.
//!
//! whatsapp-rust builds every media URL as `https://<host from media_conn>/...`. Against the real
//! WhatsApp that is right; against wa-sim (a plain `ws://` endpoint on loopback) the media hosts
//! the simulator names serve plain HTTP, so the scheme is rewritten for those hosts only. One
//! pooled client is shared by all devices.

use async_trait::async_trait;
use std::sync::Arc;
use whatsapp_rust::http::{HttpClient, HttpRequest, HttpResponse};
use whatsapp_rust_ureq_http_client::UreqHttpClient;

/// Media HTTP for every device of this process.
#[derive(Clone)]
pub struct MediaHttp {
    inner: Arc<UreqHttpClient>,
    /// `host:port` values whose media is fetched over plain HTTP (wa-sim on loopback).
    plain_http_host: Option<String>,
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
            inner: Arc::new(UreqHttpClient::new()),
            plain_http_host,
        }
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

#[async_trait]
impl HttpClient for MediaHttp {
    async fn execute(&self, request: HttpRequest) -> anyhow::Result<HttpResponse> {
        self.inner.execute(self.rewrite(request)).await
    }

    fn supports_streaming(&self) -> bool {
        self.inner.supports_streaming()
    }

    fn execute_streaming(
        &self,
        request: HttpRequest,
    ) -> anyhow::Result<whatsapp_rust::wacore::net::StreamingHttpResponse> {
        self.inner.execute_streaming(self.rewrite(request))
    }

    fn supports_upload_streaming(&self) -> bool {
        self.inner.supports_upload_streaming()
    }

    fn execute_upload(
        &self,
        request: HttpRequest,
        body: whatsapp_rust::wacore::net::UploadBody,
        content_length: u64,
    ) -> anyhow::Result<HttpResponse> {
        self.inner
            .execute_upload(self.rewrite(request), body, content_length)
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
